"""Shared pieces of the CS7643 models (skeleton: models/_base_network.py): TF1 graph functions and the
NumPy-facing base class.

Two faces, one engine:
  * graph side: the module-level functions (`sigmoid`, `softmax`, `cross_entropy_loss`, ...) take and return
    tensors; they build every model's graph. `_baseNetwork.__init__` builds that graph once — placeholders,
    float64 variables `weights/*`, `gradients/*`, `best/*`, the forward pass, the *hand-derived* gradients
    (no `tf.gradients`), the regularization and SGD assign ops, and the NumPy-facing helper ops below —
    finalizes it and opens the session that runs it.
  * NumPy side (the course's contract): `model.sigmoid(x)`, `model.softmax(x)`,
    `model.cross_entropy_loss(p, y)`, ... take NumPy arrays and return float64 arrays or Python floats (they
    run the same graph functions through prebuilt ops); `model.forward(X, y, mode)` returns Python floats;
    `model.weights` and `model.gradients` are dicts of float64 NumPy arrays (`ParamDict`) backed by the
    variables: what a caller assigns into them (or edits in place) is what the next graph call uses, and what
    a graph call writes is what they show afterwards.

The file is longer than the suite's 400-line limit on purpose: the course's layout fixes the files of `models/`
(the submission zip holds exactly the skeleton's), so the skeleton's helpers, `ParamDict` and the base class
cannot move to a module of their own.
"""
import collections
import collections.abc
import contextlib
import importlib
import logging

import numpy as np
import tensorflow as tf


def _sibling(module):
    """Imports `module` (e.g. "optimizer.sgd") next to this package, in either layout.

    In the repository this package is `tf1_mnist.models`; in the course layout (tests run from the assignment
    folder, `import models.softmax_regression`) it is the top-level `models`. Importing the sibling through
    the same parent keeps one copy of every module per layout.
    """
    parent = __package__.rpartition(".")[0]
    return importlib.import_module(parent + "." + module if parent else module)


_base_optimizer = _sibling("optimizer._base_optimizer")
sgd = _sibling("optimizer.sgd")

DTYPE = tf.float64  # the course's NumPy reference is float64; its tests compare to 7 decimal places
INIT_SEED = 1024  # the skeleton calls np.random.seed(1024) before drawing each weight matrix
INIT_SCALE = 0.001  # W = 0.001 * randn(...)
RUNNABLE_OPS = ("regularize", "sgd_step", "save_best", "load_best")  # model.run_op(name, ...)


@contextlib.contextmanager
def _quiet_tf_logging():
    """TF 1.15 logs a deprecation WARNING per `tf.placeholder`-style name on first use; the course grades
    silence, so model construction hides them (only for its own duration; the caller's logging is restored)."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


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


Helpers = collections.namedtuple("Helpers", [
    "x", "scores", "probs", "labels",  # placeholders: any-shape x, (N, C) scores and probabilities, (N,) labels
    "sigmoid", "sigmoid_dev", "ReLU", "ReLU_dev", "softmax", "cross_entropy_loss", "compute_accuracy"])

ModelOps = collections.namedtuple("ModelOps", [
    "X", "y", "learning_rate", "reg",          # placeholders
    "weights", "gradients", "best",            # OrderedDicts name -> tf.Variable
    "probs", "loss", "accuracy",               # forward pass
    "hand_gradients",                          # OrderedDict name -> hand-derived dL/dname tensor
    "store_gradients", "regularize", "sgd_step", "save_best", "load_best",
    "assign_values", "assign",                 # group -> name -> placeholder / assign op (NumPy -> variable)
    "helpers", "init"])


def _build_helpers():
    """The course's helper functions as ops on placeholders, so the methods can take NumPy arrays."""
    x = tf.placeholder(DTYPE, None, name="x")
    scores = tf.placeholder(DTYPE, (None, None), name="scores")
    probs = tf.placeholder(DTYPE, (None, None), name="probs")
    labels = tf.placeholder(tf.int64, (None,), name="labels")
    return Helpers(x=x, scores=scores, probs=probs, labels=labels, sigmoid=sigmoid(x), sigmoid_dev=sigmoid_dev(x),
                   ReLU=ReLU(x), ReLU_dev=ReLU_dev(x), softmax=softmax(scores),
                   cross_entropy_loss=cross_entropy_loss(probs, labels),
                   compute_accuracy=compute_accuracy(probs, labels))


