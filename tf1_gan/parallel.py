"""In-graph data parallelism: one replica ("tower") of G and D per device, one shared set of variables.

The classic TF1 multi-GPU pattern (TF's CIFAR-10 multi-GPU example, tf_cnn_benchmarks), applied to
the fused D-then-G step of `graph.py`:

  global batch (B) = K towers x per-tower batch (B / K); `cfg.batch_size` is the GLOBAL batch, so the
  data order, z, steps per epoch and the learning rate are those of a single-device run.

  1. The step's batch and z are drawn once (same stateless, step-keyed draws as graph.py) and split
     into K slices; slice i goes to device i (`/gpu:i`, or virtual CPU device `/cpu:i` made with
     `ConfigProto(device_count={"CPU": K})`).
  2. Variables (weights, Adam slots, BN moving statistics, SN u/v, global_step) live once on the
     controller device `/cpu:0`; towers read them (a device function pins every variable op there).
  3. Each tower computes its D losses and D gradients; the K gradients are averaged on `/cpu:0`
     and one Adam apply updates D. Averaging K per-slice means of equal size is exactly the mean over
     the global batch, so without batch norm K towers == one device (tests/tf1_gan/test_parallel.py).
  4. After D's update, each tower computes G's loss through the updated D; gradients are averaged
     and one apply updates G; then global_step += 1.

Batch norm: each tower normalizes with ITS OWN slice's statistics (B / K examples, not B: no cross-
device sync, like tf.layers on several GPUs), so BN variants are not bit-equal to one device. The
moving averages are updated from tower 0 only, once per step (running all K towers' update ops would
apply the momentum K times per step).

Spectral norm: u and v are advanced ONCE per step, by tower 0 (TF-GAN's ONLY_FIRST_REPLICA;
tensorflow #35347). Towers 1..K-1 run SN in read mode under a control dependency on tower 0's
assigns, so every tower uses the same sigma, equal to the single-device value.
"""
import collections
import re

import tensorflow as tf

from common import training
from tf1_gan import graph as gan_graph
from tf1_gan import losses
from tf1_gan import model
from tf1_gan import spectral_norm as sn

CONTROLLER = "/cpu:0"
_VARIABLE_OPS = frozenset(["Variable", "VariableV2", "VarHandleOp", "AutoReloadVariable"])
_KEYS = (tf.GraphKeys.UPDATE_OPS, sn.SN_UPDATE_OPS, sn.SN_SIGMAS)

Tower = collections.namedtuple("Tower", "device fake real_logits fake_logits losses sn_updates bn_updates sigmas")


def available_gpus():
    """Names of the GPUs TensorFlow can see in this process, e.g. ['/device:GPU:0'] (empty on CPU)."""
    from tensorflow.python.client import device_lib  # pylint: disable=import-outside-toplevel
    conf = tf.ConfigProto()
    conf.gpu_options.allow_growth = True  # listing devices must not grab all GPU memory
    return [d.name for d in device_lib.list_local_devices(conf) if d.device_type == "GPU"]


def tower_devices(num_towers, gpus=None):
    """The K compute devices: `/gpu:0..K-1` if K GPUs are visible, else virtual `/cpu:0..K-1`.

    Args:
      num_towers: K >= 1.
      gpus: visible GPU names (default: `available_gpus()`).

    Raises:
      ValueError: K < 1, or some GPUs are visible but fewer than K (silently doubling up towers on
        one GPU would hide exactly the problem of seed question 1c).
    """
    if num_towers < 1:
        raise ValueError("num_towers must be >= 1, got %d" % num_towers)
    gpus = available_gpus() if gpus is None else list(gpus)
    if gpus:
        if len(gpus) < num_towers:
            raise ValueError("%d towers requested but only %d GPU(s) visible (%s); check CUDA_VISIBLE_DEVICES, "
                             "nvidia-smi and the container runtime (docs/tf1_gan_parallel.md)"
                             % (num_towers, len(gpus), ", ".join(gpus)))
        return ["/gpu:%d" % i for i in range(num_towers)]
    return ["/cpu:%d" % i for i in range(num_towers)]


def session_config(devices, threads=2):
    """A ConfigProto that creates the virtual CPU devices the towers need (no-op for GPU towers)."""
    num_cpus = sum(1 for d in devices if d.startswith("/cpu:"))
    return training.session_config(threads, device_count={"CPU": max(num_cpus, 1)})


def _device_fn(compute_device):
    """Device function: variable ops on the controller, every other op on the tower's device."""
    def place(op):
        return CONTROLLER if op.type in _VARIABLE_OPS else compute_device
    return place


