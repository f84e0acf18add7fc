"""The training graph: in-graph data, one fused D-then-G step, sampling and summaries, built once.

Update order inside ONE `session.run(train_op)` (enforced by control dependencies, not by luck):
  1. batch = images[perm(epoch)[i*B:(i+1)*B]], z ~ N(0, I)  — both pure functions of (seed, global_step)
  2. fake = G(z)                                             — G in training mode (BN batch stats)
  3. D(real): the only pass that runs SN's power iteration; u, v are assigned here, once per step
  4. D(fake): reads u, v after (3) so it uses the same sigma; d_loss = (real + fake) / 2
  5. D step: Adam on D's variables + D's BN moving averages + the u/v assigns          -> d_step
  6. after d_step: D'(fake) with the *updated* D (resource-variable reads under the control dependency),
     g_loss = BCE(D'(fake), 1); Adam on G's variables; G's BN moving averages            -> g_step
  7. after g_step: global_step += 1
G's step reuses the fakes of step 2 (G has not changed yet), like the PyTorch-GAN reference that trains
D and G on the same generated batch; only the order differs (the issue asks for D first).

Stateless random draws keyed by the global step make a resumed run draw exactly what an uninterrupted
run draws, so stop + resume reproduces the same losses.
"""
import collections

import tensorflow as tf

from common import training
from tf1_gan import losses
from tf1_gan import model
from tf1_gan import spectral_norm as sn

NUM_FIXED = 64  # samples from the fixed z for the middle/end grids (8 x 8)
STREAM_DATA, STREAM_Z, STREAM_FIXED = 0, 1, 2

InputBatch = collections.namedtuple("InputBatch", "data_images dataset real z")
DStep = collections.namedtuple("DStep", "fake real_logits fake_logits losses sn_updates bn_updates sigmas")

GanGraph = collections.namedtuple("GanGraph", [
    "graph", "variant", "data_images", "data_init", "init_op", "global_step", "train_op",
    "d_loss", "g_loss", "d_loss_real", "d_loss_fake", "d_real", "d_fake", "sigmas", "train_summary",
    "fixed_samples", "fixed_samples_batch_stats", "sample_z", "sample_images", "sample_images_batch_stats",
    "grid_summary", "steps_per_epoch", "g_vars", "d_vars"])


_KEYS = (tf.GraphKeys.UPDATE_OPS, sn.SN_UPDATE_OPS, sn.SN_SIGMAS)


def collect_new_ops(fn):
    """Runs fn(); returns (its result, {collection key: items fn added}) for BN updates, SN updates, sigmas.

    A step connects G and D several times; each pass's own ops are picked this way so that, e.g., only
    the passes in the training step have their BN moving averages run.
    """
    before = {k: set(id(x) for x in tf.get_collection(k)) for k in _KEYS}
    out = fn()
    return out, {k: [x for x in tf.get_collection(k) if id(x) not in before[k]] for k in _KEYS}


def discriminator_step_losses(real, z, variant, loss_name="nonsaturating"):
    """Forward passes and D's losses for one batch (steps 2-4 above); reusable per tower.

    Args:
      real: float32 (B, 28, 28, 1) in [-1, 1].
      z: float32 (B, Z_DIM).
      variant: a model.Variant.
      loss_name: key of losses.LOSSES.

    Returns:
      DStep: the fakes, both logits (B, 1), DLosses, the SN assign ops of this batch, the BN update ops
      of these passes (G's and D's), and (layer_name, sigma) pairs for summaries.
    """
    d_loss_fn, _ = losses.get_loss(loss_name)
    up, sn_up, sig = _KEYS
    fake, g_new = collect_new_ops(lambda: model.generator(z, variant, training=True))  # (B, 28, 28, 1)
    real_logits, d_new = collect_new_ops(lambda: model.discriminator(real, variant, training=True, update_sn=True))
    # The fake pass must see the u, v the real pass just wrote, and its BN moving-average updates must come
    # after the real pass's (both assign the same variables: unordered, they raced and the statistics
    # depended on which ran first; real then fake is also the reference's order).
    with tf.control_dependencies(d_new[sn_up] + d_new[up]):
        fake_logits, d_fake_new = collect_new_ops(lambda: model.discriminator(fake, variant, training=True,
                                                                       update_sn=False))
    parts = d_loss_fn(real_logits, fake_logits)
    sigmas = [(_layer_name(s), s) for s in g_new[sig] + d_new[sig]]
    return DStep(fake, real_logits, fake_logits, parts, {"g": g_new[sn_up], "d": d_new[sn_up]},
                 {"g": g_new[up], "d": d_new[up] + d_fake_new[up]}, sigmas)


