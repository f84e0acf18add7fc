"""Trains the PropertyPredictor on QM9 molecules (needs `make qm9`).

    python -m tf1_molecules.qm9_train [--num-train N] [--target gap] [--steps N] [--run-dir DIR] ...

The defaults are the measured QM9 configuration. The trainer (data, graph, step, evaluation, metrics) is
tf1_molecules/qm9_task.py, registered by tf1_molecules/task.py; common.loop runs it: rerun the same command to
resume, Ctrl-C saves a checkpoint and exits 130, a diverged run exits 3.
"""
import sys

from tf1_molecules.qm9_task import SCHEMA  # noqa: F401  (for callers)
from tf1_molecules.task import TASK, train_qm9 as train  # noqa: F401  (train for callers)

main = TASK.trainer("tf1_molecules.qm9_train").main

if __name__ == "__main__":
    sys.exit(main())
