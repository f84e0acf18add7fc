"""tf1_molecules QM9: the CSV loader on a fixture made here, masks, targets, batching, and a smoke run on data/qm9."""
import io
import os
import re
import zipfile

import numpy as np
import pytest
import tensorflow as tf

from common import config, errors, run
from tf1_molecules import data, model, qm9, qm9_data, qm9_train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QM9_NPZ = os.path.join(ROOT, "data", "qm9", "qm9.npz")
HEADER = ("XYZ_file,Index,SMILES,InChi,N_atoms,Stoichiometry,Elements,XYZ_Ang,Mulliken_pop,Harmonic_Freq_cmi,"
          "RotA_GHz,RotB_GHz,RotC_GHz,Dipole_debye,Polarizability_bohr3,HOMO_au,LUMO_au,HOMO_LUMO_gap_au,R2_bohr2,"
          "ZPVE_au,InternalEnergy_0K_au,InternalEnergy_298K_au,Enthalphy_298K_au,GibbsFreeEnergy_298K_au,"
          "Heatcapacity_Cv_cal_mol_K")
# Rows 1 (methane) and 3 (water) of QM9 as the qm9pack CSV has them.
METHANE = ('"dsgdb9nsd_000001.xyz",1,"C","InChI=1S/CH4/h1H4",5,"[4,1,0,0,0]","[\'C\',\'H\',\'H\',\'H\',\'H\']",'
           '"[[-0.0126981359,1.0858041578,0.0080009958],[0.002150416,-0.0060313176,0.0019761204],'
           '[1.0117308433,1.4637511618,0.0002765748],[-0.540815069,1.4475266138,-0.8766437152],'
           '[-0.5238136345,1.4379326443,0.9063972942]]","[-0.535689,0.133921,0.133922,0.133923,0.133923]",'
           '"[1341.307,1341.3284]",157.7118,157.70997,157.70699,0.,13.21,-0.3877,0.1171,0.5048,35.3641,0.044749,'
           '-40.47893,-40.476062,-40.475117,-40.498597,6.469')
WATER = ('"dsgdb9nsd_000003.xyz",3,"O","InChI=1S/H2O/h1H2",3,"[2,0,0,1,0]","[\'O\',\'H\',\'H\']",'
         '"[[-0.0343604951,0.9775395708,0.0076015923],[0.0647664923,0.0205721989,0.0015346341],'
         '[0.8717903737,1.3007924048,0.0006931336]]","[-0.589706,0.294853,0.294853]","[1671.4222,3803.6305]",'
         '799.58812,437.90386,282.94545,1.8511,6.31,-0.2928,0.0687,0.3615,19.0002,0.021375,-76.404702,-76.401867,'
         '-76.400922,-76.422349,6.002')


def _parse(*rows):
    return qm9.parse_csv(io.StringIO("\n".join((HEADER,) + rows) + "\n"), "fixture.csv")


