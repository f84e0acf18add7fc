"""The four GAN variants: small layer functions, one generator and one discriminator function.

Each network is a plain function over tensors; its variables come from `tf.get_variable` under the
`generator/` or `discriminator/` scope with `reuse=tf.AUTO_REUSE`, so it can be connected many times
(training passes, sampling, later one pass per tower) and always shares one set of weights.

All variables are resource variables. That matters for the fused D-then-G step in `train_step.py`: a read
of a resource variable created under `tf.control_dependencies([d_step])` really happens after D's
update, whereas a ref variable is read through one shared `read` op that ignores later control deps.
"""
import collections
import functools

import tensorflow as tf

from tf1_gan import conv_ops
from tf1_gan import spectral_norm as sn

Z_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
LEAK = 0.2  # LeakyReLU slope of both reference implementations

# norm: None, "bn" or "sn" for each network. Batch norm hyper-parameters are per variant (see docs).
# conv: how the conv variants compute their convolutions - "subpixel" (conv_ops: every pass on TF's fast
# forward Conv2D kernel) or "tf" (tf.nn.conv2d / conv2d_transpose and TF's own gradients). Same function,
# same weights; get_variant resolves "auto" with conv_ops.default_impl. See docs/tf1_gan.md, Speed.
Variant = collections.namedtuple("Variant", "name arch g_norm d_norm bn_momentum bn_epsilon init conv")

VARIANTS = collections.OrderedDict([
    # The classic simple GAN with every normalization removed.
    ("linear", Variant("linear", "mlp", None, None, 0.9, 1e-3, "torch", "auto")),
    # PyTorch-GAN's BatchNorm1d(out, 0.8): eps=0.8 (the Keras original meant momentum=0.8); PyTorch's
    # momentum 0.1 is TF's 0.9. We keep the reference literally.
    ("linear_bn", Variant("linear_bn", "mlp", "bn", None, 0.9, 0.8, "torch", "auto")),
    ("dcgan_bn", Variant("dcgan_bn", "conv", "bn", "bn", 0.9, 1e-5, "torch", "auto")),
    # The seed's variant 4 read literally: every BN of dcgan_bn replaced by SN, in G and D.
    ("dcgan_sn", Variant("dcgan_sn", "conv", "sn", "sn", 0.9, 1e-5, "torch", "auto")),
])

# "all": the seed literally (SN replaces every BN, in G and D). "d": SN in D only, G keeps BN (Miyato et al.).
# "all_bn": SN on every layer of G and D, G also keeps its BN (SAGAN/BigGAN style) - see docs for why.
SN_SCOPES = ("all", "d", "all_bn")


INITS = ("torch", "he")
CONV_IMPLS = ("auto", "subpixel", "tf")


def get_variant(name, sn_scope="all", init="torch", bn_epsilon=0.0, conv="auto"):
    """The Variant for `name`; sn_scope="d" keeps G's batch norm and puts SN in D only (Miyato et al.).

    init: "torch" (PyTorch's default, as the reference) or "he" (variance-preserving for LeakyReLU).
    bn_epsilon: overrides the variant's batch-norm epsilon when > 0.
    conv: "subpixel" or "tf", how convolutions are computed (same results to float32 rounding); "auto"
      picks conv_ops.default_impl() for this TensorFlow build.

    Raises:
      ValueError: unknown variant or sn_scope, or sn_scope="d" on a variant without SN.
    """
    if name not in VARIANTS:
        raise ValueError("unknown variant %r (choose from %s)" % (name, ", ".join(VARIANTS)))
    if sn_scope not in SN_SCOPES:
        raise ValueError("unknown sn_scope %r (choose from %s)" % (sn_scope, ", ".join(SN_SCOPES)))
    if init not in INITS:
        raise ValueError("unknown init %r (choose from %s)" % (init, ", ".join(INITS)))
    if conv not in CONV_IMPLS:
        raise ValueError("unknown conv implementation %r (choose from %s)" % (conv, ", ".join(CONV_IMPLS)))
    variant = VARIANTS[name]._replace(init=init, conv=conv_ops.default_impl() if conv == "auto" else conv)
    if bn_epsilon > 0:
        variant = variant._replace(bn_epsilon=float(bn_epsilon))
    if sn_scope != "all":
        if variant.d_norm != "sn":
            raise ValueError("sn_scope=%r only applies to a variant with spectral norm, not %r" % (sn_scope, name))
        variant = variant._replace(g_norm="bn" if sn_scope == "d" else "sn+bn")
    return variant


def has_bn(norm):
    """Whether a network with this norm setting has batch norm layers (so two sampling modes exist)."""
    return norm in ("bn", "sn+bn")


