"""The graph `tf1_gan.train` runs: data in the graph, the one training step on 1 or K devices, sampling, summaries.

Built once by `build_train_graph(cfg, num_examples, devices)` and finalized by the caller (after it adds its
Saver). The step itself is `train_step.build_step`; this module adds what a local run needs around it:

  * the dataset lives in a local (not checkpointed) variable filled once from a placeholder; the step's batch
    indices (a per-epoch permutation) and z (`tf.random.stateless_normal`) are pure functions of
    (seed, global_step), so a stopped and resumed run draws exactly what an uninterrupted run draws;
  * G in inference mode on a fixed z (the middle/end sample grids) and on a placeholder z;
  * the summaries: the step's scalars and a grid of the fixed-z samples.

With K > 1 devices, `cfg.batch_size` is the GLOBAL batch: the data order, z, steps per epoch and learning rate
are those of one device, and the step splits the batch over the towers.
"""
import collections

import tensorflow as tf

from common import training
from tf1_gan import devices as placement
from tf1_gan import losses
from tf1_gan import model
from tf1_gan import train_step

NUM_FIXED = 64  # samples from the fixed z for the middle/end grids (8 x 8)
STREAM_DATA, STREAM_Z, STREAM_FIXED = 0, 1, 2

InputBatch = collections.namedtuple("InputBatch", "data_images dataset real z")

TrainGraph = collections.namedtuple("TrainGraph", [
    "graph", "variant", "devices", "data_images", "data_init", "init_op", "global_step", "train_op",
    "d_loss", "g_loss", "monitors", "loss_label", "sigmas", "train_summary",
    "fixed_samples", "fixed_samples_batch_stats", "sample_z", "sample_images", "sample_images_batch_stats",
    "grid_summary", "steps_per_epoch", "g_vars", "d_vars"])


def build_train_graph(cfg, num_examples, devices=(None,)):
    """Builds the whole training/sampling graph once (not finalized: the caller adds the Saver first).

    Args:
      cfg: config with variant, sn_scope, init, bn_epsilon, conv_impl, loss (and penalty, penalty_weight), batch_size,
        lr, beta1, beta2, seed.
      num_examples: N, the size of the uint8 dataset fed to `data_init` through `data_images`.
      devices: one entry per replica: [None] for one device with the default placement (K = 1), or device
        names such as `tf1_gan.devices.tower_devices(K)`; then variables live on the controller `/cpu:0` and
        the session needs `tf1_gan.devices.session_config(devices)`.

    Returns:
      TrainGraph. Losses and the loss's monitors ({name: tensor}) are means over the replicas; `loss_label` names
      the objective (the loss curves' axis).

    Raises:
      ValueError: batch_size not divisible by the number of devices.
    """
    devices = list(devices)
    if cfg.batch_size % len(devices):
        raise ValueError("batch_size %d is not divisible by %d devices" % (cfg.batch_size, len(devices)))
    pinned = any(d is not None for d in devices)
    controller = placement.CONTROLLER if pinned else None
    replica_devices = [placement.pin_variables(d) if d is not None else None for d in devices]
    variant = model.variant_from_config(cfg)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        with train_step.on_device(controller):
            global_step = create_global_step()
            batch = input_batch(cfg, num_examples, global_step)
        update = train_step.AdamUpdate(cfg.lr, cfg.beta1, cfg.beta2, global_step, controller)
        objective = losses.objective(cfg)
        step = train_step.build_step(batch.real, batch.z, variant, objective, replica_devices, update, controller)
        with train_step.on_device(controller):
            sampling = build_sampling(cfg, variant)
        summary = train_step.train_summary(step)
        grid_summary = tf.summary.image("samples/grid", _grid(sampling["fixed_samples"]))
        init_op = tf.group(tf.global_variables_initializer(), name="init")
        data_init = tf.variables_initializer([batch.dataset], name="data_init")
    return TrainGraph(
        graph=graph, variant=variant, devices=devices, data_images=batch.data_images, data_init=data_init,
        init_op=init_op, global_step=global_step, train_op=step.train_op, d_loss=step.d_loss, g_loss=step.g_loss,
        monitors=step.monitors, loss_label=objective.label,
        sigmas=step.sigmas, train_summary=summary, grid_summary=grid_summary,
        steps_per_epoch=num_examples // cfg.batch_size, g_vars=step.g_vars, d_vars=step.d_vars, **sampling)


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
      dict with the TrainGraph fields fixed_samples, fixed_samples_batch_stats, sample_z, sample_images,
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


def _grid(images, nrow=8):
    """(N, 28, 28, 1) with N = nrow^2 -> one (1, 28*nrow, 28*nrow, 1) image in [0, 1] for TensorBoard."""
    x = tf.reshape(images, [nrow, nrow, 28, 28])
    x = tf.transpose(x, [0, 2, 1, 3])  # (rows, 28, cols, 28)
    return tf.reshape((x + 1.0) / 2.0, [1, nrow * 28, nrow * 28, 1])
