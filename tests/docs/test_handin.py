"""`make handin` from the grader's side: each bundle built into a temp folder outside the repository, unpacked
and used the way its grader uses it, with the repository out of reach (cwd in the bundle, PYTHONPATH unset).

Fast: the build, the settings, the layouts, the dates inference + evaluation, the README commands, and every
PDF read back with pypdf (names, page/character/word limits over ALL text under a heading, forbidden words,
captions). Slow: each GAN version runs one step from the unpacked zip; the dates training runs two steps.
"""
import os
import re
import shlex
import subprocess
import sys
import zipfile

import pytest

from common import handin

import pdfs

NAME = "Ada Lovelace"
FILE = "Ada_Lovelace"
TARGETS = sorted(set(re.findall(r"^([a-z][a-z0-9-]*):", open(os.path.join(handin.REPO_ROOT, "Makefile")).read(),
                                re.M)))
# Never in a hand-in document: workshop words a grader reads as noise.
FORBIDDEN = [r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b",  # a commit hash
             r"\b[Ii]ssue \d+", r"\btests?/", r"\btest_\w+", r"\bseed 00[0-4]\b", r"\bSIGSTOP\b", r"\bRSS\b",
             r"\bcommit\b"]
# Allowed only in a final "Reproducing" appendix: the one command per number.
COMMAND_WORDS = [r"\bmake (?:%s)\b" % "|".join(map(re.escape, TARGETS)), r"\bpython -m \w+",
                 r"\b(?:docs|reports|tools|runs)/"]
# (pdf, heading as printed, limit, unit): the seeds' limits, counted over everything under the heading.
LIMITS = [
    ("gan/Report.pdf", "(b) Which PyTorch or TensorFlow module", 280, "chars"),
    ("gan/Report.pdf", "(c) The code sees only one GPU", 280, "chars"),
    ("gan/Report.pdf", "Technical question 2", 400, "chars"),
    ("cs7643/assignment1_writeup.pdf", "Review", 350, "words"),
    ("cs7643/assignment1_writeup.pdf", "Question 1", 350, "words"),
    ("cs7643/assignment1_writeup.pdf", "Question 2", 350, "words"),
]
PAGE_LIMITS = {"dates/dl_problem_%s.pdf" % FILE: 5, "dates/essay_answers_%s.pdf" % FILE: 1}


def _env():
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}


