"""Restore a finished (or stopped) run for inference: one function for every sampler, predictor and translator.

    restored = inference.restore(run_dir, build, schema=train_task.SCHEMA)   # build(cfg) -> the outputs
    with restored:
        restored.session.run(restored.outputs.probs, {...})

The run's `config.yaml` is read through the training schema (a hand-edited file with a wrong type, an unknown
or a missing key is a clean error naming the file and the key), the inference graph is built once by `build`
in a fresh graph and finalized, and the newest readable checkpoint is restored (only the variables `build`
asks for, when it names them). The session is closed on any error.
"""
import collections
import os

import tensorflow as tf

from common import config, errors, inputs, run, training


class SessionOwner(object):
    """A context manager that closes its `self.session` (every loader that holds a restored session)."""

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Restored(SessionOwner, collections.namedtuple("Restored", "graph session outputs step config")):
    """The restored graph, its session, what `build` returned, the checkpoint's step and the run's Config."""


def recorded_config(run_dir, schema=None):
    """The run's Config checked against `schema` (every key present), or the plain dict without a schema."""
    if schema is None:
        return config.load_run_config(run_dir)
    return schema.load_saved(run_dir, complete=True)


def restore(run_dir, build, schema=None, threads=1, var_list=None, checkpoints=None):
    """Builds `build(cfg)` in a fresh graph and restores the run's newest readable checkpoint.

    Args:
      run_dir: a run dir written by a task's train CLI.
      build: cfg -> outputs (tensors, placeholders; any object), called inside the new graph.
      schema: the training Schema the run's config.yaml is checked against (None: a plain dict).
      threads: TensorFlow threads.
      var_list: graph -> the variables to restore (default: all of them).
      checkpoints: the checkpoint folder when it is not the run dir's own (RunPaths' default).

    Raises:
      config.ConfigError: no or a bad config.yaml.
      run.RunError: no checkpoint, or none that reads.
    """
    cfg = recorded_config(run_dir, schema)
    paths = run.RunPaths(run_dir, checkpoints=checkpoints)
    # What this command reads: no output of it may replace a file of the run or land in its checkpoints.
    inputs.protect(run_dir)
    inputs.declare(os.path.join(paths.checkpoints, ""))
    graph = tf.Graph()
    with graph.as_default():
        outputs = build(cfg)
        restored = var_list(graph) if var_list else tf.global_variables()
        ckpt = run.Checkpointer(paths.checkpoints, var_list=restored)
        finite = all_finite(restored)
    graph.finalize()
    session = tf.Session(graph=graph, config=training.session_config(threads))
    try:
        step = ckpt.restore(session)
        if not session.run(finite):
            raise errors.DataError("the checkpoint of step %d in %s holds NaN or infinite weights (the run diverged "
                                   "or the file was damaged); retrain it, e.g. with a smaller learning rate"
                                   % (step, paths.checkpoints))
    except BaseException:
        session.close()
        raise
    return Restored(graph, session, outputs, step, cfg)


def all_finite(variables):
    """A scalar bool op: every floating-point value of `variables` is finite (built before the graph is final)."""
    checks = [tf.reduce_all(tf.is_finite(v)) for v in variables if v.dtype.base_dtype.is_floating]
    return tf.reduce_all(tf.stack(checks)) if checks else tf.constant(True)
