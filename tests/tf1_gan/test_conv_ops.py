"""conv_ops computes tf.nn.conv2d / conv2d_transpose and their gradients exactly (to float32 rounding)."""
import numpy as np
import pytest
import tensorflow as tf

from tf1_gan import conv_ops
from tf1_gan import model

# (x shape of the transposed conv, its kernel (K, K, Cout, Cin), stride): tf1_gan's layers at batch 3
# (deconv1, deconv2, deconv3 / D's conv2, conv1) and odd cases (even kernel, stride 3, K < stride).
CASES = [
    ((3, 7, 7, 16), (5, 5, 8, 16), 1),
    ((3, 7, 7, 8), (5, 5, 4, 8), 2),
    ((3, 14, 14, 4), (5, 5, 1, 4), 2),
    ((2, 6, 6, 3), (4, 4, 2, 3), 2),
    ((2, 6, 6, 3), (4, 4, 2, 3), 1),
    ((2, 5, 5, 3), (5, 5, 2, 3), 3),
    ((2, 4, 4, 3), (2, 2, 5, 3), 3),
    ((2, 4, 6, 3), (3, 3, 2, 3), 2),
]


def _rel_err(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-12)


def _assert_same_layer(ours_fn, ref_fn, in_shape, k_shape, out_shape, seed):
    """ours_fn(x, w) and ref_fn(x, w) agree in value and in both gradients for a random upstream dy."""
    rng = np.random.RandomState(seed)
    with tf.Graph().as_default():
        x = tf.constant(rng.randn(*in_shape).astype(np.float32))
        w = tf.constant(rng.randn(*k_shape).astype(np.float32))
        dy = tf.constant(rng.randn(*out_shape).astype(np.float32))
        ours, ref = ours_fn(x, w), ref_fn(x, w)
        with tf.Session() as sess:
            got = sess.run([ours, ref] + tf.gradients(ours, [x, w], dy) + tf.gradients(ref, [x, w], dy))
    assert got[0].shape == out_shape
    assert _rel_err(got[0], got[1]) < 2e-6
    assert _rel_err(got[2], got[4]) < 2e-6  # input gradient
    assert _rel_err(got[3], got[5]) < 2e-6  # kernel gradient


@pytest.mark.parametrize("x_shape,k_shape,stride", CASES)
def test_conv2d_transpose_and_its_gradients_match_tf(x_shape, k_shape, stride):
    out_shape = (x_shape[0], x_shape[1] * stride, x_shape[2] * stride, k_shape[2])
    _assert_same_layer(lambda x, w: conv_ops.conv2d_transpose(x, w, stride),
                       lambda x, w: tf.nn.conv2d_transpose(x, w, out_shape, [1, stride, stride, 1], "SAME"),
                       x_shape, k_shape, out_shape, seed=0)


@pytest.mark.parametrize("x_shape,k_shape,stride", CASES)
def test_conv2d_and_its_gradients_match_tf(x_shape, k_shape, stride):
    # The conv maps the transposed conv's output shape back to its input shape, with the same kernel;
    # its input gradient is conv_ops' sub-pixel transposed conv.
    big = (x_shape[0], x_shape[1] * stride, x_shape[2] * stride, k_shape[2])
    _assert_same_layer(lambda x, w: conv_ops.conv2d(x, w, stride),
                       lambda x, w: tf.nn.conv2d(x, w, [1, stride, stride, 1], "SAME"),
                       big, k_shape, x_shape, seed=1)


@pytest.mark.parametrize("stride,kernel_size", [(1, 5), (1, 4), (2, 5)])
def test_filter_grad_matches_conv2d_backprop_filter(stride, kernel_size):
    rng = np.random.RandomState(2)
    with tf.Graph().as_default():
        x = tf.constant(rng.randn(4, 8, 8, 3).astype(np.float32))
        dy = tf.constant(rng.randn(4, 8 // stride, 8 // stride, 5).astype(np.float32))
        ref = tf.nn.conv2d_backprop_filter(x, [kernel_size, kernel_size, 3, 5], dy, [1, stride, stride, 1], "SAME")
        with tf.Session() as sess:
            ours, want = sess.run([conv_ops.filter_grad(x, dy, kernel_size, stride), ref])
    assert ours.shape == (kernel_size, kernel_size, 3, 5)
    assert _rel_err(ours, want) < 2e-6


def test_phase_taps_of_a_5x5_stride_2_layer():
    # 7 -> 14, 'SAME' pads the matching conv 1 before: output 2m reads input m-1, m with taps 3, 1;
    # output 2m+1 reads m-1, m, m+1 with taps 4, 2, 0.
    taps, d_min = conv_ops.phase_taps(7, 14, 5, 2)
    assert d_min == -1
    np.testing.assert_array_equal(taps, [[3, 4], [1, 2], [-1, 0]])


def test_sizes_that_do_not_tile_are_refused():
    with pytest.raises(ValueError, match="output size = input size \\* stride"):
        conv_ops.phase_taps(7, 13, 5, 2)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="divisible by the stride"):
        conv_ops.conv2d(tf.zeros([1, 7, 8, 2]), tf.zeros([3, 3, 2, 2]), 2)


@pytest.mark.parametrize("name", ["dcgan_bn", "dcgan_sn"])
def test_networks_compute_the_same_function_with_either_implementation(name):
    """Same variables (one scope, AUTO_REUSE) through both implementations: same images, logits, gradients."""
    fast = model.get_variant(name, conv="subpixel")
    plain = model.get_variant(name, conv="tf")
    rng = np.random.RandomState(3)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        z = tf.constant(rng.randn(4, model.Z_DIM).astype(np.float32))
        outs = {}
        for variant in (fast, plain):
            images = model.generator(z, variant, training=False)  # (4, 28, 28, 1)
            logits = model.discriminator(images, variant, training=False)  # (4, 1)
            outs[variant.conv] = [images, logits] + tf.gradients(tf.reduce_sum(logits), tf.trainable_variables())
        num_vars = len(tf.trainable_variables())  # one set, shared by both implementations
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(outs)
    assert len(got["tf"]) == 2 + num_vars
    for mine, theirs in zip(got["subpixel"], got["tf"]):
        assert _rel_err(mine, theirs) < 1e-5


def test_fast_path_leaves_no_backprop_input_op_on_wide_layers():
    """With "subpixel" no Conv2DBackpropInput remains on the wide layers of a training step (docs: Speed)."""
    variant = model.get_variant("dcgan_bn", conv="subpixel")
    with tf.Graph().as_default() as graph:
        images = model.generator(tf.zeros([2, model.Z_DIM]), variant, training=True)
        loss = tf.reduce_sum(model.discriminator(images, variant, training=True))
        tf.gradients(loss, tf.trainable_variables())
    slow = [op.name for op in graph.get_operations() if op.type == "Conv2DBackpropInput"]
    assert slow, "deconv3 and conv1 (single-channel transposed pass) keep TF's op"
    assert not [n for n in slow if any(layer in n for layer in ("/deconv1/", "/deconv2/", "/conv2/"))], slow


def test_auto_resolves_to_a_concrete_implementation():
    assert model.get_variant("dcgan_bn").conv == conv_ops.default_impl()
    assert conv_ops.default_impl() in ("subpixel", "tf")
    with pytest.raises(ValueError, match="conv implementation"):
        model.get_variant("dcgan_bn", conv="winograd")
