"""CS7643 optimizers: graph ops for L2 regularization and the SGD update (skeleton names kept).

Imports are relative, so the package works as `tf1_mnist.optimizer` and as the course's top-level `optimizer`.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TF's C++ logs (the course grades silence)

from .sgd import SGD  # noqa: E402  pylint: disable=wrong-import-position

__all__ = ["SGD"]
