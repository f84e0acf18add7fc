"""One MNIST-format loader for every task.

`load_mnist(source, split, data_dir)` returns `(images uint8 (N, 28, 28), labels uint8 (N,))` from:
  * "idx":           official IDX files, raw or .gz (`train-images-idx3-ubyte[.gz]`, ...) in `data_dir`
  * "npz":           Keras' `mnist.npz` (x_train, y_train, x_test, y_test) in `data_dir`
  * "csv":           the CS7643 files `mnist_train.csv` / `mnist_test.csv` (label, 784 pixels; no header)
  * "embedded":      the real-MNIST subset committed in `data/mnist10k/` (train 8,000 / test 2,000)
  * "fashion_mnist": Debian's dataset-fashion-mnist package (IDX in /usr/share/datasets/fashion-mnist)
  * "download":      full MNIST through `tf.keras.datasets.mnist` (needs the network once, then cached)
  * "auto":          full MNIST if found locally (data/full, data/, ~/.keras/datasets), else "embedded";
                     the choice is printed once per process.
Corrupt input raises `DataError` (a `common.errors.DataError`) naming the file and what is wrong with it.
"""
import csv
import gzip
import io
import os
import struct
import sys

import numpy as np

from common import errors, files

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBEDDED_DIR = os.path.join(REPO_ROOT, "data", "mnist10k")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
LOCAL_FULL_DIRS = (os.path.join(REPO_ROOT, "data", "full"), os.path.join(REPO_ROOT, "data"),
                   os.path.expanduser("~/.keras/datasets"))
SOURCES = ("auto", "embedded", "idx", "npz", "csv", "fashion_mnist", "download")
IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
_ANNOUNCED = set()


class DataError(errors.DataError):
    """A data file is missing, corrupt or inconsistent; the message names the file (exit 2 in every CLI)."""


def checked_uint8(array, path, what, high=255):
    """`array` as uint8 after checking it holds integers in 0..`high` (never a silent cast: 1.0 is not a pixel,
    -1 is not the label 255); DataError names the file, the array and the first bad value."""
    array = np.asarray(array)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        sample = array.flat[0] if array.size else None
        raise DataError("%s: %s are %s values (e.g. %r), expected integers 0..%d (uint8)"
                        % (path, what, array.dtype, sample, high))
    if array.size:
        low_value, high_value = array.min(), array.max()
        if low_value < 0 or high_value > high:
            bad = low_value if low_value < 0 else high_value
            where = int(np.flatnonzero(array.reshape(-1) == bad)[0])
            raise DataError("%s: %s value %d (at flat index %d) outside 0..%d" % (path, what, bad, where, high))
    return array.astype(np.uint8)


def _check_split(split):
    if split not in IDX_NAMES:
        raise ValueError("split must be 'train' or 'test', got %r" % (split,))


def _find(directory, stem):
    """`stem` or `stem.gz` inside `directory`, or None."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


def _read_bytes(path):
    try:
        with files.open_input(path, error=DataError) as raw:  # a regular file only, declared as read
            if path.endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as handle:
                    return handle.read()
            return raw.read()
    except (OSError, EOFError) as err:
        raise DataError("%s: cannot read (%s)" % (path, err))


def read_idx(path, expect_magic=None):
    """Parses one IDX file (raw or .gz) into a uint8 array, checking magic number and size."""
    raw = _read_bytes(path)
    if len(raw) < 8:
        raise DataError("%s: truncated header (%d bytes)" % (path, len(raw)))
    magic, count = struct.unpack(">II", raw[:8])
    if expect_magic is not None and magic != expect_magic:
        raise DataError("%s: wrong magic number %d (expected %d)" % (path, magic, expect_magic))
    if magic >> 8 != 0x08:  # 0x08 = unsigned byte data
        raise DataError("%s: magic number %d is not an unsigned-byte IDX file" % (path, magic))
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError("%s: truncated header (%d bytes)" % (path, len(raw)))
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError("%s: size mismatch: %d bytes, header %s needs %d" % (path, len(raw), shape, expected))
    del count
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def write_idx(path, array):
    """Writes a uint8 array as IDX (gzip-compressed when `path` ends in .gz), atomically."""
    from common import files  # local: keep this module importable without the rest of common
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    payload = header + array.tobytes()
    with files.atomic_write(path, "wb") as handle:
        if path.endswith(".gz"):
            # mtime=0 keeps the .gz bytes identical across rebuilds.
            with gzip.GzipFile(fileobj=handle, mode="wb", mtime=0) as gz:
                gz.write(payload)
        else:
            handle.write(payload)


def _check_pair(images, labels, image_path, label_path):
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError("%s: expected images of shape (N, 28, 28), got %s" % (image_path, images.shape))
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DataError("%s: %d labels for %d images in %s" % (label_path, labels.shape[0], images.shape[0], image_path))
    if labels.size and labels.max() > 9:
        raise DataError("%s: label %d outside 0..9" % (label_path, labels.max()))
    return images, labels


def load_idx_dir(directory, split, prefix=""):
    """Reads `<prefix>train-images-idx3-ubyte[.gz]` etc. from `directory`."""
    _check_split(split)
    image_stem, label_stem = (prefix + n for n in IDX_NAMES[split])
    image_path, label_path = _find(directory, image_stem), _find(directory, label_stem)
    if image_path is None or label_path is None:
        missing = image_stem if image_path is None else label_stem
        raise DataError("%s: no %s[.gz] there" % (directory, missing))
    images = read_idx(image_path, IMAGE_MAGIC)
    labels = read_idx(label_path, LABEL_MAGIC)
    return _check_pair(images, labels, image_path, label_path)


def load_npz(path, split):
    """Reads Keras' mnist.npz."""
    _check_split(split)
    try:
        with np.load(path, allow_pickle=False) as data:
            images, labels = data["x_" + split], data["y_" + split]
    except KeyError as err:
        raise DataError("%s: missing array %s" % (path, err))
    except (OSError, ValueError) as err:
        raise DataError("%s: not a readable .npz file (%s)" % (path, err))
    return _check_pair(checked_uint8(images, path, "x_" + split), checked_uint8(labels, path, "y_" + split, 9),
                       path, path)


