"""The seeds' deliverable documents: sources resolve, length limits hold, and the PDFs are what a reviewer expects.

The PDF tests build every document once (`common.report.build_report` into a temporary folder, without runs)
with the engine of `make docs-engine`, and read the PDFs with pypdf in that engine's environment
(tests/docs/pdfs.py); a missing engine fails them (never a silent skip).
"""
import os
import re

import pytest

from common import documents, report
from common import task as common_task

import pdfs

ROOT = documents.REPO_ROOT
ENGINE = report.DEFAULT_ENGINE
GAN_LIMITS = (  # (file, heading id, characters) from seed 000
    ("docs/tf1_gan_parallel.md", "b-which-tensorflow-module-and-how-at-most-280-characters", 280),
    ("docs/tf1_gan_parallel.md", "c-only-one-gpu-visible-what-to-check-next-at-most-280-characters", 280),
    ("docs/tf1_gan.md", "q2-why-the-same-code-gives-different-results-at-most-400-characters", 400),
)
WRITEUP = "docs/deliverables/tf1_mnist_assignment1_writeup.md"
REVIEW_PARTS = ("review", "question-1-why-do-networks-learn-generalizable-representations-when-there-are-patterns",
                "question-2-how-does-this-align-with-my-understanding-of-machine-learning-and-generalization")
# Text each PDF must show (pypdf's text, whitespace collapsed): the seed's questions and required parts.
REQUIRED = {
    "tf1_gan/Report.pdf": ["Technical question 1", "(a) How many GPUs", "(b) Which PyTorch or TensorFlow module",
                           "(c) The code sees only one GPU", "Technical question 2", "Coding problem: figures and results",
                           "samples from the middle and the end of training"],
    "tf1_dates/dl_problem_report.pdf": ["1. Problem formulation", "2. Tokenization", "3. Loss and data imbalance",
                                        "4. Architecture", "loss curves", "Training, validation and test loss",
                                        "held-out condition combinations", "Failure cases", "Samples",
                                        "7. Why it works"],
    "tf1_dates/essay_answers.pdf": ["The Netflix model", "The GAN that only draws 8s", "mode collapse"],
    "tf1_mnist/assignment1_writeup.pdf": ["Theory problem set", "1. The softmax Jacobian", "2. AND and OR",
                                          "3. XOR cannot be represented", "Paper review", "Main contribution",
                                          "Strengths", "Weaknesses", "Personal takeaway", "Question 1", "Question 2",
                                          "Experiment report", "5(a) Learning rates", "5(b) Regularization",
                                          "5(c–f) Hyper-parameter tuning", "The default configurations"],
    "tf1_molecules/exam_answers.pdf": ["I. Multiple choice", "(A) Non-zero entries", "(F) 30 × 30 × 32",
                                       "II. Image classification", "(A) Box 1 is true, box 2 is false",
                                       "III. Transpose autoencoder", "IV. Universal representation theorem",
                                       "V. Euclidean message passing networks", "Why the predicted property is invariant"],
    "tf1_dna/workshop_answers.pdf": ["Q1: activation after the max-pool", "Q2: which batch norms", "Q3a", "Q3b", "Q3c",
                                     "4a: one-hot encodings", "4b: the network", "4c: what is stride?", "4d: training",
                                     "proline codons", "which inputs can the network not take?"],
    "REPORT.pdf": ["tf1-suite: overview", "Summary of results", "Contents", "tf1_gan", "tf1_dates", "tf1_mnist",
                   "tf1_molecules", "tf1_dna", "Appendix: runs in this checkout"],
}
# Typeset maths the reviewer looks for (the text of Typst's math fonts gives Unicode math letters, so look for
# operators and structure that survive extraction).
MATH = {
    "tf1_mnist/assignment1_writeup.pdf": ["diag", "⊤", "LSE", "⇒", "∑"],
    "tf1_molecules/exam_answers.pdf": ["∫", "∞", "√", "tr"],
}


