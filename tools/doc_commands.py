"""Every command the Markdown documents name, and whether it resolves.

    python tools/doc_commands.py            # list each command found, then the broken ones; exit 1 if any

Reads README.md, common/README.md, every tf1_*/README.md, docs/*.md and docs/deliverables/*.md; takes fenced and
indented code and inline code spans (an inline span may run over a line break, as Markdown allows) and finds in
them:

- `python -m MODULE ...`: MODULE must run `--help` with exit 0 and print a usage, and every `--flag` the
  document gives it must be one of that usage's flags (`pytest`/`unittest` are the test runners: their test paths
  must exist instead; `pip` is not checked);
- `python PATH.py ...`: the file must exist, relative to the root, to the document's folder, to a `cd DIR` earlier
  in the same command, or (a bare name, the course's layouts) to exactly one task package, or for a hand-in
  document `docs/deliverables/tf1_<task>_*.md` to that task's package (its bundle flattens it);
- `make TARGET ...`: TARGET must be a rule of the Makefile.

Every distinct module's `--help` runs once, all in one child process (TensorFlow imported once), with a time limit.
"""
import glob
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNERS = ("pytest", "unittest", "pip")  # third-party tools: their own --help is not the suite's
FENCE = re.compile(r"^\s*(```|~~~)")
PYTHON = re.compile(r"(?:^|\s)(?:\S*/)?python(?:3(?:\.\d+)?)?\s+(\S.*)$")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9_-]*)")
SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")


def documents():
    """The Markdown files whose commands a user is told to type (relative paths, sorted)."""
    names = ["README.md", "common/README.md"] + glob.glob(os.path.join(REPO, "tf1_*", "README.md")) + \
        glob.glob(os.path.join(REPO, "docs", "*.md")) + glob.glob(os.path.join(REPO, "docs", "deliverables", "*.md"))
    return sorted({os.path.relpath(os.path.join(REPO, name), REPO) for name in names
                   if os.path.exists(os.path.join(REPO, name))})


def code_spans(text):
    """(line number, code) for every line of fenced or indented code and every inline code span of a Markdown text."""
    fenced, paragraph, start = False, [], 0
    spans = []

    def flush():
        if paragraph and all(re.match(r"^(    |\t)", line) for line in paragraph):  # an indented code block
            spans.extend((start + i, re.sub(r"\s#.*$", "", line).strip()) for i, line in enumerate(paragraph))
        else:
            joined = " ".join(line.strip() for line in paragraph)
            spans.extend((start, m.group(1).strip()) for m in re.finditer(r"`([^`]+)`", joined))
        del paragraph[:]

    for number, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            flush()
            fenced = not fenced
        elif fenced:
            spans.append((number, re.sub(r"\s#.*$", "", line).strip()))
        elif line.strip():
            if not paragraph:
                start = number
            paragraph.append(line)
        else:
            flush()
    flush()
    return [(number, code) for number, code in spans if code]


def _words(segment):
    try:
        return shlex.split(segment)
    except ValueError:  # an unbalanced quote in prose-like code: plain whitespace split
        return segment.split()


def commands(code):
    """Commands in one code span: dicts of kind (module / path / make), name, flags, args, cwd."""
    found, cwd = [], ""
    for segment in SEPARATORS.split(code):
        words = _words(segment)
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            words = words[1:]  # VAR=value before a command
        if words[:1] == ["cd"] and len(words) > 1:
            cwd = words[1]
            continue
        if words[:1] == ["make"]:
            targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            found.extend({"kind": "make", "name": t, "cwd": cwd} for t in targets[:1] if re.match(r"^[a-z]", t))
            continue
        match = PYTHON.search(segment)
        if not match:
            continue
        rest = _words(match.group(1))
        if rest[:1] == ["-m"] and len(rest) > 1 and re.match(r"^[A-Za-z_][\w.]*$", rest[1]):
            found.append({"kind": "module", "name": rest[1], "args": rest[2:], "cwd": cwd,
                          "flags": sorted(set(FLAG.findall(" ".join(rest[2:]))))})
        elif rest and rest[0].endswith(".py"):
            found.append({"kind": "path", "name": rest[0], "cwd": cwd})
    return found


