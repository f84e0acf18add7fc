"""common.training: resume after an interruption reproduces the uninterrupted run; seeding; helpers."""
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from common import training

TOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_train.py")


def _run(*args):
    return subprocess.run([sys.executable, TOY] + [str(a) for a in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


def test_interrupted_run_resumes_to_identical_weights(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    assert _run(whole, 60).returncode == 0
    stopped = _run(parts, 60, 23)
    assert stopped.returncode == 1, stopped.stderr
    assert "stop requested" in stopped.stderr
    assert not os.path.exists(os.path.join(parts, "w.npy"))
    assert tf.train.latest_checkpoint(os.path.join(parts, "checkpoints")).endswith("ckpt-24")
    resumed = _run(parts, 60)
    assert resumed.returncode == 0, resumed.stderr
    np.testing.assert_array_equal(np.load(os.path.join(whole, "w.npy")), np.load(os.path.join(parts, "w.npy")))


def test_batch_indices_are_a_permutation_per_epoch_and_depend_on_seed():
    graph = tf.Graph()
    with graph.as_default():
        step = tf.placeholder(tf.int64, [])
        idx = training.batch_indices(12, 4, seed=5, step=step)
        other = training.batch_indices(12, 4, seed=6, step=step)
    with tf.Session(graph=graph) as sess:
        epoch0 = np.concatenate([sess.run(idx, {step: s}) for s in range(3)])
        epoch1 = np.concatenate([sess.run(idx, {step: s}) for s in range(3, 6)])
        again = np.concatenate([sess.run(idx, {step: s}) for s in range(3)])
        other0 = np.concatenate([sess.run(other, {step: s}) for s in range(3)])
    assert sorted(epoch0) == list(range(12)) and sorted(epoch1) == list(range(12))
    assert not np.array_equal(epoch0, epoch1)
    np.testing.assert_array_equal(epoch0, again)
    assert not np.array_equal(epoch0, other0)


def test_seed_everything_makes_graph_random_ops_repeatable():
    def draw(seed):
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(seed)
            value = tf.random.normal([4])
        with tf.Session(graph=graph) as sess:
            return sess.run(value), np.random.rand()
    a, b, c = draw(1), draw(1), draw(2)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert not np.array_equal(a[0], c[0])


def test_checkpointer_restore_without_checkpoint_is_a_clear_error(tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        tf.get_variable("v", [1])
        ckpt = training.Checkpointer(str(tmp_path / "ck"))
    with tf.Session(graph=graph) as sess:
        try:
            ckpt.restore(sess)
        except FileNotFoundError as err:
            assert "no checkpoint" in str(err)
        else:
            raise AssertionError("restore without a checkpoint must fail")


def test_run_paths_layout(tmp_path):
    paths = training.RunPaths(str(tmp_path / "run"))
    assert os.path.isdir(paths.checkpoints) and os.path.isdir(paths.samples)
    assert paths.metrics.endswith("metrics.json") and paths.config.endswith("config.yaml")
    assert training.default_run_dir("tf1_gan", "x") == os.path.join("runs", "tf1_gan", "x")
