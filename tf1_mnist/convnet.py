"""The workshop ConvNet (seed 004, questions 1-3), defined in two equivalent ways, with batch-norm variants.

    conv(1->8, 5) -> ReLU -> maxpool 2 -> conv(8->16, 5) -> ReLU -> maxpool 2 -> flatten (16*4*4)
    -> FC 256 -> ReLU -> FC 64 -> ReLU -> FC 10 -> softmax

`convnet_explicit` is the seed's `class Net` (one line per layer); `convnet_sequential` is its
`nn.Sequential`, a declarative list of (kind, kwargs) run by one loop. Both create the same variables
(`convnet/conv1/kernel`, ...) and the same ops, so for equal weights they give identical outputs
(tests/tf1_mnist/test_mnist_convnet.py). The seed's `nn.Sequential` misses `nn.Conv2d(8, 16, 5)`; with it
left out the flatten sees 8*6*6 = 288 features, not 16*4*4 = 256, which our `flatten` reports as an error.

Batch norm (question 2): "2d" puts BatchNorm2d after each convolution (statistics per channel over N, H, W),
"1d" puts BatchNorm1d after the two hidden dense layers (per feature over N), "both" does both. Layout is
NHWC (TF's CPU default), so flatten orders features (h, w, c) where PyTorch's NCHW view gives (c, h, w):
a permutation of fc1's rows, nothing more.
"""
import collections

import tensorflow as tf

BN_VARIANTS = ("none", "2d", "1d", "both")
FLAT_FEATURES = 16 * 4 * 4
# PyTorch's BatchNorm defaults (momentum 0.1 of the new batch = TF momentum 0.9, eps 1e-5).
BN_MOMENTUM, BN_EPSILON = 0.9, 1e-5


def _check_variant(batch_norm):
    if batch_norm not in BN_VARIANTS:
        raise ValueError("batch_norm must be one of %s, got %r" % (", ".join(BN_VARIANTS), batch_norm))
    return batch_norm in ("2d", "both"), batch_norm in ("1d", "both")


# Layers: one uniform signature fn(x, training, **kwargs) so a list of (kind, kwargs) can drive them.
def conv(x, training, filters, kernel, name, use_bias=True):  # pylint: disable=unused-argument
    """Valid (unpadded) stride-1 convolution, like nn.Conv2d(in, filters, kernel)."""
    return tf.layers.conv2d(x, filters, kernel, padding="valid", use_bias=use_bias, name=name)


def batch_norm_layer(x, training, name):
    """BatchNorm over every axis but the last (channels / features); updates go to UPDATE_OPS."""
    return tf.layers.batch_normalization(x, momentum=BN_MOMENTUM, epsilon=BN_EPSILON, training=training,
                                         name=name)


def relu(x, training):  # pylint: disable=unused-argument
    return tf.nn.relu(x)


def max_pool(x, training):  # pylint: disable=unused-argument
    """2x2 max pooling, stride 2 (nn.MaxPool2d(2, 2))."""
    return tf.layers.max_pooling2d(x, 2, 2)


def flatten(x, training, features):  # pylint: disable=unused-argument
    """(B, H, W, C) -> (B, features); unlike a bare reshape(-1, features) a wrong size is an error."""
    size = x.shape[1:].num_elements()
    if size != features:
        raise ValueError("flatten expects %d features per example but the input %s has %d"
                         % (features, x.shape, size))
    return tf.reshape(x, (-1, features))


def dense(x, training, units, name, use_bias=True):  # pylint: disable=unused-argument
    return tf.layers.dense(x, units, use_bias=use_bias, name=name)


LAYERS = {"conv": conv, "bn": batch_norm_layer, "relu": relu, "maxpool": max_pool, "flatten": flatten, "dense": dense}


