"""The CS7643 report's studies on the two-layer MLP, plus a validation-selected tuned configuration.

    nice python -m tf1_mnist.experiments [--epochs 10] [--tuned-epochs 30] [--no-search]

1. defaults: config_softmax.yaml and config_twolayer.yaml as given.
2. learning rate 1, 0.1, 0.05, 0.01 with everything else from config_exp.yaml (one change at a time).
3. regularization 1, 0.1, 0.01, 0.001, 0.0001, likewise.
4. tuning: reg from the study's best validation accuracy, then a grid over learning rate x hidden size x
   batch size with `tuned_epochs` epochs; the winner is picked on validation accuracy only, then tested once.
Every run is a main.py run dir under out_dir, named by its settings, so a repeated setting (lr 0.1 = reg 0.001
= the default) is trained once and an interrupted study resumes. Writes results.md, results.json,
config_tuned.yaml and the figures into out_dir: defaults.png, study_lr.png, study_reg.png, grid.png and
tuned_vs_default.png, each with training and validation loss and accuracy per epoch for every setting of its
experiment (the mean over the seeds, their range shaded).
"""
import itertools
import os
import sys
import time

import numpy as np
import yaml

from common import cli, config, files, mnist, plots
from tf1_mnist import main as trainer

SCHEMA = config.Schema([
    config.epochs(10, "epochs of the default runs and the lr/reg studies"),
    config.Key("tuned_epochs", 30, "epochs of each run of the tuning grid", ge=1),
    config.Key("search", True, "run the tuning grid (--no-search: studies only)"),
    config.Key("learning_rates", [1.0, 0.1, 0.05, 0.01], "learning-rate study values", gt=0),
    config.Key("regs", [1.0, 0.1, 0.01, 0.001, 0.0001], "regularization study values", ge=0),
    config.Key("grid_learning_rates", [0.5, 1.0], "tuning grid: learning rates", gt=0),
    config.Key("grid_hidden_sizes", [128, 256], "tuning grid: hidden sizes", ge=1),
    config.Key("grid_batch_sizes", [32, 64], "tuning grid: batch sizes", ge=1),
    config.data_source("auto", choices=mnist.SOURCES, help="as in main.py"),
    config.data_dir("as in main.py"),
    config.Key("out_dir", "runs/tf1_mnist/experiments", "where the run dirs and the tables go"),
    config.Key("seeds", [0], "shuffling seeds: each setting runs once per seed; tables give mean (± sd over seeds)",
               ge=0),
    config.threads(2),
])
DEFAULTS = SCHEMA.defaults
CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


class Stopped(Exception):
    """A run of the study was stopped (Ctrl-C / SIGTERM); it and the study resume on the same command."""


def _course_config(name, cfg, **changes):
    """A main.py Config from one of the committed YAML files, with the experiment's data/seed settings."""
    values = trainer.SCHEMA.load_yaml(os.path.join(CONFIG_DIR, name))
    values.update(data_source=cfg.data_source, data_dir=cfg.data_dir, threads=cfg.threads)
    values.update(changes)
    return trainer.SCHEMA.validate(values)


def course_sections(flat):
    """{key: value} -> the course's YAML layout {"Train": {...}, "Model": {...}}."""
    model_keys = ("type", "hidden_size")
    train = {k: v for k, v in flat.items() if k not in model_keys}
    train.setdefault("debug", False)  # the course's main.py reads args.debug
    return {"Train": train, "Model": {k: v for k, v in flat.items() if k in model_keys}}


def _run_name(run_cfg):
    name = "%s_lr%g_reg%g_h%d_b%d_e%d" % (run_cfg.type, run_cfg.learning_rate, run_cfg.reg, run_cfg.hidden_size,
                                          run_cfg.batch_size, run_cfg.epochs)
    return name + ("_s%d" % run_cfg.seed if run_cfg.seed else "")


def _train(base_cfg, out_dir, results, seeds):
    """Trains `base_cfg` once per seed (reusing finished runs); returns the list of run names."""
    return [_train_one(base_cfg.replace(seed=seed), out_dir, results) for seed in seeds]


