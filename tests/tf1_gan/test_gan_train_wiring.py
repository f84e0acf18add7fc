"""train.py routes to the multi-tower graph (--num-towers) and to the cluster runtime (--cluster-spec)."""
import os
import subprocess
import sys

import yaml

from tf1_gan import train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_num_towers_must_divide_batch(capsys):
    assert train.main(["--num-towers", "3", "--batch-size", "64"]) == 2
    assert "must split evenly over --num-towers 3" in capsys.readouterr().err


def test_two_tower_linear_run_writes_a_run_dir(tmp_path):
    run_dir = str(tmp_path / "k2")
    assert train.main(["--variant", "linear", "--num-towers", "2", "--num-train", "128", "--epochs", "1",
                       "--no-eval", "--run-dir", run_dir]) == 0
    assert yaml.safe_load(open(os.path.join(run_dir, "config.yaml")))["num_towers"] == 2
    assert os.path.exists(os.path.join(run_dir, "checkpoints", "ckpt-2.index"))
    assert "_k2_s0" in train.default_run_dir(train.config.Config(dict(train.DEFAULTS, num_towers=2)))


def test_cluster_spec_hands_over_to_the_distributed_runtime(tmp_path):
    missing = str(tmp_path / "cluster.json")
    result = subprocess.run([sys.executable, "-m", "tf1_gan.train", "--cluster-spec", missing, "--job-name", "worker",
                             "--task-index", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 2
    assert missing in result.stderr
