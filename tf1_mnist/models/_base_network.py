"""Shared pieces of the CS7643 models (skeleton: models/_base_network.py), as TF1 graph functions.

The activation/loss/accuracy functions take and return tensors (numpy inputs are converted), so the same
functions build the models' graphs and are checked against known values in the tests. `_baseNetwork` builds a
model's static graph once — placeholders for X and y, weight variables, the forward pass, the *hand-derived*
gradients (no `tf.gradients`), the SGD assign ops — finalizes it, and owns the session that runs it, so the
course's calling code (`loss, acc = model.forward(x, y)`; `optimizer.update(model)`) works unchanged.
"""
import collections

import numpy as np
import tensorflow as tf

from tf1_mnist.optimizer import _base_optimizer, sgd

INIT_SEED = 1024  # the skeleton seeds numpy with 1024 before drawing each weight matrix
INIT_SCALE = 0.001  # W = 0.001 * randn(...)


def sigmoid(X):
    """Element-wise 1 / (1 + exp(-X)); exp(-X) = inf for very negative X gives exactly 0, not NaN."""
    X = tf.convert_to_tensor(X)
    return 1.0 / (1.0 + tf.exp(-X))


def sigmoid_dev(x):
    """d sigmoid / dx = s (1 - s)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def ReLU(X):  # pylint: disable=invalid-name  (skeleton name)
    """Element-wise max(X, 0)."""
    X = tf.convert_to_tensor(X)
    return tf.maximum(X, tf.zeros_like(X))


def ReLU_dev(X):  # pylint: disable=invalid-name
    """1 where X > 0 else 0 (the subgradient 0 at X = 0, like `tf.nn.relu`'s gradient)."""
    X = tf.convert_to_tensor(X)
    return tf.cast(X > 0, X.dtype)


def softmax(scores):
    """Row-wise softmax of (N, C) scores; subtracting the row max keeps exp() from overflowing."""
    scores = tf.convert_to_tensor(scores)
    shifted = scores - tf.reduce_max(scores, axis=1, keepdims=True)  # (N, C), max entry 0
    exps = tf.exp(shifted)
    return exps / tf.reduce_sum(exps, axis=1, keepdims=True)


def cross_entropy_loss(x_pred, y):
    """Mean over the batch of -log p[y]: x_pred (N, C) probabilities, y (N,) integer labels."""
    x_pred = tf.convert_to_tensor(x_pred)
    onehot = tf.one_hot(tf.cast(tf.convert_to_tensor(y), tf.int32), tf.shape(x_pred)[1], dtype=x_pred.dtype)
    picked = tf.reduce_sum(x_pred * onehot, axis=1)  # (N,) = x_pred[i, y[i]]
    # The floor only matters when a probability underflows to 0 (e.g. a diverging lr = 1 run): it turns
    # log(0) = -inf into a large finite loss.
    tiny = np.finfo(x_pred.dtype.as_numpy_dtype).tiny
    return -tf.reduce_mean(tf.log(tf.maximum(picked, tiny)))


def compute_accuracy(x_pred, y):
    """Fraction of rows whose argmax equals the label."""
    x_pred = tf.convert_to_tensor(x_pred)
    y = tf.cast(tf.convert_to_tensor(y), tf.int64)
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(x_pred, axis=1), y), x_pred.dtype))


def softmax_ce_grad(probs, y):
    """d mean_i(-log softmax(z_i)[y_i]) / dz = (softmax(z) - onehot(y)) / N; shapes (N, C)."""
    num_classes = tf.shape(probs)[1]
    onehot = tf.one_hot(tf.cast(y, tf.int32), num_classes, dtype=probs.dtype)
    batch = tf.cast(tf.shape(probs)[0], probs.dtype)
    return (probs - onehot) / batch


ModelOps = collections.namedtuple("ModelOps", [
    "X", "y", "learning_rate", "reg",          # placeholders
    "weights", "gradients", "best",            # OrderedDicts name -> tf.Variable
    "probs", "loss", "accuracy",               # forward pass
    "hand_gradients",                          # OrderedDict name -> hand-derived dL/dname tensor
    "store_gradients", "regularize", "sgd_step", "save_best", "load_best", "init"])


