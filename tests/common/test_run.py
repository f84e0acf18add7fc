"""common.run: the run skeleton's contract, on the toy task of toy_train.py."""
import fcntl
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from common import run

TOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_train.py")
sys.path.insert(0, os.path.dirname(TOY))
import toy_train  # noqa: E402  pylint: disable=wrong-import-position


def _run(*args):
    return subprocess.run([sys.executable, TOY] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


def _ckpt_steps(run_dir):
    names = glob.glob(os.path.join(run_dir, "checkpoints", "ckpt-*.index"))
    return sorted(int(os.path.basename(n)[5:-6]) for n in names)


def test_stopped_run_exits_130_without_metrics_and_resumes_to_identical_weights(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    assert _run("--run-dir", whole).returncode == 0
    stopped = _run("--run-dir", parts, "--kill-at", 23)
    assert stopped.returncode == 130, stopped.stderr
    assert "stop requested" in stopped.stderr and "stopped at step 23 of 60" in stopped.stderr
    assert not os.path.exists(os.path.join(parts, "metrics.json"))
    assert _ckpt_steps(parts)[-1] == 23
    history = json.load(open(os.path.join(parts, "history.json")))
    assert [row["step"] for row in history] == list(range(1, 24))
    resumed = _run("--run-dir", parts)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from step 23" in resumed.stderr
    np.testing.assert_array_equal(np.load(os.path.join(whole, "w.npy")), np.load(os.path.join(parts, "w.npy")))
    a = json.load(open(os.path.join(whole, "history.json")))
    b = json.load(open(os.path.join(parts, "history.json")))
    assert a == b and len(a) == 60  # no gap, no duplicate rows
    assert json.load(open(os.path.join(parts, "metrics.json")))["steps"] == 60


def test_pruning_keeps_the_newest_three_across_resumes(tmp_path):
    run_dir = str(tmp_path / "r")
    assert _run("--run-dir", run_dir, "--session-steps", 25).returncode == 130
    assert _ckpt_steps(run_dir) == [10, 20, 25]
    assert _run("--run-dir", run_dir, "--session-steps", 17).returncode == 130
    assert _ckpt_steps(run_dir) == [30, 40, 42]
    assert _run("--run-dir", run_dir).returncode == 0
    assert _ckpt_steps(run_dir) == [42, 50, 60]
    assert not glob.glob(os.path.join(run_dir, "checkpoints", "*.meta"))


def test_history_written_before_checkpoint_is_cut_at_the_restored_step(tmp_path):
    run_dir = str(tmp_path / "r")
    assert toy_train.main(["--run-dir", run_dir, "--session-steps", "20"]) == 130
    # As if killed after history.json was written for step 30 but before ckpt-30 existed.
    rows = json.load(open(os.path.join(run_dir, "history.json")))
    rows += [{"step": s, "loss": 0.0} for s in range(21, 31)]
    json.dump(rows, open(os.path.join(run_dir, "history.json"), "w"))
    assert toy_train.main(["--run-dir", run_dir]) == 0
    steps = [row["step"] for row in json.load(open(os.path.join(run_dir, "history.json")))]
    assert steps == list(range(1, 61))


def test_changed_config_is_refused_listing_the_keys_and_config_untouched(tmp_path, capsys):
    run_dir = str(tmp_path / "r")
    assert toy_train.main(["--run-dir", run_dir, "--session-steps", "10"]) == 130
    before = open(os.path.join(run_dir, "config.yaml")).read()
    assert toy_train.main(["--run-dir", run_dir, "--lr", "0.1", "--steps", "70"]) == 2
    err = capsys.readouterr().err
    assert "another configuration (lr: 0.05 -> 0.1; steps: 60 -> 70)" in err and "--restart" in err
    assert open(os.path.join(run_dir, "config.yaml")).read() == before
    # resume-safe keys may change; --restart starts over explicitly
    assert toy_train.main(["--run-dir", run_dir, "--threads", "2", "--session-steps", "5"]) == 130
    assert _ckpt_steps(run_dir)[-1] == 15
    assert toy_train.main(["--run-dir", run_dir, "--lr", "0.1", "--restart", "--session-steps", "3"]) == 130
    assert _ckpt_steps(run_dir) == [3]
    assert "lr: 0.1" in open(os.path.join(run_dir, "config.yaml")).read()


def test_second_process_on_a_locked_run_dir_is_refused_naming_the_holder(tmp_path, capsys):
    run_dir = str(tmp_path / "r")
    os.makedirs(run_dir)
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); f.write('4242\\n'); f.flush(); print('locked', flush=True); "
                               "time.sleep(60)", os.path.join(run_dir, ".lock")], stdout=subprocess.PIPE,
                              universal_newlines=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert toy_train.main(["--run-dir", run_dir]) == 2
        assert "in use by process 4242" in capsys.readouterr().err
        assert not os.path.exists(os.path.join(run_dir, "config.yaml"))
    finally:
        holder.kill()
        holder.wait()
    assert toy_train.main(["--run-dir", run_dir, "--session-steps", "2"]) == 130  # the OS released the lock
    with open(os.path.join(run_dir, ".lock")) as handle:  # and we released ours
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _corrupt(path, how):
    if how == "missing":
        os.remove(path)
    else:
        data = open(path, "rb").read()
        open(path, "wb").write(data[:len(data) // 2])


@pytest.mark.parametrize("what, how", [("data-00000-of-00001", "truncated"), ("index", "truncated"),
                                       ("data-00000-of-00001", "missing"), ("index", "missing")])
def test_restore_falls_back_to_the_newest_readable_checkpoint(tmp_path, capsys, what, how):
    run_dir, whole = str(tmp_path / "r"), str(tmp_path / "whole")
    assert toy_train.main(["--run-dir", whole]) == 0
    assert toy_train.main(["--run-dir", run_dir, "--session-steps", "30"]) == 130
    _corrupt(os.path.join(run_dir, "checkpoints", "ckpt-30." + what), how)
    capsys.readouterr()
    assert toy_train.main(["--run-dir", run_dir]) == 0
    err = capsys.readouterr().err
    assert "resumed from step 20" in err
    if how == "truncated" or what == "data-00000-of-00001":
        assert "ckpt-30 cannot be read" in err and "newest readable" in err
    np.testing.assert_array_equal(np.load(os.path.join(whole, "w.npy")), np.load(os.path.join(run_dir, "w.npy")))
    assert _ckpt_steps(run_dir) == [40, 50, 60]


def test_no_readable_checkpoint_is_an_error_not_a_silent_restart(tmp_path, capsys):
    run_dir = str(tmp_path / "r")
    assert toy_train.main(["--run-dir", run_dir, "--session-steps", "10"]) == 130
    _corrupt(os.path.join(run_dir, "checkpoints", "ckpt-10.data-00000-of-00001"), "truncated")
    assert toy_train.main(["--run-dir", run_dir]) == 2
    assert "no readable checkpoint" in capsys.readouterr().err
    assert _ckpt_steps(run_dir) == [10]


def test_failed_fresh_run_leaves_no_dir_behind(tmp_path, monkeypatch):
    run_dir = str(tmp_path / "new" / "r")

    def boom(*args, **kwargs):
        raise RuntimeError("graph bug")
    monkeypatch.setattr(toy_train, "build", boom)
    with pytest.raises(RuntimeError):
        toy_train.main(["--run-dir", run_dir])
    assert not os.path.exists(run_dir)


def test_run_dir_that_is_a_file_is_refused(tmp_path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    assert toy_train.main(["--run-dir", str(path)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert path.read_text() == "x"


def test_history_rows_and_series():
    hist = run.History()
    hist.append(1, {"a": np.float32(0.5), "b": 2})
    hist.append(2, {"a": 0.25})
    assert hist.series("a") == ([1, 2], [0.5, 0.25]) and hist.series("b") == ([1], [2])
    assert hist.last("b") == 2 and hist.last("zzz", "none") == "none"
    assert isinstance(hist.rows[0]["a"], float)


def test_checkpointer_restore_without_checkpoint_is_a_clear_error(tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        tf.get_variable("v", [1])
        ckpt = run.Checkpointer(str(tmp_path / "ck"))
    with tf.Session(graph=graph) as sess, pytest.raises(run.RunError, match="no checkpoint"):
        ckpt.restore(sess)


def test_a_signal_after_the_last_step_stops_at_once_and_the_same_command_finishes(tmp_path):
    run_dir = str(tmp_path / "r")
    stopped = _run("--run-dir", run_dir, "--steps", 30, "--kill-after")
    assert stopped.returncode == 130, stopped.stderr
    assert "after the last saved step" in stopped.stderr
    assert not os.path.exists(os.path.join(run_dir, "metrics.json")) and _ckpt_steps(run_dir)[-1] == 30
    finished = _run("--run-dir", run_dir, "--steps", 30)
    assert finished.returncode == 0, finished.stderr
    assert json.load(open(os.path.join(run_dir, "metrics.json")))["steps"] == 30
