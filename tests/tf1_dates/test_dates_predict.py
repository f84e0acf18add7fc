"""predict.py as the grader runs it, and as a hostile user would: line ends, BOM, streaming, bad lines and
numbers, outputs that would lose data. The committed weights; a FIFO or a read-only file in a temp dir stands in
for a device (never a real one)."""
import os
import stat
import subprocess
import sys

import pytest

from tf1_dates import datagen, predict, sampling, score, text_format

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINES = ["[WED] [JAN] [False] [180]", "[MON] [DEC] [True] [196]", "[SUN] [FEB] [False] [220]",
         "[FRI] [JUL] [True] [204]", "[TUE] [MAR] [False] [199]"]


def _run(tmp_path, content, *extra, name="in.txt", out="out.txt"):
    """predict.main on an input file with `content` (bytes) -> (exit code, output path)."""
    source = tmp_path / name
    source.write_bytes(content)
    target = tmp_path / out
    code = predict.main(["-i", str(source), "-o", str(target), "--threads", "1", "--seed", "5"] + list(extra))
    return code, target


def _reference(lines, seed=5, temperature=0.5, batch_size=8192):
    """The output of the old one-shot predict.py: all lines read, one warm-up draw on the first line, then
    every line sampled by one predict call in `batch_size` chunks, joined by newlines."""
    predictor = predict.Predictor(sampling.WEIGHTS_DIR, seed, threads=1)
    try:
        ids = predict.tokenizer.encode_lines(lines)
        predictor.predict(ids[:1], temperature)
        out = sampling.format_lines(lines, predictor.predict(ids, temperature, batch_size))
    finally:
        predictor.close()
    return "\n".join(out)


