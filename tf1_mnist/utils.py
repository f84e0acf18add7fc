"""Data loading, batching and plotting for the CS7643 pipeline (skeleton: utils.py, names kept).

Data: the course's CSVs (`data/mnist_train.csv`, `data/mnist_test.csv`: label, 784 pixels, no header) when
present, else `common.mnist` ("auto": full MNIST if found locally, else the embedded 10k subset).
Pixels are divided by 255, as the skeleton's loader does.
"""
import os
import sys

import numpy as np

from common import mnist, plots

CSV_DIR = os.path.join(mnist.REPO_ROOT, "data")
TRAIN_FRACTION = 0.8  # the skeleton: first 80% train, last 20% validation, no shuffling


def resolve_source(source="auto", data_dir=None):
    """(source, data_dir) actually used: "auto" prefers the course CSVs, then `common.mnist`'s choice."""
    if source == "auto":
        csv_dir = data_dir or CSV_DIR
        if os.path.isfile(os.path.join(csv_dir, "mnist_train.csv")) and os.path.isfile(
                os.path.join(csv_dir, "mnist_test.csv")):
            return "csv", csv_dir
    return source, data_dir


def describe_source(source="auto", data_dir=None):
    """A short human-readable name of the data `load_mnist_*` will use (for metrics.json and docs)."""
    source, data_dir = resolve_source(source, data_dir)
    if source == "csv":
        return "CS7643 CSV files in %s" % data_dir
    if source == "auto":
        found = mnist._find_local_full() if data_dir is None else (None, data_dir)  # pylint: disable=protected-access
        return "full MNIST (%s)" % found[1] if found else "embedded real-MNIST subset (data/mnist10k)"
    return "%s%s" % (source, " (%s)" % data_dir if data_dir else "")


def _load(split, source, data_dir):
    source, data_dir = resolve_source(source, data_dir)
    images, labels = mnist.load_mnist(source=source, split=split, data_dir=data_dir)
    data = images.reshape(len(images), -1).astype(np.float32) / 255.0  # (N, 784) in [0, 1]
    return data, labels.astype(np.int64)


def load_mnist_trainval(source="auto", data_dir=None):
    """Training split, cut into the first 80% (train) and the last 20% (validation), unshuffled.

    Returns:
      train_data (N_train, 784) float32 in [0, 1], train_label (N_train,) int64,
      val_data (N_val, 784), val_label (N_val,).
    """
    data, labels = _load("train", source, data_dir)
    cut = int(len(data) * TRAIN_FRACTION)
    return data[:cut], labels[:cut], data[cut:], labels[cut:]


def load_mnist_test(source="auto", data_dir=None):
    """Test split: data (N, 784) float32 in [0, 1], labels (N,) int64."""
    return _load("test", source, data_dir)


def generate_batched_data(data, label, batch_size=32, shuffle=False, seed=None):
    """Splits (data, label) into batches; the last batch keeps the remainder (may be smaller).

    Args:
      data: (N, ...) array.
      label: (N,) array.
      batch_size: examples per batch.
      shuffle: permute the examples first (with `np.random.RandomState(seed)`, no global RNG state).
      seed: shuffling seed.
    Returns:
      batched_data, batched_label: lists of arrays.
    """
    if len(data) != len(label):
        raise ValueError("data has %d rows but label has %d" % (len(data), len(label)))
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1, got %d" % batch_size)
    order = np.arange(len(data))
    if shuffle:
        order = np.random.RandomState(seed).permutation(len(data))
    batched_data = [data[order[i:i + batch_size]] for i in range(0, len(data), batch_size)]
    batched_label = [label[order[i:i + batch_size]] for i in range(0, len(data), batch_size)]
    return batched_data, batched_label


def plot_curves(train_loss_history, train_acc_history, valid_loss_history, valid_acc_history,
                path="learning_curves.png", title=""):
    """Loss and accuracy per epoch, train and validation, side by side; returns the PNG path."""
    epochs = list(range(1, len(train_loss_history) + 1))
    history = {"loss": {"train": (epochs, train_loss_history), "validation": (epochs, valid_loss_history)},
               "accuracy": {"train": (epochs, train_acc_history), "validation": (epochs, valid_acc_history)}}
    return plots.save_learning_curves(path, history, title=title)


def quiet_tensorflow():
    """Hides TF's C++ and deprecation logs (entry points call this before building graphs)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    tf.get_logger().setLevel("ERROR")
    if not sys.warnoptions:
        import warnings  # pylint: disable=import-outside-toplevel
        warnings.simplefilter("ignore", category=FutureWarning)