def _read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
        return handle.read().split("\n")


def first_blockquote(lines):
    """Text of the first block quote (lines joined by spaces, markup kept: backticks count)."""
    quote, started = [], False
    for line in lines:
        if line.startswith(">"):
            started = True
            quote.append(line[1:].strip())
        elif started:
            break
    return " ".join(quote)


# --- sources --------------------------------------------------------------------------------------------------


def test_slugs_follow_github():
    assert documents.slug("Part V — the network") == "part-v--the-network"
    assert documents.slug("In-graph replication (`tf1_gan/parallel.py`)") == "in-graph-replication-tf1_ganparallelpy"
    assert documents.slug("4e, part 1 — the proline codons") == "4e-part-1--the-proline-codons"
    ids = [h[3] for h in documents.headings(["# A", "```", "# not a heading", "```", "## A", "### B"])]
    assert ids == ["a", "a-1", "b"]


def test_include_section_shifts_headings_and_rebases_links(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "fig.png").write_bytes(b"")
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n## Results (`x.py`)\n\nText ![f](../fig.png) and [a link](#other).\n\n### Sub\n\nmore\n\n"
        "## Other\n\nnot included\n", encoding="utf-8")
    (tmp_path / "docs" / "doc.md").write_text(
        "# Doc\n\n## My results\n\n[Include: results](page.md#results-xpy)\n\nafter\n", encoding="utf-8")
    out = tmp_path / "out" / "sub"
    lines = documents.resolve(str(tmp_path / "docs" / "doc.md"), str(out))
    text = "\n".join(lines)
    assert "not included" not in text and "## Results" not in text
    assert "### Sub" in text and "after" in text
    assert "![f](../../fig.png)" in text and "[a link](../../docs/page.md#other)" in text
    assert documents.image_paths(lines) == ["../../fig.png"]


