"""Softmax regression (skeleton: models/softmax_regression.py): FC without bias -> ReLU -> softmax."""
import collections

import tensorflow as tf

from . import _base_network


class SoftmaxRegression(_base_network._baseNetwork):  # pylint: disable=protected-access
    """One fully-connected layer W1 (input_size, num_classes), no bias, ReLU on the logits, softmax.

    The ReLU on the logits is the course's design; it zeroes every negative score, so a class whose scores
    all go negative gets a zero gradient and can die (why the course quotes 0.66-0.92 for this model).
    """

    def __init__(self, input_size=28 * 28, num_classes=10, **kwargs):
        super(SoftmaxRegression, self).__init__(input_size, num_classes, **kwargs)

    def _initial_weights(self):
        return collections.OrderedDict([("W1", self._draw(self.input_size, self.num_classes))])

    def _forward_backward(self, X, y, weights):
        with tf.name_scope("forward"):
            z = tf.matmul(X, weights["W1"])  # (N, C)
            a = _base_network.ReLU(z)  # (N, C)
            probs = _base_network.softmax(a)  # (N, C)
        with tf.name_scope("backward"):  # hand-derived: chain rule from the loss down to W1
            d_a = _base_network.softmax_ce_grad(probs, y)  # (N, C) dL/da
            d_z = d_a * _base_network.ReLU_dev(z)  # (N, C)
            d_w1 = tf.matmul(X, d_z, transpose_a=True)  # (D, C) = X^T dL/dz
        return probs, collections.OrderedDict([("W1", d_w1)])
