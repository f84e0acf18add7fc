"""Vanilla SGD (skeleton: optimizer/sgd.py): theta <- theta - lr * (dL/dtheta + reg * theta) for weights."""
import tensorflow as tf

from . import _base_optimizer


def build_update(weights, gradients, learning_rate, reg):
    """The SGD step as assign ops: regularize the stored gradients, then W -= lr * g (seed 002, eq. 4).

    Args:
      weights: OrderedDict name -> tf.Variable.
      gradients: OrderedDict name -> tf.Variable (filled by the model's forward pass in train mode).
      learning_rate: scalar tensor eta.
      reg: scalar tensor lambda.
    Returns:
      One op running the whole update.
    """
    regularized = _base_optimizer.build_regularization(weights, gradients, reg)
    with tf.name_scope("sgd_update"):
        updates = [tf.assign_sub(weights[name], learning_rate * regularized[name], name="update_" + name)
                   for name in weights]
        return tf.group(*updates, name="sgd_step")


class SGD(_base_optimizer._BaseOptimizer):  # pylint: disable=protected-access
    """SGD(learning_rate, reg): `update(model)` = apply_regularization, then the gradient step."""

    def __init__(self, learning_rate=1e-4, reg=1e-3):
        super(SGD, self).__init__(learning_rate=learning_rate, reg=reg)

    def update(self, model):
        """One SGD step on `model.gradients` (as its last `forward(..., mode="train")` stored them, or as the
        caller assigned them): regularize, then W -= lr * g; `model.weights` and `model.gradients` show both."""
        model.run_op("sgd_step", learning_rate=self.learning_rate, reg=self.reg)
