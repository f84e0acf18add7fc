"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization."""
