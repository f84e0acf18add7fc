"""The optimizer base (skeleton: optimizer/_base_optimizer.py): L2 regularization as graph ops.

The regularized objective is J = L_CE + reg/2 * sum(W^2) (seed 002, eq. 3), so dJ/dW = dL/dW + reg * W.
Biases are not regularized: the skeleton's rule is "only keys starting with W".
"""
import collections

import tensorflow as tf


def is_weight(name):
    """True for weight matrices (`W1`, `W2`), False for biases (`b1`, `b2`)."""
    return name.startswith("W")


def build_regularization(weights, gradients, reg):
    """Ops that add `reg * W` to the stored gradient of every weight matrix (never to biases).

    Args:
      weights: OrderedDict name -> tf.Variable.
      gradients: OrderedDict name -> tf.Variable holding dL/dname (same keys and shapes).
      reg: scalar tensor, the L2 coefficient lambda.
    Returns:
      OrderedDict name -> tensor with the regularized gradient value; for weights it is the output of
      the `assign` that wrote it back into `gradients[name]`, so consumers run after the write.
    """
    with tf.name_scope("apply_regularization"):
        out = collections.OrderedDict()
        for name, grad in gradients.items():
            if is_weight(name):
                out[name] = tf.assign(grad, grad + reg * weights[name], name="regularize_" + name)
            else:
                out[name] = tf.identity(grad, name="keep_" + name)
        return out


class _BaseOptimizer(object):
    """Holds the hyper-parameters; the ops live in the model's graph (built once with the model)."""

    def __init__(self, learning_rate=1e-4, reg=1e-3):
        self.learning_rate = learning_rate
        self.reg = reg

    def apply_regularization(self, model):
        """Adds `reg * W` to `model.gradients[W*]` (runs the model's prebuilt op; biases keep their gradient)."""
        model.run_op("regularize", reg=self.reg)