def test_include_errors_name_file_line_and_reason(tmp_path):
    (tmp_path / "page.md").write_text("# P\n\n## Real\n\nx\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text("# D\n\n[Include: gone](page.md#gone)\n", encoding="utf-8")
    with pytest.raises(documents.DocumentError, match=r"doc.md line 3.*no heading with id #gone.*ids: p, real"):
        documents.resolve(str(doc), str(tmp_path))
    doc.write_text("# D\n\n[Include: x](missing.md#real)\n", encoding="utf-8")
    with pytest.raises(documents.DocumentError, match="doc.md line 3: cannot include missing.md"):
        documents.resolve(str(doc), str(tmp_path))


def test_include_code_from_a_file_and_missing_or_unreadable_code(tmp_path):
    code = tmp_path / "mod.py"
    code.write_text("class A:\n    pass\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text("# D\n\n[Include code: mod.py](mod.py)\n", encoding="utf-8")
    assert documents.resolve(str(doc), str(tmp_path)) == ["# D", "", "```python", "class A:", "    pass", "```", ""]
    code.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(documents.DocumentError, match="cannot include"):
        documents.resolve(str(doc), str(tmp_path), missing=[])
    code.unlink()
    missing = []
    lines = documents.resolve(str(doc), str(tmp_path), missing)
    assert len(missing) == 1 and "mod.py is not in this checkout" in missing[0]
    assert any("Missing from this checkout" in line for line in lines)
    with pytest.raises(documents.DocumentError):  # without the list an absent file is an error
        documents.resolve(str(doc), str(tmp_path))


def test_every_deliverable_resolves_and_its_figures_exist(tmp_path):
    for deliverable in documents.deliverables():
        out = tmp_path / os.path.dirname(deliverable.output)
        lines = documents.resolve(os.path.join(ROOT, deliverable.source), str(out), missing=[])
        assert lines[0].startswith("# "), deliverable.source
        for image in documents.image_paths(lines):
            assert os.path.isfile(os.path.normpath(os.path.join(str(out), image))), (deliverable.source, image)


def test_exam_code_file_if_present_is_readable():
    path = os.path.join(ROOT, "tf1_molecules", "exam_torch.py")
    if not os.path.exists(path):
        pytest.skip("tf1_molecules/exam_torch.py is not in this checkout (the tf1_molecules work adds it)")
    block = documents.code_block(path, "test")
    assert "class PropertyPredictor" in "\n".join(block)


@pytest.mark.parametrize("rel,anchor,limit", GAN_LIMITS)
def test_gan_answers_within_the_seed_limits(rel, anchor, limit):
    _, body = documents.section(_read(rel), anchor, rel)
    answer = first_blockquote(body)
    assert answer, "%s#%s: the answer must be the first block quote of its section" % (rel, anchor)
    assert len(answer) <= limit, "%s#%s: %d characters > %d" % (rel, anchor, len(answer), limit)


def test_paper_review_and_answers_within_350_words():
    lines = _read(WRITEUP)
    for anchor in REVIEW_PARTS:
        _, body = documents.section(lines, anchor, WRITEUP)
        text = "\n".join(body).strip()
        if anchor != "review":  # the quoted question (first paragraph, in italics) is not part of the answer
            question, text = text.split("\n\n", 1)
            assert question.startswith("*") and question.endswith("*"), anchor
        words = documents.word_count(text)
        assert 150 <= words <= 350, "%s: %d words" % (anchor, words)


def test_word_count_ignores_markup():
    assert documents.word_count("**Main contribution.** A [link](x.md) and `code` — done.") == 7


def test_an_introduction_ending_in_a_colon_sticks_to_what_it_introduces():
    from common import typeset  # pylint: disable=import-outside-toplevel  (stdlib only until it compiles)
    body = "\n\n".join([
        "=== 4e: shapes\n<4e-shapes>\nOur verdicts for\nthe six tensors:",  # heading + label stay outside
        "#figure(\n  table()\n)",
        "A plain paragraph.",
        "#figure(image(\"a.png\"))",
        "- a list item:",
        "```\ncode\n```",
        "Printed:",
        "```\ndef f():",  # a colon inside a code block is code
        "```\nmore"])
    out = typeset.stick_introductions(body).split("\n\n")
    assert out[0] == ("=== 4e: shapes\n<4e-shapes>\n#block(sticky: true, spacing: 0.95em)[Our verdicts for\n"
                      "the six tensors:]")
    assert out[2] == "A plain paragraph." and out[4] == "- a list item:"
    assert out[6] == "#block(sticky: true, spacing: 0.95em)[Printed:]"
    assert out[7] == "```\ndef f():"


# --- PDFs -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every document built once into a temp folder, and what a reader sees in each PDF (pypdf)."""
    pdfs.require_engine()
    out = tmp_path_factory.mktemp("reports")
    report.build_report(str(out / "no_runs"), str(out), engine=ENGINE)
    info = pdfs.probe(*[os.path.join(str(out), o) for o in OUTPUTS])
    return str(out), {o: info[os.path.join(str(out), o)] for o in OUTPUTS}


OUTPUTS = [d.output for d in documents.deliverables()] + ["REPORT.pdf"]


@pytest.mark.parametrize("output", OUTPUTS)
def test_pdf_pages_and_required_text(built, output):
    out, info = built
    pdf = os.path.join(out, output)
    assert open(pdf, "rb").read(5) == b"%PDF-"
    limit = {d.output: d.max_pages for d in documents.deliverables()}.get(output)
    pages = info[output]["pages"]
    assert pages >= 1 and (limit is None or pages <= limit), "%s: %d pages (limit %s)" % (output, pages, limit)
    text = pdfs.flat(" ".join(info[output]["text"]))
    for needle in REQUIRED[output] + MATH.get(output, []):
        assert needle in text, "%s: %r not found" % (output, needle)
    assert pdfs.last_page_number_ok(info[output]), "%s: no page number on the last page" % output


def test_overview_has_one_page_per_task(built):
    pages = built[1]["REPORT.pdf"]["text"]
    for number, task in enumerate(common_task.REGISTRY, 2):
        page = pdfs.flat(pages[number - 1])
        assert page.startswith("tf1-suite: overview tf1-suite %s:" % task), (number, page[:80])
        assert "Documents:" in page and "Headline results" in page


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_word_outside_the_page(built, output):
    info = built[1][output]
    assert info["pages"] and all(info["text"])
    assert info["outside"] == [], "%s: text placed off the page: %s" % (output, info["outside"][:5])


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_referenced_figure_is_embedded(built, output):
    out, info = built
    md = os.path.join(out, os.path.splitext(output)[0] + ".md")
    with open(md, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    images = set(os.path.normpath(os.path.join(os.path.dirname(md), p)) for p in documents.image_paths(lines))
    for image in images:
        assert os.path.isfile(image), image
    embedded = len({d for page in info[output]["image_digests"] for d in page})
    assert embedded == len(images), "%s: %d images embedded, %d referenced" % (output, embedded, len(images))


def test_exam_answers_show_the_pytorch_code(built):
    path = os.path.join(ROOT, "tf1_molecules", "exam_torch.py")
    text = pdfs.flat(" ".join(built[1]["tf1_molecules/exam_answers.pdf"]["text"]))
    if not os.path.exists(path):
        assert "Missing from this checkout" in text
        pytest.skip("tf1_molecules/exam_torch.py is not in this checkout; the PDF says so")
    assert "Missing from this checkout" not in text
    with open(path, encoding="utf-8") as handle:
        code = handle.read()
    for name in ("PointwiseConvolutionLayer", "MessagePassingLayer", "PropertyPredictor"):
        assert "class %s" % name in code and "class %s" % name in text


def test_report_figures_are_captioned_and_demo_runs_marked(tmp_path):
    """The appendix's pictures are numbered figures with captions (two pictures of one run are two figures, not
    two inline images), and a run of `make demo` says it is a pipeline check wherever its numbers appear."""
    from common import files, plots  # pylint: disable=import-outside-toplevel
    pdfs.require_engine()
    for name in ("full", os.path.join("demo", "quick")):
        run = tmp_path / "runs" / "toytask" / name
        run.mkdir(parents=True)
        files.write_json(str(run / "metrics.json"), {"accuracy": 0.5})
        for number, png in enumerate(("loss_curve.png", "samples.png")):  # four different pictures
            plots.save_curves(str(run / png), {"loss": ([0, 1], [1, number + len(name)])})
    out = tmp_path / "reports"
    report.build_report(str(tmp_path / "runs"), str(out), str(tmp_path), engine=ENGINE)
    markdown = (out / "REPORT.md").read_text(encoding="utf-8")
    assert "Run demo/quick (pipeline check): loss curve." in markdown and "Run full: samples." in markdown
    info = pdfs.probe(str(out / "REPORT.pdf"))[str(out / "REPORT.pdf")]
    text = pdfs.flat(" ".join(info["text"]))
    captions = set(re.findall(r"Figure (\d+):", text))
    images = len({d for page in info["image_digests"] for d in page})
    assert images >= 4 and len(captions) >= images, (images, sorted(captions))
    assert "Summary of results" in pdfs.flat(info["text"][0]) and "Contents" in pdfs.flat(info["text"][0])


def test_a_picture_always_gets_a_paragraph_of_its_own():
    text = "intro:\n![a](a.png)\n![b](b.png)\n```\n![not a figure](x.png)\n```\nafter"
    out = report._figure_paragraphs(text)  # pylint: disable=protected-access
    assert out == "intro:\n\n![a](a.png)\n\n![b](b.png)\n\n```\n![not a figure](x.png)\n```\nafter"
    assert report.is_demo("demo") and report.is_demo("demo/train") and not report.is_demo("demolition")