@pytest.fixture(scope="module")
def plain_output(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plain")
    code, target = _run(tmp, ("\n".join(LINES) + "\n").encode())
    assert code == 0
    return target.read_text(encoding="utf-8")


def test_output_ends_with_one_newline_and_repeats_the_conditions(plain_output):
    assert plain_output.endswith("\n") and not plain_output.endswith("\n\n")
    lines = plain_output[:-1].split("\n")
    assert [line.rsplit(" ", 1)[0] for line in lines] == LINES
    assert all(not score.check_line(line).malformed for line in lines)


@pytest.mark.parametrize("content", [
    ("\n".join(LINES)).encode(),                                  # no final newline
    ("\r\n".join(LINES) + "\r\n").encode(),                       # Windows line ends
    b"\xef\xbb\xbf" + ("\n".join(LINES) + "\n").encode(),         # UTF-8 BOM
    b"\xef\xbb\xbf" + ("\r\n".join(LINES)).encode(),              # BOM + CRLF, no final line end
    ("\n".join("  %s\t" % l.replace(" ", " \t ") for l in LINES)).encode(),  # spaces and tabs separate fields
], ids=["no-final-newline", "crlf", "bom", "bom-crlf", "spaces-tabs"])
def test_line_end_variants_give_the_same_output(tmp_path, content, plain_output):
    code, target = _run(tmp_path, content)
    assert code == 0
    assert target.read_text(encoding="utf-8") == plain_output


@pytest.mark.parametrize("char, name", [("\x0c", "form feed"), ("\r", "lone carriage return"), ("\x0b", "vertical tab"),
                                        ("\x1c", "file separator"), ("\x85", "NEL"), ("\u2028", "line separator"),
                                        ("\u2029", "paragraph separator")])
def test_other_line_separators_are_part_of_the_line_and_make_it_malformed(tmp_path, capsys, char, name):
    bad = LINES[1].replace("] [True]", "]" + char + "[True]")
    content = "\n".join([LINES[0], bad, LINES[2]]) + "\n"
    code, target = _run(tmp_path, content.encode("utf-8"))
    assert code == 2, name
    err = capsys.readouterr().err
    assert "in.txt:2: %r: character U+%04X inside the line" % (bad, ord(char)) in err
    assert not target.exists() and os.listdir(str(tmp_path)) == ["in.txt"]  # no output, no temp file


def test_fields_and_line_reader():
    assert text_format.fields(" [WED]\t [JAN] [False] [180] ") == ["[WED]", "[JAN]", "[False]", "[180]"]
    assert text_format.fields("") == [] and text_format.fields(" \t ") == []
    with pytest.raises(ValueError, match=r"U\+000C"):
        text_format.fields("[WED]\x0c[JAN]")
    assert "[WED]\x0c[JAN]".split() == ["[WED]", "[JAN]"]  # what str.split() would have done


def test_line_reader_ends_lines_only_at_lf_and_crlf(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb\rc\x0cd\ne\xe2\x80\xa8f\n\ng")
    assert text_format.read_lines(str(path)) == ["a", "b\rc\x0cd", "e\u2028f", "", "g"]
    path.write_bytes(b"a\n")
    assert text_format.read_lines(str(path)) == ["a"]
    path.write_bytes(b"")
    assert text_format.read_lines(str(path)) == []
    path.write_bytes(b"ok\n\xff\xfe\n")
    with pytest.raises(text_format.files.InputError, match=r"t.txt:2: not UTF-8 text"):
        text_format.read_lines(str(path))


@pytest.mark.parametrize("batch_size", [1, 7, 100, 8192])
def test_streaming_equals_the_old_one_shot_output(tmp_path, batch_size):
    """Same seed and batch size: the streamed file is the old one-shot output plus a final newline."""
    lines = datagen.example_lines(datagen.data_lines())[:230]  # the first 230 lines of example_input.txt
    code, target = _run(tmp_path, ("\n".join(lines) + "\n").encode(), "--batch-size", str(batch_size))
    assert code == 0
    assert target.read_text(encoding="utf-8") == _reference(lines, batch_size=batch_size) + "\n"


def test_a_bad_line_after_the_first_batch_leaves_no_file_and_keeps_the_previous_output(tmp_path, capsys):
    lines = LINES * 30 + ["[WED] [JANUARY] [False] [180]"] + LINES
    target = tmp_path / "out.txt"
    target.write_text("previous output\n")
    os.chmod(str(target), 0o640)
    code, _ = _run(tmp_path, ("\n".join(lines) + "\n").encode(), "--batch-size", "10")
    assert code == 2
    err = capsys.readouterr().err
    assert "in.txt:151: '[WED] [JANUARY] [False] [180]': unknown month token '[JANUARY]'" in err
    assert "Traceback" not in err
    assert target.read_text() == "previous output\n" and stat.S_IMODE(os.stat(str(target)).st_mode) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["in.txt", "out.txt"]  # the temp file is gone


@pytest.mark.parametrize("content, message", [
    (b"[WED] [JAN] [False]\n", "in.txt:1: '[WED] [JAN] [False]': expected 4 condition tokens"),
    (b"[WED] [JAN] [False] [180] 1-1-1800\n", "got 5 fields"),
    (b"[WED] [JAN] [False] [180]\n\n[WED] [JAN] [False] [180]\n", "in.txt:2: '': expected 4 condition tokens"
                                                                     " like '[WED] [JAN] [False] [180]', got an empty line"),
    (b"[WED] [JAN] [false] [180]\n", "unknown leap year token '[false]'"),
    (b"[WED] [JAN] [False] [179]\n", "unknown decade token '[179]'"),
    (b"\x00\xff\xfe\x00garbage\n", "in.txt:1: not UTF-8 text"),
    (b"[WED] [JAN] [False] [180]\xc2\xa0\n", "character U+00A0 inside the line"),
], ids=["3-fields", "5-fields", "empty-line", "bad-leap", "bad-decade", "binary", "nbsp"])
def test_malformed_input_exit_2_with_file_line_text_reason(tmp_path, capsys, content, message):
    code, target = _run(tmp_path, content)
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not target.exists()


def test_empty_input_gives_an_empty_output(tmp_path):
    code, target = _run(tmp_path, b"")
    assert code == 0 and target.read_bytes() == b""
    code, target = _run(tmp_path, b"\xef\xbb\xbf")
    assert code == 0 and target.read_bytes() == b""


def _snapshot(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        st = os.lstat(path)
        out[name] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                     open(path, "rb").read() if stat.S_ISREG(st.st_mode) else None)
    return out


@pytest.mark.parametrize("kind, message", [
    ("same-as-input", "is the input file"), ("hard-link-to-input", "is the input file"),
    ("symlink-to-input", "is the input file"), ("directory", "is a directory"),
    ("fifo", "not a regular file (a device, FIFO or socket)"), ("read-only", "is read-only; not replacing it"),
    ("missing-dir", "does not exist"), ("under-a-file", "is not a directory")])
def test_outputs_that_would_lose_data_are_refused(tmp_path, capsys, kind, message):
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES) + "\n")
    target = {"same-as-input": source, "hard-link-to-input": tmp_path / "link", "symlink-to-input": tmp_path / "sym",
              "directory": tmp_path / "d", "fifo": tmp_path / "fifo", "read-only": tmp_path / "ro",
              "missing-dir": tmp_path / "no" / "out.txt", "under-a-file": tmp_path / "in.txt" / "out.txt"}[kind]
    if kind == "hard-link-to-input":
        os.link(str(source), str(target))
    elif kind == "symlink-to-input":
        os.symlink(str(source), str(target))
    elif kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(str(target))
    elif kind == "read-only":
        target.write_text("keep")
        os.chmod(str(target), 0o444)
    before = _snapshot(str(tmp_path))
    code = predict.main(["-i", str(source), "-o", str(target), "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert _snapshot(str(tmp_path)) == before  # input intact, FIFO still a FIFO, read-only file untouched


@pytest.mark.parametrize("flag, value, shown", [
    ("--temperature", "0", "'temperature' must be a finite number >= 0.01 and <= 100.0, got 0.0"),
    ("--temperature", "-1", "'temperature' must be a finite number >= 0.01 and <= 100.0, got -1.0"),
    ("--temperature", "nan", "'temperature' must be a finite number >= 0.01 and <= 100.0, got nan"),
    ("--temperature", "inf", "'temperature' must be a finite number >= 0.01 and <= 100.0, got inf"),
    ("--batch-size", "0", "'batch_size' must be an integer >= 1, got 0"),
    ("--batch-size", "-5", "'batch_size' must be an integer >= 1, got -5"),
    ("--threads", "-1", "'threads' must be an integer >= 0, got -1"),
    ("--reject-rounds", "0", "'reject_rounds' must be an integer >= 1 and <= 1000, got 0"),
    ("--seed", "1.5", "invalid int value: '1.5'"),
])
def test_nonsense_numbers_exit_2_and_write_nothing(tmp_path, capsys, flag, value, shown):
    code, target = _run(tmp_path, ("\n".join(LINES) + "\n").encode(), flag, value)
    err = capsys.readouterr().err
    assert code == 2 and shown in err and "Traceback" not in err
    assert not target.exists()


def test_missing_or_directory_input_exit_2(tmp_path, capsys):
    target = tmp_path / "out.txt"
    assert predict.main(["-i", str(tmp_path / "nope.txt"), "-o", str(target)]) == 2
    assert "nope.txt: cannot read: No such file or directory" in capsys.readouterr().err
    assert predict.main(["-i", str(tmp_path), "-o", str(target)]) == 2
    assert "is a directory, not a file" in capsys.readouterr().err
    assert not target.exists()


def test_grader_command_line_as_a_script(tmp_path):
    """`python predict.py -i IN -o OUT` from another directory; errors are one line, exit 2, no traceback."""
    source = tmp_path / "in.txt"
    source.write_text("\n".join(LINES) + "\n")
    script = os.path.join(ROOT, "tf1_dates", "predict.py")
    ok = subprocess.run([sys.executable, script, "-i", str(source), "-o", str(tmp_path / "o.txt"), "--threads", "1"],
                        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert ok.returncode == 0, ok.stderr
    assert "wrote 5 lines" in ok.stderr and "WARNING" not in ok.stderr  # TensorFlow is quiet
    bad = subprocess.run([sys.executable, script, "-i", str(source), "-o", str(source)], cwd=str(tmp_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert bad.returncode == 2 and "is the input file" in bad.stderr and "Traceback" not in bad.stderr
    assert source.read_text() == "\n".join(LINES) + "\n"


@pytest.fixture
def weights_copy(tmp_path):
    """A copy of the committed weights dir whose hparams.json a test may edit."""
    import json
    import shutil
    target = tmp_path / "w"
    shutil.copytree(sampling.WEIGHTS_DIR, str(target))
    path = target / "hparams.json"

    def edit(change=None, text=None):
        if text is None:
            hparams = json.loads(path.read_text())
            change(hparams)
            text = json.dumps(hparams)
        path.write_text(text)
        return str(target)
    return edit


@pytest.mark.parametrize("change, message", [
    (lambda h: h.update(periodic=True), "'periodic' is True but the weights .* hold a network with periodic = False"),
    (lambda h: h.update(layers=5000), "'layers' is 5000 but the weights .* hold a network with layers = 2"),
    (lambda h: h.update(hidden=512), "'hidden' is 512 but the weights .* hold a network with hidden = 768"),
    (lambda h: h.update(rank=4), "'rank' is 4 but the weights .* hold a network with rank = 0"),
    (lambda h: h.update(layers="2"), "config key 'layers' must be an integer >= 1, got '2'"),
    (lambda h: h.update(dropout=1.0), "config key 'dropout' must be a finite number >= 0.0 and < 1.0, got 1.0"),
    (lambda h: h.update(width=3), "unknown key 'width'"),
    (lambda h: h.pop("rank"), "key 'rank' missing"),
    (lambda h: h["split"].pop("seed"), "key 'split.seed' missing"),
    (lambda h: h["split"].update(val_frac=-0.5), "config key 'val_frac' must be"),
], ids=["periodic", "layers-5000", "hidden", "rank", "string", "dropout", "unknown", "missing", "split-missing",
        "split-range"])
def test_hand_edited_hparams_are_refused_naming_the_file_and_key(weights_copy, tmp_path, capsys, change, message):
    import re
    weights = weights_copy(change)
    code, target = _run(tmp_path, ("\n".join(LINES) + "\n").encode(), "--weights", weights)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert "w/hparams.json" in err and re.search(message, err), err
    assert not target.exists()


@pytest.mark.parametrize("text, message", [
    ('{"hidden": 768, "hidden": 768}', "duplicate key 'hidden'"),
    ('{"hidden": 768,', "not valid JSON"),
    ('[1, 2]', "must hold a mapping"),
])
def test_hparams_that_are_no_mapping_are_refused(weights_copy, tmp_path, capsys, text, message):
    code, _ = _run(tmp_path, ("\n".join(LINES) + "\n").encode(), "--weights", weights_copy(text=text))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "hparams.json" in err and "Traceback" not in err
