"""CS7643 optimizers: graph ops for L2 regularization and the SGD update (skeleton names kept).

Imports are relative, so the package works as `tf1_mnist.optimizer` and as the course's top-level `optimizer`.
"""
from .sgd import SGD

__all__ = ["SGD"]
