"""The MNIST classifier behind tf1_gan's sample evaluation, trained as a run of its own.

    python -m tf1_gan.classifier [--run-dir runs/tf1_gan/classifier] [--epochs 3]

A small ConvNet (two 5x5 conv + max-pool blocks, a 128-unit feature layer, dropout 0.3, 10 logits) trained with
Adam on in-graph batches; its 128-d features are what tf1_gan.evaluate computes FID on. common.loop runs it
like every training CLI: the run dir is locked (two GAN runs evaluating at once cannot both train and overwrite
it), rerunning the same command resumes, Ctrl-C saves a checkpoint and exits 130. The dropout mask is drawn
from (seed, global step), so a resumed run equals an uninterrupted one. `load_classifier` restores the finished
run (training it first when there is none) through common.inference.
"""
import collections
import math
import os
import sys

import numpy as np
import tensorflow as tf

from common import config, errors, inference, mnist, run, task, training

CLASSIFIER_DIR = run.default_run_dir("tf1_gan", "classifier")
DROPOUT = 0.3
STREAM_DATA, STREAM_DROPOUT = 0, 1
EVAL_CHUNK = 500

SCHEMA = config.Schema([
    config.epochs(3, "passes over the training images"),
    config.batch_size(64),
    config.lr(1e-3, "Adam learning rate"),
    config.seed(0, "seed of the initialisation, the data order and the dropout masks"),
    config.data_source("auto", choices=mnist.SOURCES, help="where the MNIST images come from (auto: full MNIST "
                       "if found locally, else the embedded subset)"),
    config.data_dir("directory (or file) of the data source; none = the source's usual place"),
    config.num_train(0, "use only the first N training images (0 = all; for quick tests)"),
    config.threads(2),
    config.log_every(50, "steps between logged points (history.json, TensorBoard, progress)"),
    config.ckpt_every(500),
    config.run_dir("output directory (default %s; tf1_gan.evaluate reads it there); rerunning the same "
                   "command resumes" % CLASSIFIER_DIR),
    config.session_steps(),
    config.restart(),
])

Graph = collections.namedtuple("Graph", "graph init_op train_op loss eval_images eval_logits steps_per_epoch")
Classifier = collections.namedtuple("Classifier", "graph session images features logits")


def classifier_net(images, dropout_seed=None):
    """Small ConvNet: (B, 28, 28, 1) in [-1, 1] -> (features (B, 128), logits (B, 10)).

    `dropout_seed`: an int64[2] stateless seed for the training-mode dropout mask; None = inference (no dropout).
    """
    with tf.variable_scope("classifier", reuse=tf.AUTO_REUSE):
        h = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu, name="conv1")  # (B,28,28,32)
        h = tf.layers.max_pooling2d(h, 2, 2)  # (B, 14, 14, 32)
        h = tf.layers.conv2d(h, 64, 5, padding="same", activation=tf.nn.relu, name="conv2")  # (B,14,14,64)
        h = tf.layers.max_pooling2d(h, 2, 2)  # (B, 7, 7, 64)
        h = tf.layers.flatten(h)  # (B, 3136)
        features = tf.layers.dense(h, 128, activation=tf.nn.relu, name="fc1")  # (B, 128)
        kept = features
        if dropout_seed is not None:
            keep = tf.random.stateless_uniform(tf.shape(features), seed=dropout_seed) >= DROPOUT
            kept = tf.where(keep, features / (1.0 - DROPOUT), tf.zeros_like(features))
        logits = tf.layers.dense(kept, 10, name="fc2")
    return features, logits


def load_data(cfg):
    """(train images, train labels, test images, test labels), uint8 / int; DataError names the source."""
    try:
        images, labels = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
        test_images, test_labels = mnist.load_mnist(cfg.data_source, "test", cfg.data_dir)
    except mnist.DataError as err:
        raise errors.DataError(str(err))
    if cfg.num_train > len(images):
        raise errors.DataError("config key 'num_train' (%d) exceeds the %d training images of data source %r"
                               % (cfg.num_train, len(images), cfg.data_source))
    if cfg.num_train:
        images, labels = images[:cfg.num_train], labels[:cfg.num_train]
    if len(images) < cfg.batch_size:
        raise errors.DataError("%d training images are fewer than one batch (%d)" % (len(images), cfg.batch_size))
    return images, labels, test_images, test_labels


def accuracy(sess, images_ph, logits, images, labels):
    """Fraction of `images` (uint8 (N, 28, 28)) whose argmax logit is the label."""
    x = mnist.to_float(images)[..., None]
    pred = np.concatenate([sess.run(logits, {images_ph: x[i:i + EVAL_CHUNK]}).argmax(1)
                           for i in range(0, len(x), EVAL_CHUNK)])
    return float((pred == labels).mean())


