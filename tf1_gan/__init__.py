"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization."""
import os

# Only read by TF builds with oneDNN/OpenMP (intel-tensorflow, `make setup-onednn`); set before TensorFlow
# loads. Intel's default lets idle OpenMP threads spin for 200 ms, so on 2 cores they fight TF's own
# inter-op threads between the step's many small ops; 1 ms measured faster for every variant (docs: Speed).
os.environ.setdefault("KMP_BLOCKTIME", "1")
