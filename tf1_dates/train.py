"""Trains the conditional date generator (resumable; monitors sampled all-four and diversity).

    python -m tf1_dates.train --run-dir runs/tf1_dates/final40k_heldout --threads 1
    python -m tf1_dates.train --run-dir runs/tf1_dates/final40k_full --val-frac 0 --test-frac 0 --threads 1

The task (splits, graph, step, evaluation, metrics) is tf1_dates/task.py; common.loop runs it: rerun the same
command to resume, Ctrl-C saves a checkpoint and exits 130, a diverged run exits 3. A finished run ends with a
short table of its headline numbers; metrics.json holds the full record.
"""
import sys

from tf1_dates.task import SCHEMA, TRAINER, evaluate_splits, load_splits, train  # noqa: F401  (for callers)


def main(argv=None):
    return TRAINER.main(argv)


if __name__ == "__main__":
    sys.exit(main())
