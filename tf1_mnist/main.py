"""Train a CS7643 model, validate every epoch, test the best-validation weights (skeleton: main.py).

    python -m tf1_mnist.main --config tf1_mnist/configs/config_twolayer.yaml [--epochs 3] [--run-dir DIR]
    python main.py --config configs/config_twolayer.yaml      # from tf1_mnist/ or the unpacked submission zip

The configuration keys are the course's (`type`, `batch_size`, `learning_rate`, `reg`, `epochs`, `hidden_size`,
`debug`); YAML files may group them under the course's `Train:` / `Model:` sections. Writes into the run dir
(default runs/tf1_mnist/<type>) through `common.run`: config.yaml, checkpoints/ (one per epoch; rerunning the
same command resumes, Ctrl-C / SIGTERM finishes the epoch, saves it and exits 130), history.json, TensorBoard
events, learning_curves.png and metrics.json.
"""
import importlib
import sys
import time

import numpy as np


def _sibling(name):
    """`utils`, `models` or `optimizer` beside this file: `tf1_mnist.<name>` when run as
    `python -m tf1_mnist.main`, the top-level `<name>` when run as `python main.py` from the assignment folder
    (the course's layout, e.g. the unpacked submission zip)."""
    return importlib.import_module("." + name, __package__) if __package__ else importlib.import_module(name)


utils = _sibling("utils")  # first: in the course's layout it also makes `common` importable (see utils.py)
from common import cli, config, errors, mnist, run, training  # noqa: E402  pylint: disable=wrong-import-position

TASK = "tf1_mnist"
MODEL_TYPES = ("SoftmaxRegression", "TwoLayerNet")
SCHEMA = config.Schema([
    config.Key("type", "TwoLayerNet", "model (the course's key)", choices=MODEL_TYPES),
    config.batch_size(64, "examples per SGD step"),
    config.Key("learning_rate", 0.1, "SGD step size eta (the course's key)", gt=0),
    config.Key("reg", 0.001, "L2 coefficient lambda, weights only, never biases (the course's key)", ge=0),
    config.epochs(10, "passes over the training split"),
    config.Key("hidden_size", 128, "hidden units of TwoLayerNet, ignored by SoftmaxRegression (the course's key)",
               ge=1),
    config.Key("debug", False, "print the course's per-batch and per-epoch lines", resume_safe=True),
    config.seed(0, "shuffling seed (epoch e, counted from 0, shuffles with seed*1000+e: a resumed run repeats "
                   "the same batches); the course fixes the init"),
    config.data_source("auto", choices=mnist.SOURCES,
                       help="auto (course CSVs in tf1_mnist/data or data/, else full MNIST, else the embedded "
                            "subset) or a common.mnist source"),
    config.data_dir(),
    config.run_dir("output directory (default runs/tf1_mnist/<type, lower case>); rerunning the same command "
                   "resumes"),
    config.threads(),
    config.session_steps("stop with a checkpoint after this many epochs in this invocation (0 = run to the end)"),
    config.restart(),
], sections=("Train", "Model"))


def build_model(cfg, make_checkpointer=None):
    """The model named by `cfg.type`, its graph built and finalized."""
    models = _sibling("models").MODELS  # deferred: TensorFlow is not imported for `--help`
    kwargs = {"make_checkpointer": make_checkpointer, "threads": cfg.threads}
    if cfg.type == "TwoLayerNet":
        kwargs["hidden_size"] = cfg.hidden_size
    return models[cfg.type](**kwargs)


def _load(cfg):
    try:
        return (utils.load_trainval_arrays(cfg.data_source, cfg.data_dir),
                utils.load_test_arrays(cfg.data_source, cfg.data_dir))
    except mnist.DataError as err:
        raise errors.UserError("data: %s" % err)


