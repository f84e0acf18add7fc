"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization.

The core - model.py (G, D, the variants), spectral_norm.py, losses.py, conv_ops.py and train_step.py (the one
D-then-G step over a list of devices) - sits beside the commands that use it (train.py over train_graph.py,
sample, evaluate, compare, diagnose, demo), the cluster runtime in cluster/ and the benchmarks in bench/.
options.py declares every configuration key once; task.py is the task (common.task). tf1_gan/README.md shows
the tree. Importing the package changes no environment variable: cpu_env's OpenMP/MKL defaults are set by
`devices.session_config` (every training and benchmark session) and the cluster entry point, before a session
starts the runtimes that read them.
"""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
