"""Data loading, batching, one-epoch training/evaluation and plotting (skeleton: utils.py, names kept).

The course's functions keep the course's types: `load_mnist_trainval()` / `load_mnist_test()` return Python
lists (an image is a list of 784 floats in [0, 1], a label an int), `generate_batched_data` returns lists of
NumPy batches, `train` / `evaluate` return Python floats and print only when `debug` is true. Our own entry
points (main.py, cnn.py, classifier.py) use `load_trainval_arrays` / `load_test_arrays`, the same data as NumPy
arrays (lists of full MNIST would cost ~1 GB).

Data ("auto"): the course's CSVs (`mnist_train.csv`, `mnist_test.csv`: label, 784 pixels, no header) in the
assignment folder's `data/` (where the course's get_data.sh puts them) or the repository's `data/`, else
`common.mnist`'s choice: full MNIST if found locally, else the embedded 10k real-MNIST subset. Pixels are
divided by 255, as the skeleton's loader does. Loading prints nothing.
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import common  # noqa: F401  pylint: disable=unused-import
except ImportError:
    # The course's layout inside this repository: `python -m unittest tests.<name>` or `python main.py` run from
    # tf1_mnist/ see only tf1_mnist/, and the shared package is one level up. Appended, not prepended, so nothing
    # of the working directory is shadowed (in the submission zip `common/` sits beside this file instead).
    sys.path.append(os.path.dirname(HERE))
from common import mnist, plots  # noqa: E402  pylint: disable=wrong-import-position
CSV_DIRS = (os.path.join(HERE, "data"), os.path.join(mnist.REPO_ROOT, "data"))
TRAIN_FRACTION = 0.8  # the skeleton: first 80% train, last 20% validation, no shuffling


def resolve_source(source="auto", data_dir=None):
    """(source, data_dir) actually used; "auto" resolves to csv, idx, npz or embedded without printing."""
    if source != "auto":
        return source, data_dir
    for csv_dir in ((data_dir,) if data_dir else CSV_DIRS):
        if os.path.isfile(os.path.join(csv_dir, "mnist_train.csv")) and os.path.isfile(
                os.path.join(csv_dir, "mnist_test.csv")):
            return "csv", csv_dir
    if data_dir is not None:
        return ("npz", data_dir) if data_dir.endswith(".npz") else ("idx", data_dir)
    found = mnist._find_local_full()  # pylint: disable=protected-access
    return found if found else ("embedded", None)


def describe_source(source="auto", data_dir=None):
    """A short human-readable name of the data the loaders will use (for metrics.json and docs)."""
    source, data_dir = resolve_source(source, data_dir)
    if source == "csv":
        return "CS7643 CSV files in %s" % data_dir
    if source == "embedded" and data_dir is None:
        return "embedded real-MNIST subset (data/mnist10k)"
    if source in ("idx", "npz"):
        return "full MNIST (%s)" % data_dir
    return "%s%s" % (source, " (%s)" % data_dir if data_dir else "")


def _load_uint8(split, source, data_dir):
    source, data_dir = resolve_source(source, data_dir)
    images, labels = mnist.load_mnist(source=source, split=split, data_dir=data_dir)
    return images.reshape(len(images), -1), labels.astype(np.int64)  # (N, 784) uint8, (N,)


def _split(data, labels):
    cut = int(len(data) * TRAIN_FRACTION)
    return data[:cut], labels[:cut], data[cut:], labels[cut:]


def load_trainval_arrays(source="auto", data_dir=None, dtype=np.float64):
    """The course's train/validation split as arrays: (N_train, 784) `dtype` in [0, 1], (N_train,) int64, ..."""
    images, labels = _load_uint8("train", source, data_dir)
    return _split(images.astype(dtype) / dtype(255.0), labels)


def load_test_arrays(source="auto", data_dir=None, dtype=np.float64):
    """Test split as arrays: data (N, 784) `dtype` in [0, 1], labels (N,) int64."""
    images, labels = _load_uint8("test", source, data_dir)
    return images.astype(dtype) / dtype(255.0), labels


def _as_lists(images, labels):
    """uint8 (N, 784) -> list of lists of Python floats p / 255; labels -> list of ints.

    The 256 possible pixel values are 256 shared float objects (an object-array lookup), so a list of the
    6,400-image split costs ~45 MB instead of ~150 MB.
    """
    table = np.empty(256, dtype=object)
    table[:] = [p / 255 for p in range(256)]  # Python's p / 255 == the course's int(px) / 255
    return table[images].tolist(), labels.tolist()


