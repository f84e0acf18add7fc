"""`make report`: gathers every run's metrics.json and figures into reports/REPORT.md and REPORT.pdf.

A task can shape its own section by providing `<task>/report.py` with `section(task_runs_dir) -> str`
(Markdown; image paths relative to the repository root). Otherwise each run gets a row of its scalar
metrics and its top-level PNG figures are shown.
"""
import argparse
import datetime
import glob
import importlib
import os
import re
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg  # pylint: disable=wrong-import-position
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
from matplotlib.backends import backend_pdf  # pylint: disable=wrong-import-position

from common import files  # pylint: disable=wrong-import-position

MAX_COLUMNS = 10


def flatten(metrics, prefix=""):
    """{"a": {"b": 1}} -> {"a/b": 1}; keeps numbers, bools and short strings only."""
    out = {}
    for key, value in metrics.items():
        name = prefix + str(key)
        if isinstance(value, dict):
            out.update(flatten(value, name + "/"))
        elif isinstance(value, bool) or isinstance(value, (int, float)):
            out[name] = value
        elif isinstance(value, str) and len(value) <= 40:
            out[name] = value
    return out


def _fmt(value):
    if isinstance(value, float):
        return "%.4g" % value
    return str(value)


def markdown_table(rows, columns):
    """rows: list of (name, dict); columns: keys to show."""
    lines = ["| run | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, values in rows:
        lines.append("| %s | %s |" % (name, " | ".join(_fmt(values.get(c, "")) for c in columns)))
    return "\n".join(lines)


def find_runs(task_dir):
    """[(name, run_dir)] for every metrics.json below `task_dir`, at any depth, sorted.

    The name is the run dir relative to `task_dir` (e.g. "demo/train"), so runs grouped in
    sub-folders (a demo's several runs) are found like top-level ones.
    """
    found = glob.glob(os.path.join(task_dir, "**", "metrics.json"), recursive=True)
    return [(os.path.relpath(os.path.dirname(p), task_dir), os.path.dirname(p)) for p in sorted(found)]


def generic_section(task_dir, repo_root):
    """Markdown: one table row per run (scalar metrics) and the runs' PNG figures."""
    rows, figures = [], []
    for name, run_dir in find_runs(task_dir):
        rows.append((name, flatten(files.read_json(os.path.join(run_dir, "metrics.json")))))
        figures.extend(sorted(glob.glob(os.path.join(run_dir, "*.png"))))
    if not rows:
        return ""
    columns = []
    for _, values in rows:
        columns.extend(k for k in values if k not in columns)
    text = [markdown_table(rows, columns[:MAX_COLUMNS])]
    if len(columns) > MAX_COLUMNS:
        text.append("\n(%d more metrics per run in each metrics.json)" % (len(columns) - MAX_COLUMNS))
    for fig in figures:
        rel = os.path.relpath(fig, repo_root)
        text.append("\n![%s](%s)" % (rel, rel))
    return "\n".join(text)


def task_section(task, task_dir, repo_root):
    """The task's own section if it has `<task>/report.py`, else the generic one (repo-relative images)."""
    try:
        module = importlib.import_module(task + ".report")
    except ImportError:
        return generic_section(task_dir, repo_root)
    return module.section(task_dir)


def relink(markdown, prefix="../"):
    """Image links are written relative to the repo root; REPORT.md lives one level down."""
    return re.sub(r"(!\[[^\]]*\]\()(?!/|\.\./|https?:)([^)]+\))", lambda m: m.group(1) + prefix + m.group(2), markdown)


def _image_paths(markdown):
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)


def write_pdf(path, sections, reports_dir):
    """One text page per task (its Markdown) followed by a page per figure."""
    with files.atomic_write(path, "wb") as handle, backend_pdf.PdfPages(handle) as pdf:
        for title, markdown in sections:
            text = re.sub(r"!\[[^\]]*\]\([^)]+\)", "", markdown)
            lines = text.splitlines()
            for start in range(0, max(len(lines), 1), 60):
                fig = plt.figure(figsize=(8.27, 11.69))
                fig.text(0.05, 0.97, title, fontsize=14, weight="bold", va="top")
                fig.text(0.05, 0.93, "\n".join(lines[start:start + 60]), family="monospace", fontsize=6, va="top")
                pdf.savefig(fig)
                plt.close(fig)
            for image in _image_paths(markdown):
                image_path = os.path.normpath(os.path.join(reports_dir, image))
                if not os.path.exists(image_path):
                    continue
                fig = plt.figure(figsize=(8.27, 11.69))
                ax = fig.add_axes([0.05, 0.05, 0.9, 0.85])
                ax.imshow(mpimg.imread(image_path), cmap="gray")
                ax.axis("off")
                fig.text(0.05, 0.95, "%s: %s" % (title, os.path.relpath(image_path)), fontsize=9)
                pdf.savefig(fig)
                plt.close(fig)


def build_report(runs_dir="runs", out_dir="reports", repo_root="."):
    """Writes out_dir/REPORT.md and REPORT.pdf; returns (md_path, pdf_path, number of task sections)."""
    sections = []
    for task_dir in sorted(glob.glob(os.path.join(runs_dir, "*"))):
        if not os.path.isdir(task_dir):
            continue
        task = os.path.basename(task_dir)
        body = task_section(task, task_dir, repo_root)
        if body.strip():
            sections.append((task, relink(body)))
    stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    parts = ["# tf1-suite report", "", "Generated %s by `make report` from %s/*/*/metrics.json." % (stamp, runs_dir), ""]
    if not sections:
        parts.append("No runs yet: run `make demo` or a task's train command first.")
    for task, body in sections:
        # A task's own section may bring its "## title" line; otherwise the task name is the heading.
        heading = [] if body.lstrip().startswith("## ") else ["## %s" % task, ""]
        parts += heading + [body.strip(), ""]
    md_path = os.path.join(out_dir, "REPORT.md")
    pdf_path = os.path.join(out_dir, "REPORT.pdf")
    files.write_text(md_path, "\n".join(parts) + "\n")
    write_pdf(pdf_path, sections, out_dir)
    return md_path, pdf_path, len(sections)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="runs", help="root of the run dirs")
    parser.add_argument("--out", default="reports", help="output directory")
    args = parser.parse_args(argv)
    md_path, pdf_path, count = build_report(args.runs, args.out)
    print("report: %s and %s (%d task sections)" % (md_path, pdf_path, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
