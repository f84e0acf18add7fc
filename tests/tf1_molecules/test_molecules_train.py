"""tf1_molecules.data and the synthetic trainer (tf1_molecules.train): the target, batching, a tiny resumable run."""
import glob
import json
import os

import numpy as np
import pytest

from common import errors, run
from tf1_molecules import data, train

def test_morse_pair_energy_known_values():
    depth, alpha, r0 = data.morse_parameters(0, 1)
    assert data.morse_parameters(1, 0) == (depth, alpha, r0)
    # At the well's minimum V = -D; far away V -> 0; V is symmetric in the two types.
    np.testing.assert_allclose(data.pair_energy(r0, 0, 1), -depth)
    np.testing.assert_allclose(data.pair_energy(50.0, 1, 0), 0.0, atol=1e-12)
    d = np.array([0.7, 1.3, 2.9])
    np.testing.assert_allclose(data.pair_energy(d, 0, 1), depth * ((1 - np.exp(-alpha * (d - r0))) ** 2 - 1))


def test_system_energy_is_sum_over_pairs_and_invariant():
    systems = data.generate(4, num_particles=5, seed=3)
    pos, types = systems.positions.astype(np.float64), systems.types
    for s in range(4):
        expected = sum(data.pair_energy(np.linalg.norm(pos[s, i] - pos[s, j]), types[s, i], types[s, j])
                       for i in range(5) for j in range(i + 1, 5))
        np.testing.assert_allclose(systems.energy[s], expected, rtol=1e-5)
    rot, _ = np.linalg.qr(np.random.RandomState(0).normal(size=(3, 3)))
    perm = np.array([3, 1, 4, 0, 2])
    moved = (pos @ rot.T + 2.0)[:, perm]
    np.testing.assert_allclose(data.system_energy(moved, types[:, perm]), systems.energy, rtol=1e-5)


