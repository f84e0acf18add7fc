"""The workshop ConvNet: both definitions build the same graph, batch-norm variants, a smoke run."""
import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from common import files
from tf1_mnist import classifier, cnn, convnet, utils


def _build(definition, bn, layers=None):
    graph = tf.Graph()
    with graph.as_default():
        images = tf.placeholder(tf.float32, (None, 28, 28, 1))
        training = tf.placeholder_with_default(False, ())
        if definition == "explicit":
            logits, features = convnet.convnet_explicit(images, training, bn)
        else:
            logits, features = convnet.convnet_sequential(images, training, layers or convnet.layer_list(bn))
        init = tf.global_variables_initializer()
    return graph, images, training, logits, features, init


def _outputs(built, values, x, train_mode):
    graph, images, training, logits, features, init = built
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for var in graph.get_collection("variables"):
            var.load(values[var.op.name], sess)
        return sess.run([logits, features], {images: x, training: train_mode})


def _variables(graph):
    return [(v.op.name, tuple(v.shape.as_list())) for v in graph.get_collection("variables")]


@pytest.mark.parametrize("bn", convnet.BN_VARIANTS)
def test_two_definitions_identical(bn):
    explicit, sequential = _build("explicit", bn), _build("sequential", bn)
    assert _variables(explicit[0]) == _variables(sequential[0])
    op_types = lambda g: [op.type for op in g.get_operations()]  # noqa: E731
    assert op_types(explicit[0]) == op_types(sequential[0])  # the same graph, op for op
    rng = np.random.RandomState(0)
    values = {name: rng.randn(*shape).astype(np.float32) * 0.3 for name, shape in _variables(explicit[0])}
    for name in values:
        if name.endswith("moving_variance"):
            values[name] = np.abs(values[name]) + 0.5
    x = rng.rand(6, 28, 28, 1).astype(np.float32)
    for train_mode in (False, True):
        a, b = _outputs(explicit, values, x, train_mode), _outputs(sequential, values, x, train_mode)
        assert a[0].shape == (6, 10) and a[1].shape == (6, 64)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_variable_names_and_parameter_count():
    graph = _build("explicit", "none")[0]
    names = dict(_variables(graph))
    assert names["convnet/conv1/kernel"] == (5, 5, 1, 8) and names["convnet/conv2/kernel"] == (5, 5, 8, 16)
    assert names["convnet/fc1/kernel"] == (256, 256) and names["convnet/fc3/kernel"] == (64, 10)
    # (25*1*8+8) + (25*8*16+16) + (256*256+256) + (256*64+64) + (64*10+10) — the PyTorch model's count
    assert sum(int(np.prod(s)) for s in names.values()) == 208 + 3216 + 65792 + 16448 + 650


def test_seed_sequential_without_second_conv_is_caught():
    """The seed's nn.Sequential lacks Conv2d(8, 16, 5): flatten then sees 8*6*6 = 288 features, not 256."""
    layers = [kl for kl in convnet.layer_list("none") if kl[1].get("name") != "conv2"]
    with pytest.raises(ValueError, match="288"):
        _build("sequential", "none", layers)


@pytest.mark.parametrize("definition", ["explicit", "sequential"])
def test_bn_update_ops_run_with_the_train_step(definition):
    with tf.Graph().as_default():
        net = convnet.build_graph("both", definition)
        moving = [v for v in tf.global_variables() if v.op.name.endswith("moving_mean")]
        assert len(moving) == 4
        with tf.Session() as sess:
            sess.run(net.init)
            before = sess.run(moving)
            x = np.random.RandomState(1).rand(8, 28, 28, 1)
            sess.run(net.train_op, {net.images: x, net.labels: np.arange(8), net.training: True})
            after = sess.run(moving)
    assert all(np.abs(a - b).max() > 0 for a, b in zip(after, before))


