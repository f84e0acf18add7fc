"""`make report`: the seeds' deliverable documents and the overview, as Markdown and PDF under reports/.

1. Each deliverable a task declares (common/task.py registry; sources in docs/deliverables/, which include
   sections of the task pages) is resolved into reports/<task>/<name>.md.
2. reports/REPORT.md is the overview: a cover page, one page per task (what it does, the README's
   headline numbers, where its documents are) and an appendix with the runs present under runs/.
   A task can shape its appendix section with its `report_section` ("module:function", `function(task_runs_dir)
   -> str`, Markdown with image paths relative to the repository root); otherwise each run gets a row of its
   scalar metrics and its top-level PNG figures.
3. If the document engine is installed (`make docs-engine`: pandoc + Typst in .tools-docs), every
   Markdown file is typeset to the PDF beside it (`common.typeset`); if not, `make report` says so and
   the Markdown is still there.
"""
import argparse
import datetime
import glob
import importlib
import os
import re
import subprocess
import sys

from common import cli, documents, files, task as task_registry

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
        path = os.path.join(run_dir, "metrics.json")
        try:
            metrics = files.read_json(path)
        except (files.InputError, ValueError) as err:
            print("warning: %s left out of the report: %s" % (path, err), file=sys.stderr)
            continue
        if not isinstance(metrics, dict):
            print("warning: %s left out of the report: it holds no mapping of metrics" % path, file=sys.stderr)
            continue
        rows.append((name, flatten(metrics)))
        figures.extend((name, png) for png in sorted(glob.glob(os.path.join(run_dir, "*.png"))))
    if not rows:
        return ""
    columns = []
    for _, values in rows:
        columns.extend(k for k in values if k not in columns)
    text = [markdown_table(rows, columns[:MAX_COLUMNS])]
    if len(columns) > MAX_COLUMNS:
        text.append("\n(%d more metrics per run in each metrics.json)" % (len(columns) - MAX_COLUMNS))
    for name, fig in figures:
        rel = os.path.relpath(fig, repo_root)
        text.append(figure(rel, "Run %s%s: %s." % (name, " (pipeline check)" if is_demo(name) else "",
                                                   os.path.splitext(os.path.basename(fig))[0].replace("_", " "))))
    return "\n".join(text)


def task_section(task, task_dir, repo_root):
    """The task's own section if it declares `report_section`, else the generic one (repo-relative images)."""
    spec = task_registry.load(task).report_section if task in task_registry.REGISTRY else None
    if not spec:
        return generic_section(task_dir, repo_root)
    module, function = spec.split(":")
    try:
        return getattr(importlib.import_module(module), function)(task_dir)
    except (KeyError, TypeError, ValueError, AttributeError) as err:  # a metrics.json edited or from elsewhere
        print("warning: %s: a run's metrics are not what %s expects (%s: %s); listing the runs generically"
              % (task_dir, spec, type(err).__name__, err), file=sys.stderr)
        return generic_section(task_dir, repo_root)


def relink(markdown, prefix="../"):
    """Image links are written relative to the repo root; REPORT.md lives one level down."""
    return re.sub(r"(!\[[^\]]*\]\()(?!/|\.\./|https?:)([^)]+\))", lambda m: m.group(1) + prefix + m.group(2), markdown)


DEFAULT_ENGINE = os.path.join(documents.REPO_ROOT, ".tools-docs", "bin", "python")
def _read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read().split("\n")


def task_page_summary(task, out_dir):
    """(title, first paragraph) of docs/<task>.md, links rebased to out_dir."""
    page = os.path.join(documents.REPO_ROOT, "docs", task + ".md")
    lines = _read_lines(page)
    title = lines[0].lstrip("# ").strip()
    title = title.split(" — ", 1)[1] if " — " in title else title
    paragraph, started = [], False
    for line in lines[1:]:
        if line.startswith("#"):
            break
        if line.strip():
            started = True
            paragraph.append(line)
        elif started:
            break
    text = documents.resolve(page, out_dir, _lines=paragraph)
    return title, " ".join(text)


def headline_rows(task):
    """The README's "Results at a glance" rows of `task`: [(label, headline, command)]."""
    lines = _read_lines(os.path.join(documents.REPO_ROOT, "README.md"))
    rows, inside = [], False
    for line in lines:
        if line.startswith("#"):
            inside = "results at a glance" in line.lower()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if inside and len(cells) >= 3 and re.match(r"^`%s`" % task, cells[0]):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def figure(path, caption):
    """A figure of the report: the picture in its own paragraph (so it is typeset as a numbered figure) with a
    caption that says what it shows."""
    return "\n![%s](%s)\n" % (caption.replace("[", "(").replace("]", ")"), path)


def is_demo(name):
    """True for a run made by `make demo` (its run dir lies under runs/<task>/demo/)."""
    return name == "demo" or name.startswith("demo/") or name.startswith("demo_")


PIPELINE_CHECK = ("**Pipeline checks, not results.** The runs below were made by `make demo`: each trains for a "
                  "small fraction of the recipe (%s) to show that every stage runs end to end. Their numbers are "
                  "not the exercise's results, which are in the task's section of this overview and on its page.")


