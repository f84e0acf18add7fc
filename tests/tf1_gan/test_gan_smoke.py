"""Tiny end-to-end runs: train writes its outputs, resume reproduces an uninterrupted run, CLIs behave."""
import glob
import os
import stat

import numpy as np
import pytest

from common import files, run
from tf1_gan import compare
from tf1_gan import evaluate
from tf1_gan import options
from tf1_gan import sample
from tf1_gan import task as gan_task
from tf1_gan import train


def _images(n=64):
    return np.random.RandomState(1).randint(0, 256, size=(n, 28, 28)).astype(np.uint8)


def _cfg(**kw):
    values = dict(variant="linear_bn", batch_size=16, epochs=2, log_every=1, eval=False, threads=1)
    values.update(kw)
    return options.train_config(**values)


def _quiet(_message):
    pass


def test_train_writes_outputs_and_resume_matches_uninterrupted(tmp_path):
    images = _images()
    straight = str(tmp_path / "straight")
    metrics = gan_task.train(_cfg(), images, straight, log=_quiet)
    assert metrics["steps"] == 8
    for name in ("config.yaml", "metrics.json", "history.json", "loss_curves.png", "samples/middle.png",
                 "samples/end.png", "samples/end_batchstats.png"):
        assert os.path.exists(os.path.join(straight, name)), name
    assert glob.glob(os.path.join(straight, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(run.RunPaths(straight).checkpoints, "checkpoint"))
    assert np.load(os.path.join(straight, "samples", "end.npy")).shape == (64, 28, 28)

    # Stopped after epoch 1 (4 steps; what Ctrl-C does, at a known step), then the same run resumed.
    resumed = str(tmp_path / "resumed")
    assert gan_task.train(_cfg(session_steps=4), images, resumed, log=_quiet) is None
    assert not os.path.exists(os.path.join(resumed, "metrics.json"))
    gan_task.train(_cfg(), images, resumed, log=_quiet)
    a = files.read_json(os.path.join(straight, "history.json"))
    b = files.read_json(os.path.join(resumed, "history.json"))
    assert [r["step"] for r in a] == [r["step"] for r in b] == list(range(1, 9))
    assert [(r["d_loss"], r["g_loss"]) for r in a] == [(r["d_loss"], r["g_loss"]) for r in b]


def test_sample_cli_writes_float_array_in_range(tmp_path):
    run_dir = str(tmp_path / "run")
    gan_task.train(_cfg(variant="linear", epochs=1), _images(), run_dir, log=_quiet)
    out = str(tmp_path / "s.npy")
    assert sample.main(["--run-dir", run_dir, "--n", "10", "--out", out]) == 0
    arr = np.load(out)
    assert arr.shape == (10, 28, 28) and arr.dtype == np.float32
    assert arr.min() >= -1.0 and arr.max() <= 1.0
    assert sample.main(["--run-dir", str(tmp_path / "missing"), "--n", "3", "--out", out]) == 2


def test_train_cli_rejects_bad_variant(capsys):
    assert train.main(["--variant", "dcgan_sn", "--sn-scope", "everywhere"]) == 2
    assert "invalid choice: 'everywhere'" in capsys.readouterr().err
    assert train.main(["--variant", "dcgan_bn", "--epochs", "ten"]) == 2  # argparse/config errors exit 2
    assert "invalid int value: 'ten'" in capsys.readouterr().err
    assert train.main(["--variant", "wgan"]) == 2
    assert "invalid choice: 'wgan'" in capsys.readouterr().err


def test_frechet_distance_known_answers():
    rng = np.random.RandomState(0)
    feats = rng.randn(500, 4)
    assert evaluate.fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-8)
    # Gaussians N(m1, diag(a)) and N(m2, diag(b)): |m1-m2|^2 + sum(a + b - 2 sqrt(a b))
    m1, m2 = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    a, b = np.array([1.0, 4.0]), np.array([9.0, 1.0])
    expected = np.sum((m1 - m2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    assert evaluate.frechet_distance(m1, np.diag(a), m2, np.diag(b)) == pytest.approx(expected, rel=1e-9)
    # a full (non-diagonal) covariance against the eigen-decomposition answer
    c1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert evaluate.frechet_distance(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-9)


def test_sample_stats_histogram_and_coverage():
    probs = np.zeros((100, 10))
    probs[:50, 3] = 0.95
    probs[:50, 4] = 0.05
    probs[50:, 7] = 0.6
    probs[50:, 1] = 0.4
    stats = evaluate.sample_stats(probs)
    assert stats["digit_histogram"][3] == 0.5 and stats["digit_histogram"][7] == 0.5
    assert stats["confident_fraction"] == 0.5
    assert stats["digits_covered"] == 2


def _fifo(path):
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind, pattern", [
    ("directory", "is a directory"), ("fifo", "not a regular file"), ("read-only", "read-only"),
    ("missing dir", "does not exist"), ("under a file", "is not a directory")])