def run(args, cwd, timeout=300):
    proc = subprocess.run(args, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    pdfs.require_engine()
    root = tmp_path_factory.mktemp("grader")
    assert not str(root).startswith(handin.REPO_ROOT)
    code, text = run([sys.executable, "-m", "common.handin", "--name", NAME, "--institution", "Analytical Engine Ltd",
                      "--out", str(root / "handin")], cwd=handin.REPO_ROOT)
    assert code == 0, text
    return root / "handin"


@pytest.fixture(scope="module")
def docs(out):
    found = sorted(str(p.relative_to(out)) for p in out.glob("*/*.pdf"))
    info = pdfs.probe(*[str(out / p) for p in found])
    return {p: info[str(out / p)] for p in found}


def _main(argv, cwd):
    return run([sys.executable, "-m", "common.handin"] + argv, cwd=cwd)


def test_an_empty_or_missing_name_is_refused(tmp_path):
    env_root = handin.REPO_ROOT
    (tmp_path / "empty.yaml").write_text("")
    for argv, message in ((["--name", "  "], "the name is empty"), ([], "no name given"),
                          (["--name", "../etc"], "is not a name")):
        code, text = _main(argv + ["--out", str(tmp_path / "h"), "--config", str(tmp_path / "empty.yaml")]
                           if argv == [] else
                           argv + ["--out", str(tmp_path / "h")], env_root)
        assert code == 2 and message in text and "Traceback" not in text, (argv, text)
    (tmp_path / "handin.yaml").write_text("name: ''\nmatriculation: 12345\n")
    code, text = _main(["--config", str(tmp_path / "handin.yaml"), "--out", str(tmp_path / "h")], env_root)
    assert code == 2 and "handin.yaml: name: the name is empty" in text
    (tmp_path / "handin.yaml").write_text("nom: X\n")
    code, text = _main(["--config", str(tmp_path / "handin.yaml"), "--out", str(tmp_path / "h")], env_root)
    assert code == 2 and "expected the keys" in text
    assert not (tmp_path / "h").exists()


def test_settings_from_the_config_file(tmp_path):
    (tmp_path / "handin.yaml").write_text("name: Grace Hopper\nmatriculation: 4711\n")

    class Args(object):
        config, name, matriculation, institution = str(tmp_path / "handin.yaml"), None, None, "Navy"
    assert handin.load_settings(Args()) == handin.Settings("Grace Hopper", "4711", "Navy")
    assert handin.file_name(" Grace  Brewster Hopper ") == "Grace_Brewster_Hopper"


def test_one_folder_per_exercise_with_what_its_grader_receives(out):
    def names(folder):
        return sorted(os.listdir(str(out / folder)))
    assert names(".") == ["cs7643", "dates", "exam", "gan", "workshop"]
    assert names("gan") == ["Report.pdf", "tf1_gan_submission.zip"]
    assert names("cs7643") == ["assignment1_writeup.pdf", "assignment_1_submission.zip"]
    assert names("exam") == ["exam_answers_%s.pdf" % FILE]
    assert names("workshop") == ["workshop_answers_%s.pdf" % FILE]
    assert names("dates") == sorted(["README.md", "data", "dates_%s.zip" % FILE, "dl_problem_%s.pdf" % FILE,
                                     "environment.yml", "essay_answers_%s.pdf" % FILE, "model", "requirements.txt"])
    assert names("dates/data") == ["calendar_facts.py", "common", "data.txt", "datagen.py", "example_input.txt"]
    model = names("dates/model")
    for name in ("predict.py", "train.py", "score.py", "model.py", "common", "weights"):
        assert name in model
    assert names("dates/model/weights") == ["generator.data-00000-of-00001", "generator.index", "hparams.json"]
    with zipfile.ZipFile(str(out / "dates" / ("dates_%s.zip" % FILE))) as archive:
        zipped = sorted(archive.namelist())
    on_disk = sorted("dates/" + str(p.relative_to(out / "dates")) for p in (out / "dates").rglob("*")
                     if p.is_file() and not p.name.endswith(".zip"))
    assert zipped == on_disk


def test_dates_predict_and_evaluate_inside_the_bundle(out, tmp_path):
    model = out / "dates" / "model"
    code, text = run([sys.executable, "predict.py", "-i", "../data/example_input.txt", "-o", str(tmp_path / "out.txt")],
                     cwd=str(model))
    assert code == 0, text
    code, text = run([sys.executable, "score.py", str(tmp_path / "out.txt"), "--input", "../data/example_input.txt"],
                     cwd=str(model))
    assert code == 0, text
    scores = dict(line.split("=", 1) for line in text.split() if "=" in line)
    n = int(scores["n"])
    assert n == len(open(str(out / "dates" / "data" / "example_input.txt")).read().split("\n")) and n > 1000
    assert float(scores["all_four"]) == 1.0 and scores["malformed"] == "0", text
    # every module loaded from the bundle: nothing reached back into the repository
    code, text = run([sys.executable, "-c", OWN_MODULES % "predict, score, train, evaluate_weights"], cwd=str(model))
    assert code == 0, text


# Imports modules with cwd in the bundle and fails naming any module file (outside the Python installation and
# its site-packages) that does not lie below the working directory.
OWN_MODULES = ("import os, sys, %s\n"
               "own = [m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)"
               " and 'site-packages' not in m.__file__ and not os.path.realpath(m.__file__).startswith("
               "(os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)))]\n"
               "bad = [f for f in own if not os.path.realpath(f).startswith(os.path.realpath(os.getcwd()))]\n"
               "assert own and not bad, bad\n")


def test_dates_data_generator_runs_from_data(out, tmp_path):
    code, text = run([sys.executable, "datagen.py", "--out-dir", str(tmp_path)], cwd=str(out / "dates" / "data"))
    assert code == 0, text
    for name in ("data.txt", "example_input.txt"):
        assert (tmp_path / name).read_text() == (out / "dates" / "data" / name).read_text()


def gan_commands(folder):
    """The README's training commands (one per version), as argument lists."""
    readme = (folder / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    return [shlex.split(line) for block in blocks for line in block.split("\n")
            if line.startswith("python -m tf1_gan.train")]


@pytest.fixture(scope="module")
def gan(out, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gan_zip")
    with zipfile.ZipFile(str(out / "gan" / "tf1_gan_submission.zip")) as archive:
        archive.extractall(str(folder))
    return folder


def test_gan_zip_readme_has_one_command_per_version(gan):
    commands = gan_commands(gan)
    variants = [c[c.index("--variant") + 1] for c in commands]
    assert variants[:4] == ["linear", "linear_bn", "dcgan_bn", "dcgan_sn"]
    assert all(c[:3] == ["python", "-m", "tf1_gan.train"] and "--epochs" in c for c in commands)
    assert sorted(os.listdir(str(gan))) == ["README.md", "common", "data", "environment.yml", "requirements.txt",
                                            "tf1_gan"]
    requirements = (gan / "requirements.txt").read_text()
    assert "tensorflow==1.15.5" in requirements and "numpy==1.18.5" in requirements
    assert "- python=3.6" in (gan / "environment.yml").read_text()


@pytest.mark.slow
def test_gan_every_version_runs_one_step_from_the_zip(gan):
    for command in gan_commands(gan):
        tiny = ["--num-train", "64", "--batch-size", "64", "--epochs", "1", "--no-eval", "--threads", "1",
                "--run-dir", "run_%d" % len(os.listdir(str(gan)))]
        code, text = run([sys.executable] + command[1:] + tiny, cwd=str(gan), timeout=600)
        assert code == 0, (command, text[-2000:])


@pytest.mark.slow
def test_dates_training_runs_inside_the_bundle(out, tmp_path):
    code, text = run([sys.executable, "train.py", "--data", "../data/data.txt", "--run-dir", str(tmp_path / "run"),
                      "--hidden", "16", "--steps", "2", "--eval-every", "1", "--threads", "1"],
                     cwd=str(out / "dates" / "model"), timeout=600)
    assert code == 0, text[-2000:]


def test_cs7643_zip_has_the_course_layout(out):
    with zipfile.ZipFile(str(out / "cs7643" / "assignment_1_submission.zip")) as archive:
        names = set(archive.namelist())
    mnist = os.path.join(handin.REPO_ROOT, "tf1_mnist")
    expected = {"main.py", "utils.py"}
    for folder, suffix in (("configs", ".yaml"), ("models", ".py"), ("optimizer", ".py")):
        expected |= {"%s/%s" % (folder, n) for n in os.listdir(os.path.join(mnist, folder)) if n.endswith(suffix)}
    assert expected <= names, sorted(expected - names)
    assert {n.split("/")[0] for n in names} == {"configs", "models", "optimizer", "common", "data", "main.py",
                                                "utils.py"}


def test_every_pdf_carries_the_name(docs):
    for path, info in docs.items():
        fixed = path in ("gan/Report.pdf", "cs7643/assignment1_writeup.pdf")  # names the seeds prescribe
        assert fixed or FILE in path, path
        assert NAME in pdfs.flat(info["text"][0]), path
    cover = pdfs.flat(docs["exam/exam_answers_%s.pdf" % FILE]["text"][0])
    for field in ("Name, given name: %s" % NAME, "Matriculation number:", "Institution: Analytical Engine Ltd",
                  "I hereby declare that I have done the work this exam independently", "Signature:"):
        assert field in cover, field


def body_text(info):
    """The document's text without page headers and footers, whitespace collapsed."""
    pages = []
    for text in info["text"]:
        lines = [l for l in text.split("\n") if not re.match(r"^\s*\d+ / \d+\s*$", l) and NAME not in l[-40:]]
        pages.append(" ".join(lines))
    return pdfs.flat(" ".join(pages))


def under_heading(info, heading, headings):
    """All text between `heading` and the next of `headings` (the document's headings, in order)."""
    text = body_text(info)
    start = text.index(heading)
    later = [h for h in headings[headings.index(heading) + 1:] if text.find(h, start + len(heading)) > 0]
    end = min(text.find(h, start + len(heading)) for h in later) if later else len(text)
    return text[start:end]


def _pdf_headings(path):
    """The heading lines of the document's source, as printed (markup dropped)."""
    from common import documents  # pylint: disable=import-outside-toplevel
    bundle_docs = {pattern.format(name=FILE): output
                   for b in handin.bundles().values() for output, pattern in b.documents}
    source = {d.output: d.source for d in documents.deliverables()}[bundle_docs[os.path.basename(path)]]
    lines = documents.resolve(os.path.join(handin.REPO_ROOT, source), handin.REPO_ROOT)
    return [pdfs.flat(documents.plain_text(h[2])) for h in documents.headings(lines)]


@pytest.mark.parametrize("path,heading,limit,unit", LIMITS)
def test_limits_hold_over_everything_under_the_heading(docs, path, heading, limit, unit):
    headings = _pdf_headings(path)
    full = [h for h in headings if h.startswith(heading)]
    assert full, (heading, headings)
    text = under_heading(docs[path], full[0], headings)[len(full[0]):].strip()
    count = len(text) if unit == "chars" else len([w for w in text.split() if re.search(r"\w", w)])
    assert 0 < count <= limit, "%s %r: %d %s > %d: %r" % (path, heading, count, unit, limit, text[:200])


def test_page_limits(docs):
    for path, limit in PAGE_LIMITS.items():
        assert docs[path]["pages"] <= limit, (path, docs[path]["pages"])


def test_no_workshop_words_outside_the_reproducing_appendix(docs):
    problems = []
    for path, info in docs.items():
        text = body_text(info)
        cut = text.rfind("Reproducing")
        body = text[:cut] if cut > 0 else text
        for pattern in FORBIDDEN:
            problems += ["%s: %r" % (path, f) for f in re.findall(pattern, text)]
        for pattern in COMMAND_WORDS:
            problems += ["%s: %r outside the Reproducing appendix" % (path, f) for f in re.findall(pattern, body)]
    assert not problems, "\n".join(problems)


def test_every_figure_is_captioned(docs):
    problems = []
    for path, info in docs.items():
        images = sum(info["images"])
        captions = set(re.findall(r"Figure (\d+):", body_text(info)))
        if len(captions) < images:
            problems.append("%s: %d images, captions of figures %s" % (path, images, sorted(captions)))
    assert not problems, "\n".join(problems)


def test_text_legible_and_metadata_clean(docs):
    """No text below 6.5 pt outside maths (code in tables and code blocks once was 5.6 and 6.3 pt), and no
    /Suspects in the catalog (poppler 22.12 prints a syntax error for it on every page it opens)."""
    problems = []
    for path, info in docs.items():
        problems += ["%s p.%d: %s %.1f pt %r" % (path, page, font, size, text)
                     for page, font, size, text in info["small"]]
        if info["suspects"]:
            problems.append("%s: /Suspects in MarkInfo" % path)
    assert not problems, "\n".join(problems)


def test_no_page_ends_in_an_introduction(docs):
    """A sentence ending in ':' is never the last line of a page: what it introduces (table, figure, code)
    follows on the same page. The exam's cover (a form ending in its score table) aside."""
    problems = []
    for path, info in docs.items():
        for number, text in enumerate(info["text"], 1):
            if path.startswith("exam/") and number == 1:
                continue
            lines = [l for l in text.split("\n") if l.strip() and not re.match(r"^\s*\d+ / \d+\s*$", l)]
            if lines and lines[-1].rstrip().endswith(":"):
                problems.append("%s p.%d ends in %r" % (path, number, lines[-1][-80:]))
    assert not problems, "\n".join(problems)
