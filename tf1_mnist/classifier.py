"""A trained ConvNet as a reusable MNIST classifier (e.g. a feature extractor for GAN sample scores).

    clf = classifier.Classifier("runs/tf1_mnist/cnn_none")   # a run dir written by `python -m tf1_mnist.cnn`
    probs = clf.predict_proba(images)   # images (N, 28, 28) uint8 0..255 or float in [0, 1] -> (N, 10)
    feats = clf.features(images)        # (N, 64): the penultimate layer (input of the last dense layer)
    clf.close()

    python -m tf1_mnist.classifier --run-dir runs/tf1_mnist/cnn_none   # accuracy on the test split
"""
import argparse
import sys

import numpy as np

from common import cli, mnist
from tf1_mnist import task as mnist_task
from tf1_mnist import utils

BATCH = 500


class Classifier(object):
    """Restores the newest checkpoint of a cnn run dir into its own finalized graph and session.

    The run's config.yaml is read through the ConvNet's training schema (`common.inference.restore`): a
    hand-edited or incomplete file is a config.ConfigError naming the file and the key; a run dir without a
    readable checkpoint is a run.RunError.
    """

    def __init__(self, run_dir, threads=2):
        restored = mnist_task.restore_convnet(run_dir, threads)
        self.graph, self.session, self.net, self.step = restored.graph, restored.session, restored.outputs, restored.step

    @staticmethod
    def _prepare(images):
        images = np.asarray(images)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError("expected images of shape (N, 28, 28) or (N, 28, 28, 1), got %s" % (images.shape,))
        if images.dtype == np.uint8:
            images = images.astype(np.float32) / 255.0
        return images.astype(np.float32)[..., None]  # (N, 28, 28, 1) in [0, 1]

    def _run(self, tensor, images):
        images = self._prepare(images)
        return np.concatenate([self.session.run(tensor, {self.net.images: images[i:i + BATCH]})
                               for i in range(0, len(images), BATCH)]) if len(images) else np.zeros((0,))

    def predict_proba(self, images):
        """(N, 10) class probabilities (batch norm in inference mode)."""
        return self._run(self.net.probs, images)

    def predict(self, images):
        """(N,) predicted digits."""
        return self.predict_proba(images).argmax(axis=1)

    def features(self, images):
        """(N, 64) penultimate-layer activations."""
        return self._run(self.net.features, images)

    def close(self):
        self.session.close()


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description="Accuracy of a trained ConvNet run on the test split.")
    parser.add_argument("--run-dir", dest="run_dir", required=True, help="run dir written by python -m tf1_mnist.cnn")
    parser.add_argument("--data-source", dest="data_source", default="auto", choices=mnist.SOURCES,
                        help="as in main.py")
    args = parser.parse_args(argv)
    clf = Classifier(args.run_dir)
    try:
        x, y = utils.load_test_arrays(args.data_source, dtype=np.float32)
        acc = float(np.mean(clf.predict(x.reshape(-1, 28, 28)) == y))
    finally:
        clf.close()
    print("test_accuracy=%.4f checkpoint_step=%d n=%d" % (acc, clf.step, len(y)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
