"""utils.py: the 80/20 unshuffled split, batching, learning-curve plot."""
import os

import numpy as np
import pytest

from common import mnist
from tf1_mnist import utils


def test_trainval_split_is_first_80_percent_in_order():
    train_x, train_y, val_x, val_y = utils.load_trainval_arrays(source="embedded")
    images, labels = mnist.load_mnist("embedded", "train")
    assert train_x.shape == (6400, 784) and val_x.shape == (1600, 784)
    assert train_x.dtype == np.float64 and 0.0 <= train_x.min() and train_x.max() <= 1.0
    np.testing.assert_array_equal(train_y, labels[:6400])
    np.testing.assert_array_equal(val_y, labels[6400:])
    np.testing.assert_allclose(val_x[0] * 255.0, images[6400].reshape(-1), atol=1e-4)
    test_x, test_y = utils.load_test_arrays(source="embedded", dtype=np.float32)
    assert test_x.shape == (2000, 784) and test_y.shape == (2000,) and test_x.dtype == np.float32


def test_csv_preferred_when_present(tmp_path):
    rows = ["%d,%s" % (i % 10, ",".join([str(i)] * 784)) for i in range(10)]
    for split in ("train", "test"):
        (tmp_path / ("mnist_%s.csv" % split)).write_text("\n".join(rows) + "\n")
    assert utils.resolve_source("auto", str(tmp_path)) == ("csv", str(tmp_path))
    train_x, train_y, val_x, val_y = utils.load_mnist_trainval("auto", str(tmp_path))
    assert len(train_x) == 8 and len(val_x) == 2
    assert val_x[1] == [9 / 255] * 784 and val_y == [8, 9]  # the course's int(px) / 255, as Python lists


def test_bad_csv_names_file_and_line(tmp_path):
    (tmp_path / "mnist_train.csv").write_text("1," + ",".join(["0"] * 784) + "\n3,4,5\n")
    (tmp_path / "mnist_test.csv").write_text("")
    with pytest.raises(mnist.DataError, match=r"mnist_train.csv:2: expected 785 values"):
        utils.load_mnist_trainval("csv", str(tmp_path))
    with pytest.raises(mnist.DataError, match=r"mnist_train.csv:2: expected 785 values"):
        utils.load_trainval_arrays("auto", str(tmp_path))


def test_generate_batched_data():
    data, label = np.arange(10 * 3).reshape(10, 3), np.arange(10)
    bx, by = utils.generate_batched_data(data, label, batch_size=4)
    assert [len(b) for b in bx] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(by), label)  # no shuffle keeps order
    sx, sy = utils.generate_batched_data(data, label, batch_size=4, shuffle=True, seed=7)
    sx2, _ = utils.generate_batched_data(data, label, batch_size=4, shuffle=True, seed=7)
    assert sorted(np.concatenate(sy)) == list(range(10)) and list(np.concatenate(sy)) != list(range(10))
    np.testing.assert_array_equal(np.concatenate(sx)[:, 0] // 3, np.concatenate(sy))  # rows stay paired
    np.testing.assert_array_equal(np.concatenate(sx), np.concatenate(sx2))
    with pytest.raises(ValueError):
        utils.generate_batched_data(data, label[:5])


def test_plot_curves_writes_png(tmp_path):
    path = utils.plot_curves([2.0, 1.0], [0.5, 0.7], [2.1, 1.2], [0.4, 0.6], path=str(tmp_path / "c.png"))
    assert os.path.getsize(path) > 1000


def test_course_check_csv_source_is_the_embedded_subset(tmp_path):
    from tf1_mnist import course_check
    found = course_check.sources(str(tmp_path))
    assert [s[1] for s in found[:2]] == ["embedded", "csv"]
    if found[1][2] == str(tmp_path):  # no course CSVs on this machine: the subset was written as CSVs
        for csv_part, embedded_part in zip(utils.load_trainval_arrays("csv", str(tmp_path)),
                                           utils.load_trainval_arrays("embedded")):
            np.testing.assert_array_equal(csv_part, embedded_part)
