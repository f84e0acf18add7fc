"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
from tf1_gan import cpu_env

# Before TensorFlow loads: settings read only by TF builds with oneDNN/MKL (`make setup-onednn`).
cpu_env.tune()
