"""The CS7643 models as TF1 graphs: shapes and names (layer 1), hand gradients vs tf.gradients (layer 2)."""
import numpy as np
import pytest
import tensorflow as tf

from common import mnist
from tf1_mnist.models import SoftmaxRegression, TwoLayerNet
from tf1_mnist.models import _base_network as base


@pytest.fixture(scope="module")
def batch64():
    """The first 64 images of the embedded training set, /255 (the official test batch is not available)."""
    images, labels = mnist.load_mnist("embedded", "train")
    return images[:64].reshape(64, 784).astype(np.float64) / 255.0, labels[:64].astype(np.int64)


def _numpy_reference(name, weights, x, y):
    """The course's NumPy forward pass, written independently of the graph code."""
    if name == "softmax":
        z = np.maximum(x @ weights["W1"], 0)
    else:
        h = 1 / (1 + np.exp(-(x @ weights["W1"] + weights["b1"])))
        z = h @ weights["W2"] + weights["b2"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y])), np.mean(p.argmax(axis=1) == y)


def test_variable_names_shapes_and_course_init():
    model = TwoLayerNet(hidden_size=16)
    names = sorted((v.op.name, tuple(v.shape.as_list())) for v in model.graph.get_collection("trainable_variables"))
    assert names == [("weights/W1", (784, 16)), ("weights/W2", (16, 10)),
                     ("weights/b1", (16,)), ("weights/b2", (10,))]
    assert model.graph.finalized
    assert all(v.dtype.base_dtype == tf.float64 for v in model.graph.get_collection("variables"))
    w = model.weights
    np.random.seed(1024)
    np.testing.assert_array_equal(w["W1"], 0.001 * np.random.randn(784, 16))
    np.random.seed(1024)  # the skeleton reseeds before W2
    np.testing.assert_array_equal(w["W2"], 0.001 * np.random.randn(16, 10))
    assert not w["b1"].any() and not w["b2"].any()
    w["W1"] -= 1.0  # an in-place edit reaches the variable at the next graph call (or an explicit sync)
    model.sync()
    np.testing.assert_array_equal(model.session.run(model.ops.weights["W1"]), w["W1"])
    soft = SoftmaxRegression()
    assert [v.op.name for v in soft.graph.get_collection("trainable_variables")] == ["weights/W1"]


@pytest.mark.parametrize("name", ["softmax", "twolayer"])
def test_hand_gradients_match_tf_gradients(name, batch64):
    """The backward pass is hand-derived graph ops; tf.gradients of the same loss is the oracle (1e-6 rel)."""
    x, y = batch64
    model = SoftmaxRegression() if name == "softmax" else TwoLayerNet(hidden_size=32)
    # Move away from the tiny init so ReLU/sigmoid derivatives are not trivially constant.
    rng = np.random.RandomState(3)
    model.weights = {key: rng.randn(*value.shape) * (0.05 if key.startswith("W") else 0.5)
                     for key, value in model.weights.items()}
    # The model graph is finalized, so the tf.gradients oracle is built in a twin graph from the same
    # weights and the same forward function.
    values = model.weights.copy()
    with tf.Graph().as_default():
        twin = {k: tf.constant(v) for k, v in values.items()}
        probs, hand = model._forward_backward(tf.constant(x), tf.constant(y), twin)  # pylint: disable=protected-access
        loss = base.cross_entropy_loss(probs, y)
        grads = tf.gradients(loss, list(twin.values()))
        with tf.Session() as sess:
            hand_v, auto_v = sess.run([hand, grads])
    for (key, h), a in zip(hand_v.items(), auto_v):
        rel = np.linalg.norm(h - a) / np.linalg.norm(a)
        assert rel < 1e-6, (key, rel)
        np.testing.assert_allclose(h, a, rtol=1e-6, atol=1e-12 * np.abs(a).max())
    # The model's own stored gradients are those hand-derived ops.
    model.forward(x, y, mode="train")
    for key, h in hand_v.items():
        np.testing.assert_allclose(model.gradients[key], h, rtol=1e-12)
    ref_loss, ref_acc = _numpy_reference(name, values, x, y)
    loss_v, acc_v = model.forward(x, y, mode="valid")
    assert abs(loss_v - ref_loss) < 1e-9 and acc_v == ref_acc


@pytest.mark.parametrize("name,course_loss", [("softmax", 2.3029), ("twolayer", 2.30285)])
def test_initial_loss_on_fixed_batch(name, course_loss, batch64):
    """Course: ~2.3029 / ~2.30285 on its fixed batch. Ours is a different batch (see fixture), so we check the
    exact value against the NumPy reference (float64: 1e-12) and that it lies within 1e-3 of the course's (both ~ ln 10)."""
    x, y = batch64
    model = SoftmaxRegression() if name == "softmax" else TwoLayerNet(hidden_size=128)
    loss, acc = model.forward(x, y, mode="valid")
    ref_loss, ref_acc = _numpy_reference(name, model.weights, x, y)
    assert abs(loss - ref_loss) < 1e-12 and acc == ref_acc
    assert abs(loss - course_loss) < 1e-3
    assert not any(g.any() for g in model.gradients.values())  # mode != "train" leaves gradients alone
