"""Trains the DNA -> protein Conv1d network as the handout's pseudo-code (seed 004, 4d).

    python -m tf1_dna.train [--run-dir DIR] [--fasta FILE] [--epochs N] [--log-every 1]

The task (graph, step, evaluation, metrics) is tf1_dna/task.py; common.loop runs it: rerun the same command to
resume, Ctrl-C saves a checkpoint and exits 130, a diverged run exits 3.
"""
import sys

from tf1_dna.task import SCHEMA, TRAINER, train  # noqa: F401  (SCHEMA and train for callers)

main = TRAINER.main

if __name__ == "__main__":
    sys.exit(main())
