"""Reading PDFs in the tests: pdf_probe.py run by the document engine's Python (pypdf), never a system tool.

A missing engine or pypdf is a test failure naming `make docs-engine`, never a skip: `make test` installs the
engine first, so a PDF check that cannot run means the setup is broken.
"""
import json
import os
import re
import subprocess

import pytest

from common import documents

ENGINE = os.path.join(documents.REPO_ROOT, ".tools-docs", "bin", "python")
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pdf_probe.py")


def require_engine():
    """Fails the test (not a skip) when the engine's Python, its typesetters or pypdf are missing."""
    if not os.path.exists(ENGINE):
        pytest.fail("no document engine at %s: run `make docs-engine` (make test does)" % ENGINE)
    proc = subprocess.run([ENGINE, "-c", "import pypdf, typst, pypandoc"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        pytest.fail("the document engine lacks a package (requirements-docs.txt; run `make docs-engine`): %s"
                    % proc.stdout.decode("utf-8", "replace").strip().split("\n")[-1])


def probe(*paths):
    """{path: {"pages", "text", "images", "size", "outside"}} (see pdf_probe.py) for every path."""
    proc = subprocess.run([ENGINE, PROBE] + list(paths), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return json.loads(proc.stdout.decode("utf-8"))


def flat(text):
    """Whitespace collapsed to single spaces (line breaks of the layout do not matter to a reader)."""
    return " ".join(text.split())


def last_page_number_ok(info):
    pages = info["pages"]
    return re.search(r"\b%d ?/ ?%d\s*$" % (pages, pages), info["text"][-1].strip()) is not None