def train(cfg, log=print):
    """Trains (or resumes) one run and writes its outputs.

    Returns:
      The metrics dict also written to `metrics.json`, or None when the run was stopped (it resumes).
    """
    (train_x, train_y, val_x, val_y), (test_x, test_y) = _load(cfg)  # bad data fails before anything is written
    val_batches = utils.generate_batched_data(val_x, val_y, cfg.batch_size)
    test_batches = utils.generate_batched_data(test_x, test_y, cfg.batch_size)
    run_dir = cfg.run_dir or run.default_run_dir(TASK, cfg.type.lower())
    with run.Run(cfg, run_dir, restart=cfg.restart) as r:
        model = build_model(cfg, r.make_checkpointer)
        optimizer = _sibling("optimizer").SGD(learning_rate=cfg.learning_rate, reg=cfg.reg)
        start = r.restore_or_initialize(model.session, model.ops.init)
        model.refresh()  # the variables were just written behind the model's NumPy dicts
        writer = r.open_writer(model.graph)
        started = time.time()
        for epoch in r.steps(model.session, start, cfg.epochs, 1, desc=cfg.type):
            batches = utils.generate_batched_data(train_x, train_y, cfg.batch_size, shuffle=True,
                                                  seed=cfg.seed * 1000 + epoch - 1)
            train_loss, train_acc = utils.train(epoch - 1, batches[0], batches[1], model, optimizer, cfg.debug)
            val_loss, val_acc = utils.evaluate(val_batches[0], val_batches[1], model, cfg.debug)
            if val_acc > max((h["val_accuracy"] for h in r.history.rows), default=-1.0):
                model.run_op("save_best")  # the skeleton's deepcopy of the best model, as assign ops
            r.log(epoch, {"train_loss": train_loss, "train_accuracy": train_acc, "val_loss": val_loss,
                          "val_accuracy": val_acc}, summaries=False)
            training.add_scalars(writer, epoch, {"loss/train": train_loss, "loss/val": val_loss,
                                                 "accuracy/train": train_acc, "accuracy/val": val_acc})
            r.progress.set_postfix(val_acc="%.4f" % val_acc)
            model.sync()  # the checkpoint after this body saves what the NumPy side holds
        seconds = time.time() - started
        if r.stopped:
            model.close()
            return None
        model.run_op("load_best")
        test_loss, test_acc = utils.evaluate(test_batches[0], test_batches[1], model, debug=False)
        predictions = model.predict(test_x).argmax(axis=1)
        # Per-class recall shows a dead class at once (SoftmaxRegression's ReLU on the logits can kill one).
        per_class = [float(np.mean(predictions[test_y == c] == c)) if np.any(test_y == c) else None
                     for c in range(model.num_classes)]
        model.close()
        history = r.history.rows
        best = max(history, key=lambda h: h["val_accuracy"])
        utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                          [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                          path=r.paths.path("learning_curves.png"),
                          title="%s (lr %g, reg %g)" % (cfg.type, cfg.learning_rate, cfg.reg))
        metrics = {"model": cfg.type, "data": utils.describe_source(cfg.data_source, cfg.data_dir),
                   "num_train": len(train_x), "num_val": len(val_x), "num_test": len(test_x),
                   "best_epoch": best["step"], "best_val_accuracy": best["val_accuracy"],
                   "test_accuracy": test_acc, "test_loss": test_loss,
                   "final_train_accuracy": history[-1]["train_accuracy"],
                   "final_val_accuracy": history[-1]["val_accuracy"],
                   "test_recall_per_class": per_class, "epochs": cfg.epochs, "resumed_at_epoch": start,
                   "train_seconds_this_invocation": round(seconds, 2)}
        r.finish(metrics)
    log("%s on %s: best validation accuracy %.4f (epoch %d), test accuracy %.4f" % (
        metrics["model"], metrics["data"], metrics["best_val_accuracy"], metrics["best_epoch"],
        metrics["test_accuracy"]))
    log("outputs: %s (metrics.json, learning_curves.png, checkpoints/)" % run_dir)
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    return cli.done_or_stopped(train(cfg))


if __name__ == "__main__":
    sys.exit(main())
