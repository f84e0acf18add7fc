"""Every task's training: SIGTERM mid-run -> exit 130, a checkpoint, no metrics; the same command resumes to
exactly the weights of an uninterrupted run (fingerprints of tools/invariants.py)."""
import glob
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import invariants  # noqa: E402  pylint: disable=wrong-import-position

# module, argv (a run long enough to be caught mid-way, checkpointing often), step to wait for
TASKS = {
    "dna": ("tf1_dna.train", ["--epochs", "300", "--ckpt-every", "1", "--threads", "1", "--eval-orfs", "2"], 5),
}


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


@pytest.mark.parametrize("task", sorted(TASKS))
def test_sigterm_exits_130_and_resume_equals_uninterrupted(task, tmp_path):
    module, argv, step = TASKS[task]
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    assert subprocess.run([sys.executable, "-m", module] + argv + ["--run-dir", whole], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    proc = _start(module, argv, parts)
    _wait_for_checkpoint(proc, parts, step)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    assert "stopped at step" in out + err and "Traceback" not in out + err
    assert not os.path.exists(os.path.join(parts, "metrics.json"))
    resumed = subprocess.run([sys.executable, "-m", module] + argv + ["--run-dir", parts], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from step" in resumed.stdout + resumed.stderr
    assert os.path.exists(os.path.join(parts, "metrics.json"))
    assert invariants.fingerprint(os.path.join(parts, "checkpoints")) == \
        invariants.fingerprint(os.path.join(whole, "checkpoints"))
