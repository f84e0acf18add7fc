"""The hostile-input matrix (cases.py), in-process: exit code, message, no traceback, nothing written or lost."""
import importlib
import os
import re
import stat

import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as hostile  # noqa: E402  pylint: disable=wrong-import-position


def materialise(tmp, files):
    """Creates a case's files in `tmp`; returns {path: content snapshot} of what must stay untouched."""
    for name, content in files.items():
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if content == hostile.FIFO:
            os.mkfifo(path)
        elif content == hostile.DIR:
            os.makedirs(path)
        elif isinstance(content, tuple):
            with open(path, "wb") as handle:
                handle.write(content[0])
            os.chmod(path, content[1])
        else:
            with open(path, "wb") as handle:
                handle.write(content)
    return snapshot(tmp)


def snapshot(tmp):
    out = {}
    for directory, dirs, names in os.walk(tmp):
        for name in dirs + names:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            out[os.path.relpath(path, tmp)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), content)
    return out


def expand(argv, tmp):
    return [a.replace("{tmp}", tmp) for a in argv]


@pytest.mark.parametrize("case", hostile.all_cases(), ids=lambda c: c.id)
def test_hostile_case(case, tmp_path, capsys):
    tmp = str(tmp_path)
    before = materialise(tmp, case.files)
    module = importlib.import_module(case.module)
    missing = hostile.missing_requirements(case)
    if missing:
        pytest.skip("%s needs %s (make qm9) for this case" % (case.module, ", ".join(missing)))
    if not callable(getattr(module, "main", None)):
        pytest.skip("%s has no main(argv) (a script block only); tools/hostile.py runs it" % case.module)
    try:
        code = module.main(expand(case.argv, tmp))
    except SystemExit as exit_:  # argparse's errors, as a subprocess would end
        code = exit_.code if isinstance(exit_.code, int) else 1
        if isinstance(exit_.code, str):
            sys.stderr.write(exit_.code + "\n")
    out, err = capsys.readouterr()
    assert code == case.code, "exit %r, stderr: %s" % (code, err)
    assert "Traceback" not in out + err
    assert re.search(case.pattern, err), "message %r does not match %r" % (err, case.pattern)
    assert snapshot(tmp) == before, "files were created or changed"
