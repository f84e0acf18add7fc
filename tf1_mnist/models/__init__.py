"""CS7643 models as TF1 graphs: `SoftmaxRegression` and `TwoLayerNet` (skeleton names kept).

Imports are relative, so the package works as `tf1_mnist.models` and as the course's top-level `models`.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TF's C++ logs (the course grades silence)

from .softmax_regression import SoftmaxRegression  # noqa: E402  pylint: disable=wrong-import-position
from .two_layer_nn import TwoLayerNet  # noqa: E402  pylint: disable=wrong-import-position

MODELS = {"SoftmaxRegression": SoftmaxRegression, "TwoLayerNet": TwoLayerNet}
