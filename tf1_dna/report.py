"""Section of reports/REPORT.md for the DNA task: one row per run, the loss curve and the proline probe."""
import glob
import json
import os

_FIGURES = (("loss.png", "binary cross-entropy over the training sequences per epoch"),
            ("probe_proline.png", "predicted amino-acid distributions of the four proline codons (question 4e)"))


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def section(task_runs_dir):
    """Markdown for the runs under `task_runs_dir` (e.g. runs/tf1_dna); image paths as given (repo-relative)."""
    lines = ["## tf1_dna: DNA -> protein with a stride-3 Conv1d network", ""]
    metric_files = sorted(glob.glob(os.path.join(task_runs_dir, "*", "metrics.json")))
    if not metric_files:
        return "\n".join(lines + ["No runs yet: `python -m tf1_dna.train` or `python -m tf1_dna.demo`.", ""])
    lines += ["| run | epochs | final BCE | codon acc. (train) | codon acc. (fresh ORFs) | s (last invocation) |",
              "|---|---|---|---|---|---|"]
    from common import report  # pylint: disable=import-outside-toplevel  (it imports the tasks)
    recipe = report.recipe("tf1_dna", "epochs")
    for path in metric_files:
        m = _load(path)
        final = m.get("final_loss")
        name = os.path.basename(os.path.dirname(path))
        if report.is_demo(name):  # `make demo` trains the recipe itself here; say so either way
            name += " (`make demo`: %s)" % ("the full recipe" if m.get("epochs") == recipe else "pipeline check")
        lines.append("| %s | %s | %s | %.4f | %.4f | %.1f |" % (
            name, m.get("epochs"),
            "%.2e" % final if final is not None else "-", m["train_codon_accuracy"],
            m["fresh_orf_codon_accuracy"], m.get("train_seconds_this_invocation", float("nan"))))
    lines.append("")
    runs = [os.path.basename(os.path.dirname(p)) for p in metric_files]
    for run in ["default", "demo"] + runs:  # figures of one run: the default one if there is one
        run_dir = os.path.join(task_runs_dir, run)
        shown = [(f, t) for f, t in _FIGURES if os.path.exists(os.path.join(run_dir, f))]
        if shown:
            for name, title in shown:
                lines.append(report.figure(os.path.join(run_dir, name), "Run %s: %s." % (run, title)))
            lines.append("")
            break
    unseen = os.path.join(task_runs_dir, "unseen", "unseen.md")
    if os.path.exists(unseen):
        with open(unseen, encoding="utf-8") as handle:
            lines += ["Never-seen codons across seeds (`python -m tf1_dna.unseen`):", "", handle.read()]
    return "\n".join(lines)
