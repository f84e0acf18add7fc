"""Spectral normalization: known answers, the np.linalg.svd oracle, and the u/v state contract."""
import numpy as np
import pytest
import tensorflow as tf

from tf1_gan import spectral_norm as sn


def _session():
    return tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1))


def test_sigma_of_scaled_identity_is_four():
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=tf.constant(4.0 * np.eye(5, dtype=np.float32)))
        w_sn, sigma = sn.spectral_norm(w, training=True)
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            w_sn_val, sigma_val = sess.run([w_sn, sigma])
    assert sigma_val == pytest.approx(4.0, rel=1e-6)
    np.testing.assert_allclose(w_sn_val, np.eye(5), atol=1e-6)


@pytest.mark.parametrize("shape", [(30, 20), (5, 5, 8, 16), (4, 4, 16, 3)])
def test_sigma_matches_svd_and_normalized_norm_is_one(shape):
    rng = np.random.RandomState(0)
    w_np = rng.randn(*shape).astype(np.float32)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        w = tf.get_variable("w", initializer=tf.constant(w_np))
        w_sn, sigma = sn.spectral_norm(w, training=True, warmup_iterations=0)
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(200):  # one power iteration per evaluation; u is recycled between them
                w_sn_val, sigma_val = sess.run([w_sn, sigma])
    mat = w_np.reshape(-1, shape[-1])  # the same (K, C) layout as the implementation
    true_sigma = np.linalg.svd(mat, compute_uv=False)[0]
    assert sigma_val == pytest.approx(true_sigma, rel=1e-3)
    assert np.linalg.svd(w_sn_val.reshape(-1, shape[-1]), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-3)


def test_one_iteration_estimate_is_a_lower_bound_that_increases():
    rng = np.random.RandomState(3)
    w_np = rng.randn(40, 12).astype(np.float32)
    true_sigma = np.linalg.svd(w_np, compute_uv=False)[0]
    with tf.Graph().as_default():
        tf.set_random_seed(2)
        w = tf.get_variable("w", initializer=tf.constant(w_np))
        _, sigma = sn.spectral_norm(w, training=True, warmup_iterations=0)
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            sigmas = [sess.run(sigma) for _ in range(10)]
    assert all(s <= true_sigma * (1 + 1e-5) for s in sigmas)
    assert all(b >= a - 1e-4 for a, b in zip(sigmas, sigmas[1:]))  # Rayleigh-quotient style monotone ascent


def test_warmup_gives_a_good_first_estimate():
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        w = tf.get_variable("w", shape=[64, 32], initializer=tf.random_normal_initializer())
        _, sigma = sn.spectral_norm(w, training=False, warmup_iterations=20)
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            w_val, sigma_val = sess.run([w, sigma])
    assert sigma_val == pytest.approx(np.linalg.svd(w_val, compute_uv=False)[0], rel=1e-2)


def test_u_and_v_are_not_trainable_and_live_under_the_scope():
    with tf.Graph().as_default():
        with tf.variable_scope("disc"):
            w = tf.get_variable("kernel", shape=[3, 3, 2, 4])
            sn.spectral_norm(w, training=True)
        trainable = [v.op.name for v in tf.trainable_variables()]
        global_names = [v.op.name for v in tf.global_variables()]
    assert trainable == ["disc/kernel"]
    assert "disc/spectral_norm/u" in global_names and "disc/spectral_norm/v" in global_names


def test_inference_never_moves_u_and_training_does():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        w = tf.get_variable("w", shape=[20, 10])
        w_eval, sigma_eval = sn.spectral_norm(w, training=False, name="sn")
        with tf.variable_scope("", reuse=True):
            w_train, _ = sn.spectral_norm(w, training=True, name="sn")
        u = tf.get_default_graph().get_tensor_by_name("sn/u:0")
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            u0 = sess.run(u)
            for _ in range(3):
                sess.run([w_eval, sigma_eval])
            np.testing.assert_array_equal(sess.run(u), u0)
            sess.run(w_train)
            assert not np.array_equal(sess.run(u), u0)


def test_bool_tensor_flag_assigns_only_when_true():
    with tf.Graph().as_default():
        tf.set_random_seed(6)
        flag = tf.placeholder(tf.bool, [])
        w = tf.get_variable("w", shape=[16, 8])
        w_sn, _ = sn.spectral_norm(w, training=flag, warmup_iterations=0)
        u = tf.get_default_graph().get_tensor_by_name("spectral_norm/u:0")
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            u0 = sess.run(u)
            sess.run(w_sn, {flag: False})
            np.testing.assert_array_equal(sess.run(u), u0)
            sess.run(w_sn, {flag: True})
            assert not np.array_equal(sess.run(u), u0)


def test_eval_after_update_reproduces_training_sigma():
    """model.py relies on this: passes built after the update share the training pass's sigma."""
    with tf.Graph().as_default():
        w = tf.get_variable("w", shape=[12, 6])
        _, sigma_train = sn.spectral_norm(w, training=True, name="sn")
        with tf.variable_scope("", reuse=True):
            _, sigma_eval = sn.spectral_norm(w, training=False, name="sn")
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            s_train = sess.run(sigma_train)
            assert sess.run(sigma_eval) == pytest.approx(s_train, rel=1e-6)


def test_gradient_flows_through_w_and_matches_formula():
    """d sigma / d W_mat = v u^T with u, v held fixed (stop_gradient), so the kernel still trains."""
    rng = np.random.RandomState(7)
    w_np = rng.randn(6, 4).astype(np.float32)
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=tf.constant(w_np))
        w_sn, sigma = sn.spectral_norm(w, training=False)
        grad_sigma = tf.gradients(sigma, w)[0]
        grad_loss = tf.gradients(tf.reduce_sum(w_sn), w)[0]
        u = tf.get_default_graph().get_tensor_by_name("spectral_norm/u:0")
        v = tf.get_default_graph().get_tensor_by_name("spectral_norm/v:0")
        with _session() as sess:
            sess.run(tf.global_variables_initializer())
            g_sigma, g_loss, u_val, v_val, s_val = sess.run([grad_sigma, grad_loss, u, v, sigma])
    np.testing.assert_allclose(g_sigma, v_val.T @ u_val, rtol=1e-5, atol=1e-6)
    # d/dW sum(W / sigma) = 1/sigma - sum(W) / sigma^2 * v u^T
    expected = np.ones_like(w_np) / s_val - w_np.sum() / s_val ** 2 * (v_val.T @ u_val)
    np.testing.assert_allclose(g_loss, expected, rtol=1e-4, atol=1e-5)


def test_rejects_vectors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="rank >= 2"):
            sn.spectral_norm(tf.zeros([5]), training=True)
