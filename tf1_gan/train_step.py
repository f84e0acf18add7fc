"""The one GAN training step, D then G, built over a list of replica devices.

One device is K = 1 (`devices=[None]`), in-graph towers are K > 1 (`tf1_gan.devices`), and a cluster worker is one
replica on its replica device setter (`tf1_gan/cluster/worker_graph.py`). What differs between them is only where
ops go and how averaged gradients are applied (`AdamUpdate` here, synchronous replicas in the cluster); the order
below is built once, here. Inside ONE `session.run(train_op)`, by control dependencies:

  1. replica i gets slice i of the step's batch and z (K = 1: the whole batch);
  2. fake = G(z), G in training mode (BN batch statistics);
  3. D(real): the only pass that runs SN's power iteration (replica 0, when SN is updated in the step);
  4. D(fake), after (3)'s u, v assigns, so it uses the same sigma (and, where BN statistics are kept, after (3)'s
     moving-average updates: both write the same variables); D's loss from both logits (`losses.Objective`: the
     loss, plus its penalty, e.g. R1 through (3)'s pass; the seed's BCE: (real + fake) / 2);
  5. D step: the replicas' D gradients averaged, one Adam apply, grouped with replica 0's SN assigns and (if it
     keeps the state) its BN moving-average updates                                          -> d_step
  6. after d_step: each replica's D'(fake) through the *updated* D (resource-variable reads under the control
     dependency), G's loss from it (the seed's: BCE(D'(fake), 1)); G gradients averaged, one apply, with G's SN
     assigns and BN updates and those of D's pass here                                        -> g_step
  7. after g_step: global_step += 1                                                           -> train_op
G's step reuses the fakes of (2) (G has not changed yet), like the PyTorch-GAN reference that trains D and G on
the same generated batch; only the order differs (the issue asks for D first).

Replicas: variables exist once (the device list decides where); averaging K per-slice means of equal size is
exactly the global-batch mean, so without batch norm K towers equal one device. Batch norm normalizes each
replica with its own slice; its moving averages come from replica 0 only (K replicas would apply the momentum K
times). SN's u and v move once per step: replica 0 owns the assigns and the others read u, v after them
(TF-GAN's ONLY_FIRST_REPLICA; tensorflow #35347), or, in the cluster, no replica assigns and the chief runs the
power iteration inside its synchronous update.
"""
import collections
import contextlib
import re

import tensorflow as tf

from tf1_gan import model
from tf1_gan import spectral_norm as sn

_KEYS = (tf.GraphKeys.UPDATE_OPS, sn.SN_UPDATE_OPS, sn.SN_SIGMAS)

Replica = collections.namedtuple("Replica", "fake real_logits fake_logits losses sn_updates bn_updates sigmas")
Step = collections.namedtuple("Step", "train_op d_loss g_loss monitors sigmas g_vars d_vars replicas")


@contextlib.contextmanager
def _nothing():
    yield


def on_device(device):
    """`tf.device(device)`, or nothing for None (tf.device(None) would clear an enclosing device setter)."""
    return tf.device(device) if device is not None else _nothing()


def _scope(name):
    return tf.name_scope(name) if name else _nothing()


def collect_new_ops(fn):
    """Runs fn(); returns (its result, {collection key: items fn added}) for BN updates, SN updates, sigmas.

    A step connects G and D several times; each pass's own ops are picked this way so that, e.g., only the
    passes of replica 0 have their BN moving averages run.
    """
    before = {k: set(id(x) for x in tf.get_collection(k)) for k in _KEYS}
    out = fn()
    return out, {k: [x for x in tf.get_collection(k) if id(x) not in before[k]] for k in _KEYS}


def layer_name(sigma):
    """"tower_1/discriminator/conv1/spectral_norm/sigma:0" -> "discriminator/conv1" (the sn/sigma/<layer> tag)."""
    return re.sub(r"^tower_\d+/", "", sigma.op.name.rsplit("/spectral_norm/", 1)[0])


def discriminator_fn(variant):
    """The way a loss or a penalty calls D: images -> logits, training mode, never moving SN's u; the BN updates
    of such a pass are never run (only the step's own passes, picked by `collect_new_ops`, keep statistics)."""
    return lambda images: model.discriminator(images, variant, training=True, update_sn=False)


