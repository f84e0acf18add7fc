"""What a command declares it reads, and whether an output would overwrite it (`common.files.check_output`).

An input is a file (refused as an output by real path, or by device and inode: a hard link or a symlink to it) or,
spelled with a trailing slash, a folder read as a whole (a weights folder, a run dir's checkpoints: an output
inside it, or a hard link to one of its files, is refused). A plain input that happens to be a directory (`-i DIR`
by mistake) is only refused as itself, so its reader can say what is wrong. `run_dir_inputs` / `artefact_inputs`
spell a run dir's or a weights folder's inputs so a command passes one thing.

`open_input` / `read_bytes` / `read_text` are the one way a user-named input is opened: a regular file only (a
FIFO is refused at once, a device such as /dev/zero is never read), and the path is declared as read.
"""
import contextlib
import errno
import os
import stat

from common import errors

# Every path this command has read so far (declared by the readers themselves: the YAML loader, the JSON and
# text readers, common.inference for a run dir): `check_output` refuses to write over any of them, so a command
# cannot destroy its own input even where its code forgot to list it. `scope()` (entered by every entry point)
# keeps one command's reads from leaking into the next in-process call.
_DECLARED = []
_DEPTH = []  # entry points entered and not yet left (a demo calling another command's main nests)


def declare(*paths):
    """Records paths this command reads (files, or folders spelled with a trailing slash)."""
    _DECLARED.extend(p for p in paths if p)


def protect(folder):
    """Records a folder this command reads (a run dir for inference): its existing files are never replaced."""
    _DECLARED.append(os.path.join(folder, EXISTING))


def declared():
    return list(_DECLARED)


@contextlib.contextmanager
def scope():
    """One command's declarations: a nested command inherits its caller's, and they end with it."""
    saved = list(_DECLARED)
    if not _DEPTH:
        del _DECLARED[:]  # a command of its own: what library calls read before it is not its input
    _DEPTH.append(1)
    try:
        yield
    finally:
        _DEPTH.pop()
        _DECLARED[:] = saved


def run_dir_inputs(run_dir):
    """What a command that reads `run_dir` must never overwrite: its config, history, metrics, lock, and the
    checkpoints and exported weights folders as a whole. Pass it as (part of) `check_output`'s inputs."""
    return [os.path.join(run_dir, name) for name in RUN_DIR_FILES] + [
        os.path.join(run_dir, name, "") for name in RUN_DIR_FOLDERS] + [os.path.join(run_dir, EXISTING)]


EXISTING = "*"  # `folder/*` as an input: a new file may be written into the folder, an existing one never replaced


RUN_DIR_FILES = ("config.yaml", "history.json", "metrics.json", ".lock")
RUN_DIR_FOLDERS = ("checkpoints", "weights")


def artefact_inputs(path):
    """The inputs of a command that reads the folder `path` (`--weights`, `--run-dir`): a run dir's own files
    (`run_dir_inputs`: the rest of the dir stays writable), any other folder (a weights folder) as a whole."""
    if os.path.isfile(os.path.join(path, "config.yaml")):
        return run_dir_inputs(path)
    return [os.path.join(path, "")]


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _inside(target, directory):
    real = os.path.realpath(directory)
    return target == real or target.startswith(real.rstrip(os.sep) + os.sep)


def _holds_inode(directory, st, limit=1000):
    """Whether one of the first `limit` entries of `directory` is the file `st` (a hard link elsewhere)."""
    try:
        names = os.listdir(directory)[:limit]
    except OSError:
        return False
    for name in names:
        entry = _stat(os.path.join(directory, name))
        if entry is not None and (entry.st_dev, entry.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def aliased_input(target, inputs):
    """The declared input `target` would overwrite (same file, or inside a declared directory), or None."""
    st = _stat(target)
    for source in inputs:
        if not source:
            continue
        if os.path.basename(source) == EXISTING:  # the folder's existing files, e.g. a run's samples and figures
            folder = os.path.dirname(source)
            if st is not None and os.path.isdir(folder) and _inside(target, folder):
                return source
            continue
        source_st = _stat(source)
        if source.endswith(os.sep):  # a folder read as a whole
            if source_st is None or not stat.S_ISDIR(source_st.st_mode):
                continue
            if _inside(target, source) or (st is not None and _holds_inode(source, st)):
                return source
            continue
        if os.path.realpath(source) == target:
            return source
        if st is not None and source_st is not None and (st.st_dev, st.st_ino) == (source_st.st_dev, source_st.st_ino):
            return source
    return None


class InputError(errors.UserError):
    """An input file that cannot be read as text (missing, a directory, not UTF-8)."""


MAX_INPUT_BYTES = 1 << 30  # 1 GiB: no input of this suite is near it; /dev/zero-like sources are refused before


def open_input(path, error=None, follow=True):
    """A user-named input opened for reading as bytes: it must be a regular file (a FIFO is never blocked on, a
    device such as /dev/zero or /dev/urandom never read), and it is declared as read (`check_output` will refuse
    to write over it). `error` (default InputError) names the path and the fault."""
    error = error or InputError
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise error("%s is a directory, not a file" % path)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:
            raise error("%s is a symlink; refusing to follow it (it should be a regular file)" % path)
        raise error("%s: cannot read: %s" % (path, err.strerror or err))
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        raise error("%s is a directory, not a file" % path)
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise error("%s is %s; it should be a regular file" % (path, file_kind(mode)))
    declare(path)
    return os.fdopen(fd, "rb")


def read_bytes(path, error=None, limit=MAX_INPUT_BYTES, what="file"):
    """All bytes of a user-named regular file (see `open_input`), refused past `limit` bytes."""
    with open_input(path, error) as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise (error or InputError)("%s is larger than %d bytes, too large for a %s" % (path, limit, what))
    return raw


def read_text(path):
    """The UTF-8 text of a user-named file (a leading BOM dropped); InputError names the file and the fault."""
    raw = read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError("%s is not UTF-8 text (byte %d is 0x%02x)" % (path, err.start, raw[err.start]))


def file_kind(mode):
    """'a directory', 'a symlink', 'a FIFO', ... for a stat mode that is not a regular file."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular(path, error=InputError):
    """The bytes of `path`, which must be a regular file: a symlink is never followed, a FIFO never blocked on.

    For the files a program wrote itself (a run dir's history, metrics, config): anything else there was put
    by hand and is refused with `error` naming the path.
    """
    with open_input(path, error, follow=False) as handle:
        return handle.read()
