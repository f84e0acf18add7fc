"""Seed 003 parts I-III: the answers docs/tf1_molecules.md gives, checked by real TF graphs and NumPy."""
import numpy as np
import pytest

from tf1_molecules import exam


def test_I_A_one_hot_batch_has_3200_nonzero_entries():
    nonzero, total = exam.one_hot_batch_counts(batch_size=32, length=100, alphabet=26)
    assert nonzero == 32 * 100 == 3200          # exactly one 1 per character
    assert total == 83200                       # 83.200 is the size of the tensor, not its non-zeros


def test_I_D_relu_net_outputs_exactly_zero_on_negative_input():
    out = exam.relu_net_output_on_negative_input()
    assert out.shape == (4,) and np.all(out == 0.0)


def test_I_E_lstm_shares_weights_across_time():
    short, long = exam.lstm_weight_counts(lengths=(5, 50), units=8, features=3)
    # 4 gates x (inputs + units + bias) x units for the cell, plus the (8 -> 4) classification head.
    assert short == long == 4 * (3 + 8 + 1) * 8 + (8 * 4 + 4)


def test_I_F_conv_pool_shape_and_weight_count():
    shape, weights = exam.conv_pool_shape_and_weights()
    assert shape == (30, 30, 32)
    assert weights == 5 * 5 * 3 * 32 == 2400


def test_II_architecture_shapes_and_pooling_shrinks_the_dense_layer():
    plain = exam.part2_weight_counts(pool=False)
    assert plain["flatten"] == 54 * 54 * 8 and plain["output"] == [8]
    assert plain["weights"]["conv1"] == 8 * 8 * 3 * 64 + 64
    assert plain["weights"]["fc1"] == (54 * 54 * 8 + 1) * 2048
    pooled = exam.part2_weight_counts(pool=True)
    assert pooled["flatten"] == 12 * 12 * 8      # 57 -> pool 28 -> conv 25 -> pool 12
    assert pooled["total"] < plain["total"] / 10


@pytest.fixture(scope="module")
def pca():
    x = exam.pca_dataset()
    v1, best = exam.pca_first_axis(x)
    return x, v1, best


def test_III_dataset_is_mean_free_and_pca_matches_eigendecomposition(pca):
    x, v1, best = pca
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    cov = x.T @ x / len(x)
    eigval, eigvec = np.linalg.eigh(cov)
    np.testing.assert_allclose(abs(v1 @ eigvec[:, -1]), 1.0, atol=1e-10)
    np.testing.assert_allclose(best, np.trace(cov) - eigval[-1], rtol=1e-10)
    assert np.any(v1 > 0) and np.any(v1 < 0)    # needed for the sqrt-softmax answer below


def test_III_B_loss_formula_and_unit_norm_optimum(pca):
    x, v1, best = pca
    cov = x.T @ x / len(x)
    rng = np.random.RandomState(0)
    for _ in range(3):   # L(a) = a^T C a (|a|^2 - 2) + tr C, checked against the definition
        a = rng.normal(size=4)
        direct = np.mean(np.sum((np.outer(x @ a, a) - x) ** 2, axis=1))
        np.testing.assert_allclose(direct, a @ cov @ a * (a @ a - 2) + np.trace(cov), rtol=1e-10)
    for scale in (0.5, 0.9, 1.1, 2.0):   # along v1, |a| = 1 is the minimum
        a = scale * v1
        assert a @ cov @ a * (a @ a - 2) + np.trace(cov) > best


def test_III_C_unconstrained_gradient_descent_finds_the_first_principal_axis(pca):
    x, v1, best = pca
    res = exam.train_transpose_autoencoder(x, "free")
    np.testing.assert_allclose(np.linalg.norm(res.a), 1.0, atol=1e-6)
    np.testing.assert_allclose(abs(res.a @ v1), 1.0, atol=1e-6)
    np.testing.assert_allclose(res.loss, best, rtol=1e-6)
    assert np.max(np.abs(res.norms - 1.0)) > 1e-2   # |a| is not 1 during training, only at the optimum


def test_III_D_normalisation_keeps_unit_norm_and_reaches_pca(pca):
    x, v1, best = pca
    res = exam.train_transpose_autoencoder(x, "normalize")
    assert res.first_nan_step is None
    np.testing.assert_allclose(res.norms, 1.0, atol=1e-12)
    np.testing.assert_allclose(abs(res.a @ v1), 1.0, atol=1e-6)
    np.testing.assert_allclose(res.loss, best, rtol=1e-6)


def test_III_D_sqrt_softmax_is_unit_norm_but_stuck_in_the_positive_orthant(pca):
    x, v1, best = pca
    res = exam.train_transpose_autoencoder(x, "sqrt_softmax")
    np.testing.assert_allclose(res.norms, 1.0, atol=1e-12)
    assert np.all(res.a >= 0.0)
    assert res.loss > best + 1.0 and abs(res.a @ v1) < 0.9


def test_III_D_sqrt_log_softmax_is_nan_from_the_first_step(pca):
    x, _, _ = pca
    res = exam.train_transpose_autoencoder(x, "sqrt_log_softmax", steps=3)
    assert res.first_nan_step == 0 and np.isnan(res.loss)


def test_III_D_last_entry_from_the_others_breaks_when_sgd_leaves_the_ball(pca):
    x, _, _ = pca
    res = exam.train_transpose_autoencoder(x, "first_n_minus_1")
    assert res.first_nan_step is not None          # sum of a_i^2 > 1 after a step: sqrt of a negative
    np.testing.assert_allclose(res.norms[:res.first_nan_step], 1.0, atol=1e-12)  # exact while it lasts


def test_III_E_variance_loss_matches_reconstruction_for_unit_vectors(pca):
    x, v1, _ = pca
    a = np.random.RandomState(1).normal(size=4)
    a /= np.linalg.norm(a)
    z = x @ a
    recon = np.mean(np.sum((np.outer(z, a) - x) ** 2, axis=1))
    # With |a| = 1: L(a) = mean |x|^2 - mean z^2, and mean z^2 = (B-1)/B * sample variance + z_bar^2.
    l2 = -np.sum((z - z.mean()) ** 2) / (len(z) - 1)
    np.testing.assert_allclose(recon, np.mean(np.sum(x ** 2, axis=1)) + (len(z) - 1) / len(z) * l2 - z.mean() ** 2,
                               rtol=1e-10)
    res = exam.train_transpose_autoencoder(x, "normalize", "variance")
    np.testing.assert_allclose(abs(res.a @ v1), 1.0, atol=1e-6)


def test_III_E_variance_loss_diverges_without_the_norm_constraint(pca):
    x, _, _ = pca
    res = exam.train_transpose_autoencoder(x, "free", "variance", steps=100, lr=0.01)
    assert res.norms[-1] > 1e3 * res.norms[0] and res.loss < -1e6


def test_unknown_parametrisation_is_an_error(pca):
    with pytest.raises(ValueError, match="unknown parametrisation"):
        exam.train_transpose_autoencoder(pca[0], "spherical")
