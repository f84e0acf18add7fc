"""Train and evaluate the workshop ConvNet on MNIST (seed 004, questions 1-3).

    python -m tf1_mnist.cnn [--bn none|2d|1d|both] [--definition explicit|sequential] [--epochs 3]
    python -m tf1_mnist.cnn --run-dir runs/tf1_mnist/cnn_none --eval-only

Data and split as main.py (first 80% of the training split for training, last 20% validation).
Writes into the run dir (default runs/tf1_mnist/cnn_<bn>) through `common.run`: config.yaml, checkpoints/ (one
per epoch; the same command resumes, Ctrl-C / SIGTERM finishes the epoch, saves it and exits 130),
history.json, TensorBoard events, learning_curves.png, samples/test_errors.png, metrics.json. `--eval-only`
restores a run's newest checkpoint (model keys from its config.yaml), prints its test accuracy, writes nothing.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, errors, mnist, plots, run, training
from tf1_mnist import convnet, utils

TASK = "tf1_mnist"
SCHEMA = config.Schema([
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
    config.session_steps("stop with a checkpoint after this many epochs in this invocation (0 = run to the end)"),
    config.restart(),
])
EVAL_BATCH = 500


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


def _data(cfg):
    try:
        train_x, train_y, val_x, val_y = utils.load_trainval_arrays(cfg.data_source, cfg.data_dir, np.float32)
        test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir, np.float32)
    except mnist.DataError as err:
        raise errors.UserError("data: %s" % err)
    if cfg.num_train > 0:
        train_x, train_y = train_x[:cfg.num_train], train_y[:cfg.num_train]
    return train_x, train_y, val_x, val_y, test_x, test_y


def _graph(cfg, make_checkpointer):
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        net = convnet.build_graph(cfg.bn, cfg.definition, cfg.lr)
        checkpointer = make_checkpointer()
    graph.finalize()
    return graph, net, checkpointer


def evaluate_only(cfg, run_dir, log=print):
    """Test accuracy of a run dir's newest checkpoint (the graph from its config.yaml); writes nothing."""
    saved = SCHEMA.load_saved(run_dir)
    cfg = cfg.replace(bn=saved.bn, definition=saved.definition)
    _, _, _, _, test_x, test_y = _data(cfg)
    graph, net, checkpointer = _graph(cfg, lambda: run.Checkpointer(run.RunPaths(run_dir).checkpoints))
    with tf.Session(graph=graph, config=training.session_config(cfg.threads)) as sess:
        step = checkpointer.restore(sess)
        test_loss, test_acc, _ = evaluate(sess, net, test_x, test_y)
    metrics = {"model": "ConvNet", "bn": cfg.bn, "definition": cfg.definition, "checkpoint_epoch": step,
               "data": utils.describe_source(cfg.data_source, cfg.data_dir), "test_accuracy": test_acc,
               "test_loss": test_loss}
    log("ConvNet (bn=%s) of %s, epoch %d, on %s: test accuracy %.4f" % (
        cfg.bn, run_dir, step, metrics["data"], test_acc))
    return metrics


def train(cfg, log=print):
    """Trains (or resumes) the ConvNet and writes its outputs.

    Returns:
      The metrics dict also written to `metrics.json`, or None when the run was stopped (it resumes).
    """
    run_dir = cfg.run_dir or run.default_run_dir(TASK, "cnn_" + cfg.bn)
    if cfg.eval_only:
        return evaluate_only(cfg, run_dir, log)
    train_x, train_y, val_x, val_y, test_x, test_y = _data(cfg)  # bad data fails before anything is written
    with run.Run(cfg, run_dir, restart=cfg.restart) as r:
        graph, net, _ = _graph(cfg, r.make_checkpointer)
        with tf.Session(graph=graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, net.init)
            writer = r.open_writer(graph)
            for epoch in r.steps(sess, start, cfg.epochs, 1, desc="cnn bn=%s" % cfg.bn):
                began = time.time()
                batches = utils.generate_batched_data(train_x, train_y, cfg.batch_size, shuffle=True,
                                                      seed=cfg.seed * 1000 + epoch - 1)
                loss_sum = hits = 0.0
                for x, y in zip(*batches):
                    loss, acc, _ = sess.run([net.loss, net.accuracy, net.train_op],
                                            {net.images: to_images(x), net.labels: y, net.training: True})
                    loss_sum, hits = loss_sum + loss * len(x), hits + acc * len(x)
                seconds = time.time() - began
                val_loss, val_acc, _ = evaluate(sess, net, val_x, val_y)
                r.log(epoch, {"train_loss": loss_sum / len(train_x), "train_accuracy": hits / len(train_x),
                              "val_loss": val_loss, "val_accuracy": val_acc, "train_seconds": seconds,
                              "images_per_second": len(train_x) / seconds}, summaries=False)
                training.add_scalars(writer, epoch, {"loss/train": loss_sum / len(train_x), "loss/val": val_loss,
                                                     "accuracy/val": val_acc})
                r.progress.set_postfix(val_acc="%.4f" % val_acc)
            if r.stopped:
                return None
            test_loss, test_acc, preds = evaluate(sess, net, test_x, test_y)
        history = r.history.rows
        wrong = np.flatnonzero(preds != test_y)[:64]
        if len(wrong):
            plots.save_labelled_images(to_images(test_x[wrong]),
                                       ["true %d, pred %d" % (test_y[i], preds[i]) for i in wrong],
                                       os.path.join(r.paths.samples, "test_errors.png"), value_range=(0.0, 1.0),
                                       title="misclassified test digits (first %d)" % len(wrong))
        utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                          [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                          path=r.paths.path("learning_curves.png"), title="ConvNet, batch norm: %s" % cfg.bn)
        metrics = {"model": "ConvNet", "bn": cfg.bn, "definition": cfg.definition,
                   "data": utils.describe_source(cfg.data_source, cfg.data_dir), "epochs": len(history),
                   "test_accuracy": test_acc, "test_loss": test_loss,
                   "final_val_accuracy": history[-1]["val_accuracy"] if history else None,
                   "train_images_per_second": float(np.median([h["images_per_second"] for h in history]))
                   if history else None,
                   "train_seconds_total": float(sum(h["train_seconds"] for h in history))}
        r.finish(metrics)
    log("ConvNet (bn=%s) on %s: test accuracy %.4f after %d epochs" % (
        metrics["bn"], metrics["data"], metrics["test_accuracy"], metrics["epochs"]))
    log("outputs: %s (metrics.json, learning_curves.png, samples/, checkpoints/)" % run_dir)
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    return cli.done_or_stopped(train(cfg))


if __name__ == "__main__":
    sys.exit(main())
