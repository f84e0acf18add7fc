"""Safe file output: refuse what would lose data, then write a temp file beside the target and rename it.

Two layers:
  * `check_output(path, inputs)` is what a CLI calls on a path the user named (`predict.py -o OUT`): every command
    declares all the paths it reads (`inputs`: files, and folders read as a whole, spelled with a trailing slash,
    such as a weights folder or a run dir's checkpoints, see `common.inputs`), and an output that is one of them
    (same real path, or same device and inode) or lies inside one of those directories is refused; so are a
    directory, a path ending in a slash, a device/FIFO/socket, a read-only file, a symlink loop, a missing or
    read-only directory. The `OutputError` (exit 2) says why.
  * `atomic_write(path)` (and write_json / write_text / save_npy on top of it) writes every file: a crash, Ctrl-C,
    a full disk or a permission error leaves either the old file or none, never half a file. The temp file is
    `.<name>.tmp-<pid>` beside the target; one left by a killed process (its PID no longer running) is removed by
    the next write to the same target. It replaces only regular files and keeps the replaced file's permission
    bits. An output that is this process's own stdout or stderr (`-o /dev/stdout` into a pipe or a terminal) is
    written straight through, in order with the rest. JSON is strict: a NaN or infinity is refused (a bug
    upstream), never written as a bare `NaN`.
"""
import contextlib
import errno
import json
import math
import os
import re
import stat
import sys

import numpy as np

from common import errors
from common import inputs as inputs_lib
from common.inputs import (InputError, MAX_INPUT_BYTES, aliased_input, artefact_inputs, file_kind,  # noqa: F401  (API)
                           open_input, read_bytes, read_regular, read_text, run_dir_inputs)

_UMASK = os.umask(0)
os.umask(_UMASK)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class OutputError(errors.UserError):
    """An output path that cannot be written without losing something, or a write that failed cleanly."""


