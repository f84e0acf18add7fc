"""tf1_molecules.model: shapes and variable names, NumPy equations, and the invariances of part V(C)."""
import numpy as np
import pytest
import tensorflow as tf

from tf1_molecules import model

B, N, F = 3, 6, 2


def _softplus(x):
    return np.logaddexp(0.0, x)


def _np_mlp(x, params, prefix):
    hidden = _softplus(x @ params[prefix + "/hidden/kernel:0"] + params[prefix + "/hidden/bias:0"])
    return hidden @ params[prefix + "/output/kernel:0"] + params[prefix + "/output/bias:0"]


def _np_cdist(r):
    return np.sqrt(((r[:, :, None, :] - r[:, None, :, :]) ** 2).sum(-1))


def _random_system(rng, batch=B, n=N, f=F):
    r = rng.normal(size=(batch, n, 3)).astype(np.float32)
    types = rng.randint(0, f, size=(batch, n))
    return r, np.eye(f, dtype=np.float32)[types]


def _random_rotation(rng, reflect=False):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))  # Haar-uniform orthogonal matrix
    if (np.linalg.det(q) < 0) != reflect:
        q[:, 0] = -q[:, 0]
    return q.astype(np.float32)


def _randomize_variables(sess):
    """Random values for every variable: zero biases would hide bias bugs, and the predictor's
    zero-initialised readout would make its output constant (and every invariance test vacuous)."""
    rng = np.random.RandomState(1)
    for var in tf.global_variables():
        shape = var.shape.as_list()
        scale = 1.0 / np.sqrt(shape[0]) if len(shape) == 2 else 0.5
        var.load((scale * rng.normal(size=shape)).astype(np.float32), sess)


def test_pointwise_shapes_names_and_reuse():
    with tf.Graph().as_default():
        layer = model.PointwiseConvolutionLayer(N, F, 5)
        f = tf.placeholder(tf.float32, [None, N, F])
        out = layer(f)
        assert out.shape.as_list() == [None, N, 5]
        names = sorted(v.name for v in tf.global_variables())
        assert names == ["pointwise_convolution/psi/hidden/bias:0", "pointwise_convolution/psi/hidden/kernel:0",
                         "pointwise_convolution/psi/output/bias:0", "pointwise_convolution/psi/output/kernel:0"]
        assert layer.variables[0].shape.as_list() in ([128], [F, 128], [128, 5], [5])
        layer(f * 2.0)  # second call: no new variables
        assert len(tf.global_variables()) == 4
        with pytest.raises(ValueError, match="expects f_bar_batch of shape"):
            layer(tf.placeholder(tf.float32, [None, N, F + 1]))
        with pytest.raises(ValueError, match="expects f_bar_batch of shape"):
            layer(tf.placeholder(tf.float32, [None, N + 1, F]))


def test_message_passing_shapes_names_and_reuse():
    with tf.Graph().as_default():
        layer = model.MessagePassingLayer(N, F)
        r = tf.placeholder(tf.float32, [None, N, 3])
        f = tf.placeholder(tf.float32, [None, N, F])
        assert layer(r, f).shape.as_list() == [None, N, F]
        shapes = {v.name: v.shape.as_list() for v in tf.global_variables()}
        assert shapes == {"message_passing/phi/hidden/kernel:0": [1, 128], "message_passing/phi/hidden/bias:0": [128],
                          "message_passing/phi/output/kernel:0": [128, F], "message_passing/phi/output/bias:0": [F]}
        layer(r + 1.0, f)
        assert len(tf.global_variables()) == 4
        # A second module of the same kind gets its own scope and its own variables.
        other = model.MessagePassingLayer(N, F)
        other(r, f)
        assert other.scope_name == "message_passing_1" and len(tf.global_variables()) == 8


def test_predictor_shape_names_and_reuse():
    with tf.Graph().as_default():
        predictor = model.PropertyPredictor(N, F, 1)
        r = tf.placeholder(tf.float32, [None, N, 3])
        f = tf.placeholder(tf.float32, [None, N, F])
        y = predictor(r, f)
        assert y.shape.as_list() == [None, 1]
        names = {v.name for v in tf.trainable_variables()}
        assert len(names) == 4 * 6  # embedding, 2 x (message passing, update), readout; 4 variables each
        assert "property_predictor/message_passing_1/phi/hidden/kernel:0" in names
        assert "property_predictor/readout/psi/output/kernel:0" in names
        assert all(n.startswith("property_predictor/") for n in names)
        predictor(r * 1.0, f)
        assert len(tf.trainable_variables()) == 24
        assert set(v.name for v in predictor.trainable_variables) == names


