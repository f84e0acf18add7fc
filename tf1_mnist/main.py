"""Train a CS7643 model, validate every epoch, test the best-validation weights (skeleton: main.py).

    python -m tf1_mnist.main --config tf1_mnist/configs/config_twolayer.yaml [--epochs 3] [--run_dir DIR]

Writes into the run dir (default runs/tf1_mnist/<type>): config.yaml, checkpoints/ (one per epoch; rerunning
the same command resumes from the last one, Ctrl-C saves nothing partial and resumes at that epoch),
history.json, TensorBoard events, learning_curves.png and metrics.json.
"""
import importlib
import os
import sys
import time

import numpy as np

from common import config, files, training


def _sibling(name):
    """`utils`, `models` or `optimizer` beside this file: `tf1_mnist.<name>` when run as
    `python -m tf1_mnist.main`, the top-level `<name>` when run as `python main.py` from the assignment folder
    (the course's layout, e.g. the unpacked submission zip)."""
    return importlib.import_module("." + name, __package__) if __package__ else importlib.import_module(name)


utils = _sibling("utils")

TASK = "tf1_mnist"
DEFAULTS = {
    "type": "TwoLayerNet",
    "batch_size": 64,
    "learning_rate": 0.1,
    "reg": 0.001,
    "epochs": 10,
    "hidden_size": 128,
    "debug": False,
    "seed": 0,
    "data_source": "auto",
    "data_dir": None,
    "run_dir": None,
    "threads": 2,
}
HELP = {
    "type": "SoftmaxRegression or TwoLayerNet",
    "batch_size": "examples per SGD step",
    "learning_rate": "SGD step size eta",
    "reg": "L2 coefficient lambda (weights only, never biases)",
    "epochs": "passes over the training split",
    "hidden_size": "hidden units of TwoLayerNet (ignored by SoftmaxRegression)",
    "debug": "print one line per epoch",
    "seed": "shuffling seed (epoch e uses seed*1000+e, so a resumed run repeats the same batches)",
    "data_source": "auto (course CSVs in data/, else full MNIST, else the embedded subset) or a common.mnist source",
    "data_dir": "directory of the data files",
    "run_dir": "output directory (default runs/tf1_mnist/<type>)",
    "threads": "TensorFlow intra/inter-op threads",
}


def build_model(cfg, checkpoint_dir=None):
    """The model named by `cfg.type`, its graph built and finalized."""
    models = _sibling("models").MODELS  # deferred: TensorFlow is not imported for `--help`
    if cfg.type not in models:
        raise config.ConfigError("type must be one of %s, got %r" % (", ".join(models), cfg.type))
    kwargs = {"checkpoint_dir": checkpoint_dir, "threads": cfg.threads}
    if cfg.type == "TwoLayerNet":
        kwargs["hidden_size"] = cfg.hidden_size
    return models[cfg.type](**kwargs)


def _check(cfg):
    for key in ("batch_size", "epochs", "hidden_size"):
        if cfg[key] < 1:
            raise config.ConfigError("%s must be >= 1, got %r" % (key, cfg[key]))
    if cfg.learning_rate <= 0 or cfg.reg < 0:
        raise config.ConfigError("need learning_rate > 0 and reg >= 0, got %r, %r" % (cfg.learning_rate, cfg.reg))


