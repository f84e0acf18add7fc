"""tf1_mnist: the CS7643 A1 pipeline (seed 002) and the workshop ConvNet (seed 004, questions 1-3).

Two training CLIs, both run by common.loop (resumable, Ctrl-C / SIGTERM -> a checkpoint and exit 130, a
diverged loss -> exit 3: not finite, or far above uniform guessing's ln 10), one loop step = one epoch:
  * `python -m tf1_mnist.main`: the course's models and SGD (its Trainer lives in main.py, which the
    submission zip carries without this file);
  * `python -m tf1_mnist.cnn`: the ConvNet, Adam, optional batch norm (`CnnTrainer` below). Data and split as
    main.py (first 80% of the training split for training, last 20% validation). Its run dir (default
    runs/tf1_mnist/cnn_<bn>) gets config.yaml, checkpoints/ (one per epoch), history.json, TensorBoard events,
    learning_curves.png, samples/test_errors.png and metrics.json. `--eval-only` restores a run's newest
    checkpoint (model keys from its config.yaml), prints its test accuracy and writes nothing.
"""
import collections
import math
import os
import time

import numpy as np
import tensorflow as tf

from common import config, inference, mnist, plots, run, task, training
from tf1_mnist import convnet, utils
from tf1_mnist import main as course

CNN_SCHEMA = config.Schema([
    config.Key("bn", "none", "batch norm: none, 2d (after the convs), 1d (after the hidden dense layers), both",
               choices=convnet.BN_VARIANTS),
    config.Key("definition", "explicit", "explicit (class Net) or sequential (layer list); the same graph",
               choices=("explicit", "sequential")),
    config.epochs(3, "passes over the training split"),
    config.batch_size(64, "examples per Adam step"),
    config.lr(0.001, "Adam step size"),
    config.seed(0, "graph and shuffling seed"),
    config.data_source("auto", choices=mnist.SOURCES,
                       help="auto (course CSVs, else full MNIST, else the embedded subset) or a common.mnist source"),
    config.data_dir(),
    config.num_train(0, "use only the first N training examples (0 = all; for quick runs)"),
    config.run_dir("output directory (default runs/tf1_mnist/cnn_<bn>); rerunning the same command resumes"),
    config.threads(),
    config.Key("eval_only", False, "restore the newest checkpoint of the run dir (model keys from its config.yaml), "
               "print its test accuracy, write nothing", resume_safe=True),
    config.session_epochs(),
    config.restart(),
])
EVAL_BATCH = 500

Data = collections.namedtuple("Data", "train_x train_y val_x val_y test_x test_y")
Graph = collections.namedtuple("Graph", "graph init_op net")


def to_images(flat):
    """(N, 784) in [0, 1] -> (N, 28, 28, 1) float32."""
    return np.asarray(flat, np.float32).reshape(-1, 28, 28, 1)


def evaluate(sess, graph, data, labels):
    """Mean loss and accuracy over `data` with batch norm in inference mode; also the predictions (N,)."""
    losses, preds = [], []
    for start in range(0, len(data), EVAL_BATCH):
        x, y = to_images(data[start:start + EVAL_BATCH]), labels[start:start + EVAL_BATCH]
        loss, logits = sess.run([graph.loss, graph.logits], {graph.images: x, graph.labels: y})
        losses.append(loss * len(x))
        preds.append(logits.argmax(axis=1))
    preds = np.concatenate(preds)
    return float(np.sum(losses) / len(data)), float(np.mean(preds == labels)), preds


def restore_convnet(run_dir, threads=2):
    """The ConvNet of a `tf1_mnist.cnn` run dir (graph from its config.yaml, newest readable checkpoint)."""
    return inference.restore(run_dir, lambda saved: convnet.build_graph(saved.bn, saved.definition, saved.lr),
                             schema=CNN_SCHEMA, threads=threads)


