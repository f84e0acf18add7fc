"""The tf1_dates section of reports/REPORT.md: one row per training run, and its curves."""
import glob
import os

from common import files
from common import report as common_report

CAPTION = ("loss (cross-entropy minus its floor), sampled all-four and diversity over training; \"train (probe)\" = "
           "a fixed probe of 400 training combinations, validation and test (where the run held them out) = "
           "condition combinations the network never trained on, test only recorded")
COLUMNS = ["steps", "all_four/train", "all_four/val", "all_four/test", "diversity/val", "diversity/test",
           "expected_all_four/test", "train_seconds_this_session"]


def section(task_runs_dir: str) -> str:
    """Markdown for the runs under `task_runs_dir` (image paths relative to the repo root)."""
    rows, figures = [], []
    for name, run_dir in common_report.find_runs(task_runs_dir):
        metrics = files.read_json(os.path.join(run_dir, "metrics.json"))
        if not metrics:
            continue
        rows.append((name, metrics))
        figures += [(name, fig) for fig in sorted(glob.glob(os.path.join(run_dir, "*.png")))]
    if not rows:
        return ""
    text = ["Sampled scores while training (temperature 1; val/test = held-out *combinations*). "
            "Target numbers for the shipped weights: `python -m tf1_dates.evaluate_weights` (see docs/tf1_dates.md).",
            "", common_report.markdown_table(rows, COLUMNS)]
    for name, fig in figures:
        text.append("\n![Run %s, %s: %s](%s)" % (name, os.path.basename(fig), CAPTION, fig))
    return "\n".join(text)