def recipe(task, key):
    """The default of config key `key` in the first training CLI of `task`: the recipe's length (imported
    through the registry, so a task's report module needs no import of its own task module)."""
    return task_registry.load(task).trainers[0].schema.defaults[key]


def budget(done, recipe, unit):
    """'2,500 of the recipe's 6,000 steps' (`done`: the demo runs' values, any number of them)."""
    done = " or ".join("{:,}".format(value) for value in sorted(set(done)))
    return "%s of the recipe's %s %s" % (done, "{:,}".format(recipe), unit)


def _figure_paragraphs(markdown):
    """Every picture on a line of its own, between blank lines: pandoc then typesets each as a captioned figure
    (two pictures in one paragraph would be inline images without captions)."""
    out, fence = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
        if not fence and re.match(r"^\s*!\[[^\]]*\]\([^)]+\)\s*$", line):
            out += ["", line.strip(), ""]
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def _split_fragment(path):
    """("dir/x.png", "#crop=...") from a figure path that may carry a typesetting fragment."""
    base, sep, fragment = path.partition("#")
    return base, sep + fragment


def overview_markdown(sections, runs_dir, out_dir, built):
    """REPORT.md: a first page (what the suite is, results per exercise, contents), one section per task, the
    appendix of runs. `built`: {output: ok/why-not}."""
    stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    tasks = task_registry.tasks()
    parts = ["# tf1-suite: overview", "",
             "tf1-suite answers five deep-learning exercises with TensorFlow 1.15 in graph mode: a GAN that goes "
             "from linear layers to hand-written spectral normalization (seed 000), conditional generation of "
             "dates (001), the CS7643 Assignment 1 pipeline with hand-derived gradients (002), an exam whose last "
             "part is a Euclidean message-passing network (003), and a workshop with a small MNIST ConvNet and a "
             "DNA-to-protein convolutional network (004). The code is five task packages over a small shared "
             "core: each builds its graph once and trains it with the same loop (checkpoints, resume, a clean "
             "stop), and each exercise gets the documents it asks for.", "",
             "This overview has one section per exercise (what was asked, the headline results with the command "
             "that produces each number, the documents) and an appendix with the runs found under `%s/` when it "
             "was generated (%s). The MNIST exercises use an embedded subset of real MNIST (8,000 training and "
             "2,000 test images), not the full 70,000; the task pages say which data every number comes from."
             % (runs_dir, stamp), "",
             "### Summary of results", "",
             "| exercise, and its documents under `reports/` | headline results |", "|---|---|"]
    for t in tasks:
        headlines = "; ".join(headline for _, headline, _ in headline_rows(t.name)) or "-"
        parts.append("| `%s` (seed %s): %s. %s | %s |" % (
            t.name, ", ".join(t.seeds) or "-", t.title, ", ".join("`%s`" % d.output for d in t.deliverables),
            headlines))
    parts.append("")
    for t in tasks:
        task = t.name
        title, intro = task_page_summary(task, out_dir)
        parts += ["## `%s`: %s" % (task, title), "", intro, ""]
        if t.figure:
            path, fragment = _split_fragment(t.figure[0])
            if os.path.exists(os.path.join(documents.REPO_ROOT, path)):
                rel = os.path.relpath(os.path.join(documents.REPO_ROOT, path), out_dir).replace(os.sep, "/")
                parts += [figure(rel + fragment, "%s (from docs/%s.md)." % (t.figure[1], task)), ""]
        parts += ["**Headline results** (from the README; each "
                  "number comes from the command named, details in `docs/%s.md`):" % task, ""]
        for label, headline, command in headline_rows(task):
            parts.append("- %s: %s (%s)" % (label, headline, command))
        parts += ["", "**Documents:**", ""]
        for deliverable in t.deliverables:
            if deliverable.task == task:
                state = built.get(deliverable.output, "")
                parts.append("- `reports/%s`: %s; source `%s`%s" % (
                    deliverable.output, deliverable.description, deliverable.source,
                    " (%s)" % state if state else ""))
        parts.append("- the task page `docs/%s.md` (formulation, results, figures, every command), the code in "
                     "`%s/` and its tests in `tests/%s/`" % (task, task, task))
        runs = [s for s in sections if s[0] == task]
        parts += ["", "**Runs in this checkout:** %s" % (
            "see the appendix." if runs else "none under `%s/%s` (run `make demo`)." % (runs_dir, task)), ""]
    parts += ["## Appendix: runs in this checkout", ""]
    if not sections:
        parts.append("No runs yet: run `make demo` or a task's train command first.")
    else:
        parts.append("Gathered from `%s/*/*/metrics.json` and the runs' figures. Runs in a task's `demo/` folder "
                     "come from `make demo`, and each is marked with what it is wherever its numbers appear: "
                     "most are pipeline checks, a small fraction of the recipe whose numbers are not results; "
                     "where a demo trains the full recipe, it says so." % runs_dir)
    for task, body in sections:
        # A task's own section may bring its "## title" line; otherwise the task name is the heading. Either
        # way it sits one level below the appendix's heading, so the appendix flows on from its first page.
        heading = [] if body.lstrip().startswith("## ") else ["## %s" % task, ""]
        lines = documents.shift_headings(heading + body.strip().split("\n"), 1)
        parts += lines + [""]
    return _figure_paragraphs("\n".join(parts)) + "\n"


