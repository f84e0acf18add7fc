"""U0 of molecules from their geometry: `python -m tf1_molecules.predict MOLECULE.xyz [--weights DIR]`.

Reads an XYZ file (one or more frames: a line with the atom count, a comment line, then one line per atom,
`Element x y z` in Angstrom; further columns are ignored; QM9's own `dsgdb9nsd_*.xyz` files, whose comment line
starts with `gdb` and whose atoms are followed by three lines of frequencies, SMILES and InChI, are read as they
are) and prints, per molecule, the predicted U0 (Hartree,
QM9's B3LYP/6-31G(2df,p) level) and atomization energy (kcal/mol) of the shipped QM9 model
(`tf1_molecules/weights/qm9_u0`, trained with `tf1_molecules/configs/qm9_u0.yaml`) or of any QM9 run dir
(`--weights runs/tf1_molecules/...`). A model trained on the HOMO-LUMO gap prints the gap (meV).

Only H, C, N, O and F are known, at most 29 atoms (QM9's largest molecule); an unknown element, a coordinate
that is not a finite number or a larger molecule is an error naming the file and line (exit 2).

    python -m tf1_molecules.qm9_export --run-dir RUN --out DIR    writes a weights folder from a finished run
"""
import argparse
import math
import os
import sys

import numpy as np

from common import cli, config, errors, inputs
from tf1_molecules import qm9, qm9_data

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "qm9_u0")
SYMBOLS = {e.lower(): t for t, e in enumerate(qm9.ELEMENTS)}


class XyzError(errors.DataError):
    """A malformed XYZ file (the message names the file and the line)."""


def parse_xyz(text, path="<xyz>"):
    """[(comment, types (n,) int, positions (n, 3) float32)] of every frame of an XYZ text.

    Raises:
      XyzError: naming the file, the line and the fault.
    """
    lines = text.splitlines()
    frames, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        where = "%s, line %d" % (path, i + 1)
        try:
            count = int(lines[i].split()[0])
        except ValueError:
            raise XyzError("%s: expected the number of atoms of a molecule, got %r" % (where, lines[i][:60]))
        if count < 1:
            raise XyzError("%s: a molecule needs at least 1 atom, got %d" % (where, count))
        if count > qm9.MAX_ATOMS:
            raise XyzError("%s: a molecule of %d atoms is larger than the model's limit of %d (QM9's largest)"
                           % (where, count, qm9.MAX_ATOMS))
        comment = lines[i + 1].strip() if i + 1 < len(lines) else ""
        types, positions = [], []
        for k in range(i + 2, i + 2 + count):
            if k >= len(lines):
                raise XyzError("%s, line %d: the file ends before the %d atom lines of this molecule"
                               % (path, k + 1, count))
            parts = lines[k].split()
            if len(parts) < 4:
                raise XyzError("%s, line %d: expected 'Element x y z', got %r" % (path, k + 1, lines[k][:60]))
            symbol = parts[0]
            if symbol.lower() not in SYMBOLS:
                raise XyzError("%s, line %d: unknown element %r (the model knows %s)"
                               % (path, k + 1, symbol[:10], ", ".join(qm9.ELEMENTS)))
            try:
                xyz = [float(v.replace("*^", "e")) for v in parts[1:4]]  # QM9's own files write 1.2*^-6
            except ValueError:
                raise XyzError("%s, line %d: the coordinates %s are not numbers" % (path, k + 1, " ".join(parts[1:4])))
            if not all(math.isfinite(v) and abs(v) < 1e4 for v in xyz):
                raise XyzError("%s, line %d: coordinate %s is not a finite number of Angstrom below 10,000"
                               % (path, k + 1, next(v for v in xyz if not (math.isfinite(v) and abs(v) < 1e4))))
            types.append(SYMBOLS[symbol.lower()])
            positions.append(xyz)
        i += 2 + count
        if comment.split()[:1] == ["gdb"]:  # QM9's format: "gdb <index> <properties>", then 3 trailer lines
            comment = " ".join(comment.split()[:2])
            i += 3
        frames.append((comment, np.array(types, np.int8), np.array(positions, np.float32)))
    if not frames:
        raise XyzError("%s: no molecule in the file" % path)
    return frames


