"""The CS7643 autograder's contract (issue 16): NumPy in, NumPy/Python floats out, float64 to 7 places.

Two ways in: in-process through `tf1_mnist.*` (below), and `contract/course_contract.py` run the way the
course runs its tests — a subprocess whose working directory is `tf1_mnist/`, importing `models.*`,
`optimizer.sgd` and `utils` from there and reading fixtures by relative paths. The oracle is the float64
NumPy reference `contract/mnist_reference.py`; the committed fixtures must equal what it produces now.
"""
import copy
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from common import run
from tf1_mnist import utils
from tf1_mnist.models import SoftmaxRegression, TwoLayerNet
from tf1_mnist.optimizer import SGD

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = os.path.join(HERE, "contract")
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, CONTRACT)
import make_fixtures  # noqa: E402  pylint: disable=wrong-import-position
import mnist_reference as ref  # noqa: E402  pylint: disable=wrong-import-position

PLACES = 1e-7 / 2  # assertAlmostEqual(a, b, places=7): round(a - b, 7) == 0


def _close(a, b):
    """The course's check: the sum of absolute differences rounds to 0 at 7 decimal places."""
    return round(float(np.sum(np.abs(np.asarray(a) - np.asarray(b)))), 7) == 0


@pytest.fixture(scope="module")
def batch():
    return (np.load(os.path.join(CONTRACT, "fixtures", "softmax_grad_check", "test_batch.npy")),
            np.load(os.path.join(CONTRACT, "fixtures", "softmax_grad_check", "test_label.npy")))


def _random_weights(model, seed=5):
    """Weights away from the tiny init (so ReLU/sigmoid derivatives are not trivially constant)."""
    rng = np.random.RandomState(seed)
    return {k: rng.randn(*v.shape) * (0.05 if k.startswith("W") else 0.5) for k, v in model.weights.items()}


def test_committed_fixtures_equal_the_reference():
    assert make_fixtures.differences(make_fixtures.build()) == []


