"""tf1_dates: conditional generation of dates (seed 001) with a TF 1.15 graph-mode generator."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
