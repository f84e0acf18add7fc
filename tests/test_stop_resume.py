"""Every task's training: SIGTERM or Ctrl-C mid-run -> exit 130, a checkpoint, no metrics; SIGKILL -> whatever
the last checkpoint holds; either way the same command resumes to exactly the weights of an uninterrupted run
(fingerprints of tools/invariants.py), with a history free of gaps and repeats."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import invariants  # noqa: E402  pylint: disable=wrong-import-position

from common import task as task_registry  # noqa: E402  pylint: disable=wrong-import-position


def _tasks():
    """{trainer module: (module, argv of a run long enough to be caught mid-way, step to wait for)}, from the
    registry: every trainer that declares `resume_args` is in the matrix."""
    return {t.module: (t.module, list(t.resume_args), t.resume_step)
            for t in task_registry.trainers() if t.resume_args}


TASKS = _tasks()


def _start(module, argv, run_dir):
    return subprocess.Popen([sys.executable, "-m", module] + argv + ["--run-dir", run_dir], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def _wait_for_checkpoint(proc, run_dir, step, timeout=300):
    deadline = time.time() + timeout
    pattern = os.path.join(run_dir, "checkpoints", "ckpt-*.index")
    while time.time() < deadline:
        steps = [int(os.path.basename(p)[5:-6]) for p in glob.glob(pattern)]
        if steps and max(steps) >= step:
            return
        if proc.poll() is not None:
            raise AssertionError("finished before step %d: %s" % (step, proc.stderr.read()))
        time.sleep(0.05)
    raise AssertionError("no checkpoint %d within %d s" % (step, timeout))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """task -> fingerprint of its uninterrupted run (computed once per task)."""
    cache = {}

    def get(task):
        if task not in cache:
            module, argv, _ = TASKS[task]
            run_dir = str(tmp_path_factory.mktemp(task) / "whole")
            assert subprocess.run([sys.executable, "-m", module] + argv + ["--run-dir", run_dir], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            cache[task] = invariants.fingerprint(os.path.join(run_dir, "checkpoints"))
        return cache[task]
    return get


FAST = set()  # all slow (make test-all): tests/common/test_run.py signals a toy run in the fast suite


def _cases():
    for task in sorted(TASKS):
        for signum, name in ((signal.SIGTERM, "TERM"), (signal.SIGINT, "INT"), (signal.SIGKILL, "KILL")):
            marks = () if (task, signum) in FAST else (pytest.mark.slow,)
            yield pytest.param(task, signum, id="%s-%s" % (task, name), marks=marks)


@pytest.mark.parametrize("task, signum", list(_cases()))
def test_stopped_run_resumes_to_the_uninterrupted_weights(task, signum, tmp_path, uninterrupted):
    module, argv, step = TASKS[task]
    parts = str(tmp_path / "parts")
    proc = _start(module, argv, parts)
    _wait_for_checkpoint(proc, parts, step)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=300)
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, err
        assert "stopped at step" in out + err and "Traceback" not in out + err
    assert not os.path.exists(os.path.join(parts, "metrics.json"))
    resumed = subprocess.run([sys.executable, "-m", module] + argv + ["--run-dir", parts], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from step" in resumed.stdout + resumed.stderr
    assert os.path.exists(os.path.join(parts, "metrics.json"))
    assert invariants.fingerprint(os.path.join(parts, "checkpoints")) == uninterrupted(task)
    if os.path.exists(os.path.join(parts, "history.json")):
        steps = [row["step"] for row in json.load(open(os.path.join(parts, "history.json")))]
        assert steps == sorted(set(steps)), "history has gaps or repeats after the resume"