class CnnTrainer(task.Trainer):
    """Adam over shuffled minibatches, one epoch per loop step; validation after each epoch."""

    module = "tf1_mnist.cnn"
    schema = CNN_SCHEMA
    description = "Train and evaluate the workshop ConvNet on MNIST (seed 004, questions 1-3)."
    step_unit = "epoch"
    smoke_args = ("--run-dir", "{tmp}/run", "--epochs", "1", "--data-source", "embedded", "--num-train", "64")
    resume_args = ("--epochs", "40", "--data-source", "embedded", "--num-train", "256", "--threads", "1")
    resume_step = 5
    invariants = {"mnist_cnn": ("-m", "tf1_mnist.cnn", "--bn", "both", "--epochs", "1", "--num-train", "512",
                                "--run-dir", "{run}", "--threads", "1", "--data-source", "embedded")}
    loss_key = "train_loss"
    diverge_args = ("--epochs", "2", "--data-source", "embedded", "--num-train", "256", "--lr", "10",
                    "--threads", "1")

    def load(self, cfg):
        train_x, train_y, val_x, val_y = utils.load_trainval_arrays(cfg.data_source, cfg.data_dir, np.float32)
        test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir, np.float32)
        if cfg.num_train > 0:
            train_x, train_y = train_x[:cfg.num_train], train_y[:cfg.num_train]
        return Data(train_x, train_y, val_x, val_y, test_x, test_y)

    def run_dir(self, cfg):
        return cfg.run_dir or run.default_run_dir(self.task, "cnn_" + cfg.bn)

    def trivial_loss(self, cfg):
        return math.log(10), "a classifier that guesses uniformly among the 10 digits"

    def build(self, cfg, data):
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(cfg.seed)
            net = convnet.build_graph(cfg.bn, cfg.definition, cfg.lr)
        return Graph(graph, net.init, net)

    def total(self, cfg, g):
        return cfg.epochs

    def ckpt_every(self, cfg):
        return 1

    def step(self, ctx, epoch):
        cfg, data, net = ctx.cfg, ctx.data, ctx.g.net
        began = time.time()
        batches = utils.generate_batched_data(data.train_x, data.train_y, cfg.batch_size, shuffle=True,
                                              seed=cfg.seed * 1000 + epoch - 1)
        loss_sum = hits = 0.0
        for x, y in zip(*batches):
            loss, acc, _ = ctx.sess.run([net.loss, net.accuracy, net.train_op],
                                        {net.images: to_images(x), net.labels: y, net.training: True})
            loss_sum, hits = loss_sum + loss * len(x), hits + acc * len(x)
        seconds = time.time() - began
        val_loss, val_acc, _ = evaluate(ctx.sess, net, data.val_x, data.val_y)
        n = len(data.train_x)
        scalars = {"train_loss": loss_sum / n, "train_accuracy": hits / n, "val_loss": val_loss,
                   "val_accuracy": val_acc}
        ctx.run.log(epoch, dict(scalars, train_seconds=seconds, images_per_second=n / seconds), summaries=False)
        training.add_scalars(ctx.writer, epoch, {"loss/train": loss_sum / n, "loss/val": val_loss,
                                                 "accuracy/val": val_acc})
        return scalars

    def evaluate(self, ctx):
        return evaluate(ctx.sess, ctx.g.net, ctx.data.test_x, ctx.data.test_y)

    def finish(self, ctx, result):
        cfg, data, history = ctx.cfg, ctx.data, ctx.history.rows
        test_loss, test_acc, preds = result
        wrong = np.flatnonzero(preds != data.test_y)[:64]
        if len(wrong):
            plots.save_labelled_images(to_images(data.test_x[wrong]),
                                       ["true %d, pred %d" % (data.test_y[i], preds[i]) for i in wrong],
                                       os.path.join(ctx.paths.samples, "test_errors.png"), value_range=(0.0, 1.0),
                                       title="misclassified test digits (first %d)" % len(wrong))
        utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                          [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                          path=ctx.paths.path("learning_curves.png"), title="ConvNet, batch norm: %s" % cfg.bn)
        return {"model": "ConvNet", "bn": cfg.bn, "definition": cfg.definition,
                "data": utils.describe_source(cfg.data_source, cfg.data_dir), "epochs": len(history),
                "test_accuracy": test_acc, "test_loss": test_loss,
                "final_val_accuracy": history[-1]["val_accuracy"] if history else None,
                "train_images_per_second": float(np.median([h["images_per_second"] for h in history]))
                if history else None,
                "train_seconds_total": float(sum(h["train_seconds"] for h in history))}

    def summary(self, metrics):
        return [("epochs", metrics["epochs"], ""),
                ("final validation accuracy", metrics["final_val_accuracy"], ""),
                ("ConvNet (batch norm %s) test accuracy" % metrics["bn"], metrics["test_accuracy"], ""),
                ("test loss", metrics["test_loss"], ""),
                ("training speed (median epoch)", metrics["train_images_per_second"], "images/s"),
                ("training time, all epochs", metrics["train_seconds_total"], "s")]

    def main(self, argv=None):
        """`--eval-only` evaluates the run dir's newest checkpoint instead of training."""
        from common import cli  # pylint: disable=import-outside-toplevel
        return cli.run_trainer(self, argv, lambda _, cfg: train(cfg))


