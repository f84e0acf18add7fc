"""The CS7643 report's studies on the two-layer MLP, plus a validation-selected tuned configuration.

    nice python -m tf1_mnist.experiments [--epochs 10] [--tuned_epochs 30] [--no-search]

1. defaults: config_softmax.yaml and config_twolayer.yaml as given.
2. learning rate 1, 0.1, 0.05, 0.01 with everything else from config_exp.yaml (one change at a time).
3. regularization 1, 0.1, 0.01, 0.001, 0.0001, likewise.
4. tuning: reg from the study's best validation accuracy, then a grid over learning rate x hidden size x
   batch size with `tuned_epochs` epochs; the winner is picked on validation accuracy only, then tested once.
Every run is a main.py run dir under out_dir, named by its settings, so a repeated setting (lr 0.1 = reg 0.001
= the default) is trained once and an interrupted study resumes. Writes results.md, results.json,
config_tuned.yaml and study_lr.png / study_reg.png / tuned_vs_default.png into out_dir.
"""
import itertools
import os
import time

import yaml

from common import config, files, plots
from tf1_mnist import main as trainer
from tf1_mnist import utils

DEFAULTS = {
    "epochs": 10,
    "tuned_epochs": 30,
    "search": True,
    "learning_rates": [1.0, 0.1, 0.05, 0.01],
    "regs": [1.0, 0.1, 0.01, 0.001, 0.0001],
    "grid_learning_rates": [0.5, 1.0],
    "grid_hidden_sizes": [128, 256],
    "grid_batch_sizes": [32, 64],
    "data_source": "auto",
    "data_dir": None,
    "out_dir": "runs/tf1_mnist/experiments",
    "seed": 0,
    "threads": 2,
}
HELP = {"epochs": "epochs of the default runs and the lr/reg studies",
        "tuned_epochs": "epochs of each run of the tuning grid",
        "search": "run the tuning grid (--no-search: studies only)",
        "learning_rates": "learning-rate study values", "regs": "regularization study values",
        "grid_learning_rates": "tuning grid: learning rates", "grid_hidden_sizes": "tuning grid: hidden sizes",
        "grid_batch_sizes": "tuning grid: batch sizes", "data_source": "as in main.py",
        "data_dir": "as in main.py", "out_dir": "where the run dirs and the tables go",
        "seed": "shuffling seed", "threads": "TensorFlow threads"}
CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


def _course_config(name, cfg, **changes):
    """A main.py Config from one of the committed YAML files, with the experiment's data/seed settings."""
    values = dict(trainer.DEFAULTS)
    values.update(config.load_yaml(os.path.join(CONFIG_DIR, name), trainer.DEFAULTS))
    values.update(data_source=cfg.data_source, data_dir=cfg.data_dir, seed=cfg.seed, threads=cfg.threads)
    values.update(changes)
    return config.Config(values)


def _run_name(run_cfg):
    return "%s_lr%g_reg%g_h%d_b%d_e%d" % (run_cfg.type, run_cfg.learning_rate, run_cfg.reg, run_cfg.hidden_size,
                                          run_cfg.batch_size, run_cfg.epochs)


def _train(run_cfg, out_dir, results):
    name = _run_name(run_cfg)
    if name not in results:
        run_dir = os.path.join(out_dir, name)
        metrics = trainer.run(run_cfg, run_dir)
        history = files.read_json(os.path.join(run_dir, "history.json"))
        results[name] = {"config": run_cfg.to_dict(), "metrics": metrics, "history": history, "run_dir": run_dir}
        print("%-45s best val %.4f (epoch %2d)  test %.4f" % (name, metrics["best_val_accuracy"],
                                                               metrics["best_epoch"], metrics["test_accuracy"]),
              flush=True)
    return name


def _series(results, names, labels, key):
    return {label: ([h["epoch"] for h in results[n]["history"]], [h[key] for h in results[n]["history"]])
            for n, label in zip(names, labels)}


def _table(results, names, first_header, first_values):
    rows = ["| %s | best val acc (epoch) | test acc | final train loss | final train acc |" % first_header,
            "|---|---|---|---|---|"]
    for name, value in zip(names, first_values):
        m, last = results[name]["metrics"], results[name]["history"][-1]
        rows.append("| %s | %.4f (%d) | %.4f | %.4f | %.4f |" % (value, m["best_val_accuracy"], m["best_epoch"],
                                                                 m["test_accuracy"], last["train_loss"],
                                                                 last["train_accuracy"]))
    return "\n".join(rows)


