"""Train and evaluate the workshop ConvNet on MNIST (seed 004, questions 1-3).

    python -m tf1_mnist.cnn [--bn none|2d|1d|both] [--definition explicit|sequential] [--epochs 3]
    python -m tf1_mnist.cnn --run_dir runs/tf1_mnist/cnn_none --eval_only

Data and split as main.py (first 80% of the training split for training, last 20% validation).
Writes into the run dir (default runs/tf1_mnist/cnn_<bn>): config.yaml, checkpoints/ (one per epoch; the
same command resumes), history.json, TensorBoard events, learning_curves.png, samples/test_errors.png,
metrics.json.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from common import config, files, plots, training
from tf1_mnist import convnet, utils

TASK = "tf1_mnist"
DEFAULTS = {
    "bn": "none",
    "definition": "explicit",
    "epochs": 3,
    "batch_size": 64,
    "learning_rate": 0.001,
    "seed": 0,
    "data_source": "auto",
    "data_dir": None,
    "run_dir": None,
    "threads": 2,
    "eval_only": False,
    "train_limit": 0,
}
HELP = {
    "bn": "batch norm: none, 2d (after the convs), 1d (after the hidden dense layers), both",
    "definition": "explicit (class Net) or sequential (layer list); the same graph",
    "epochs": "passes over the training split",
    "batch_size": "examples per Adam step",
    "learning_rate": "Adam step size",
    "seed": "graph and shuffling seed",
    "data_source": "auto (course CSVs, else full MNIST, else the embedded subset) or a common.mnist source",
    "data_dir": "directory of the data files",
    "run_dir": "output directory (default runs/tf1_mnist/cnn_<bn>)",
    "threads": "TensorFlow intra/inter-op threads",
    "eval_only": "restore the newest checkpoint of run_dir (model keys from its config.yaml) and test it",
    "train_limit": "use only the first N training examples (0 = all; for quick runs)",
}
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


def run(cfg, run_dir):
    """Trains (or resumes) the ConvNet and writes its outputs; returns the metrics dict."""
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.learning_rate <= 0:
        raise config.ConfigError("need epochs >= 1, batch_size >= 1, learning_rate > 0")
    if cfg.bn not in convnet.BN_VARIANTS or cfg.definition not in ("explicit", "sequential"):
        raise config.ConfigError("bn must be one of %s and definition explicit|sequential, got %r, %r"
                                 % (", ".join(convnet.BN_VARIANTS), cfg.bn, cfg.definition))
    paths = training.RunPaths(run_dir)
    if not cfg.eval_only:
        config.save(cfg, run_dir)
    train_x, train_y, val_x, val_y = utils.load_trainval_arrays(cfg.data_source, cfg.data_dir, np.float32)
    if cfg.train_limit > 0:
        train_x, train_y = train_x[:cfg.train_limit], train_y[:cfg.train_limit]
    test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir, np.float32)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        net = convnet.build_graph(cfg.bn, cfg.definition, cfg.learning_rate)
        ckpt = training.Checkpointer(paths.checkpoints)
    graph.finalize()
    sess = tf.Session(graph=graph, config=training.session_config(cfg.threads))
    if cfg.eval_only:
        start = ckpt.restore(sess)
        history = files.read_json(paths.path("history.json"))[:start]
    else:
        start = ckpt.restore_or_initialize(sess, net.init)
        history_path = paths.path("history.json")
        history = files.read_json(history_path)[:start] if start else []
        if len(history) != start:
            raise RuntimeError("%s has %d epochs, the checkpoint is at %d" % (history_path, len(history), start))
        steps_per_epoch = -(-len(train_x) // cfg.batch_size)
        writer = training.summary_writer(paths.root, graph if start == 0 else None)
        bar = training.progress(total=cfg.epochs * steps_per_epoch, initial=start * steps_per_epoch,
                                desc="cnn bn=%s" % cfg.bn)
        with training.GracefulStop() as stop:
            for epoch in range(start, cfg.epochs):
                began = time.time()
                batches = utils.generate_batched_data(train_x, train_y, cfg.batch_size, shuffle=True,
                                                      seed=cfg.seed * 1000 + epoch)
                loss_sum = hits = 0.0
                for x, y in zip(*batches):
                    if stop.requested:
                        break
                    loss, acc, _ = sess.run([net.loss, net.accuracy, net.train_op],
                                            {net.images: to_images(x), net.labels: y, net.training: True})
                    loss_sum, hits = loss_sum + loss * len(x), hits + acc * len(x)
                    bar.update(1)
                if stop.requested:  # resume restarts this epoch from the last epoch's checkpoint
                    break
                seconds = time.time() - began
                val_loss, val_acc, _ = evaluate(sess, net, val_x, val_y)
                history.append({"epoch": epoch + 1, "train_loss": loss_sum / len(train_x),
                                "train_accuracy": hits / len(train_x), "val_loss": val_loss,
                                "val_accuracy": val_acc, "train_seconds": seconds,
                                "images_per_second": len(train_x) / seconds})
                files.write_json(history_path, history)
                ckpt.save(sess, epoch + 1)
                training.add_scalars(writer, epoch + 1, {"loss/train": history[-1]["train_loss"],
                                                         "loss/val": val_loss, "accuracy/val": val_acc})
                bar.set_postfix(val_acc="%.4f" % val_acc)
        bar.close()
        writer.close()
        if len(history) < cfg.epochs:
            sess.close()
            print("stopped after epoch %d of %d; rerun the same command to resume" % (len(history), cfg.epochs))
            sys.exit(130)
    test_loss, test_acc, preds = evaluate(sess, net, test_x, test_y)
    sess.close()
    wrong = np.flatnonzero(preds != test_y)[:64]
    if len(wrong):
        plots.save_image_grid(to_images(test_x[wrong]), os.path.join(paths.samples, "test_errors.png"),
                              value_range=(0.0, 1.0), title="misclassified test digits")
    utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                      [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                      path=paths.path("learning_curves.png"), title="ConvNet, batch norm: %s" % cfg.bn)
    metrics = {"model": "ConvNet", "bn": cfg.bn, "definition": cfg.definition,
               "data": utils.describe_source(cfg.data_source, cfg.data_dir), "epochs": len(history),
               "test_accuracy": test_acc, "test_loss": test_loss,
               "final_val_accuracy": history[-1]["val_accuracy"] if history else None,
               "train_images_per_second": float(np.median([h["images_per_second"] for h in history]))
               if history else None,
               "train_seconds_total": float(sum(h["train_seconds"] for h in history))}
    files.write_json(paths.metrics, metrics)
    return metrics


def main(argv=None):
    utils.quiet_tensorflow()
    parser = config.make_parser(DEFAULTS, description=__doc__.split("\n")[0], help=HELP)
    args = parser.parse_args(argv)
    try:
        cfg = config.from_namespace(DEFAULTS, args)
        run_dir = cfg.run_dir or training.default_run_dir(TASK, "cnn_" + cfg.bn)
        if cfg.eval_only:  # the graph must match the checkpoint: take the model keys from the run
            saved = config.load_run_config(run_dir)
            cfg = cfg.replace(**{k: saved[k] for k in ("bn", "definition") if k in saved})
        metrics = run(cfg, run_dir)
    except config.ConfigError as err:
        parser.exit(2, "%s: error: %s\n" % (parser.prog, err))
    except (utils.mnist.DataError, FileNotFoundError) as err:
        parser.exit(1, "%s: error: %s\n" % (parser.prog, err))
    print("ConvNet (bn=%s) on %s: test accuracy %.4f after %d epochs" % (
        metrics["bn"], metrics["data"], metrics["test_accuracy"], metrics["epochs"]))
    print("outputs: %s (metrics.json, learning_curves.png, samples/, checkpoints/)" % run_dir)
    return metrics


if __name__ == "__main__":
    main()
