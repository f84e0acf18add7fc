"""The run skeleton every task's `train` uses: one run dir, one contract.

    with run.Run(cfg, run_dir) as r:                  # lock; a changed config is refused; layout
        graph = build_graph(cfg)                      # the task's graph (not finalized yet)
        with graph.as_default():
            r.make_checkpointer()                     # a Saver over the graph's variables
        graph.finalize()
        with tf.Session(graph=graph, config=...) as sess:
            start = r.restore_or_initialize(sess, init_op)   # newest readable checkpoint, else init_op
            writer = r.open_writer(graph)
            for step in r.steps(sess, start, total, cfg.ckpt_every):
                ...sess.run(train_op)...                # (common.loop.train spells this ritual for every task)
                r.log(step, {"loss": loss})            # history.json rows + TensorBoard scalars
        if r.stopped:
            return None                               # entry point: exit 130, the same command resumes
        r.finish(metrics)                             # metrics.json, only for a finished run

The contract, the same in every task:
  * one process per run dir: `.lock` (flock, released by the OS even after SIGKILL); a second process is
    refused with the holder's PID;
  * a rerun whose configuration differs from the recorded `config.yaml` is refused, listing the differing
    keys (keys declared `resume_safe`, like `threads`, may change); `restart=True` starts over explicitly;
  * `config.yaml` is written only after a successful restore (or a fresh initialisation);
  * restore falls back to the newest *readable* checkpoint and says so; checkpoints exist but none reads:
    an error, never a silent restart from step 0;
  * `history.json` is written before each checkpoint and cut at the restored step on resume, so a kill between
    the two never leaves a gap; the newest `keep` checkpoints stay, older ones (also from killed processes)
    are deleted;
  * Ctrl-C / SIGTERM / SIGHUP: the current step finishes, a checkpoint and the history are saved, no final metrics,
    `stopped` is True; a second Ctrl-C aborts at once;
  * a run dir this process created and that never reached a checkpoint is removed again if the run fails;
  * nothing in the run dir is trusted: the lock is opened without following a symlink or blocking on a FIFO
    and must be a regular file; config.yaml, history.json and metrics.json must be regular files,
    `checkpoints` a directory, history.json a list of rows with integer steps, the recorded config valid key
    by key; anything else is a RunError/ConfigError naming the file, and nothing is written;
  * metrics.json is strict JSON (an undefined value is null and named on the log).
"""
import errno
import fcntl
import glob
import os
import shutil
import signal
import stat
import sys

import tensorflow as tf

from common import config, files, training
from common.run_files import Checkpointer, History, RunError, check_checkpoint_dir, json_value  # noqa: F401  (API)

RUNS_ROOT = "runs"
HISTORY = "history.json"
LOCK = ".lock"


def default_run_dir(task, name):
    """`runs/<task>/<name>` (relative to the working directory)."""
    return os.path.join(RUNS_ROOT, task, name)


class RunPaths(object):
    """The layout of one run dir (nothing is created here); `checkpoints` may place the checkpoints elsewhere."""

    def __init__(self, run_dir, checkpoints=None):
        self.root = run_dir
        self.events = run_dir
        self.checkpoints = checkpoints or os.path.join(run_dir, "checkpoints")
        self.samples = os.path.join(run_dir, "samples")
        self.metrics = os.path.join(run_dir, "metrics.json")
        self.config = os.path.join(run_dir, "config.yaml")
        self.history = os.path.join(run_dir, HISTORY)

    def path(self, *parts):
        return os.path.join(self.root, *parts)


