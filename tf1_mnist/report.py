"""Markdown section of reports/REPORT.md for tf1_mnist (called by common.report)."""
import collections
import os
import sys

import numpy as np

from common import cli, files, mnist, report


def _rel(path):
    return os.path.relpath(os.path.abspath(path), mnist.REPO_ROOT)


def cnn_table(metrics_paths):
    """ConvNet runs grouped by batch-norm variant: test accuracy mean ± sd over the runs (seeds)."""
    groups = collections.OrderedDict((bn, []) for bn in ("none", "2d", "1d", "both"))
    for path in metrics_paths:
        m = files.read_json(path)
        groups.setdefault(m["bn"], []).append(m)
    rows = ["### ConvNet (`python -m tf1_mnist.cnn --bn ... [--seed S]`)", "",
            "| batch norm | runs | epochs | test accuracy (mean ± sd) | min - max | train images/s (median) |",
            "|---|---|---|---|---|---|"]
    for bn, runs in groups.items():
        if not runs:
            continue
        acc = np.array([m["test_accuracy"] for m in runs])
        sd = " ± %.4f" % acc.std(ddof=1) if len(acc) > 1 else ""
        rows.append("| %s | %d | %s | %.4f%s | %.4f - %.4f | %.0f |" % (
            bn, len(runs), "/".join(sorted({str(m["epochs"]) for m in runs})), acc.mean(), sd, acc.min(), acc.max(),
            np.median([m["train_images_per_second"] or 0 for m in runs])))
    return "\n".join(rows)


# The figures of `python -m tf1_mnist.experiments`, in the order of its tables, and what each shows.
STUDY_FIGURES = (
    ("defaults.png", "softmax regression and the two-layer net with the course's default hyper-parameters"),
    ("study_lr.png", "the two-layer net's learning-rate study"),
    ("study_reg.png", "the two-layer net's regularization study"),
    ("grid.png", "the tuning grid (learning rate x hidden size x batch size)"),
    ("tuned_vs_default.png", "the two-layer net, default against tuned hyper-parameters"),
)


def section(task_runs_dir):
    """Studies (from experiments/results.md), ConvNet runs and single main.py runs found under task_runs_dir;
    the runs of `make demo` in their own table, each marked as what it is."""
    parts = ["## tf1_mnist: CS7643 MLPs with hand-derived gradients, workshop ConvNet", ""]
    results = os.path.join(task_runs_dir, "experiments", "results.md")
    if os.path.exists(results):
        with open(results, encoding="utf-8") as handle:
            body = handle.read().split("\n", 1)[1]  # drop its H1
        parts += [body.replace("\n## ", "\n### "), ""]
        for name, what in STUDY_FIGURES:
            path = os.path.join(task_runs_dir, "experiments", name)
            if os.path.exists(path):
                parts.append(report.figure(_rel(path), "Training and validation loss and accuracy per epoch of %s "
                                           "(python -m tf1_mnist.experiments)." % what))
        parts.append("")
    runs = [(name, os.path.join(run_dir, "metrics.json")) for name, run_dir in report.find_runs(task_runs_dir)
            if not name.startswith("experiments")]
    demo = [(name, path) for name, path in runs if report.is_demo(name)]
    runs = [(name, path) for name, path in runs if not report.is_demo(name)]
    models = {path: files.read_json(path).get("model") for _, path in runs}
    cnn_runs = [path for _, path in runs if models[path] == "ConvNet"]
    if cnn_runs:
        parts += [cnn_table(cnn_runs), ""]
        for path in cnn_runs:
            png = os.path.join(os.path.dirname(path), "learning_curves.png")
            if os.path.exists(png) and "_seed" not in path:
                parts.append(report.figure(_rel(png), "ConvNet run %s: training and validation loss and accuracy "
                                           "per epoch." % os.path.basename(os.path.dirname(path))))
        parts.append("")
    singles = [(name, path) for name, path in runs if models[path] != "ConvNet"]
    if singles:
        parts += ["### Single runs (`python -m tf1_mnist.main`)", "", "| run | model | epochs | best val | test |",
                  "|---|---|---|---|---|"]
        for name, path in singles:
            m = files.read_json(path)
            parts.append("| %s | %s | %d | %.4f | %.4f |" % (name, m["model"], m["epochs"],
                                                             m["best_val_accuracy"], m["test_accuracy"]))
        parts.append("")
    if demo:
        parts += demo_section(demo)
    return "\n".join(parts)


def demo_section(demo):
    """The runs of `make demo`: the two course models train their full default configuration (their numbers are
    the course-default results), the ConvNet trains one epoch (a pipeline check, not a result)."""
    parts = ["### Runs of `make demo`", "",
             "The demo trains both course models with the course's default configuration files, in full (seed 0: "
             "these are the default results), and the ConvNet for a single epoch, which only checks the pipeline: "
             "the ConvNet results are in the table of the task's page.", "",
             "| run | model | epochs | what it is | best val | test |", "|---|---|---|---|---|---|"]
    for name, path in demo:
        m = files.read_json(path)
        convnet = m.get("model") == "ConvNet"
        best_val = m.get("best_val_accuracy")
        parts.append("| %s | %s | %d | %s | %s | %.4f |" % (
            name, m.get("model"), m["epochs"], "pipeline check" if convnet else "course default, full run",
            "%.4f" % best_val if isinstance(best_val, float) else "-", m["test_accuracy"]))
    parts.append("")
    for name, path in demo:
        png = os.path.join(os.path.dirname(path), "learning_curves.png")
        if os.path.exists(png):
            parts.append(report.figure(_rel(png), "Run %s (%s): training and validation loss and accuracy per epoch."
                                       % (name, "pipeline check" if files.read_json(path).get("model") == "ConvNet"
                                          else "course default configuration")))
    return parts + [""]


USAGE = "usage: python -m tf1_mnist.report [TASK_RUNS_DIR]  (default runs/tf1_mnist): prints Markdown"


@cli.entry_point
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.stderr.write(USAGE + "\n")
        return 2
    print(section(argv[0] if argv else os.path.join("runs", "tf1_mnist")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