def run(cfg):
    """Runs every study; returns the results dict (also written as results.json)."""
    began = time.time()
    out = cfg.out_dir
    results = {}
    soft = _train(_course_config("config_softmax.yaml", cfg, epochs=cfg.epochs), out, results)
    default = _train(_course_config("config_twolayer.yaml", cfg, epochs=cfg.epochs), out, results)
    lr_runs = [_train(_course_config("config_exp.yaml", cfg, learning_rate=lr, epochs=cfg.epochs), out, results)
               for lr in cfg.learning_rates]
    reg_runs = [_train(_course_config("config_exp.yaml", cfg, reg=reg, epochs=cfg.epochs), out, results)
                for reg in cfg.regs]
    md = ["# CS7643 studies (`python -m tf1_mnist.experiments`)", "",
          "Data: %s; %d train / %d validation / %d test. Test accuracy uses the best-validation epoch's weights."
          % (results[default]["metrics"]["data"], results[default]["metrics"]["num_train"],
             results[default]["metrics"]["num_val"], results[default]["metrics"]["num_test"]), "",
          "## Defaults (%d epochs)" % cfg.epochs, "",
          _table(results, [soft, default], "model", ["SoftmaxRegression", "TwoLayerNet"]), "",
          "## Learning rate (reg 0.001, hidden 128, batch 64)", "",
          _table(results, lr_runs, "learning rate", cfg.learning_rates), "",
          "## Regularization (lr 0.1, hidden 128, batch 64)", "",
          _table(results, reg_runs, "reg", cfg.regs), ""]
    for study, names, values in (("lr", lr_runs, cfg.learning_rates), ("reg", reg_runs, cfg.regs)):
        labels = ["%s %g" % (study, v) for v in values]
        plots.save_learning_curves(os.path.join(out, "study_%s.png" % study), {
            "train loss": _series(results, names, labels, "train_loss"),
            "validation accuracy": _series(results, names, labels, "val_accuracy")},
            title="TwoLayerNet: %s study" % study, logy=("train loss",))
    summary = {"default": default, "softmax": soft, "lr_study": lr_runs, "reg_study": reg_runs}
    if cfg.search:
        best_reg = max(reg_runs, key=lambda n: results[n]["metrics"]["best_val_accuracy"])
        reg = results[best_reg]["config"]["reg"]
        grid = [_train(_course_config("config_exp.yaml", cfg, learning_rate=lr, hidden_size=h, batch_size=b,
                                      reg=reg, epochs=cfg.tuned_epochs), out, results)
                for lr, h, b in itertools.product(cfg.grid_learning_rates, cfg.grid_hidden_sizes,
                                                  cfg.grid_batch_sizes)]
        tuned = max(grid, key=lambda n: results[n]["metrics"]["best_val_accuracy"])
        tuned_cfg = {k: results[tuned]["config"][k] for k in ("type", "batch_size", "learning_rate", "reg",
                                                               "epochs", "hidden_size")}
        with files.atomic_write(os.path.join(out, "config_tuned.yaml")) as handle:
            handle.write("# selected by python -m tf1_mnist.experiments on validation accuracy\n")
            yaml.safe_dump(tuned_cfg, handle, default_flow_style=False, sort_keys=False)
        labels = ["lr %g, hidden %d, batch %d" % (results[n]["config"]["learning_rate"],
                                                  results[n]["config"]["hidden_size"],
                                                  results[n]["config"]["batch_size"]) for n in grid]
        md += ["## Tuning (reg %g from the study; %d epochs; picked on validation)" % (reg, cfg.tuned_epochs), "",
               _table(results, grid, "setting", labels), "",
               "Tuned: `%s` -> test accuracy %.4f vs default %.4f." % (
                   tuned_cfg, results[tuned]["metrics"]["test_accuracy"],
                   results[default]["metrics"]["test_accuracy"]), ""]
        plots.save_learning_curves(os.path.join(out, "tuned_vs_default.png"), {
            "train loss": _series(results, [default, tuned], ["default", "tuned"], "train_loss"),
            "validation accuracy": _series(results, [default, tuned], ["default", "tuned"], "val_accuracy")},
            title="TwoLayerNet: default vs tuned", logy=("train loss",))
        summary.update(grid=grid, tuned=tuned, tuned_config=tuned_cfg)
    seconds = time.time() - began
    md.append("Wall-clock time of this invocation: %.0f s (runs already complete in %s are reused)." % (seconds, out))
    files.write_text(os.path.join(out, "results.md"), "\n".join(md) + "\n")
    files.write_json(os.path.join(out, "results.json"), {"summary": summary, "runs": results, "seconds": seconds})
    return results, summary, seconds


def main(argv=None):
    utils.quiet_tensorflow()
    cfg = config.parse(DEFAULTS, argv, description=__doc__.split("\n")[0], help=HELP)
    try:
        _, summary, seconds = run(cfg)
    except config.ConfigError as err:
        raise SystemExit("error: %s" % err)
    print("wrote %s/results.md (+ results.json, study_lr.png, study_reg.png%s) in %.0f s" % (
        cfg.out_dir, ", tuned_vs_default.png, config_tuned.yaml" if "tuned" in summary else "", seconds))


if __name__ == "__main__":
    main()