def variant_from_config(cfg):
    """The Variant described by a run config mapping (keys missing in older configs take defaults)."""
    return get_variant(cfg["variant"], cfg.get("sn_scope", "all"), cfg.get("init", "torch"),
                       cfg.get("bn_epsilon", 0.0), cfg.get("conv_impl", "auto"))


def _initializer(init):
    """Default kernel initializer of a network's variable scope.

    "torch": PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (variance 1/(3 fan_in)), so the
    comparison with the PyTorch reference starts from the same distribution. It shrinks the signal by
    ~2.4x per LeakyReLU layer (see docs). "he": variance 2 / ((1 + 0.2^2) fan_in), which keeps it.
    """
    scale = 1.0 / 3.0 if init == "torch" else 2.0 / (1.0 + LEAK ** 2)
    return tf.variance_scaling_initializer(scale=scale, mode="fan_in", distribution="uniform")


def _kernel(shape, use_sn, update_sn):
    kernel = tf.get_variable("kernel", shape=shape)  # the network scope's initializer
    if not use_sn:
        return kernel
    kernel, sigma = sn.spectral_norm(kernel, training=update_sn)
    tf.add_to_collection(sn.SN_SIGMAS, sigma)
    return kernel


def _bias(units, use_bias):
    return tf.get_variable("bias", shape=[units], initializer=tf.zeros_initializer()) if use_bias else 0.0


def linear(x, units, name, use_sn=False, update_sn=False, use_bias=True):
    """Dense layer (B, D) -> (B, units), optionally spectrally normalized."""
    with tf.variable_scope(name):
        kernel = _kernel([x.shape.as_list()[-1], units], use_sn, update_sn)  # (D, units)
        return tf.matmul(x, kernel) + _bias(units, use_bias)


def _subpixel(impl, transposed_channels):
    """Whether a layer takes conv_ops' path. Not when its transposed pass has a single channel: a phase
    convolution with s*s = 4 output columns is slower than TF's own kernel (measured, docs Speed)."""
    return impl == "subpixel" and transposed_channels > 1


def conv2d(x, filters, name, kernel_size=5, stride=2, use_sn=False, update_sn=False, use_bias=True, impl="tf"):
    """'SAME' convolution (B, H, W, C) -> (B, H/stride, W/stride, filters); impl: "tf" or "subpixel"."""
    with tf.variable_scope(name):
        channels = x.shape.as_list()[-1]
        kernel = _kernel([kernel_size, kernel_size, channels, filters], use_sn, update_sn)
        if _subpixel(impl, channels):  # the input gradient is the transposed pass
            y = conv_ops.conv2d(x, kernel, stride)
        else:
            y = tf.nn.conv2d(x, kernel, strides=[1, stride, stride, 1], padding="SAME")
        return y + _bias(filters, use_bias)


def deconv2d(x, filters, name, kernel_size=5, stride=2, use_sn=False, update_sn=False, use_bias=True,
             impl="tf"):
    """'SAME' transposed convolution (B, H, W, C) -> (B, H*stride, W*stride, filters); impl as conv2d."""
    with tf.variable_scope(name):
        # conv2d_transpose kernels are (kh, kw, out, in); SN reshapes to (-1, in) - same sigma.
        kernel = _kernel([kernel_size, kernel_size, filters, x.shape.as_list()[-1]], use_sn, update_sn)
        if _subpixel(impl, filters):
            return conv_ops.conv2d_transpose(x, kernel, stride) + _bias(filters, use_bias)
        b, h, w, _ = x.shape.as_list()
        batch = tf.shape(x)[0] if b is None else b
        y = tf.nn.conv2d_transpose(x, kernel, tf.stack([batch, h * stride, w * stride, filters]),
                                   strides=[1, stride, stride, 1], padding="SAME")
        y.set_shape([b, h * stride, w * stride, filters])
        return y + _bias(filters, use_bias)


def batch_norm(x, name, training, variant):
    """TF's own batch norm; its moving-average updates land in tf.GraphKeys.UPDATE_OPS."""
    return tf.layers.batch_normalization(x, momentum=variant.bn_momentum, epsilon=variant.bn_epsilon,
                                         training=training, name=name)


def _normed(x, layer, name, norm, training, variant, update_sn):
    """layer(x) followed by batch norm, or with spectrally normalized weights, both ("sn+bn"), or plain."""
    if norm in ("bn", "sn+bn"):
        y = layer(x, name=name, use_bias=False, use_sn=(norm == "sn+bn"), update_sn=update_sn)
        return batch_norm(y, "bn_" + name, training, variant)
    return layer(x, name=name, use_sn=(norm == "sn"), update_sn=update_sn)