def test_course_style_suite_runs_from_tf1_mnist_dir():
    """`python -m unittest course_contract` with cwd tf1_mnist/: passes, prints nothing on stdout.

    Only the suite's own folder is on PYTHONPATH, not the repository: `utils` finds `common` one level up itself
    (the next test puts the repository on the path)."""
    env = dict(os.environ, PYTHONPATH=CONTRACT,
               TF1_MNIST_FIXTURES=os.path.relpath(os.path.join(CONTRACT, "fixtures"), os.path.join(REPO, "tf1_mnist")))
    proc = subprocess.run([sys.executable, "-m", "unittest", "course_contract"], cwd=os.path.join(REPO, "tf1_mnist"),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "Ran 17 tests" in proc.stderr and proc.stderr.rstrip().endswith(("OK", "OK (skipped=1)"))


@pytest.mark.parametrize("name,oracle", [("sigmoid", ref.sigmoid), ("sigmoid_dev", ref.sigmoid_dev),
                                         ("ReLU", ref.relu), ("ReLU_dev", ref.relu_dev),
                                         ("softmax", ref.softmax)])
def test_helper_methods_take_and_return_numpy(name, oracle):
    model = SoftmaxRegression()
    x = np.array([[-1.5, -0.25, 0.0], [0.75, 2.0, 30.0], [-30.0, 1e-9, 4.0]])
    out = getattr(model, name)(x)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == x.shape
    assert _close(out, oracle(x))
    assert _close(getattr(model, name)(x.tolist()), oracle(x))  # nested lists work too
    if name != "softmax":  # element-wise helpers take any shape
        assert getattr(model, name)(x[0]).shape == (3,)


def test_loss_and_accuracy_methods_return_python_floats():
    model = TwoLayerNet(hidden_size=8)
    probs = ref.softmax(np.random.RandomState(1).randn(6, 4))
    labels = np.array([0, 1, 2, 3, 0, 1])
    loss, acc = model.cross_entropy_loss(probs, labels), model.compute_accuracy(probs, labels)
    assert type(loss) is float and type(acc) is float  # pylint: disable=unidiomatic-typecheck
    assert abs(loss - ref.cross_entropy(probs, labels)) < PLACES
    assert acc == ref.accuracy(probs, labels)
    course = np.array([[0.2, 0.5, 0.3], [0.5, 0.1, 0.4], [0.3, 0.3, 0.4]])  # the course's published case
    assert round(model.cross_entropy_loss(course, [1, 2, 0]), 6) == 0.937804  # -(ln .5 + ln .4 + ln .3)/3
    assert round(model.compute_accuracy(course, [1, 2, 0]), 4) == 0.3333


def test_loaders_return_python_lists():
    train_x, train_y, val_x, val_y = utils.load_mnist_trainval(source="embedded")
    assert (len(train_x), len(val_x)) == (6400, 1600) and len(train_x) == 4 * len(val_x)
    assert type(train_x) is list and type(train_x[0]) is list and len(train_x[0]) == 784  # noqa: E721
    assert all(type(p) is float for p in train_x[0]) and type(train_y[0]) is int  # noqa: E721
    arrays = utils.load_trainval_arrays(source="embedded")
    for as_list, as_array in zip((train_x, train_y, val_x, val_y), arrays):
        np.testing.assert_array_equal(np.array(as_list), as_array)  # the same values, bit for bit
    assert arrays[0].dtype == np.float64 and 0.0 <= arrays[0].min() and arrays[0].max() == 1.0
    test_x, test_y = utils.load_mnist_test(source="embedded")
    assert len(test_x) == len(test_y) == 2000 and type(test_y[0]) is int  # noqa: E721


def test_generate_batched_data_from_lists():
    data, label = [[float(i)] * 3 for i in range(10)], list(range(10))
    bx, by = utils.generate_batched_data(data, label, batch_size=4)
    assert [b.shape for b in bx] == [(4, 3), (4, 3), (2, 3)] and bx[0].dtype == np.float64
    np.testing.assert_array_equal(np.concatenate(by), label)
    np.random.seed(3)
    sx, sy = utils.generate_batched_data(data, label, batch_size=4, shuffle=True)  # global generator
    np.random.seed(3)
    sx2, _ = utils.generate_batched_data(data, label, batch_size=4, shuffle=True)
    np.testing.assert_array_equal(np.concatenate(sx), np.concatenate(sx2))
    np.testing.assert_array_equal(np.concatenate(sx)[:, 0], np.concatenate(sy))  # rows stay paired


@pytest.mark.parametrize("kind", ["softmax", "twolayer"])
def test_gradients_equal_numpy_to_7_places(kind, batch):
    x, y = batch
    model = SoftmaxRegression() if kind == "softmax" else TwoLayerNet(hidden_size=128)
    for start in ("course init", "random"):
        weights = ref.initial_weights(kind) if start == "course init" else _random_weights(model)
        model.weights = weights
        loss, acc, grads = ref.forward_backward(kind, weights, x, y)
        out = model.forward(x, y, mode="train")
        assert type(out[0]) is float and abs(out[0] - loss) < PLACES and out[1] == acc  # noqa: E721
        for key, grad in grads.items():
            assert model.gradients[key].dtype == np.float64
            assert _close(model.gradients[key], grad), (start, key)


def test_course_init_and_its_global_seed():
    model = TwoLayerNet(hidden_size=16)
    after_init = np.random.randn(3)
    reference = ref.initial_weights("twolayer", hidden_size=16)
    for key, value in reference.items():
        np.testing.assert_array_equal(model.weights[key], value)
    rng = np.random.RandomState(1024)  # the skeleton's last call was seed(1024) + randn(16, 10)
    rng.randn(16, 10)
    np.testing.assert_array_equal(after_init, rng.randn(3))
    assert not any(g.any() for g in model.gradients.values())


def test_fake_gradients_through_the_dict_then_update():
    model = TwoLayerNet(hidden_size=8)
    w0 = model.weights.copy()
    rng = np.random.RandomState(467)
    fake = {k: rng.randn(*v.shape) for k, v in w0.items()}
    for key, value in fake.items():
        model.gradients[key] = value
    SGD(learning_rate=1e-2, reg=1e-1).update(model)
    expected = ref.sgd_step(w0, fake, 1e-2, 1e-1)
    for key in w0:
        assert _close(model.weights[key], expected[key]), key
    regularized = ref.regularized(w0, fake, 1e-1)
    for key in w0:  # what update computed is visible: the regularized gradients (biases unchanged)
        assert _close(model.gradients[key], regularized[key]), key
    np.testing.assert_array_equal(model.gradients["b1"], fake["b1"])


def test_dict_assignment_in_place_edits_and_attribute_assignment_reach_the_graph(batch):
    x, y = batch
    model = SoftmaxRegression()
    w = model.weights["W1"]
    w[:] = _random_weights(model)["W1"]  # in-place edit of the handed-out array
    loss = model.forward(x, y, mode="valid")[0]
    assert abs(loss - ref.forward_backward("softmax", {"W1": w}, x, y)[0]) < PLACES
    model.weights = {"W1": np.zeros((784, 10))}  # attribute assignment of a whole dict
    assert abs(model.forward(x, y, mode="valid")[0] - np.log(10)) < PLACES
    model.gradients["W1"] = np.ones((784, 10))
    SGD(learning_rate=0.5, reg=0.0).update(model)
    np.testing.assert_array_equal(model.weights["W1"], -0.5 * np.ones((784, 10)))
    with pytest.raises(ValueError, match=r"model.gradients\['W1'\] must have shape \(784, 10\)"):
        model.gradients["W1"] = np.ones((10, 784))
    with pytest.raises(KeyError, match="no such parameter"):
        model.weights["W2"] = np.ones(3)
    with pytest.raises(KeyError, match="need exactly the keys W1"):
        model.weights = {"W1": np.zeros((784, 10)), "b1": np.zeros(10)}
    with pytest.raises(TypeError):
        del model.weights["W1"]
    assert "W1" in model.weights and "b1" not in model.weights and list(model.weights) == ["W1"]


def test_apply_regularization_is_visible_and_skips_biases():
    model = TwoLayerNet(hidden_size=8)
    model.weights = _random_weights(model)
    grads = {k: np.full(v.shape, 0.5) for k, v in model.weights.items()}
    model.gradients = grads
    SGD(learning_rate=1e-4, reg=100).apply_regularization(model)
    expected = ref.regularized(model.weights.copy(), grads, 100)
    for key in grads:
        assert _close(model.gradients[key], expected[key]), key
    np.testing.assert_array_equal(model.gradients["b2"], grads["b2"])


def test_train_and_evaluate_equal_the_reference_loop(capsys):
    train_x, train_y, _, _ = utils.load_trainval_arrays(source="embedded")
    bx, by = utils.generate_batched_data(train_x[:96], train_y[:96], batch_size=32)
    model, optimizer = TwoLayerNet(hidden_size=16), SGD(learning_rate=0.5, reg=1e-3)
    weights = ref.initial_weights("twolayer", hidden_size=16)
    losses, hits = [], 0.0
    for x, y in zip(bx, by):
        loss, acc, grads = ref.forward_backward("twolayer", weights, x, y)
        weights = ref.sgd_step(weights, grads, 0.5, 1e-3)
        losses.append(loss)
        hits += acc * len(y)
    out = utils.train(0, bx, by, model, optimizer, debug=False)
    assert type(out[0]) is float and type(out[1]) is float  # noqa: E721
    assert abs(out[0] - np.mean(losses)) < PLACES and abs(out[1] - hits / 96) < 1e-12
    for key in weights:
        assert _close(model.weights[key], weights[key]), key
    eval_loss, eval_acc = utils.evaluate(bx, by, model, debug=False)
    expected = [ref.forward_backward("twolayer", weights, x, y)[:2] for x, y in zip(bx, by)]
    assert abs(eval_loss - np.mean([e[0] for e in expected])) < PLACES
    assert abs(eval_acc - np.mean([e[1] for e in expected])) < 1e-12
    assert capsys.readouterr().out == ""
    utils.train(1, bx, by, model, optimizer, debug=True)
    utils.evaluate(bx, by, model, debug=True)
    assert capsys.readouterr().out.count("\n") == 2 + 3  # train: batch 0 + summary; evaluate: 3 batches


def test_course_calls_print_nothing(capfd):
    """Loading, building, forward, update, train/evaluate with debug=False: nothing on stdout or stderr."""
    data, labels, _, _ = utils.load_mnist_trainval()
    bx, by = utils.generate_batched_data(data[:64], labels[:64], batch_size=32, shuffle=True, seed=1)
    model, optimizer = TwoLayerNet(), SGD()
    model.forward(bx[0], by[0])
    optimizer.update(model)
    utils.train(0, bx, by, model, optimizer, debug=False)
    utils.evaluate(bx, by, model, debug=False)
    SoftmaxRegression().sigmoid(np.zeros(2))
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_deepcopy_is_an_independent_model(batch):
    x, y = batch
    model = TwoLayerNet(hidden_size=8)
    model.weights = _random_weights(model)
    model.forward(x, y)
    np.random.seed(11)
    twin = copy.deepcopy(model)  # the course's main.py keeps its best model this way
    assert np.random.randn() == np.random.RandomState(11).randn()  # the copy did not reseed NumPy
    assert twin.graph is not model.graph
    for key in model.weights:
        np.testing.assert_array_equal(twin.weights[key], model.weights[key])
        np.testing.assert_array_equal(twin.gradients[key], model.gradients[key])
    assert twin.forward(x, y, mode="valid") == model.forward(x, y, mode="valid")
    SGD(learning_rate=1.0).update(model)
    assert not np.array_equal(twin.weights["W1"], model.weights["W1"])


def test_checkpoint_saves_what_the_dict_holds(tmp_path, batch):
    x, y = batch
    make = lambda: run.Checkpointer(str(tmp_path))  # noqa: E731
    model = SoftmaxRegression(make_checkpointer=make)
    model.weights["W1"] = _random_weights(model)["W1"]
    model.save_checkpoint(1)
    other = SoftmaxRegression(make_checkpointer=make)
    before = other.weights["W1"].copy()
    assert other.restore_checkpoint() == 1
    np.testing.assert_array_equal(other.weights["W1"], model.weights["W1"])
    assert not np.array_equal(before, other.weights["W1"])
    assert other.forward(x, y, mode="valid") == model.forward(x, y, mode="valid")


def test_student_workflow_with_the_repository_on_pythonpath(tmp_path):
    """The issue's "done when", literally: the course's tests copied into tf1_mnist/tests/ (no __init__.py), run as
    `python -m unittest tests.test_contract` from tf1_mnist/ with the repository root on PYTHONPATH. Built in a
    view of the repository (symlinks, tf1_mnist/ copied) so the real tf1_mnist/tests/ stays the student's."""
    view = tmp_path / "repo"
    view.mkdir()
    for name in os.listdir(REPO):
        if name != "tf1_mnist" and not name.startswith("."):
            os.symlink(os.path.join(REPO, name), str(view / name))
    assert not os.path.exists(os.path.join(REPO, "tests", "__init__.py"))  # else it would shadow tests/ below
    shutil.copytree(os.path.join(REPO, "tf1_mnist"), str(view / "tf1_mnist"),
                    ignore=shutil.ignore_patterns("tests", "__pycache__"))
    student = view / "tf1_mnist" / "tests"
    shutil.copytree(os.path.join(CONTRACT, "fixtures"), str(student))
    shutil.copy(os.path.join(CONTRACT, "course_contract.py"), str(student / "test_contract.py"))
    env = dict(os.environ, PYTHONPATH=str(view))
    proc = subprocess.run([sys.executable, "-m", "unittest", "tests.test_contract"], cwd=str(view / "tf1_mnist"),
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Ran 17 tests" in proc.stderr