def engine_status(engine):
    """(True, versions) if `engine` (a Python with pandoc + typst) works, else (False, reason)."""
    if not engine or not os.path.exists(engine):
        return False, "no document engine at %s (make docs-engine)" % engine
    proc = subprocess.run([engine, "-m", "common.typeset", "--check"], cwd=documents.REPO_ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode == 0, proc.stdout.decode("utf-8", "replace").strip()


def _commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=documents.REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return ""
    return out.stdout.decode().strip() if out.returncode == 0 else ""


def write_deliverables(out_dir):
    """Resolves every deliverable into out_dir/<task>/<name>.md; returns (jobs, problems)."""
    jobs, problems, commit = [], [], _commit()
    for deliverable in documents.deliverables():
        md_path = os.path.join(out_dir, os.path.splitext(deliverable.output)[0] + ".md")
        source = os.path.join(documents.REPO_ROOT, deliverable.source)
        missing = []
        try:
            lines = documents.resolve(source, os.path.dirname(os.path.abspath(md_path)), missing)
        except documents.DocumentError as err:
            problems.append("error: %s (%s not written)" % (err, deliverable.output))
            continue
        problems += ["warning: %s" % m for m in missing]
        files.write_text(md_path, "\n".join(lines).rstrip("\n") + "\n")
        title = next((l.lstrip("# ").strip() for l in lines if l.startswith("# ")), deliverable.output)
        note = "tf1-suite, seed %s. Built by make report from %s%s." % (
            deliverable.seed, deliverable.source, ", commit " + commit if commit else "")
        jobs.append({"markdown": os.path.abspath(md_path), "title": title, "note": note,
                     "pdf": os.path.abspath(os.path.join(out_dir, deliverable.output)), "output": deliverable.output})
    return jobs, problems


def build_report(runs_dir="runs", out_dir="reports", repo_root=".", engine=DEFAULT_ENGINE):
    """Writes the deliverables' Markdown, REPORT.md and (with a working engine) every PDF.

    Returns (REPORT.md path, REPORT.pdf path or None when no PDF was made, number of task sections).
    """
    sections = []
    for task_dir in sorted(glob.glob(os.path.join(runs_dir, "*"))):
        if not os.path.isdir(task_dir):
            continue
        task = os.path.basename(task_dir)
        body = task_section(task, task_dir, repo_root)
        if body.strip():
            sections.append((task, relink(body)))
    jobs, problems = write_deliverables(out_dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    ok, status = engine_status(engine)
    built = {job["output"]: "" for job in jobs} if ok else {job["output"]: "Markdown only" for job in jobs}
    md_path = os.path.join(out_dir, "REPORT.md")
    files.write_text(md_path, overview_markdown(sections, runs_dir, out_dir, built))
    pdf_path = os.path.join(out_dir, "REPORT.pdf")
    if not ok:
        if any(p.startswith("error:") for p in problems):
            raise RuntimeError("document(s) could not be resolved (see above)")
        print("note: PDFs not written: %s. The Markdown is in %s/." % (status, out_dir), file=sys.stderr)
        return md_path, None, len(sections)
    jobs.append({"markdown": os.path.abspath(md_path), "pdf": os.path.abspath(pdf_path), "output": "REPORT.pdf",
                 "title": "tf1-suite: overview", "break_before_level": 2, "note": "", "max_figure_height": 0.4,
                 "float_tall": False, "contents": 3})
    manifest = os.path.join(out_dir, ".typeset.json")
    files.write_json(manifest, jobs)
    proc = subprocess.run([engine, "-m", "common.typeset", os.path.abspath(manifest)], cwd=documents.REPO_ROOT)
    os.remove(manifest)
    if proc.returncode != 0:
        raise RuntimeError("typesetting failed (see the errors above)")
    if any(p.startswith("error:") for p in problems):
        raise RuntimeError("%d document(s) could not be resolved (see above)" % sum(p.startswith("error:") for p in problems))
    return md_path, pdf_path, len(sections)


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="runs", help="root of the run dirs")
    parser.add_argument("--out", default="reports", help="output directory")
    parser.add_argument("--engine", default=DEFAULT_ENGINE,
                        help="Python of the document engine's venv (make docs-engine); PDFs are skipped without it")
    args = parser.parse_args(argv)
    try:
        md_path, pdf_path, count = build_report(args.runs, args.out, engine=args.engine)
    except RuntimeError as err:
        print("error: %s" % err, file=sys.stderr)
        return 1
    print("report: %s%s (%d task sections in the appendix); deliverables under %s/<task>/" % (
        md_path, " and " + pdf_path if pdf_path else "", count, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
