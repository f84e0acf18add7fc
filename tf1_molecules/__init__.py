"""Seed 003 part V: a Euclidean message passing network that predicts one property per point cloud."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
