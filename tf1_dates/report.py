"""The tf1_dates section of reports/REPORT.md: one row per training run, and its curves."""
import os

from common import files
from common import report as common_report

CAPTION = ("loss (cross-entropy minus its floor), sampled all-four and diversity over training; \"train (probe)\" = "
           "a fixed probe of 400 training combinations, validation and test (where the run held them out) = "
           "condition combinations the network never trained on, test only recorded")
COLUMNS = ["steps", "all_four/train", "all_four/val", "all_four/test", "diversity/val", "diversity/test",
           "expected_all_four/test", "train_seconds_this_session"]
CAPTIONS = {"loss_curves.png": CAPTION}


def _demo_budget(runs):
    """'3,000 of the recipe's 40,000 steps' from the demo runs' metrics and the training CLI's default."""
    return common_report.budget([metrics["steps"] for _, _, metrics in runs],
                                common_report.recipe("tf1_dates", "steps"), "steps")


def section(task_runs_dir: str) -> str:
    """Markdown for the runs under `task_runs_dir` (image paths relative to the repo root); runs of `make demo`
    in their own table, marked as pipeline checks."""
    groups = {False: [], True: []}
    for name, run_dir in common_report.find_runs(task_runs_dir):
        metrics = files.read_json(os.path.join(run_dir, "metrics.json"))
        if metrics:
            groups[common_report.is_demo(name)].append((name, run_dir, metrics))
    if not any(groups.values()):
        return ""
    text = ["Sampled scores while training (temperature 1; val/test = held-out *combinations*). "
            "Target numbers for the shipped weights: `python -m tf1_dates.evaluate_weights` (see docs/tf1_dates.md)."]
    for demo, runs in ((False, groups[False]), (True, groups[True])):
        if not runs:
            continue
        if demo:
            text += ["", "### Pipeline checks (`make demo`)", "",
                     common_report.PIPELINE_CHECK % _demo_budget(runs)]
        text += ["", common_report.markdown_table([(name, metrics) for name, _, metrics in runs], COLUMNS)]
        for name, run_dir, _ in runs:
            for png, caption in sorted(CAPTIONS.items()):
                if os.path.exists(os.path.join(run_dir, png)):
                    text.append(common_report.figure(os.path.join(run_dir, png), "Run %s%s: %s." % (
                        name, " (pipeline check)" if demo else "", caption)))
    return "\n".join(text)