def _is_read_only(st):
    # Root passes os.access() on any file, so a file with no write bit at all counts as read-only for everyone.
    return not (st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def check_output(path, inputs=()):
    """Refuses an output path whose writing would lose data; returns the path to write (symlinks resolved).

    Args:
      path: the output path as the user gave it.
      inputs: every path the same command reads: files (an output that is one of them, by real path or by
        device and inode, is refused) and folders read as a whole, spelled with a trailing slash (an output
        inside one is refused; `run_dir_inputs` and `artefact_inputs` spell them).

    Raises:
      OutputError: naming the path and the reason.
    """
    if not path:
        raise OutputError("the output path is empty")
    if own_stream(path) is not None:
        return path  # -o /dev/stdout (a pipe or a terminal): written straight through, see atomic_write
    if path.endswith(os.sep) or path.endswith(os.sep + "."):
        raise OutputError("output %s ends with a slash, so it names a directory; give a file path" % path)
    target = os.path.realpath(path)  # write through a symlink to its file, never replace the link
    if path.startswith("/dev/std") or target.startswith(("/proc/", "/dev/fd/")):
        raise OutputError("output %s is a standard stream that is closed (or not this process's); give a file "
                          "path, or keep the stream open" % path)
    if os.path.islink(target):
        raise OutputError("output %s is a symlink loop (or resolves too deep); give a plain file path" % path)
    source = aliased_input(target, list(inputs) + inputs_lib.declared())
    if source is not None:
        what = "inside the folder %s" % source if source.endswith(os.sep) else "the input file %s" % source
        if os.path.basename(source) == inputs_lib.EXISTING:
            what = "an existing file of %s" % os.path.dirname(source)
        raise OutputError("output %s is %s, which this command reads; writing it would destroy the input"
                          % (path, what))
    if os.path.lexists(target):
        st = os.stat(target)
        if stat.S_ISDIR(st.st_mode):
            raise OutputError("output %s is a directory; give a file path" % path)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError("output %s is not a regular file (a device, FIFO or socket); refusing to replace it"
                              % path)
        if _is_read_only(st) or not os.access(target, os.W_OK):
            raise OutputError("output %s is read-only; not replacing it" % path)
    parent = os.path.dirname(target) or "."
    if os.path.islink(parent):
        raise OutputError("cannot write %s: %s is a symlink loop" % (path, parent))
    if not os.path.exists(parent):
        raise OutputError("cannot write %s: directory %s does not exist" % (path, parent))
    if not os.path.isdir(parent):
        raise OutputError("cannot write %s: %s is not a directory" % (path, parent))
    if not os.access(parent, os.W_OK | os.X_OK) or _read_only_fs(parent):
        raise OutputError("cannot write %s: directory %s is not writable" % (path, parent))
    return target


def check_output_dir(path):
    """Refuses a folder that a command replaces as a whole when it holds (or is) something the command reads."""
    target = os.path.realpath(path)
    for source in inputs_lib.declared():
        folder = os.path.dirname(source) if os.path.basename(source) in ("", inputs_lib.EXISTING) else source
        if os.path.lexists(folder) and (target == os.path.realpath(folder) or
                                        os.path.realpath(folder).startswith(target.rstrip(os.sep) + os.sep)):
            raise OutputError("output folder %s holds %s, which this command reads; replacing the folder would "
                              "destroy it (give another --out)" % (path, source))
    return target


def own_stream(path):
    """1 or 2 when `path` is not a regular file but this process's stdout or stderr (`-o /dev/stdout` into a
    pipe or a terminal), else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return None
    for fd in (1, 2):
        try:
            own = os.fstat(fd)
        except OSError:
            continue
        if (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino):
            return fd
    return None


def _read_only_fs(directory):
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
_ACCESS_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR)


def _reason(err):
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the device"
    return err.strerror or str(err)


_TMP_RE = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d{1,10})$")


def temp_path(path, pid=None):
    """The temp file `atomic_write` uses for `path`: `.<name>.tmp-<pid>` in the same directory."""
    directory, name = os.path.split(path)
    return os.path.join(directory, ".%s.tmp-%d" % (name, os.getpid() if pid is None else pid))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists (another user's)
        return True
    return True


def remove_stale_temps(path):
    """Removes the temp files of `path` left by killed writers (their PID is no longer running)."""
    directory, name = os.path.split(path)
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return
    for entry in entries:
        match = _TMP_RE.match(entry)
        if match and match.group("name") == name and int(match.group("pid")) != os.getpid() \
                and not _alive(int(match.group("pid"))):
            try:
                os.remove(os.path.join(directory, entry))
            except OSError:
                pass


@contextlib.contextmanager
def atomic_write(path, mode="w", encoding=None):
    """Yields a file object; on success the file replaces `path` atomically.

    Args:
      path: destination path; its directory is created if missing.
      mode: "w" (text) or "wb" (binary).
      encoding: text encoding (defaults to utf-8 in text mode).

    Raises:
      OutputError: the target is not a regular file, or creating/writing/renaming failed (disk full,
        permission denied, read-only file system); the previous file is intact and no temp file is left.
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_write mode must be 'w' or 'wb', got %r" % (mode,))
    kwargs = {} if "b" in mode else {"encoding": encoding or "utf-8", "newline": ""}
    stream = own_stream(path)
    if stream is not None:  # our own stdout/stderr, a pipe or terminal: nothing to replace, write in order
        for handle in (sys.stdout, sys.stderr):
            try:
                handle.flush()
            except (OSError, ValueError, AttributeError):
                pass
        with os.fdopen(os.dup(stream), mode, **kwargs) as handle:
            yield handle
        return
    path = os.path.realpath(path)
    mode_bits = 0o666 & ~_UMASK
    if os.path.lexists(path):
        try:
            st = os.stat(path)
        except OSError as err:
            raise OutputError("cannot write %s: %s" % (path, err.strerror or err))
        if not stat.S_ISREG(st.st_mode):
            raise OutputError("%s is not a regular file; refusing to replace it" % path)
        mode_bits = stat.S_IMODE(st.st_mode)
    directory = os.path.dirname(path)
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        remove_stale_temps(path)
        tmp = temp_path(path)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        os.chmod(tmp, mode_bits)  # the usual (or the replaced file's) permission bits, whatever the umask
        with os.fdopen(fd, mode, **kwargs) as handle:
            try:
                yield handle
            except OSError as err:  # the caller's writes: only a full or failing disk is ours to explain
                if err.errno in _DISK_ERRORS:
                    raise OutputError("cannot write %s: %s (nothing was changed)" % (path, _reason(err)))
                raise
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        if err.errno in _DISK_ERRORS + _ACCESS_ERRORS:
            raise OutputError("cannot write %s: %s (nothing was changed)" % (path, _reason(err)))
        raise
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.remove(tmp)


def _to_builtin(obj):
    """json.dump fallback for numpy scalars and arrays."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError("not JSON serialisable: %r" % (type(obj),))


def _non_finite(obj, where="$"):
    """The first place in `obj` holding a NaN or infinity (as a JSON path), or None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return where
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    if isinstance(obj, np.generic):
        obj = obj.item()
        return where if isinstance(obj, float) and not math.isfinite(obj) else None
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    else:
        return None
    for key, value in items:
        found = _non_finite(value, "%s[%r]" % (where, key))
        if found:
            return found
    return None


def json_text(obj, path="<json>"):
    """`obj` as indented strict JSON with sorted keys (numpy values converted).

    Raises:
      ValueError: `obj` holds a NaN or infinity (strict JSON has none; a non-finite number is a bug upstream).
    """
    bad = _non_finite(obj)
    if bad is not None:
        raise ValueError("refusing to write %s: %s is not a finite number (strict JSON has no NaN or Infinity)"
                         % (path, bad))
    return json.dumps(obj, indent=2, sort_keys=True, default=_to_builtin, allow_nan=False) + "\n"


def json_value(value):
    """A JSON value: numpy scalars as Python numbers; a NaN or infinity as None (null: no value at this point,
    e.g. a rate over zero samples). A diverged loss never gets here: the training loop stops on it first."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@contextlib.contextmanager
def staged_folder(out, prefix=".staging."):
    """Yields a new empty folder beside `out` (mode as umask allows); when the block ends normally the folder
    replaces `out` as a whole, on any error or signal it is removed and `out` is left as it was."""
    import shutil  # noqa: WPS433
    import tempfile  # noqa: WPS433
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    stage = tempfile.mkdtemp(prefix=prefix, dir=parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(stage, 0o777 & ~umask)  # mkdtemp's 0700 would make the result private
    try:
        yield stage
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def write_json(path, obj):
    """Writes `obj` as indented strict JSON with sorted keys (numpy values converted; NaN/inf refused)."""
    text = json_text(obj, path)  # refused before any file is touched
    with atomic_write(path) as handle:
        handle.write(text)


def read_json(path):
    """The JSON in a user-named or run-dir file (declared as read; a FIFO or device refused)."""
    return json.loads(read_bytes(path, what="JSON file").decode("utf-8"))


def write_text(path, text):
    with atomic_write(path) as handle:
        handle.write(text)


def save_npy(path, array):
    """np.save, atomically (`path` is used exactly as given, no '.npy' appended)."""
    with atomic_write(path, "wb") as handle:
        np.save(handle, array)


def repo_path(path):
    """`path` as given if it is absolute or exists from here, else relative to the repository root.

    Configs store repo-relative defaults (e.g. `tf1_dna/data/w5.fasta`), so a saved `config.yaml` stays
    valid when the checkout moves and commands work from any working directory.
    """
    if os.path.isabs(path) or os.path.exists(path):
        return path
    return os.path.join(REPO_ROOT, path)