class _baseNetwork(object):  # pylint: disable=invalid-name  (skeleton name)
    """Base class: builds the graph once in `__init__`, then only runs prebuilt ops.

    Subclasses define `_initial_weights()` (OrderedDict of numpy arrays) and
    `_forward_backward(X, y, weights) -> (probs, hand_gradients)`.
    """

    def __init__(self, input_size=28 * 28, num_classes=10, dtype=tf.float32, checkpoint_dir=None, threads=2):
        self.input_size = input_size
        self.num_classes = num_classes
        self.dtype = tf.as_dtype(dtype)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.ops = self._build_graph()
            self.checkpointer = None
            if checkpoint_dir is not None:
                from common import training  # deferred: plain model use needs no run dir
                self.checkpointer = training.Checkpointer(checkpoint_dir)
        self.graph.finalize()
        config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
        self.session = tf.Session(graph=self.graph, config=config)
        self.session.run(self.ops.init)

    # The course's helpers, as methods too (the skeleton calls them as self.sigmoid(...), etc.).
    sigmoid = staticmethod(sigmoid)
    sigmoid_dev = staticmethod(sigmoid_dev)
    ReLU = staticmethod(ReLU)
    ReLU_dev = staticmethod(ReLU_dev)
    softmax = staticmethod(softmax)
    cross_entropy_loss = staticmethod(cross_entropy_loss)
    compute_accuracy = staticmethod(compute_accuracy)

    def _initial_weights(self):
        raise NotImplementedError

    def _forward_backward(self, X, y, weights):
        raise NotImplementedError

    def _build_graph(self):
        X = tf.placeholder(self.dtype, (None, self.input_size), name="X")  # (N, 784)
        y = tf.placeholder(tf.int64, (None,), name="y")  # (N,)
        learning_rate = tf.placeholder(self.dtype, (), name="learning_rate")
        reg = tf.placeholder(self.dtype, (), name="reg")
        initial = self._initial_weights()

        def variables(scope, trainable, values):
            with tf.variable_scope(scope):
                return collections.OrderedDict(
                    (name, tf.get_variable(name, initializer=tf.constant(values(value), dtype=self.dtype),
                                           trainable=trainable))
                    for name, value in initial.items())

        # No variable is trained by a TF optimizer (the SGD is our own assign ops), but `trainable=True`
        # marks the parameters, so `tf.gradients(loss, tf.trainable_variables())` checks them in tests.
        weights = variables("weights", True, lambda v: v)
        gradients = variables("gradients", False, np.zeros_like)
        best = variables("best", False, lambda v: v)  # the best-validation copy main.py tests with
        probs, hand = self._forward_backward(X, y, weights)
        loss = cross_entropy_loss(probs, y)
        accuracy = compute_accuracy(probs, y)
        store = tf.group(*[tf.assign(gradients[k], hand[k]) for k in weights], name="store_gradients")
        regularize = tf.group(*_base_optimizer.build_regularization(weights, gradients, reg).values(),
                              name="regularize")
        sgd_step = sgd.build_update(weights, gradients, learning_rate, reg)
        save_best = tf.group(*[tf.assign(best[k], weights[k]) for k in weights], name="save_best")
        load_best = tf.group(*[tf.assign(weights[k], best[k]) for k in weights], name="load_best")
        return ModelOps(X=X, y=y, learning_rate=learning_rate, reg=reg, weights=weights, gradients=gradients,
                        best=best, probs=probs, loss=loss, accuracy=accuracy, hand_gradients=hand,
                        store_gradients=store, regularize=regularize, sgd_step=sgd_step, save_best=save_best,
                        load_best=load_best, init=tf.global_variables_initializer())

    def forward(self, X, y, mode="train"):
        """Runs the graph on a batch; returns (loss, accuracy) as floats.

        Args:
          X: (N, input_size) array, pixels in [0, 1].
          y: (N,) integer labels.
          mode: "train" also stores the batch-mean gradients into `self.gradients`; anything else only evaluates.
        """
        feed = {self.ops.X: np.asarray(X).reshape(-1, self.input_size), self.ops.y: np.asarray(y)}
        fetches = [self.ops.loss, self.ops.accuracy]
        if mode == "train":
            fetches.append(self.ops.store_gradients)
        loss, accuracy = self.session.run(fetches, feed)[:2]
        return float(loss), float(accuracy)

    def predict(self, X):
        """(N, num_classes) class probabilities."""
        return self.session.run(self.ops.probs, {self.ops.X: np.asarray(X).reshape(-1, self.input_size)})

    def run_op(self, name, learning_rate=None, reg=None):
        """Runs one of the prebuilt ops by name (`regularize`, `sgd_step`, `save_best`, `load_best`)."""
        feed = {}
        if learning_rate is not None:
            feed[self.ops.learning_rate] = learning_rate
        if reg is not None:
            feed[self.ops.reg] = reg
        self.session.run(getattr(self.ops, name), feed)

    def _read(self, variables):
        values = self.session.run(variables)
        for value in values.values():
            value.flags.writeable = False  # in-place edits of a copy would silently not reach the graph
        return values

    @property
    def weights(self):
        """OrderedDict name -> read-only numpy copy of the weights."""
        return self._read(self.ops.weights)

    @property
    def gradients(self):
        """OrderedDict name -> read-only numpy copy of the stored gradients (same keys as `weights`)."""
        return self._read(self.ops.gradients)

    def close(self):
        self.session.close()
