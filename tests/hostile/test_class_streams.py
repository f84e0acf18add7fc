"""Hostile class 5: streams and signals. A closed or broken stderr, a stdout closed at start, a reader that
leaves, `-o /dev/stdout` into a pipe, stale temp files, strict JSON; SIGTERM/SIGHUP during a write or a
training run (slow: subprocesses)."""
import importlib
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import entry_points as ep  # noqa: E402  pylint: disable=wrong-import-position
from entry_points import call, snapshot  # noqa: E402,F401  pylint: disable=wrong-import-position
import toy_train  # noqa: E402  pylint: disable=wrong-import-position

from common import files, run  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


# ------------------------------------------------------------------------------- class 5: streams, signals

CLI_MODULES = ep.cli_modules()


class _Closed(object):
    """A stream whose every write fails the way a closed or broken one does."""

    def __init__(self, error):
        self.error = error

    def write(self, text):
        raise self.error

    def flush(self):
        raise self.error


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ValueError("I/O operation on closed file"),
                                   OSError(9, "Bad file descriptor")], ids=["EPIPE", "closed", "EBADF"])
@pytest.mark.parametrize("module", CLI_MODULES)
def test_a_broken_stderr_never_changes_the_outcome(monkeypatch, module, error):
    monkeypatch.setattr(sys, "stderr", _Closed(error))
    main = importlib.import_module(module).main
    try:
        code = main(["--no-such-flag"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2  # the bad flag's exit code, the message dropped, no traceback


@pytest.mark.parametrize("module", CLI_MODULES)
def test_a_closed_stdout_at_start_is_a_sink(monkeypatch, capsys, module):  # pylint: disable=unused-argument
    monkeypatch.setattr(sys, "stdout", None)
    main = importlib.import_module(module).main
    try:
        code = main(["--no-such-flag"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2


def test_a_reader_that_left_gives_141_and_a_finished_job_with_broken_stderr_0(monkeypatch):
    from common import cli

    @cli.entry_point
    def prints(argv=None):  # pylint: disable=unused-argument
        sys.stdout.write("x" * 10)
        raise BrokenPipeError(32, "Broken pipe")

    @cli.entry_point
    def works(argv=None):  # pylint: disable=unused-argument
        sys.stderr.write("a diagnostic nobody reads\n")
        return 0

    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)  # pytest's own stdout stays as it is
    assert prints() == cli.BROKEN_PIPE
    monkeypatch.setattr(sys, "stderr", _Closed(BrokenPipeError(32, "Broken pipe")))
    assert works() == 0


_PIPE_WRITER = """
import sys
sys.path.insert(0, %r)
from common import cli, files

@cli.entry_point
def main(argv=None):
    target = files.check_output(sys.argv[1])
    with files.atomic_write(target) as handle:
        for i in range(200000):
            handle.write("line %%d\\n" %% i)
    return 0

sys.exit(main())
""" % REPO


@pytest.mark.parametrize("reader", ["all", "head -c 10"])
def test_dev_stdout_into_a_pipe(tmp_path, reader):
    script = str(tmp_path / "w.py")
    with open(script, "w") as handle:
        handle.write(_PIPE_WRITER)
    shell = "set -o pipefail; %s %s /dev/stdout | %s; echo rc=${PIPESTATUS[0]} >&2" % (
        sys.executable, script, "cat" if reader == "all" else reader)
    done = subprocess.run(["bash", "-c", shell], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = done.stderr.decode()
    assert "Traceback" not in err
    if reader == "all":
        assert done.stdout.decode().count("\n") == 200000 and "rc=0" in err
    else:
        assert len(done.stdout) == 10 and "rc=141" in err
    assert not [n for n in os.listdir(str(tmp_path)) if ".tmp-" in n]


@pytest.mark.slow
@pytest.mark.parametrize("module", CLI_MODULES)
def test_help_into_a_pipe_that_closes(module):
    shell = "%s -m %s --help | head -c 10 >/dev/null; echo rc=${PIPESTATUS[0]} >&2" % (sys.executable, module)
    done = subprocess.run(["bash", "-c", shell], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    err = done.stderr.decode()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "rc=0" in err or "rc=141" in err, err


def _conditions(path, n):
    rng = np.random.RandomState(0)
    days, months = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), ("JAN", "FEB", "MAR", "APR", "MAY", "JUN")
    with open(path, "w") as handle:
        for _ in range(n):
            handle.write("[%s] [%s] [False] [%d]\n" % (days[rng.randint(7)], months[rng.randint(6)],
                                                       rng.randint(180, 220)))


@pytest.mark.slow
@pytest.mark.parametrize("signum, delay", [(signal.SIGTERM, 4.0), (signal.SIGTERM, 7.0), (signal.SIGHUP, 5.5),
                                           (signal.SIGINT, 6.0)])
def test_a_signalled_writer_keeps_the_old_output_and_no_temp_file(tmp_path, signum, delay):
    import time
    source, target = str(tmp_path / "in.txt"), str(tmp_path / "out.txt")
    _conditions(source, 150000)
    with open(target, "w") as handle:
        handle.write("old\n")
    proc = subprocess.Popen([sys.executable, "-m", "tf1_dates.predict", "-i", source, "-o", target], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    with open(target) as handle:
        text = handle.read()
    if proc.returncode == 0:  # it finished before the signal: the new output is whole
        assert text.count("\n") == 150000
    else:
        assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum) and text == "old\n"
    assert not [n for n in os.listdir(str(tmp_path)) if ".tmp-" in n]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_training_stops_on_term_and_hup_and_resumes(tmp_path, signum):
    import time
    run_dir = str(tmp_path / "run")
    script = os.path.join(os.path.dirname(HERE), "common", "toy_train.py")
    proc = subprocess.Popen([sys.executable, script, "--run-dir", run_dir, "--steps", "100000", "--ckpt-every",
                             "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(8)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and b"stopped at step" in err, err
    assert os.listdir(os.path.join(run_dir, "checkpoints"))


def test_stale_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    target = str(tmp_path / "out.json")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = files.temp_path(target, dead.pid)
    alive = files.temp_path(target, os.getppid())
    other = files.temp_path(str(tmp_path / "other.json"), dead.pid)
    for path in (stale, alive, other):
        open(path, "w").close()
    files.write_json(target, {"a": 1})
    assert not os.path.exists(stale)          # a killed writer's: removed
    assert os.path.exists(alive)              # a running writer's: kept
    assert os.path.exists(other)              # another target's: not ours to touch


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float32("nan"),
                                   np.array([1.0, np.nan])], ids=["nan", "inf", "-inf", "np.float32 nan", "array"])
def test_json_is_strict_and_a_nan_is_refused_before_anything_is_written(tmp_path, value):
    target = str(tmp_path / "metrics.json")
    files.write_json(target, {"old": 1})
    with pytest.raises(ValueError, match=r"metrics.json: \$\['x'\]"):
        files.write_json(target, {"ok": 1.0, "x": value})
    assert files.read_json(target) == {"old": 1} and os.listdir(str(tmp_path)) == ["metrics.json"]


def test_metrics_json_is_strict_an_undefined_metric_is_null_and_named(tmp_path):
    run_dir = str(tmp_path / "run")
    assert toy_train.main(["--run-dir", run_dir, "--steps", "2", "--ckpt-every", "1"]) == 0
    notes = []
    cfg = toy_train.SCHEMA.parse(["--run-dir", run_dir, "--steps", "2", "--ckpt-every", "1"])
    with run.Run(cfg, run_dir, log=notes.append) as r:
        r.finish({"loss": 0.5, "rate": float("nan"), "nested": {"x": np.float32("inf")}})
    assert files.read_json(os.path.join(run_dir, "metrics.json")) == {"loss": 0.5, "rate": None,
                                                                       "nested": {"x": None}}
    assert any("rate" in note and "null" in note for note in notes)
    with open(os.path.join(run_dir, "metrics.json")) as handle:
        assert "NaN" not in handle.read() and "Infinity" not in open(os.path.join(run_dir, "history.json")).read()


def test_lock_fifo_is_refused_without_blocking(tmp_path, no_hang):  # pylint: disable=unused-argument
    os.makedirs(str(tmp_path / "r"))
    os.mkfifo(str(tmp_path / "r" / ".lock"))
    with pytest.raises(run.RunError, match=r"\.lock is a FIFO"):
        run.RunLock(str(tmp_path / "r")).acquire()


_NON_ASCII = """
import sys
sys.path.insert(0, %r)
from common import cli

@cli.entry_point
def main(argv=None):
    print("wrote /tmp/\\u00fcn\\u00ef/out.txt")
    sys.stderr.write("note: /tmp/\\u00fcn\\u00ef\\n")
    return 0

sys.exit(main())
""" % REPO


def test_a_non_ascii_message_under_lc_all_c_is_escaped_not_a_traceback(tmp_path):
    script = str(tmp_path / "w.py")
    with open(script, "w") as handle:
        handle.write(_NON_ASCII)
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("PYTHONIOENCODING", None)
    done = subprocess.run([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=60)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"\\xfcn\\xef/out.txt" in done.stdout and b"note: /tmp/\\xfcn\\xef" in done.stderr
