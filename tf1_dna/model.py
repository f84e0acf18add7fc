"""The handout's Conv1d network (seed 004, 4b) as TF 1.15 graphs, its loss, and the input-shape checker.

    Conv1d(4 -> H, kernel 3, stride 3) -> BN -> act -> Conv1d(H -> H, 1) -> BN -> act
    -> Conv1d(H -> 21, 1) -> softmax over channels

At the API tensors keep PyTorch's (batch, channels, length) layout of the handout; inside we transpose to
TF's (batch, length, channels) because `tf.layers.conv1d` only supports channels-last on CPU.
Kernel 3 with stride 3 makes every output position see exactly one codon, and the 1x1 layers mix only
channels, so in inference mode (BN on moving statistics) the network is a per-codon lookup table.
"""
import collections

import tensorflow as tf

from tf1_dna import data

IN_CHANNELS = len(data.DNA_ALPHABET)       # 4
OUT_CHANNELS = len(data.PROTEIN_ALPHABET)  # 21
KERNEL = 3
STRIDE = 3
SCOPE = "dna_net"
# PyTorch BatchNorm1d defaults (momentum 0.1 there = 0.9 here, eps 1e-5) so the net is the handout's.
BN_MOMENTUM = 0.9
BN_EPSILON = 1e-5
ACTIVATIONS = {"relu": tf.nn.relu, "tanh": tf.nn.tanh, "elu": tf.nn.elu, "sigmoid": tf.nn.sigmoid}
# Looked up lazily so importing this module does not trigger TF 1.15's deprecation log lines.
OPTIMIZERS = {
    "adam": lambda lr: tf.train.AdamOptimizer(lr),
    "sgd": lambda lr: tf.train.GradientDescentOptimizer(lr),
}

TrainGraph = collections.namedtuple(
    "TrainGraph", "dna protein probs loss eval_probs eval_loss train_op epoch increment_epoch init_op")
InferenceGraph = collections.namedtuple("InferenceGraph", "dna probs")


def dna_net(dna, hidden, training, activation="relu"):
    """The handout's network; call it again with another `training` value to share its variables.

    Args:
      dna: (B, 4, L) float one-hot DNA (rows A, T, G, C).
      hidden: H, channels of the two hidden layers.
      training: Python bool; True uses batch statistics in BN and registers the moving-average updates
        in tf.GraphKeys.UPDATE_OPS, False uses the moving statistics.
      activation: a key of ACTIVATIONS.
    Returns:
      (logits, probs), both (B, 21, L // 3); probs sum to 1 over axis 1.
    """
    act = ACTIVATIONS[activation]
    with tf.variable_scope(SCOPE, reuse=tf.AUTO_REUSE):
        x = tf.transpose(dna, [0, 2, 1])                                   # (B, L, 4)
        # padding "valid" = PyTorch's default padding 0: a trailing partial codon is dropped.
        x = tf.layers.conv1d(x, hidden, KERNEL, strides=STRIDE, padding="valid", name="conv1")  # (B, T, H)
        x = act(tf.layers.batch_normalization(x, axis=-1, momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                              training=training, name="bn1"))
        x = tf.layers.conv1d(x, hidden, 1, name="conv2")                  # (B, T, H)
        x = act(tf.layers.batch_normalization(x, axis=-1, momentum=BN_MOMENTUM, epsilon=BN_EPSILON,
                                              training=training, name="bn2"))
        logits = tf.layers.conv1d(x, OUT_CHANNELS, 1, name="conv3")       # (B, T, 21)
        logits = tf.transpose(logits, [0, 2, 1], name="logits")           # (B, 21, T)
        probs = tf.nn.softmax(logits, axis=1, name="probs")               # softmax over channels (dim=1)
    return logits, probs


def binary_cross_entropy(logits, target, name="bce"):
    """PyTorch's `nn.BCELoss()(softmax(logits, dim=1), target)`: mean over every element.

    -mean(y log p + (1 - y) log(1 - p)) with p = softmax over axis 1. Both logs are computed from the
    logits (log(1 - p_i) = logsumexp_{j != i} z_j - logsumexp_j z_j) so they stay finite, and are clamped
    at -100 as PyTorch does.

    Args:
      logits: (B, C, T) pre-softmax scores.
      target: (B, C, T) one-hot (or any values in [0, 1]).
    Returns:
      Scalar float32 loss.
    Raises:
      ValueError: if the static shapes of logits and target differ.
    """
    if not logits.shape.is_compatible_with(target.shape):
        raise ValueError("logits %s and target %s must have the same shape" % (logits.shape, target.shape))
    with tf.name_scope(name):
        channels = logits.shape[1].value
        log_total = tf.reduce_logsumexp(logits, axis=1, keepdims=True)         # (B, 1, T)
        log_p = logits - log_total                                               # (B, C, T)
        # (B, C_i, C_j, T): logits of every j with j == i pushed to -1e9 (exp underflows to exactly 0).
        others = logits[:, None, :, :] - 1e9 * tf.eye(channels)[None, :, :, None]
        log_not_p = tf.reduce_logsumexp(others, axis=2) - log_total             # (B, C, T)
        log_p = tf.maximum(log_p, -100.0)
        log_not_p = tf.maximum(log_not_p, -100.0)
        return -tf.reduce_mean(target * log_p + (1.0 - target) * log_not_p)


