"""Seed 003 parts I-III: every exam answer that a computation can check, computed with TF 1.15 graphs.

`python -m tf1_molecules.exam` prints each answer as `key=value`; docs/tf1_molecules.md quotes them and
tests/tf1_molecules/test_molecules_exam.py asserts them. Each function builds and runs its own graph.
"""
import argparse
import collections
import sys

import numpy as np
import tensorflow as tf

from common import cli


def _run(graph, fetches, feed=None):
    with tf.Session(graph=graph, config=tf.ConfigProto(intra_op_parallelism_threads=1,
                                                        inter_op_parallelism_threads=1)) as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# ----------------------------------------------------------------------------------------- part I
def one_hot_batch_counts(batch_size=32, length=100, alphabet=26, seed=0):
    """I(A): builds a one-hot batch of random strings; returns (non-zero entries, total entries)."""
    graph = tf.Graph()
    with graph.as_default():
        chars = tf.random_uniform([batch_size, length], 0, alphabet, dtype=tf.int32, seed=seed)
        batch = tf.one_hot(chars, alphabet)                      # (32, 100, 26)
        nonzero = tf.count_nonzero(batch)
        total = tf.size(batch)
    return tuple(int(v) for v in _run(graph, [nonzero, total]))


def relu_net_output_on_negative_input(num_hidden=5, width=16, seed=0):
    """I(D): ReLU MLP, small positive weights, zero biases, all-negative input; returns the (4,) outputs."""
    rng = np.random.RandomState(seed)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.constant(-rng.uniform(0.1, 2.0, size=(4, width)).astype(np.float32))  # entries < 0
        h = x
        for layer in range(num_hidden + 1):
            w = tf.constant(rng.uniform(1e-3, 1e-2, size=(width, width if layer < num_hidden else 1))
                            .astype(np.float32))
            h = tf.matmul(h, w)                                 # zero bias
            if layer < num_hidden:
                h = tf.nn.relu(h)  # first layer: positive weights x negative entries < 0 -> ReLU gives 0
    return _run(graph, h)[:, 0]


def lstm_weight_counts(lengths=(5, 50), units=8, features=3):
    """I(E): trainable weights of an LSTM unrolled over different lengths (shared across time steps)."""
    counts = []
    for length in lengths:
        graph = tf.Graph()
        with graph.as_default():
            x = tf.zeros([2, length, features])
            cell = tf.nn.rnn_cell.LSTMCell(units)
            outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            logits = tf.layers.dense(outputs[:, -1], 4)          # sequence classification head
            assert logits.shape.as_list() == [2, 4]
            counts.append(int(sum(np.prod(v.shape.as_list()) for v in tf.trainable_variables())))
    return counts


def conv_pool_shape_and_weights():
    """I(F): 64x64x3 -> conv 5x5 valid stride 1, 32 filters -> 2x2 max pool; (output shape, kernel weights)."""
    graph = tf.Graph()
    with graph.as_default():
        images = tf.placeholder(tf.float32, [None, 64, 64, 3])
        conv = tf.layers.conv2d(images, 32, 5, strides=1, padding="valid", name="conv")  # (B, 60, 60, 32)
        pooled = tf.layers.max_pooling2d(conv, 2, 2)                                     # (B, 30, 30, 32)
        kernel = graph.get_tensor_by_name("conv/kernel:0")                               # (5, 5, 3, 32)
        return tuple(pooled.shape.as_list()[1:]), int(np.prod(kernel.shape.as_list()))


