"""Euclidean message passing network (seed 003, part V) as TF 1.15 graph modules.

Three modules, each configured once and then called like a function (Sonnet v1 style):

  * `PointwiseConvolutionLayer(N, F, F_prime)`: f'_j = psi(f_bar_j), psi = MLP F -> 128 (softplus) -> F',
    shared over particles (seed eq. 2).
  * `MessagePassingLayer(N, F)`: d_ij = |r_i - r_j|, d' = phi(d) with phi = MLP 1 -> 128 (softplus) -> F
    shared over all entries, f_bar_jk = rho(sum_i d'_jik f_ik) with rho = softplus (seed eq. 1).
  * `PropertyPredictor(N, F, F_prime=1)`: point-wise embedding, residual blocks of message passing +
    point-wise convolution, point-wise readout, sum over particles -> (B, F_prime).

The first call of a module creates its variables under its own variable scope; every later call reuses
them (a second call creating a variable is an error, not a silent copy).
"""
import collections
import math

import tensorflow as tf

HIDDEN_UNITS = 128  # the seed fixes one hidden layer of 128 units for both phi and psi


class Module(object):
    """Base class: owns a variable scope, builds variables on the first call, reuses them afterwards."""

    def __init__(self, name):
        # Entering with default_name uniquifies the scope ("message_passing", "message_passing_1", ...)
        # once, at construction; later calls re-enter the captured scope object.
        with tf.variable_scope(None, default_name=name) as scope:
            self._scope = scope
        self._connected = False

    @property
    def scope_name(self):
        return self._scope.name

    @property
    def variables(self):
        """The module's global variables (empty before the first call)."""
        return tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, scope=self._scope.name + "/")

    @property
    def trainable_variables(self):
        return tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope=self._scope.name + "/")

    def __call__(self, *args, **kwargs):
        with tf.variable_scope(self._scope, reuse=self._connected):
            out = self._build(*args, **kwargs)
        self._connected = True
        return out

    def _build(self, *args, **kwargs):
        raise NotImplementedError


def dense(x, units, name, activation=None, kernel_initializer=None, bias_initializer=None):
    """A fully connected layer over the last axis of `x` (any rank >= 2).

    Args:
      x: float tensor (..., F_in) with a static last dimension.
      units: output width F_out.
      name: variable scope of the layer; variables are `<name>/kernel` (F_in, F_out) and `<name>/bias`.
      activation: optional elementwise function.
      kernel_initializer: defaults to Glorot uniform.

    Returns:
      (..., F_out) tensor.
    """
    fan_in = x.shape[-1].value
    if fan_in is None:
        raise ValueError("dense layer %r needs a static last dimension, got shape %s" % (name, x.shape))
    with tf.variable_scope(name):
        kernel = tf.get_variable("kernel", [fan_in, units], tf.float32,
                                 initializer=kernel_initializer or tf.glorot_uniform_initializer())
        bias = tf.get_variable("bias", [units], tf.float32, initializer=bias_initializer or tf.zeros_initializer())
        # tensordot contracts only the last axis, so the same weights act on every particle / pair.
        y = tf.tensordot(x, kernel, axes=[[x.shape.ndims - 1], [0]]) + bias
        return activation(y) if activation is not None else y


def shifted_softplus(x):
    """softplus(x) - log 2: zero at zero. The same function class as softplus inside an MLP (the next
    layer's bias absorbs the constant), but activations start centred instead of at 0.69 everywhere."""
    return tf.nn.softplus(x) - math.log(2.0)


def mlp(x, units, out_units, name, hidden_initializer=None, output_initializer=None, hidden_bias=None,
        activation=tf.nn.softplus):
    """One hidden layer with softplus (the seed's choice for phi and psi), linear output."""
    with tf.variable_scope(name):
        hidden = dense(x, units, "hidden", activation=activation, kernel_initializer=hidden_initializer,
                       bias_initializer=hidden_bias)
        return dense(hidden, out_units, "output", kernel_initializer=output_initializer)


def pairwise_distances(r):
    """All pairwise Euclidean distances, like `torch.cdist(r, r)`.

    The diagonal is exactly zero, and the square root is guarded so its gradient there is zero rather
    than NaN (d/dx sqrt(x) is infinite at 0, and 0 * inf = NaN would poison the backward pass).

    Args:
      r: positions (B, N, 3).

    Returns:
      d: (B, N, N), d[b, i, j] = |r[b, i] - r[b, j]|.
    """
    diff = r[:, :, None, :] - r[:, None, :, :]                  # (B, N, N, 3)
    sq = tf.reduce_sum(tf.square(diff), axis=-1)                 # (B, N, N), >= 0 exactly
    positive = sq > 0.0
    safe = tf.where(positive, sq, tf.ones_like(sq))
    return tf.where(positive, tf.sqrt(safe), tf.zeros_like(sq))


