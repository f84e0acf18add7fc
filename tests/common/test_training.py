"""common.training: step-keyed randomness and seeding (the run skeleton is tested in test_run.py)."""
import numpy as np
import tensorflow as tf

from common import training


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
