"""A few training steps end to end: checkpoint, events, curves, resume, export, predict CLI."""
import glob
import os
import subprocess
import sys

import pytest

from tf1_dates import datagen, predict, sampling, train
from tf1_dates import eval as dates_eval

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("dates")
    data_path, example = datagen.generate(str(base / "data"))
    run_dir, export = str(base / "run"), str(base / "weights")
    args = ["--run-dir", run_dir, "--data", data_path, "--hidden", "32", "--steps", "6", "--eval-every", "3",
            "--threads", "1", "--export-dir", export]
    assert train.main(args) == 0
    assert train.main(args[:-2] + ["--steps", "8"]) == 0  # resumes at 6, trains 2 more
    return {"run": run_dir, "export": export, "example": example, "base": base}


def test_run_dir_outputs(trained):
    run = trained["run"]
    assert glob.glob(os.path.join(run, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(run, "checkpoints", "ckpt-8.index"))
    assert os.path.exists(os.path.join(run, "loss_curves.png"))
    metrics = dates_eval.files.read_json(os.path.join(run, "metrics.json"))
    assert metrics["steps"] == 8 and metrics["steps_this_session"] == 2  # resumed, not restarted
    for key in ("all_four/val", "diversity/val", "all_four/test", "expected_all_four/train"):
        assert 0.0 <= metrics[key] <= 1.0
    history = dates_eval.files.read_json(os.path.join(run, "history.json"))
    assert history["all_four/val"][0] == [3, 6, 8]


def test_export_is_small(trained):
    sizes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(trained["export"], "*")))
    assert sizes < 1e6
    assert sampling.load_hparams(trained["export"])["hidden"] == 32


def test_predict_script_form_and_seed(trained, tmp_path):
    out1, out2 = str(tmp_path / "a.txt"), str(tmp_path / "b.txt")
    cmd = [sys.executable, os.path.join(ROOT, "tf1_dates", "predict.py"), "-i", trained["example"],
           "--weights", trained["export"], "--seed", "7", "--threads", "1"]
    subprocess.run(cmd + ["-o", out1], check=True, cwd=str(tmp_path))
    assert predict.main(["-i", trained["example"], "-o", out2, "--weights", trained["export"],
                         "--seed", "7", "--threads", "1"]) == 0
    lines = open(out1, encoding="utf-8").read().split("\n")
    inputs = dates_eval.read_lines(trained["example"])
    assert len(lines) == len(inputs) == 1465
    assert open(out1).read() == open(out2).read()  # same seed, same dates
    scores = dates_eval.score_lines(lines, inputs=inputs)
    assert scores["malformed"] == 0 and scores["mismatched_input"] == 0


def test_predict_bad_input_exit_2_and_no_output(trained, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("[WED] [JAN] [False] [180]\n[WED] [JANUARY] [False] [180]\n")
    out = tmp_path / "out.txt"
    assert predict.main(["-i", str(bad), "-o", str(out), "--weights", trained["export"]]) == 2
    err = capsys.readouterr().err
    assert "bad.txt:2" in err and "JANUARY" in err
    assert not out.exists()


def test_predict_unsatisfiable_counted(trained, tmp_path, capsys):
    inp = tmp_path / "in.txt"
    inp.write_text("[WED] [JAN] [True] [220]\n[WED] [JAN] [False] [220]\n[MON] [MAR] [True] [220]")
    out = tmp_path / "out.txt"
    assert predict.main(["-i", str(inp), "-o", str(out), "--weights", trained["export"], "--threads", "1"]) == 0
    assert "2 line(s) ask for [True] [220]" in capsys.readouterr().err
    lines = out.read_text().split("\n")
    assert len(lines) == 3 and all(not dates_eval.check_line(l).malformed for l in lines)


def test_evaluate_prints_targets_and_held_out(trained, capsys):
    from tf1_dates import evaluate
    assert evaluate.main(["--weights", trained["export"], "--repeats", "2", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "[all] combos=6804 lines=13608" in out
    assert "[held_out_val] combos=340" in out and "[held_out_test] combos=340" in out  # from hparams.json
    assert "uniform_sampler_diversity=" in out and "all_lines_per_second=" in out


def test_committed_weights_load_and_are_small():
    weights = sampling.WEIGHTS_DIR
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(weights, "*")))
    assert total < 5e6
    predictor = predict.Predictor(weights, seed=0, threads=1)
    ids = predict.tokenizer.encode_lines(["[MON] [DEC] [False] [196]"] * 200)
    lines = sampling.format_lines(["[MON] [DEC] [False] [196]"] * 200, predictor.predict(ids))
    predictor.close()
    # a real test of the shipped network: nearly all draws must satisfy the four conditions
    assert dates_eval.score_lines(lines)["all_four"] > 0.95


def test_committed_weights_meet_the_targets(capsys):
    """The shipped network, every satisfiable combination asked 5 times (the issue's targets)."""
    from tf1_dates import evaluate
    assert evaluate.main(["--repeats", "5", "--threads", "2"]) == 0
    out = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines() if "=" in line)
    assert float(out["all_all_four"]) >= 0.999
    assert float(out["all_diversity"]) >= 0.80
    assert int(out["all_malformed"]) == 0


def test_report_section(trained):
    from tf1_dates import report
    text = report.section(os.path.dirname(trained["run"]))
    assert "| run |" in text and "loss_curves.png" in text


def test_predict_reject_invalid_is_opt_in_and_reported(trained, tmp_path, capsys):
    out = tmp_path / "out.txt"
    args = ["-i", trained["example"], "-o", str(out), "--weights", trained["export"], "--threads", "1"]
    assert predict.main(args) == 0
    assert "--reject-invalid" not in capsys.readouterr().err
    plain = dates_eval.score_lines(dates_eval.read_lines(str(out)))["all_four"]
    assert predict.main(args + ["--reject-invalid", "--reject-rounds", "3"]) == 0
    err = capsys.readouterr().err
    assert "--reject-invalid:" in err and "draws were resampled" in err
    # same seed -> same first draws, so round 1 redraws at least every line the plain run failed
    failed = round((1 - plain) * 1465)
    assert failed > 0 and int(err.split("--reject-invalid: ")[1].split()[0]) >= failed


def test_stopped_and_resumed_run_equals_uninterrupted(trained):
    """Batches are keyed by the global step, so 3 + 1 steps give exactly the weights of 4 steps."""
    import numpy as np
    import tensorflow as tf
    base = trained["base"]
    data_path = str(base / "data" / "data.txt")
    common = ["--data", data_path, "--hidden", "16", "--eval-every", "2", "--threads", "1"]
    straight, split = str(base / "straight"), str(base / "split")
    assert train.main(common + ["--run-dir", straight, "--steps", "4", "--export-dir", straight + "/x"]) == 0
    assert train.main(common + ["--run-dir", split, "--steps", "4", "--session-steps", "3"]) == 0
    assert not os.path.exists(os.path.join(split, "metrics.json"))  # stopped early, like Ctrl-C
    assert train.main(common + ["--run-dir", split, "--steps", "4", "--export-dir", split + "/x"]) == 0
    a = tf.train.load_checkpoint(straight + "/x/generator")
    b = tf.train.load_checkpoint(split + "/x/generator")
    names = sorted(a.get_variable_to_shape_map())
    assert names and names == sorted(b.get_variable_to_shape_map())
    for name in names:
        np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name))