def collect():
    """Every command of every document, with where it was found (document, line)."""
    result = []
    for doc in documents():
        with open(os.path.join(REPO, doc), encoding="utf-8") as handle:
            text = handle.read()
        for number, code in code_spans(text):
            for command in commands(code):
                command.update(doc=doc, line=number, code=code)
                result.append(command)
    return result


def make_targets():
    with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as handle:
        return set(re.findall(r"^([a-z0-9][\w-]*)\s*:(?!=)", handle.read(), re.M))


def path_exists(command):
    """True if the command's .py file exists where a user running it from the document would be."""
    name, doc_dir = command["name"], os.path.dirname(command["doc"])
    bases = [os.path.join(REPO, command["cwd"])] if command["cwd"] else [REPO, os.path.join(REPO, doc_dir)]
    if any(os.path.isfile(os.path.join(base, name)) for base in bases):
        return True
    if "/" not in name:  # `python main.py` from a task folder (the course's layout)
        owner = re.match(r"(tf1_[a-z0-9]+)_", os.path.basename(command["doc"]))
        if owner and os.path.isfile(os.path.join(REPO, owner.group(1), name)):
            return True  # a hand-in document's command, run inside its bundle (the task's modules, flattened)
        return len(glob.glob(os.path.join(REPO, "tf1_*", name))) == 1
    return False


def _help_one(module):
    """Run `python -m module --help` in this process: (exit code, printed text)."""
    out, argv = StringIO(), sys.argv
    sys.argv = [module, "--help"]
    try:
        with redirect_stdout(out), redirect_stderr(out):
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0  # the module ran to its end: python exits 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    except BaseException as exc:  # pylint: disable=broad-except
        code = "%s: %s" % (type(exc).__name__, exc)
    finally:
        sys.argv = argv
    return code, out.getvalue()


def helps(modules, timeout=600):
    """{module: {"code": exit code or error, "text": --help output}}, every module in one child process."""
    modules = sorted(set(modules))
    script = "import json, sys; sys.path.insert(0, %r); from tools import doc_commands as d\n" \
             "for m in %r:\n    c, t = d._help_one(m)\n    sys.__stdout__.write(json.dumps([m, c, t]) + '\\n')\n" \
             "    sys.__stdout__.flush()\n" % (REPO, modules)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg")
    try:
        proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
        stdout, note = proc.stdout, proc.stderr[-2000:]
    except subprocess.TimeoutExpired as exc:
        stdout, note = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or "", \
            "timed out after %d s" % timeout
    result = {}
    for line in stdout.splitlines():
        module, code, text = json.loads(line)
        result[module] = {"code": code, "text": text}
    for module in modules:
        result.setdefault(module, {"code": "no answer (%s)" % note.strip(), "text": ""})
    return result


def problems(found, help_results):
    """Human-readable lines, one per broken command."""
    targets, bad = make_targets(), []
    for command in found:
        where = "%s:%d: %s" % (command["doc"], command["line"], command["code"])
        if command["kind"] == "make" and command["name"] not in targets:
            bad.append("%s: no Makefile target %r" % (where, command["name"]))
        elif command["kind"] == "path" and not path_exists(command):
            bad.append("%s: no file %s" % (where, command["name"]))
        elif command["kind"] == "module" and command["name"] == "pytest":
            for arg in command["args"]:
                if arg.startswith("tests") and not os.path.exists(os.path.join(REPO, arg.split("::")[0])):
                    bad.append("%s: no test path %s" % (where, arg))
        elif command["kind"] == "module" and command["name"] not in RUNNERS:
            result = help_results[command["name"]]
            if result["code"] != 0 or "usage:" not in result["text"]:
                bad.append("%s: `-m %s --help` gave %s: %s" % (where, command["name"], result["code"],
                                                                result["text"].strip()[-300:]))
                continue
            known = set(FLAG.findall(result["text"]))
            bad.extend("%s: %s has no flag %s" % (where, command["name"], flag)
                       for flag in command["flags"] if flag not in known)
    return bad


def check():
    """(commands found, broken lines)."""
    found = collect()
    modules = [c["name"] for c in found if c["kind"] == "module" and c["name"] not in RUNNERS]
    return found, problems(found, helps(modules))


def main():
    found, bad = check()
    for command in found:
        print("%-34s %-7s %s" % ("%s:%d" % (command["doc"], command["line"]), command["kind"], command["name"]))
    print("%d commands, %d broken" % (len(found), len(bad)))
    for line in bad:
        print("BROKEN " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
