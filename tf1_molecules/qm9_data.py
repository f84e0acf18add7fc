"""QM9 as a learning problem: the fixed split, the targets and their units, standardisation, batches, baselines.

Works on the `qm9.Molecules` that `qm9.load` reads from data/qm9/qm9.npz (`make qm9`); nothing here reads or
writes files.
"""
import collections

import numpy as np

from tf1_molecules import data, qm9

# The fixed split of the molecules (one seeded permutation, `split_indices`): the first NUM_TRAIN train, the
# next num_val (default NUM_VAL, at most MAX_NUM_VAL: at least 831 of the 130,831 stay for testing) validate,
# the rest test. A smaller training set is a prefix of the NUM_TRAIN, so validation and test never change.
NUM_TRAIN = 110000
NUM_VAL = 10000
MAX_NUM_VAL = 20000

# Unit conversions (CODATA, as in REFERENCES.md): the CSV's energies are in Hartree.
HARTREE_TO_EV = 27.211386
HARTREE_TO_KCAL_MOL = 627.5095
CHEMICAL_ACCURACY_KCAL_MOL = 1.0

# QM9's atomref table: B3LYP/6-31G(2df,p) energies of the free atoms at 0 K (U0), in Hartree.
# Ramakrishnan, Dral, Rupp, von Lilienfeld, "Quantum chemistry structures and properties of 134 kilo
# molecules", Sci. Data 1, 140022 (2014); figshare item "Atomref: Reference thermochemical energies of
# H, C, N, O, F atoms" (1057643) of the QM9 collection (978904).
ATOMREF_U0_HARTREE = {"H": -0.500273, "C": -37.846772, "N": -54.583861, "O": -75.064579, "F": -99.718730}

# Targets the network trains on: key -> (description, unit of the npz value, unit reported, factor,
# standardisation). "dressed": subtract a per-element linear fit of the training split before dividing by
# the residual's std (an extensive energy); "mean": subtract the training mean (an intensive property).
Target = collections.namedtuple("Target", "name, description, unit, factor, standardise")
TARGETS = collections.OrderedDict([
    ("u0_atomization", Target("u0_atomization", "U0 atomization energy: U0 - sum of the atoms' atomref U0",
                              "kcal/mol", HARTREE_TO_KCAL_MOL, "dressed")),
    ("gap", Target("gap", "HOMO-LUMO gap", "meV", 1000.0 * HARTREE_TO_EV, "mean")),
])


def subset(molecules, idx):
    """The molecules at positions `idx`."""
    return qm9.Molecules(molecules.index[idx], molecules.atomic_numbers[idx], molecules.types[idx],
                         molecules.positions[idx], molecules.mask[idx], molecules.num_atoms[idx],
                         {k: v[idx] for k, v in molecules.props.items()})


def element_counts(molecules):
    """(M, 5) float64 counts of H, C, N, O, F."""
    counts = [(molecules.types == t).sum(axis=1) for t in range(len(qm9.ELEMENTS))]
    return np.stack(counts, axis=1).astype(np.float64)


def features(types):
    """One-hot atom types (..., 29) int (-1 = padding) -> (..., 29, 5) float32; padding rows are zero."""
    return (types[..., None] == np.arange(len(qm9.ELEMENTS))).astype(np.float32)


def atomref_u0(molecules):
    """(M,) Hartree: the sum of QM9's free-atom U0 (atomref) over each molecule's atoms."""
    return element_counts(molecules) @ np.array([ATOMREF_U0_HARTREE[e] for e in qm9.ELEMENTS])


def target_values(molecules, target):
    """The target in its reported unit (kcal/mol or meV), float64 (M,).

    u0_atomization = (U0 - sum over atoms of the element's atomref U0) * 627.5095 kcal/mol per Hartree.
    """
    if target not in TARGETS:
        raise ValueError("unknown target %r (known: %s)" % (target, ", ".join(TARGETS)))
    if target == "u0_atomization":
        hartree = molecules.props["u0"] - atomref_u0(molecules)
    else:
        hartree = molecules.props[target]
    return hartree * TARGETS[target].factor


Split = collections.namedtuple("Split", "train, val, test")


def split_indices(num_molecules, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=0, train_size=None):
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
    kinds = len(qm9.ELEMENTS)
    pair_kind = np.full((kinds, kinds), -1, np.int64)
    k = 0
    for a in range(kinds):
        for b in range(a, kinds):
            pair_kind[a, b] = pair_kind[b, a] = k
            k += 1
    i, j = np.triu_indices(qm9.MAX_ATOMS, k=1)
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

class SizeBatches(data.EpochBatches):
    """Training batches of molecules of similar size, a pure function of (seed, step).

    Each epoch: the seeded permutation of `data.EpochBatches` picks the epoch's `per_epoch * batch_size`
    molecules (the few left over change every epoch), sorts them by atom count (ties in the permuted order),
    cuts them into batches and shuffles the batches (the same generator's next draw). A batch is then padded
    only to its own largest molecule, almost always within one atom of its smallest, instead of to 29: the
    N x N x F filter tensor shrinks by (29 / n)^2.
    """

    def __init__(self, num_atoms, batch_size, seed):
        super(SizeBatches, self).__init__(len(num_atoms), batch_size, seed)
        self.num_atoms = np.asarray(num_atoms)

    def arrange(self, rng, chosen):
        chosen = chosen[np.argsort(self.num_atoms[chosen], kind="stable")]
        batches = chosen.reshape(self.per_epoch, self.batch_size)
        return batches[rng.permutation(self.per_epoch)]


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
            self.weights, self.bias = np.zeros(len(qm9.ELEMENTS)), float(y_train.mean())
        self.scale = float((y_train - self.offset(train)).std())

    def offset(self, molecules):
        return element_counts(molecules) @ self.weights + self.bias

    def forward(self, molecules, y):
        return ((y - self.offset(molecules)) / self.scale).astype(np.float32)

    def inverse(self, molecules, y_std):
        return np.asarray(y_std, np.float64) * self.scale + self.offset(molecules)

    @classmethod
    def from_dict(cls, record):
        """The Standardiser `to_dict` wrote; ValueError when `record` is not one (5 finite weights, a finite bias,
        a positive finite scale, a known kind)."""
        try:
            weights = np.array(record["weights"], np.float64)
            bias, scale, kind = float(record["bias"]), float(record["scale"]), record["kind"]
        except (TypeError, KeyError, ValueError) as err:
            raise ValueError("not a standardisation record (%s)" % str(err)[:120])
        if weights.shape != (len(qm9.ELEMENTS),) or not np.all(np.isfinite(weights)) or not np.isfinite(bias) \
                or not (np.isfinite(scale) and scale > 0) or kind not in ("dressed", "mean"):
            raise ValueError("not 5 finite weights, a finite bias, a positive scale and a known kind")
        out = cls.__new__(cls)
        out.kind, out.weights, out.bias, out.scale = kind, weights, bias, scale
        return out

    def to_dict(self):
        return {"kind": self.kind, "weights": [float(w) for w in self.weights], "bias": self.bias,
                "scale": self.scale}