def convnet_explicit(images, training, batch_norm="none"):
    """The network written out layer by layer (the seed's `class Net`).

    Args:
      images: (B, 28, 28, 1) float tensor.
      training: bool or scalar bool tensor (batch statistics vs moving averages in batch norm).
      batch_norm: one of BN_VARIANTS.
    Returns:
      logits (B, 10), features (B, 64) = the input of the last layer.
    """
    bn2d, bn1d = _check_variant(batch_norm)
    with tf.variable_scope("convnet"):
        x = conv(images, training, 8, 5, "conv1", use_bias=not bn2d)  # (B, 24, 24, 8); BN's beta replaces a bias
        if bn2d:
            x = batch_norm_layer(x, training, "bn1")
        x = max_pool(relu(x, training), training)  # (B, 12, 12, 8)
        x = conv(x, training, 16, 5, "conv2", use_bias=not bn2d)  # (B, 8, 8, 16)
        if bn2d:
            x = batch_norm_layer(x, training, "bn2")
        x = max_pool(relu(x, training), training)  # (B, 4, 4, 16)
        x = flatten(x, training, FLAT_FEATURES)  # (B, 256)
        x = dense(x, training, 256, "fc1", use_bias=not bn1d)  # (B, 256)
        if bn1d:
            x = batch_norm_layer(x, training, "bn3")
        x = relu(x, training)
        x = dense(x, training, 64, "fc2", use_bias=not bn1d)  # (B, 64)
        if bn1d:
            x = batch_norm_layer(x, training, "bn4")
        features = relu(x, training)
        logits = dense(features, training, 10, "fc3")  # (B, 10)
    return logits, features


def layer_list(batch_norm="none"):
    """The same network as data (the seed's `nn.Sequential`, with its missing second conv restored)."""
    bn2d, bn1d = _check_variant(batch_norm)

    def block(conv_or_dense, bn_name, use_bn):
        return [conv_or_dense] + ([("bn", {"name": bn_name})] if use_bn else []) + [("relu", {})]

    return (block(("conv", {"filters": 8, "kernel": 5, "name": "conv1", "use_bias": not bn2d}), "bn1", bn2d)
            + [("maxpool", {})]
            + block(("conv", {"filters": 16, "kernel": 5, "name": "conv2", "use_bias": not bn2d}), "bn2", bn2d)
            + [("maxpool", {}), ("flatten", {"features": FLAT_FEATURES})]
            + block(("dense", {"units": 256, "name": "fc1", "use_bias": not bn1d}), "bn3", bn1d)
            + block(("dense", {"units": 64, "name": "fc2", "use_bias": not bn1d}), "bn4", bn1d)
            + [("dense", {"units": 10, "name": "fc3"})])


def convnet_sequential(images, training, layers):
    """Runs a layer list; returns (logits, features) with features = the input of the last layer."""
    with tf.variable_scope("convnet"):
        x = features = images
        for kind, kwargs in layers:
            if kind not in LAYERS:
                raise ValueError("unknown layer kind %r (known: %s)" % (kind, ", ".join(LAYERS)))
            features, x = x, LAYERS[kind](x, training, **kwargs)
    return x, features


ConvNetGraph = collections.namedtuple("ConvNetGraph", [
    "images", "labels", "training", "logits", "probs", "features", "loss", "accuracy",
    "train_op", "global_step", "init"])


def build_graph(batch_norm="none", definition="explicit", learning_rate=1e-3):
    """Builds the classifier into the default graph (call once, then finalize).

    Args:
      batch_norm: one of BN_VARIANTS.
      definition: "explicit" or "sequential" (same graph either way).
      learning_rate: Adam step size.
    Returns:
      ConvNetGraph. Feed `images` (B, 28, 28, 1) in [0, 1], `labels` (B,), and `training=True` for steps.
    """
    images = tf.placeholder(tf.float32, (None, 28, 28, 1), name="images")
    labels = tf.placeholder(tf.int64, (None,), name="labels")
    training = tf.placeholder_with_default(False, (), name="training")
    if definition == "explicit":
        logits, features = convnet_explicit(images, training, batch_norm)
    elif definition == "sequential":
        logits, features = convnet_sequential(images, training, layer_list(batch_norm))
    else:
        raise ValueError("definition must be 'explicit' or 'sequential', got %r" % (definition,))
    # The seed ends in nn.Softmax; we keep it for the probabilities but take the loss on the logits
    # (softmax + log inside one op), not on the softmax output, which would apply softmax twice.
    probs = tf.nn.softmax(logits, name="probs")
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, axis=1), labels), tf.float32))
    global_step = tf.train.get_or_create_global_step()
    # Batch-norm moving averages only update if their ops run with the step (the classic TF1 BN bug).
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=global_step)
    return ConvNetGraph(images=images, labels=labels, training=training, logits=logits, probs=probs,
                        features=features, loss=loss, accuracy=accuracy, train_op=train_op,
                        global_step=global_step, init=tf.global_variables_initializer())