def _train_one(run_cfg, out_dir, results):
    name = _run_name(run_cfg)
    if name not in results:
        run_dir = os.path.join(out_dir, name)
        metrics = trainer.train(run_cfg.replace(run_dir=run_dir), log=lambda message: None)
        if metrics is None:
            raise Stopped(name)
        history = files.read_json(os.path.join(run_dir, "history.json"))
        results[name] = {"config": run_cfg.to_dict(), "metrics": metrics, "history": history, "run_dir": run_dir}
        print("%-45s best val %.4f (epoch %2d)  test %.4f" % (name, metrics["best_val_accuracy"],
                                                               metrics["best_epoch"], metrics["test_accuracy"]),
              flush=True)
    return name


PANELS = (("training loss", "train_loss"), ("validation loss", "val_loss"),
          ("training accuracy", "train_accuracy"), ("validation accuracy", "val_accuracy"))


def _series(results, group, key):
    """(epochs, [one row of `key` per seed]) of one setting's runs."""
    histories = [results[name]["history"] for name in group]
    return [h["step"] for h in histories[0]], [[h[key] for h in history] for history in histories]


def save_figure(path, results, groups, labels, title, styles=None):
    """Training and validation loss and accuracy per epoch (2 x 2 panels), one line per setting: the mean over
    its seeds with their min-max range shaded."""
    history = {panel: {label: _series(results, group, key) for group, label in zip(groups, labels)}
               for panel, key in PANELS}
    seeds = len(groups[0])
    subtitle = " (mean of %d seeds, range shaded)" % seeds if seeds > 1 else " (seed %d)" % (
        results[groups[0][0]]["config"]["seed"])
    return plots.save_learning_curves(path, history, title=title + subtitle, ncols=2, panel_size=(4.2, 3.0),
                                      sharey="row", shared_legend=True, styles=styles,
                                      logy=("training loss", "validation loss"))


def _grid_styles(settings, labels):
    """One colour per (learning rate, hidden size), solid for the smaller batch and dashed for the larger."""
    colours = plots.plt.rcParams["axes.prop_cycle"].by_key()["color"]
    pairs = list(dict.fromkeys(s[:2] for s in settings))
    smallest = min(s[2] for s in settings)
    return {label: {"color": colours[pairs.index(s[:2]) % len(colours)],
                    "linestyle": "-" if s[2] == smallest else "--"} for s, label in zip(settings, labels)}


def _mean_val(results, group):
    return float(np.mean([results[n]["metrics"]["best_val_accuracy"] for n in group]))


def _stat(values, fmt="%.4f"):
    """'mean' or 'mean ± sd' (sample sd over seeds)."""
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " ± " + fmt) % (np.mean(values), np.std(values, ddof=1))


def _table(results, groups, first_header, first_values):
    rows = ["| %s | best val acc | test acc | final train loss | final train acc | seeds |" % first_header,
            "|---|---|---|---|---|---|"]
    for group, value in zip(groups, first_values):
        get = lambda key, where="metrics": [results[n][where][key] if where == "metrics"  # noqa: E731
                                            else results[n]["history"][-1][key] for n in group]
        rows.append("| %s | %s | %s | %s | %s | %d |" % (
            value, _stat(get("best_val_accuracy")), _stat(get("test_accuracy")),
            _stat(get("train_loss", "history")), _stat(get("train_accuracy", "history")), len(group)))
    return "\n".join(rows)


def _studies_markdown(cfg, results, seeds, defaults, lr_runs, reg_runs):
    """The head of studies.md: the data, then the default, learning-rate and regularization tables."""
    first = results[defaults[1][0]]["metrics"]
    return ["# CS7643 studies (`python -m tf1_mnist.experiments`)", "",
            "Data: %s; %d train / %d validation / %d test. Test accuracy uses the best-validation epoch's weights."
            % (first["data"], first["num_train"], first["num_val"], first["num_test"]),
            "Shuffling seeds %s; with several seeds each cell is mean ± sample sd, and the figures draw the mean "
            "curve with the seeds' range shaded." % (seeds,), "",
            "## Defaults (%d epochs)" % cfg.epochs, "",
            _table(results, defaults, "model", ["SoftmaxRegression", "TwoLayerNet"]), "",
            "## Learning rate (reg 0.001, hidden 128, batch 64)", "",
            _table(results, lr_runs, "learning rate", cfg.learning_rates), "",
            "## Regularization (lr 0.1, hidden 128, batch 64)", "",
            _table(results, reg_runs, "reg", cfg.regs), ""]


