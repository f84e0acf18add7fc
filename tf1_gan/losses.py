"""GAN losses and D penalties, in compare_gan's shape: pure functions over D's logits and a way to call D.

A loss is `fn(real_logits, fake_logits, discriminator) -> LossParts(d_loss, g_loss, extras)`:
  real_logits, fake_logits: (B, 1) or (B,) logits of D on data and on G's samples;
  discriminator: images (B, 28, 28, 1) -> logits, one more pass of the same D (training mode; it never moves
    SN's u or BN's moving averages), for losses that need D elsewhere than on the batch;
  extras: {name: scalar tensor} of the monitors this loss makes sense of (logged beside d_loss and g_loss:
    history.json, TensorBoard `d/<name>`). The BCE loss reports D's mean sigmoid probabilities `d_real`, `d_fake`;
    the hinge loss, whose logits are no probabilities, D's mean logits.
A penalty is `fn(real, fake, real_logits, discriminator) -> scalar`; `Objective` composes one loss and one
penalty outside the loss: d_loss = loss's d_loss + weight * penalty (the penalty is also monitored, as `d_penalty`).
Never log(sigmoid(x)), which gives -inf/NaN: the BCE parts go through sigmoid_cross_entropy_with_logits.

The seed's objective is BCE (non-saturating G) without a penalty; it is the default.
"""
import collections
import math

import tensorflow as tf

LossParts = collections.namedtuple("LossParts", "d_loss g_loss extras")
# label: the loss curves' y axis; constant_d: d_loss of a D whose logit is 0 for every image (a D that learned
# nothing; any penalty is 0 for it), the yardstick of common.loop's divergence watch.
Loss = collections.namedtuple("Loss", "fn label constant_d")


def _check_logits(logits, what):
    shape = logits.shape.as_list()
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise ValueError("%s logits must be (B,) or (B, 1), got %s" % (what, shape))


def _check_pair(real_logits, fake_logits):
    _check_logits(real_logits, "real")
    _check_logits(fake_logits, "fake")
    if real_logits.shape.as_list()[1:] != fake_logits.shape.as_list()[1:]:
        raise ValueError("real and fake logits differ in shape: %s vs %s"
                         % (real_logits.shape.as_list(), fake_logits.shape.as_list()))


def _bce(logits, label):
    """Mean binary cross-entropy of sigmoid(logits) against a constant label, computed stably."""
    labels = tf.fill(tf.shape(logits), label)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def bce(real_logits, fake_logits, discriminator=None):  # pylint: disable=unused-argument
    """The seed's loss: D's BCE (real + fake) / 2 as the PyTorch-GAN reference, G's non-saturating
    -log D(G(z)) = BCE(D(G(z)), 1) (Goodfellow et al. 2014, sec. 3).

    Returns:
      LossParts; extras d_real, d_fake: D's mean probability sigmoid(logit) on data and on samples.

    Raises:
      ValueError: if the shapes are not logits shapes or differ.
    """
    _check_pair(real_logits, fake_logits)
    with tf.name_scope("d_loss"):
        d_loss = 0.5 * (_bce(real_logits, 1.0) + _bce(fake_logits, 0.0))
    with tf.name_scope("g_loss"):
        g_loss = _bce(fake_logits, 1.0)
    extras = collections.OrderedDict([("d_real", tf.reduce_mean(tf.sigmoid(real_logits))),
                                      ("d_fake", tf.reduce_mean(tf.sigmoid(fake_logits)))])
    return LossParts(d_loss, g_loss, extras)


