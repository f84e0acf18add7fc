"""Fixtures of the class-by-class hostile suite (test_class_*.py)."""
import os
import signal
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))


@pytest.fixture
def no_hang():
    """A case that blocks (a FIFO opened for reading) fails after 30 s instead of hanging the suite."""
    def timeout(signum, frame):  # pylint: disable=unused-argument
        raise AssertionError("blocked for 30 s")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def finished_toy_run(tmp_path_factory):
    """A finished 20-step run of tests/common/toy_train.py (copy it before changing anything)."""
    import toy_train  # pylint: disable=import-outside-toplevel
    run_dir = os.path.join(str(tmp_path_factory.mktemp("toy")), "run")
    assert toy_train.main(["--run-dir", run_dir, "--steps", "20", "--ckpt-every", "10"]) == 0
    return run_dir