def test_loader_parses_rows_and_assembles_padded_arrays():
    arrays = qm9.assemble(_parse(WATER, METHANE))             # sorted by QM9 index
    np.testing.assert_array_equal(arrays["index"], [1, 3])
    np.testing.assert_array_equal(arrays["num_atoms"], [5, 3])
    np.testing.assert_array_equal(arrays["atomic_numbers"][0, :6], [6, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(arrays["atomic_numbers"][1, :4], [8, 1, 1, 0])
    assert arrays["positions"].shape == (2, 29, 3) and arrays["mask"].sum() == 8
    np.testing.assert_allclose(arrays["positions"][1, 2], [0.8717903737, 1.3007924048, 0.0006931336], rtol=1e-6)
    assert not arrays["positions"][1, 3:].any()
    assert arrays["u0"][0] == -40.47893 and arrays["gap"][1] == 0.3615


@pytest.mark.parametrize("row, message", [
    (METHANE.replace(",5,", ",4,", 1), "row 2, field Elements: 5 elements but N_atoms is 4"),
    (METHANE.replace("'H','H']", "'H','Xe']"), "row 2, field Elements: unknown element 'Xe'"),
    (METHANE.replace("0.0080009958", "0.00800x9958"), "row 2, field XYZ_Ang: not a number"),
    (METHANE.replace("[4,1,0,0,0]", "[3,1,0,0,0]"), "row 2, field Stoichiometry"),
    (METHANE.replace("-40.47893", "nan"), "row 2, field InternalEnergy_0K_au: not finite"),
    (METHANE.replace(",0.9063972942]]", "]]"), "row 2, field XYZ_Ang: atom 5 has 2 coordinates"),
    (METHANE.rsplit(",", 1)[0], "row 2, field (row): 24 fields, the header has 25"),
])
def test_loader_names_file_row_and_field_of_a_malformed_row(row, message):
    with pytest.raises(qm9.DataError) as err:
        _parse(row)
    assert "fixture.csv" in str(err.value) and message in str(err.value)
    with pytest.raises(qm9.DataError, match="fixture.csv, row 3, "):   # a good row first: row numbers count on
        _parse(WATER, row)


def test_build_reads_the_wheel_and_writes_provenance(tmp_path):
    wheel = str(tmp_path / "qm9pack-1.0.3-py3-none-any.whl")
    with zipfile.ZipFile(wheel, "w") as archive:
        for k, member in enumerate(qm9.CSV_MEMBERS):
            archive.writestr(member, "\n".join([HEADER, [METHANE, WATER, WATER.replace(",3,", ",7,", 1)][k]]) + "\n")
        archive.writestr("qm9pack-1.0.3.dist-info/LICENSE", "MIT License\n")
    path = qm9.build(wheel, str(tmp_path / "out"), expect=3, log=lambda *a: None)
    molecules = qm9.load(path)
    np.testing.assert_array_equal(molecules.index, [1, 3, 7])
    np.testing.assert_array_equal(molecules.types[0, :6], [1, 0, 0, 0, 0, -1])
    text = (tmp_path / "out" / "PROVENANCE.md").read_text()
    assert "qm9pack" in text and "Molecules: 3" in text and text.count("sha256") >= 3 and "MIT License" in text
    with pytest.raises(qm9.DataError, match="3 molecules, expected 5"):
        qm9.build(wheel, str(tmp_path / "out2"), expect=5, log=lambda *a: None)


def test_load_names_the_file_and_the_fault_of_a_damaged_npz(tmp_path):
    from tf1_molecules import qm9_task
    for name, content, pattern in qm9_task.TRAINER.bad_data:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(errors.DataError, match=re.escape(str(path)) + ".*" + pattern.replace("data: ", "")):
            qm9.load(str(path))
    with pytest.raises(errors.DataError, match="nope.npz: cannot read: No such file.*make qm9"):
        qm9.load(str(tmp_path / "nope.npz"))
    with pytest.raises(errors.DataError, match="is a directory"):
        qm9.load(str(tmp_path))
    good = tmp_path / "one.npz"
    good.write_bytes(qm9_task._npz_bytes())  # pylint: disable=protected-access
    molecules = qm9.load(str(good))
    assert molecules.num_atoms.tolist() == [5] and molecules.types[0, :6].tolist() == [1, 0, 0, 0, 0, -1]


def test_atomization_energy_of_methane_and_water():
    arrays = qm9.assemble(_parse(METHANE, WATER))
    types = np.full((2, 29), -1, np.int8)
    for t, number in enumerate(qm9.ATOMIC_NUMBERS):
        types[arrays["atomic_numbers"] == number] = t
    molecules = qm9.Molecules(arrays["index"], arrays["atomic_numbers"], types, arrays["positions"], arrays["mask"],
                              arrays["num_atoms"], {k: arrays[k] for k in qm9.PROPERTY_COLUMNS.values()})
    y = qm9_data.target_values(molecules, "u0_atomization")
    # By hand: CH4: -40.47893 - (-37.846772 + 4 * -0.500273) = -0.631066 Ha; H2O: -76.404702 - (-75.064579 +
    # 2 * -0.500273) = -0.339577 Ha; times 627.5095 kcal/mol per Hartree.
    np.testing.assert_allclose(y, [-0.631066 * 627.5095, -0.339577 * 627.5095], rtol=1e-9)
    np.testing.assert_allclose(qm9_data.target_values(molecules, "gap"), [0.5048 * 27211.386, 0.3615 * 27211.386])


def test_split_is_fixed_disjoint_and_nested():
    full = qm9_data.split_indices(1000, 700, 100, seed=0)
    small = qm9_data.split_indices(1000, 700, 100, seed=0, train_size=50)
    assert len(full.train) == 700 and len(full.val) == 100 and len(full.test) == 200
    assert not set(full.train) & set(full.val) and not set(full.train) & set(full.test)
    assert set(small.train) <= set(full.train)
    np.testing.assert_array_equal(small.test, full.test)
    np.testing.assert_array_equal(qm9_data.split_indices(1000, 700, 100, seed=0).val, full.val)
    with pytest.raises(ValueError):
        qm9_data.split_indices(1000, 700, 100, train_size=701)


def test_size_batches_are_deterministic_epochs_of_similar_sizes():
    sizes = np.random.RandomState(0).randint(3, 30, size=500)
    batches = qm9_data.SizeBatches(sizes, 20, seed=3)
    epoch = np.concatenate([batches(s) for s in range(25)])
    assert len(set(epoch)) == 500                               # one epoch visits every molecule once
    spreads = [np.ptp(sizes[batches(s)]) for s in range(25)]
    assert max(spreads) <= 2                                    # sorted by size: little padding
    np.testing.assert_array_equal(qm9_data.SizeBatches(sizes, 20, seed=3)(37), batches(37))
    assert not np.array_equal(batches(3), batches(28))          # epochs differ
    # The epoch's molecules are data.EpochBatches's draw for the same seed (510 = 25 batches + 10 left out),
    # only arranged by size.
    sized, plain = qm9_data.SizeBatches(np.arange(510) % 7 + 3, 20, seed=4), data.EpochBatches(510, 20, seed=4)
    for epoch in (0, 1):
        steps = range(25 * epoch, 25 * epoch + 25)
        chosen = set(np.concatenate([sized(s) for s in steps]))
        assert len(chosen) == 500 and chosen == set(np.concatenate([plain(s) for s in steps]))


def _random_molecules(rng, batch, n, real):
    """Positions (B, n, 3), one-hot features (B, n, 5) and a mask with `real` real atoms per system."""
    r = rng.normal(scale=1.2, size=(batch, n, 3)).astype(np.float32)
    types = rng.randint(0, 5, size=(batch, n))
    types[:, real:] = -1
    r[:, real:] = 0.0
    return r, qm9_data.features(types), (types >= 0).astype(np.float32)


@pytest.mark.parametrize("options", [
    {},                                                                     # the exam's phi, masked
    {"expansion": "gaussian", "cutoff": 4.0, "table_size": None},
    {"expansion": "gaussian", "cutoff": 4.0, "table_size": 512},            # the QM9 configuration
])
def test_mask_padding_and_invariances(options):
    rng = np.random.RandomState(1)
    r, f, m = _random_molecules(rng, 3, 9, 6)
    # The same systems without padding, and with padded atoms placed at random points with random features.
    r_pad_moved = r.copy()
    r_pad_moved[:, 6:] = rng.normal(size=(3, 3, 3))
    f_pad_moved = f.copy()
    f_pad_moved[:, 6:] = rng.uniform(size=(3, 3, 5))
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    perm = rng.permutation(9)
    with tf.Graph().as_default():
        predictor = model.PropertyPredictor(29, 5, 1, width=8, num_blocks=2, hidden_units=16, **options)
        rp, fp, mp = (tf.placeholder(tf.float32, s) for s in ([None, None, 3], [None, None, 5], [None, None]))
        y = predictor(rp, fp, mp)[:, 0]
        randomise = [v.assign(rng.normal(scale=0.3, size=v.shape.as_list())) for v in predictor.variables]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(randomise)
            run = lambda a, b, c: sess.run(y, {rp: a, fp: b, mp: c})  # noqa: E731
            base = run(r, f, m)
            np.testing.assert_allclose(run(r[:, :6], f[:, :6], m[:, :6]), base, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(run(r_pad_moved, f_pad_moved, m), base, rtol=1e-5, atol=1e-5)
            moved = (r @ rot.T + np.array([0.5, -1.0, 2.0], np.float32)).astype(np.float32)
            np.testing.assert_allclose(run(moved, f, m), base, rtol=1e-4, atol=1e-4)  # padding moves too
            np.testing.assert_allclose(run(moved[:, perm], f[:, perm], m[:, perm]), base, rtol=1e-4, atol=1e-4)
            stretched = r.copy()
            stretched[:, 0] += 1.0
            assert np.abs(run(stretched, f, m) - base).max() > 1e-3   # real atoms do matter


def test_tabulated_phi_matches_phi_on_every_pair():
    rng = np.random.RandomState(2)
    r, f, m = _random_molecules(rng, 2, 7, 7)
    with tf.Graph().as_default():
        exact = model.MessagePassingLayer(7, 5, 16, expansion="gaussian", cutoff=4.0, num_centres=16, name="mp")
        out_exact = exact(tf.constant(r), tf.constant(f), tf.constant(m))
        table = model.MessagePassingLayer(7, 5, 16, expansion="gaussian", cutoff=4.0, num_centres=16,
                                          table_size=2048, name="mp_table")
        out_table = table(tf.constant(r), tf.constant(f), tf.constant(m))
        copy = [b.assign(a) for a, b in zip(exact.variables, table.variables)]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(copy)
            a, b = sess.run([out_exact, out_table])
    np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4)


def test_standardiser_round_trip_and_dressed_offsets():
    rng = np.random.RandomState(3)
    types = rng.randint(-1, 5, size=(200, 29)).astype(np.int8)
    zeros = np.zeros((200, 29, 3), np.float32)
    mols = qm9.Molecules(np.arange(200), types, types, zeros, types >= 0, (types >= 0).sum(1), {})
    counts = qm9_data.element_counts(mols)
    y = counts @ np.array([-1.0, -2.0, -3.0, -4.0, -5.0]) + 0.1 * rng.normal(size=200)
    std = qm9_data.Standardiser("dressed", mols, y)
    np.testing.assert_allclose(std.weights, [-1, -2, -3, -4, -5], atol=0.05)
    z = std.forward(mols, y)
    assert abs(z.mean()) < 1e-4 and abs(z.std() - 1.0) < 1e-4
    np.testing.assert_allclose(std.inverse(mols, z), y, atol=1e-5)


@pytest.mark.skipif(not os.path.exists(QM9_NPZ), reason="data/qm9/qm9.npz is absent (make qm9)")
def test_qm9_file_and_a_20_step_smoke_run(tmp_path):
    molecules = qm9.load(QM9_NPZ)
    assert len(molecules.index) == qm9.EXPECTED_MOLECULES and molecules.num_atoms.max() == 29
    np.testing.assert_allclose(qm9_data.target_values(qm9_data.subset(molecules, np.arange(1)), "u0_atomization"),
                               [-0.631066 * 627.5095], rtol=1e-6)   # row 1 is methane
    cfg = qm9_train.SCHEMA.make(
        data_path=QM9_NPZ, run_dir=str(tmp_path / "run"), num_train=200, width=16, num_blocks=1,
        hidden=32, batch_size=16, steps=20, eval_every=10, ckpt_every=10, threads=1, expansion="gaussian",
        cutoff=5.0, table_size=256, num_val=10000, eval_molecules=100, shifted_softplus=True)
    metrics = qm9_train.train(cfg, log=lambda *a: None)
    assert metrics["steps"] == 20 and metrics["num_train"] == 200 and metrics["num_test"] == 10831
    assert np.isfinite(metrics["test"]["mae_kcal_mol"]) and metrics["baseline_test_mean"]["mae_kcal_mol"] > 150
    for name in ("metrics.json", "history.json", "loss_curve.png", "test_scatter.png", "checkpoints/ckpt-20.index"):
        assert os.path.exists(str(tmp_path / "run" / name)), name
    logs = []
    with pytest.raises(run.RunError, match="another configuration"):   # a changed config is refused
        qm9_train.train(cfg.replace(steps=25), log=logs.append)
    with pytest.raises(config.ConfigError, match="cutoff > 0"):
        qm9_train.SCHEMA.make(expansion="gaussian", cutoff=0.0)
