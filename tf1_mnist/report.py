"""Markdown section of reports/REPORT.md for tf1_mnist (called by common.report)."""
import collections
import os
import sys

import numpy as np

from common import files, mnist, report


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


def section(task_runs_dir):
    """Studies (from experiments/results.md), ConvNet runs and single main.py runs found under task_runs_dir."""
    parts = ["## tf1_mnist: CS7643 MLPs with hand-derived gradients, workshop ConvNet", ""]
    results = os.path.join(task_runs_dir, "experiments", "results.md")
    if os.path.exists(results):
        with open(results, encoding="utf-8") as handle:
            body = handle.read().split("\n", 1)[1]  # drop its H1
        parts += [body.replace("\n## ", "\n### "), ""]
        for name in ("study_lr.png", "study_reg.png", "tuned_vs_default.png"):
            path = os.path.join(task_runs_dir, "experiments", name)
            if os.path.exists(path):
                parts.append("![%s](%s)" % (name, _rel(path)))
        parts.append("")
    runs = [(name, os.path.join(run_dir, "metrics.json")) for name, run_dir in report.find_runs(task_runs_dir)
            if not name.startswith("experiments")]
    models = {path: files.read_json(path).get("model") for _, path in runs}
    cnn_runs = [path for _, path in runs if models[path] == "ConvNet"]
    if cnn_runs:
        parts += [cnn_table(cnn_runs), ""]
        for path in cnn_runs:
            png = os.path.join(os.path.dirname(path), "learning_curves.png")
            if os.path.exists(png) and "_seed" not in path:
                parts.append("![%s](%s)" % (os.path.basename(os.path.dirname(path)), _rel(png)))
        parts.append("")
    singles = [(name, path) for name, path in runs if models[path] != "ConvNet"]
    if singles:
        parts += ["### Single runs (`python -m tf1_mnist.main`)", "", "| run | model | best val | test |",
                  "|---|---|---|---|"]
        for name, path in singles:
            m = files.read_json(path)
            parts.append("| %s | %s | %.4f | %.4f |" % (name, m["model"],
                                                       m["best_val_accuracy"], m["test_accuracy"]))
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    USAGE = "usage: python -m tf1_mnist.report [TASK_RUNS_DIR]  (default runs/tf1_mnist): prints Markdown"
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(USAGE)
    elif len(sys.argv) > 1 and sys.argv[1].startswith("-"):
        sys.stderr.write(USAGE + "\n")
        sys.exit(2)
    else:
        print(section(sys.argv[1] if len(sys.argv) > 1 else os.path.join("runs", "tf1_mnist")))
