"""The hand-in PDFs: docs/deliverables/ typeset with the author's name (and the exam's cover page).

`typeset(jobs, settings, engine, work_dir)` resolves each deliverable's Markdown (`common.documents`) into
`work_dir` and runs the document engine (`common.typeset` in .tools-docs) once for all of them. Unlike
`make report`, a hand-in PDF carries no provenance line: the author's name sits under the title and in the
page header. The exam's first page is the seed's cover: the course, the name (filled in), matriculation
number and institution (filled in when given, else blank lines), the declaration and a signature line.
"""
import os
import subprocess

from common import documents, errors, files

DEFAULT_ENGINE = os.path.join(documents.REPO_ROOT, ".tools-docs", "bin", "python")

EXAM_COURSE = "Deep Learning (19238501)"
EXAM_DECLARATION = (
    "I hereby declare that I have done the work this exam independently and without help from others, and that "
    "I have not communicated my solution to other students. I am aware that clearly plagiarized solutions will "
    "lead to exams graded with 0 points and if two or more submissions contain clear duplicates beyond a "
    "reasonable probability of coincidence, all exams containing duplicate solutions will be graded with 0 points.")
EXAM_POINTS = (("I", 14), ("II", 6), ("III", 10), ("IV", 5), ("V", 15))


def typst_string(text):
    """`text` as a Typst string expression shown literally (no markup is interpreted)."""
    return '#"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _field(value):
    blank = "#box(width: 100%, height: 1.1em, stroke: (bottom: 0.5pt))"
    return "[%s]" % (typst_string(value) if value else blank)


def exam_cover(settings):
    """Typst source of the exam's cover page (seed 003's fields)."""
    header = ", ".join("[*%s*]" % q for q, _ in EXAM_POINTS)
    points = ", ".join("[%d]" % p for _, p in EXAM_POINTS)
    total = sum(p for _, p in EXAM_POINTS)
    blanks = ", ".join("[]" for _ in EXAM_POINTS)
    return """
#page(header: none, footer: none)[
  #set par(justify: true)
  #align(center)[#text(16pt, weight: "bold")[%(course)s] #v(0.2em) #text(14pt)[Exam]]
  #v(2.2em)
  #grid(columns: (4.6cm, 1fr), row-gutter: 1.3em, align: (left + bottom, left + bottom),
    [Name, given name:], %(name)s,
    [Matriculation number:], %(matriculation)s,
    [Institution:], %(institution)s)
  #v(2em)
  %(declaration)s
  #v(2.8em)
  #grid(columns: (4.6cm, 8cm), align: (left + bottom, left + bottom),
    [Signature:], [#box(width: 100%%, height: 1.1em, stroke: (bottom: 0.5pt))])
  #v(3em)
  #table(columns: %(ncols)d, stroke: 0.5pt, inset: 6pt, align: center,
    [*Question:*], %(header)s, [*Total*],
    [*Points:*], %(points)s, [%(total)d],
    [*Score:*], %(blanks)s, [])
]
""" % {"course": typst_string(EXAM_COURSE), "name": _field(settings.name), "total": total,
       "matriculation": _field(settings.matriculation), "institution": _field(settings.institution),
       "declaration": typst_string(EXAM_DECLARATION), "ncols": len(EXAM_POINTS) + 2, "header": header,
       "points": points, "blanks": blanks}


COVERS = {"exam": exam_cover}


def typeset(jobs, settings, engine, work_dir):
    """jobs: [(deliverable output, target pdf path, cover name or None)]; every PDF written or an error."""
    if not engine or not os.path.exists(engine):
        raise errors.UserError("no document engine at %s: run `make docs-engine`" % engine)
    by_output = {d.output: d for d in documents.deliverables()}
    manifest = []
    for output, pdf, cover in jobs:
        deliverable = by_output[output]
        md_path = os.path.join(work_dir, os.path.splitext(output)[0] + ".md")
        lines = documents.resolve(os.path.join(documents.REPO_ROOT, deliverable.source),
                                  os.path.dirname(os.path.abspath(md_path)))
        files.write_text(md_path, "\n".join(lines).rstrip("\n") + "\n")
        title = next((l.lstrip("# ").strip() for l in lines if l.startswith("# ")), output)
        manifest.append({"markdown": os.path.abspath(md_path), "pdf": os.path.abspath(pdf), "title": title,
                         "author": settings.name, "header": settings.name,
                         # figures stay where the text puts them (never inside a paragraph), tables in one piece
                         "float_tall": False, "tables_breakable": False,
                         "title_block": COVERS[cover](settings) if cover else ""})
    path = os.path.join(work_dir, "typeset.json")
    files.write_json(path, manifest)
    proc = subprocess.run([engine, "-m", "common.typeset", os.path.abspath(path)], cwd=documents.REPO_ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError("typesetting failed:\n%s" % proc.stdout.decode("utf-8", "replace"))
    return [job["pdf"] for job in manifest]