def load_csv(path):
    """Reads a CS7643 CSV: each row `label,p0,...,p783` with integers 0..255, no header."""
    images, labels = [], []
    handle = io.TextIOWrapper(files.open_input(path, error=DataError), encoding="ascii", newline="")
    with handle:
        for line_no, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            if len(row) != 785:
                raise DataError("%s:%d: expected 785 values (label + 784 pixels), got %d" % (path, line_no, len(row)))
            try:
                values = [int(v) for v in row]
            except ValueError:
                raise DataError("%s:%d: non-integer value in row" % (path, line_no))
            if not 0 <= values[0] <= 9:
                raise DataError("%s:%d: label %d outside 0..9" % (path, line_no, values[0]))
            if min(values[1:]) < 0 or max(values[1:]) > 255:
                raise DataError("%s:%d: pixel value outside 0..255" % (path, line_no))
            labels.append(values[0])
            images.append(values[1:])
    if not labels:
        raise DataError("%s: no rows" % path)
    return (np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28), np.asarray(labels, dtype=np.uint8))


def _find_local_full():
    """(kind, path) of a full MNIST copy on disk, or None."""
    for directory in LOCAL_FULL_DIRS:
        if _find(directory, IDX_NAMES["train"][0]) and _find(directory, IDX_NAMES["test"][0]):
            return "idx", directory
        if os.path.isfile(os.path.join(directory, "mnist.npz")):
            return "npz", os.path.join(directory, "mnist.npz")
    return None


def _announce(message):
    if message not in _ANNOUNCED:
        _ANNOUNCED.add(message)
        sys.stderr.write("[mnist] %s\n" % message)


def load_mnist(source="auto", split="train", data_dir=None):
    """Loads one split of MNIST (or Fashion-MNIST).

    Args:
      source: one of SOURCES (see the module docstring).
      split: "train" or "test".
      data_dir: directory (idx, csv, fashion_mnist) or directory/file (npz) to read from.
    Returns:
      images: uint8 array (N, 28, 28), 0 = background.
      labels: uint8 array (N,), values 0..9.
    """
    _check_split(split)
    if source not in SOURCES:
        raise ValueError("unknown MNIST source %r (choose from %s)" % (source, ", ".join(SOURCES)))
    if source == "auto":
        found = _find_local_full() if data_dir is None else (
            ("npz", data_dir) if data_dir.endswith(".npz") else ("idx", data_dir))
        if found is None:
            _announce("full MNIST not found locally: using the embedded real-MNIST subset (data/mnist10k)")
            return load_idx_dir(EMBEDDED_DIR, split)
        _announce("using full MNIST from %s" % found[1])
        return load_idx_dir(found[1], split) if found[0] == "idx" else load_npz(found[1], split)
    if source == "embedded":
        return load_idx_dir(data_dir or EMBEDDED_DIR, split)
    if source == "idx":
        return load_idx_dir(data_dir or os.path.join(REPO_ROOT, "data", "full"), split)
    if source == "npz":
        path = data_dir or os.path.join(REPO_ROOT, "data", "mnist.npz")
        if os.path.isdir(path):
            path = os.path.join(path, "mnist.npz")
        return load_npz(path, split)
    if source == "csv":
        return load_csv(os.path.join(data_dir or os.path.join(REPO_ROOT, "data"), "mnist_%s.csv" % split))
    if source == "fashion_mnist":
        directory = data_dir or FASHION_DIR
        if not os.path.isdir(directory):
            raise DataError("%s: not found (apt-get install dataset-fashion-mnist)" % directory)
        return load_idx_dir(directory, split)
    return _download(split)


def _download(split):
    """Full MNIST through Keras (cached in ~/.keras/datasets/mnist.npz after the first call)."""
    import tensorflow as tf  # deferred: the other sources need no TensorFlow
    try:
        (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
    except Exception as err:  # network errors come in many types
        raise DataError("MNIST download failed (%s); use source='embedded' offline" % (err,))
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    return checked_uint8(images, "mnist.npz (download)", "images"), checked_uint8(labels, "mnist.npz (download)",
                                                                                   "labels", 9)


def to_float(images, value_range=(-1.0, 1.0)):
    """uint8 images -> float32 linearly mapped from [0, 255] to `value_range`."""
    lo, hi = value_range
    return (np.asarray(images, dtype=np.float32) / 255.0 * (hi - lo) + lo).astype(np.float32)
