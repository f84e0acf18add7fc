"""Trains the PropertyPredictor on synthetic Morse-energy systems (seed 003, part V).

    python -m tf1_molecules.train [--run-dir DIR] [--steps N] [--num-systems S] [--no-residual] ...

The task (data, graph, step, evaluation, metrics) is tf1_molecules/task.py; common.loop runs it: rerun the same
command to resume, Ctrl-C saves a checkpoint and exits 130, a diverged run exits 3. QM9: tf1_molecules.qm9_train.
"""
import sys

from tf1_molecules.task import SCHEMA, TRAINER, train  # noqa: F401  (SCHEMA and train for callers)

main = TRAINER.main

if __name__ == "__main__":
    sys.exit(main())
