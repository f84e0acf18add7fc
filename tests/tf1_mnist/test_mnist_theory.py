"""CS7643 A1 theory problems, checked (docs/tf1_mnist.md gives the derivations)."""
import itertools

import numpy as np
import tensorflow as tf

from tf1_mnist.models import _base_network as base

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def threshold_neuron(w, b, x):
    """f(x) = 1 if w.x + b >= 0 else 0 (seed 002, eq. 2)."""
    return (x @ np.asarray(w, float) + b >= 0).astype(int)


def test_softmax_jacobian_is_diag_s_minus_s_st():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    with tf.Graph().as_default():
        zt = tf.constant(z[None, :])
        s = base.softmax(zt)[0]
        rows = [tf.gradients(s[i], zt)[0][0] for i in range(4)]  # row i = d s_i / d z
        with tf.Session() as sess:
            s_v, jac = sess.run([s, tf.stack(rows)])
    np.testing.assert_allclose(jac, np.diag(s_v) - np.outer(s_v, s_v), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(jac.sum(axis=0), 0, atol=1e-14)  # shifting all logits changes nothing


def test_and_or_weights():
    np.testing.assert_array_equal(threshold_neuron([1, 1], -1.5, INPUTS), [0, 0, 0, 1])
    np.testing.assert_array_equal(threshold_neuron([1, 1], -0.5, INPUTS), [0, 1, 1, 1])


def test_xor_not_linearly_separable():
    xor = np.array([0, 1, 1, 0])
    grid = np.linspace(-3, 3, 61)
    params = np.array(list(itertools.product(grid, grid, grid)))  # (61**3, 3) rows w1, w2, b
    out = (INPUTS @ params[:, :2].T + params[:, 2] >= 0).astype(int).T  # (61**3, 4)
    assert not (out == xor).all(axis=1).any()
    # The proof's step on every grid point: 00 -> 0 gives b < 0, 01 and 10 -> 1 give w2 >= -b and w1 >= -b,
    # so w1 + w2 + b >= -b > 0 and 11 -> 1, never 0.
    first_three = (out[:, :3] == [0, 1, 1]).all(axis=1)
    assert first_three.any() and (out[first_three, 3] == 1).all()


def test_xor_with_two_layers():
    """One hidden layer suffices: XOR = AND(OR, NAND)."""
    hidden = np.stack([threshold_neuron([1, 1], -0.5, INPUTS), threshold_neuron([-1, -1], 1.5, INPUTS)], axis=1)
    np.testing.assert_array_equal(threshold_neuron([1, 1], -1.5, hidden), [0, 1, 1, 0])
