"""GAN losses as pure functions over logits (never log(sigmoid(x)), which gives -inf/NaN)."""
import collections

import tensorflow as tf

DLosses = collections.namedtuple("DLosses", "d_loss d_loss_real d_loss_fake")


def _check_logits(logits, what):
    shape = logits.shape.as_list()
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        raise ValueError("%s logits must be (B,) or (B, 1), got %s" % (what, shape))


def _bce(logits, label):
    """Mean binary cross-entropy of sigmoid(logits) against a constant label, computed stably."""
    labels = tf.fill(tf.shape(logits), label)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def nonsaturating_d_loss(real_logits, fake_logits):
    """D's loss (real + fake) / 2, as in the PyTorch-GAN reference.

    Args:
      real_logits: (B, 1) or (B,) logits of D on data.
      fake_logits: same shape, logits of D on generated images.

    Returns:
      DLosses(d_loss, d_loss_real, d_loss_fake), scalar tensors.

    Raises:
      ValueError: if the shapes are not logits shapes or differ.
    """
    _check_logits(real_logits, "real")
    _check_logits(fake_logits, "fake")
    if real_logits.shape.as_list()[1:] != fake_logits.shape.as_list()[1:]:
        raise ValueError("real and fake logits differ in shape: %s vs %s"
                         % (real_logits.shape.as_list(), fake_logits.shape.as_list()))
    with tf.name_scope("d_loss"):
        d_loss_real = _bce(real_logits, 1.0)
        d_loss_fake = _bce(fake_logits, 0.0)
        return DLosses(0.5 * (d_loss_real + d_loss_fake), d_loss_real, d_loss_fake)


def nonsaturating_g_loss(fake_logits):
    """G's non-saturating loss -log D(G(z)) = BCE(D(G(z)), 1) (Goodfellow et al. 2014, sec. 3)."""
    _check_logits(fake_logits, "fake")
    with tf.name_scope("g_loss"):
        return _bce(fake_logits, 1.0)


# name -> (d_loss_fn, g_loss_fn); the seed forbids changing the loss, so there is one entry.
LOSSES = {"nonsaturating": (nonsaturating_d_loss, nonsaturating_g_loss)}


def get_loss(name):
    """(d_loss_fn, g_loss_fn) for `name`; ValueError if unknown."""
    if name not in LOSSES:
        raise ValueError("unknown loss %r (choose from %s)" % (name, ", ".join(LOSSES)))
    return LOSSES[name]
