"""The files a run dir keeps between invocations: checkpoints and history, read defensively.

`common.run` uses them for training (import `Checkpointer`, `History` and `RunError` from there); inference loaders
use the checkpoints through `common.inference`. `History.read` checks `history.json` (a JSON list of rows, each
with an integer step) and names the file and row of a fault. A checkpoint that reads but whose variables have other
shapes than the graph the recorded configuration builds is reported as a configuration mismatch (the run dir's
config.yaml was edited), never as unreadable checkpoints to be thrown away.
"""
import glob
import json
import os
import re
import shutil
import stat

import tensorflow as tf

from common import errors, files, yaml_io


class RunError(errors.UserError):
    """The run dir cannot be used as asked (locked, another configuration, unreadable checkpoints)."""


_CKPT_RE = re.compile(r"^ckpt-(\d{1,18})\.index$")  # a step fits int64; longer digit strings are not ours


class Checkpointer(object):
    """A tf.train.Saver over one checkpoint dir: newest-readable restore, explicit pruning.

    Build it while the graph is still open (it creates save/restore ops), before `graph.finalize()`.
    The Saver keeps no list of its own (`max_to_keep=None`); `prune` decides from the files on disk, so
    checkpoints left by killed processes are pruned too.
    """

    def __init__(self, checkpoint_dir, var_list=None, keep=3):
        self.checkpoint_dir = checkpoint_dir
        self.keep = keep
        self.saver = tf.train.Saver(var_list=var_list, max_to_keep=None, save_relative_paths=True)
        self._shapes = _variable_shapes(var_list)

    def candidates(self):
        """[(step, path prefix)] of the checkpoints on disk, newest first.

        Raises:
          RunError: the checkpoint path exists but is not a directory.
        """
        check_checkpoint_dir(self.checkpoint_dir)
        found = []
        for name in os.listdir(self.checkpoint_dir) if os.path.isdir(self.checkpoint_dir) else ():
            match = _CKPT_RE.match(name)
            if match:
                prefix = os.path.join(self.checkpoint_dir, name[:-len(".index")])
                parts = [prefix + ".index"] + glob.glob(glob.escape(prefix) + ".data-*")
                if all(stat.S_ISREG(os.lstat(p).st_mode) for p in parts):  # TensorFlow would block on a FIFO
                    found.append((int(match.group(1)), prefix))
        return sorted(found, reverse=True)

    def latest(self):
        """Path prefix of the newest checkpoint on disk, or None."""
        found = self.candidates()
        return found[0][1] if found else None

    def restore_newest(self, sess, warn=None):
        """Restores the newest checkpoint that reads; returns its step, or None when there is none at all.

        Raises:
          RunError: checkpoints exist but none of them can be read.
        """
        found = self.candidates()
        failures = []
        for step, prefix in found:
            mismatch = self.mismatch(prefix)
            if mismatch:
                raise RunError("checkpoint %s does not fit the graph the recorded configuration builds (%s): "
                               "the run dir's config.yaml was changed after training, or the checkpoints come from "
                               "another configuration. Put back the configuration the run was trained with; the "
                               "checkpoints are kept" % (prefix, mismatch))
            try:
                self.saver.restore(sess, prefix)
            except (tf.errors.OpError, ValueError) as err:
                reason = (getattr(err, "message", None) or str(err)).strip().splitlines()[0][:200]
                failures.append("%s (%s)" % (os.path.basename(prefix), reason))
                if warn is not None:
                    warn("checkpoint %s cannot be read (%s); trying an older one" % (prefix, reason))
                continue
            if failures and warn is not None:
                warn("resuming from %s, the newest readable checkpoint" % prefix)
            return step
        if found:
            raise RunError("no readable checkpoint in %s: %s. Move them away to start over, or rerun with "
                           "--restart" % (self.checkpoint_dir, "; ".join(failures)))
        return None

    def mismatch(self, prefix):
        """How the checkpoint `prefix` differs from the graph's variables (a missing variable or another shape),
        or None when it fits or cannot be read at all (then restoring it reports why)."""
        if not self._shapes:
            return None
        try:
            stored = dict(tf.train.list_variables(prefix))
        except (tf.errors.OpError, ValueError):
            return None
        for name, shape in sorted(self._shapes.items()):
            if name not in stored:
                return "variable %r is not in the checkpoint" % name
            if shape is not None and list(stored[name]) != shape:
                return "variable %r is %s in the checkpoint, %s in the graph" % (name, list(stored[name]), shape)
        return None

    def restore(self, sess, path=None):
        """Restores `path` (default: the newest readable checkpoint); returns its step.

        Raises:
          RunError: there is no checkpoint (train first) or none can be read.
        """
        if path is not None:
            self.saver.restore(sess, path)
            return int(path.rsplit("-", 1)[-1])
        step = self.restore_newest(sess)
        if step is None:
            raise RunError("no checkpoint in %s (train first)" % self.checkpoint_dir)
        return step

    def save(self, sess, step):
        """Writes `ckpt-<step>` (the `checkpoint` index file is updated after the data), then prunes."""
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        path = self.saver.save(sess, os.path.join(self.checkpoint_dir, "ckpt"), global_step=int(step),
                               write_meta_graph=False)
        self.prune(int(step))
        return path

    def prune(self, saved_step):
        """Keeps the newest `keep` checkpoints up to `saved_step`; deletes older ones and any later ones.

        Later ones can only be left from before a fallback to an older checkpoint (they did not read).
        """
        kept = 0
        for step, prefix in self.candidates():
            if step <= saved_step and kept < self.keep:
                kept += 1
                continue
            for name in glob.glob(glob.escape(prefix) + ".*"):
                os.remove(name)
        # A save killed half-way leaves its temporary shard directory behind (ckpt-<step>_temp_<uuid>).
        for name in glob.glob(os.path.join(glob.escape(self.checkpoint_dir), "ckpt-*_temp*")):
            if os.path.isdir(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.remove(name)


def check_checkpoint_dir(path):
    """RunError unless `path` is a directory or absent (a file there would mean a silent restart at step 0)."""
    if os.path.lexists(path) and not os.path.isdir(path):
        kind = files.file_kind(os.lstat(path).st_mode) if os.path.exists(path) else "a broken symlink"
        raise RunError("%s should be the checkpoints directory but is %s; move it away (nothing was changed)"
                       % (path, kind))


def _variable_shapes(var_list):
    """{checkpoint name: shape list} of the variables a Saver over `var_list` restores (None: all globals)."""
    if var_list is None:
        var_list = tf.global_variables()
    items = var_list.items() if isinstance(var_list, dict) else ((getattr(v, "op", None) and v.op.name, v)
                                                                 for v in var_list)
    shapes = {}
    for name, var in items:
        shape = getattr(var, "shape", None)
        if name and shape is not None:
            shapes[name] = shape.as_list() if shape.is_fully_defined() else None
    return shapes


class History(object):
    """Logged points of a run: rows {"step": s, key: value, ...} in step order, stored as a JSON list."""

    def __init__(self, rows=None):
        self.rows = list(rows or [])

    @classmethod
    def load(cls, path, upto):
        """The rows of `path` with step <= `upto` (a resumed run drops what came after its checkpoint)."""
        if upto == 0 or not os.path.lexists(path):
            return cls()
        return cls(r for r in cls.read(path) if r["step"] <= upto)

    @staticmethod
    def read(path):
        """The rows of the history file `path`, checked: a JSON list of objects, each with an integer `step`.

        Raises:
          RunError: naming the file (and the row) and the fault; the file is left as it is.
        """
        raw = files.read_regular(path, error=RunError)
        try:
            rows = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise RunError("%s is not valid JSON (%s): truncated or edited by hand; move it away to keep the "
                           "checkpoints and lose only the logged history" % (path, str(err)[:200]))
        if not isinstance(rows, list):
            raise RunError("%s is not a history written by this version (expected a list of rows, got %s)"
                           % (path, type(rows).__name__))
        for index, row in enumerate(rows):
            step = row.get("step") if isinstance(row, dict) else None
            if not isinstance(step, int) or isinstance(step, bool) or step < 0:
                raise RunError("%s row %d has no integer step (%s)" % (path, index, yaml_io.short(row)))
        return rows

    def append(self, step, values):
        """Adds the row {"step": step, **values} (a non-finite value is stored as null, see `json_value`)."""
        row = {"step": int(step)}
        row.update((k, json_value(v)) for k, v in values.items())
        self.rows.append(row)

    def series(self, key):
        """(steps, values) of the rows that have `key`."""
        pairs = [(r["step"], r[key]) for r in self.rows if key in r]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def last(self, key, default=None):
        for row in reversed(self.rows):
            if key in row:
                return row[key]
        return default

    def save(self, path):
        files.write_json(path, self.rows)


json_value = files.json_value  # noqa: E305  (the run files' spelling of it)
