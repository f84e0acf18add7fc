"""Spectral normalization written from Algorithm 1 of Miyato et al. 2018 (appendix A).

W_SN = W / sigma(W), where sigma(W) is the largest singular value of W, estimated by power iteration
with a persistent ("recycled") vector u: one iteration per training step is enough because W moves
slowly between steps.

Layout. TF kernels are (in, out) for dense and (kh, kw, in, out) for conv2d (conv2d_transpose:
(kh, kw, out, in)). The paper's W is (d_out, d_in), i.e. the transpose. We reshape every kernel to
W_mat = reshape(w, (-1, w.shape[-1])) of shape (K, C) and keep u on the C side (size C = last kernel
dimension), like the paper's u, which lives on W's output side. sigma of a matrix equals sigma of its
transpose, so the layout only decides which side u lives on; we are consistent about it.

Per training step (paper notation mapped onto W_mat):
    v     = normalize(W_mat u)           # (K,)  paper: v = W^T u / ||W^T u||
    u_new = normalize(W_mat^T v)         # (C,)  paper: u = W v / ||W v||
    sigma = v^T W_mat u_new              # paper: sigma = u^T W v
u and v are wrapped in tf.stop_gradient, so the gradient flows through W inside sigma only (the
paper's gradient: dL/dW_SN / sigma - (...) u v^T term). The kernel variable itself is never assigned
(assigning W <- W / sigma would break the gradient; tensorflow/addons #1244).

State. u and v are non-trainable variables stored beside the kernel (PyTorch keeps both too). With
`training=True` the step's (u_new, v) are assigned and sigma uses them; with `training=False` sigma =
v^T W_mat u from the stored pair and nothing is assigned. Consequence we rely on in `model.py`: a
second D pass built after the update has run (control dependency) gets exactly the same sigma as the
training pass, so one step can call D several times while u moves once.

Note: the spectral norm of the reshaped kernel is not the Lipschitz constant of the convolution as an
operator on images (pytorch #99149); it bounds it only up to a factor depending on kernel size and
stride. SN-GAN uses it anyway; so do we.
"""
import tensorflow as tf

# Graph collection holding every u/v assign op built with training=True (model.py runs them once).
SN_UPDATE_OPS = "spectral_norm_update_ops"
# Graph collection of (layer_name, sigma) summaries: one scalar sigma tensor per SN layer and call.
SN_SIGMAS = "spectral_norm_sigmas"

_EPS = 1e-12


def _l2_normalize(x):
    # tf.nn.l2_normalize divides by sqrt(max(sum x^2, eps)); a zero vector stays zero instead of NaN.
    return tf.nn.l2_normalize(x, axis=-1, epsilon=_EPS)


def _warm_start(w_mat, num_iterations):
    """Initial (u, v) from `num_iterations` power iterations on a random u.

    A random u underestimates sigma badly on the first steps; PyTorch runs 15 iterations at init and
    compare_gan reports ~20 steps to converge, so we warm up inside the initializer.
    """
    c = w_mat.shape.as_list()[-1]
    u = _l2_normalize(tf.random_normal([1, c], name="u0"))  # (1, C)
    v = _l2_normalize(tf.matmul(u, w_mat, transpose_b=True))  # (1, K)
    for _ in range(num_iterations):
        v = _l2_normalize(tf.matmul(u, w_mat, transpose_b=True))  # (1, K)
        u = _l2_normalize(tf.matmul(v, w_mat))  # (1, C)
    return u, v


def spectral_norm(w, training, name="spectral_norm", warmup_iterations=20):
    """Divides a kernel by its largest singular value, estimated by one recycled power iteration.

    Args:
      w: kernel tensor or variable of rank >= 2, static shape; (..., C) with C the last dimension.
      training: Python bool or scalar bool tensor. True: run one power iteration, assign the new u and
        v (evaluating the returned `w_sn` runs the assign), and use them. False: use the stored u, v;
        nothing is assigned, so sampling and evaluation never move u.
      name: variable scope for u and v (created with tf.get_variable, so reuse follows the caller's scope).
      warmup_iterations: power iterations run inside u's initializer when `w` is a variable, from the
        kernel's initial value (0 disables; a plain tensor gets a random unit u).

    Returns:
      (w_sn, sigma): w_sn has w's shape and dtype; sigma is a scalar float32 tensor.

    Raises:
      ValueError: if w has rank < 2 or an unknown static shape.
    """
    shape = w.shape.as_list()
    if len(shape) < 2 or any(d is None for d in shape):
        raise ValueError("spectral_norm needs a kernel of static rank >= 2, got shape %s" % (shape,))
    with tf.variable_scope(name):
        w_mat = tf.reshape(w, [-1, shape[-1]])  # (K, C)
        warm = {}

        def _initial(index):
            # Called by tf.get_variable only when it creates u / v, so a reused scope (D's second and
            # third pass, sampling) builds no warm-up ops; u and v share one warm-up chain.
            def initializer(*_, **__):
                if not warm:
                    if isinstance(w, tf.Variable) and warmup_iterations > 0:
                        # initial_value is the kernel's initializer tensor: in the init run it is evaluated
                        # once and feeds both the kernel and this warm-up, so u starts aligned with it.
                        warm["uv"] = _warm_start(tf.reshape(w.initial_value, [-1, shape[-1]]), warmup_iterations)
                    else:
                        warm["uv"] = _warm_start(w_mat, 0)
                return warm["uv"][index]
            return initializer

        u = tf.get_variable("u", [1, shape[-1]], initializer=_initial(0), trainable=False)  # (1, C)
        v = tf.get_variable("v", [1, w_mat.shape.as_list()[0]], initializer=_initial(1), trainable=False)  # (1, K)

        def _train_branch():
            # Reading u inside the branch keeps the read ordered with the assign below.
            v_new = tf.stop_gradient(_l2_normalize(tf.matmul(u.read_value(), w_mat, transpose_b=True)))
            u_new = tf.stop_gradient(_l2_normalize(tf.matmul(v_new, w_mat)))
            update = tf.group(tf.assign(u, u_new, name="update_u"), tf.assign(v, v_new, name="update_v"),
                              name="update")
            if isinstance(training, bool):
                # Ops inside a tf.cond branch cannot be run from outside it; only the static case is
                # collected (a bool tensor already ties the update to evaluating w_sn).
                tf.add_to_collection(SN_UPDATE_OPS, update)
            with tf.control_dependencies([update]):
                return tf.reduce_sum(tf.matmul(v_new, w_mat) * u_new)

        def _eval_branch():
            u_s = tf.stop_gradient(u.read_value())
            v_s = tf.stop_gradient(v.read_value())
            return tf.reduce_sum(tf.matmul(v_s, w_mat) * u_s)

        if isinstance(training, bool):
            sigma = _train_branch() if training else _eval_branch()
        else:
            sigma = tf.cond(training, _train_branch, _eval_branch)
        sigma = tf.identity(sigma, name="sigma")
        w_sn = tf.identity(w / sigma, name="w_sn")
    return w_sn, sigma
