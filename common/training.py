"""Graph-side helpers every task shares: seeds, session configs, summaries and step-keyed randomness.

The training loop itself is written once, in `common.loop`; the run dir contract is `common.run`.
`progress` is the plain tqdm bar of the short tools (benchmarks, the seed sweep); training loops report
through `common.progress`, which also logs off a terminal.
"""
import os
import random
import sys

import numpy as np
import tensorflow as tf
import tqdm



def seed_everything(seed):
    """Seeds Python, NumPy and the TF graph-level seed of the *current default graph*.

    Call it inside `with graph.as_default():` before creating any random op. Op-level seeds are then
    derived deterministically by TF, so two CPU runs with one seed draw the same numbers.
    PYTHONHASHSEED only affects child processes (this interpreter's hash seed is already fixed).
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.set_random_seed(seed)


def session_config(threads=2, device_count=None, allow_growth=True):
    """A ConfigProto: `threads` intra- and inter-op threads (0 = TF's choice), optional device_count."""
    kwargs = {}
    if device_count:
        kwargs["device_count"] = dict(device_count)
    conf = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads,
                          allow_soft_placement=True, **kwargs)
    conf.gpu_options.allow_growth = allow_growth
    return conf


def progress(iterable=None, desc="", total=None, initial=0, **kwargs):
    """A tqdm progress bar on stderr (hidden when stderr is not a terminal unless TQDM_FORCE=1)."""
    disable = None if os.environ.get("TQDM_FORCE") != "1" else False
    return tqdm.tqdm(iterable, desc=desc, total=total, initial=initial, dynamic_ncols=True,
                     disable=disable, file=sys.stderr, **kwargs)


def summary_writer(logdir, graph=None):
    """A tf.summary.FileWriter for TensorBoard (flushes every 10 s)."""
    return tf.summary.FileWriter(logdir, graph=graph, flush_secs=10)


def add_scalars(writer, step, scalars):
    """Writes python floats as scalar summaries (no graph ops needed, safe after finalize)."""
    summary = tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=float(value))
                                for tag, value in scalars.items()])
    writer.add_summary(summary, int(step))


def stateless_seed(seed, step, stream=0):
    """An int64[2] seed for `tf.random.stateless_*` ops, keyed by (seed, stream) and a step tensor.

    TF's stateful random ops keep their state outside the checkpoint, so a resumed run would draw new
    numbers. Drawing with a seed derived from the global step makes a stopped-and-resumed run draw
    exactly what an uninterrupted one draws. Use a different `stream` per independent draw.
    """
    return tf.stack([tf.constant(int(seed) * 1009 + int(stream), tf.int64), tf.cast(step, tf.int64)])


def epoch_permutation(num_examples, seed, epoch, stream=0):
    """A permutation of range(num_examples) that depends only on (seed, epoch, stream): int32 (N,)."""
    keys = tf.random.stateless_uniform([num_examples], seed=stateless_seed(seed, epoch, stream))
    return tf.cast(tf.argsort(keys), tf.int32)


def batch_indices(num_examples, batch_size, seed, step, stream=0):
    """Indices of the `step`-th batch of a per-epoch shuffled pass (drops the last partial batch).

    Args:
      num_examples: dataset size N (python int).
      batch_size: B (python int, <= N).
      seed: python int.
      step: scalar int tensor (usually the global step), the batch counter since the start of training.
    Returns:
      int32 tensor (B,).
    """
    if batch_size > num_examples:
        raise ValueError("batch_size %d > dataset size %d" % (batch_size, num_examples))
    per_epoch = num_examples // batch_size
    step = tf.cast(step, tf.int64)
    epoch = step // per_epoch
    offset = tf.cast((step % per_epoch) * batch_size, tf.int32)
    perm = epoch_permutation(num_examples, seed, epoch, stream)
    return perm[offset:offset + batch_size]
