"""CS7643 optimizers: graph ops for L2 regularization and the SGD update (skeleton names kept)."""
from tf1_mnist.optimizer.sgd import SGD