def test_cnn_smoke_and_resume(tmp_path):
    args = ["--data-source", "embedded", "--batch-size", "128", "--bn", "2d", "--num-train", "1024", "--lr", "0.003",
            "--epochs", "2", "--threads", "1"]
    fresh, split = str(tmp_path / "fresh"), str(tmp_path / "split")
    quiet = lambda message: None  # noqa: E731
    first = cnn.train(cnn.SCHEMA.parse(args + ["--run-dir", fresh]), log=quiet)
    assert cnn.train(cnn.SCHEMA.parse(args + ["--run-dir", split, "--session-epochs", "1"]), log=quiet) is None
    resumed = cnn.train(cnn.SCHEMA.parse(args + ["--run-dir", split]), log=quiet)
    assert glob.glob(os.path.join(fresh, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(fresh, "checkpoints", "checkpoint"))
    assert os.path.exists(os.path.join(fresh, "learning_curves.png"))
    val = lambda d: [h["val_accuracy"] for h in files.read_json(os.path.join(d, "history.json"))]  # noqa: E731
    assert val(fresh) == val(split)
    assert first["test_accuracy"] == resumed["test_accuracy"] > 0.3
    again = cnn.train(cnn.SCHEMA.parse(["--data-source", "embedded", "--run-dir", fresh, "--eval-only"]), log=quiet)
    assert again["test_accuracy"] == first["test_accuracy"] and again["checkpoint_epoch"] == 2
    assert cnn.main(["--data-source", "embedded", "--run-dir", fresh, "--eval-only"]) == 0
    clf = classifier.Classifier(fresh)  # the reusable entry point restores the same weights
    test_x, test_y = utils.load_test_arrays("embedded", dtype=np.float32)
    assert np.mean(clf.predict((test_x * 255).round().astype(np.uint8).reshape(-1, 28, 28)) == test_y) == \
        pytest.approx(first["test_accuracy"], abs=2e-3)
    assert clf.features(test_x[:3].reshape(3, 28, 28)).shape == (3, 64)
    clf.close()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("cnn") / "run")
    assert cnn.main(["--data-source", "embedded", "--num-train", "64", "--epochs", "1", "--threads", "1",
                     "--run-dir", run_dir]) == 0
    return run_dir


@pytest.mark.parametrize("old, new, message", [
    ("bn: none", "bn: 3d", r"config.yaml: config key 'bn' must be one of none, 2d, 1d, both, got '3d'"),
    ("definition: explicit\n", "", r"config.yaml: key 'definition' missing"),
    ("lr: 0.001", "lr: fast", r"config.yaml: config key 'lr' must be a finite number > 0"),
    ("bn: none", "bn: none\nwidth: 3", r"config.yaml: unknown config key 'width'"),
], ids=["bad-choice", "missing-key", "bad-type", "unknown-key"])
def test_hand_edited_run_config_is_refused_by_every_loader(tiny_run, tmp_path, capsys, old, new, message):
    import re
    import shutil
    from common import config
    run_dir = str(tmp_path / "run")
    shutil.copytree(tiny_run, run_dir)
    path = os.path.join(run_dir, "config.yaml")
    text = open(path).read()
    assert old in text
    open(path, "w").write(text.replace(old, new))
    with pytest.raises(config.ConfigError, match=message):
        classifier.Classifier(run_dir)
    for main, argv in ((classifier.main, ["--run-dir", run_dir]),
                       (cnn.main, ["--run-dir", run_dir, "--eval-only", "--data-source", "embedded"])):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert re.search(message, err) and "Traceback" not in err, err


def test_classifier_cli_and_a_run_without_checkpoint(tiny_run, tmp_path, capsys):
    assert classifier.main(["--run-dir", tiny_run, "--data-source", "embedded"]) == 0
    assert "test_accuracy=" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert classifier.main(["--run-dir", str(empty)]) == 2
    assert "no config.yaml in %s" % empty in capsys.readouterr().err


def test_mnist_data_errors_are_the_suite_data_error(tmp_path, capsys):
    from common import errors, mnist
    assert issubclass(mnist.DataError, errors.DataError)
    (tmp_path / "mnist_train.csv").write_text("5," + ",".join(["0"] * 784) + "\n7,1,2\n")
    (tmp_path / "mnist_test.csv").write_text("5," + ",".join(["0"] * 784) + "\n")
    assert cnn.main(["--data-source", "csv", "--data-dir", str(tmp_path), "--run-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "mnist_train.csv:2: expected 785 values" in err and "Traceback" not in err
    assert not os.path.exists(str(tmp_path / "r"))
