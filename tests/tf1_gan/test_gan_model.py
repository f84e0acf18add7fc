"""Shapes, exact variable names, the G/D split and the fused step's ordering (the losses: test_losses.py)."""
import numpy as np
import pytest
import tensorflow as tf

from tf1_gan import model
from tf1_gan import options
from tf1_gan import train_graph

EXPECTED_TRAINABLE = {
    "linear": [
        "generator/fc1/kernel", "generator/fc1/bias", "generator/fc2/kernel", "generator/fc2/bias",
        "generator/fc3/kernel", "generator/fc3/bias", "generator/fc4/kernel", "generator/fc4/bias",
        "generator/fc5/kernel", "generator/fc5/bias",
        "discriminator/fc1/kernel", "discriminator/fc1/bias", "discriminator/fc2/kernel",
        "discriminator/fc2/bias", "discriminator/fc3/kernel", "discriminator/fc3/bias"],
    "linear_bn": [
        "generator/fc1/kernel", "generator/fc1/bias",
        "generator/fc2/kernel", "generator/bn_fc2/gamma", "generator/bn_fc2/beta",
        "generator/fc3/kernel", "generator/bn_fc3/gamma", "generator/bn_fc3/beta",
        "generator/fc4/kernel", "generator/bn_fc4/gamma", "generator/bn_fc4/beta",
        "generator/fc5/kernel", "generator/fc5/bias",
        "discriminator/fc1/kernel", "discriminator/fc1/bias", "discriminator/fc2/kernel",
        "discriminator/fc2/bias", "discriminator/fc3/kernel", "discriminator/fc3/bias"],
    "dcgan_bn": [
        "generator/fc/kernel", "generator/bn_fc/gamma", "generator/bn_fc/beta",
        "generator/deconv1/kernel", "generator/bn_deconv1/gamma", "generator/bn_deconv1/beta",
        "generator/deconv2/kernel", "generator/bn_deconv2/gamma", "generator/bn_deconv2/beta",
        "generator/deconv3/kernel", "generator/deconv3/bias",
        "discriminator/conv1/kernel", "discriminator/conv1/bias",
        "discriminator/conv2/kernel", "discriminator/bn_conv2/gamma", "discriminator/bn_conv2/beta",
        "discriminator/fc/kernel", "discriminator/fc/bias"],
    "dcgan_sn": [
        "generator/fc/kernel", "generator/fc/bias", "generator/deconv1/kernel", "generator/deconv1/bias",
        "generator/deconv2/kernel", "generator/deconv2/bias", "generator/deconv3/kernel",
        "generator/deconv3/bias",
        "discriminator/conv1/kernel", "discriminator/conv1/bias", "discriminator/conv2/kernel",
        "discriminator/conv2/bias", "discriminator/fc/kernel", "discriminator/fc/bias"],
}


def _cfg(**overrides):
    return options.train_config(**overrides)


@pytest.mark.parametrize("name", list(model.VARIANTS))
def test_shapes_and_exact_variable_names(name):
    variant = model.get_variant(name)
    with tf.Graph().as_default():
        z = tf.zeros([3, model.Z_DIM])
        images = model.generator(z, variant, training=True)
        logits = model.discriminator(images, variant, training=True)
        model.generator(z, variant, training=False)  # reconnecting creates no new variables
        model.discriminator(images, variant, training=False)
        assert images.shape.as_list() == [3, 28, 28, 1]
        assert logits.shape.as_list() == [3, 1]
        assert [v.op.name for v in tf.trainable_variables()] == EXPECTED_TRAINABLE[name]
        g_vars, d_vars = model.split_variables()
        assert len(g_vars) + len(d_vars) == len(tf.trainable_variables())
        non_trainable = [v.op.name for v in tf.global_variables() if v not in tf.trainable_variables()]
        if name == "dcgan_sn":  # u and v for every SN kernel, nothing else
            assert sorted(non_trainable) == sorted(
                "%s/spectral_norm/%s" % (k.rsplit("/", 1)[0], uv)
                for k in EXPECTED_TRAINABLE[name] if k.endswith("kernel") for uv in ("u", "v"))
        elif model.VARIANTS[name].g_norm == "bn":
            assert non_trainable and all(n.endswith(("moving_mean", "moving_variance")) for n in non_trainable)
        else:
            assert non_trainable == []


def test_sn_scope_d_keeps_bn_in_g():
    variant = model.get_variant("dcgan_sn", "d")
    assert (variant.g_norm, variant.d_norm) == ("bn", "sn")
    with pytest.raises(ValueError):
        model.get_variant("dcgan_bn", "d")
    with pytest.raises(ValueError):
        model.get_variant("wgan")


def test_split_variables_rejects_stray_variable():
    with tf.Graph().as_default():
        variant = model.get_variant("linear")
        model.discriminator(model.generator(tf.zeros([2, model.Z_DIM]), variant, True), variant, True)
        tf.get_variable("stray", [1])
        with pytest.raises(ValueError, match="stray"):
            model.split_variables()