class RunLock(object):
    """An exclusive advisory lock on `run_dir/.lock` holding the owner's PID."""

    def __init__(self, run_dir):
        self.path = os.path.join(run_dir, LOCK)
        self._handle = None

    def _open(self):
        """The lock file, opened without following a symlink or blocking on a FIFO; a regular file or RunError."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as err:
            kind = "a symlink" if err.errno == errno.ELOOP else "a directory" if err.errno == errno.EISDIR else None
            if kind:
                raise RunError("lock file %s is %s, not a regular file; remove it (it is never followed)"
                               % (self.path, kind))
            raise RunError("cannot open lock file %s: %s" % (self.path, err.strerror or err))
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise RunError("lock file %s is %s, not a regular file; remove it" % (self.path, files.file_kind(mode)))
        return os.fdopen(fd, "r+")

    def acquire(self):
        handle = self._open()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                handle.close()
                raise
            handle.seek(0)
            holder = handle.read(64).strip() or "unknown"
            handle.close()
            raise RunError("run dir %s is in use by process %s (lock file %s); wait for it to finish, stop it, "
                           "or choose another --run-dir" % (os.path.dirname(self.path), holder, self.path))
        handle.seek(0)
        handle.truncate()
        handle.write("%d\n" % os.getpid())
        handle.flush()
        self._handle = handle

    def release(self):
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class GracefulStop(object):
    """Context manager turning SIGINT/SIGTERM/SIGHUP into `stop.requested = True` for the loop to act on.

    A second Ctrl-C while stopping falls back to the default handler (immediate KeyboardInterrupt). Once the
    steps are done and saved (`immediate`, set by `Run.steps`), a signal stops at once: the final evaluation
    is not waited for (the same command restores the last step and evaluates again).
    """

    def __init__(self, signals=(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)):
        self.signals = signals
        self.requested = False
        self.immediate = False
        self._previous = {}

    def _handle(self, signum, frame):  # pylint: disable=unused-argument
        if self.immediate:
            sys.stderr.write("\nstopped (signal %d) after the last saved step; run the same command to finish\n"
                             % signum)
            raise KeyboardInterrupt
        if self.requested:
            signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))
            raise KeyboardInterrupt
        self.requested = True
        sys.stderr.write("\nstop requested (signal %d): finishing the current step, saving a checkpoint, exiting; "
                         "run the same command to resume (Ctrl-C again to abort now)\n" % signum)

    def __enter__(self):
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False


class Run(object):
    """One run dir for the duration of a training invocation (see the module docstring for the contract).

    Args:
      cfg: the run's Config (from a Schema: resume-safe keys are known).
      run_dir: the directory.
      keep: checkpoints to keep.
      restart: discard this run dir's checkpoints, history, metrics and events and start over.
      log: function for one-line notices (default: stderr).
    """

    def __init__(self, cfg, run_dir, keep=3, restart=False, log=None):
        if not run_dir:
            raise RunError("no run dir given")
        self.cfg = cfg
        self.paths = RunPaths(run_dir)
        self.keep = keep
        self.restart = restart
        self.log_fn = log or (lambda message: sys.stderr.write(message + "\n"))
        self.history = History()
        self.checkpointer = None
        self.writer = None
        self.stopped = False
        self.start = None
        self._stop = GracefulStop()
        self._lock = None
        self._created = False
        self._saved = False
        self._session_steps = int(cfg.get("session_steps", 0) or cfg.get("session_epochs", 0) or 0)

    # -- entering: directory, lock, configuration ---------------------------------------------------------

    def __enter__(self):
        root = self.paths.root
        if os.path.exists(root) and not os.path.isdir(root):
            raise RunError("run dir %s exists and is not a directory" % root)
        self._created = not os.path.exists(root)
        try:
            os.makedirs(root, exist_ok=True)
        except OSError as err:
            raise RunError("cannot create run dir %s: %s" % (root, err.strerror))
        if not os.access(root, os.W_OK | os.X_OK):
            raise RunError("run dir %s is not writable" % root)
        self._lock = RunLock(root)
        self._lock.acquire()
        try:
            self._check_files()
            if self.restart:
                self._discard()
            else:
                self._check_recorded_config()
            self._stop.__enter__()
        except BaseException:
            self._lock.release()
            raise
        return self

    def _check_files(self):
        """Every file a run writes is a regular file (or absent), `checkpoints` a directory: nothing in the run
        dir that was replaced by hand is followed, blocked on or silently written over."""
        for path in (self.paths.config, self.paths.history, self.paths.metrics):
            if os.path.lexists(path):
                mode = os.lstat(path).st_mode
                if not stat.S_ISREG(mode):
                    raise RunError("%s is %s, not a regular file; move it away (nothing was changed)"
                                   % (path, files.file_kind(mode)))
        check_checkpoint_dir(self.paths.checkpoints)
        if not self.restart and os.path.lexists(self.paths.history):
            History.read(self.paths.history)

    def _check_recorded_config(self):
        if not os.path.lexists(self.paths.config):
            return
        recorded = config.load_run_config(self.paths.root)
        schema = self.cfg.schema
        if schema is not None:
            where = "%s: " % self.paths.config
            for name, value in recorded.items():
                if name in schema.keys:
                    schema.keys[name].check(value, where)  # a malformed hand edit: ConfigError naming the key
        diffs = config.differences(recorded, self.cfg)
        if diffs:
            shown = "; ".join("%s: %s -> %s" % (name, config.short(old), config.short(new)) for name, old, new in diffs)
            raise RunError("run dir %s holds a run with another configuration (%s). Resume it with the same settings, "
                           "choose another --run-dir, or pass --restart to discard it and start over"
                           % (self.paths.root, shown))

    def _discard(self):
        """--restart: remove what a run writes (never other files a user may keep in the dir)."""
        shutil.rmtree(self.paths.checkpoints, ignore_errors=True)
        for path in [self.paths.history, self.paths.metrics, self.paths.config] + glob.glob(
                os.path.join(glob.escape(self.paths.root), "events.out.tfevents.*")):
            if os.path.exists(path):
                os.remove(path)

    def __exit__(self, exc_type, exc, tb):
        self._stop.__exit__(exc_type, exc, tb)
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self._lock.release()
        if exc_type is not None and self._created and not self._saved:
            shutil.rmtree(self.paths.root, ignore_errors=True)  # ours, and it never held a checkpoint
        return False

    # -- inside the graph ---------------------------------------------------------------------------------

    def make_checkpointer(self, var_list=None):
        """The run's Checkpointer; call inside the graph, before it is finalized."""
        self.checkpointer = Checkpointer(self.paths.checkpoints, var_list=var_list, keep=self.keep)
        return self.checkpointer

    # -- inside the session -------------------------------------------------------------------------------

    def restore_or_initialize(self, sess, init_op):
        """Restores the newest readable checkpoint, or runs `init_op`; then records the config.

        Returns:
          The restored step (0 when fresh). The history is loaded and cut at it.
        """
        if self.checkpointer is None:
            raise RuntimeError("make_checkpointer() must be called before restore_or_initialize()")
        step = self.checkpointer.restore_newest(sess, warn=self.log_fn)
        if step is None:
            sess.run(init_op)
            step = 0
        else:
            self.log_fn("resumed from step %d of %s" % (step, self.paths.checkpoints))
        config.save(self.cfg, self.paths.root)
        self.history = History.load(self.paths.history, step)
        self.start = step
        return step

    def open_writer(self, graph=None):
        """The run's TensorBoard writer; on a resume, events after the restored step are marked stale."""
        self.writer = training.summary_writer(self.paths.events, graph if not self.start else None)
        if self.start:
            self.writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), self.start)
        return self.writer

    def steps(self, sess, start, total, every, on_save=None):
        """Yields step numbers start+1 .. total; after each step's body: checkpoint every `every` steps, at the
        end, and on a stop request (then `stopped` is True and the loop ends). `session_steps` / `session_epochs` (if the config
        has it) stops the invocation after that many steps the same way. `on_save(step)` runs after each
        checkpoint. Progress is the caller's (`common.loop` draws it).
        """
        done_here = 0
        for step in range(start + 1, total + 1):
            yield step
            done_here += 1
            stop = self._stop.requested or (self._session_steps and done_here >= self._session_steps)
            if stop or step % every == 0 or step == total:
                self.save(sess, step)
                if on_save is not None:
                    on_save(step)
            if stop and step < total:
                self.stopped = True
                self._stop.immediate = True
                self.log_fn("stopped at step %d of %d; run the same command to resume" % (step, total))
                return
        self._stop.immediate = True  # every step is saved: a signal from here on stops at once
        if self._stop.requested:
            # The signal came during the last step: the run is complete and saved; finish it normally.
            self._stop.requested = False

    @property
    def stop_requested(self):
        return self._stop.requested

    def save(self, sess, step):
        """history.json, then the checkpoint, then pruning."""
        self.history.save(self.paths.history)
        self.checkpointer.save(sess, step)
        self._saved = True

    def log(self, step, scalars, summaries=True):
        """Appends a history row and (by default) writes the scalars to TensorBoard."""
        self.history.append(step, scalars)
        if summaries and self.writer is not None:
            training.add_scalars(self.writer, step, scalars)

    # -- after the session --------------------------------------------------------------------------------

    def finish(self, metrics):
        """Writes metrics.json for the finished run (never for a stopped one); returns `metrics`.

        metrics.json is strict JSON: a value that is NaN or infinite (a rate over zero samples: undefined) is
        written as null and named on the log, never as a bare NaN. A diverged loss never gets here: the
        training loop stops on it first (exit 3).
        """
        if self.stopped:
            raise RuntimeError("a stopped run has no final metrics")
        if self.writer is not None:
            self.writer.flush()
        undefined = sorted(k for k, v in metrics.items() if json_value(v) is None and v is not None)
        if undefined:
            self.log_fn("note: %s not finite (undefined); written as null in %s"
                        % (", ".join(undefined), self.paths.metrics))
        files.write_json(self.paths.metrics, {k: json_value(v) for k, v in metrics.items()})
        self._saved = True
        return metrics