def tower_forward(real, z, variant, loss_name, lead_updates=None):
    """G and both D passes of one tower, like graph.discriminator_step_losses but SN-aware per tower.

    Args:
      real: float32 (b, 28, 28, 1), this tower's slice.
      z: float32 (b, Z_DIM).
      variant: a model.Variant.
      loss_name: key of losses.LOSSES.
      lead_updates: None for tower 0 (it runs the SN power iteration and owns the u/v assigns);
        for other towers, tower 0's SN assign ops: they run SN in read mode after those assigns.

    Returns:
      Tower (device left None).
    """
    d_loss_fn, _ = losses.get_loss(loss_name)
    up, sn_up, sig = _KEYS
    lead = lead_updates is None
    with tf.control_dependencies(None if lead else lead_updates):
        # training=lead moves G's u only in tower 0; bn_training=True: every tower uses batch statistics.
        fake, g_new = gan_graph.collect_new_ops(lambda: model.generator(z, variant, training=lead, bn_training=True))
        real_logits, d_new = gan_graph.collect_new_ops(lambda: model.discriminator(real, variant, training=True, update_sn=lead))
        # The fake pass sees the u, v the real pass wrote; in tower 0 (the one whose BN updates run) its
        # moving-average updates come after the real pass's, never racing them (graph.py).
        with tf.control_dependencies(d_new[sn_up] + (d_new[up] if lead else [])):
            fake_logits, d_fake_new = gan_graph.collect_new_ops(lambda: model.discriminator(fake, variant, training=True,
                                                                           update_sn=False))
    parts = d_loss_fn(real_logits, fake_logits)
    # "tower_0/discriminator/conv1/spectral_norm/sigma" -> "discriminator/conv1" (graph.py's tags).
    sigmas = [(re.sub(r"^tower_\d+/", "", s.op.name.rsplit("/spectral_norm/", 1)[0]), s)
              for s in g_new[sig] + d_new[sig]]
    return Tower(None, fake, real_logits, fake_logits, parts, {"g": g_new[sn_up], "d": d_new[sn_up]},
                 {"g": g_new[up], "d": d_new[up] + d_fake_new[up]}, sigmas)


def average_gradients(tower_grads, variables):
    """Mean over towers of each variable's gradient, computed on the controller device.

    Args:
      tower_grads: K lists of gradients, each aligned with `variables` (None where not connected).
      variables: the variables.

    Returns:
      list of (mean gradient, variable) for Optimizer.apply_gradients.

    Raises:
      ValueError: a variable gets no gradient from any tower (it would silently never train).
    """
    out = []
    with tf.device(CONTROLLER), tf.name_scope("average_gradients"):
        for i, var in enumerate(variables):
            grads = [g[i] for g in tower_grads if g[i] is not None]
            if not grads:
                raise ValueError("no tower produces a gradient for %s" % var.op.name)
            mean = grads[0] if len(grads) == 1 else tf.add_n(grads) / float(len(tower_grads))
            out.append((mean, var))
    return out


def _split(tensor, num):
    return tf.split(tensor, num, axis=0, name="split")


