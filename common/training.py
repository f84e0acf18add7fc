"""What every training loop in the suite shares: seeds, sessions, run dirs, checkpoints, stopping.

The loops themselves stay in each task's `train.py`; they only call `session.run` on ops built once.
"""
import os
import random
import signal
import sys

import numpy as np
import tensorflow as tf
import tqdm

RUNS_ROOT = "runs"


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


def default_run_dir(task, name):
    """`runs/<task>/<name>` (relative to the working directory)."""
    return os.path.join(RUNS_ROOT, task, name)


class RunPaths(object):
    """The layout of one run dir; creating it makes `checkpoints/` and `samples/`."""

    def __init__(self, run_dir):
        self.root = run_dir
        self.events = run_dir
        self.checkpoints = os.path.join(run_dir, "checkpoints")
        self.samples = os.path.join(run_dir, "samples")
        self.metrics = os.path.join(run_dir, "metrics.json")
        self.config = os.path.join(run_dir, "config.yaml")
        for directory in (self.root, self.checkpoints, self.samples):
            os.makedirs(directory, exist_ok=True)

    def path(self, *parts):
        return os.path.join(self.root, *parts)


class Checkpointer(object):
    """A tf.train.Saver over a checkpoint dir, with restore-or-initialize for resumable runs.

    Build it while the graph is still open (it creates save/restore ops), before `graph.finalize()`.
    """

    def __init__(self, checkpoint_dir, var_list=None, max_to_keep=3):
        self.checkpoint_dir = checkpoint_dir
        os.makedirs(checkpoint_dir, exist_ok=True)
        self.saver = tf.train.Saver(var_list=var_list, max_to_keep=max_to_keep, save_relative_paths=True)

    def latest(self):
        """Path prefix of the newest checkpoint, or None."""
        return tf.train.latest_checkpoint(self.checkpoint_dir)

    def restore_or_initialize(self, sess, init_op):
        """Restores the newest checkpoint if there is one, else runs `init_op`.

        Returns:
          The global step of the restored checkpoint (parsed from its name), or 0 when fresh.
        """
        latest = self.latest()
        if latest is None:
            sess.run(init_op)
            return 0
        self.saver.restore(sess, latest)
        return int(latest.rsplit("-", 1)[-1])

    def restore(self, sess, path=None):
        """Restores `path` (default: the newest checkpoint); raises FileNotFoundError if there is none."""
        path = path or self.latest()
        if path is None:
            raise FileNotFoundError("no checkpoint in %s (train first)" % self.checkpoint_dir)
        self.saver.restore(sess, path)
        return int(path.rsplit("-", 1)[-1])

    def save(self, sess, step):
        """Writes `ckpt-<step>`; the `checkpoint` index file is only updated after the data is written."""
        return self.saver.save(sess, os.path.join(self.checkpoint_dir, "ckpt"), global_step=int(step))


class GracefulStop(object):
    """Context manager turning SIGINT/SIGTERM into `stop.requested = True` for the loop to act on.

    A second Ctrl-C while stopping falls back to the default handler (immediate KeyboardInterrupt).
    """

    def __init__(self, signals=(signal.SIGINT, signal.SIGTERM)):
        self.signals = signals
        self.requested = False
        self._previous = {}

    def _handle(self, signum, frame):  # pylint: disable=unused-argument
        if self.requested:
            signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))
            raise KeyboardInterrupt
        self.requested = True
        sys.stderr.write("\nstop requested (signal %d): finishing the current step, keeping the last checkpoint, "
                         "exiting; run the same command to resume (Ctrl-C again to abort now)\n" % signum)

    def __enter__(self):
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


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
