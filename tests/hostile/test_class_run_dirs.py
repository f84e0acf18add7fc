"""Hostile class 2: run-dir files are never trusted. Each file a run keeps (lock, checkpoints, history, config,
metrics) replaced by a symlink, a directory, a FIFO, a truncated copy or garbage, or hand-edited, against the
two entry points that read a run dir: a training rerun (`run.Run`) and an inference restore
(`inference.restore`); nothing followed, blocked on or written, the message naming the file."""
import os
import re
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import entry_points as ep  # noqa: E402  pylint: disable=wrong-import-position
from entry_points import call, snapshot  # noqa: E402,F401  pylint: disable=wrong-import-position
import toy_train  # noqa: E402  pylint: disable=wrong-import-position

from common import errors, inference  # noqa: E402  pylint: disable=wrong-import-position


# ------------------------------------------------------------------------------- class 2: run-dir files

RUN_FILES = (".lock", "checkpoints", "history.json", "config.yaml", "metrics.json")
REPLACEMENTS = ("symlink", "directory", "fifo", "truncated", "garbage")
# What a rerun of the training command must do (2: refuse naming the file) when `file` is replaced by `how`;
# anything not listed is 2. A lock's or the final metrics' content is never read: the rerun succeeds.
TRAIN_OK = {(".lock", "truncated"), (".lock", "garbage"), ("metrics.json", "truncated"),
            ("metrics.json", "garbage")}
RESTORE_READS = ("checkpoints", "config.yaml")
HAND_EDITS = [
    # (file, edit, train outcome, restore outcome, pattern in the message)
    ("config.yaml", "lr: abc", 2, 2, r"config.yaml.*'lr'"),
    ("config.yaml", "steps: '1:30'", 2, 2, r"config.yaml.*'steps'"),
    ("config.yaml", "drop dim", 2, 2, r"dim"),
    ("config.yaml", "dim: 7", 2, 2, r"dim: 7 -> 5|config.yaml was changed"),
    ("history.json", '[{"step": "3", "loss": 1.0}]', 2, 0, r"history.json row 0 has no integer step"),
    ("history.json", '{"step": 1}', 2, 0, r"history.json.*expected a list"),
    ("history.json", "[1, 2]", 2, 0, r"history.json row 0"),
    ("checkpoints", "ckpt-99999999999999999999.index", 0, 0, r""),
]


def _replace(path, how, victim):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path) and how not in ("truncated",):
        os.remove(path)
    if how == "symlink":
        os.symlink(victim, path)
    elif how == "directory":
        os.makedirs(path)
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "truncated":
        if os.path.exists(path):
            with open(path, "rb") as handle:
                raw = handle.read()
            with open(path, "wb") as handle:
                handle.write(raw[:max(1, len(raw) // 2)])
        else:
            open(path, "wb").close()
    else:
        with open(path, "wb") as handle:
            handle.write(b"\x00{[garbage")


def _hand_edit(path, edit):
    if os.path.isdir(path):
        open(os.path.join(path, edit), "wb").close()
        return
    if path.endswith("config.yaml"):
        with open(path) as handle:
            lines = handle.read().splitlines()
        if edit.startswith("drop "):
            lines = [line for line in lines if not line.startswith(edit[5:] + ":")]
        else:
            key = edit.split(":")[0]
            lines = [edit if line.startswith(key + ":") else line for line in lines]
        text = "\n".join(lines) + "\n"
    else:
        text = edit
    with open(path, "w") as handle:
        handle.write(text)


def _toy_restore(run_dir):
    try:
        with inference.restore(run_dir, toy_train.build, schema=toy_train.SCHEMA):
            return 0, ""
    except errors.UserError as err:
        return 2, str(err)


def _run_dir_cases():
    cases = []
    for name in RUN_FILES:
        for how in REPLACEMENTS:
            if name == "checkpoints" and how in ("directory", "truncated"):
                continue  # an empty checkpoints dir is a run with no checkpoint; a dir has no half
            train = 0 if (name, how) in TRAIN_OK else 2
            restore = 2 if name in RESTORE_READS else 0
            cases += [pytest.param("train", name, how, None, train, name, id="train %s %s" % (name, how)),
                      pytest.param("restore", name, how, None, restore, name, id="restore %s %s" % (name, how))]
    for name, edit, train, restore, pattern in HAND_EDITS:
        cases += [pytest.param("train", name, "edit", edit, train, pattern, id="train %s <%s>" % (name, edit)),
                  pytest.param("restore", name, "edit", edit, restore, pattern, id="restore %s <%s>" % (name, edit))]
    return cases


@pytest.mark.parametrize("entry, name, how, edit, code, pattern", _run_dir_cases())
def test_run_dir_files_are_never_trusted(tmp_path, capsys, no_hang, finished_toy_run, entry, name, how, edit,
                                         code, pattern):  # pylint: disable=redefined-outer-name,unused-argument
    run_dir = str(tmp_path / "run")
    shutil.copytree(finished_toy_run, run_dir, symlinks=True)
    victim = str(tmp_path / "victim.txt")
    with open(victim, "wb") as handle:
        handle.write(b"not yours")
    path = os.path.join(run_dir, name)
    if how == "edit":
        _hand_edit(path, edit)
    else:
        _replace(path, how, victim)
    before = snapshot(run_dir)
    if entry == "train":
        result = call("toy_train", ["--run-dir", run_dir, "--steps", "20", "--ckpt-every", "10"], capsys)
        got, message = result.code, result.err
        assert "Traceback" not in result.err
    else:
        got, message = _toy_restore(run_dir)
    assert got == code, message
    with open(victim, "rb") as handle:
        assert handle.read() == b"not yours"
    if code == 2:
        assert re.search(pattern, message), message
        assert "no readable checkpoint" not in message
        assert snapshot(run_dir) == before  # nothing written, nothing followed
    if name == "config.yaml" and edit == "dim: 7":
        assert ("another configuration" if entry == "train" else "does not fit the graph") in message
