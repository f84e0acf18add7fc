"""A few training steps end to end: checkpoint, events, curves, stop and resume, weights, predict CLI."""
import glob
import math
import os
import subprocess
import sys

import pytest

from common import files
from tf1_dates import datagen, generator, predict, sampling, score, train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("dates")
    data_path, example = datagen.generate(str(base / "data"))
    run_dir = str(base / "run")
    export = os.path.join(run_dir, "weights")  # a finished run leaves its weights in the run dir
    args = ["--run-dir", run_dir, "--data", data_path, "--hidden", "32", "--steps", "8", "--eval-every", "3",
            "--threads", "1"]
    assert train.main(args + ["--session-steps", "6"]) == 130  # stopped at 6 like Ctrl-C: exit 130
    assert not os.path.exists(os.path.join(run_dir, "metrics.json")) and not os.path.exists(export)
    assert train.main(args) == 0  # the same command resumes at 6, trains 2 more
    return {"run": run_dir, "export": export, "example": example, "base": base}


def test_run_dir_outputs(trained):
    run = trained["run"]
    assert glob.glob(os.path.join(run, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(run, "checkpoints", "ckpt-8.index"))
    assert os.path.exists(os.path.join(run, "loss_curves.png"))
    metrics = files.read_json(os.path.join(run, "metrics.json"))
    assert metrics["steps"] == 8 and metrics["steps_this_session"] == 2  # resumed, not restarted
    for key in ("all_four/val", "diversity/val", "all_four/test", "expected_all_four/train"):
        assert 0.0 <= metrics[key] <= 1.0
    history = files.read_json(os.path.join(run, "history.json"))  # rows {"step": s, key: value}
    assert [row["step"] for row in history if "all_four/val" in row] == [3, 6, 8]


def test_history_has_train_validation_and_test_loss_at_every_log_point(trained):
    """The seed asks for training *and test* loss curves: every log point scores the training probe, the
    validation and the test combinations, and the last test loss is the final evaluation's."""
    history = files.read_json(os.path.join(trained["run"], "history.json"))
    for split in ("train", "val", "test"):
        for key in ("loss/" + split, "loss_excess/" + split):
            assert [row["step"] for row in history if key in row] == [3, 6, 8], key
            assert all(math.isfinite(row[key]) and row[key] >= 0.0 for row in history if key in row), key
    metrics = files.read_json(os.path.join(trained["run"], "metrics.json"))
    assert history[-1]["loss/test"] == pytest.approx(metrics["loss/test"], rel=1e-6)


def test_loss_curves_draw_train_validation_and_test(trained, monkeypatch):
    """loss_curves.png gets one series per split in each panel, the loss panel first (the report crops it)."""
    from common import plots, run
    from tf1_dates import task
    drawn = {}
    monkeypatch.setattr(plots, "save_learning_curves", lambda path, curves, **kw: drawn.update(curves, **kw))
    history = run.History(files.read_json(os.path.join(trained["run"], "history.json")))
    task.plot_curves(run.RunPaths(trained["run"]), history)
    assert list(drawn)[:3] == [task.LOSS_PANEL, "sampled all-four", "sampled diversity"]
    assert list(drawn[task.LOSS_PANEL]) == ["train (probe)", "validation", "test"]
    assert list(drawn[task.LOSS_PANEL]["test"][0]) == [3, 6, 8]
    assert drawn["logy"] == (task.LOSS_PANEL,) and drawn["xlabel"] == "training step"


def test_export_is_small(trained):
    sizes = sum(os.path.getsize(p) for p in glob.glob(os.path.join(trained["export"], "*")))
    assert sizes < 1e6
    assert generator.load_hparams(trained["export"])["hidden"] == 32


def test_predict_script_form_and_seed(trained, tmp_path):
    out1, out2 = str(tmp_path / "a.txt"), str(tmp_path / "b.txt")
    cmd = [sys.executable, os.path.join(ROOT, "tf1_dates", "predict.py"), "-i", trained["example"],
           "--weights", trained["export"], "--seed", "7", "--threads", "1"]
    subprocess.run(cmd + ["-o", out1], check=True, cwd=str(tmp_path))
    assert predict.main(["-i", trained["example"], "-o", out2, "--weights", trained["export"],
                         "--seed", "7", "--threads", "1"]) == 0
    text = open(out1, encoding="utf-8").read()
    assert text.endswith("\n") and not text.endswith("\n\n")  # one final newline
    lines = text[:-1].split("\n")
    inputs = score.read_lines(trained["example"])
    assert len(lines) == len(inputs) == 1465
    assert open(out1).read() == open(out2).read()  # same seed, same dates
    scores = score.score_lines(lines, inputs=inputs)
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
    text = out.read_text()
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text[:-1].split("\n")
    assert len(lines) == 3 and all(not score.check_line(l).malformed for l in lines)


@pytest.mark.parametrize("which", ["export", "run"])
def test_evaluate_prints_targets_and_held_out(trained, capsys, which):
    from tf1_dates import evaluate_weights
    assert evaluate_weights.main(["--weights", trained[which], "--repeats", "2", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "[all] combos=6804 lines=13608" in out
    # the split comes from hparams.json (weights dir) or config.yaml (run dir)
    assert "[held_out_val] combos=340" in out and "[held_out_test] combos=340" in out
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
    assert score.score_lines(lines)["all_four"] > 0.95


def test_committed_weights_meet_the_targets(capsys):
    """The shipped network, every satisfiable combination asked 5 times (the issue's targets)."""
    from tf1_dates import evaluate_weights
    assert evaluate_weights.main(["--repeats", "5", "--threads", "2"]) == 0
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
    plain = score.score_lines(score.read_lines(str(out)))["all_four"]
    assert predict.main(args + ["--reject-invalid", "--reject-rounds", "3"]) == 0
    err = capsys.readouterr().err
    assert "--reject-invalid:" in err and "draws were resampled" in err
    # same seed -> same first draws, so round 1 redraws at least every line the plain run failed
    failed = round((1 - plain) * 1465)
    assert failed > 0 and int(err.split("--reject-invalid: ")[1].split()[0]) >= failed


def test_stopped_and_resumed_run_equals_uninterrupted(trained):
    """Batches and validation draws are keyed by the global step, so 3 + 1 steps give exactly the weights,
    the logged sampled metrics and the final metrics of 4 steps."""
    import numpy as np
    import tensorflow as tf
    base = trained["base"]
    data_path = str(base / "data" / "data.txt")
    common = ["--data", data_path, "--hidden", "16", "--eval-every", "2", "--threads", "1", "--steps", "4"]
    straight, split = str(base / "straight"), str(base / "split")
    assert train.main(common + ["--run-dir", straight]) == 0
    assert train.main(common + ["--run-dir", split, "--session-steps", "3"]) == 130
    assert not os.path.exists(os.path.join(split, "metrics.json"))  # stopped early, like Ctrl-C
    assert train.main(common + ["--run-dir", split]) == 0
    a = tf.train.load_checkpoint(straight + "/weights/generator")
    b = tf.train.load_checkpoint(split + "/weights/generator")
    names = sorted(a.get_variable_to_shape_map())
    assert names and names == sorted(b.get_variable_to_shape_map())
    for name in names:
        np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name))
    # The sampled metrics too: every logged row (step 4 was sampled after the resume) and the final ones.
    rows_a = files.read_json(os.path.join(straight, "history.json"))
    rows_b = files.read_json(os.path.join(split, "history.json"))
    assert [r["step"] for r in rows_a] == [2, 4] and "all_four/val" in rows_a[-1] and "diversity/train" in rows_a[-1]
    assert rows_a == rows_b
    timing = ("train_seconds_this_session", "steps_this_session")
    metrics_a = {k: v for k, v in files.read_json(os.path.join(straight, "metrics.json")).items() if k not in timing}
    metrics_b = {k: v for k, v in files.read_json(os.path.join(split, "metrics.json")).items() if k not in timing}
    assert metrics_a == metrics_b and "all_four/test" in metrics_a


def test_validation_draws_are_keyed_by_seed_step_and_split(trained):
    """The keyed draws differ between steps and splits (fresh noise each round) and repeat for the same key."""
    keys = {(s, t, st, b): tuple(sampling.noise_key(s, t, st, b)) for s in (0, 1) for t in (0, 4000)
            for st in sampling.STREAMS.values() for b in (0, 1)}
    assert len(set(keys.values())) == len(keys)
    assert tuple(sampling.noise_key(0, 4000, 2, 1)) == keys[(0, 4000, 2, 1)]
    with pytest.raises(ValueError):
        sampling.noise_key(0, 1, 2, 4096)


def test_predict_weights_run_dir_loads_the_run(trained, tmp_path, capsys):
    """`--weights RUN_DIR` samples the run's newest checkpoint: the same dates as its weights/ dir."""
    outs = {}
    for which in ("run", "export"):
        outs[which] = str(tmp_path / ("%s.txt" % which))
        assert predict.main(["-i", trained["example"], "-o", outs[which], "--weights", trained[which],
                             "--seed", "3", "--threads", "1"]) == 0
    err = capsys.readouterr().err
    assert "run dir %s, checkpoint of step 8" % trained["run"] in err
    assert open(outs["run"]).read() == open(outs["export"]).read()
    committed = str(tmp_path / "committed.txt")
    assert predict.main(["-i", trained["example"], "-o", committed, "--seed", "3", "--threads", "1"]) == 0
    assert open(committed).read() != open(outs["run"]).read()  # the run's weights, not the default ones


def test_predict_weights_of_a_stopped_run_and_of_nothing(trained, tmp_path, capsys):
    data_path = str(trained["base"] / "data" / "data.txt")
    run_dir = str(tmp_path / "stopped")
    assert train.main(["--run-dir", run_dir, "--data", data_path, "--hidden", "8", "--steps", "10",
                       "--eval-every", "5", "--threads", "1", "--session-steps", "2"]) == 130
    assert not os.path.exists(os.path.join(run_dir, "weights"))
    out = str(tmp_path / "out.txt")
    assert predict.main(["-i", trained["example"], "-o", out, "--weights", run_dir, "--threads", "1"]) == 0
    assert "checkpoint of step 2" in capsys.readouterr().err
    assert len(score.read_lines(out)) == 1465
    os.remove(out)
    empty = tmp_path / "empty"
    empty.mkdir()
    for weights, message in ((str(empty), "is neither a weights dir (hparams.json + generator.*) nor a "
                                          "tf1_dates run dir"), (str(tmp_path / "missing"), "no such directory")):
        assert predict.main(["-i", trained["example"], "-o", out, "--weights", weights]) == 2
        assert message in capsys.readouterr().err
        assert not os.path.exists(out)


def test_train_refuses_nonsense_numbers(capsys, tmp_path):
    run_dir = str(tmp_path / "run")
    for flag, value, shown in [("--lr", "nan", "'lr' must be a finite number > 0 and <= 10.0, got nan"),
                               ("--steps", "0", "'steps' must be an integer >= 1, got 0"),
                               ("--eval-every", "0", "'eval_every' must be an integer >= 1, got 0"),
                               ("--val-frac", "1.5", "'val_frac' must be a finite number >= 0.0 and < 1.0, got 1.5"),
                               ("--temperature", "0", "'temperature' must be a finite number >= 0.01"),
                               ("--batch-size", "0", "'batch_size' must be an integer >= 1, got 0"),
                               ("--threads", "-1", "'threads' must be an integer >= 0, got -1")]:
        assert train.main(["--run-dir", run_dir, flag, value]) == 2, flag
        assert shown in capsys.readouterr().err
    assert not os.path.exists(run_dir)
    assert train.main(["--run-dir", run_dir, "--val-frac", "0.5", "--test-frac", "0.5"]) == 2
    assert "leave no training combinations" in capsys.readouterr().err
    assert train.main(["--run-dir", run_dir, "--batch-size", "7000"]) == 2
    assert "'batch_size' must be <= the 6124 training combinations" in capsys.readouterr().err
    assert not os.path.exists(run_dir)


def test_train_help_has_one_run_dir_flag_and_no_name(capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--run-dir RUN_DIR" in text and "--name" not in text and "--export-dir" not in text
    assert "(default: 0.001; a finite number > 0 and <= 10.0)" in text


def test_changed_config_is_refused_and_restart_discards_the_weights(trained, tmp_path, capsys):
    data_path = str(trained["base"] / "data" / "data.txt")
    run_dir = str(tmp_path / "r")
    args = ["--run-dir", run_dir, "--data", data_path, "--hidden", "8", "--steps", "2", "--eval-every", "1",
            "--threads", "1", "--repeats", "1"]
    assert train.main(args) == 0
    assert os.path.exists(os.path.join(run_dir, "weights", "hparams.json"))
    assert train.main(args[:-2] + ["--repeats", "2"]) == 2
    err = capsys.readouterr().err
    assert "another configuration" in err and "repeats: 1 -> 2" in err
    assert train.main(args[:-2] + ["--repeats", "2", "--session-steps", "1", "--restart"]) == 130
    assert not os.path.exists(os.path.join(run_dir, "weights"))  # the discarded run's weights went with it


@pytest.mark.parametrize("old, new, message", [
    ("periodic: false", "periodic: true", "config.yaml: 'periodic' is True but the weights .*ckpt-8 hold a network "
                                          "with periodic = False"),
    ("layers: 2", "layers: 5000", "config.yaml: 'layers' is 5000 but the weights .*ckpt-8 hold a network with "
                                  "layers = 2"),
    ("layers: 2", "layers: two", "config.yaml: config key 'layers' must be an integer >= 1, got 'two'"),
    ("repeats: 5\n", "", "config.yaml: key 'repeats' missing"),
], ids=["periodic", "layers-5000", "layers-word", "missing-key"])
def test_predict_refuses_a_hand_edited_run_config(trained, tmp_path, capsys, old, new, message):
    import re
    import shutil
    run_dir = str(tmp_path / "run")
    shutil.copytree(trained["run"], run_dir)
    path = os.path.join(run_dir, "config.yaml")
    text = open(path).read()
    assert old in text
    open(path, "w").write(text.replace(old, new))
    out = str(tmp_path / "out.txt")
    assert predict.main(["-i", trained["example"], "-o", out, "--weights", run_dir, "--threads", "1"]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err, err
    assert not os.path.exists(out)


def test_summary_is_a_short_table_of_the_headline_numbers(trained):
    from common import loop
    from tf1_dates import task
    metrics = files.read_json(os.path.join(trained["run"], "metrics.json"))
    rows = task.TRAINER.summary(metrics)
    assert [label for label, _, _ in rows] == [
        "all-four, train", "all-four, val", "all-four, test", "diversity, train", "diversity, val",
        "diversity, test", "loss, test", "steps", "training time this invocation"]
    table = loop.summary_table(rows, trained["run"])
    assert len(table.splitlines()) == len(rows) + 1 and "steps" in table and "=" not in table
    assert "%.4g" % metrics["loss/test"] in table and repr(metrics["loss/test"]) not in table  # rounded
