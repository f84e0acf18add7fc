"""Hostile class 1: an output never overwrites what the same command reads (`files.check_output(out, inputs)`),
for every command that writes a user-named file, every input it declares and every way to alias it; a trailing
slash and a symlink loop are refused too."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import entry_points as ep  # noqa: E402  pylint: disable=wrong-import-position
from entry_points import call, snapshot  # noqa: E402,F401  pylint: disable=wrong-import-position


# --------------------------------------------------------------------------------- class 1: output aliasing

def _alias_cases():
    cases = []
    for writer_id, module, argv, inputs in ep.WRITERS:
        for source in inputs:
            hows = ["inside", "symlinked folder"] if source.endswith("/") else ["same path", "dot-dot", "symlink",
                                                                               "hard link"]
            cases += [pytest.param(module, argv, inputs, source, how, id="%s %s %s" % (writer_id, source, how))
                      for how in hows]
        for how in ("trailing slash", "symlink loop"):
            cases.append(pytest.param(module, argv, inputs, None, how, id="%s %s" % (writer_id, how)))
    return cases


def _make_inputs(tmp, inputs):
    for name in inputs:
        path = os.path.join(tmp, name)
        if name.endswith("/"):
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"original " + name.encode())
    for folder in ("R",):  # a run dir is recognised by its config.yaml
        if os.path.isdir(os.path.join(tmp, folder)) and not os.path.exists(os.path.join(tmp, folder, "config.yaml")):
            with open(os.path.join(tmp, folder, "config.yaml"), "w") as handle:
                handle.write("seed: 0\n")


def _output_path(tmp, source, how):
    if how == "trailing slash":
        return os.path.join(tmp, "newdir") + os.sep, "ends with a slash"
    if how == "symlink loop":
        os.symlink(os.path.join(tmp, "loop_b"), os.path.join(tmp, "loop_a"))
        os.symlink(os.path.join(tmp, "loop_a"), os.path.join(tmp, "loop_b"))
        return os.path.join(tmp, "loop_a"), "symlink loop"
    path = os.path.join(tmp, source)
    if how == "inside":
        return os.path.join(path, "new.out"), "which this command reads"
    if how == "symlinked folder":
        os.symlink(path.rstrip(os.sep), os.path.join(tmp, "folder_link"))
        return os.path.join(tmp, "folder_link", "new.out"), "which this command reads"
    if how == "same path":
        return path, "which this command reads"
    if how == "dot-dot":
        head, tail = os.path.split(path)
        return os.path.join(head, "..", os.path.basename(head), tail), "which this command reads"
    alias = os.path.join(tmp, "alias.out")
    if how == "symlink":
        os.symlink(path, alias)
    else:
        os.link(path, alias)
    return alias, "which this command reads"


@pytest.mark.parametrize("module, argv, inputs, source, how", _alias_cases())
def test_an_output_never_overwrites_what_the_command_reads(tmp_path, capsys, module, argv, inputs, source, how):
    tmp = str(tmp_path)
    _make_inputs(tmp, inputs)
    out, pattern = _output_path(tmp, source, how)
    before = snapshot(tmp)
    result = call(module, [a.replace("{tmp}", tmp).replace("OUT", out) for a in argv], capsys)
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and pattern in result.err, result.err
    assert snapshot(tmp) == before