def replica_forward(real, z, variant, objective, moves_sn, keeps_bn, after=None):
    """Steps 2-4 for one replica: G(z), D(real), D(fake) and D's loss.

    Args:
      real: float32 (b, 28, 28, 1) in [-1, 1], this replica's slice.
      z: float32 (b, Z_DIM).
      variant: a model.Variant.
      objective: a losses.Objective (the loss and the penalty).
      moves_sn: this replica runs the SN power iteration and owns the u, v assigns (replica 0 of a local step).
      keeps_bn: this replica's BN moving-average updates are the ones that run (so D's two passes are ordered).
      after: ops this replica's forward passes wait for (replica 0's SN assigns, for the others); None clears.

    Returns:
      Replica: the fakes, both logits (b, 1), losses.LossParts of D's phase, the SN assign ops and the BN update
      ops of these passes ({"g": [...], "d": [...]}), and (layer name, sigma) pairs for the summaries.
    """
    up, sn_up, sig = _KEYS
    with tf.control_dependencies(after):
        # bn_training=True: every replica uses its own batch statistics; u moves only where moves_sn.
        fake, g_new = collect_new_ops(lambda: model.generator(z, variant, training=moves_sn, bn_training=True))
        real_logits, d_new = collect_new_ops(
            lambda: model.discriminator(real, variant, training=True, update_sn=moves_sn))
        # The fake pass sees the u, v the real pass wrote; where BN statistics are kept, its moving-average
        # updates follow the real pass's (unordered, they raced: both assign the same variables).
        with tf.control_dependencies(d_new[sn_up] + (d_new[up] if keeps_bn else [])):
            fake_logits, d_fake_new = collect_new_ops(
                lambda: model.discriminator(fake, variant, training=True, update_sn=False))
    parts = objective.d_phase(real, fake, real_logits, fake_logits, discriminator_fn(variant))
    sigmas = [(layer_name(s), s) for s in g_new[sig] + d_new[sig]]
    return Replica(fake, real_logits, fake_logits, parts, {"g": g_new[sn_up], "d": d_new[sn_up]},
                   {"g": g_new[up], "d": d_new[up] + d_fake_new[up]}, sigmas)


def average_gradients(replica_grads, variables, device=None):
    """Mean over replicas of each variable's gradient (one replica: its gradients unchanged).

    Args:
      replica_grads: K lists of gradients, each aligned with `variables` (None where not connected).
      variables: the variables.
      device: where the means are computed (the controller).

    Returns:
      list of (mean gradient, variable) for Optimizer.apply_gradients.

    Raises:
      ValueError: a variable gets no gradient from any replica (it would silently never train).
    """
    out = []
    with on_device(device), tf.name_scope("average_gradients"):
        for i, var in enumerate(variables):
            grads = [g[i] for g in replica_grads if g[i] is not None]
            if not grads:
                raise ValueError("no replica produces a gradient for %s" % var.op.name)
            mean = grads[0] if len(grads) == 1 else tf.add_n(grads) / float(len(replica_grads))
            out.append((mean, var))
    return out


class AdamUpdate(object):
    """Applies the averaged gradients with Adam on the controller; the G update then increments global_step.

    `tf1_gan/cluster/worker_graph.py` has the synchronous-replicas counterpart with the same two methods.
    """

    def __init__(self, lr, beta1, beta2, global_step, device=None):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.global_step = global_step
        self.device = device

    def apply_d(self, grads_and_vars, with_ops):
        """D's update, grouped with `with_ops` (SN assigns, BN updates) -> the d_step op."""
        with on_device(self.device), tf.name_scope("d_train/"):
            opt = tf.train.AdamOptimizer(self.lr, beta1=self.beta1, beta2=self.beta2, name="d_adam")
            return tf.group(opt.apply_gradients(grads_and_vars), *with_ops, name="d_step")

    def apply_g(self, grads_and_vars, with_ops):
        """G's update grouped with `with_ops`, then global_step += 1 -> train_op."""
        # "g_train/" re-enters the scope of D's pass for G on one device (the variable names of Adam's state are
        # those of every checkpoint written so far).
        with on_device(self.device), tf.name_scope("g_train/"):
            opt = tf.train.AdamOptimizer(self.lr, beta1=self.beta1, beta2=self.beta2, name="g_adam")
            g_done = tf.group(opt.apply_gradients(grads_and_vars), *with_ops, name="g_step")
            with tf.control_dependencies([g_done]):
                return tf.assign_add(self.global_step, 1, name="train_op").op


def _mean(values, name):
    return values[0] if len(values) == 1 else tf.reduce_mean(values, name=name)


