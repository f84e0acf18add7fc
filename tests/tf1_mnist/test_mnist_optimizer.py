"""SGD and L2 regularization as assign ops: W <- W - lr * (g + reg * W); biases are never regularized."""
import numpy as np

from tf1_mnist import utils
from tf1_mnist.models import SoftmaxRegression, TwoLayerNet
from tf1_mnist.optimizer import SGD


def _batch(n=32, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 784), rng.randint(0, 10, size=n)


def test_sgd_update_rule_weights_and_biases():
    model = TwoLayerNet(hidden_size=8)
    x, y = _batch()
    model.forward(x, y, mode="train")
    before, grads = model.weights.copy(), model.gradients.copy()
    optimizer = SGD(learning_rate=0.5, reg=0.1)
    optimizer.update(model)
    after = model.weights
    for key in ("W1", "W2"):
        np.testing.assert_allclose(after[key], before[key] - 0.5 * (grads[key] + 0.1 * before[key]), rtol=1e-12)
    for key in ("b1", "b2"):  # no reg term on biases
        assert grads[key].any()
        np.testing.assert_allclose(after[key], before[key] - 0.5 * grads[key], rtol=1e-12)


def test_apply_regularization_only_touches_weight_gradients():
    model = TwoLayerNet(hidden_size=8)
    x, y = _batch()
    model.forward(x, y, mode="train")
    weights, grads = model.weights.copy(), model.gradients.copy()
    SGD(learning_rate=1e-4, reg=1e-3).apply_regularization(model)
    new = model.gradients
    np.testing.assert_allclose(new["W1"], grads["W1"] + 1e-3 * weights["W1"], rtol=1e-12)
    np.testing.assert_array_equal(new["b1"], grads["b1"])
    np.testing.assert_array_equal(model.weights["W1"], weights["W1"])  # weights untouched


def test_course_default_sgd_values():
    optimizer = SGD()
    assert (optimizer.learning_rate, optimizer.reg) == (1e-4, 1e-3)


def test_one_epoch_exceeds_0_3_accuracy():
    """Course public test: one epoch of the default recipe (batch 64, lr 0.1, reg 0.001) beats 0.3.

    A course epoch is 48,000 images = 750 SGD steps. Our embedded subset has 6,400 training images (100 steps
    an epoch), so we give each model the same 750 steps (7.5 passes) and also check that one subset epoch is
    already enough for softmax regression; the two-layer sigmoid net with its 0.001-scale init needs ~4
    subset epochs to leave chance level (see docs/tf1_mnist.md).
    """
    train_x, train_y, val_x, val_y = utils.load_trainval_arrays(source="embedded")
    for model in (SoftmaxRegression(), TwoLayerNet(hidden_size=128)):
        optimizer = SGD(learning_rate=0.1, reg=0.001)
        step, epoch = 0, 0
        while step < 750:
            batches_x, batches_y = utils.generate_batched_data(train_x, train_y, 64, shuffle=True, seed=epoch)
            for bx, by in zip(batches_x, batches_y):
                if step == 750:
                    break
                model.forward(bx, by, mode="train")
                optimizer.update(model)
                step += 1
            epoch += 1
            if epoch == 1 and isinstance(model, SoftmaxRegression):
                assert model.forward(val_x, val_y, mode="valid")[1] > 0.3
        _, acc = model.forward(val_x, val_y, mode="valid")
        assert acc > 0.3, (type(model).__name__, acc)