def generator(z, variant, training, bn_training=None):
    """G: z (B, 100) -> images (B, 28, 28, 1) in [-1, 1].

    Args:
      z: float32 (B, Z_DIM).
      variant: a Variant.
      training: Python bool. True in the training step: batch statistics for BN (updates collected in
        UPDATE_OPS) and one SN power iteration. False: BN moving statistics, stored SN u.
      bn_training: overrides the BN mode only (e.g. sample with batch statistics without moving u).
    """
    bn_training = training if bn_training is None else bn_training
    norm = variant.g_norm
    use_sn = norm in ("sn", "sn+bn")  # for the layers that never have BN (first MLP layer, output layers)
    act = functools.partial(tf.nn.leaky_relu, alpha=LEAK)
    with tf.variable_scope("generator", reuse=tf.AUTO_REUSE, use_resource=True,
                           initializer=_initializer(variant.init)):
        if variant.arch == "mlp":
            # z(100) -> 128 -> 256 -> 512 -> 1024 -> 784; the first layer has no norm in the reference.
            h = act(linear(z, 128, "fc1", use_sn=use_sn, update_sn=training))  # (B, 128)
            for i, units in enumerate((256, 512, 1024), start=2):
                h = act(_normed(h, functools.partial(linear, units=units), "fc%d" % i, norm, bn_training,
                                variant, training))
            x = tf.tanh(linear(h, 784, "fc5", use_sn=use_sn, update_sn=training))  # (B, 784)
            return tf.reshape(x, [-1] + list(IMAGE_SHAPE))  # (B, 28, 28, 1)
        # DCGAN for native 28x28 (the TF DCGAN tutorial's shapes).
        h = act(_normed(z, functools.partial(linear, units=7 * 7 * 256), "fc", norm, bn_training,
                        variant, training))  # (B, 12544)
        h = tf.reshape(h, [-1, 7, 7, 256])  # (B, 7, 7, 256)
        deconv = functools.partial(deconv2d, impl=variant.conv)
        h = act(_normed(h, functools.partial(deconv, filters=128, stride=1), "deconv1", norm,
                        bn_training, variant, training))  # (B, 7, 7, 128)
        h = act(_normed(h, functools.partial(deconv, filters=64, stride=2), "deconv2", norm,
                        bn_training, variant, training))  # (B, 14, 14, 64)
        x = deconv(h, 1, "deconv3", stride=2, use_sn=use_sn, update_sn=training)  # (B, 28, 28, 1)
        return tf.tanh(x)


def discriminator(images, variant, training, update_sn=None):
    """D: images (B, 28, 28, 1) -> logits (B, 1).

    Args:
      images: float32 (B, 28, 28, 1) in [-1, 1].
      variant: a Variant.
      training: Python bool, BN mode (batch statistics + UPDATE_OPS when True).
      update_sn: Python bool, whether this pass runs the SN power iteration (defaults to `training`).
        One step calls D three times; only one of them may move u (see train_step.py).
    """
    update_sn = training if update_sn is None else update_sn
    norm = variant.d_norm
    use_sn = norm == "sn"
    act = functools.partial(tf.nn.leaky_relu, alpha=LEAK)
    with tf.variable_scope("discriminator", reuse=tf.AUTO_REUSE, use_resource=True,
                           initializer=_initializer(variant.init)):
        if variant.arch == "mlp":
            h = tf.reshape(images, [-1, 784])  # (B, 784): the reference MLP flattens
            h = act(linear(h, 512, "fc1", use_sn=use_sn, update_sn=update_sn))  # (B, 512)
            h = act(linear(h, 256, "fc2", use_sn=use_sn, update_sn=update_sn))  # (B, 256)
            return linear(h, 1, "fc3", use_sn=use_sn, update_sn=update_sn)  # (B, 1)
        conv = functools.partial(conv2d, impl=variant.conv)
        h = act(conv(images, 64, "conv1", use_sn=use_sn, update_sn=update_sn))  # (B, 14, 14, 64)
        h = act(_normed(h, functools.partial(conv, filters=128), "conv2", norm, training, variant,
                        update_sn))  # (B, 7, 7, 128)
        h = tf.reshape(h, [-1, 7 * 7 * 128])  # (B, 6272)
        return linear(h, 1, "fc", use_sn=use_sn, update_sn=update_sn)  # (B, 1)


def split_variables(variables=None):
    """(generator vars, discriminator vars) of the trainable variables; asserts a clean split.

    Raises:
      ValueError: if a variable belongs to neither scope (or to both), or one side is empty.
    """
    variables = tf.trainable_variables() if variables is None else variables
    g_vars = [v for v in variables if v.op.name.startswith("generator/")]
    d_vars = [v for v in variables if v.op.name.startswith("discriminator/")]
    stray = [v.op.name for v in variables if (v in g_vars) == (v in d_vars)]
    if stray or not g_vars or not d_vars:
        raise ValueError("variables not split into generator/ and discriminator/: stray=%s, |G|=%d, |D|=%d"
                         % (stray, len(g_vars), len(d_vars)))
    return g_vars, d_vars
