"""Entry points: one contract for every command, `main(argv) -> int`.

Exit codes: 0 done, 2 bad input or configuration (a `UserError`: the message names the file, line or key and
the reason, no traceback), 3 training diverged (a non-finite loss: no metrics, the last checkpoint kept),
130 stopped: a training run stopped by Ctrl-C, SIGTERM or SIGHUP (a checkpoint is kept; the same command
resumes), or any command interrupted by Ctrl-C; 143 / 129 any other command ended by SIGTERM / SIGHUP (the
shell's 128 + signal number). An interrupted command leaves its previous output file intact and no temp file
(`common.files.atomic_write` cleans up as the interruption unwinds).
141 the reader of stdout went away (`cmd | head -c 10`): what it wanted was written, the rest is dropped
without a traceback; 141 (128 + SIGPIPE) is what Unix tools killed by SIGPIPE report, so `set -o pipefail`
still sees that the output was cut.
stderr carries only diagnostics: a closed or broken stderr never changes the outcome (its messages are
dropped), and a stdout closed before the start (`>&-`) is a sink, so a command whose product is a file still
finishes with 0. Under a non-UTF-8 locale (LC_ALL=C) characters the streams cannot carry (a non-ASCII path in
a message) are written as backslash escapes instead of failing. Anything else is a bug and keeps its traceback.
"""
import errno
import functools
import os
import re
import signal
import sys
import threading

from common import errors, inputs

OK, BAD_INPUT, DIVERGED, STOPPED, BROKEN_PIPE = 0, 2, 3, 130, 141
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP outside a training loop: unwinds like Ctrl-C (temp files removed), exit 128 + signal."""

    def __init__(self, signum):
        super(Interrupted, self).__init__(signum)
        self.signum = signum


def _raise_interrupted(signum, frame):  # pylint: disable=unused-argument
    raise Interrupted(signum)


def _encodable(text, stream):
    """`text` with what the stream's encoding cannot carry escaped (LC_ALL=C and a non-ASCII path)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


class _Diagnostics(object):
    """sys.stderr for the duration of a command: writes that fail (closed, broken pipe, full) are dropped;
    characters the terminal's encoding lacks are escaped, never an error."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            try:
                return self.stream.write(text) if self.stream is not None else len(text)
            except UnicodeEncodeError:
                return self.stream.write(_encodable(text, self.stream))
        except (OSError, ValueError, AttributeError, LookupError):
            return len(text)

    def flush(self):
        try:
            if self.stream is not None:
                self.stream.flush()
        except (OSError, ValueError, AttributeError):
            pass

    def isatty(self):
        try:
            return bool(self.stream.isatty())
        except (OSError, ValueError, AttributeError):
            return False

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _Escaping(object):
    """sys.stdout when its encoding is not UTF-8 (LC_ALL=C): characters it lacks are escaped, not an error."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except UnicodeEncodeError:
            return self.stream.write(_encodable(text, self.stream))

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _Sink(object):
    """sys.stdout when the process started with stdout closed: output goes nowhere, nothing fails."""

    encoding = "utf-8"

    def write(self, text):
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def _silence_stdout():
    """After a broken pipe: point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class _Streams(object):
    """Installs the stream and signal contract of the module docstring around one command, then restores."""

    def __enter__(self):
        self.saved = (sys.stdout, sys.stderr)
        if not isinstance(sys.stderr, _Diagnostics):
            sys.stderr = _Diagnostics(sys.stderr)
        if sys.stdout is None:
            sys.stdout = _Sink()
        elif not isinstance(sys.stdout, _Escaping) and \
                "utf" not in str(getattr(sys.stdout, "encoding", "utf-8") or "utf-8").lower():
            sys.stdout = _Escaping(sys.stdout)
        self.handlers = {}
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                    self.handlers[sig] = signal.signal(sig, _raise_interrupted)
        return self

    def __exit__(self, *exc):
        for sig, handler in self.handlers.items():
            signal.signal(sig, handler)
        if sys.stderr is not self.saved[1] and isinstance(sys.stderr, _Diagnostics):
            sys.stderr.flush()
        sys.stdout, sys.stderr = self.saved
        return False


def _broken_pipe(err):
    return isinstance(err, BrokenPipeError) or getattr(err, "errno", None) == errno.EPIPE


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EBADF, errno.EIO, errno.EROFS)


def _say(message):
    """A last message on stderr, if stderr can still take one."""
    try:
        sys.stderr.write(message)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _check_locale(argv):
    """Under an ASCII locale (LC_ALL=C on Python 3.6) a non-ASCII path cannot reach TensorFlow or the file system
    intact: say so once, in the user's terms, instead of an encoding error or a wrong "no checkpoint"."""
    if sys.getfilesystemencoding().lower() not in ("ascii", "ansi_x3.4-1968"):
        return
    for arg in argv:
        if any(ord(ch) > 127 for ch in str(arg)):
            raise errors.UserError("%r holds non-ASCII characters but the locale is ASCII (LC_ALL=C or POSIX); "
                                   "run with a UTF-8 locale, e.g. LC_ALL=C.UTF-8" % arg.encode("utf-8", "replace")
                                   .decode("ascii", "replace"))