def _layer_name(sigma):
    # "generator/deconv1/spectral_norm/sigma:0" -> "generator/deconv1"
    return sigma.op.name.rsplit("/spectral_norm/", 1)[0]


def generator_step_loss(fake, variant, loss_name="nonsaturating"):
    """G's loss on `fake` through the current D (step 6); build it under the D step's control dependency.

    Returns:
      (g_loss scalar, D's BN update ops of this pass).
    """
    _, g_loss_fn = losses.get_loss(loss_name)
    logits, new = collect_new_ops(lambda: model.discriminator(fake, variant, training=True, update_sn=False))
    return g_loss_fn(logits), new[tf.GraphKeys.UPDATE_OPS]


def build_train_op(d_step, variant, lr, beta1, beta2, global_step, loss_name="nonsaturating"):
    """Optimizer ops for one step, D then G (steps 5-7); returns (train_op, g_loss, g_vars, d_vars)."""
    g_vars, d_vars = model.split_variables()
    with tf.name_scope("d_train"):
        d_opt = tf.train.AdamOptimizer(lr, beta1=beta1, beta2=beta2, name="d_adam")
        d_apply = d_opt.apply_gradients(zip(tf.gradients(d_step.losses.d_loss, d_vars), d_vars))
        d_done = tf.group(d_apply, *(d_step.sn_updates["d"] + d_step.bn_updates["d"]), name="d_step")
    with tf.control_dependencies([d_done]), tf.name_scope("g_train"):
        g_loss, d_bn_g = generator_step_loss(d_step.fake, variant, loss_name)
        g_opt = tf.train.AdamOptimizer(lr, beta1=beta1, beta2=beta2, name="g_adam")
        g_apply = g_opt.apply_gradients(zip(tf.gradients(g_loss, g_vars), g_vars))
        g_done = tf.group(g_apply, *(d_step.sn_updates["g"] + d_step.bn_updates["g"] + d_bn_g), name="g_step")
    with tf.control_dependencies([g_done]):
        train_op = tf.assign_add(global_step, 1, name="train_op").op
    return train_op, g_loss, g_vars, d_vars


def _grid(images, nrow=8):
    """(N, 28, 28, 1) with N = nrow^2 -> one (1, 28*nrow, 28*nrow, 1) image in [0, 1] for TensorBoard."""
    x = tf.reshape(images, [nrow, nrow, 28, 28])
    x = tf.transpose(x, [0, 2, 1, 3])  # (rows, 28, cols, 28)
    return tf.reshape((x + 1.0) / 2.0, [1, nrow * 28, nrow * 28, 1])


