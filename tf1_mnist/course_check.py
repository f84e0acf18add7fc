"""The course's public one-epoch training checks, on every MNIST source this machine has.

    python -m tf1_mnist.course_check [--threads 1]

The course's tests/test_training.py trains one epoch (SGD lr 0.1, reg 1e-3, shuffled with seed 1024) of
SoftmaxRegression at batch 128 and TwoLayerNet (hidden 128) at batch 32, and asks for train and test accuracy
above 0.3. Its epoch is 48,000 images: 375 and 1,500 steps. On a smaller source this also runs the course's
step count (repeated passes, pass p shuffled with seed 1024 + p) and reports the accuracy of the last pass.
Sources: the embedded subset; the course's CSVs if present (else the embedded subset written as course CSVs
into a temp dir, which exercises the CSV reader); full MNIST if found locally. Prints a Markdown table.
"""
import argparse
import math
import os
import tempfile

import numpy as np

from common import cli, config, mnist
from tf1_mnist import utils

COURSE_TRAIN = 48000
CHECKS = (("SoftmaxRegression", 128), ("TwoLayerNet", 32))


def _write_csv(directory):
    """The embedded subset as the course's mnist_{train,test}.csv (label, 784 pixels, no header)."""
    for split in ("train", "test"):
        images, labels = mnist.load_mnist("embedded", split)
        rows = np.concatenate([labels[:, None].astype(np.int64), images.reshape(len(images), -1)], axis=1)
        np.savetxt(os.path.join(directory, "mnist_%s.csv" % split), rows, fmt="%d", delimiter=",")


def sources(tmp_dir):
    """[(label, source, data_dir)] of the data this machine has."""
    found = [("embedded subset (data/mnist10k)", "embedded", None)]
    course_csv = [d for d in utils.CSV_DIRS if os.path.isfile(os.path.join(d, "mnist_train.csv"))]
    if course_csv:
        found.append(("course CSVs (%s)" % course_csv[0], "csv", course_csv[0]))
    else:
        _write_csv(tmp_dir)
        found.append(("embedded subset written as course CSVs", "csv", tmp_dir))
    full = mnist._find_local_full()  # pylint: disable=protected-access
    if full:
        found.append(("full MNIST (%s)" % full[1], full[0], full[1]))
    return found


def check(model_type, batch_size, data, steps, threads):
    """(train accuracy of the last pass, test accuracy) after `steps` SGD steps; the course's recipe."""
    from tf1_mnist.models import MODELS
    from tf1_mnist.optimizer import SGD
    train_x, train_y, test_x, test_y = data
    model = MODELS[model_type](threads=threads)
    optimizer = SGD(learning_rate=0.1, reg=1e-3)
    done, epoch = 0, 0
    while done < steps:
        bx, by = utils.generate_batched_data(train_x, train_y, batch_size, shuffle=True, seed=1024 + epoch)
        take = min(len(bx), steps - done)
        _, train_acc = utils.train(epoch + 1, bx[:take], by[:take], model, optimizer, debug=False)
        done, epoch = done + take, epoch + 1
    tx, ty = utils.generate_batched_data(test_x, test_y, batch_size)
    _, test_acc = utils.evaluate(tx, ty, model, debug=False)
    model.close()
    return train_acc, test_acc


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=config.at_least(0), default=2, help="TensorFlow threads per model")
    args = parser.parse_args(argv)
    rows = ["| data | train images | model, batch | SGD steps | train acc | test acc | both > 0.3 |",
            "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp_dir:
        for label, source, data_dir in sources(tmp_dir):
            train_x, train_y, _, _ = utils.load_trainval_arrays(source, data_dir)
            test_x, test_y = utils.load_test_arrays(source, data_dir)
            data = (train_x, train_y, test_x, test_y)
            for model_type, batch_size in CHECKS:
                epoch_steps = math.ceil(len(train_x) / batch_size)
                course_steps = math.ceil(COURSE_TRAIN / batch_size)
                for steps in sorted({epoch_steps, course_steps}):
                    train_acc, test_acc = check(model_type, batch_size, data, steps, args.threads)
                    what = "1 epoch" if steps == epoch_steps else "course epoch's %d" % steps
                    rows.append("| %s | %d | %s, %d | %d (%s) | %.4f | %.4f | %s |" % (
                        label, len(train_x), model_type, batch_size, steps, what, train_acc, test_acc,
                        "yes" if min(train_acc, test_acc) > 0.3 else "no"))
                    print(rows[-1], flush=True)
    print("\n".join([""] + rows))
    return rows


if __name__ == "__main__":
    main()
