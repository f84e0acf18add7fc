"""Train a CS7643 model, validate every epoch, test the best-validation weights (skeleton: main.py).

    python -m tf1_mnist.main --config tf1_mnist/configs/config_twolayer.yaml [--epochs 3] [--run-dir DIR]
    python main.py --config configs/config_twolayer.yaml      # from tf1_mnist/ or the unpacked submission zip

The configuration keys are the course's (`type`, `batch_size`, `learning_rate`, `reg`, `epochs`, `hidden_size`,
`debug`); YAML files may group them under the course's `Train:` / `Model:` sections. Writes into the run dir
(default runs/tf1_mnist/<type>) through `common.run`: config.yaml, checkpoints/ (one per epoch; rerunning the
same command resumes, Ctrl-C / SIGTERM finishes the epoch, saves it and exits 130; a diverged loss exits 3),
history.json, TensorBoard events, learning_curves.png and metrics.json; it ends with a short table of the
headline numbers.

The training CLI is a `common.task.Trainer` run by `common.loop` like every task's, but it is defined here,
not in tf1_mnist/task.py (which lists it): the submission zip carries this file, the course's packages and
`common/`, so `python main.py` must find its trainer beside it.
"""
import collections
import importlib
import math
import sys

import numpy as np


def _sibling(name):
    """`utils`, `models` or `optimizer` beside this file: `tf1_mnist.<name>` when run as
    `python -m tf1_mnist.main`, the top-level `<name>` when run as `python main.py` from the assignment folder
    (the course's layout, e.g. the unpacked submission zip)."""
    return importlib.import_module("." + name, __package__) if __package__ else importlib.import_module(name)


utils = _sibling("utils")  # first: in the course's layout it also makes `common` importable (see utils.py)
from common import config, mnist, run, task, training  # noqa: E402  pylint: disable=wrong-import-position

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
    config.session_epochs(),
    config.restart(),
], sections=("Train", "Model"))


def build_model(cfg, finalize=True):
    """The model named by `cfg.type`, its graph built (and finalized unless `finalize` is False)."""
    models = _sibling("models").MODELS  # deferred: TensorFlow is not imported for `--help`
    kwargs = {"threads": cfg.threads, "finalize": finalize}
    if cfg.type == "TwoLayerNet":
        kwargs["hidden_size"] = cfg.hidden_size
    return models[cfg.type](**kwargs)


DESCRIPTION = __doc__.split("\n\n")[0]
Data = collections.namedtuple("Data", "train_x train_y val_x val_y test_x test_y val_batches test_batches")
# The model owns its graph and session: the loop adds its checkpointer to that graph, uses the session, closes it.
Built = collections.namedtuple("Built", "graph init_op session model optimizer")