def build_graph(cfg, num_examples):
    """Builds the whole training/sampling graph once (not finalized: the caller adds the Saver first).

    Args:
      cfg: config with variant, sn_scope, loss, batch_size, lr, beta1, beta2, seed.
      num_examples: N, the size of the uint8 dataset fed to `data_init` through `data_images`.

    Returns:
      GanGraph.
    """
    variant = model.variant_from_config(cfg)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        global_step = create_global_step()
        batch = input_batch(cfg, num_examples, global_step)
        d_step = discriminator_step_losses(batch.real, batch.z, variant, cfg.loss)
        train_op, g_loss, g_vars, d_vars = build_train_op(d_step, variant, cfg.lr, cfg.beta1, cfg.beta2,
                                                          global_step, cfg.loss)
        d_real = tf.reduce_mean(tf.sigmoid(d_step.real_logits))
        d_fake = tf.reduce_mean(tf.sigmoid(d_step.fake_logits))
        sampling = build_sampling(cfg, variant)
        train_summary, grid_summary = build_summaries(d_step.losses.d_loss, g_loss, d_real, d_fake, d_step.sigmas,
                                                      sampling["fixed_samples"])
        init_op = tf.group(tf.global_variables_initializer(), name="init")
        data_init = tf.variables_initializer([batch.dataset], name="data_init")
    return GanGraph(
        graph=graph, variant=variant, data_images=batch.data_images, data_init=data_init, init_op=init_op,
        global_step=global_step, train_op=train_op, d_loss=d_step.losses.d_loss, g_loss=g_loss,
        d_loss_real=d_step.losses.d_loss_real, d_loss_fake=d_step.losses.d_loss_fake, d_real=d_real, d_fake=d_fake,
        sigmas=d_step.sigmas, train_summary=train_summary, grid_summary=grid_summary,
        steps_per_epoch=num_examples // cfg.batch_size, g_vars=g_vars, d_vars=d_vars, **sampling)


def create_global_step():
    """The int64 resource global step (resource: reads ordered by control dependencies)."""
    return tf.get_variable("global_step", [], tf.int64, tf.zeros_initializer(), trainable=False, use_resource=True,
                           collections=[tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.GLOBAL_STEP])


def input_batch(cfg, num_examples, global_step):
    """The step's real images and z, both pure functions of (cfg.seed, global_step).

    The dataset lives in a local (not checkpointed) variable filled once from the `data_images`
    placeholder: no images are fed per step, and checkpoints do not carry a copy of MNIST.

    Returns:
      InputBatch(data_images uint8 (N, 28, 28) placeholder, dataset variable, real (B, 28, 28, 1) in
      [-1, 1], z (B, Z_DIM)).
    """
    with tf.name_scope("data"):
        data_images = tf.placeholder(tf.uint8, [num_examples, 28, 28], name="images")
        dataset = tf.Variable(data_images, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES],
                              name="dataset")
        idx = training.batch_indices(num_examples, cfg.batch_size, cfg.seed, global_step, STREAM_DATA)
        real = tf.cast(tf.gather(dataset, idx), tf.float32) / 127.5 - 1.0  # (B, 28, 28)
        real = tf.expand_dims(real, -1)  # (B, 28, 28, 1)
        z = tf.random.stateless_normal([cfg.batch_size, model.Z_DIM],
                                       seed=training.stateless_seed(cfg.seed, global_step, STREAM_Z))
    return InputBatch(data_images, dataset, real, z)


def build_sampling(cfg, variant):
    """G in inference mode on a fixed z (middle/end grids) and on a placeholder z (sample.py).

    Returns:
      dict with the GanGraph fields fixed_samples, fixed_samples_batch_stats, sample_z, sample_images,
      sample_images_batch_stats. For BN generators the *_batch_stats tensors run the same G with BN on
      the batch's own statistics, as the reference samples in train mode (their moving-average updates
      are created but never run); otherwise they are the plain samples.
    """
    with tf.name_scope("sampling"):
        fixed_z = tf.random.stateless_normal([NUM_FIXED, model.Z_DIM],
                                             seed=training.stateless_seed(cfg.seed, 0, STREAM_FIXED))
        fixed = model.generator(fixed_z, variant, training=False)  # (64, 28, 28, 1)
        sample_z = tf.placeholder(tf.float32, [None, model.Z_DIM], name="z")
        samples = model.generator(sample_z, variant, training=False)
        if model.has_bn(variant.g_norm):
            fixed_bs = model.generator(fixed_z, variant, training=False, bn_training=True)
            samples_bs = model.generator(sample_z, variant, training=False, bn_training=True)
        else:
            fixed_bs, samples_bs = fixed, samples
    return {"fixed_samples": fixed, "fixed_samples_batch_stats": fixed_bs, "sample_z": sample_z,
            "sample_images": samples, "sample_images_batch_stats": samples_bs}


def build_summaries(d_loss, g_loss, d_real, d_fake, sigmas, fixed_samples):
    """(train_summary, grid_summary): loss/d, loss/g, d/real, d/fake, sn/sigma/<layer>; samples/grid."""
    scalars = [tf.summary.scalar("loss/d", d_loss), tf.summary.scalar("loss/g", g_loss),
               tf.summary.scalar("d/real", d_real), tf.summary.scalar("d/fake", d_fake)]
    scalars += [tf.summary.scalar("sn/sigma/" + name, s) for name, s in sigmas]
    return tf.summary.merge(scalars), tf.summary.image("samples/grid", _grid(fixed_samples))