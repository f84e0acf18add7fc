"""Markdown -> PDF with an established engine: pandoc (GitHub Markdown reader, LaTeX math -> Typst math)
and the Typst compiler, both from PyPI in the tool environment `make docs-engine` builds (.tools-docs).

Runs in that environment (Python >= 3.9), not in the TF 1.15 venv; stdlib only besides the two engines.
`common.report` writes each document's resolved Markdown and then calls

    .tools-docs/bin/python -m common.typeset MANIFEST.json

where the manifest lists {"markdown", "pdf", "title", "note", "font_size", "break_before_level",
"max_figure_height", "float_tall", "author", "header", "title_block", "tables_breakable", "contents"} per
document. For each one
the Markdown goes through `pandoc -f gfm+implicit_figures -t typst`; the Typst body gets image widths
from the pictures' pixel sizes (readable, never wider than the text or taller than 70 % of it)
and loses links to repository files (they point nowhere in a PDF); an image path ending in `#crop=0.4-1` (or
`#crop=0-1,0-0.5`: height band, width band) shows only that part of the picture (one panel group of a
tall figure, at a readable size); `typeset_template.typ` supplies the
page style (A4, Libertinus Serif, page numbers, table rules). The .typ file is written beside the
Markdown, so image paths resolve the same way for both (and removed once the PDF is written).

`python -m common.typeset --check` prints the engine versions, or exits 2 when an engine is missing.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

from common import cli

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
TEMPLATE = os.path.join(HERE, "typeset_template.typ")

PAGE_WIDTH_MM = 210.0
TEXT_HEIGHT_MM = 297.0 - 40.0 - 12.0  # page minus margins minus header/footer room
DPI = 110.0                           # a figure saved by matplotlib at 100 dpi shows at ~91 % of its size


class EngineError(RuntimeError):
    """The engine is missing or failed; the message says which and why."""


def engines():
    """(pandoc path, typst module); EngineError naming what is missing."""
    try:
        import pypandoc  # pylint: disable=import-outside-toplevel
        import typst  # pylint: disable=import-outside-toplevel
    except ImportError as err:
        raise EngineError("document engine not installed (%s): run `make docs-engine`" % err)
    path = pypandoc.get_pandoc_path()
    if not os.access(path, os.X_OK):
        raise EngineError("pandoc binary %s is not executable" % path)
    return path, typst


def _png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def _image_size(path, text_width_mm, max_height_mm):
    """(width, height) in mm for a picture: its size at DPI, capped at the text width and max_height_mm."""
    size = _png_size(path) if os.path.exists(path) else None
    if not size:
        return text_width_mm, None
    width_px, height_px = size
    width_mm = min(width_px / DPI * 25.4, text_width_mm)
    if width_mm * height_px / width_px > max_height_mm:
        width_mm = max_height_mm * width_px / height_px
    return width_mm, width_mm * height_px / width_px


def _escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def postprocess(body, base_dir, text_width_mm, max_height_mm, float_tall=True):
    """Image widths from pixel sizes; links to repository files become plain text."""
    def sized(match):
        figure, path = match.group(1) or "", match.group(2)
        path, _, fragment = path.partition("#")
        crop = re.match(r"^crop=([0-9.]+)-([0-9.]+)(?:,([0-9.]+)-([0-9.]+))?$", fragment)
        top, bottom, left, right = (float(g) if g else d for g, d in zip(crop.groups(), (0, 1, 0, 1))) \
            if crop else (0.0, 1.0, 0.0, 1.0)
        full = os.path.normpath(os.path.join(base_dir, path))
        # A crop keeps the band [top, bottom] x [left, right] (fractions of the height and width) of a picture,
        # sized as that part alone would be.
        size = _png_size(full) if crop and os.path.exists(full) else None
        across, down = (right - left, bottom - top) if size else (1.0, 1.0)
        width, height = _image_size(full, text_width_mm / across, max_height_mm / down)
        if float_tall and figure and height and height * down > 0.3 * TEXT_HEIGHT_MM:
            # A tall figure floats to the top or bottom of a page, so the text around it does not leave a gap.
            figure += "placement: auto, "
        if size and height:
            return ('%sbox(width: %.1fmm, height: %.1fmm, clip: true, place(top + left, dx: -%.1fmm, dy: -%.1fmm, '
                    'image("%s", width: %.1fmm, height: %.1fmm, fit: "stretch")))') % (
                figure, width * across, height * down, width * left, height * top, path, width, height)
        return '%simage("%s", width: %.1fmm)' % (figure, path, width)

    body = re.sub(r'(#figure\()?image\("([^"]+)"\)', sized, body)
    body = re.sub(r'#link\("(?!https?:|mailto:)[^"]*"\)\[', "#[", body)
    # Table columns pandoc leaves at `auto` read best left-aligned (explicit `---:` columns stay right).
    body = re.sub(r"align: \(((?:auto|left|right|center),)+\)",
                  lambda m: m.group(0).replace("auto", "left"), body)
    body = re.sub(r'#link\(<[^>]*>\)\[', "#[", body)  # in-page anchors of included sections
    return stick_introductions(body)


def stick_introductions(body):
    """A paragraph ending in ":" right before a figure, table or code block stays on its page (a sticky block)."""
    chunks, fenced = body.split("\n\n"), False
    for i, chunk in enumerate(chunks[:-1]):
        fenced ^= len(re.findall(r"^```", chunk, flags=re.M)) % 2 == 1
        if fenced or not chunk.rstrip().endswith(":") or not re.match(r"#figure\(|```", chunks[i + 1]):
            continue
        lines = chunk.split("\n")
        start = max([0] + [n + 1 for n, line in enumerate(lines) if re.match(r"[=<]", line)])
        if start < len(lines) and not re.match(r"[#`/+-]|\d+\. ", lines[start]):
            paragraph = "\n".join(lines[start:])
            chunks[i] = "\n".join(lines[:start] + ["#block(sticky: true, spacing: 0.95em)[%s]" % paragraph])
    return "\n\n".join(chunks)


def to_typst(markdown_path, pdf_path, title, note="", font_size="10.5pt", margin_x_mm=22.0,
             break_before_level=None, max_figure_height=0.7, float_tall=True, author="", header="tf1-suite",
             title_block="", tables_breakable=True, contents=0):
    """Writes pdf_path from markdown_path; returns the list of Typst warnings (strings).

    break_before_level: start every heading of that level on a new page (the overview's one page per task).
    max_figure_height: tallest picture, as a fraction of the text height.
    float_tall: let figures taller than 30 % of the text height float to a page's top or bottom.
    author: a line under the title naming the author (a hand-in); header: the right side of the page header;
    title_block: Typst source set before the body (a hand-in's cover page).
    tables_breakable: False keeps every table on one page (short tables never split after a row).
    contents: a table of contents of the headings down to that level (with their pages), set right before the
    first level-2 heading; 0: none.
    """
    pandoc, typst = engines()
    with open(markdown_path, encoding="utf-8") as handle:
        markdown = handle.read()
    proc = subprocess.run([pandoc, "-f", "gfm+implicit_figures", "-t", "typst", "--wrap=preserve", "--columns=100000"],
                          input=markdown.encode("utf-8"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise EngineError("pandoc failed on %s: %s" % (markdown_path, proc.stderr.decode("utf-8", "replace")))
    base_dir = os.path.dirname(os.path.abspath(markdown_path))
    text_width = PAGE_WIDTH_MM - 2 * margin_x_mm
    body = postprocess(proc.stdout.decode("utf-8"), base_dir, text_width, max_figure_height * TEXT_HEIGHT_MM,
                       float_tall)
    if contents:
        outline = "#outline(title: [Contents], depth: %d, indent: auto)\n\n" % contents
        body = re.sub(r"^(== )", lambda m: outline + m.group(1), body, count=1, flags=re.M)
    if break_before_level:
        body = re.sub(r"^(=%s )" % ("=" * (break_before_level - 1)), r"#pagebreak(weak: true)\n\1", body, flags=re.M)
    lines = ""
    if author:
        lines += '#block(above: 0pt, below: 0.9em, text(11.5pt)[#"%s"])\n' % _escape(author)
    if note:
        # The provenance line goes right under the title (the first level-1 heading).
        lines += '#block(above: 0pt, below: 1.1em, text(8.5pt, fill: luma(100))[%s])\n' % (
            note.replace("[", "\\[").replace("]", "\\]"))
    if lines:
        body = re.sub(r"^(= .*\n(?:<[^>\n]*>\n)?)", lambda m: m.group(1) + lines, body, count=1, flags=re.M)
    with open(TEMPLATE, encoding="utf-8") as handle:
        template = handle.read()
    table_size = "%.1fpt" % (float(font_size.rstrip("pt")) * 0.82)
    fields = {"%%TITLE%%": _escape(title), "%%NOTE%%": _escape(note), "%%FONT_SIZE%%": font_size,
              "%%TABLE_SIZE%%": table_size, "%%MARGIN_X%%": "%.1fmm" % margin_x_mm, "%%TITLE_BLOCK%%": title_block,
              "%%HEADER%%": _escape(header), "%%TABLE_BREAKABLE%%": "true" if tables_breakable else "false"}
    for key, value in fields.items():
        template = template.replace(key, value)
    source = template.replace("%%BODY%%", body)
    typ_path = os.path.splitext(markdown_path)[0] + ".typ"
    _write(typ_path, source.encode("utf-8"))
    # Typst reads only below its root: the one folder holding the repository's figures and the .typ file.
    root = os.path.commonpath([REPO_ROOT, os.path.dirname(os.path.abspath(typ_path))])
    try:
        pdf, warnings = typst.compile_with_warnings(typ_path, root=root, ignore_system_fonts=True)
    except RuntimeError as err:  # typst.TypstError and the binding's plain RuntimeErrors
        raise EngineError("typst failed on %s: %s %s" % (typ_path, err, getattr(err, "hints", "")))
    # Typst's `/Suspects false` is valid PDF, but poppler 22.12 (pdfinfo, pdftotext) reports it as "Syntax Error:
    # Suspects object is wrong type": blank it out, same length so the cross-reference offsets hold (false is
    # the default anyway).
    pdf = pdf.replace(b"/Marked true/Suspects false>>", b"/Marked true" + b" " * 15 + b">>", 1)
    _write(pdf_path, pdf)
    os.remove(typ_path)  # kept only when typst fails, to debug from
    return [str(getattr(w, "message", w)) for w in warnings]


def _write(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


@cli.entry_point
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        try:
            pandoc, typst = engines()
        except EngineError as err:
            print("error: %s" % err, file=sys.stderr)
            return 2
        version = subprocess.run([pandoc, "--version"], stdout=subprocess.PIPE).stdout.decode().split("\n")[0]
        print("%s; typst (python) %s" % (version, getattr(typst, "__version__", "?")))
        return 0
    usage = "usage: python -m common.typeset MANIFEST.json | --check  (Markdown -> PDF for each manifest entry)"
    if argv in (["-h"], ["--help"]):
        print(usage)
        return 0
    if len(argv) != 1:
        print(usage, file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as handle:
            jobs = json.load(handle)
    except (OSError, ValueError) as err:
        print("error: manifest %s: %s" % (argv[0], getattr(err, "strerror", None) or err), file=sys.stderr)
        return 2
    failed = 0
    for job in jobs:
        try:
            warnings = to_typst(job["markdown"], job["pdf"], job["title"], job.get("note", ""),
                                job.get("font_size", "10.5pt"), job.get("margin_x_mm", 22.0),
                                job.get("break_before_level"), job.get("max_figure_height", 0.7),
                                job.get("float_tall", True),
                                job.get("author", ""), job.get("header", "tf1-suite"), job.get("title_block", ""),
                                job.get("tables_breakable", True), job.get("contents", 0))
        except EngineError as err:
            print("error: %s" % err, file=sys.stderr)
            failed += 1
            continue
        for warning in warnings:
            print("warning: %s: %s" % (os.path.relpath(job["pdf"]), warning), file=sys.stderr)
        print("  wrote %s" % os.path.relpath(job["pdf"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