def test_pairwise_distances_match_numpy_and_have_finite_gradients():
    rng = np.random.RandomState(0)
    r_np, _ = _random_system(rng)
    with tf.Graph().as_default():
        r = tf.constant(r_np)
        d = model.pairwise_distances(r)
        grad = tf.gradients(tf.reduce_sum(d), r)[0]
        with tf.Session() as sess:
            d_val, g_val = sess.run([d, grad])
    np.testing.assert_allclose(d_val, _np_cdist(r_np), rtol=1e-5, atol=1e-6)
    assert np.all(np.diag(d_val[0]) == 0.0)
    assert np.all(np.isfinite(g_val))


def test_layers_match_numpy_equations():
    rng = np.random.RandomState(1)
    r_np, _ = _random_system(rng)
    f_np = rng.normal(size=(B, N, F)).astype(np.float32)
    with tf.Graph().as_default():
        mp = model.MessagePassingLayer(N, F)
        pw = model.PointwiseConvolutionLayer(N, F, 4)
        f_bar = mp(tf.constant(r_np), tf.constant(f_np))
        f_out = pw(f_bar)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize_variables(sess)
            params = {v.name: sess.run(v) for v in tf.global_variables()}
            f_bar_tf, f_out_tf = sess.run([f_bar, f_out])
    d = _np_cdist(r_np)                                                   # (B, N, N)
    d_prime = _np_mlp(d[..., None], params, "message_passing/phi")        # (B, N, N, F)
    # Seed eq. (1), written as an explicit loop over j, k so it reads like the formula.
    expected = np.zeros((B, N, F))
    for b in range(B):
        for j in range(N):
            for k in range(F):
                expected[b, j, k] = _softplus(sum(d_prime[b, j, i, k] * f_np[b, i, k] for i in range(N)))
    np.testing.assert_allclose(f_bar_tf, expected, rtol=1e-4, atol=1e-5)
    # Seed eq. (2): psi on every particle separately.
    expected_out = np.stack([_np_mlp(expected[:, j], params, "pointwise_convolution/psi") for j in range(N)], 1)
    np.testing.assert_allclose(f_out_tf, expected_out, rtol=1e-4, atol=1e-5)


def _predict(r_list, f_list, residual=True):
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        predictor = model.PropertyPredictor(N, F, 1, width=8, residual=residual)
        r = tf.placeholder(tf.float32, [None, N, 3])
        f = tf.placeholder(tf.float32, [None, N, F])
        y = predictor(r, f)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize_variables(sess)
            return [sess.run(y, {r: rr, f: ff}) for rr, ff in zip(r_list, f_list)]


def test_predictor_invariances_and_sensitivity():
    rng = np.random.RandomState(2)
    r_np, f_np = _random_system(rng)
    rot = _random_rotation(rng)
    refl = _random_rotation(rng, reflect=True)
    shift = rng.normal(scale=5.0, size=(B, 1, 3)).astype(np.float32)
    perm = rng.permutation(N)
    # Change distances but keep the features: stretch one particle away from the others.
    stretched = r_np.copy()
    stretched[:, 0] *= 1.7
    cases = [r_np, r_np @ rot.T, r_np @ refl.T, r_np + shift, r_np[:, perm], stretched]
    feats = [f_np, f_np, f_np, f_np, f_np[:, perm], f_np]
    base, rotated, reflected, shifted, permuted, changed = _predict(cases, feats)
    for other in (rotated, reflected, shifted, permuted):
        np.testing.assert_allclose(other, base, rtol=1e-4, atol=1e-4)
    assert np.all(np.abs(changed - base) > 1e-3), "output must depend on distances"
    # Permuting positions but not features swaps particle types: generally a different system.
    (swapped,) = _predict([r_np[:, perm]], [f_np])
    assert np.max(np.abs(swapped - base)) > 1e-3


def test_predictor_combined_transform_without_residual():
    rng = np.random.RandomState(4)
    r_np, f_np = _random_system(rng)
    perm = rng.permutation(N)
    moved = (r_np @ _random_rotation(rng).T + 3.0)[:, perm]
    base, moved_out = _predict([r_np, moved], [f_np, f_np[:, perm]], residual=False)
    np.testing.assert_allclose(moved_out, base, rtol=1e-4, atol=1e-4)


def test_fresh_predictor_starts_at_zero_and_init_choice_is_checked():
    rng = np.random.RandomState(5)
    r_np, f_np = _random_system(rng)
    with tf.Graph().as_default():
        spread = model.PropertyPredictor(N, F, 1)(tf.constant(r_np), tf.constant(f_np))
        glorot = model.PropertyPredictor(N, F, 1, init="glorot", name="glorot")(tf.constant(r_np), tf.constant(f_np))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            spread_val, glorot_val = sess.run([spread, glorot])
        # zero readout kernel and bias: the prediction starts at the standardised mean, 0
        np.testing.assert_array_equal(spread_val, 0.0)
        assert np.all(np.abs(glorot_val) > 0.0)
        with pytest.raises(ValueError, match="init must be"):
            model.PropertyPredictor(N, F, 1, init="he")
