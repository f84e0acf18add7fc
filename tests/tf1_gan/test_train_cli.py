"""tf1_gan.train's command line: towers (--num-towers), validation of every key (exit 2, no traceback, nothing
written), the run contract (stop -> 130 without metrics, resume, a changed configuration refused), and that the
cluster has its own entry point (train.py no longer hands --cluster-spec over)."""
import os
import subprocess
import sys

import pytest
import yaml

from common import run
from tf1_gan import options
from tf1_gan import task as gan_task
from tf1_gan import train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--variant", "linear", "--num-train", "128", "--epochs", "1", "--no-eval", "--threads", "1"]


def test_num_towers_must_divide_batch(capsys):
    assert train.main(["--num-towers", "3", "--batch-size", "64"]) == 2
    assert "must split evenly over 'num_towers' (3)" in capsys.readouterr().err


def test_two_tower_linear_run_writes_a_run_dir(tmp_path):
    run_dir = str(tmp_path / "k2")
    assert train.main(["--variant", "linear", "--num-towers", "2", "--num-train", "128", "--epochs", "1",
                       "--no-eval", "--run-dir", run_dir]) == 0
    assert yaml.safe_load(open(os.path.join(run_dir, "config.yaml")))["num_towers"] == 2
    assert os.path.exists(os.path.join(run.RunPaths(run_dir).checkpoints, "ckpt-2.index"))
    assert "_k2_s0" in gan_task.default_run_dir(options.train_config(num_towers=2))


def test_cluster_spec_belongs_to_the_cluster_entry_point(tmp_path):
    missing = str(tmp_path / "cluster.json")
    assert train.main(["--cluster-spec", missing, "--run-dir", str(tmp_path / "r")]) == 2  # not handed over
    result = subprocess.run([sys.executable, "-m", "tf1_gan.cluster.train", "--cluster-spec", missing, "--job-name",
                             "worker", "--task-index", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 2
    assert missing in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv, pattern", [
    (["--epochs", "-3"], "'epochs' must be an integer >= 1, got -3"),
    (["--epochs", "ten"], "argument --epochs: invalid int value: 'ten'"),
    (["--lr", "nan"], "'lr' must be a finite number > 0 and <= 10.0, got nan"),
    (["--lr", "0"], "'lr' must be a finite number > 0"),
    (["--beta1", "1.0"], "'beta1' must be a finite number >= 0.0 and < 1.0"),
    (["--batch-size", "0"], "'batch_size' must be an integer >= 1"),
    (["--threads", "-1"], "'threads' must be an integer >= 0"),
    (["--log-every", "0"], "'log_every' must be an integer >= 1"),
    (["--ckpt-every", "0"], "'ckpt_every' must be an integer >= 1"),
    (["--bn-epsilon", "-1"], "'bn_epsilon' must be a finite number >= 0.0"),
    (["--eval-samples", "1"], "'eval_samples' must be an integer >= 2"),
    (["--num-towers", "0"], "'num_towers' must be an integer >= 1"),
    (["--num-train", "10"], "'num_train' (10) must be 0 (all images) or at least 'batch_size' (64)"),
    (["--num-train", "100000"], "'num_train' (100000) exceeds the"),
    (["--variant", "dcgan_bn", "--sn-scope", "d"], "only applies to a variant with spectral norm"),
    (["--sn-scope", "everywhere"], "argument --sn-scope: invalid choice: 'everywhere'"),
    (["--variant", "wgan"], "argument --variant: invalid choice: 'wgan'"),
    (["--conv-impl", "winograd"], "argument --conv-impl: invalid choice"),
    (["--data-source", "nowhere"], "argument --data-source: invalid choice"),
])
def test_bad_values_exit_2_with_the_key_and_write_nothing(tmp_path, capsys, argv, pattern):
    run_dir = str(tmp_path / "run")
    assert train.main(argv + ["--run-dir", run_dir]) == 2
    err = capsys.readouterr().err
    assert pattern in err, err
    assert "Traceback" not in err
    assert not os.path.exists(run_dir)


def test_yaml_config_is_checked_like_flags(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    for text, pattern in [("lr: 0.1\nlr: 0.2\n", "duplicate key 'lr'"), ("epochs: -3\n", "'epochs' must be"),
                          ("variant: wgan\n", "'variant' must be one of linear"), ("lrate: 1\n", "unknown key")]:
        path.write_text(text)
        assert train.main(["--config", str(path), "--run-dir", str(tmp_path / "run")]) == 2
        assert pattern in capsys.readouterr().err
    assert not os.path.exists(str(tmp_path / "run"))


def test_stopped_run_exits_130_without_metrics_then_the_same_command_resumes(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    # --session-steps is the stop a signal would cause, at a known step (tests/test_stop_resume.py sends them).
    assert train.main(TINY + ["--run-dir", run_dir, "--session-steps", "1", "--log-every", "1"]) == 130
    assert "stopped at step 1 of 2" in capsys.readouterr().out
    assert os.path.exists(os.path.join(run.RunPaths(run_dir).checkpoints, "ckpt-1.index"))
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
    assert train.main(TINY + ["--run-dir", run_dir, "--log-every", "1", "--threads", "2"]) == 0  # resume-safe
    assert "resumed from step 1" in capsys.readouterr().out
    history = yaml.safe_load(open(os.path.join(run_dir, "history.json")))
    assert [row["step"] for row in history] == [1, 2]  # no gap, no repeat
    assert os.path.exists(os.path.join(run_dir, "metrics.json"))


def test_changed_configuration_is_refused_and_the_record_kept(tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    assert train.main(TINY + ["--run-dir", run_dir]) == 0
    before = open(os.path.join(run_dir, "config.yaml")).read()
    assert train.main(TINY[:1] + ["linear_bn"] + TINY[2:] + ["--run-dir", run_dir]) == 2
    assert "variant: 'linear' -> 'linear_bn'" in capsys.readouterr().err
    assert open(os.path.join(run_dir, "config.yaml")).read() == before  # still says linear: sample works on it
