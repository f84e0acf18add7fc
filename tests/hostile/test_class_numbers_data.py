"""Hostile classes 3 and 4: every number of every training Schema at and past the limit of the type it feeds
(int32, seeds TensorFlow would wrap, finite float32, bounds in float32, YAML sexagesimal); bad MNIST, FASTA and
QM9 data refused at load, before any training, by every entry point that reads them."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import entry_points as ep  # noqa: E402  pylint: disable=wrong-import-position
from entry_points import call, snapshot  # noqa: E402,F401  pylint: disable=wrong-import-position

from common import config, errors  # noqa: E402  pylint: disable=wrong-import-position


# ------------------------------------------------------------------------------------- class 3: numbers

def _number_cases():
    cases = []
    for schema_name, schema in ep.training_schemas():
        for key in schema.keys.values():
            kind = key.item_type if key.type is tuple else key.type
            if key.choices is not None or kind not in (int, float):
                continue
            upper = [b for op, b in key.bounds if op in ("<=", "<")]
            if kind is int:
                limit = min(upper + [config.INT32_MAX])
                past = sorted({limit + 1, config.INT32_MAX + 1, 2 ** 63})
                cases.append(pytest.param(schema_name, key.name, str(limit), "ok", id="%s %s=%d (limit)"
                                          % (schema_name, key.name, limit)))
                values = [str(v) for v in past] + ["1:30"]
            else:
                values = ["1e308", "-1e308", "3.5e38", "nan", "inf"]
                for op, bound in key.bounds:
                    if op == "<":  # the largest float64 below the bound: refused if float32 rounds it up to it
                        below = float(np.nextafter(bound, -np.inf))
                        expect = "refused" if float(np.float32(below)) >= bound else "ok"
                        cases.append(pytest.param(schema_name, key.name, repr(below), expect,
                                                  id="%s %s=%r (float32)" % (schema_name, key.name, below)))
            cases += [pytest.param(schema_name, key.name, value, "refused", id="%s %s=%s" % (schema_name, key.name,
                                                                                               value))
                      for value in values]
    return cases


@pytest.mark.parametrize("schema_name, key_name, value, expect", _number_cases())
def test_every_number_has_the_range_of_the_type_it_feeds(tmp_path, schema_name, key_name, value, expect):
    schema = dict(ep.training_schemas())[schema_name]
    key = schema.keys[key_name]
    tuple_key = key.type is tuple
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("%s: %s\n" % (key_name, "[%s]" % value if tuple_key else value))
    routes = [lambda: schema.load_yaml(str(yaml_file))]
    if value != "1:30":
        number = int(value) if (key.item_type if tuple_key else key.type) is int else float(value)
        routes.append(lambda: key.check([number] if tuple_key else number))
        if expect == "refused":
            routes.append(lambda: schema.parse(["%s=%s" % (key.flag, value)]))
    for route in routes:
        if expect == "ok":
            route()
            continue
        with pytest.raises(config.ConfigError) as caught:
            route()
        assert repr(key_name) in str(caught.value) and len(str(caught.value)) < 1000, str(caught.value)


def test_seeds_are_refused_where_tensorflow_would_wrap_them():
    for schema_name, schema in ep.training_schemas():
        for name in [n for n in schema.keys if n == "seed" or n.endswith("_seed")]:
            schema.keys[name].check(2 ** 31 - 2)
            with pytest.raises(config.ConfigError, match=name):
                schema.keys[name].check(2 ** 31 - 1)  # TensorFlow would use it as seed 0


# ---------------------------------------------------------------------------------------- class 4: data

def _npz(path, images, labels):
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)


MNIST_FAULTS = [
    ("floats in [0, 1]", lambda: (np.random.RandomState(0).rand(8, 28, 28), np.zeros(8, np.uint8)), "float64"),
    ("NaN pixels", lambda: (np.full((8, 28, 28), np.nan), np.zeros(8, np.uint8)), "float64"),
    ("int16 up to 1020", lambda: (np.full((8, 28, 28), 1020, np.int16), np.zeros(8, np.uint8)), "value 1020"),
    ("label -1", lambda: (np.zeros((8, 28, 28), np.uint8), np.full(8, -1, np.int64)), "value -1 "),
    ("label 10", lambda: (np.zeros((8, 28, 28), np.uint8), np.full(8, 10, np.int64)), "value 10 "),
]
MNIST_ENTRIES = [("load", None), ("tf1_mnist.main", ["--epochs", "1"]), ("tf1_mnist.cnn", ["--epochs", "1"]),
                 ("tf1_gan.train", ["--epochs", "1", "--variant", "linear", "--no-eval"])]


@pytest.mark.parametrize("entry, extra", MNIST_ENTRIES, ids=[e[0] for e in MNIST_ENTRIES])
@pytest.mark.parametrize("fault, make, pattern", MNIST_FAULTS, ids=[f[0] for f in MNIST_FAULTS])
def test_mnist_arrays_are_checked_before_any_cast(tmp_path, capsys, entry, extra, fault, make,  # pylint: disable=unused-argument
                                                   pattern):
    from common import mnist
    path = str(tmp_path / "mnist.npz")
    _npz(path, *make())
    if entry == "load":
        with pytest.raises(errors.DataError, match=pattern):
            mnist.load_mnist("npz", "train", path)
        return
    result = call(entry, ["--run-dir", str(tmp_path / "run"), "--data-source", "npz", "--data-dir", path] + extra,
                  capsys)
    assert result.code == 2 and pattern in result.err and "mnist.npz" in result.err, result.err
    assert not os.path.exists(str(tmp_path / "run"))


ORF = "ATGCCTAAATAA"  # M P K *
FASTA_FAULTS = [
    ("no start codon", ">s DNA\nCCTCCTAAATAA\n>s PROTEIN\nPPK*\n", "not the start codon ATG"),
    ("no stop codon", ">s DNA\nATGCCTAAAGGG\n>s PROTEIN\nMPKG\n", "not a stop codon"),
    ("inner stop codon", ">s DNA\nATGTAAAAATAA\n>s PROTEIN\nM*K*\n", "stop codon TAA at codon 2"),
    ("protein without its stop", ">s DNA\nATGCCTAAATAA\n>s PROTEIN\nMPKG\n", "must start with M"),
]
FASTA_ENTRIES = [("read_pairs", None), ("tf1_dna.train", ["--epochs", "1"]), ("tf1_dna.translate", [])]


@pytest.mark.parametrize("entry, extra", FASTA_ENTRIES, ids=[e[0] for e in FASTA_ENTRIES])
@pytest.mark.parametrize("fault, text, pattern", FASTA_FAULTS, ids=[f[0] for f in FASTA_FAULTS])
def test_fasta_pairs_are_reading_frames_before_any_training(tmp_path, capsys, entry, extra, fault,  # pylint: disable=unused-argument
                                                            text, pattern):
    from tf1_dna import data
    path = str(tmp_path / "w.fasta")
    with open(path, "w") as handle:
        handle.write(text)
    if entry == "read_pairs":
        with pytest.raises(errors.DataError, match=pattern):
            data.read_pairs(path)
        return
    result = call(entry, ["--run-dir", str(tmp_path / "run"), "--fasta", path] + extra, capsys)
    assert result.code == 2 and pattern in result.err and "w.fasta" in result.err, result.err
    assert not os.path.exists(str(tmp_path / "run"))


def _qm9_arrays():
    from tf1_molecules import qm9
    m, n = 4, qm9.MAX_ATOMS
    z = np.zeros((m, n), np.uint8)
    z[:, :3] = (6, 1, 1)
    pos = np.zeros((m, n, 3), np.float32)
    pos[:, :3] = np.random.RandomState(0).randn(m, 3, 3)
    arrays = {"index": np.arange(1, m + 1, dtype=np.int32), "atomic_numbers": z, "positions": pos,
              "mask": z != 0, "num_atoms": np.full(m, 3, np.int32)}
    arrays.update((key, np.ones(m)) for key in qm9.PROPERTY_COLUMNS.values())
    return arrays


def _nan_position(a):
    a["positions"][2, 1, 0] = np.nan


def _element_99(a):
    a["atomic_numbers"][1, 0] = 99


def _short_positions(a):
    a["positions"] = a["positions"][:3]


def _mask_off(a):
    a["mask"][0, 0] = False


def _inf_property(a):
    next(v for k, v in sorted(a.items()) if k not in ("index", "atomic_numbers", "positions", "mask",
                                                        "num_atoms"))[3] = np.inf


QM9_FAULTS = [("NaN coordinate", _nan_position, "molecule 2 .*non-finite position"),
              ("atomic number 99", _element_99, "molecule 1 .*atomic number 99, which is not 0"),
              ("inconsistent shapes", _short_positions, "positions has shape"),
              ("mask disagrees", _mask_off, "molecule 0 .*mask that is not atomic_numbers > 0"),
              ("infinite property", _inf_property, "molecule 3 .*non-finite")]


@pytest.mark.parametrize("fault, spoil, pattern", QM9_FAULTS, ids=[f[0] for f in QM9_FAULTS])
def test_qm9_arrays_are_checked_at_load(tmp_path, fault, spoil, pattern):  # pylint: disable=unused-argument
    from tf1_molecules import qm9
    arrays = _qm9_arrays()
    path = str(tmp_path / "qm9.npz")
    np.savez(path, **arrays)
    assert len(qm9.load(path).index) == 4  # the unspoilt arrays load
    spoil(arrays)
    np.savez(path, **arrays)
    with pytest.raises(errors.DataError, match=pattern):
        qm9.load(path)