def load_mnist_trainval(source="auto", data_dir=None):
    """Training split, cut into the first 80% (train) and the last 20% (validation), unshuffled.

    Returns:
      train_data: list of images, each a list of 784 floats in [0, 1];
      train_label: list of ints; val_data, val_label: likewise.
    """
    images, labels = _load_uint8("train", source, data_dir)
    train_x, train_y, val_x, val_y = _split(images, labels)
    return _as_lists(train_x, train_y) + _as_lists(val_x, val_y)


def load_mnist_test(source="auto", data_dir=None):
    """Test split: data (list of lists of 784 floats in [0, 1]), label (list of ints)."""
    return _as_lists(*_load_uint8("test", source, data_dir))


def generate_batched_data(data, label, batch_size=32, shuffle=False, seed=None):
    """Splits (data, label) into batches; the last batch keeps the remainder (may be smaller).

    The course fixes this name and API, and its semantics differ from `common.training.batch_indices` (an
    in-graph, step-keyed index tensor that drops the last partial batch), so it stays: it returns NumPy batches
    of one NumPy-shuffled pass and keeps the remainder, and main.py's and cnn.py's runs depend on its stream.

    Args:
      data: (N, ...) array or list of images.
      label: (N,) array or list of labels.
      batch_size: examples per batch.
      shuffle: permute the examples first: with `np.random.RandomState(seed)` if a seed is given, else with
        NumPy's global generator.
      seed: shuffling seed.
    Returns:
      batched_data, batched_label: lists of NumPy arrays (float64 images, int64 labels).
    """
    data = np.asarray(data, dtype=np.float64)
    label = np.asarray(label, dtype=np.int64)
    if len(data) != len(label):
        raise ValueError("data has %d rows but label has %d" % (len(data), len(label)))
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1, got %d" % batch_size)
    order = np.arange(len(data))
    if shuffle:
        order = (np.random.RandomState(seed) if seed is not None else np.random).permutation(len(data))
    batched_data = [data[order[i:i + batch_size]] for i in range(0, len(data), batch_size)]
    batched_label = [label[order[i:i + batch_size]] for i in range(0, len(data), batch_size)]
    return batched_data, batched_label


def train(epoch, batched_train_data, batched_train_label, model, optimizer, debug=True, stop=None):
    """One epoch of SGD: forward in train mode, then `optimizer.update(model)`, batch by batch.

    Args (the skeleton's): epoch index (for the log only), lists of batches, the model, the optimizer, debug
      (print a line every 10 batches and at the end; nothing otherwise).
      stop: optional object with a `requested` attribute (main.py's signal handler): checked before each batch.
    Returns:
      (mean batch loss, accuracy over all examples) as Python floats, or None if `stop` was requested.
    """
    epoch_loss, hits, count = 0.0, 0.0, 0
    for index, (data, label) in enumerate(zip(batched_train_data, batched_train_label)):
        if stop is not None and stop.requested:
            return None
        began = time.time()
        loss, accuracy = model.forward(data, label, mode="train")
        optimizer.update(model)
        epoch_loss += loss
        hits += accuracy * len(data)
        count += len(data)
        if debug and index % 10 == 0:
            print("epoch %d [%d/%d] batch time %.3f s, batch loss %.4f, batch accuracy %.4f" % (
                epoch, index, len(batched_train_data), time.time() - began, loss, accuracy))
    epoch_loss /= len(batched_train_data)
    if debug:
        print("epoch %d: mean train loss %.4f, train accuracy %.4f" % (epoch, epoch_loss, hits / count))
    return epoch_loss, hits / count


def evaluate(batched_test_data, batched_test_label, model, debug=True):
    """(mean batch loss, accuracy over all examples) as Python floats; the gradients are left alone.

    Prints one line per batch only when `debug` is true (the skeleton's signature and default).
    """
    epoch_loss, hits, count = 0.0, 0.0, 0
    for index, (data, label) in enumerate(zip(batched_test_data, batched_test_label)):
        loss, accuracy = model.forward(data, label, mode="valid")
        epoch_loss += loss
        hits += accuracy * len(data)
        count += len(data)
        if debug:
            print("evaluate [%d/%d] batch accuracy %.4f" % (index, len(batched_test_data), accuracy))
    epoch_loss /= len(batched_test_data)
    return epoch_loss, hits / count


def plot_curves(train_loss_history, train_acc_history, valid_loss_history, valid_acc_history,
                path="learning_curves.png", title=""):
    """Loss and accuracy per epoch, train and validation, side by side; returns the PNG path."""
    epochs = list(range(1, len(train_loss_history) + 1))
    history = {"loss": {"train": (epochs, train_loss_history), "validation": (epochs, valid_loss_history)},
               "accuracy": {"train": (epochs, train_acc_history), "validation": (epochs, valid_acc_history)}}
    return plots.save_learning_curves(path, history, title=title)

