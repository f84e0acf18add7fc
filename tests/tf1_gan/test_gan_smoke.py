"""Tiny end-to-end runs: train writes its outputs, resume reproduces an uninterrupted run, CLIs behave."""
import glob
import os

import numpy as np
import pytest

from common import config, files
from tf1_gan import evaluate
from tf1_gan import sample
from tf1_gan import train


def _images(n=64):
    return np.random.RandomState(1).randint(0, 256, size=(n, 28, 28)).astype(np.uint8)


def _cfg(**kw):
    values = dict(train.DEFAULTS, variant="linear_bn", batch_size=16, epochs=2, log_every=1, eval=False,
                  threads=1)
    values.update(kw)
    return config.Config(values)


def test_train_writes_outputs_and_resume_matches_uninterrupted(tmp_path):
    images = _images()
    straight = str(tmp_path / "straight")
    metrics = train.train(_cfg(), images, straight, quiet=True)
    assert metrics["steps"] == 8
    for name in ("config.yaml", "metrics.json", "history.json", "loss_curves.png", "samples/middle.png",
                 "samples/end.png", "samples/end_batchstats.png", "checkpoints/checkpoint"):
        assert os.path.exists(os.path.join(straight, name)), name
    assert glob.glob(os.path.join(straight, "events.out.tfevents.*"))
    assert np.load(os.path.join(straight, "samples", "end.npy")).shape == (64, 28, 28)

    # "Interrupted" after epoch 1, then the same run continued to epoch 2 from its checkpoint.
    resumed = str(tmp_path / "resumed")
    train.train(_cfg(epochs=1), images, resumed, quiet=True)
    train.train(_cfg(), images, resumed, quiet=True)
    a = files.read_json(os.path.join(straight, "history.json"))
    b = files.read_json(os.path.join(resumed, "history.json"))
    assert a["step"] == b["step"] == list(range(1, 9))
    assert a["d_loss"] == b["d_loss"] and a["g_loss"] == b["g_loss"]


def test_sample_cli_writes_float_array_in_range(tmp_path):
    run_dir = str(tmp_path / "run")
    train.train(_cfg(variant="linear", epochs=1), _images(), run_dir, quiet=True)
    out = str(tmp_path / "s.npy")
    assert sample.main(["--run-dir", run_dir, "--n", "10", "--out", out]) == 0
    arr = np.load(out)
    assert arr.shape == (10, 28, 28) and arr.dtype == np.float32
    assert arr.min() >= -1.0 and arr.max() <= 1.0
    assert sample.main(["--run-dir", str(tmp_path / "missing"), "--n", "3", "--out", out]) == 2


def test_train_cli_rejects_bad_variant(capsys):
    assert train.main(["--variant", "dcgan_sn", "--sn-scope", "everywhere"]) == 2
    assert "unknown sn_scope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse/config errors exit 2 with the reason
        train.main(["--variant", "dcgan_bn", "--epochs", "ten"])
    assert exc.value.code == 2
    assert train.main(["--variant", "wgan"]) == 2
    assert "unknown variant" in capsys.readouterr().err


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
