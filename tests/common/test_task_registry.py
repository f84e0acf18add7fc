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

from common import errors, loop, run_files, task

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


# -- finite divergence: the loop's LossWatch, driven by each trainer's declared loss ---------------------------

def _declared(trainer):
    cfg = trainer.schema.parse([])
    return cfg, trainer.loss_key, trainer.trivial_loss(cfg)


def test_every_trainer_declares_its_training_loss_and_a_diverging_run(toy_registered):
    for trainer in task.trainers():
        _, key, trivial = _declared(trainer)
        assert isinstance(key, str) and key, trainer.module
        value, what = trivial
        assert np.isfinite(value) and value > 0 and what, trainer.module
        assert trainer.diverge_args, trainer.module


TRAINERS = {t.module: t for t in task.trainers()}


@pytest.mark.parametrize("module", sorted(TRAINERS))
def test_the_loss_watch_stops_each_trainers_loss_far_above_a_trivial_model(module):
    """A generated case per trainer, on its own key and yardstick: far above it twice in a row, or at the last
    log point, is a divergence (exit 3 through cli.entry_point); once, below it, or just under the limit is not."""
    trainer = TRAINERS[module]
    cfg, key, (trivial, what) = _declared(trainer)
    far, below, under = 20 * trivial, 0.5 * trivial, 0.99 * loop.DIVERGENCE_FACTOR * trivial

    def watch(rows=()):
        return loop.LossWatch(trainer, cfg, run_files.History(rows))

    quiet = watch()
    for step, value in enumerate([below, far, below, far, under, far, under, under], 1):
        quiet.check({key: value, "other": 1e30}, step, last=step == 8)  # other scalars are not the loss
    quiet.check_declared(trainer)
    with pytest.raises(errors.DivergedError) as info:
        twice = watch()
        for step, value in enumerate([below, far, far], 1):
            twice.check({key: value}, step, last=False)
    message = str(info.value)
    assert "diverged at step 3: %s was" % key in message and "at step 2 and" in message, message
    assert "2 log points in a row" in message and what in message and "no metrics were written" in message
    assert "learning" in message and "try a smaller" in message, message
    with pytest.raises(errors.DivergedError, match="the run's last log point"):
        watch().check({key: far}, 1, last=True)
    with pytest.raises(errors.DivergedError, match="at step 5 and .* at step 6"):  # a resumed run: history counts
        watch([{"step": 4, key: below}, {"step": 5, key: far}]).check({key: far}, 6, last=False)
    with pytest.raises(RuntimeError, match="declares loss_key"):  # a misspelt key is a bug, never a silent pass
        watch().check_declared(trainer)


def test_a_finite_divergence_fails_with_exit_3_and_a_normal_run_does_not(toy_registered, tmp_path, capsys):
    trainer = toy_registered.trainers[0]
    run_dir = str(tmp_path / "run")
    code = trainer.main(["--run-dir", run_dir] + list(trainer.diverge_args))
    err = capsys.readouterr().err
    assert code == 3, err
    assert "diverged at step 4: loss/train was" in err and "2 log points in a row" in err and "above 10 = 10 x 1" in err
    assert "not finite" not in err and "try a smaller --lr" in err
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
    assert trainer.main(["--run-dir", str(tmp_path / "normal")]) == 0  # lr 0.05: the same watch stays quiet


def _run_case(trainer, argv, tmp_path):
    missing = [p for p in trainer.requires if not os.path.exists(os.path.join(ROOT, p))]
    if missing:
        pytest.skip("needs %s (make qm9)" % ", ".join(missing))
    return [a.replace("{tmp}", str(tmp_path)) for a in argv]


@pytest.mark.slow
@pytest.mark.parametrize("module", sorted(TRAINERS))
def test_every_trainer_stops_its_finite_divergence_with_exit_3(module, tmp_path, capsys):
    """Each trainer's `diverge_args` (a learning rate at its limit): the watch stops it before any NaN."""
    trainer = TRAINERS[module]
    argv = _run_case(trainer, list(trainer.diverge_args) + ["--run-dir", "{tmp}/run"], tmp_path)
    code = trainer.main(argv)
    err = capsys.readouterr().err
    assert code == 3, err
    assert "training diverged at step" in err and "%s was" % trainer.loss_key in err and "not finite" not in err, err
    assert not os.path.exists(str(tmp_path / "run" / "metrics.json"))


@pytest.mark.slow
@pytest.mark.parametrize("module", sorted(TRAINERS))
def test_every_trainers_tiny_run_is_not_flagged_and_logs_its_loss(module, tmp_path):
    trainer = TRAINERS[module]
    assert trainer.main(_run_case(trainer, list(trainer.smoke_args), tmp_path)) == 0
    rows = json.load(open(str(tmp_path / "run" / "history.json")))
    assert any(trainer.loss_key in row for row in rows)