def _check_rank3(tensor, n, last, what, layer):
    """Raises ValueError unless `tensor` is (B, n, last); a dynamic particle axis is accepted."""
    shape = tensor.shape
    if (shape.ndims != 3 or shape[-1].value != last
            or (shape[1].value is not None and shape[1].value != n)):
        raise ValueError("%s expects %s of shape (B, %d, %d), got %s" % (layer, what, n, last, shape))


class PointwiseConvolutionLayer(Module):
    """f'_j = psi(f_bar_j): the same MLP psi (F -> 128 softplus -> F') applied to every particle (eq. 2)."""

    def __init__(self, N, F, F_prime, hidden_units=HIDDEN_UNITS, output_initializer=None,
                 activation=tf.nn.softplus, name="pointwise_convolution"):
        super(PointwiseConvolutionLayer, self).__init__(name)
        self.N, self.F, self.F_prime, self.hidden_units = N, F, F_prime, hidden_units
        self.output_initializer, self.activation = output_initializer, activation

    def _build(self, f_bar_batch):
        """Args: f_bar_batch (B, N, F). Returns: (B, N, F')."""
        _check_rank3(f_bar_batch, self.N, self.F, "f_bar_batch", type(self).__name__)
        return mlp(f_bar_batch, self.hidden_units, self.F_prime, "psi", output_initializer=self.output_initializer,
                   activation=self.activation)


def gaussian_expansion(d, cutoff, num_centres):
    """exp(-gamma (d - mu_k)^2) for `num_centres` centres mu_k evenly spaced on [0, cutoff]: (..., K).

    gamma = 1 / (2 * spacing^2), so neighbouring Gaussians cross at half height.
    """
    centres = tf.linspace(0.0, float(cutoff), num_centres)                # (K,)
    spacing = float(cutoff) / (num_centres - 1)
    return tf.exp(-0.5 / spacing ** 2 * tf.square(d[..., None] - centres))


def cosine_cutoff(d, cutoff):
    """0.5 (cos(pi d / cutoff) + 1) for d < cutoff, else 0: smooth, 1 at d = 0, 0 (with slope 0) at the cutoff."""
    return tf.where(d < cutoff, 0.5 * (tf.cos(math.pi * d / cutoff) + 1.0), tf.zeros_like(d))