def test_sample_refuses_an_output_that_would_lose_something(tmp_path, capsys, kind, pattern):
    """Checked before the run dir is even read: nothing is computed, the path is left as it was."""
    target = {"directory": lambda p: (os.mkdir(p), p)[1], "fifo": _fifo,
              "read-only": lambda p: (open(p, "w").write("keep"), os.chmod(p, stat.S_IRUSR), p)[2],
              "missing dir": lambda p: os.path.join(p, "no", "out.npy"),
              "under a file": lambda p: (open(p, "w").write("x"), os.path.join(p, "out.npy"))[1]}[kind](
                  str(tmp_path / "out"))
    before = sorted(os.listdir(str(tmp_path)))
    assert sample.main(["--run-dir", str(tmp_path / "no-run"), "--out", target]) == 2
    err = capsys.readouterr().err
    assert pattern in err and "Traceback" not in err
    assert sorted(os.listdir(str(tmp_path))) == before
    if kind == "read-only":
        assert open(target).read() == "keep"


@pytest.mark.parametrize("argv, pattern", [(["--n", "0"], "'n' must be an integer >= 1"),
                                           (["--bn", "running"], "invalid choice: 'running'"),
                                           (["--seed", "-1"], "'seed' must be an integer >= 0"),
                                           ([], "--out is required")])
def test_sample_validates_its_numbers(tmp_path, capsys, argv, pattern):
    out = [] if not argv else ["--out", str(tmp_path / "s.npy")]
    assert sample.main(["--run-dir", str(tmp_path)] + out + argv) == 2
    assert pattern in capsys.readouterr().err


def test_helper_clis_exit_2_on_bad_input(tmp_path, capsys):
    assert evaluate.main([str(tmp_path), "--n", "1"]) == 2
    assert "--n: must be >= 2" in capsys.readouterr().err
    assert evaluate.main([str(tmp_path / "nothing")]) == 2  # not a run dir: refused before any classifier work
    assert "no config.yaml" in capsys.readouterr().err
    assert compare.main([str(tmp_path / "nothing")]) == 2
    assert "no config.yaml" in capsys.readouterr().err
    run_dir = str(tmp_path / "run")
    gan_task.train(_cfg(variant="linear", epochs=1), _images(), run_dir, log=_quiet)
    open(str(tmp_path / "file"), "w").write("x")
    assert compare.main([run_dir, "--out", str(tmp_path / "file")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err
    assert compare.main([run_dir, "--out", str(tmp_path / "cmp")]) == 0
    assert os.path.exists(str(tmp_path / "cmp" / "compare.png"))


def test_fid_every_evaluates_the_first_checkpoint_after_every_n_steps(tmp_path, monkeypatch):
    """--fid-every N: FID over time in history.json and TensorBoard, each from the checkpoint just written."""
    calls = []

    def fake_evaluate_run(run_dir, n, seed=0, threads=2):  # pylint: disable=unused-argument
        indexes = glob.glob(os.path.join(run.RunPaths(run_dir).checkpoints, "ckpt-*.index"))
        newest = max(int(os.path.basename(p)[len("ckpt-"):-len(".index")]) for p in indexes)
        calls.append(newest)
        return {"fid": 100.0 - newest, "digits_covered": 3, "confident_fraction": 0.5, "real_floor_fid": 1.0}

    monkeypatch.setattr(evaluate, "evaluate_run", fake_evaluate_run)
    run_dir = str(tmp_path / "run")
    metrics = gan_task.train(_cfg(variant="linear", eval=True, fid_every=3, ckpt_every=2), _images(), run_dir,
                             log=_quiet)
    assert calls == [4, 6, 8]  # first checkpoints after 3 and 6 steps, then the end's evaluation
    rows = files.read_json(os.path.join(run_dir, "history.json"))
    assert [(r["step"], r["eval/fid"]) for r in rows if "eval/fid" in r] == [(4, 96.0), (6, 94.0)]
    assert metrics["fid"] == 92.0
