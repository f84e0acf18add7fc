"""The registry is the only list of tasks: a sixth task added in a temp module (one task.py, one registry line)
joins the CLI contract, the vocabulary check, the stop/resume matrix, the hostile matrix and the invariants
with no other edit; and the shared loop's contract holds for it (stop -> 130 -> exact resume, divergence -> 3)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from common import task

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_task")


@pytest.fixture
def toy_registered(monkeypatch):
    """The toy package importable and one line added to the registry."""
    monkeypatch.syspath_prepend(TOY_PATH)
    monkeypatch.setattr(task, "REGISTRY", task.REGISTRY + ("tf1_toy",))
    return task.load("tf1_toy")


def _weights(run_dir):
    path = tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    return tf.train.load_checkpoint(path).get_tensor("w")


def test_registry_lists_every_task_package_once():
    assert len(set(task.REGISTRY)) == len(task.REGISTRY)
    for name in task.REGISTRY:
        assert os.path.isfile(os.path.join(ROOT, name, "task.py")), name
        assert task.load(name).name == name


def test_list_needs_no_tensorflow():
    out = subprocess.run([sys.executable, "-c", "import sys; from common import task; task.main(['list']); "
                                                "assert 'tensorflow' not in sys.modules"],
                         cwd=ROOT, stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    assert out.split() == list(task.REGISTRY)


def test_a_new_task_joins_every_consumer(toy_registered):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import invariants  # pylint: disable=import-outside-toplevel
        import test_cli_vocabulary  # pylint: disable=import-outside-toplevel
        import test_stop_resume  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
        sys.path.pop(0)
    sys.path.insert(0, os.path.join(ROOT, "tests", "hostile"))
    try:
        import cases  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    assert "tf1_toy.train" in test_cli_vocabulary.training_clis()
    assert "tf1_toy.train" in test_stop_resume._tasks()  # pylint: disable=protected-access
    assert "tf1_toy.train" in cases._registry()[0]  # pylint: disable=protected-access
    assert "toy" in invariants.cases()
    assert "tf1_toy" in [t.name for t in task.tasks()]


def test_the_new_task_follows_the_vocabulary(toy_registered, capsys):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    try:
        import test_cli_vocabulary  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    with pytest.raises(SystemExit) as exit_info:
        toy_registered.trainers[0].main(["--help"])
    assert exit_info.value.code == 0
    test_cli_vocabulary.check_vocabulary("tf1_toy.train", capsys.readouterr().out)


def test_the_new_task_gets_the_run_contract(toy_registered, tmp_path, capsys):
    trainer = toy_registered.trainers[0]
    straight, parts = str(tmp_path / "straight"), str(tmp_path / "parts")
    assert trainer.main(["--run-dir", straight]) == 0
    assert "final loss" in capsys.readouterr().out  # the end-of-run table
    assert trainer.main(["--run-dir", parts, "--session-steps", "5"]) == 130
    assert not os.path.exists(os.path.join(parts, "metrics.json"))
    assert trainer.main(["--run-dir", parts, "--lr", "0.01"]) == 2  # a changed configuration is refused
    assert "another configuration" in capsys.readouterr().err
    assert trainer.main(["--run-dir", parts]) == 0
    np.testing.assert_array_equal(_weights(parts), _weights(straight))
    rows = json.load(open(os.path.join(parts, "history.json")))
    assert [r["step"] for r in rows] == [2, 4, 6, 8, 10, 12]
    assert trainer.main(["--run-dir", parts, "--bogus"]) == 2


def test_a_diverging_run_fails_with_exit_3_and_no_metrics(toy_registered, tmp_path, capsys):
    run_dir = str(tmp_path / "run")
    code = toy_registered.trainers[0].main(["--run-dir", run_dir, "--target-scale", "1e38"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "diverged at step 2" in err and "loss/train" in err and "not finite" in err
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
