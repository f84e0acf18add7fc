"""A sixth task that lives only in the tests: proof that a task is one task.py plus one registry line."""
import common  # noqa: F401  (quiets TensorFlow before any module of this package imports it)
