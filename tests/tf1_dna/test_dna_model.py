"""tf1_dna model: variable names and shapes, the math against numpy, and the question-4e shape checker."""
import numpy as np
import pytest
import tensorflow as tf

from common import training
from tf1_dna import data, model, shapes


def _session(graph):
    return tf.Session(graph=graph, config=training.session_config(1))


def test_variable_names_and_shapes():
    with tf.Graph().as_default():
        net = model.build_train_graph(hidden=7)
        trainable = {v.op.name: v.shape.as_list() for v in tf.trainable_variables()}
        assert trainable == {
            "dna_net/conv1/kernel": [3, 4, 7], "dna_net/conv1/bias": [7],
            "dna_net/bn1/gamma": [7], "dna_net/bn1/beta": [7],
            "dna_net/conv2/kernel": [1, 7, 7], "dna_net/conv2/bias": [7],
            "dna_net/bn2/gamma": [7], "dna_net/bn2/beta": [7],
            "dna_net/conv3/kernel": [1, 7, 21], "dna_net/conv3/bias": [21],
        }
        names = {v.op.name for v in tf.global_variables()}
        assert {"dna_net/bn1/moving_mean", "dna_net/bn2/moving_variance", "epoch"} <= names
        # The eval call shares the variables: no second copy of the network.
        assert not any(n.startswith("dna_net_1") for n in names)
        assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 4  # mean+variance of bn1, bn2, train call only
        assert net.dna.shape.as_list() == [None, 4, None]
        assert net.probs.shape.as_list() == [None, 21, None]


def test_output_shape_and_softmax_over_channels():
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(1)
        net = model.build_train_graph(hidden=5)
    x = np.concatenate([data.dna_one_hot("ATGCCTAAAGGG" + "TTTCCCAAAGGG")[..., :24]] * 2)  # (2, 4, 24)
    with _session(graph) as sess:
        sess.run(net.init_op)
        probs, eval_probs = sess.run([net.probs, net.eval_probs], {net.dna: x})
    assert probs.shape == eval_probs.shape == (2, 21, 8)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(eval_probs.sum(axis=1), 1.0, rtol=1e-5)


def _np_bce(probs, target):
    return -np.mean(target * np.log(probs) + (1 - target) * np.log(1 - probs))


def test_bce_matches_numpy_and_pytorch_clamp():
    rng = np.random.RandomState(0)
    logits = rng.randn(2, 21, 5).astype(np.float32) * 3
    target = np.zeros_like(logits)
    target[:, 4, :] = 1.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    with tf.Graph().as_default(), tf.Session() as sess:
        z = tf.constant(logits)
        got = sess.run(model.binary_cross_entropy(z, tf.constant(target)))
        np.testing.assert_allclose(got, _np_bce(probs, target), rtol=1e-5)
        # Saturated logits: PyTorch clamps each log at -100; no inf/nan.
        big = np.zeros((1, 21, 1), np.float32)
        big[0, 0, 0] = 1000.0
        tgt = np.zeros_like(big)
        tgt[0, 1, 0] = 1.0
        got_big = sess.run(model.binary_cross_entropy(tf.constant(big), tf.constant(tgt)))
        np.testing.assert_allclose(got_big, 200.0 / 21, rtol=1e-5)  # -log p_1 -> 100, -log(1-p_0) -> 100
        with pytest.raises(ValueError, match="same shape"):
            model.binary_cross_entropy(z, tf.constant(target[:, :20]))


def test_first_layer_is_a_stride_3_codon_convolution():
    """conv1 output at position t equals sum_k W[k]^T x[3t + k] + b (numpy oracle)."""
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(2)
        net = model.build_inference_graph(hidden=6)
        conv1 = graph.get_tensor_by_name("dna_net/conv1/BiasAdd:0")  # (B, T, H)
        kernel = graph.get_tensor_by_name("dna_net/conv1/kernel:0")
        bias = graph.get_tensor_by_name("dna_net/conv1/bias:0")
        init = tf.global_variables_initializer()
    x = data.dna_one_hot("ATGCCTTTAGGC")  # (1, 4, 12)
    with _session(graph) as sess:
        sess.run(init)
        out, w, b = sess.run([conv1, kernel, bias], {net.dna: x})
    seq = x[0].T  # (12, 4)
    expected = np.stack([sum(seq[3 * t + k] @ w[k] for k in range(3)) + b for t in range(4)])
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)


