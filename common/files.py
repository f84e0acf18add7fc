"""Safe file output: refuse what would lose data, then write a temp file beside the target and rename it.

Two layers:
  * `check_output(path, inputs)` is what a CLI calls on a path the user named (`predict.py -o OUT`): it refuses
    the input itself, a directory, a device/FIFO/socket, a read-only file, a missing or read-only directory,
    with an `OutputError` (exit 2) that says why.
  * `atomic_write(path)` (and write_json / write_text / save_npy on top of it) writes every file: a crash,
    Ctrl-C, a full disk or a permission error leaves either the old file or none, never half a file, and no
    temp file behind. It replaces only regular files and keeps the replaced file's permission bits.
"""
import contextlib
import errno
import json
import os
import stat
import tempfile

import numpy as np

from common import errors

_UMASK = os.umask(0)
os.umask(_UMASK)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class OutputError(errors.UserError):
    """An output path that cannot be written without losing something, or a write that failed cleanly."""


class InputError(errors.UserError):
    """An input file that cannot be read as text (missing, a directory, not UTF-8)."""


def read_text(path):
    """The UTF-8 text of a user-named file (a leading BOM dropped); InputError names the file and the fault."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except IsADirectoryError:
        raise InputError("%s is a directory, not a file" % path)
    except OSError as err:
        raise InputError("%s: cannot read: %s" % (path, err.strerror or err))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError("%s is not UTF-8 text (byte %d is 0x%02x)" % (path, err.start, raw[err.start]))


def _is_read_only(st):
    # Root passes os.access() on any file, so a file with no write bit at all counts as read-only for everyone.
    return not (st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def check_output(path, inputs=()):
    """Refuses an output path whose writing would lose data; returns the path to write (symlinks resolved).

    Args:
      path: the output path as the user gave it.
      inputs: paths the same command reads (an output equal to one of them is refused).

    Raises:
      OutputError: naming the path and the reason.
    """
    if not path:
        raise OutputError("the output path is empty")
    target = os.path.realpath(path)  # write through a symlink to its file, never replace the link
    for source in inputs:
        if os.path.exists(source) and os.path.exists(target) and os.path.samefile(source, target):
            raise OutputError("output %s is the input file %s; writing it would destroy the input" % (path, source))
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
    if not os.path.exists(parent):
        raise OutputError("cannot write %s: directory %s does not exist" % (path, parent))
    if not os.path.isdir(parent):
        raise OutputError("cannot write %s: %s is not a directory" % (path, parent))
    if not os.access(parent, os.W_OK | os.X_OK) or _read_only_fs(parent):
        raise OutputError("cannot write %s: directory %s is not writable" % (path, parent))
    return target


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
    path = os.path.realpath(path)
    mode_bits = 0o666 & ~_UMASK
    if os.path.lexists(path):
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError("%s is not a regular file; refusing to replace it" % path)
        mode_bits = stat.S_IMODE(st.st_mode)
    directory = os.path.dirname(path)
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
        os.chmod(tmp, mode_bits)  # mkstemp makes 0600; give the file the usual (or the replaced file's) bits
        kwargs = {} if "b" in mode else {"encoding": encoding or "utf-8", "newline": ""}
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
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _to_builtin(obj):
    """json.dump fallback for numpy scalars and arrays."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError("not JSON serialisable: %r" % (type(obj),))


def write_json(path, obj):
    """Writes `obj` as indented JSON with sorted keys (numpy values converted)."""
    with atomic_write(path) as handle:
        json.dump(obj, handle, indent=2, sort_keys=True, default=_to_builtin)
        handle.write("\n")


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


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