def build_parallel_train_graph(cfg, num_examples, num_towers, devices=None):
    """The training graph of graph.build_graph, replicated over K devices; same GanGraph namedtuple.

    Args:
      cfg: config with variant, sn_scope, loss, batch_size (GLOBAL, divisible by K), lr, beta1,
        beta2, seed.
      num_examples: N, size of the uint8 dataset fed to `data_init`.
      num_towers: K.
      devices: the K compute devices (default: `tower_devices(K)`); run the session with
        `session_config(devices)` so virtual CPU devices exist.

    Returns:
      graph.GanGraph (not finalized: add the Saver first). Losses and D outputs are means over towers.

    Raises:
      ValueError: batch_size not divisible by K, or a wrong number of devices.
    """
    devices = tower_devices(num_towers) if devices is None else list(devices)
    if len(devices) != num_towers:
        raise ValueError("%d devices given for %d towers" % (len(devices), num_towers))
    if cfg.batch_size % num_towers:
        raise ValueError("batch_size %d is not divisible by num_towers %d" % (cfg.batch_size, num_towers))
    variant = model.variant_from_config(cfg)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        with tf.device(CONTROLLER):
            global_step = gan_graph.create_global_step()
            # The same draws as graph.build_graph (same streams), so the towers see the same global batch.
            batch = gan_graph.input_batch(cfg, num_examples, global_step)
            reals, zs = _split(batch.real, num_towers), _split(batch.z, num_towers)  # K x (B/K, ...)

        towers = []
        for i, device in enumerate(devices):
            with tf.device(_device_fn(device)), tf.name_scope("tower_%d" % i):
                lead = None if i == 0 else towers[0].sn_updates["g"] + towers[0].sn_updates["d"]
                towers.append(tower_forward(reals[i], zs[i], variant, cfg.loss, lead)._replace(device=device))
        g_vars, d_vars = model.split_variables()
        train_op, g_loss = _build_train_op(towers, variant, cfg, global_step, g_vars, d_vars)

        with tf.device(CONTROLLER), tf.name_scope("tower_mean"):
            d_loss = tf.reduce_mean([t.losses.d_loss for t in towers])
            d_loss_real = tf.reduce_mean([t.losses.d_loss_real for t in towers])
            d_loss_fake = tf.reduce_mean([t.losses.d_loss_fake for t in towers])
            d_real = tf.reduce_mean(tf.sigmoid(tf.concat([t.real_logits for t in towers], 0)))
            d_fake = tf.reduce_mean(tf.sigmoid(tf.concat([t.fake_logits for t in towers], 0)))
        with tf.device(CONTROLLER):
            sampling = gan_graph.build_sampling(cfg, variant)
        sigmas = towers[0].sigmas  # tower 0 owns the SN update; the other towers read the same sigma
        train_summary, grid_summary = gan_graph.build_summaries(d_loss, g_loss, d_real, d_fake, sigmas,
                                                                sampling["fixed_samples"])
        init_op = tf.group(tf.global_variables_initializer(), name="init")
        data_init = tf.variables_initializer([batch.dataset], name="data_init")
    return gan_graph.GanGraph(
        graph=graph, variant=variant, data_images=batch.data_images, data_init=data_init, init_op=init_op,
        global_step=global_step, train_op=train_op, d_loss=d_loss, g_loss=g_loss, d_loss_real=d_loss_real,
        d_loss_fake=d_loss_fake, d_real=d_real, d_fake=d_fake, sigmas=sigmas, train_summary=train_summary,
        grid_summary=grid_summary, steps_per_epoch=num_examples // cfg.batch_size, g_vars=g_vars, d_vars=d_vars,
        **sampling)


def _build_train_op(towers, variant, cfg, global_step, g_vars, d_vars):
    """Averaged D step, then averaged G step through the updated D, then global_step += 1."""
    _, g_loss_fn = losses.get_loss(cfg.loss)
    lead = towers[0]
    d_grads = []
    for i, t in enumerate(towers):
        with tf.device(_device_fn(t.device)), tf.name_scope("tower_%d/d_grad" % i):
            d_grads.append(tf.gradients(t.losses.d_loss, d_vars, colocate_gradients_with_ops=True))
    with tf.device(CONTROLLER), tf.name_scope("d_train"):
        d_opt = tf.train.AdamOptimizer(cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2, name="d_adam")
        d_apply = d_opt.apply_gradients(average_gradients(d_grads, d_vars))
        # SN assigns and BN moving averages of tower 0 only: once per step.
        d_done = tf.group(d_apply, *(lead.sn_updates["d"] + lead.bn_updates["d"]), name="d_step")
    g_losses, g_grads, d_bn_g = [], [], []
    for i, t in enumerate(towers):
        with tf.control_dependencies([d_done]), tf.device(_device_fn(t.device)), \
                tf.name_scope("tower_%d/g_train" % i):
            # Resource-variable reads built under the control dependency see D after its update.
            logits, new = gan_graph.collect_new_ops(lambda t=t: model.discriminator(t.fake, variant, training=True, update_sn=False))
            g_losses.append(g_loss_fn(logits))
            g_grads.append(tf.gradients(g_losses[-1], g_vars, colocate_gradients_with_ops=True))
            if i == 0:
                d_bn_g = new[tf.GraphKeys.UPDATE_OPS]
    with tf.device(CONTROLLER), tf.name_scope("g_train"):
        g_loss = tf.reduce_mean(g_losses)
        g_opt = tf.train.AdamOptimizer(cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2, name="g_adam")
        g_apply = g_opt.apply_gradients(average_gradients(g_grads, g_vars))
        g_done = tf.group(g_apply, *(lead.sn_updates["g"] + lead.bn_updates["g"] + d_bn_g), name="g_step")
        with tf.control_dependencies([g_done]):
            train_op = tf.assign_add(global_step, 1, name="train_op").op
    return train_op, g_loss