def test_generate_is_seeded_and_respects_min_distance():
    a = data.generate(50, num_particles=6, min_distance=0.7, seed=5)
    b = data.generate(50, num_particles=6, min_distance=0.7, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert a.features.shape == (50, 6, 2) and a.positions.shape == (50, 6, 3) and a.energy.shape == (50,)
    i, j = np.triu_indices(6, 1)
    assert np.linalg.norm(a.positions[:, i] - a.positions[:, j], axis=-1).min() >= 0.7
    with pytest.raises(ValueError, match="do not fit"):
        data.generate(10, num_particles=100, box_size=1.0, min_distance=0.6)


def test_split_and_batches_are_deterministic_and_disjoint():
    systems = data.generate(100, num_particles=4, seed=0)
    train_set, val_set = data.split(systems, 0.2, seed=1)
    assert len(train_set.energy) == 80 and len(val_set.energy) == 20
    assert not set(map(float, train_set.energy)) & set(map(float, val_set.energy))
    batches = data.EpochBatches(80, 16, seed=2)
    epoch0 = np.concatenate([batches(s) for s in range(5)])
    assert sorted(epoch0) == list(range(80))  # one epoch visits every system once
    np.testing.assert_array_equal(data.EpochBatches(80, 16, seed=2)(7), batches(7))  # the step alone decides
    with pytest.raises(ValueError):
        data.split(systems, 1.5)
    with pytest.raises(ValueError, match="batch_size 81 exceeds the 80"):
        data.EpochBatches(80, 81, seed=2)


def test_epoch_batches_draw_what_the_recorded_runs_drew():
    """The draws of the synthetic runs (and of the molecules invariant): RandomState([seed, epoch])'s
    permutation, batch k of an epoch its k-th slice, the ragged tail left out."""
    batches = data.EpochBatches(83, 16, seed=5)
    for step in (0, 4, 5, 13, 101):
        epoch, position = divmod(step, 83 // 16)
        order = np.random.RandomState([5, epoch]).permutation(83)
        np.testing.assert_array_equal(batches(step), order[position * 16:(position + 1) * 16])
        assert batches(step).dtype == np.int32


def _tiny_cfg(run_dir, steps, **extra):
    return train.SCHEMA.make(
        run_dir=run_dir, num_systems=120, num_particles=4, width=8, num_blocks=1, hidden=16,
        batch_size=16, steps=steps, eval_every=2, ckpt_every=2, threads=1, **extra)


def test_smoke_run_writes_outputs_and_resumes(tmp_path):
    run_dir = str(tmp_path / "run")
    metrics = train.train(_tiny_cfg(run_dir, 3), log=lambda *a: None)
    for name in ("metrics.json", "config.yaml", "history.json", "loss_curve.png", "val_scatter.png"):
        assert os.path.exists(os.path.join(run_dir, name)), name
    assert glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(run_dir, "checkpoints", "ckpt-3.index"))
    assert metrics["steps"] == 3 and np.isfinite(metrics["val_mae"])
    assert metrics["baseline_val_mae"] > 0
    with open(os.path.join(run_dir, "metrics.json")) as handle:
        assert json.load(handle)["steps"] == 3
    # Running again with another configuration is refused (the run skeleton's contract) ...
    with pytest.raises(run.RunError, match="steps: 3 -> 5"):
        train.train(_tiny_cfg(run_dir, 5), log=lambda *a: None)
    # ... while a run stopped early resumes from its checkpoint rather than starting over.
    other = str(tmp_path / "other")
    assert train.train(_tiny_cfg(other, 5, session_steps=3), log=lambda *a: None) is None
    logs = []
    metrics = train.train(_tiny_cfg(other, 5), log=logs.append)
    assert metrics["steps"] == 5 and any("resumed from step 3" in line for line in logs)


def test_resumed_run_matches_uninterrupted_run(tmp_path):
    straight = train.train(_tiny_cfg(str(tmp_path / "a"), 4), log=lambda *a: None)
    assert train.train(_tiny_cfg(str(tmp_path / "b"), 4, session_steps=2), log=lambda *a: None) is None
    assert os.path.exists(str(tmp_path / "b" / "checkpoints" / "ckpt-2.index"))
    resumed = train.train(_tiny_cfg(str(tmp_path / "b"), 4), log=lambda *a: None)
    np.testing.assert_allclose(resumed["val_mae"], straight["val_mae"], rtol=1e-6)


def test_a_diverging_run_stops_with_exit_3_and_no_metrics(tmp_path, capsys):
    cfg = _tiny_cfg(str(tmp_path / "run"), 20, lr=10.0)  # the largest rate the schema allows: NaN at step 4
    with pytest.raises(errors.DivergedError, match=r"training diverged at step \d+: loss/batch=(inf|nan)"):
        train.train(cfg, log=lambda *a: None)
    assert not os.path.exists(str(tmp_path / "run" / "metrics.json"))
    assert train.main(["--run-dir", str(tmp_path / "cli"), "--num-systems", "120", "--num-particles", "4",
                       "--width", "8", "--num-blocks", "1", "--hidden", "16", "--batch-size", "16",
                       "--steps", "20", "--lr", "10", "--threads", "1"]) == 3
    assert "try a smaller --lr" in capsys.readouterr().err


def test_cli_help_and_bad_config_exit_codes(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        train.main(["--help"])
    assert exc.value.code == 0 and "--num-particles" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("num_particels: 3\n")
    assert train.main(["--config", str(bad)]) == 2 and "num_particels" in capsys.readouterr().err
    assert train.main(["--run-dir", str(tmp_path / "r"), "--num-particles", "200", "--box-size", "1.0"]) == 2
    assert "do not fit" in capsys.readouterr().err
    assert train.main(["--dataset", "qm9"]) == 2 and "--dataset" in capsys.readouterr().err  # QM9: qm9_train


def test_pair_histogram_features_count_pairs_by_type():
    systems = data.generate(5, num_particles=5, num_types=2, seed=2)
    feats = data.pair_histogram_features(systems, 2, bins=7).reshape(5, 4, 7)    # (S, type pairs, bins)
    np.testing.assert_array_equal(feats.sum(axis=(1, 2)), 10)                    # 5 * 4 / 2 pairs
    ones = systems.types.sum(axis=1)
    np.testing.assert_array_equal(feats[:, 3].sum(axis=1), ones * (ones - 1) // 2)  # type-1 with type-1
    assert feats[:, 2].sum() == 0                                                   # pairs are unordered


def test_report_section_lists_runs(tmp_path):
    from tf1_molecules import report
    train.train(_tiny_cfg(str(tmp_path / "runs" / "tiny"), 2), log=lambda *a: None)
    text = report.section(str(tmp_path / "runs"))
    assert "| tiny | 2 |" in text and "loss_curve.png" in text and "Pipeline checks" not in text
    train.train(_tiny_cfg(str(tmp_path / "runs" / "demo"), 2), log=lambda *a: None)  # what `make demo` writes
    text = report.section(str(tmp_path / "runs"))
    full, demo = text.split("### Pipeline checks")
    assert "| tiny | 2 |" in full and "| demo | 2 |" in demo and "2 of the recipe's 6,000 steps" in demo
    assert "Run demo (pipeline check): validation MAE" in demo
    assert "No finished runs" in report.section(str(tmp_path / "missing"))


@pytest.mark.slow
def test_training_beats_the_mean_baseline_by_far(tmp_path):
    cfg = train.SCHEMA.make(run_dir=str(tmp_path / "run"), num_systems=2000, steps=1500, eval_every=500,
                            ckpt_every=1500)
    metrics = train.train(cfg, log=lambda *a: None)
    assert metrics["val_mae"] < 0.5 * metrics["baseline_val_mae"]


def test_demo_keeps_the_flags_given_on_the_command_line(tmp_path, monkeypatch):
    from tf1_molecules import demo
    run_dir = str(tmp_path / "demo")
    monkeypatch.setattr("sys.argv", ["demo", "--run-dir", run_dir, "--steps", "2", "--eval-every", "1",
                                     "--num-systems", "120", "--num-particles", "4", "--width", "8", "--num-blocks",
                                     "1", "--hidden", "16", "--batch-size", "16", "--threads", "1"])
    assert demo.main() == 0  # argv from sys.argv, as `python -m tf1_molecules.demo` calls it
    with open(os.path.join(run_dir, "metrics.json")) as handle:
        assert json.load(handle)["steps"] == 2  # not the demo's 2500
    with open(os.path.join(run_dir, "history.json")) as handle:
        assert len(json.load(handle)) == 2  # --eval-every 1, not the demo's 250
