"""Train and evaluate the workshop ConvNet on MNIST (seed 004, questions 1-3).

    python -m tf1_mnist.cnn [--bn none|2d|1d|both] [--definition explicit|sequential] [--epochs 3]
    python -m tf1_mnist.cnn --run-dir runs/tf1_mnist/cnn_none --eval-only

The task (data, graph, epoch, evaluation, metrics) is `CnnTrainer` in tf1_mnist/task.py; common.loop runs it:
rerun the same command to resume, Ctrl-C / SIGTERM finishes the epoch, saves it and exits 130, a non-finite
loss exits 3. `--eval-only` restores a run's newest checkpoint, prints its test accuracy and writes nothing.
"""
import sys

from tf1_mnist.task import CNN_SCHEMA as SCHEMA, CNN_TRAINER as TRAINER, evaluate_only, train  # noqa: F401


def main(argv=None):
    return TRAINER.main(argv)


if __name__ == "__main__":
    sys.exit(main())
