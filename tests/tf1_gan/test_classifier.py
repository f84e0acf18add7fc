"""The evaluation's MNIST classifier is a run like any other: stop and resume give the weights of an uninterrupted
run, the run dir is locked while it trains, and load_classifier restores the finished run (its accuracy is the
recorded one)."""
import os

import numpy as np
import pytest
import tensorflow as tf

from common import files, run
from tf1_gan import classifier
from tf1_gan import evaluate

TINY = ["--epochs", "1", "--num-train", "320", "--data-source", "embedded", "--threads", "1", "--log-every", "1"]


def _weights(run_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(run.RunPaths(run_dir).checkpoints))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name.startswith("classifier/")}


def test_stopped_and_resumed_equals_uninterrupted(tmp_path, capsys):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    assert classifier.main(TINY + ["--run-dir", straight]) == 0
    assert classifier.main(TINY + ["--run-dir", resumed, "--session-steps", "2"]) == 130
    assert not os.path.exists(os.path.join(resumed, "metrics.json"))
    assert classifier.main(TINY + ["--run-dir", resumed]) == 0
    assert "test accuracy" in capsys.readouterr().out
    a, b = _weights(straight), _weights(resumed)
    assert sorted(a) == sorted(b) and len(a) == 24  # conv1, conv2, fc1, fc2: kernel, bias, two Adam slots each
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert [r["loss"] for r in files.read_json(os.path.join(straight, "history.json"))] == \
        [r["loss"] for r in files.read_json(os.path.join(resumed, "history.json"))]


def test_a_locked_run_dir_is_refused(tmp_path, capsys):
    run_dir = str(tmp_path / "clf")
    os.makedirs(run_dir)
    lock = run.RunLock(run_dir)
    lock.acquire()
    try:
        assert classifier.main(TINY + ["--run-dir", run_dir]) == 2
        assert "is in use by process %d" % os.getpid() in capsys.readouterr().err
    finally:
        lock.release()


def test_load_classifier_restores_the_finished_run(tmp_path):
    run_dir = str(tmp_path / "clf")
    assert classifier.main(TINY + ["--run-dir", run_dir]) == 0
    recorded = files.read_json(os.path.join(run_dir, "metrics.json"))["test_accuracy"]
    clf = classifier.load_classifier(run_dir, threads=1)
    try:
        cfg = classifier.SCHEMA.make(data_source="embedded")
        _, _, test_images, test_labels = classifier.load_data(cfg)
        assert classifier.accuracy(clf.session, clf.images, clf.logits, test_images, test_labels) == recorded
        feats, probs = evaluate.classify(clf, np.zeros((3, 28, 28), np.float32))
        assert feats.shape == (3, 128) and probs.shape == (3, 10)
        assert np.allclose(probs.sum(1), 1.0)
    finally:
        clf.session.close()


def test_dropout_is_a_function_of_the_step():
    """The mask is drawn from (seed, step): the same step gives the same logits, another step other ones."""
    graph = tf.Graph()
    with graph.as_default():
        step = tf.placeholder(tf.int64, [])
        x = tf.constant(np.random.RandomState(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
        _, logits = classifier.classifier_net(x, classifier.training.stateless_seed(0, step, 1))
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        a, b, c = (sess.run(logits, {step: s}) for s in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("argv, pattern", [(["--num-train", "100000"], "'num_train' \\(100000\\) exceeds"),
                                           (["--epochs", "0"], "'epochs' must be")])
def test_bad_values_exit_2(tmp_path, capsys, argv, pattern):
    import re
    assert classifier.main(TINY + argv + ["--run-dir", str(tmp_path / "r")]) == 2
    assert re.search(pattern, capsys.readouterr().err)
    assert not os.path.exists(str(tmp_path / "r"))