def run(cfg):
    """Runs every study; returns the results dict (also written as results.json)."""
    began = time.time()
    out = cfg.out_dir
    results = {}
    seeds = list(cfg.seeds) or [0]
    soft = _train(_course_config("config_softmax.yaml", cfg, epochs=cfg.epochs), out, results, seeds)
    default = _train(_course_config("config_twolayer.yaml", cfg, epochs=cfg.epochs), out, results, seeds)
    lr_runs = [_train(_course_config("config_exp.yaml", cfg, learning_rate=lr, epochs=cfg.epochs), out, results, seeds)
               for lr in cfg.learning_rates]
    reg_runs = [_train(_course_config("config_exp.yaml", cfg, reg=reg, epochs=cfg.epochs), out, results, seeds)
                for reg in cfg.regs]
    md = _studies_markdown(cfg, results, seeds, [soft, default], lr_runs, reg_runs)
    save_figure(os.path.join(out, "defaults.png"), results, [soft, default], ["SoftmaxRegression", "TwoLayerNet"],
                "Default hyper-parameters")
    for study, names, values, what in (("lr", lr_runs, cfg.learning_rates, "learning rate"),
                                       ("reg", reg_runs, cfg.regs, "regularization")):
        save_figure(os.path.join(out, "study_%s.png" % study), results, names,
                    ["%s %g" % (what, v) for v in values], "TwoLayerNet: %s study" % what)
    summary = {"default": default, "softmax": soft, "lr_study": lr_runs, "reg_study": reg_runs}
    if cfg.search:
        best_reg = max(reg_runs, key=lambda g: _mean_val(results, g))
        reg = results[best_reg[0]]["config"]["reg"]
        grid = [_train(_course_config("config_exp.yaml", cfg, learning_rate=lr, hidden_size=h, batch_size=b,
                                      reg=reg, epochs=cfg.tuned_epochs), out, results, seeds)
                for lr, h, b in itertools.product(cfg.grid_learning_rates, cfg.grid_hidden_sizes,
                                                  cfg.grid_batch_sizes)]
        tuned = max(grid, key=lambda g: _mean_val(results, g))
        tuned_cfg = {k: results[tuned[0]]["config"][k] for k in ("type", "batch_size", "learning_rate", "reg",
                                                               "epochs", "hidden_size")}
        with files.atomic_write(os.path.join(out, "config_tuned.yaml")) as handle:
            handle.write("# selected by python -m tf1_mnist.experiments on validation accuracy\n")
            yaml.safe_dump(course_sections(tuned_cfg), handle, default_flow_style=False, sort_keys=False)
        settings = [tuple(results[g[0]]["config"][k] for k in ("learning_rate", "hidden_size", "batch_size"))
                    for g in grid]
        labels = ["lr %g, hidden %d, batch %d" % setting for setting in settings]
        md += ["## Tuning (reg %g from the study; %d epochs; picked on validation)" % (reg, cfg.tuned_epochs), "",
               _table(results, grid, "setting", labels), "",
               "Tuned (highest mean validation accuracy): `%s` -> test accuracy %s vs default %s." % (
                   tuned_cfg, _stat([results[n]["metrics"]["test_accuracy"] for n in tuned]),
                   _stat([results[n]["metrics"]["test_accuracy"] for n in default])), ""]
        save_figure(os.path.join(out, "grid.png"), results, grid, labels,
                    "TwoLayerNet: tuning grid, reg %g" % reg, styles=_grid_styles(settings, labels))
        save_figure(os.path.join(out, "tuned_vs_default.png"), results, [default, tuned], ["default", "tuned"],
                    "TwoLayerNet: default vs tuned")
        summary.update(grid=grid, tuned=tuned, tuned_config=tuned_cfg)
    seconds = time.time() - began
    md.append("Wall-clock time of this invocation: %.0f s (runs already complete in %s are reused)." % (seconds, out))
    files.write_text(os.path.join(out, "results.md"), "\n".join(md) + "\n")
    files.write_json(os.path.join(out, "results.json"), {"summary": summary, "runs": results, "seconds": seconds})
    return results, summary, seconds


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n")[0])
    try:
        _, summary, seconds = run(cfg)
    except Stopped as stopped:
        sys.stderr.write("stopped in run %s; rerun the same command to resume (finished runs are reused)\n"
                         % stopped)
        return 130
    print("wrote %s/results.md (+ results.json, defaults.png, study_lr.png, study_reg.png%s) in %.0f s" % (
        cfg.out_dir, ", grid.png, tuned_vs_default.png, config_tuned.yaml" if "tuned" in summary else "", seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