CNN_TRAINER = CnnTrainer()


def evaluate_only(cfg, log=print):
    """Test accuracy of a run dir's newest checkpoint (the graph from its config.yaml); writes nothing."""
    run_dir = CNN_TRAINER.run_dir(cfg)
    with restore_convnet(run_dir, cfg.threads) as restored:
        test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir, np.float32)
        test_loss, test_acc, _ = evaluate(restored.session, restored.outputs, test_x, test_y)
    saved = restored.config
    metrics = {"model": "ConvNet", "bn": saved.bn, "definition": saved.definition, "checkpoint_epoch": restored.step,
               "data": utils.describe_source(cfg.data_source, cfg.data_dir), "test_accuracy": test_acc,
               "test_loss": test_loss}
    log("ConvNet (bn=%s) of %s, epoch %d, on %s: test accuracy %.4f" % (
        saved.bn, run_dir, restored.step, metrics["data"], test_acc))
    return metrics


def train(cfg, log=print):
    """Trains (or resumes) the ConvNet, or with `--eval-only` evaluates a run; the metrics, or None when stopped."""
    if cfg.eval_only:
        return evaluate_only(cfg, log)
    from common import loop  # pylint: disable=import-outside-toplevel
    return loop.train(CNN_TRAINER, cfg, log=log)


TASK = task.Task(
    "tf1_mnist", "the CS7643 A1 pipeline as TF1 graphs, and the workshop ConvNet", seeds=("002", "004"),
    trainers=[course.TRAINER, CNN_TRAINER],
    deliverables=[task.Deliverable("tf1_mnist", "tf1_mnist/assignment1_writeup.pdf",
                                   "docs/deliverables/tf1_mnist_assignment1_writeup.md", None, "002",
                                   "the CS7643 writeup: theory problems, paper review, experiment report")],
    # The accuracy row of the figure (with its legend), so it prints at a readable size on the overview page.
    figure=("tf1_mnist/figures/tuned_vs_default.png#crop=0.5-1",
            "Two-layer net, default against tuned hyper-parameters: training and validation accuracy per epoch, "
            "mean of three seeds with their range shaded"),
    demo="tf1_mnist.demo", bench="tf1_mnist.bench",
    clis=("tf1_mnist.classifier", "tf1_mnist.experiments", "tf1_mnist.course_check", "tf1_mnist.report"),
    report_section="tf1_mnist.report:section",
    handin=task.Handin("cs7643", (("tf1_mnist/assignment1_writeup.pdf", "assignment1_writeup.pdf"),),
                       code="cs7643_zip"),
)