class MessagePassingLayer(Module):
    """f_bar_jk = softplus(sum_i phi(d_ji)_k f_ik), phi: 1 -> 128 (softplus) -> F shared over pairs (eq. 1).

    Two options for real molecules (off by default, so the synthetic path is unchanged): `expansion`
    ("gaussian": phi's input is the distance expanded on K Gaussians, phi = MLP K -> 128 -> F) and
    `cutoff` (phi's output times a cosine cutoff, so atoms farther apart than `cutoff` do not interact).
    With a `mask`, padded atoms send nothing (their features are zeroed before the sum) and receive
    nothing (their output rows are zeroed).
    """

    def __init__(self, N, F, hidden_units=HIDDEN_UNITS, phi_slope=7.0, expansion=None, cutoff=None,
                 num_centres=32, table_size=None, activation=tf.nn.softplus, name="message_passing"):
        """phi_slope=None: plain Glorot initialisation of phi (the first version, kept to compare).

        table_size: None evaluates phi on every pair (the exam's layer). An int G > 1 (needs `cutoff`)
        evaluates phi once per step on G distances evenly spaced on [0, cutoff] and interpolates linearly
        between them for every pair: phi is a function of one number, so the MLP's cost no longer grows
        with B * N * N (see `tabulated`).
        """
        super(MessagePassingLayer, self).__init__(name)
        if expansion not in (None, "gaussian"):
            raise ValueError("expansion must be None or 'gaussian', got %r" % (expansion,))
        if (expansion is not None or table_size is not None) and cutoff is None:
            raise ValueError("a Gaussian expansion or a phi table needs a cutoff (the range of distances)")
        if table_size is not None and table_size < 2:
            raise ValueError("table_size must be >= 2, got %r" % (table_size,))
        self.N, self.F, self.hidden_units, self.phi_slope = N, F, hidden_units, phi_slope
        self.expansion, self.cutoff, self.num_centres = expansion, cutoff, num_centres
        self.table_size, self.activation = table_size, activation

    def phi(self, d):
        """phi(d) (times the cosine cutoff if there is one): (...) distances -> (..., F)."""
        if self.expansion == "gaussian":
            # phi on a smooth basis of the distance (SchNet's choice); the basis is fixed, phi's MLP is
            # the exam's, one hidden layer of 128 softplus units. Glorot init: the inputs are already spread.
            d_prime = mlp(gaussian_expansion(d, self.cutoff, self.num_centres), self.hidden_units, self.F,
                          "phi", activation=self.activation, output_initializer=tf.variance_scaling_initializer(1.0 / self.N, "fan_avg",
                                                                                     "uniform"))
        elif self.phi_slope is None:
            d_prime = mlp(d[..., None], self.hidden_units, self.F, "phi")       # (B, N, N, F)
        else:
            # Initialisation of phi (the layer still computes exactly eq. 1). Glorot averages fan-in 1 with
            # fan-out 128: slopes ~0.2 and zero biases put every hidden unit's kink at d = 0, so phi starts as
            # a near-linear function of d and the basis {softplus(w d)} is badly conditioned (fitting wells
            # from exponentials). Slopes up to `phi_slope` and biases spread over (-3, 0.5) * phi_slope put
            # the kinks -b/w of many units inside the distances that occur (about 0..5 length units), a
            # better-conditioned, spline-like basis.
            # The output starts small (1/N) because the sum over i adds N coherent terms.
            slope = self.phi_slope
            d_prime = mlp(d[..., None], self.hidden_units, self.F, "phi",        # (B, N, N, F)
                          hidden_initializer=tf.random_uniform_initializer(-slope, slope),
                          hidden_bias=tf.random_uniform_initializer(-3.0 * slope, 0.5 * slope),
                          output_initializer=tf.variance_scaling_initializer(1.0 / self.N ** 2, "fan_avg",
                                                                             "uniform"))
        if self.cutoff is not None:
            d_prime = d_prime * cosine_cutoff(d, self.cutoff)[..., None]
        return d_prime

    def tabulated(self, d):
        """phi(d) interpolated linearly from its values at G distances g_0 = 0, ..., g_{G-1} = cutoff.

        The table (G, F) is computed in the graph from phi's variables, so gradients reach them through
        the interpolation weights. Distances at or beyond the cutoff read the last entry, phi(cutoff) = 0.
        Error: at most h^2 / 8 * max|phi''| for the spacing h = cutoff / (G - 1).
        """
        size = self.table_size
        spacing = float(self.cutoff) / (size - 1)
        table = self.phi(tf.linspace(0.0, float(self.cutoff), size))         # (G, F)
        u = tf.minimum(d / spacing, float(size - 1))                          # (B, N, N) in [0, G-1]
        lower = tf.minimum(tf.cast(tf.floor(u), tf.int32), size - 2)          # left table index
        weight = (u - tf.cast(lower, tf.float32))[..., None]                  # (B, N, N, 1) in [0, 1]
        left, right = tf.gather(table, lower), tf.gather(table, lower + 1)    # (B, N, N, F) each
        return left + weight * (right - left)

    def _build(self, r_batch, f_batch, mask=None):
        """Args: r_batch (B, N, 3), f_batch (B, N, F), mask (B, N) float 1/0 or None. Returns: f_bar (B, N, F)."""
        _check_rank3(r_batch, self.N, 3, "r_batch", type(self).__name__)
        _check_rank3(f_batch, self.N, self.F, "f_batch", type(self).__name__)
        d = pairwise_distances(r_batch)                          # (B, N, N)
        d_prime = self.phi(d) if self.table_size is None else self.tabulated(d)  # (B, N, N, F)
        if mask is not None:
            f_batch = f_batch * mask[..., None]                  # padded atoms send nothing
        # sum over the neighbour index i: d'_{j,i,k} * f_{i,k}; the sum over i is what makes the layer
        # equivariant to permutations (any order of neighbours gives the same sum).
        messages = tf.reduce_sum(d_prime * f_batch[:, None, :, :], axis=2)  # (B, N, F)
        out = self.activation(messages)                          # rho
        if mask is not None:
            out = out * mask[..., None]                          # ... and receive nothing
        return out