class ParamDict(collections.abc.MutableMapping):
    """`model.weights` / `model.gradients`: name -> float64 NumPy array, backed by the model's variables.

    Reading a key fetches the variable once and caches the array; assigning a key stores the caller's array
    (shape-checked). Every array handed out or assigned is pushed into its variable before the model's next
    graph call (so in-place edits count too), and a graph call that writes a variable drops its cached
    array, so the next read shows the new value. Keys are fixed: they are the model's parameters.
    """

    def __init__(self, model, group):
        self._model = model
        self._group = group
        self._variables = getattr(model.ops, group)
        self._cache = {}
        self._dirty = set()

    def _label(self, name):
        return "model.%s[%r]" % (self._group, name)

    def _value(self, name):
        if name not in self._variables:
            raise KeyError("%s: no such parameter (keys: %s)" % (self._label(name), ", ".join(self._variables)))
        if name not in self._cache:
            self._cache[name] = self._model.session.run(self._variables[name])
        return self._cache[name]

    def __getitem__(self, name):
        value = self._value(name)
        self._dirty.add(name)  # the caller holds the array and may edit it in place
        return value

    def __contains__(self, name):
        return name in self._variables

    def __setitem__(self, name, value):
        if name not in self._variables:
            raise KeyError("%s: no such parameter (keys: %s)" % (self._label(name), ", ".join(self._variables)))
        array = np.asarray(value, dtype=np.float64)
        shape = tuple(self._variables[name].shape.as_list())
        if array.shape != shape:
            raise ValueError("%s must have shape %s, got %s" % (self._label(name), shape, array.shape))
        self._cache[name] = array
        self._dirty.add(name)

    def __delitem__(self, name):
        raise TypeError("%s cannot be deleted: the keys are the model's parameters" % self._label(name))

    def __iter__(self):
        return iter(self._variables)

    def __len__(self):
        return len(self._variables)

    def __repr__(self):
        return "ParamDict(%s: %s)" % (self._group, ", ".join(
            "%s %s" % (k, tuple(v.shape.as_list())) for k, v in self._variables.items()))

    def copy(self):
        """A plain dict of copies (a snapshot that later graph calls do not change)."""
        return {name: np.array(self._value(name)) for name in self}

    def __deepcopy__(self, memo):
        return self.copy()

    def pending(self):
        """(assign ops, {placeholder: array}) for every array that may differ from its variable."""
        ops, values = self._model.ops.assign[self._group], self._model.ops.assign_values[self._group]
        return [ops[name] for name in self._dirty], {values[name]: self._cache[name] for name in self._dirty}

    def invalidate(self, names):
        """Forgets the cached arrays of `names` (their variables were just written by the graph)."""
        for name in names:
            self._cache.pop(name, None)
            self._dirty.discard(name)


