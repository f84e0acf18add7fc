"""tf1_mnist: the CS7643 A1 MNIST pipeline as TF1 graphs (hand-derived gradients) and the workshop ConvNet."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
