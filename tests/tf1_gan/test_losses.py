"""The loss interface in compare_gan's shape: BCE (the seed's), hinge and the R1 penalty against numbers worked out
by hand on tiny tensors; loss-aware monitors; the objective composed outside the loss; a one-step run with each
option; the default unchanged (BCE, no penalty, the same monitors and summary tags)."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tf1_gan import losses
from tf1_gan import options
from tf1_gan import train
from tf1_gan import train_graph

REAL = np.array([[0.5], [-2.0]], np.float32)
FAKE = np.array([[1.5], [-0.5]], np.float32)


def _run(fn):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(fn())


def test_hinge_by_hand():
    # d_real = mean(relu(1 - [0.5, -2])) = mean(0.5, 3) = 1.75; d_fake = mean(relu(1 + [1.5, -0.5])) = mean(2.5, 0.5)
    # = 1.5; d_loss = 3.25; g_loss = -mean(1.5, -0.5) = -0.5; monitors: mean logits 0.5*(0.5-2) and 0.5*(1.5-0.5)
    parts = _run(lambda: losses.hinge(tf.constant(REAL), tf.constant(FAKE)))
    assert parts.d_loss == pytest.approx(3.25, abs=1e-6)
    assert parts.g_loss == pytest.approx(-0.5, abs=1e-6)
    assert dict(parts.extras) == pytest.approx({"d_real_logit": -0.75, "d_fake_logit": 0.5}, abs=1e-6)


def test_bce_by_hand_and_stable():
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    parts = _run(lambda: losses.bce(tf.constant(REAL), tf.constant(FAKE)))
    d_real, d_fake = -np.mean(np.log(sig(REAL))), -np.mean(np.log(1 - sig(FAKE)))
    assert parts.d_loss == pytest.approx(0.5 * (d_real + d_fake), rel=1e-5)
    assert parts.g_loss == pytest.approx(-np.mean(np.log(sig(FAKE))), rel=1e-5)
    # the monitors are D's probabilities: only a BCE-like loss reports them
    assert dict(parts.extras) == pytest.approx({"d_real": np.mean(sig(REAL)), "d_fake": np.mean(sig(FAKE))}, rel=1e-5)
    # a logit of -100 would give log(sigmoid) = -inf in the naive formula; ours stays finite
    big = _run(lambda: losses.bce(tf.constant([[0.0]]), tf.constant([[-100.0]])).g_loss)
    assert big == pytest.approx(100.0, rel=1e-4)


def test_r1_by_hand():
    """D(x) = sum(w * x) has grad w for every image: R1 = |w|^2 / 2; D(x) = sum(x^2) has grad 2x: mean |2x|^2 / 2."""
    x = np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1) / 10.0  # two 2x2 "images"
    w = np.array([1.0, -2.0, 0.5, 3.0], np.float32).reshape(1, 2, 2, 1)

    def penalty(d_fn):
        real = tf.constant(x)
        return losses.r1(real, None, d_fn(real), d_fn)

    linear = _run(lambda: penalty(lambda t: tf.reduce_sum(t * w, axis=[1, 2, 3])[:, None]))
    assert linear == pytest.approx(0.5 * np.sum(w ** 2), rel=1e-6)  # 0.5 * 14.25
    square = _run(lambda: penalty(lambda t: tf.reduce_sum(t * t, axis=[1, 2, 3])[:, None]))
    expected = 0.5 * np.mean([np.sum((2 * img) ** 2) for img in x])  # images: 0.14 and 1.26 -> 0.5 * 2.8
    assert square == pytest.approx(expected, rel=1e-6)


def test_the_penalty_is_composed_outside_the_loss():
    x = np.ones((2, 2, 2, 1), np.float32)
    w = np.full((1, 2, 2, 1), 0.5, np.float32)  # R1 = 0.5 * 4 * 0.25 = 0.5

    def parts(objective):
        real = tf.constant(x)
        d_fn = lambda t: tf.reduce_sum(t * w, axis=[1, 2, 3])[:, None]  # noqa: E731
        return objective.d_phase(real, None, d_fn(real), tf.constant(FAKE), d_fn)

    plain = _run(lambda: parts(losses.Objective("hinge")))
    with_r1 = _run(lambda: parts(losses.Objective("hinge", "r1", 10.0)))
    assert with_r1.d_loss == pytest.approx(plain.d_loss + 10.0 * 0.5, rel=1e-6)
    assert with_r1.g_loss == pytest.approx(plain.g_loss)
    assert list(with_r1.extras) == ["d_real_logit", "d_fake_logit", "d_penalty"]
    assert with_r1.extras["d_penalty"] == pytest.approx(0.5)
    assert losses.Objective("hinge", "r1", 10.0).label == "hinge loss (D: + 10 x r1)"
    assert losses.Objective().label == "BCE"


def test_unknown_names_and_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown loss 'wgan'"):
        losses.get_loss("wgan")
    with pytest.raises(ValueError, match="unknown penalty 'gp'"):
        losses.get_penalty("gp")
    with tf.Graph().as_default():
        for fn in (losses.bce, losses.hinge):
            with pytest.raises(ValueError, match="logits must be"):
                fn(tf.zeros([4, 2]), tf.zeros([4, 2]))
            with pytest.raises(ValueError, match="differ in shape"):
                fn(tf.zeros([4, 1]), tf.zeros([4]))


def test_the_default_is_the_seeds_bce_without_penalty(capsys):
    cfg = options.train_config()
    assert (cfg.loss, cfg.penalty) == ("bce", "none")
    with pytest.raises(SystemExit):
        train.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "'bce' = the seed's binary cross-entropy" in text and "(default: bce)" in text
    assert "'none' (the default, as the seed: BCE without a penalty)" in text and "(default: none)" in text
    g = train_graph.build_train_graph(options.train_config(variant="linear", batch_size=8), 16)
    assert list(g.monitors) == ["d_real", "d_fake"] and g.loss_label == "BCE"
    scalar_tags = sorted(tf.make_ndarray(op.inputs[0].op.get_attr("value")).item().decode()
                         for op in g.graph.get_operations() if op.type == "ScalarSummary")
    assert scalar_tags == ["d/fake", "d/real", "loss/d", "loss/g"]


@pytest.mark.parametrize("argv, monitors, variant", [
    (["--loss", "hinge"], ["d_fake_logit", "d_real_logit"], "dcgan_bn"),
    (["--penalty", "r1", "--penalty-weight", "5"], ["d_fake", "d_penalty", "d_real"], "dcgan_sn"),
    (["--loss", "hinge", "--penalty", "r1"], ["d_fake_logit", "d_penalty", "d_real_logit"], "linear_bn"),
])
def test_one_step_runs_with_each_option(tmp_path, argv, monitors, variant):
    run_dir = str(tmp_path / "run")
    assert train.main(["--variant", variant, "--epochs", "1", "--num-train", "64", "--no-eval", "--threads", "1",
                       "--run-dir", run_dir] + argv) == 0
    history = json.load(open(os.path.join(run_dir, "history.json")))
    assert len(history) == 1
    assert sorted(history[0]) == sorted(["step", "d_loss", "g_loss"] + monitors)
    assert all(np.isfinite(v) for v in history[0].values())
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert {"final_" + m for m in monitors} <= set(metrics)
    assert os.path.exists(os.path.join(run_dir, "loss_curves.png"))


def test_penalty_flags_are_checked(tmp_path, capsys):
    assert train.main(["--penalty", "gp", "--run-dir", str(tmp_path / "r")]) == 2
    assert "argument --penalty: invalid choice: 'gp'" in capsys.readouterr().err
    assert train.main(["--penalty-weight", "-1", "--run-dir", str(tmp_path / "r")]) == 2
    assert "'penalty_weight' must be a finite number >= 0.0" in capsys.readouterr().err
    assert not os.path.exists(str(tmp_path / "r"))