def test_inference_output_per_codon_is_independent_of_context():
    """Kernel 3 / stride 3 + 1x1 layers: in inference mode each output sees its own codon only."""
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(3)
        net = model.build_inference_graph(hidden=8)
        init = tf.global_variables_initializer()
    with _session(graph) as sess:
        sess.run(init)
        long_probs = sess.run(net.probs, {net.dna: data.dna_one_hot("".join(data.CODONS))})[0]  # (21, 64)
        for i in (0, 21, 63):
            single = sess.run(net.probs, {net.dna: data.dna_one_hot(data.CODONS[i])})[0, :, 0]
            np.testing.assert_allclose(long_probs[:, i], single, rtol=1e-5, atol=1e-7)


def test_train_step_updates_bn_moving_stats_and_lowers_loss():
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(4)
        net = model.build_train_graph(hidden=8, learning_rate=0.01)
        moving = graph.get_tensor_by_name("dna_net/bn1/moving_mean:0")
    dna = "ATGCCTCCCAAATTTGGGTAA"
    feed = {net.dna: data.dna_one_hot(dna), net.protein: data.protein_one_hot(data.translate_standard(dna))}
    with _session(graph) as sess:
        sess.run(net.init_op)
        before = sess.run(moving)
        first = sess.run(net.loss, feed)
        for _ in range(20):
            sess.run(net.train_op, feed)
        assert sess.run(net.loss, feed) < first
        assert not np.allclose(sess.run(moving), before)


EXPECTED = {  # question 4e: the six handout tensors
    "A": (True, True, (1, 21, 1), "ok"),
    "B": (False, False, None, "wrong channel count"),
    "C": (True, True, (1, 21, 2), "ok"),
    "D": (False, False, None, "wrong channel count"),
    "E": (False, True, (1, 21, 2), "last 1 nucleotide is ignored"),
    "F": (False, False, None, "shorter than the kernel"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_checker_handout_tensors(name):
    ok, runs, out, reason = EXPECTED[name]
    verdict = model.check_input_shape(shapes.HANDOUT_SHAPES[name])
    assert (verdict.ok, verdict.runs, verdict.output_shape) == (ok, runs, out)
    assert reason in verdict.reason


def test_shape_checker_agrees_with_the_real_graph():
    """Whatever the checker says runs does run with that output shape; rejected channel counts fail in TF."""
    names = sorted(EXPECTED)
    results = shapes.run_shapes([shapes.HANDOUT_SHAPES[n] for n in names])
    for name, (out_shape, error) in zip(names, results):
        verdict = model.check_input_shape(shapes.HANDOUT_SHAPES[name])
        if verdict.runs:
            assert out_shape == verdict.output_shape and error is None
        elif name in ("B", "D"):
            assert out_shape is None and "Cannot feed value of shape" in error
        else:  # F: TF's valid convolution silently returns nothing to translate
            assert out_shape == (1, 21, 0)
    assert model.check_input_shape((1, 4)).runs is False
    assert model.check_input_shape((2, 4, 12)).output_shape == (2, 21, 4)


def test_shapes_cli_exit_status(capsys):
    assert shapes.main([]) == 0
    assert "E (1, 4, 7)" in capsys.readouterr().out
    assert shapes.main(["1,4,9"]) == 0
    assert shapes.main(["1,4,9", "1,5,9"]) == 1


def test_single_codon_training_batch_loses_the_input():
    """Shape A as a *training* batch: BN sees one value per channel, normalises it to 0 -> the output
    no longer depends on the codon (why the shape checker notes it; PyTorch raises instead)."""
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(5)
        net = model.build_train_graph(hidden=8)
    with _session(graph) as sess:
        sess.run(net.init_op)
        a = sess.run(net.probs, {net.dna: data.dna_one_hot("ATG")})
        b = sess.run(net.probs, {net.dna: data.dna_one_hot("CCA")})
        c, d = sess.run(net.eval_probs, {net.dna: np.concatenate([data.dna_one_hot("ATG"), data.dna_one_hot("CCA")])})
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.abs(c - d).max() > 1e-4  # inference mode keeps them apart
