"""Writes our contract fixtures from the float64 NumPy reference (`mnist_reference.py`).

    .venv/bin/python tests/tf1_mnist/contract/make_fixtures.py [--check]

Layout as the course's public tests expect theirs (`tests/<dir>/<file>.npy`), under `fixtures/`:
  softmax_grad_check/{test_batch,test_label,softmax_relu_grad}.npy   the batch: first 64 embedded train images
  twolayer_grad_check/{w1,b1,w2,b2}.npy                              two-layer gradients (hidden 128) there
  sgd/sgd_updated_weights.npy                                        SoftmaxRegression W1 after one SGD step
                                                                     (lr 1e-4, reg 1e-3) on np.random.seed(467)
                                                                     randn(784, 10) fake gradients
  expected.json                                                      losses, accuracies, activation cases
`--check` regenerates in memory and exits 1 if a committed file differs (test_mnist_contract.py does the same).
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FIXTURES = os.path.join(HERE, "fixtures")
sys.path[:0] = [HERE, REPO]

import mnist_reference as ref  # noqa: E402  pylint: disable=wrong-import-position
from common import mnist  # noqa: E402  pylint: disable=wrong-import-position


def build():
    """{relative path: array or dict} of every fixture."""
    images, labels = mnist.load_mnist("embedded", "train")
    x = images[:64].reshape(64, 784).astype(np.float64) / 255.0
    y = labels[:64].astype(np.int64)
    soft_loss, soft_acc, soft_grads = ref.forward_backward("softmax", ref.initial_weights("softmax"), x, y)
    two_loss, two_acc, two_grads = ref.forward_backward("twolayer", ref.initial_weights("twolayer"), x, y)
    fake = np.random.RandomState(467).randn(784, 10)  # = np.random.seed(467); np.random.randn(784, 10)
    updated = ref.sgd_step(ref.initial_weights("softmax"), {"W1": fake}, 1e-4, 1e-3)["W1"]
    act_x = np.random.RandomState(2024).randn(4, 2)
    probs = ref.softmax(np.random.RandomState(2025).randn(3, 3))
    # Row 0 labelled with its argmax, rows 1 and 2 with another class: accuracy 1/3, as in the course's case.
    top = probs.argmax(axis=1)
    prob_labels = np.array([top[0], (top[1] + 1) % 3, (top[2] + 1) % 3])
    expected = {
        "softmax_loss": soft_loss, "softmax_accuracy": soft_acc,
        "twolayer_loss": two_loss, "twolayer_accuracy": two_acc,
        "activation_x": act_x.tolist(),
        "sigmoid": ref.sigmoid(act_x).tolist(), "sigmoid_dev": ref.sigmoid_dev(act_x).tolist(),
        "relu": ref.relu(act_x).tolist(), "relu_dev": ref.relu_dev(act_x).tolist(),
        "softmax": ref.softmax(act_x).tolist(),
        "probs": probs.tolist(), "prob_labels": prob_labels.tolist(),
        "cross_entropy": ref.cross_entropy(probs, prob_labels), "accuracy": ref.accuracy(probs, prob_labels),
    }
    return {"softmax_grad_check/test_batch.npy": x, "softmax_grad_check/test_label.npy": y,
            "softmax_grad_check/softmax_relu_grad.npy": soft_grads["W1"],
            "twolayer_grad_check/w1.npy": two_grads["W1"], "twolayer_grad_check/b1.npy": two_grads["b1"],
            "twolayer_grad_check/w2.npy": two_grads["W2"], "twolayer_grad_check/b2.npy": two_grads["b2"],
            "sgd/sgd_updated_weights.npy": updated, "expected.json": expected}


def differences(fixtures, root=FIXTURES):
    """Relative paths whose committed file is missing or differs from `fixtures`."""
    bad = []
    for rel, value in fixtures.items():
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            bad.append(rel)
        elif rel.endswith(".json"):
            with open(path) as handle:
                if json.load(handle) != value:
                    bad.append(rel)
        elif not np.array_equal(np.load(path), value) or np.load(path).dtype != value.dtype:
            bad.append(rel)
    return bad


def write(fixtures, root=FIXTURES):
    for rel, value in fixtures.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if rel.endswith(".json"):
            with open(path, "w") as handle:
                json.dump(value, handle, indent=1, sort_keys=True)
                handle.write("\n")
        else:
            np.save(path, value)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    fixtures = build()
    if "--check" in argv:
        bad = differences(fixtures)
        print("fixtures up to date" if not bad else "fixtures differ from the reference: %s" % ", ".join(bad))
        return 1 if bad else 0
    write(fixtures)
    print("wrote %d fixtures under %s" % (len(fixtures), FIXTURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