class PropertyPredictor(Module):
    """One scalar (or F'-vector) per system, invariant to rotations, translations and permutations.

    embedding: h = psi_0(f)                                   (B, N, width)
    blocks:    h = h + psi_l(MP_l(r, h))  for l = 1..num_blocks (residual: a particle keeps its own
               features, which message passing alone mixes with its neighbours')
    readout:   y = sum_j psi_out(h)_j                         (B, F')

    Every stage before the sum treats particles identically and sees positions only through distances.

    layout="exam" is the exam's minimal answer instead (what `exam_torch.py` writes in PyTorch):
    y = sum_j psi(MP(r, f))_j with one MessagePassingLayer(N, F) on the input features and one
    PointwiseConvolutionLayer(N, F, F_prime); width, num_blocks and residual are then unused.
    """

    def __init__(self, N, F, F_prime=1, width=32, num_blocks=2, hidden_units=HIDDEN_UNITS,
                 residual=True, init="spread", expansion=None, cutoff=None, num_centres=32,
                 table_size=None, layout="blocks", shifted=False, name="property_predictor"):
        """init: "spread" (default, see MessagePassingLayer) or "glorot" (Glorot everywhere, random
        readout: the first version, which trained much worse; kept so the comparison can be rerun).
        expansion, cutoff, num_centres, table_size: passed to every MessagePassingLayer (None: the exam's phi).
        shifted: shifted softplus (softplus - log 2) for every nonlinearity instead of softplus."""
        if init not in ("spread", "glorot"):
            raise ValueError("init must be 'spread' or 'glorot', got %r" % (init,))
        if layout not in ("blocks", "exam"):
            raise ValueError("layout must be 'blocks' or 'exam', got %r" % (layout,))
        phi_slope = 7.0 if init == "spread" else None
        readout_init = tf.zeros_initializer() if init == "spread" else None
        super(PropertyPredictor, self).__init__(name)
        self.N, self.F, self.F_prime = N, F, F_prime
        self.residual, self.layout = residual, layout
        act = shifted_softplus if shifted else tf.nn.softplus
        if layout == "exam":
            with tf.variable_scope(self._scope):
                self.message_passing = MessagePassingLayer(N, F, hidden_units, phi_slope, expansion, cutoff,
                                                           num_centres, table_size, act)
                self.pointwise = PointwiseConvolutionLayer(N, F, F_prime, hidden_units,
                                                           output_initializer=readout_init, activation=act)
            return
        # Sub-modules are configured inside our scope so their variables nest under it.
        with tf.variable_scope(self._scope):
            self.embedding = PointwiseConvolutionLayer(N, F, width, hidden_units, activation=act, name="embedding")
            self.message_layers = [MessagePassingLayer(N, width, hidden_units, phi_slope, expansion, cutoff,
                                                       num_centres, table_size, act, name="message_passing_%d" % i)
                                   for i in range(num_blocks)]
            self.update_layers = [PointwiseConvolutionLayer(N, width, width, hidden_units, activation=act,
                                                            name="update_%d" % i)
                                  for i in range(num_blocks)]
            # Zero-initialised last layer: the prediction starts at 0, i.e. at the (standardised) mean,
            # instead of a random sum of N large terms; gradients still reach it through the kernel.
            self.readout = PointwiseConvolutionLayer(N, width, F_prime, hidden_units,
                                                     output_initializer=readout_init, activation=act,
                                                     name="readout")

    def _build(self, r_batch, f_batch, mask=None):
        """Args: r_batch (B, N, 3), f_batch (B, N, F), mask (B, N) float 1/0 or None (all real).

        Returns: (B, F_prime). With a mask, padded atoms take no part: they send and receive no messages
        and their readout is left out of the sum, so adding padded atoms changes nothing.
        """
        _check_rank3(r_batch, self.N, 3, "r_batch", type(self).__name__)
        _check_rank3(f_batch, self.N, self.F, "f_batch", type(self).__name__)
        if self.layout == "exam":
            per_particle = self.pointwise(self.message_passing(r_batch, f_batch, mask))   # (B, N, F')
            if mask is not None:
                per_particle = per_particle * mask[..., None]
            return tf.reduce_sum(per_particle, axis=1)
        h = self.embedding(f_batch)                              # (B, N, width)
        for message, update in zip(self.message_layers, self.update_layers):
            delta = update(message(r_batch, h, mask))            # (B, N, width)
            h = h + delta if self.residual else delta
        per_particle = self.readout(h)                           # (B, N, F')
        if mask is not None:
            per_particle = per_particle * mask[..., None]        # padded atoms are not in the sum
        return tf.reduce_sum(per_particle, axis=1)               # (B, F'): sum over particles


Predictions = collections.namedtuple("Predictions", "raw, energy")


def predict_energy(predictor, r_batch, f_batch, target_mean, target_std):
    """Network output in standardised units and mapped back to the target's units.

    Args:
      predictor: a `PropertyPredictor` with F_prime = 1.
      r_batch, f_batch: (B, N, 3) and (B, N, F).
      target_mean, target_std: scalar tensors (training-split statistics of the target).

    Returns:
      Predictions(raw (B,), energy (B,)).
    """
    raw = predictor(r_batch, f_batch)[:, 0]                      # (B,)
    return Predictions(raw=raw, energy=raw * target_std + target_mean)
