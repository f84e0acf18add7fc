"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization.

The core - model.py (G, D, the variants), spectral_norm.py, losses.py, conv_ops.py and train_step.py (the one
D-then-G step over a list of devices) - sits beside the commands that use it (train.py over train_graph.py,
sample, evaluate, compare, diagnose, demo), the cluster runtime in cluster/ and the benchmarks in bench/.
options.py declares every configuration key once. tf1_gan/README.md shows the tree.
"""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
from tf1_gan import cpu_env

# Before TensorFlow loads: settings read only by TF builds with oneDNN/MKL (`make setup-onednn`).
cpu_env.tune()
