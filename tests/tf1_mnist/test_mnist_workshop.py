"""Seed 004 questions 1-3, answered by tests (docs/tf1_mnist.md points here)."""
import numpy as np
import pytest
import tensorflow as tf


def _run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


X = np.random.RandomState(0).randn(4, 12, 12, 3).astype(np.float32)


def test_q1_relu_and_maxpool_commute():
    """max is monotone, ReLU is monotone non-decreasing: relu(max(a, b)) = max(relu(a), relu(b)) exactly."""
    with tf.Graph().as_default():
        x = tf.constant(X)
        pool = lambda t: tf.layers.max_pooling2d(t, 2, 2)  # noqa: E731
        a, b = _run([pool(tf.nn.relu(x)), tf.nn.relu(pool(x))])
        sig_a, sig_b = _run([pool(tf.sigmoid(x)), tf.sigmoid(pool(x))])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sig_a, sig_b)  # any monotone non-decreasing activation commutes


def test_q1_full_network_same_output_with_order_swapped():
    """Swapping every (relu, maxpool) pair in the layer list leaves the network's output unchanged."""
    from tf1_mnist import convnet
    layers = convnet.layer_list("2d")
    swapped = list(layers)
    for i in range(len(swapped) - 1):
        if swapped[i][0] == "relu" and swapped[i + 1][0] == "maxpool":
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    assert swapped != layers
    x = np.random.RandomState(1).rand(5, 28, 28, 1).astype(np.float32)
    outs = []
    for spec in (layers, swapped):
        with tf.Graph().as_default():
            tf.set_random_seed(3)
            logits, _ = convnet.convnet_sequential(tf.constant(x), True, spec)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                outs.append(sess.run(logits))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_q1_counterexamples_average_pool_and_non_monotone():
    """The commuting is special to max + monotone activations: average pooling or x**2 break it."""
    with tf.Graph().as_default():
        x = tf.constant(X)
        avg = lambda t: tf.layers.average_pooling2d(t, 2, 2)  # noqa: E731
        mx = lambda t: tf.layers.max_pooling2d(t, 2, 2)  # noqa: E731
        a, b, c, d = _run([avg(tf.nn.relu(x)), tf.nn.relu(avg(x)), mx(tf.square(x)), tf.square(mx(x))])
    assert np.abs(a - b).max() > 0.1 and np.abs(c - d).max() > 0.1


def test_q2_batchnorm2d_is_per_channel_over_nhw_and_1d_per_feature():
    """BatchNorm2d fits after a conv (N, H, W, C): one mean/var per channel over N, H, W.
    BatchNorm1d fits after a dense layer (N, F): one mean/var per feature over N. BatchNorm3d needs
    5-D volumes (N, D, H, W, C), which this network never has."""
    feats = np.random.RandomState(2).randn(16, 32).astype(np.float32) * 3 + 1
    with tf.Graph().as_default():
        out4 = tf.layers.batch_normalization(tf.constant(X * 2 + 5), training=True, epsilon=1e-5)
        out2 = tf.layers.batch_normalization(tf.constant(feats), training=True, epsilon=1e-5)
        gamma4 = [v for v in tf.global_variables() if v.op.name == "batch_normalization/gamma"][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o4, o2 = sess.run([out4, out2])
            assert sess.run(gamma4).shape == (3,)  # one scale per channel
    ref4 = (X * 2 + 5 - (X * 2 + 5).mean(axis=(0, 1, 2))) / np.sqrt((X * 2 + 5).var(axis=(0, 1, 2)) + 1e-5)
    np.testing.assert_allclose(o4, ref4, atol=1e-4)
    ref2 = (feats - feats.mean(axis=0)) / np.sqrt(feats.var(axis=0) + 1e-5)
    np.testing.assert_allclose(o2, ref2, atol=1e-4)


def _conv_shape(size, kernel, padding=0):
    with tf.Graph().as_default():
        x = tf.zeros((1, size, size, 1))
        if padding:
            x = tf.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]])
        return tuple(tf.layers.conv2d(x, 1, kernel, padding="valid").shape.as_list())


def test_q3a_valid_5x5_conv_maps_10_to_6():
    """Without padding the 5x5 window fits 10 - 5 + 1 = 6 times per axis."""
    assert _conv_shape(10, 5) == (1, 6, 6, 1)


def test_q3b_kernel_1_keeps_shape():
    assert _conv_shape(10, 1) == (1, 10, 10, 1)


@pytest.mark.parametrize("size,kernel,padding,expected", [(10, 5, 2, 10), (10, 3, 1, 10), (28, 5, 0, 24), (12, 5, 0, 8)])
def test_q3c_padding_formula(size, kernel, padding, expected):
    """out = n + 2p - k + 1 (stride 1); p = (k - 1) / 2 keeps the size, as nn.Conv2d(1, 1, 5, padding=2)."""
    assert _conv_shape(size, kernel, padding) == (1, expected, expected, 1) == (1, size + 2 * padding - kernel + 1,
                                                                                 size + 2 * padding - kernel + 1, 1)


def test_q3c_zero_padding_2_equals_same_padding():
    x = np.random.RandomState(4).rand(2, 10, 10, 1).astype(np.float32)
    kernel = np.random.RandomState(5).randn(5, 5, 1, 1).astype(np.float32)
    with tf.Graph().as_default():
        padded = tf.pad(tf.constant(x), [[0, 0], [2, 2], [2, 2], [0, 0]])  # zeros around the border
        a = tf.nn.conv2d(padded, kernel, strides=1, padding="VALID")
        b = tf.nn.conv2d(tf.constant(x), kernel, strides=1, padding="SAME")
        a, b = _run([a, b])
    assert a.shape == (2, 10, 10, 1)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