def _run_steps(cfg, images, steps, fetch_u=None):
    g = train_graph.build_train_graph(cfg, len(images))
    g.graph.finalize()
    out = []
    with tf.Session(graph=g.graph, config=tf.ConfigProto(intra_op_parallelism_threads=1,
                                                         inter_op_parallelism_threads=1)) as sess:
        sess.run(g.init_op)
        sess.run(g.data_init, {g.data_images: images})
        for _ in range(steps):
            extra = [g.graph.get_tensor_by_name(fetch_u)] if fetch_u else []
            before = sess.run(extra)
            _, d, gl = sess.run([g.train_op, g.d_loss, g.g_loss])
            after = sess.run(extra)
            out.append((d, gl, before, after))
        out.append(sess.run(g.global_step))
    return out


def _tiny_images(n=256, seed=0):
    return np.random.RandomState(seed).randint(0, 256, size=(n, 28, 28)).astype(np.uint8)


def test_one_power_iteration_per_step():
    """Three D passes per step, yet u moves exactly like ONE power iteration on the pre-step kernel."""
    images = _tiny_images()
    cfg = _cfg(variant="dcgan_sn", batch_size=8)
    g = train_graph.build_train_graph(cfg, len(images))
    gr = g.graph
    by_name = {v.op.name: v for v in gr.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
    u = by_name["discriminator/conv2/spectral_norm/u"]
    kernel = by_name["discriminator/conv2/kernel"]
    # Only the training passes assign: G once, D once -> one assign op per SN kernel (7 kernels).
    assigns = [op for op in gr.get_operations() if op.type == "AssignVariableOp" and "/update_u" in op.name]
    assert len(assigns) == 7
    gr.finalize()
    with tf.Session(graph=gr) as sess:
        sess.run(g.init_op)
        sess.run(g.data_init, {g.data_images: images})
        for _ in range(2):
            u0, w0 = sess.run([u, kernel])
            sess.run(g.train_op)
            u1 = sess.run(u)
            w_mat = w0.reshape(-1, w0.shape[-1])
            v = w_mat @ u0[0]
            v /= np.linalg.norm(v)
            expected = w_mat.T @ v
            expected /= np.linalg.norm(expected)
            np.testing.assert_allclose(u1[0], expected, rtol=1e-4, atol=1e-5)


def test_sampling_does_not_move_u_or_bn_statistics():
    images = _tiny_images()
    for name in ("dcgan_sn", "dcgan_bn"):
        g = train_graph.build_train_graph(_cfg(variant=name, batch_size=8), len(images))
        state = [v for v in g.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
                 if "spectral_norm" in v.op.name or "moving" in v.op.name]
        assert state
        g.graph.finalize()
        with tf.Session(graph=g.graph) as sess:
            sess.run(g.init_op)
            before = sess.run(state)
            sess.run([g.fixed_samples, g.fixed_samples_batch_stats, g.grid_summary])
            sess.run(g.sample_images, {g.sample_z: np.zeros((5, model.Z_DIM), np.float32)})
            for b, a in zip(before, sess.run(state)):
                np.testing.assert_array_equal(a, b)


def test_same_seed_same_losses_different_seed_differs():
    """Seed question Q2, on CPU: identical losses for one seed; another seed gives other numbers."""
    images = _tiny_images()
    run_a = _run_steps(_cfg(variant="dcgan_bn", batch_size=8, seed=3), images, 4)
    run_b = _run_steps(_cfg(variant="dcgan_bn", batch_size=8, seed=3), images, 4)
    run_c = _run_steps(_cfg(variant="dcgan_bn", batch_size=8, seed=4), images, 4)
    losses_a = [(d, gl) for d, gl, _, _ in run_a[:-1]]
    assert losses_a == [(d, gl) for d, gl, _, _ in run_b[:-1]]
    assert losses_a != [(d, gl) for d, gl, _, _ in run_c[:-1]]
    assert run_a[-1] == 4


def _ancestors(op):
    """Every op `op` waits for, through data inputs and control dependencies."""
    seen, todo = set(), [op]
    while todo:
        current = todo.pop()
        for parent in [t.op for t in current.inputs] + list(current.control_inputs):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_d_batch_norm_moving_averages_update_in_one_order():
    """Three D passes per step update D's BN statistics: real, then fake, then G's pass; never in a race."""
    g = train_graph.build_train_graph(_cfg(variant="dcgan_bn", batch_size=8), 64)
    moving = [v for v in g.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
              if v.op.name.startswith("discriminator/") and "moving_" in v.op.name]
    assert len(moving) == 2
    for var in moving:
        updates = [op for op in g.graph.get_operations()
                   if op.type == "AssignSubVariableOp" and op.inputs[0] is var.handle]
        assert len(updates) == 3, var.op.name
        real, fake, g_pass = updates  # in creation order
        assert real in _ancestors(fake) and fake in _ancestors(g_pass), var.op.name
