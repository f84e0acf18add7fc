"""Atomic file output: write to a temporary file beside the target, then rename.

A crash or Ctrl-C mid-write leaves either the old file or no file, never half a file.
"""
import contextlib
import json
import os
import tempfile

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_write(path, mode="w", encoding=None):
    """Yields a file object; on success the file replaces `path` atomically.

    Args:
      path: destination path; its directory is created if missing.
      mode: "w" (text) or "wb" (binary).
      encoding: text encoding (defaults to utf-8 in text mode).
    """
    if mode not in ("w", "wb"):
        raise ValueError("atomic_write mode must be 'w' or 'wb', got %r" % (mode,))
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        kwargs = {} if "b" in mode else {"encoding": encoding or "utf-8"}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


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


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_path(path):
    """`path` as given if it is absolute or exists from here, else relative to the repository root.

    Configs store repo-relative defaults (e.g. `tf1_dna/data/w5.fasta`), so a saved `config.yaml` stays
    valid when the checkout moves and commands work from any working directory.
    """
    if os.path.isabs(path) or os.path.exists(path):
        return path
    return os.path.join(REPO_ROOT, path)