def build_train_graph(hidden=32, learning_rate=0.01, activation="relu", optimizer="adam"):
    """Training graph for one (DNA, protein) pair per step, as the handout's pseudo-code.

    Call inside `with graph.as_default():`. Feeds: `dna` (1, 4, L) and `protein` (1, 21, L / 3).

    Returns:
      TrainGraph: `probs`/`loss` in training mode (batch-statistics BN), `eval_probs`/`eval_loss` with
      the same variables in inference mode, `train_op` (runs the BN moving-average updates too),
      `epoch` (int64 variable counting finished epochs; the checkpoint step) and `increment_epoch`.
    """
    dna = tf.placeholder(tf.float32, (None, IN_CHANNELS, None), name="dna")          # (B, 4, L)
    protein = tf.placeholder(tf.float32, (None, OUT_CHANNELS, None), name="protein")  # (B, 21, L/3)
    logits, probs = dna_net(dna, hidden, training=True, activation=activation)
    loss = binary_cross_entropy(logits, protein, name="loss")
    eval_logits, eval_probs = dna_net(dna, hidden, training=False, activation=activation)
    eval_loss = binary_cross_entropy(eval_logits, protein, name="eval_loss")
    net_vars = tf.trainable_variables(SCOPE)
    # The BN moving averages only move if their update ops run; tie them to the step.
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS, SCOPE)):
        train_op = OPTIMIZERS[optimizer](learning_rate).minimize(loss, var_list=net_vars, name="train_op")
    epoch = tf.get_variable("epoch", (), tf.int64, tf.zeros_initializer(), trainable=False)
    increment_epoch = tf.assign_add(epoch, 1, name="increment_epoch")
    init_op = tf.global_variables_initializer()
    return TrainGraph(dna, protein, probs, loss, eval_probs, eval_loss, train_op, epoch, increment_epoch,
                      init_op)


def build_inference_graph(hidden=32, activation="relu"):
    """Inference-only graph (BN on moving statistics): feed `dna` (B, 4, L), fetch `probs` (B, 21, L//3)."""
    dna = tf.placeholder(tf.float32, (None, IN_CHANNELS, None), name="dna")
    _, probs = dna_net(dna, hidden, training=False, activation=activation)
    return InferenceGraph(dna, probs)


# ------------------------------------------------------------------------------ question 4e, part 2

ShapeVerdict = collections.namedtuple("ShapeVerdict", "shape ok runs output_shape reason")


def check_input_shape(shape, in_channels=IN_CHANNELS, kernel=KERNEL, stride=STRIDE):
    """Says whether the network accepts an input of `shape` (batch, channels, length), and why.

    Returns:
      ShapeVerdict(shape, ok, runs, output_shape, reason): `runs` is True when the network computes an
      output; `ok` additionally requires that no input is silently ignored. output_shape is None when
      it does not run.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        return ShapeVerdict(shape, False, False, None,
                            "rank %d: Conv1d needs (batch, channels, length), rank 3" % len(shape))
    batch, channels, length = shape
    if min(shape) < 1:
        return ShapeVerdict(shape, False, False, None, "every dimension must be >= 1")
    if channels != in_channels:
        return ShapeVerdict(shape, False, False, None,
                            "wrong channel count: %d channel%s, the first Conv1d expects %d (one-hot A, T, G, C)"
                            % (channels, "" if channels == 1 else "s", in_channels))
    if length < kernel:
        return ShapeVerdict(shape, False, False, None,
                            "length %d is shorter than the kernel (%d): not one complete codon to translate "
                            "(PyTorch raises 'Kernel size can't be greater than actual input size'; TF's valid "
                            "convolution returns an empty (%d, %d, 0) output)" % (length, kernel, batch, OUT_CHANNELS))
    out_len = (length - kernel) // stride + 1
    out = (batch, OUT_CHANNELS, out_len)
    ignored = length - ((out_len - 1) * stride + kernel)
    if ignored:
        return ShapeVerdict(shape, False, True, out,
                            "runs, but the last %d nucleotide%s ignored: length %d is not a multiple of 3 "
                            "(output %d codons)" % (ignored, " is" if ignored == 1 else "s are", length, out_len))
    note = ""
    if batch * out_len == 1:
        # BN in training mode normalises over batch x length: one value per channel has no variance.
        note = (" (inference mode; as a training batch BN would see one value per channel: PyTorch raises, "
                "TF normalises it to 0)")
    return ShapeVerdict(shape, True, True, out, "ok: %d codon%s -> output %s%s"
                        % (out_len, "" if out_len == 1 else "s", out, note))