def build_step(real, z, variant, objective, devices, update, controller=None, sn_in_step=True, keeps_state=True):
    """Builds steps 1-7 over len(devices) replicas; returns a Step.

    Args:
      real: float32 (B, 28, 28, 1), the step's whole batch (B divisible by K = len(devices)).
      z: float32 (B, Z_DIM).
      variant: a model.Variant.
      objective: a losses.Objective (the loss and the penalty).
      devices: one device context per replica (a device string, a device function, or None for the default).
      update: an object with apply_d(grads_and_vars, with_ops) -> d_step and apply_g(...) -> train_op.
      controller: device of the split, the gradient means and the logged means (None: the default placement).
      sn_in_step: replica 0 runs the SN power iteration in its forward pass; False when the caller advances u
        elsewhere (the cluster chief's synchronous update).
      keeps_state: replica 0's BN moving-average updates run (False on a cluster worker that is not the chief).

    Returns:
      Step: train_op, D and G losses (means over replicas), the loss's monitors (means over replicas, e.g. BCE's
      mean D(real) and D(fake)), (layer, sigma) pairs of replica 0, the G and D variables, and the Replicas.

    Raises:
      ValueError: the (static) batch does not split over the replicas, or the variables do not split into G and D.
    """
    k = len(devices)
    batch = z.shape.as_list()[0]
    if batch is not None and batch % k:
        raise ValueError("batch of %d does not split over %d replicas" % (batch, k))
    if k > 1:
        with on_device(controller):
            reals = tf.split(real, k, axis=0, name="split")  # K x (B/K, 28, 28, 1)
            zs = tf.split(z, k, axis=0, name="split")  # K x (B/K, Z_DIM)
    else:
        reals, zs = [real], [z]
    prefix = ["tower_%d/" % i if k > 1 else "" for i in range(k)]

    replicas = []
    for i, device in enumerate(devices):
        with on_device(device), _scope(prefix[i][:-1]):
            after = None if i == 0 else replicas[0].sn_updates["g"] + replicas[0].sn_updates["d"]
            replicas.append(replica_forward(reals[i], zs[i], variant, objective, moves_sn=sn_in_step and i == 0,
                                            keeps_bn=keeps_state and i == 0, after=after))
    lead = replicas[0]
    g_vars, d_vars = model.split_variables()

    d_grads = []
    for i, (device, rep) in enumerate(zip(devices, replicas)):
        with on_device(device), tf.name_scope(prefix[i] + "d_grad"):
            d_grads.append(tf.gradients(rep.losses.d_loss, d_vars, colocate_gradients_with_ops=True))
    d_done = update.apply_d(average_gradients(d_grads, d_vars, controller),
                            lead.sn_updates["d"] + (lead.bn_updates["d"] if keeps_state else []))

    g_losses, g_grads, d_bn_g = [], [], []
    for i, (device, rep) in enumerate(zip(devices, replicas)):
        # Built under d_step's control dependency: the resource-variable reads of D see its update.
        with tf.control_dependencies([d_done]), on_device(device), tf.name_scope(prefix[i] + "g_train"):
            logits, new = collect_new_ops(
                lambda rep=rep: model.discriminator(rep.fake, variant, training=True, update_sn=False))
            g_losses.append(objective.g_loss(rep.real_logits, logits, discriminator_fn(variant)))
            g_grads.append(tf.gradients(g_losses[-1], g_vars, colocate_gradients_with_ops=True))
            if i == 0:
                d_bn_g = new[tf.GraphKeys.UPDATE_OPS]
    train_op = update.apply_g(average_gradients(g_grads, g_vars, controller),
                              lead.sn_updates["g"] + (lead.bn_updates["g"] + d_bn_g if keeps_state else []))

    with on_device(controller), _scope("replica_mean" if k > 1 else None):
        d_loss = _mean([r.losses.d_loss for r in replicas], "d_loss")
        g_loss = _mean(g_losses, "g_loss")
        monitors = collections.OrderedDict(
            (name, _mean([r.losses.extras[name] for r in replicas], name)) for name in lead.losses.extras)
    # Replica 0 owns (or first reads) the SN state; the other replicas use the same sigma.
    return Step(train_op, d_loss, g_loss, monitors, lead.sigmas, g_vars, d_vars, replicas)


def monitor_tag(name):
    """TensorBoard tag of a loss monitor: "d_real" -> "d/real", "d_fake_logit" -> "d/fake_logit"."""
    return name.replace("_", "/", 1)


def train_summary(step):
    """The step's scalar summaries: loss/d, loss/g, the loss's monitors (BCE: d/real, d/fake), sn/sigma/<layer>."""
    scalars = [tf.summary.scalar("loss/d", step.d_loss), tf.summary.scalar("loss/g", step.g_loss)]
    scalars += [tf.summary.scalar(monitor_tag(name), t) for name, t in step.monitors.items()]
    scalars += [tf.summary.scalar("sn/sigma/" + name, s) for name, s in step.sigmas]
    return tf.summary.merge(scalars)