def entry_point(main):
    """Decorator for `main(argv=None) -> int`: the exit codes and stream rules of the module docstring."""
    @functools.wraps(main)
    def wrapper(argv=None, **kwargs):
        with _Streams(), inputs.scope():
            try:
                _check_locale(sys.argv[1:] if argv is None else argv)
                code = main(argv, **kwargs)
                if sys.stdout is not None:
                    sys.stdout.flush()  # a reader that left shows up here, not in the interpreter's exit
                return code
            except errors.UserError as err:
                sys.stderr.write("error: %s\n" % err)
                return BAD_INPUT
            except errors.DivergedError as err:
                sys.stderr.write("error: %s\n" % err)
                return DIVERGED
            except Interrupted as err:
                sys.stderr.write("\nstopped by signal %d\n" % err.signum)
                return 128 + err.signum
            except KeyboardInterrupt:
                sys.stderr.write("\ninterrupted\n")
                return STOPPED
            except OSError as err:
                if _broken_pipe(err):
                    _silence_stdout()
                    return BROKEN_PIPE
                if err.errno in _OUTPUT_ERRNOS:  # a full disk, a closed or failing stream: not a bug of ours
                    _say("error: cannot write the output: %s\n" % (err.strerror or err))
                    return BAD_INPUT
                raise
    return wrapper


def done_or_stopped(result):
    """The exit code of a training function's result: None means it stopped early (130), else 0."""
    return STOPPED if result is None else OK


# -- `python -m <a library module>` ------------------------------------------------------------------------------
# A module of common/ or a task package is either a command (it ends with an `if __name__ == "__main__":` block,
# or is a package with a __main__.py; the task registry lists it: tests/common/test_modules.py) or a library
# that only the commands import. Run with `python -m`, a library would define its functions and exit 0 with no
# output; instead every such run stops in `common/__init__.py`, which every package imports first and Python
# runs before the module: `guard_library_modules` prints one line naming the package's commands, exit 2.

_MAIN_BLOCK = re.compile(r"""^if __name__ == ["']__main__["']:""", re.M)


def is_command(path):
    """Whether the module at `path` (a .py file, or a package's directory) runs as a command."""
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, "__main__.py"))
    try:
        with open(path, encoding="utf-8") as handle:
            return bool(_MAIN_BLOCK.search(handle.read()))
    except (OSError, UnicodeDecodeError):
        return False


def package_commands(name, root):
    """The commands under package `name` (its directory `root`), dotted and sorted."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if os.path.isfile(os.path.join(directory, d, "__init__.py")))
        rel = os.path.relpath(directory, root)
        dotted = name if rel == os.curdir else "%s.%s" % (name, rel.replace(os.sep, "."))
        if directory != root and is_command(directory):
            found.append(dotted)
        found += ["%s.%s" % (dotted, f[:-3]) for f in files
                  if f.endswith(".py") and f not in ("__init__.py", "__main__.py")
                  and is_command(os.path.join(directory, f))]
    return sorted(found)


def _dash_m_target():
    """The module `python -m` is starting, while its packages are imported (None otherwise): Python sets
    sys.argv[0] to "-m" until the module is found, and runpy's `_run_module_as_main` holds its name."""
    if sys.argv[:1] != ["-m"]:
        return None
    frame = sys._getframe(1)  # pylint: disable=protected-access
    while frame is not None:
        if frame.f_code.co_name == "_run_module_as_main" and frame.f_globals.get("__name__") == "runpy":
            return frame.f_locals.get("mod_name")
        frame = frame.f_back
    return None


def library_module_message(name, root):
    """The one line for `python -m <name>` when `name` (under the package whose directory is `root`) is not a
    command; None when it is one (or is no module at all: Python says so itself)."""
    top, parts = name.split(".")[0], name.split(".")[1:]
    path = os.path.join(root, *parts)
    if os.path.isfile(os.path.join(path, "__init__.py")):
        kind = "a package"
    elif os.path.isfile(path + ".py"):
        path, kind = path + ".py", "a library module"
    else:
        return None
    if is_command(path):
        return None
    return ("error: %s is %s, not a command; the commands of %s: %s (each takes --help)"
            % (name, kind, top, ", ".join("python -m " + c for c in package_commands(top, root)) or "none"))


def guard_library_modules():
    """Called once, by common/__init__.py: `python -m` on a library module of common/ or a tf1_* package prints
    what it is and the package's commands, and exits 2 before the module runs."""
    name = _dash_m_target()
    top = (name or "").split(".")[0]
    package = sys.modules.get(top)
    if not (top == "common" or top.startswith("tf1_")) or package is None or not getattr(package, "__path__", None):
        return
    message = library_module_message(name, package.__path__[0])
    if message:
        _say(message + "\n")
        sys.exit(BAD_INPUT)


def run_trainer(trainer, argv, train):
    """The body of every training CLI: parse `trainer.schema`, `train(trainer, cfg)`, exit code."""
    @entry_point
    def main(argv=None):
        cfg = trainer.schema.parse(argv, description=trainer.description)
        return done_or_stopped(train(trainer, cfg))
    return main(argv)
