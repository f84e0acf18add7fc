"""Two-layer MLP (skeleton: models/two_layer_nn.py): FC + bias -> sigmoid -> FC + bias -> softmax."""
import collections

import numpy as np
import tensorflow as tf

from . import _base_network


class TwoLayerNet(_base_network._baseNetwork):  # pylint: disable=protected-access
    """W1 (input_size, hidden_size), b1, sigmoid, W2 (hidden_size, num_classes), b2, softmax."""

    def __init__(self, input_size=28 * 28, num_classes=10, hidden_size=128, **kwargs):
        self.hidden_size = hidden_size
        super(TwoLayerNet, self).__init__(input_size, num_classes, **kwargs)

    def _init_args(self):
        args = super(TwoLayerNet, self)._init_args()
        args["hidden_size"] = self.hidden_size
        return args

    def _initial_weights(self):
        # The skeleton reseeds with 1024 before each matrix, so W2's entries repeat W1's first draws.
        w1 = self._draw(self.input_size, self.hidden_size)
        w2 = self._draw(self.hidden_size, self.num_classes)
        return collections.OrderedDict([("W1", w1), ("b1", np.zeros(self.hidden_size)),
                                        ("W2", w2), ("b2", np.zeros(self.num_classes))])

    def _forward_backward(self, X, y, weights):
        with tf.name_scope("forward"):
            z1 = tf.matmul(X, weights["W1"]) + weights["b1"]  # (N, H)
            a1 = _base_network.sigmoid(z1)  # (N, H)
            z2 = tf.matmul(a1, weights["W2"]) + weights["b2"]  # (N, C)
            probs = _base_network.softmax(z2)  # (N, C)
        with tf.name_scope("backward"):  # hand-derived, layer by layer from the loss
            d_z2 = _base_network.softmax_ce_grad(probs, y)  # (N, C)
            d_w2 = tf.matmul(a1, d_z2, transpose_a=True)  # (H, C)
            d_b2 = tf.reduce_sum(d_z2, axis=0)  # (C,)
            d_a1 = tf.matmul(d_z2, weights["W2"], transpose_b=True)  # (N, H)
            d_z1 = d_a1 * _base_network.sigmoid_dev(z1)  # (N, H)
            d_w1 = tf.matmul(X, d_z1, transpose_a=True)  # (D, H)
            d_b1 = tf.reduce_sum(d_z1, axis=0)  # (H,)
        return probs, collections.OrderedDict([("W1", d_w1), ("b1", d_b1), ("W2", d_w2), ("b2", d_b2)])
