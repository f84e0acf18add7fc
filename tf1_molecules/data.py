"""Synthetic point-cloud systems with a known, exactly invariant target (made here, seeded).

A system is N particles in a cube, each of one of T types (features: one-hot, F = T). Its energy is a sum
of Morse pair potentials whose parameters depend on the two particles' types:

    E = sum_{i<j} V_{t_i t_j}(d_ij),   V_ab(d) = D_ab * ((1 - exp(-alpha_ab (d - r_ab)))^2 - 1)

Like a molecule's energy, E depends only on distances and types, so it is invariant to rotations,
reflections, translations and to swapping two particles of one type: exactly what part V(C) asks the
predictor to respect. Particles closer than `min_distance` are resampled so that the repulsive wall
does not produce a few huge outliers.
"""
import collections

import numpy as np

# Morse parameters (D, alpha, r0) per unordered type pair; types beyond 2 cycle through these rows.
# Chosen so the three pair kinds have visibly different wells (depth, width, position).
_MORSE = {
    (0, 0): (1.0, 1.5, 1.2),
    (0, 1): (2.0, 2.0, 1.0),
    (1, 1): (0.5, 1.2, 1.6),
}

Systems = collections.namedtuple("Systems", "positions, types, features, energy")
# positions (S, N, 3) float32, types (S, N) int32, features (S, N, T) float32, energy (S,) float32


