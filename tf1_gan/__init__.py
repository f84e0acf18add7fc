"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization."""
import os

# Only read by TF builds with oneDNN/OpenMP (intel-tensorflow, `make setup-onednn`); set before TensorFlow
# loads. Intel's default lets idle OpenMP threads spin for 200 ms; with another process on one of the 2
# cores that made every variant 1.4-2.4x slower than 1 ms does (no difference on an idle machine; docs: Speed).
os.environ.setdefault("KMP_BLOCKTIME", "1")