def molecules_of(frames):
    """qm9.Molecules of parsed frames (padded to 29 atoms; no properties)."""
    m = len(frames)
    types = np.full((m, qm9.MAX_ATOMS), -1, np.int8)
    positions = np.zeros((m, qm9.MAX_ATOMS, 3), np.float32)
    for j, (_, t, r) in enumerate(frames):
        types[j, :len(t)], positions[j, :len(t)] = t, r
    mask = types >= 0
    z = np.where(mask, np.array(qm9.ATOMIC_NUMBERS, np.uint8)[np.maximum(types, 0)], 0).astype(np.uint8)
    return qm9.Molecules(np.arange(1, m + 1), z, types, positions, mask, mask.sum(axis=1).astype(np.int32), {})


def standardiser_of(weights_dir):
    """The qm9_data.Standardiser recorded in the weights' metrics.json, checked."""
    from common import files  # noqa: WPS433
    path = os.path.join(weights_dir, "metrics.json")
    try:
        record = files.read_json(path).get("standardiser")
    except (ValueError, AttributeError) as err:
        raise errors.DataError("%s: not the metrics of a QM9 run (%s)" % (path, str(err)[:120]))
    try:
        return qm9_data.Standardiser.from_dict(record)
    except ValueError as err:
        raise errors.DataError("%s: key 'standardiser': %s" % (path, err))


def load_model(weights_dir, threads=1):
    """(Restored session whose outputs are the predictor's graph, its config, standardiser)."""
    from common import inference  # noqa: WPS433  (imports TensorFlow)
    from tf1_molecules import qm9_graph, qm9_task
    if not os.path.isdir(weights_dir):
        raise errors.UserError("--weights %s: %s" % (weights_dir, "not a directory (a weights folder or a QM9 run "
                                                     "dir)" if os.path.exists(weights_dir) else "no such folder"))
    standardiser = standardiser_of(weights_dir)
    restored = inference.restore(weights_dir, lambda cfg: qm9_graph.build_inference(cfg),
                                 schema=qm9_task.SCHEMA, threads=threads,
                                 var_list=lambda graph: graph.get_collection("predictor_variables"))
    return restored, standardiser


def predict(restored, standardiser, molecules):
    """The target of every molecule in its unit (kcal/mol or meV), float64 (M,)."""
    from tf1_molecules import qm9_graph  # noqa: WPS433  (imports TensorFlow)
    return standardiser.inverse(molecules, qm9_graph.predict(restored.session, restored.outputs, molecules))


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("xyz", help="XYZ file (one or more molecules; '-' reads standard input)")
    parser.add_argument("--weights", default=WEIGHTS, help="weights folder or QM9 run dir (default: the shipped "
                                                           "U0 model, %s)" % os.path.relpath(WEIGHTS))
    parser.add_argument("--threads", type=config.at_least(1, high=256), default=1, help="TensorFlow threads "
                                                                                         "(default 1)")
    args = parser.parse_args(argv)
    if args.xyz == "-":
        try:
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise XyzError("standard input: not UTF-8 text (byte %d)" % err.start)
    else:
        text = inputs.read_text(args.xyz)
    frames = parse_xyz(text, args.xyz)
    molecules = molecules_of(frames)
    restored, standardiser = load_model(args.weights, args.threads)
    with restored:
        values = predict(restored, standardiser, molecules)
    target = restored.config.target
    if target == "u0_atomization":
        u0 = qm9_data.atomref_u0(molecules) + values / qm9_data.HARTREE_TO_KCAL_MOL
        print("molecule\tatoms\tU0 (Hartree)\tatomization energy (kcal/mol)")
        for j, (comment, types, _) in enumerate(frames):
            print("%s\t%d\t%.6f\t%.2f" % (comment or "molecule %d" % (j + 1), len(types), u0[j], values[j]))
    else:
        unit = qm9_data.TARGETS[target].unit
        print("molecule\tatoms\t%s (%s)" % (target, unit))
        for j, (comment, types, _) in enumerate(frames):
            print("%s\t%d\t%.1f" % (comment or "molecule %d" % (j + 1), len(types), values[j]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