def hinge(real_logits, fake_logits, discriminator=None):  # pylint: disable=unused-argument
    """The SN-GAN paper's hinge loss (Miyato et al. 2018, eq. 17; compare_gan's `hinge`):
    d_loss = E[relu(1 - D(x))] + E[relu(1 + D(G(z)))], g_loss = -E[D(G(z))].

    Returns:
      LossParts; extras d_real_logit, d_fake_logit: D's mean logit on data and on samples.
    """
    _check_pair(real_logits, fake_logits)
    with tf.name_scope("d_loss"):
        d_loss = (tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits)))
    with tf.name_scope("g_loss"):
        g_loss = -tf.reduce_mean(fake_logits)
    extras = collections.OrderedDict([("d_real_logit", tf.reduce_mean(real_logits)),
                                      ("d_fake_logit", tf.reduce_mean(fake_logits))])
    return LossParts(d_loss, g_loss, extras)


def r1(real, fake, real_logits, discriminator):  # pylint: disable=unused-argument
    """R1 (Mescheder et al. 2018): E[||grad_x D(x)||^2] / 2 over real images x.

    The gradient is taken through the step's own D(real) pass (`real_logits` were computed from `real`), so no
    extra D pass is built. Per-example gradients: D's logits are summed over the batch first, which is exact for
    a D without batch norm (each logit depends on its own image only).
    """
    with tf.name_scope("r1_penalty"):
        grad = tf.gradients(tf.reduce_sum(real_logits), real)[0]  # (B, 28, 28, 1)
        axes = list(range(1, grad.shape.ndims))
        return 0.5 * tf.reduce_mean(tf.reduce_sum(tf.square(grad), axis=axes))


# name -> Loss; the seed's is "bce".
LOSSES = collections.OrderedDict([("bce", Loss(bce, "BCE", math.log(2.0))),
                                  ("hinge", Loss(hinge, "hinge loss", 2.0))])
# name -> penalty function (None: no penalty); the seed's is "none".
PENALTIES = collections.OrderedDict([("none", None), ("r1", r1)])


def get_loss(name):
    """The Loss called `name`; ValueError if unknown."""
    if name not in LOSSES:
        raise ValueError("unknown loss %r (choose from %s)" % (name, ", ".join(LOSSES)))
    return LOSSES[name]


def constant_d_loss(name):
    """d_loss of the named loss for a discriminator whose logit is 0 for every image (the divergence reference)."""
    return get_loss(name).constant_d


def get_penalty(name):
    """The penalty function called `name` (None for "none"); ValueError if unknown."""
    if name not in PENALTIES:
        raise ValueError("unknown penalty %r (choose from %s)" % (name, ", ".join(PENALTIES)))
    return PENALTIES[name]


class Objective(object):
    """One loss and one penalty, composed: what the training step minimizes.

    Args:
      loss: a LOSSES name.
      penalty: a PENALTIES name.
      penalty_weight: the penalty's factor in D's loss (R1's gamma).
    """

    def __init__(self, loss="bce", penalty="none", penalty_weight=0.0):
        self.loss = get_loss(loss)
        self.penalty = get_penalty(penalty)
        self.penalty_weight = float(penalty_weight)
        self.label = self.loss.label + ("" if self.penalty is None else " (D: + %g x %s)" % (penalty_weight, penalty))

    def d_phase(self, real, fake, real_logits, fake_logits, discriminator):
        """D's loss and the monitors, from D's pass on the step's batch."""
        parts = self.loss.fn(real_logits, fake_logits, discriminator)
        if self.penalty is None:
            return parts
        penalty = self.penalty(real, fake, real_logits, discriminator)
        extras = collections.OrderedDict(parts.extras)
        extras["d_penalty"] = penalty
        return LossParts(parts.d_loss + self.penalty_weight * penalty, parts.g_loss, extras)

    def g_loss(self, real_logits, fake_logits, discriminator):
        """G's loss, from D's pass on the samples after D's update (`real_logits` are those of D's phase)."""
        return self.loss.fn(real_logits, fake_logits, discriminator).g_loss


def objective(cfg):
    """The Objective of a config (cfg.loss, and cfg.penalty / cfg.penalty_weight where the schema has them)."""
    return Objective(cfg.loss, cfg.get("penalty", "none"), cfg.get("penalty_weight", 0.0))
