"""Train one GAN variant: `python -m tf1_gan.train --variant dcgan_sn --sn-scope d --epochs 10`.

`--num-towers K` replicates G and D over K GPUs (or K virtual CPU devices); the batch is then the global
batch. Several machines: `python -m tf1_gan.cluster.train` (TF's own runtime; docs/tf1_gan_parallel.md).

Writes into the run dir: config.yaml, checkpoints/, TensorBoard events, samples/{middle,end}.png (and .npy)
from a fixed z, loss_curves.png, history.json and metrics.json (losses, speed, and the classifier-based FID,
digit histogram and confident fraction of tf1_gan.evaluate). The task (graph, step, evaluation, metrics) is
tf1_gan/task.py; common.loop runs it: Ctrl-C saves a checkpoint and exits 130, the same command resumes.
"""
import sys

from tf1_gan.task import SCHEMA, TRAINER  # noqa: F401  (SCHEMA for the hostile matrix and other callers)


def main(argv=None):
    """`main(argv) -> int` through common.cli.run_trainer: exit 0, 2, 3 or 130."""
    return TRAINER.main(argv)


if __name__ == "__main__":
    sys.exit(main())
