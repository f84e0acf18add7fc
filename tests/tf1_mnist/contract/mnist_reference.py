"""The float64 NumPy reference of the CS7643 A1 math, written independently of tf1_mnist's graph code.

It produces our contract fixtures (`make_fixtures.py`) and is the oracle of `test_mnist_contract.py`. Plain
NumPy only: what a correct course solution computes.
"""
import numpy as np

INIT_SEED, INIT_SCALE = 1024, 0.001


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_dev(x):
    return sigmoid(x) * (1.0 - sigmoid(x))


def relu(x):
    return np.where(x > 0, x, 0.0)


def relu_dev(x):
    return (x > 0).astype(np.float64)


def softmax(scores):
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def cross_entropy(probs, labels):
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))


def accuracy(probs, labels):
    return float(np.mean(probs.argmax(axis=1) == labels))


def initial_weights(kind, input_size=784, num_classes=10, hidden_size=128):
    """The skeleton's init: seed 1024 before each matrix, 0.001 * randn, zero biases."""
    draw = lambda *shape: INIT_SCALE * np.random.RandomState(INIT_SEED).randn(*shape)  # noqa: E731
    if kind == "softmax":
        return {"W1": draw(input_size, num_classes)}
    return {"W1": draw(input_size, hidden_size), "b1": np.zeros(hidden_size),
            "W2": draw(hidden_size, num_classes), "b2": np.zeros(num_classes)}


def forward_backward(kind, weights, x, y):
    """(loss, accuracy, gradients) of one batch; gradients of the mean cross-entropy (no regularization)."""
    n = len(y)
    onehot = np.zeros((n, weights["W1" if kind == "softmax" else "W2"].shape[1]))
    onehot[np.arange(n), y] = 1.0
    if kind == "softmax":
        z = x @ weights["W1"]
        probs = softmax(relu(z))
        d_z = (probs - onehot) / n * relu_dev(z)
        grads = {"W1": x.T @ d_z}
    else:
        z1 = x @ weights["W1"] + weights["b1"]
        h = sigmoid(z1)
        probs = softmax(h @ weights["W2"] + weights["b2"])
        d_z2 = (probs - onehot) / n
        d_z1 = (d_z2 @ weights["W2"].T) * h * (1.0 - h)
        grads = {"W1": x.T @ d_z1, "b1": d_z1.sum(axis=0), "W2": h.T @ d_z2, "b2": d_z2.sum(axis=0)}
    return cross_entropy(probs, y), accuracy(probs, y), grads


def regularized(weights, grads, reg):
    """dJ/dθ for J = L + reg/2 Σ W²: reg * W added to the weight matrices' gradients, never to biases."""
    return {k: g + reg * weights[k] if k.startswith("W") else g for k, g in grads.items()}


def sgd_step(weights, grads, learning_rate, reg):
    """θ ← θ − lr ∇J (seed 002, eqs. 3-4)."""
    full = regularized(weights, grads, reg)
    return {k: w - learning_rate * full[k] for k, w in weights.items()}