class ClassifierTrainer(task.Trainer):
    """One Adam step on an in-graph batch per loop step; the test accuracy at the end."""

    module = "tf1_gan.classifier"
    schema = SCHEMA
    description = "Trains the MNIST classifier whose features tf1_gan.evaluate computes FID on."
    run_name = "classifier"
    task = "tf1_gan"  # also when run as `python -m tf1_gan.classifier`, before tf1_gan.task is imported
    smoke_args = ("--run-dir", "{tmp}/run", "--epochs", "1", "--num-train", "128", "--data-source", "embedded",
                  "--threads", "1")
    resume_args = ("--epochs", "40", "--num-train", "640", "--ckpt-every", "1", "--log-every", "1",
                   "--data-source", "embedded", "--threads", "1")
    resume_step = 5
    loss_key = "loss"
    diverge_args = ("--epochs", "1", "--num-train", "256", "--log-every", "1", "--data-source", "embedded",
                    "--threads", "1", "--lr", "10")

    def load(self, cfg):
        return load_data(cfg)

    def trivial_loss(self, cfg):
        return math.log(10), "a classifier that guesses uniformly among the 10 digits"

    def build(self, cfg, data):
        images, labels = data[0], data[1]
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(cfg.seed)
            step = tf.train.get_or_create_global_step()
            data_x = tf.constant(mnist.to_float(images)[..., None])  # (N, 28, 28, 1)
            data_y = tf.constant(labels.astype(np.int32))
            idx = training.batch_indices(len(images), cfg.batch_size, cfg.seed, step, STREAM_DATA)
            _, logits = classifier_net(tf.gather(data_x, idx), training.stateless_seed(cfg.seed, step, STREAM_DROPOUT))
            loss = tf.losses.sparse_softmax_cross_entropy(tf.gather(data_y, idx), logits)
            train_op = tf.train.AdamOptimizer(cfg.lr).minimize(loss, global_step=step)
            x_eval = tf.placeholder(tf.float32, [None, 28, 28, 1])
            _, eval_logits = classifier_net(x_eval)
            init = tf.global_variables_initializer()
        return Graph(graph, init, train_op, loss, x_eval, eval_logits, len(images) // cfg.batch_size)

    def total(self, cfg, g):
        return cfg.epochs * g.steps_per_epoch

    def writer_graph(self, ctx):
        return None  # the graph holds the training images as constants: too big for an events file

    def step(self, ctx, step):
        g = ctx.g
        if step % ctx.cfg.log_every == 0 or step == ctx.total:
            _, loss = ctx.sess.run([g.train_op, g.loss])
            scalars = {"loss": float(loss)}
            ctx.run.log(step, scalars)
            return scalars
        ctx.sess.run(g.train_op)
        return None

    def evaluate(self, ctx):
        _, _, test_images, test_labels = ctx.data
        return accuracy(ctx.sess, ctx.g.eval_images, ctx.g.eval_logits, test_images, test_labels)

    def finish(self, ctx, result):
        images, _, _, test_labels = ctx.data
        return {"test_accuracy": result, "epochs": ctx.cfg.epochs, "num_train_images": int(len(images)),
                "num_test_images": int(len(test_labels)), "final_loss": ctx.history.last("loss"),
                "steps_this_invocation": ctx.steps_run,
                "steps_per_second": ctx.steps_run / max(ctx.seconds, 1e-9) if ctx.steps_run else None}

    def summary(self, metrics):
        return [("test accuracy", metrics["test_accuracy"], "(%d test images)" % metrics["num_test_images"]),
                ("final loss", metrics["final_loss"], "cross-entropy"),
                ("speed", metrics["steps_per_second"], "steps/s")]


TRAINER = ClassifierTrainer()


def main(argv=None):
    """`main(argv) -> int` through common.cli.run_trainer: exit 0, 2, 3 or 130."""
    return TRAINER.main(argv)


def train(run_dir=CLASSIFIER_DIR, threads=2, restart=False, log=print):
    """Trains (or resumes, or with `restart` retrains) the default classifier run; its metrics.

    Raises:
      KeyboardInterrupt: the training was stopped (a checkpoint is kept; the next call resumes it).
    """
    from common import loop
    metrics = loop.train(TRAINER, SCHEMA.make(run_dir=run_dir, threads=threads, restart=restart), log=log)
    if metrics is None:
        raise KeyboardInterrupt("classifier training stopped; it resumes on the next run")
    return metrics


def load_classifier(model_dir=CLASSIFIER_DIR, threads=2):
    """Restores the finished classifier run in `model_dir`, training it first (once) if it has not finished."""
    if not os.path.exists(run.RunPaths(model_dir).metrics):
        sys.stderr.write("[tf1_gan] no trained classifier in %s: training it (once)\n" % model_dir)
        train(model_dir, threads=threads, log=lambda message: sys.stderr.write(message + "\n"))

    def build(_):
        x = tf.placeholder(tf.float32, [None, 28, 28, 1])
        return (x,) + classifier_net(x)

    restored = inference.restore(model_dir, build, schema=SCHEMA, threads=threads,
                                 var_list=lambda g: g.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, "classifier"))
    x, features, logits = restored.outputs
    return Classifier(restored.graph, restored.session, x, features, logits)


if __name__ == "__main__":
    sys.exit(main())
