"""CS7643 models as TF1 graphs: `SoftmaxRegression` and `TwoLayerNet` (skeleton names kept)."""
from tf1_mnist.models.softmax_regression import SoftmaxRegression
from tf1_mnist.models.two_layer_nn import TwoLayerNet

MODELS = {"SoftmaxRegression": SoftmaxRegression, "TwoLayerNet": TwoLayerNet}