# ---------------------------------------------------------------------------------------- part II
def part2_weight_counts(pool=False):
    """II: the 8-layer classifier's layer shapes and weight counts (kernels and biases), optionally with
    2x2 max pooling after each ReLU (option B6)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 64, 64, 3])
        h = tf.nn.relu(tf.layers.conv2d(x, 64, 8, padding="valid", name="conv1"))      # (B, 57, 57, 64)
        if pool:
            h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.nn.relu(tf.layers.conv2d(h, 8, 4, padding="valid", name="conv2"))      # (B, 54, 54, 8)
        if pool:
            h = tf.layers.max_pooling2d(h, 2, 2)
        flat = tf.layers.flatten(h)
        h = tf.nn.relu(tf.layers.dense(flat, 2048, name="fc1"))
        probs = tf.nn.softmax(tf.layers.dense(h, 8, name="fc2"))
        counts = collections.OrderedDict()                      # layer -> weights, in layer order
        for var in tf.trainable_variables():
            layer = var.name.split("/")[0]
            counts[layer] = counts.get(layer, 0) + int(np.prod(var.shape.as_list()))
        return {"flatten": flat.shape[-1].value, "output": probs.shape.as_list()[1:], "weights": counts,
                "total": sum(counts.values())}


# --------------------------------------------------------------------------------------- part III
PARAMETRISATIONS = ("free", "first_n_minus_1", "normalize", "sqrt_softmax", "sqrt_log_softmax")


def pca_dataset(num=400, seed=0):
    """A small mean-free 4-D data set whose first principal axis has entries of both signs."""
    rng = np.random.RandomState(seed)
    axes, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    axes[:, 0] = np.array([0.7, -0.5, 0.4, -0.3]) / np.linalg.norm([0.7, -0.5, 0.4, -0.3])
    axes, _ = np.linalg.qr(axes)                    # orthonormal, column 0 is +-(0.7, -0.5, 0.4, -0.3)
    x = rng.normal(size=(num, 4)) * np.array([3.0, 1.0, 0.7, 0.4]) @ axes.T
    return (x - x.mean(axis=0)).astype(np.float64)


def pca_first_axis(x):
    """First right-singular vector of the (mean-free) data and the optimal loss tr(C) - lambda_1."""
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    num = len(x)
    return vt[0], float((s ** 2).sum() / num - s[0] ** 2 / num)


def _unit_vector(param, kind):
    """a(theta) for each parametrisation of III(D); param is the trainable (n,) or (n-1,) vector."""
    if kind == "free":
        return param
    if kind == "first_n_minus_1":
        return tf.concat([param, tf.sqrt(1.0 - tf.reduce_sum(tf.square(param)))[None]], 0)
    if kind == "normalize":
        return param / tf.norm(param)
    if kind == "sqrt_softmax":
        return tf.sqrt(tf.nn.softmax(param))
    if kind == "sqrt_log_softmax":
        return tf.sqrt(tf.nn.log_softmax(param))   # log of a probability is <= 0: sqrt gives NaN
    raise ValueError("unknown parametrisation %r (choose from %s)" % (kind, ", ".join(PARAMETRISATIONS)))


TrainResult = collections.namedtuple("TrainResult", "a, loss, norms, first_nan_step")


def train_transpose_autoencoder(x, kind="normalize", loss_kind="reconstruction", steps=300, lr=0.02,
                                init=None, seed=0):
    """III: full-batch gradient descent on the transpose autoencoder.

    Args:
      x: (N, n) mean-free data.
      kind: one of PARAMETRISATIONS.
      loss_kind: "reconstruction" (L(a) = mean |a a^T x - x|^2) or "variance" (III(E):
        L2 = 1/(B-1) sum_i g(z_i, z_bar) with g(z, z_bar) = -(z - z_bar)^2, the encoder only).
      steps, lr: plain gradient descent (SGD on the full batch).
      init: optional initial parameter (numpy); default small random.

    Returns:
      TrainResult(a (n,), final loss, |a| after every step (steps,), first step whose a had a NaN or None).
    """
    n = x.shape[1]
    size = n - 1 if kind == "first_n_minus_1" else n
    if init is None:
        init = np.random.RandomState(seed).normal(scale=0.3, size=size)
    graph = tf.Graph()
    with graph.as_default():
        data = tf.constant(x)                                      # (N, n)
        param = tf.Variable(np.asarray(init, np.float64), name="a_tilde")
        a = _unit_vector(param, kind)                              # (n,)
        z = tf.linalg.matvec(data, a)                              # (N,) encoder E_a(x) = a^T x
        if loss_kind == "reconstruction":
            recon = z[:, None] * a[None, :]                        # (N, n) decoder D_a(z) = a z
            loss = tf.reduce_mean(tf.reduce_sum(tf.square(recon - data), axis=1))
        elif loss_kind == "variance":
            batch = tf.cast(tf.shape(z)[0], tf.float64)
            loss = -tf.reduce_sum(tf.square(z - tf.reduce_mean(z))) / (batch - 1.0)
        else:
            raise ValueError("unknown loss_kind %r" % (loss_kind,))
        train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss)
        norm = tf.norm(a)
        init_op = tf.global_variables_initializer()
    graph.finalize()
    norms, first_nan = [], None
    with tf.Session(graph=graph) as sess:
        sess.run(init_op)
        for step in range(steps):
            sess.run(train_op)
            a_val, norm_val = sess.run([a, norm])
            norms.append(norm_val)
            if first_nan is None and not np.all(np.isfinite(a_val)):
                first_nan = step
        a_val, loss_val = sess.run([a, loss])
    return TrainResult(a_val, float(loss_val), np.array(norms), first_nan)


def _max_finite(values):
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else float("nan")


@cli.entry_point
def main(argv=None):
    """Prints every computed answer as key=value."""
    argparse.ArgumentParser(description="Prints the computed answers to seed 003 parts I-III as key=value "
                                        "lines (quoted in docs/tf1_molecules.md).").parse_args(argv)
    nonzero, total = one_hot_batch_counts()
    print("I_A_nonzero_entries=%d" % nonzero)
    print("I_A_total_entries=%d" % total)
    print("I_D_outputs=%s" % relu_net_output_on_negative_input().tolist())
    print("I_E_lstm_weights_len5_len50=%s" % lstm_weight_counts())
    shape, weights = conv_pool_shape_and_weights()
    print("I_F_output_shape=%s" % "x".join(map(str, shape)))
    print("I_F_kernel_weights=%d" % weights)
    for pool in (False, True):
        info = part2_weight_counts(pool)
        tag = "II_pooled" if pool else "II"
        print("%s_flatten=%d %s_total_weights=%d %s_fc1_weights=%d"
              % (tag, info["flatten"], tag, info["total"], tag, info["weights"]["fc1"]))
    x = pca_dataset()
    v1, best = pca_first_axis(x)
    print("III_pca_axis=%s III_optimal_loss=%.6f" % (np.round(v1, 4).tolist(), best))
    for kind in PARAMETRISATIONS:
        res = train_transpose_autoencoder(x, kind)
        cos = abs(float(np.dot(res.a, v1) / np.linalg.norm(res.a))) if np.all(np.isfinite(res.a)) else float("nan")
        print("III_D_%s: loss=%.6f |a|=%.6f |cos(a,v1)|=%.6f max||a|-1|=%.2e first_nan_step=%s"
              % (kind, res.loss, np.linalg.norm(res.a), cos, _max_finite(np.abs(res.norms - 1.0)), res.first_nan_step))
    res = train_transpose_autoencoder(x, "normalize", "variance")
    print("III_E_variance_normalize: |cos(a,v1)|=%.6f" % abs(float(np.dot(res.a, v1))))
    res = train_transpose_autoencoder(x, "free", "variance", steps=100, lr=0.01)
    print("III_E_variance_free: |a| after 100 steps=%.3e loss=%.3e" % (res.norms[-1], res.loss))
    return 0


if __name__ == "__main__":
    sys.exit(main())
