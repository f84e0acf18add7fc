"""The runs' figures and reports: the predicted-vs-true scatter plot of a finished run, and the Markdown section
for reports/REPORT.md (one table row per run, plus each run's figures)."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIGURES = ("loss_curve.png", "val_scatter.png", "test_scatter.png")


def save_scatter(path, true, predicted, title, quantity="energy"):
    """Predicted vs true `quantity` (an axis label with its unit; the diagonal is a perfect predictor)."""
    from common import plots  # deferred: matplotlib is needed for figures only, not for the report's section
    plt = plots.plt
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(true, predicted, s=4, alpha=0.5)
    lo, hi = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
    ax.plot([lo, hi], [lo, hi], "k--", linewidth=1)
    ax.set_xlabel("true " + quantity)
    ax.set_ylabel("predicted " + quantity)
    ax.set_title(title)
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=100)


CAPTIONS = {  # (file, QM9 run?) -> what the figure shows
    ("loss_curve.png", False): "validation MAE and RMSE per evaluation step, beside predicting the mean and the "
                               "pair-distance histogram regression",
    ("val_scatter.png", False): "predicted against true energy of the validation systems",
    ("loss_curve.png", True): "validation MAE per evaluation step, beside the dressed-atom baseline",
    ("test_scatter.png", True): "predicted against true value of the test molecules",
}


def _synthetic_table(names, metrics):
    lines = ["| run | steps | val MAE | val RMSE | mean-baseline MAE | MAE / baseline |", "|---|---|---|---|---|---|"]
    for name in names:
        m = metrics[name]
        lines.append("| %s | %d | %.3f | %.3f | %.3f | %.2f |" % (name, m["steps"], m["val_mae"], m["val_rmse"],
                                                               m["baseline_val_mae"], m["val_mae_over_baseline"]))
    return lines + [""]


def section(task_runs_dir):
    """Returns Markdown summarising every run under `task_runs_dir` (e.g. runs/tf1_molecules); the run of
    `make demo` in its own table, marked as a pipeline check."""
    from common import report as common_report  # pylint: disable=import-outside-toplevel  (it imports the tasks)
    lines = ["## tf1_molecules: Euclidean message passing on synthetic Morse-energy systems", ""]
    runs = sorted(d for d in os.listdir(task_runs_dir) if os.path.isfile(os.path.join(task_runs_dir, d, "metrics.json"))) \
        if os.path.isdir(task_runs_dir) else []
    if not runs:
        return "\n".join(lines + ["No finished runs in %s (run `python -m tf1_molecules.train`)." % task_runs_dir, ""])
    metrics = {}
    for name in runs:
        with open(os.path.join(task_runs_dir, name, "metrics.json"), encoding="utf-8") as handle:
            metrics[name] = json.load(handle)
    demo = [n for n in runs if common_report.is_demo(n)]
    synthetic = [n for n in runs if metrics[n].get("dataset") != "qm9" and n not in demo]
    qm9_runs = [n for n in runs if metrics[n].get("dataset") == "qm9" and n not in demo]
    if synthetic:
        lines += _synthetic_table(synthetic, metrics)
    if qm9_runs:
        lines += ["QM9 (test split; `python -m tf1_molecules.qm9_report` adds the pair-histogram baseline):", "",
                  "| run | target | training molecules | steps | test MAE | dressed atoms | predict the mean |",
                  "|---|---|---|---|---|---|---|"]
        for name in qm9_runs:
            m = metrics[name]
            key = "mae_kcal_mol" if m["unit"] == "kcal/mol" else "mae_meV"
            lines.append("| %s | %s | %d | %d | %.2f %s | %.2f | %.2f |" % (
                name, m["target"], m["num_train"], m["steps"], m["test"][key], m["unit"],
                m["baseline_test_dressed_atom"][key], m["baseline_test_mean"][key]))
        lines.append("")
    lines += _figures(task_runs_dir, synthetic + qm9_runs, metrics, False)
    if demo:
        budget = common_report.budget([metrics[n]["steps"] for n in demo],
                                      common_report.recipe("tf1_molecules", "steps"), "steps")
        lines += ["### Pipeline checks (`make demo`)", "", common_report.PIPELINE_CHECK % budget, ""]
        lines += _synthetic_table(demo, metrics)
        lines += _figures(task_runs_dir, demo, metrics, True)
    return "\n".join(lines)


def _figures(task_runs_dir, names, metrics, demo):
    from common import report as common_report  # pylint: disable=import-outside-toplevel
    lines = []
    for name in names:
        qm9 = metrics[name].get("dataset") == "qm9"
        for fig in FIGURES:
            path = os.path.join(task_runs_dir, name, fig)
            if os.path.exists(path) and (fig, qm9) in CAPTIONS:
                lines.append(common_report.figure(os.path.relpath(os.path.abspath(path), ROOT), "Run %s%s: %s." % (
                    name, " (pipeline check)" if demo else "", CAPTIONS[(fig, qm9)])))
    return lines + [""]
