"""Seed 004 question 4: learn DNA -> protein translation with a stride-3 Conv1d network (TF 1.15 graphs)."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
