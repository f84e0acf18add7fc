"""Layer 2 (exact math): the skeleton's helpers in `models/_base_network.py` against known answers.

The public CS7643 tests compare these to 7 places on fixed inputs; the official inputs of the activation and
softmax tests are not in our seed, so we use our own fixed inputs and closed-form values. The cross-entropy
case is rebuilt from the published answer: probabilities [[.2,.5,.3],[.5,.1,.4],[.3,.3,.4]] with labels
[1, 2, 0] give -(ln .5 + ln .4 + ln .3)/3 = 0.937803 and accuracy 1/3.
"""
import math

import numpy as np
import tensorflow as tf

from tf1_mnist.models import _base_network as base

X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])


def _run(tensor):
    with tf.Session() as sess:
        return sess.run(tensor)


def test_sigmoid_and_derivative_known_values():
    with tf.Graph().as_default():
        s, ds = _run([base.sigmoid(X), base.sigmoid_dev(X)])
    expected = 1.0 / (1.0 + np.exp(-X))
    np.testing.assert_almost_equal(s, expected, decimal=7)
    np.testing.assert_almost_equal(ds, expected * (1 - expected), decimal=7)
    assert s[0, 2] == 0.5 and ds[0, 2] == 0.25  # sigma(0) = 1/2, sigma'(0) = 1/4 exactly
    np.testing.assert_almost_equal(s[1, 2], 0.9525741, decimal=7)  # sigma(3)


def test_sigmoid_saturates_without_nan():
    with tf.Graph().as_default():
        s = _run(base.sigmoid(np.array([-1000.0, 1000.0], np.float32)))
    np.testing.assert_array_equal(s, [0.0, 1.0])


def test_relu_and_derivative():
    with tf.Graph().as_default():
        r, dr = _run([base.ReLU(X), base.ReLU_dev(X)])
    np.testing.assert_array_equal(r, [[0, 0, 0], [0.5, 1, 3]])
    np.testing.assert_array_equal(dr, [[0, 0, 0], [1, 1, 1]])  # 0 at x = 0, like tf.nn.relu's gradient


def test_softmax_known_values_and_shift_invariance():
    scores = np.array([[0.0, math.log(3.0)], [1000.0, 1000.0 + math.log(3.0)], [1.0, 2.0]])
    with tf.Graph().as_default():
        p = _run(base.softmax(scores))
    np.testing.assert_almost_equal(p[0], [0.25, 0.75], decimal=7)
    np.testing.assert_almost_equal(p[1], [0.25, 0.75], decimal=7)  # no overflow at 1000
    np.testing.assert_almost_equal(p[2], [0.2689414, 0.7310586], decimal=7)
    np.testing.assert_almost_equal(p.sum(axis=1), np.ones(3), decimal=7)


def test_cross_entropy_and_accuracy_course_case():
    probs = np.array([[0.2, 0.5, 0.3], [0.5, 0.1, 0.4], [0.3, 0.3, 0.4]])
    labels = np.array([1, 2, 0])
    with tf.Graph().as_default():
        loss, acc = _run([base.cross_entropy_loss(probs, labels), base.compute_accuracy(probs, labels)])
    assert abs(loss - 0.937803) < 1e-6  # exact: 0.93780357
    assert round(acc, 4) == 0.3333


def test_softmax_ce_grad_matches_tf_gradients():
    rng = np.random.RandomState(0)
    logits = rng.randn(5, 4)
    labels = rng.randint(0, 4, size=5)
    with tf.Graph().as_default():
        z = tf.constant(logits)
        probs = base.softmax(z)
        loss = base.cross_entropy_loss(probs, labels)
        hand, auto = _run([base.softmax_ce_grad(probs, labels), tf.gradients(loss, z)[0]])
    np.testing.assert_allclose(hand, auto, rtol=1e-6, atol=1e-12)
