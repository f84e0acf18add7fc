"""common.files: the safe output writer refuses what would lose data; atomic writes leave no half files."""
import errno
import os
import stat

import pytest

from common import files


def test_regular_paths_pass_and_symlinks_resolve(tmp_path):
    out = tmp_path / "out.txt"
    assert files.check_output(str(out)) == str(out)
    out.write_text("old")
    assert files.check_output(str(out)) == str(out)
    link = tmp_path / "link.txt"
    link.symlink_to(out)
    assert files.check_output(str(link)) == str(out)
    files.write_text(str(link), "new")
    assert link.is_symlink() and out.read_text() == "new"


@pytest.mark.parametrize("case, pattern", [
    ("input", "is the input file"),
    ("directory", "is a directory"),
    ("fifo", "not a regular file"),
    ("read_only", "is read-only"),
    ("missing_dir", "does not exist"),
    ("under_a_file", "is not a directory"),
    ("empty", "output path is empty"),
])
def test_refused_outputs_name_the_reason_and_touch_nothing(tmp_path, case, pattern):
    source = tmp_path / "in.txt"
    source.write_text("precious")
    path = {"input": source, "directory": tmp_path, "fifo": tmp_path / "fifo", "read_only": tmp_path / "ro.txt",
            "missing_dir": tmp_path / "nope" / "out.txt", "under_a_file": source / "out.txt", "empty": ""}[case]
    if case == "fifo":
        os.mkfifo(str(path))  # stands in for /dev/null: a non-regular file that a rename would replace
    if case == "read_only":
        path.write_text("keep me")
        path.chmod(0o444)
    before = sorted(os.listdir(str(tmp_path)))
    with pytest.raises(files.OutputError, match=pattern):
        files.check_output(str(path), inputs=[str(source)])
    assert sorted(os.listdir(str(tmp_path))) == before
    assert source.read_text() == "precious"
    if case == "fifo":
        assert stat.S_ISFIFO(os.stat(str(path)).st_mode)
        with pytest.raises(files.OutputError, match="not a regular file"):
            files.write_text(str(path), "x")
        assert stat.S_ISFIFO(os.stat(str(path)).st_mode)
    if case == "read_only":
        assert path.read_text() == "keep me"


def test_disk_full_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    out = tmp_path / "out.json"
    out.write_text("old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(files.OutputError, match="no space left on the device"):
        files.write_json(str(out), {"a": 1})
    assert out.read_text() == "old"
    assert os.listdir(str(tmp_path)) == ["out.json"]


def test_failure_inside_the_write_keeps_the_old_file(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old")
    with pytest.raises(KeyError):
        with files.atomic_write(str(out)) as handle:
            handle.write("half")
            raise KeyError("bad input line")
    assert out.read_text() == "old" and os.listdir(str(tmp_path)) == ["out.txt"]


def test_replacing_keeps_the_permission_bits(tmp_path):
    out = tmp_path / "out.txt"
    out.write_text("old")
    out.chmod(0o640)
    files.write_text(str(out), "new")
    assert stat.S_IMODE(os.stat(str(out)).st_mode) == 0o640 and out.read_text() == "new"