class _baseNetwork(object):  # pylint: disable=invalid-name  (skeleton name)
    """Base class: builds the graph once in `__init__`, then only runs prebuilt ops.

    Subclasses define `_initial_weights()` (OrderedDict of numpy arrays) and
    `_forward_backward(X, y, weights) -> (probs, hand_gradients)`.
    """

    def __init__(self, input_size=28 * 28, num_classes=10, make_checkpointer=None, threads=2, finalize=True):
        """Args: input_size, num_classes (the skeleton's); make_checkpointer: optional function called inside
        the graph before it is finalized, returning a checkpointer (`common.run.Run.make_checkpointer`);
        threads: TensorFlow intra/inter-op threads of the model's session; finalize: False leaves the graph
        open for a caller that adds its own savers and then finalizes it (our training loop does)."""
        self.input_size = input_size
        self.num_classes = num_classes
        self._threads = threads
        self.graph = tf.Graph()
        with _quiet_tf_logging(), self.graph.as_default():
            self.ops = self._build_graph()
            self.checkpointer = make_checkpointer() if make_checkpointer is not None else None
            if finalize:
                self.graph.finalize()
            config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
            self.session = tf.Session(graph=self.graph, config=config)
        self.session.run(self.ops.init)
        self._views = {"weights": ParamDict(self, "weights"), "gradients": ParamDict(self, "gradients")}
        names = list(self.ops.weights)
        reg_names = [n for n in names if _base_optimizer.is_weight(n)]
        # Which parameters each prebuilt op writes: their cached NumPy arrays are dropped after it runs.
        self._writes = {"store_gradients": {"gradients": names}, "regularize": {"gradients": reg_names},
                        "sgd_step": {"weights": names, "gradients": reg_names},
                        "save_best": {}, "load_best": {"weights": names}, "restore": {"weights": names,
                                                                                    "gradients": names}}

    # ----- the course's helper functions, NumPy in and out (skeleton: self.sigmoid(...), etc.) -----

    def _helper(self, name, feed):
        return self.session.run(getattr(self.ops.helpers, name), feed)

    def sigmoid(self, X):
        """Element-wise sigmoid of a NumPy array; float64 array of the same shape."""
        return self._helper("sigmoid", {self.ops.helpers.x: np.asarray(X, np.float64)})

    def sigmoid_dev(self, x):
        """sigmoid(x) (1 - sigmoid(x)), float64."""
        return self._helper("sigmoid_dev", {self.ops.helpers.x: np.asarray(x, np.float64)})

    def ReLU(self, X):  # pylint: disable=invalid-name
        """max(X, 0), float64."""
        return self._helper("ReLU", {self.ops.helpers.x: np.asarray(X, np.float64)})

    def ReLU_dev(self, X):  # pylint: disable=invalid-name
        """1.0 where X > 0 else 0.0, float64."""
        return self._helper("ReLU_dev", {self.ops.helpers.x: np.asarray(X, np.float64)})

    def softmax(self, scores):
        """Row-wise softmax of (N, C) scores, float64."""
        return self._helper("softmax", {self.ops.helpers.scores: np.asarray(scores, np.float64)})

    def cross_entropy_loss(self, x_pred, y):
        """Mean -log x_pred[i, y[i]] as a Python float."""
        return float(self._helper("cross_entropy_loss", {self.ops.helpers.probs: np.asarray(x_pred, np.float64),
                                                         self.ops.helpers.labels: np.asarray(y, np.int64)}))

    def compute_accuracy(self, x_pred, y):
        """Fraction of rows of x_pred whose argmax is the label, as a Python float."""
        return float(self._helper("compute_accuracy", {self.ops.helpers.probs: np.asarray(x_pred, np.float64),
                                                       self.ops.helpers.labels: np.asarray(y, np.int64)}))

    # ----- graph -----

    def _initial_weights(self):
        raise NotImplementedError

    def _forward_backward(self, X, y, weights):
        raise NotImplementedError

    def _draw(self, *shape):
        """The skeleton's init of one matrix: np.random.seed(1024), then 0.001 * np.random.randn(*shape).

        Like the skeleton this reseeds NumPy's global generator (a caller drawing unseeded numbers right after
        building a model gets the same numbers as with the course's code).
        """
        np.random.seed(INIT_SEED)
        return INIT_SCALE * np.random.randn(*shape)

    def _build_graph(self):
        X = tf.placeholder(DTYPE, (None, self.input_size), name="X")  # (N, 784)
        y = tf.placeholder(tf.int64, (None,), name="y")  # (N,)
        learning_rate = tf.placeholder(DTYPE, (), name="learning_rate")
        reg = tf.placeholder(DTYPE, (), name="reg")
        initial = self._initial_weights()

        def variables(scope, trainable, values):
            with tf.variable_scope(scope):
                return collections.OrderedDict(
                    (name, tf.get_variable(name, initializer=tf.constant(values(value), dtype=DTYPE),
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
        assign_values, assign = {}, {}
        with tf.name_scope("from_numpy"):  # ParamDict -> variables
            for group, variables_ in (("weights", weights), ("gradients", gradients)):
                assign_values[group] = collections.OrderedDict(
                    (k, tf.placeholder(DTYPE, v.shape, name="%s_%s" % (group, k))) for k, v in variables_.items())
                assign[group] = collections.OrderedDict(
                    (k, tf.assign(v, assign_values[group][k])) for k, v in variables_.items())
        with tf.name_scope("helpers"):
            helpers = _build_helpers()
        return ModelOps(X=X, y=y, learning_rate=learning_rate, reg=reg, weights=weights, gradients=gradients,
                        best=best, probs=probs, loss=loss, accuracy=accuracy, hand_gradients=hand,
                        store_gradients=store, regularize=regularize, sgd_step=sgd_step, save_best=save_best,
                        load_best=load_best, assign_values=assign_values, assign=assign, helpers=helpers,
                        init=tf.global_variables_initializer())

    # ----- NumPy dicts <-> variables -----

    @property
    def weights(self):
        """ParamDict name -> float64 array (`W1`, or `W1 b1 W2 b2`); assignable, see ParamDict."""
        return self._views["weights"]

    @weights.setter
    def weights(self, values):
        self._replace("weights", values)

    @property
    def gradients(self):
        """ParamDict name -> float64 array with the same keys and shapes as `weights`."""
        return self._views["gradients"]

    @gradients.setter
    def gradients(self, values):
        self._replace("gradients", values)

    def _replace(self, group, values):
        view = self._views[group]
        if values is view:
            return
        if set(values) != set(view):
            raise KeyError("model.%s = ...: need exactly the keys %s, got %s" % (
                group, ", ".join(view), ", ".join(map(str, values))))
        for name in values:
            view[name] = values[name]

    def sync(self):
        """Pushes every assigned or handed-out array of `weights` / `gradients` into its variable."""
        ops, feed = [], {}
        for view in self._views.values():
            view_ops, view_feed = view.pending()
            ops.extend(view_ops)
            feed.update(view_feed)
        if ops:
            self.session.run(ops, feed)

    def _run(self, fetches, feed, op_name=None):
        """session.run after pushing the NumPy side; drops the cached arrays that `op_name` writes."""
        self.sync()
        out = self.session.run(fetches, feed)
        for group, names in self._writes.get(op_name, {}).items():
            self._views[group].invalidate(names)
        return out

    # ----- the course's API -----

    def forward(self, X, y, mode="train"):
        """Runs the graph on a batch; returns (loss, accuracy) as Python floats.

        Args:
          X: (N, input_size) array or nested list, pixels in [0, 1].
          y: (N,) integer labels.
          mode: "train" also stores the batch-mean gradients into `self.gradients`; anything else only evaluates.
        """
        feed = {self.ops.X: np.asarray(X, np.float64).reshape(-1, self.input_size),
                self.ops.y: np.asarray(y, np.int64).reshape(-1)}
        if mode == "train":
            loss, accuracy, _ = self._run([self.ops.loss, self.ops.accuracy, self.ops.store_gradients], feed,
                                          "store_gradients")
        else:
            loss, accuracy = self._run([self.ops.loss, self.ops.accuracy], feed)
        return float(loss), float(accuracy)

    def predict(self, X):
        """(N, num_classes) class probabilities, float64."""
        return self._run(self.ops.probs, {self.ops.X: np.asarray(X, np.float64).reshape(-1, self.input_size)})

    def run_op(self, name, learning_rate=None, reg=None):
        """Runs one of the prebuilt ops by name (`regularize`, `sgd_step`, `save_best`, `load_best`)."""
        if name not in RUNNABLE_OPS:
            raise ValueError("no op %r (choose from %s)" % (name, ", ".join(RUNNABLE_OPS)))
        feed = {}
        if learning_rate is not None:
            feed[self.ops.learning_rate] = learning_rate
        if reg is not None:
            feed[self.ops.reg] = reg
        self._run(getattr(self.ops, name), feed, name)

    def save_checkpoint(self, step):
        """Writes `ckpt-<step>` of every variable (after pushing the NumPy side)."""
        self.sync()
        return self.checkpointer.save(self.session, step)

    def restore_checkpoint(self):
        """Restores the newest checkpoint; returns its step."""
        step = self.checkpointer.restore(self.session)
        self.refresh()
        return step

    def refresh(self):
        """Forgets every cached array: call after the variables were written outside the model (a restore)."""
        for group, names in self._writes["restore"].items():
            self._views[group].invalidate(names)

    def _init_args(self):
        """Constructor keyword arguments that rebuild this architecture (for `copy.deepcopy`)."""
        return {"input_size": self.input_size, "num_classes": self.num_classes, "threads": self._threads}

    def __deepcopy__(self, memo):
        """A new model (own graph and session) with copies of the weights and gradients.

        The course's main.py keeps its best model with `copy.deepcopy(model)`; a session cannot be copied, so
        the copy rebuilds the graph. NumPy's global generator is left as it was (the skeleton's copy does not
        reseed it).
        """
        state = np.random.get_state()
        try:
            twin = type(self)(**self._init_args())
        finally:
            np.random.set_state(state)
        twin.weights = self.weights.copy()
        twin.gradients = self.gradients.copy()
        memo[id(self)] = twin
        return twin

    def close(self):
        self.session.close()