def morse_parameters(type_a, type_b):
    """(D, alpha, r0) of the pair potential between particle types `type_a` and `type_b` (symmetric)."""
    key = (min(type_a, type_b) % 2, max(type_a, type_b) % 2)
    depth, alpha, r0 = _MORSE[key]
    # Extra types (T > 2) get a distinct but related well so they are not mere copies of types 0/1.
    scale = 1.0 + 0.25 * ((type_a // 2) + (type_b // 2))
    return depth * scale, alpha, r0 * scale


def pair_energy(distance, type_a, type_b):
    """V_ab(d), elementwise over arrays of distances and types."""
    distance, type_a, type_b = np.broadcast_arrays(np.asarray(distance, np.float64), type_a, type_b)
    out = np.zeros(distance.shape)
    for a in np.unique(type_a):
        for b in np.unique(type_b):
            mask = (type_a == a) & (type_b == b)
            if np.any(mask):
                depth, alpha, r0 = morse_parameters(int(a), int(b))
                d = distance[mask]
                out[mask] = depth * ((1.0 - np.exp(-alpha * (d - r0))) ** 2 - 1.0)
    return out


def system_energy(positions, types):
    """Total pair energy of each system.

    Args:
      positions: (S, N, 3) float.
      types: (S, N) int.

    Returns:
      (S,) float64.
    """
    n = positions.shape[1]
    dist = np.sqrt(((positions[:, :, None, :] - positions[:, None, :, :]) ** 2).sum(-1))  # (S, N, N)
    i, j = np.triu_indices(n, k=1)                                                        # each pair once
    return pair_energy(dist[:, i, j], types[:, i], types[:, j]).sum(axis=1)


def generate(num_systems, num_particles=8, num_types=2, box_size=3.0, min_distance=0.6, seed=0):
    """Draws `num_systems` random systems with their energies.

    Args:
      num_systems: S.
      num_particles: N >= 2 particles per system.
      num_types: T >= 1 particle types (feature width F = T).
      box_size: side of the cube positions are drawn from uniformly.
      min_distance: resample systems with any pair closer than this (0 disables).
      seed: NumPy seed; the same arguments always give the same systems.

    Returns:
      Systems.
    """
    if num_systems < 1 or num_particles < 2 or num_types < 1:
        raise ValueError("need num_systems >= 1, num_particles >= 2, num_types >= 1; got %d, %d, %d"
                         % (num_systems, num_particles, num_types))
    if box_size <= 0 or min_distance < 0:
        raise ValueError("need box_size > 0 and min_distance >= 0; got %r, %r" % (box_size, min_distance))
    # A packing check so rejection sampling cannot loop forever: N balls of radius min_distance / 2
    # must fit comfortably (at a third of the box volume) into the cube.
    if num_particles * (np.pi / 6.0) * min_distance ** 3 > box_size ** 3 / 3.0:
        raise ValueError("%d particles with min_distance %.2f do not fit in a box of side %.2f"
                         % (num_particles, min_distance, box_size))
    rng = np.random.RandomState(seed)
    kept = []
    count = 0
    i, j = np.triu_indices(num_particles, k=1)
    while count < num_systems:
        pos = rng.uniform(0.0, box_size, size=(max(num_systems, 64), num_particles, 3))
        dist = np.sqrt(((pos[:, i] - pos[:, j]) ** 2).sum(-1))  # (batch, pairs)
        pos = pos[dist.min(axis=1) >= min_distance]
        kept.append(pos)
        count += len(pos)
    positions = np.concatenate(kept)[:num_systems]
    types = rng.randint(0, num_types, size=(num_systems, num_particles))
    features = np.eye(num_types, dtype=np.float32)[types]
    energy = system_energy(positions, types)
    return Systems(positions.astype(np.float32), types.astype(np.int32), features, energy.astype(np.float32))


def split(systems, val_fraction, seed=0):
    """Shuffles and splits into (train, val) Systems; `val_fraction` in (0, 1)."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError("val_fraction must be in (0, 1), got %r" % (val_fraction,))
    total = len(systems.energy)
    num_val = int(round(total * val_fraction))
    if num_val < 1 or num_val >= total:
        raise ValueError("val_fraction %r of %d systems leaves an empty split" % (val_fraction, total))
    order = np.random.RandomState(seed).permutation(total)
    take = lambda idx: Systems(*(field[idx] for field in systems))  # noqa: E731
    return take(order[num_val:]), take(order[:num_val])


class EpochBatches(object):
    """Training batches as a pure function of (seed, step), so a resumed run sees the batches an uninterrupted
    run sees.

    Epoch e draws one permutation with `RandomState([seed, e])` and cuts its first `per_epoch * batch_size`
    examples into `per_epoch = num_examples // batch_size` batches (the ragged tail, different every epoch, is
    left out so every batch is full); `qm9_data.SizeBatches` arranges the same draw by molecule size instead. It is
    common.training.batch_indices's schedule drawn on the host with NumPy rather than in the graph with TF's
    stateless ops, and must stay so: the synthetic runs and their checkpoint fingerprints were made with these
    draws, and size-sorted batches need the epoch's examples on the host.
    """

    def __init__(self, num_examples, batch_size, seed):
        if batch_size > num_examples:
            raise ValueError("batch_size %d exceeds the %d training examples" % (batch_size, num_examples))
        self.num_examples, self.batch_size, self.seed = int(num_examples), int(batch_size), seed
        self.per_epoch = self.num_examples // self.batch_size
        self._epoch, self._batches = None, None

    def epoch_batches(self, epoch):
        """(per_epoch, batch_size) int array of example positions."""
        rng = np.random.RandomState([self.seed, epoch])
        return self.arrange(rng, rng.permutation(self.num_examples)[:self.per_epoch * self.batch_size])

    def arrange(self, rng, chosen):  # pylint: disable=unused-argument
        """The epoch's chosen examples as batches: here in the order drawn."""
        return chosen.reshape(self.per_epoch, self.batch_size).astype(np.int32)

    def __call__(self, step):
        """The batch of (0-based) `step`."""
        epoch, position = divmod(int(step), self.per_epoch)
        if epoch != self._epoch:  # a memo of the current epoch; the result does not depend on it
            self._epoch, self._batches = epoch, self.epoch_batches(epoch)
        return self._batches[position]


def pair_histogram_features(systems, num_types, bins=40, max_distance=None):
    """Counts of pairs per (type pair, distance bin): the exact sufficient statistics of a pair energy.

    A linear model on these features can represent any pair potential up to the bin width, so its
    validation error is a reference for what the data allow (train.py reports it next to the network).

    Returns:
      (S, num_type_pairs * bins) float64.
    """
    n = systems.positions.shape[1]
    i, j = np.triu_indices(n, k=1)
    pos = systems.positions.astype(np.float64)
    dist = np.sqrt(((pos[:, i] - pos[:, j]) ** 2).sum(-1))                       # (S, pairs)
    max_distance = max_distance or float(dist.max()) + 1e-6
    lo = np.minimum(systems.types[:, i], systems.types[:, j])
    hi = np.maximum(systems.types[:, i], systems.types[:, j])
    pair_kind = lo * num_types + hi                                              # (S, pairs)
    column = pair_kind * bins + np.clip((dist / max_distance * bins).astype(int), 0, bins - 1)
    feats = np.zeros((len(dist), num_types * num_types * bins))
    np.add.at(feats, (np.repeat(np.arange(len(dist)), dist.shape[1]), column.ravel()), 1.0)
    return feats


def histogram_regression_mae(train, val, num_types, bins=40):
    """Validation MAE of least squares on `pair_histogram_features` (+ intercept)."""
    top = float(max(_max_pair_distance(train), _max_pair_distance(val))) + 1e-6
    design = lambda s: np.c_[pair_histogram_features(s, num_types, bins, top), np.ones(len(s.energy))]  # noqa
    weights = np.linalg.lstsq(design(train), train.energy.astype(np.float64), rcond=None)[0]
    return float(np.abs(design(val) @ weights - val.energy).mean())


def _max_pair_distance(systems):
    n = systems.positions.shape[1]
    i, j = np.triu_indices(n, k=1)
    return np.sqrt(((systems.positions[:, i] - systems.positions[:, j]) ** 2).sum(-1)).max()