def run(cfg, run_dir):
    """Trains (or resumes) one run and writes its outputs; returns the metrics dict."""
    _check(cfg)
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)
    train_x, train_y, val_x, val_y = utils.load_trainval_arrays(cfg.data_source, cfg.data_dir)
    test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir)
    val_batches = utils.generate_batched_data(val_x, val_y, cfg.batch_size)
    test_batches = utils.generate_batched_data(test_x, test_y, cfg.batch_size)
    model = build_model(cfg, paths.checkpoints)
    optimizer = _sibling("optimizer").SGD(learning_rate=cfg.learning_rate, reg=cfg.reg)
    history_path = paths.path("history.json")
    start = 0
    if model.checkpointer.latest():
        start = model.restore_checkpoint()
    history = files.read_json(history_path)[:start] if start and os.path.exists(history_path) else []
    if len(history) != start:
        raise RuntimeError("%s has %d epochs but the checkpoint is at epoch %d" % (history_path, len(history), start))
    writer = training.summary_writer(paths.root, model.graph if start == 0 else None)
    started = time.time()
    bar = training.progress(range(start, cfg.epochs), desc=cfg.type, initial=start, total=cfg.epochs)
    with training.GracefulStop() as stop:
        for epoch in bar:
            batches = utils.generate_batched_data(train_x, train_y, cfg.batch_size, shuffle=True,
                                                  seed=cfg.seed * 1000 + epoch)
            result = utils.train(epoch, batches[0], batches[1], model, optimizer, cfg.debug, stop)
            if result is None:  # stopped mid-epoch: the last checkpoint is the end of the previous epoch
                break
            val_loss, val_acc = utils.evaluate(val_batches[0], val_batches[1], model, cfg.debug)
            if not history or val_acc > max(h["val_accuracy"] for h in history):
                model.run_op("save_best")  # the skeleton's deepcopy of the best model, as assign ops
            history.append({"epoch": epoch + 1, "train_loss": result[0], "train_accuracy": result[1],
                            "val_loss": val_loss, "val_accuracy": val_acc})
            files.write_json(history_path, history)  # before the checkpoint: resume truncates to it
            model.save_checkpoint(epoch + 1)
            training.add_scalars(writer, epoch + 1, {"loss/train": result[0], "loss/val": val_loss,
                                                     "accuracy/train": result[1], "accuracy/val": val_acc})
            bar.set_postfix(val_acc="%.4f" % val_acc)
    writer.close()
    seconds = time.time() - started
    if len(history) < cfg.epochs:
        model.close()
        print("stopped after epoch %d of %d; rerun the same command to resume" % (len(history), cfg.epochs))
        sys.exit(130)
    model.run_op("load_best")
    test_loss, test_acc = utils.evaluate(test_batches[0], test_batches[1], model, debug=False)
    predictions = model.predict(test_x).argmax(axis=1)
    # Per-class recall shows a dead class at once (SoftmaxRegression's ReLU on the logits can kill one).
    per_class = [float(np.mean(predictions[test_y == c] == c)) if np.any(test_y == c) else None
                 for c in range(model.num_classes)]
    model.close()
    best = max(history, key=lambda h: h["val_accuracy"])
    utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                      [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                      path=paths.path("learning_curves.png"),
                      title="%s (lr %g, reg %g)" % (cfg.type, cfg.learning_rate, cfg.reg))
    metrics = {"model": cfg.type, "data": utils.describe_source(cfg.data_source, cfg.data_dir),
               "num_train": len(train_x), "num_val": len(val_x), "num_test": len(test_x),
               "best_epoch": best["epoch"], "best_val_accuracy": best["val_accuracy"],
               "test_accuracy": test_acc, "test_loss": test_loss,
               "final_train_accuracy": history[-1]["train_accuracy"], "final_val_accuracy": history[-1]["val_accuracy"],
               "test_recall_per_class": per_class, "epochs": cfg.epochs, "resumed_at_epoch": start,
               "train_seconds_this_invocation": round(seconds, 2)}
    files.write_json(paths.metrics, metrics)
    return metrics


def main(argv=None):
    utils.quiet_tensorflow()
    parser = config.make_parser(DEFAULTS, description=__doc__.split("\n")[0], help=HELP)
    args = parser.parse_args(argv)
    try:
        cfg = config.from_namespace(DEFAULTS, args)
        run_dir = cfg.run_dir or training.default_run_dir(TASK, cfg.type.lower())
        metrics = run(cfg, run_dir)
    except config.ConfigError as err:
        parser.exit(2, "%s: error: %s\n" % (parser.prog, err))
    except utils.mnist.DataError as err:
        parser.exit(1, "%s: data error: %s\n" % (parser.prog, err))
    print("%s on %s: best validation accuracy %.4f (epoch %d), test accuracy %.4f" % (
        metrics["model"], metrics["data"], metrics["best_val_accuracy"], metrics["best_epoch"],
        metrics["test_accuracy"]))
    print("outputs: %s (metrics.json, learning_curves.png, checkpoints/)" % run_dir)
    return metrics


if __name__ == "__main__":
    main()