class CourseTrainer(task.Trainer):
    """One epoch of the course's SGD per loop step; the best-validation weights are kept in the graph."""

    module = "tf1_mnist.main"
    task = "tf1_mnist"  # also when no Task lists it (the course layout has no tf1_mnist/task.py)
    schema = SCHEMA
    description = DESCRIPTION
    step_unit = "epoch"
    smoke_args = ("--run-dir", "{tmp}/run", "--epochs", "1", "--data-source", "embedded")
    # one checkpoint per epoch (the only cadence of this CLI): many short epochs
    resume_args = ("--epochs", "40", "--data-source", "embedded", "--threads", "1")
    resume_step = 5
    invariants = {name: ("-m", "tf1_mnist.main", "--config", "tf1_mnist/configs/config_%s.yaml" % config_name,
                         "--epochs", "1", "--run-dir", "{run}", "--threads", "1", "--data-source", "embedded")
                  for name, config_name in (("mnist_softmax", "softmax"), ("mnist_twolayer", "twolayer"))}
    loss_key = "train_loss"
    # lr 10 alone still trains the TwoLayerNet here; with reg 1 the weight decay overshoots every step
    diverge_args = ("--epochs", "3", "--data-source", "embedded", "--learning-rate", "10", "--reg", "1",
                    "--threads", "1")

    def load(self, cfg):
        train_x, train_y, val_x, val_y = utils.load_trainval_arrays(cfg.data_source, cfg.data_dir)
        test_x, test_y = utils.load_test_arrays(cfg.data_source, cfg.data_dir)
        return Data(train_x, train_y, val_x, val_y, test_x, test_y,
                    utils.generate_batched_data(val_x, val_y, cfg.batch_size),
                    utils.generate_batched_data(test_x, test_y, cfg.batch_size))

    def run_dir(self, cfg):
        return cfg.run_dir or run.default_run_dir(self.task, cfg.type.lower())

    def trivial_loss(self, cfg):
        return math.log(10), "a classifier that guesses uniformly among the 10 digits"

    def build(self, cfg, data):
        model = build_model(cfg, finalize=False)
        optimizer = _sibling("optimizer").SGD(learning_rate=cfg.learning_rate, reg=cfg.reg)
        return Built(model.graph, model.ops.init, model.session, model, optimizer)

    def total(self, cfg, g):
        return cfg.epochs

    def ckpt_every(self, cfg):
        return 1

    def begin(self, ctx):
        ctx.g.model.refresh()  # the variables were just written behind the model's NumPy dicts

    def step(self, ctx, epoch):
        cfg, data, model = ctx.cfg, ctx.data, ctx.g.model
        batches = utils.generate_batched_data(data.train_x, data.train_y, cfg.batch_size, shuffle=True,
                                              seed=cfg.seed * 1000 + epoch - 1)
        train_loss, train_acc = utils.train(epoch - 1, batches[0], batches[1], model, ctx.g.optimizer, cfg.debug)
        val_loss, val_acc = utils.evaluate(data.val_batches[0], data.val_batches[1], model, cfg.debug)
        if val_acc > max((h["val_accuracy"] for h in ctx.history.rows), default=-1.0):
            model.run_op("save_best")  # the skeleton's deepcopy of the best model, as assign ops
        scalars = {"train_loss": train_loss, "train_accuracy": train_acc, "val_loss": val_loss,
                   "val_accuracy": val_acc}
        ctx.run.log(epoch, scalars, summaries=False)
        training.add_scalars(ctx.writer, epoch, {"loss/train": train_loss, "loss/val": val_loss,
                                                 "accuracy/train": train_acc, "accuracy/val": val_acc})
        model.sync()  # the checkpoint after this step saves what the NumPy side holds
        return scalars

    def evaluate(self, ctx):
        data, model = ctx.data, ctx.g.model
        model.run_op("load_best")
        test_loss, test_acc = utils.evaluate(data.test_batches[0], data.test_batches[1], model, debug=False)
        predictions = model.predict(data.test_x).argmax(axis=1)
        # Per-class recall shows a dead class at once (SoftmaxRegression's ReLU on the logits can kill one).
        per_class = [float(np.mean(predictions[data.test_y == c] == c)) if np.any(data.test_y == c) else None
                     for c in range(model.num_classes)]
        return test_loss, test_acc, per_class

    def finish(self, ctx, result):
        cfg, data = ctx.cfg, ctx.data
        test_loss, test_acc, per_class = result
        history = ctx.history.rows
        best = max(history, key=lambda h: h["val_accuracy"])
        utils.plot_curves([h["train_loss"] for h in history], [h["train_accuracy"] for h in history],
                          [h["val_loss"] for h in history], [h["val_accuracy"] for h in history],
                          path=ctx.paths.path("learning_curves.png"),
                          title="%s (lr %g, reg %g)" % (cfg.type, cfg.learning_rate, cfg.reg))
        return {"model": cfg.type, "data": utils.describe_source(cfg.data_source, cfg.data_dir),
                "num_train": len(data.train_x), "num_val": len(data.val_x), "num_test": len(data.test_x),
                "best_epoch": best["step"], "best_val_accuracy": best["val_accuracy"],
                "test_accuracy": test_acc, "test_loss": test_loss,
                "final_train_accuracy": history[-1]["train_accuracy"],
                "final_val_accuracy": history[-1]["val_accuracy"],
                "test_recall_per_class": per_class, "epochs": cfg.epochs, "resumed_at_epoch": ctx.start,
                "train_seconds_this_invocation": round(ctx.seconds, 2)}

    def summary(self, metrics):
        return [("best validation accuracy (epoch %d)" % metrics["best_epoch"], metrics["best_val_accuracy"], ""),
                ("%s test accuracy (best-validation weights)" % metrics["model"], metrics["test_accuracy"], ""),
                ("test loss", metrics["test_loss"], ""), ("epochs", metrics["epochs"], ""),
                ("training time this invocation", metrics["train_seconds_this_invocation"], "s")]


TRAINER = CourseTrainer()


def train(cfg, log=print):
    """Trains (or resumes) one run; the metrics (also in metrics.json), or None when it was stopped (it resumes)."""
    from common import loop  # pylint: disable=import-outside-toplevel
    return loop.train(TRAINER, cfg, log=log)


def main(argv=None):
    return TRAINER.main(argv)


if __name__ == "__main__":
    sys.exit(main())
