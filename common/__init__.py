"""Code shared by two or more tf1-suite tasks.

Importing this package quiets TensorFlow before TensorFlow is imported, in one place for the whole suite:
every task package imports `common` in its `__init__`, and Python runs a package's `__init__` before any of its
modules, so no module repeats these lines. A user's own TF_CPP_MIN_LOG_LEVEL is kept.
  * TF_CPP_MIN_LOG_LEVEL=2: the C++ runtime prints errors only (no CPU-feature and allocator notices).
  * the "tensorflow" Python logger at ERROR: no TF 1.15 deprecation notices. TF adds its handler to this
    logger on import but keeps a level set beforehand.
For the same reason it is where `python -m <a library module>` is refused (`cli.guard_library_modules`).
"""
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

from common import cli  # noqa: E402  pylint: disable=wrong-import-position

# `python -m` on a library module (common.files, tf1_dna.model, ...) exits 2 naming the package's commands,
# here, before the module runs: every package imports `common` first (see common/cli.py).
cli.guard_library_modules()
