"""common.mnist: every format round-trips; corrupt input fails with the file and the reason."""
import gzip
import os
import re

import numpy as np
import pytest

from common import mnist

RNG = np.random.RandomState(0)
IMAGES = RNG.randint(0, 256, size=(7, 28, 28)).astype(np.uint8)
LABELS = RNG.randint(0, 10, size=7).astype(np.uint8)


def _write_idx_dir(directory, gz, split="train"):
    suffix = ".gz" if gz else ""
    image_stem, label_stem = mnist.IDX_NAMES[split]
    mnist.write_idx(os.path.join(directory, image_stem + suffix), IMAGES)
    mnist.write_idx(os.path.join(directory, label_stem + suffix), LABELS)
    return os.path.join(directory, image_stem + suffix)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    _write_idx_dir(str(tmp_path), gz, "test")
    images, labels = mnist.load_mnist("idx", "test", str(tmp_path))
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)
    assert images.dtype == np.uint8 and labels.dtype == np.uint8


def test_npz_round_trip(tmp_path):
    path = str(tmp_path / "mnist.npz")
    np.savez(path, x_train=IMAGES, y_train=LABELS, x_test=IMAGES[:2], y_test=LABELS[:2])
    images, labels = mnist.load_mnist("npz", "train", path)
    np.testing.assert_array_equal(images, IMAGES)
    images, labels = mnist.load_mnist("npz", "test", str(tmp_path))
    np.testing.assert_array_equal(labels, LABELS[:2])


def test_csv_round_trip(tmp_path):
    rows = [",".join(str(v) for v in [label] + list(image.ravel())) for image, label in zip(IMAGES, LABELS)]
    (tmp_path / "mnist_train.csv").write_text("\n".join(rows) + "\n")
    images, labels = mnist.load_mnist("csv", "train", str(tmp_path))
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)


def test_wrong_magic_number(tmp_path):
    path = _write_idx_dir(str(tmp_path), gz=False)
    raw = bytearray(open(path, "rb").read())
    raw[3] = 0x01  # magic 2049 (a label file) where images are expected
    open(path, "wb").write(bytes(raw))
    with pytest.raises(mnist.DataError, match=re.escape(path) + ".*wrong magic number 2049"):
        mnist.load_mnist("idx", "train", str(tmp_path))


def test_truncated_gz_file(tmp_path):
    path = _write_idx_dir(str(tmp_path), gz=True)
    raw = gzip.decompress(open(path, "rb").read())[:-100]
    open(path, "wb").write(gzip.compress(raw))
    with pytest.raises(mnist.DataError, match="size mismatch"):
        mnist.load_mnist("idx", "train", str(tmp_path))


def test_label_count_mismatch(tmp_path):
    _write_idx_dir(str(tmp_path), gz=False)
    mnist.write_idx(str(tmp_path / "train-labels-idx1-ubyte"), LABELS[:5])
    with pytest.raises(mnist.DataError, match="5 labels for 7 images"):
        mnist.load_mnist("idx", "train", str(tmp_path))


def test_missing_files_named(tmp_path):
    with pytest.raises(mnist.DataError, match="no train-images-idx3-ubyte"):
        mnist.load_mnist("idx", "train", str(tmp_path))


@pytest.mark.parametrize("row, reason", [
    ("3," + ",".join(["0"] * 783), "expected 785 values"),
    ("x," + ",".join(["0"] * 784), "non-integer"),
    ("12," + ",".join(["0"] * 784), "label 12"),
    ("1," + ",".join(["0"] * 783 + ["300"]), "pixel value outside"),
])
def test_bad_csv_row_names_file_and_line(tmp_path, row, reason):
    good = "1," + ",".join(["0"] * 784)
    path = tmp_path / "mnist_test.csv"
    path.write_text(good + "\n" + row + "\n")
    with pytest.raises(mnist.DataError, match=re.escape(str(path)) + ":2: " + reason):
        mnist.load_mnist("csv", "test", str(tmp_path))


def test_bad_npz(tmp_path):
    path = str(tmp_path / "mnist.npz")
    np.savez(path, x_train=IMAGES)
    with pytest.raises(mnist.DataError, match="missing array"):
        mnist.load_mnist("npz", "train", path)


def _provenance_counts():
    text = open(os.path.join(mnist.EMBEDDED_DIR, "PROVENANCE.md")).read()
    rows = re.findall(r"^\| (\d) \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
    return {int(d): (int(tr), int(te)) for d, tr, te, _ in rows}


def test_embedded_subset_matches_provenance():
    train_x, train_y = mnist.load_mnist("embedded", "train")
    test_x, test_y = mnist.load_mnist("embedded", "test")
    assert train_x.shape == (8000, 28, 28) and test_x.shape == (2000, 28, 28)
    counts = _provenance_counts()
    assert len(counts) == 10
    for digit, (n_train, n_test) in counts.items():
        assert (train_y == digit).sum() == n_train and (test_y == digit).sum() == n_test
    assert sum(n for pair in counts.values() for n in pair) == 10000
    # real digits: mostly background, a few saturated strokes, mean intensity like MNIST's (~33/255)
    assert 25 < train_x.mean() < 40 and (train_x == 0).mean() > 0.7


def test_auto_falls_back_to_embedded():
    images, _ = mnist.load_mnist("auto", "test")
    embedded, _ = mnist.load_mnist("embedded", "test")
    if images.shape[0] == 2000:
        np.testing.assert_array_equal(images, embedded)


@pytest.mark.skipif(not os.path.isdir(mnist.FASHION_DIR), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist():
    images, labels = mnist.load_mnist("fashion_mnist", "test")
    assert images.shape == (10000, 28, 28) and set(labels.tolist()) == set(range(10))


def test_unknown_source_and_split():
    with pytest.raises(ValueError, match="unknown MNIST source"):
        mnist.load_mnist("kaggle")
    with pytest.raises(ValueError, match="split"):
        mnist.load_mnist("embedded", "val")


def test_to_float_range():
    out = mnist.to_float(np.array([[0, 255]], np.uint8))
    np.testing.assert_allclose(out, [[-1.0, 1.0]])
    assert out.dtype == np.float32
