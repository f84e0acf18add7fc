"""The hostile suite by class: one parametrised test per mechanism, its cases generated over every entry point
the mechanism applies to (entry_points.py lists them). Fast cases run in-process; the subprocess-heavy
signal and pipe cases are marked slow (`make test-all`).

Classes and the mechanism each test checks:
  * outputs: `files.check_output(out, inputs)` with every declared input (same path, `..` spelling, symlink,
    hard link, inside a read-only folder), a trailing slash, a symlink loop;
  * run-dir files: `run.Run` / `inference.restore` refuse a replaced or hand-edited lock, checkpoints dir,
    history, config; nothing followed, blocked on or overwritten;
  * numbers: every key of every training Schema at and past the limit of the type it feeds;
  * data: MNIST arrays, FASTA reading frames, QM9 arrays validated at load, before any training;
  * streams: closed stderr/stdout, a broken pipe, `-o /dev/stdout`; signals (slow).
"""
import collections
import importlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "common"))
import entry_points as ep  # noqa: E402  pylint: disable=wrong-import-position
import toy_train  # noqa: E402  pylint: disable=wrong-import-position

from common import config, errors, files, inference, run  # noqa: E402  pylint: disable=wrong-import-position

Outcome = collections.namedtuple("Outcome", "code out err")


def call(module_name, argv, capsys):
    """Runs `module.main(argv)` in-process as a subprocess would end: (exit code, stdout, stderr)."""
    module = importlib.import_module(module_name)
    try:
        code = module.main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


def snapshot(root):
    """{relative path: (type, content)} of everything under `root` (symlinks not followed)."""
    out = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            content = None
            if stat.S_ISREG(mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            elif stat.S_ISLNK(mode):
                content = os.readlink(path)
            out[os.path.relpath(path, root)] = (stat.S_IFMT(mode), content)
    return out


@pytest.fixture
def no_hang():
    """A case that blocks (a FIFO opened for reading) fails after 30 s instead of hanging the suite."""
    def timeout(signum, frame):  # pylint: disable=unused-argument
        raise AssertionError("blocked for 30 s")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


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


@pytest.fixture(scope="module")
def finished_toy_run(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("toy"))
    run_dir = os.path.join(root, "run")
    assert toy_train.main(["--run-dir", run_dir, "--steps", "20", "--ckpt-every", "10"]) == 0
    return run_dir


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


# ------------------------------------------------------------------------------------- class 3: numbers

def _number_cases():
    cases = []
    for schema_name, schema in ep.training_schemas():
        for key in schema.keys.values():
            kind = key.item_type if key.type is tuple else key.type
            if key.choices is not None or kind not in (int, float):
                continue
            upper = [b for op, b in key.bounds if op in ("<=", "<")]
            if kind is int:
                limit = min(upper + [config.INT32_MAX])
                past = sorted({limit + 1, config.INT32_MAX + 1, 2 ** 63})
                cases.append(pytest.param(schema_name, key.name, str(limit), "ok", id="%s %s=%d (limit)"
                                          % (schema_name, key.name, limit)))
                values = [str(v) for v in past] + ["1:30"]
            else:
                values = ["1e308", "-1e308", "3.5e38", "nan", "inf"]
                for op, bound in key.bounds:
                    if op == "<":  # the largest float64 below the bound: refused if float32 rounds it up to it
                        below = float(np.nextafter(bound, -np.inf))
                        expect = "refused" if float(np.float32(below)) >= bound else "ok"
                        cases.append(pytest.param(schema_name, key.name, repr(below), expect,
                                                  id="%s %s=%r (float32)" % (schema_name, key.name, below)))
            cases += [pytest.param(schema_name, key.name, value, "refused", id="%s %s=%s" % (schema_name, key.name,
                                                                                               value))
                      for value in values]
    return cases


@pytest.mark.parametrize("schema_name, key_name, value, expect", _number_cases())
def test_every_number_has_the_range_of_the_type_it_feeds(tmp_path, schema_name, key_name, value, expect):
    schema = dict(ep.training_schemas())[schema_name]
    key = schema.keys[key_name]
    tuple_key = key.type is tuple
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("%s: %s\n" % (key_name, "[%s]" % value if tuple_key else value))
    routes = [lambda: schema.load_yaml(str(yaml_file))]
    if value != "1:30":
        number = int(value) if (key.item_type if tuple_key else key.type) is int else float(value)
        routes.append(lambda: key.check([number] if tuple_key else number))
        if expect == "refused":
            routes.append(lambda: schema.parse(["%s=%s" % (key.flag, value)]))
    for route in routes:
        if expect == "ok":
            route()
            continue
        with pytest.raises(config.ConfigError) as caught:
            route()
        assert repr(key_name) in str(caught.value) and len(str(caught.value)) < 1000, str(caught.value)


def test_seeds_are_refused_where_tensorflow_would_wrap_them():
    for schema_name, schema in ep.training_schemas():
        for name in [n for n in schema.keys if n == "seed" or n.endswith("_seed")]:
            schema.keys[name].check(2 ** 31 - 2)
            with pytest.raises(config.ConfigError, match=name):
                schema.keys[name].check(2 ** 31 - 1)  # TensorFlow would use it as seed 0


# ---------------------------------------------------------------------------------------- class 4: data

def _npz(path, images, labels):
    np.savez(path, x_train=images, y_train=labels, x_test=images, y_test=labels)


MNIST_FAULTS = [
    ("floats in [0, 1]", lambda: (np.random.RandomState(0).rand(8, 28, 28), np.zeros(8, np.uint8)), "float64"),
    ("NaN pixels", lambda: (np.full((8, 28, 28), np.nan), np.zeros(8, np.uint8)), "float64"),
    ("int16 up to 1020", lambda: (np.full((8, 28, 28), 1020, np.int16), np.zeros(8, np.uint8)), "value 1020"),
    ("label -1", lambda: (np.zeros((8, 28, 28), np.uint8), np.full(8, -1, np.int64)), "value -1 "),
    ("label 10", lambda: (np.zeros((8, 28, 28), np.uint8), np.full(8, 10, np.int64)), "value 10 "),
]
MNIST_ENTRIES = [("load", None), ("tf1_mnist.main", ["--epochs", "1"]), ("tf1_mnist.cnn", ["--epochs", "1"]),
                 ("tf1_gan.train", ["--epochs", "1", "--variant", "linear", "--no-eval"])]


@pytest.mark.parametrize("entry, extra", MNIST_ENTRIES, ids=[e[0] for e in MNIST_ENTRIES])
@pytest.mark.parametrize("fault, make, pattern", MNIST_FAULTS, ids=[f[0] for f in MNIST_FAULTS])
def test_mnist_arrays_are_checked_before_any_cast(tmp_path, capsys, entry, extra, fault, make, pattern):  # pylint: disable=unused-argument
    from common import mnist
    path = str(tmp_path / "mnist.npz")
    _npz(path, *make())
    if entry == "load":
        with pytest.raises(errors.DataError, match=pattern):
            mnist.load_mnist("npz", "train", path)
        return
    result = call(entry, ["--run-dir", str(tmp_path / "run"), "--data-source", "npz", "--data-dir", path] + extra,
                  capsys)
    assert result.code == 2 and pattern in result.err and "mnist.npz" in result.err, result.err
    assert not os.path.exists(str(tmp_path / "run"))


ORF = "ATGCCTAAATAA"  # M P K *
FASTA_FAULTS = [
    ("no start codon", ">s DNA\nCCTCCTAAATAA\n>s PROTEIN\nPPK*\n", "not the start codon ATG"),
    ("no stop codon", ">s DNA\nATGCCTAAAGGG\n>s PROTEIN\nMPKG\n", "not a stop codon"),
    ("inner stop codon", ">s DNA\nATGTAAAAATAA\n>s PROTEIN\nM*K*\n", "stop codon TAA at codon 2"),
    ("protein without its stop", ">s DNA\nATGCCTAAATAA\n>s PROTEIN\nMPKG\n", "must start with M"),
]
FASTA_ENTRIES = [("read_pairs", None), ("tf1_dna.train", ["--epochs", "1"]), ("tf1_dna.translate", [])]


@pytest.mark.parametrize("entry, extra", FASTA_ENTRIES, ids=[e[0] for e in FASTA_ENTRIES])
@pytest.mark.parametrize("fault, text, pattern", FASTA_FAULTS, ids=[f[0] for f in FASTA_FAULTS])
def test_fasta_pairs_are_reading_frames_before_any_training(tmp_path, capsys, entry, extra, fault, text, pattern):  # pylint: disable=unused-argument
    from tf1_dna import data
    path = str(tmp_path / "w.fasta")
    with open(path, "w") as handle:
        handle.write(text)
    if entry == "read_pairs":
        with pytest.raises(errors.DataError, match=pattern):
            data.read_pairs(path)
        return
    result = call(entry, ["--run-dir", str(tmp_path / "run"), "--fasta", path] + extra, capsys)
    assert result.code == 2 and pattern in result.err and "w.fasta" in result.err, result.err
    assert not os.path.exists(str(tmp_path / "run"))


def _qm9_arrays():
    from tf1_molecules import qm9
    m, n = 4, qm9.MAX_ATOMS
    z = np.zeros((m, n), np.uint8)
    z[:, :3] = (6, 1, 1)
    pos = np.zeros((m, n, 3), np.float32)
    pos[:, :3] = np.random.RandomState(0).randn(m, 3, 3)
    arrays = {"index": np.arange(1, m + 1, dtype=np.int32), "atomic_numbers": z, "positions": pos,
              "mask": z != 0, "num_atoms": np.full(m, 3, np.int32)}
    arrays.update((key, np.ones(m)) for key in qm9.PROPERTY_COLUMNS.values())
    return arrays


def _nan_position(a):
    a["positions"][2, 1, 0] = np.nan


def _element_99(a):
    a["atomic_numbers"][1, 0] = 99


def _short_positions(a):
    a["positions"] = a["positions"][:3]


def _mask_off(a):
    a["mask"][0, 0] = False


def _inf_property(a):
    next(v for k, v in sorted(a.items()) if k not in ("index", "atomic_numbers", "positions", "mask",
                                                        "num_atoms"))[3] = np.inf


QM9_FAULTS = [("NaN coordinate", _nan_position, "positions of molecule 2"),
              ("atomic number 99", _element_99, "atomic number 99"),
              ("inconsistent shapes", _short_positions, "array positions has shape"),
              ("mask disagrees", _mask_off, "disagree"),
              ("infinite property", _inf_property, "of molecule 3")]


@pytest.mark.parametrize("fault, spoil, pattern", QM9_FAULTS, ids=[f[0] for f in QM9_FAULTS])
def test_qm9_arrays_are_checked_at_load(tmp_path, fault, spoil, pattern):  # pylint: disable=unused-argument
    from tf1_molecules import qm9
    arrays = _qm9_arrays()
    path = str(tmp_path / "qm9.npz")
    np.savez(path, **arrays)
    assert len(qm9.load(path).index) == 4  # the unspoilt arrays load
    spoil(arrays)
    np.savez(path, **arrays)
    with pytest.raises(errors.DataError, match=pattern):
        qm9.load(path)


# ------------------------------------------------------------------------------- class 5: streams, signals

CLI_MODULES = ep.cli_modules()


class _Closed(object):
    """A stream whose every write fails the way a closed or broken one does."""

    def __init__(self, error):
        self.error = error

    def write(self, text):
        raise self.error

    def flush(self):
        raise self.error


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ValueError("I/O operation on closed file"),
                                   OSError(9, "Bad file descriptor")], ids=["EPIPE", "closed", "EBADF"])
@pytest.mark.parametrize("module", CLI_MODULES)
def test_a_broken_stderr_never_changes_the_outcome(monkeypatch, module, error):
    monkeypatch.setattr(sys, "stderr", _Closed(error))
    main = importlib.import_module(module).main
    try:
        code = main(["--no-such-flag"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2  # the bad flag's exit code, the message dropped, no traceback


@pytest.mark.parametrize("module", CLI_MODULES)
def test_a_closed_stdout_at_start_is_a_sink(monkeypatch, capsys, module):  # pylint: disable=unused-argument
    monkeypatch.setattr(sys, "stdout", None)
    main = importlib.import_module(module).main
    try:
        code = main(["--no-such-flag"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2


def test_a_reader_that_left_gives_141_and_a_finished_job_with_broken_stderr_0(monkeypatch):
    from common import cli

    @cli.entry_point
    def prints(argv=None):  # pylint: disable=unused-argument
        sys.stdout.write("x" * 10)
        raise BrokenPipeError(32, "Broken pipe")

    @cli.entry_point
    def works(argv=None):  # pylint: disable=unused-argument
        sys.stderr.write("a diagnostic nobody reads\n")
        return 0

    monkeypatch.setattr(cli, "_silence_stdout", lambda: None)  # pytest's own stdout stays as it is
    assert prints() == cli.BROKEN_PIPE
    monkeypatch.setattr(sys, "stderr", _Closed(BrokenPipeError(32, "Broken pipe")))
    assert works() == 0


_PIPE_WRITER = """
import sys
sys.path.insert(0, %r)
from common import cli, files

@cli.entry_point
def main(argv=None):
    target = files.check_output(sys.argv[1])
    with files.atomic_write(target) as handle:
        for i in range(200000):
            handle.write("line %%d\\n" %% i)
    return 0

sys.exit(main())
""" % REPO


@pytest.mark.parametrize("reader", ["all", "head -c 10"])
def test_dev_stdout_into_a_pipe(tmp_path, reader):
    script = str(tmp_path / "w.py")
    with open(script, "w") as handle:
        handle.write(_PIPE_WRITER)
    shell = "set -o pipefail; %s %s /dev/stdout | %s; echo rc=${PIPESTATUS[0]} >&2" % (
        sys.executable, script, "cat" if reader == "all" else reader)
    done = subprocess.run(["bash", "-c", shell], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = done.stderr.decode()
    assert "Traceback" not in err
    if reader == "all":
        assert done.stdout.decode().count("\n") == 200000 and "rc=0" in err
    else:
        assert len(done.stdout) == 10 and "rc=141" in err
    assert not [n for n in os.listdir(str(tmp_path)) if ".tmp-" in n]


@pytest.mark.slow
@pytest.mark.parametrize("module", CLI_MODULES)
def test_help_into_a_pipe_that_closes(module):
    shell = "%s -m %s --help | head -c 10 >/dev/null; echo rc=${PIPESTATUS[0]} >&2" % (sys.executable, module)
    done = subprocess.run(["bash", "-c", shell], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    err = done.stderr.decode()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "rc=0" in err or "rc=141" in err, err


def _conditions(path, n):
    rng = np.random.RandomState(0)
    days, months = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), ("JAN", "FEB", "MAR", "APR", "MAY", "JUN")
    with open(path, "w") as handle:
        for _ in range(n):
            handle.write("[%s] [%s] [False] [%d]\n" % (days[rng.randint(7)], months[rng.randint(6)],
                                                       rng.randint(180, 220)))


@pytest.mark.slow
@pytest.mark.parametrize("signum, delay", [(signal.SIGTERM, 4.0), (signal.SIGTERM, 7.0), (signal.SIGHUP, 5.5),
                                           (signal.SIGINT, 6.0)])
def test_a_signalled_writer_keeps_the_old_output_and_no_temp_file(tmp_path, signum, delay):
    import time
    source, target = str(tmp_path / "in.txt"), str(tmp_path / "out.txt")
    _conditions(source, 150000)
    with open(target, "w") as handle:
        handle.write("old\n")
    proc = subprocess.Popen([sys.executable, "-m", "tf1_dates.predict", "-i", source, "-o", target], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    with open(target) as handle:
        text = handle.read()
    if proc.returncode == 0:  # it finished before the signal: the new output is whole
        assert text.count("\n") == 150000
    else:
        assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum) and text == "old\n"
    assert not [n for n in os.listdir(str(tmp_path)) if ".tmp-" in n]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_training_stops_on_term_and_hup_and_resumes(tmp_path, signum):
    import time
    run_dir = str(tmp_path / "run")
    script = os.path.join(os.path.dirname(HERE), "common", "toy_train.py")
    proc = subprocess.Popen([sys.executable, script, "--run-dir", run_dir, "--steps", "100000", "--ckpt-every",
                             "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(8)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and b"stopped at step" in err, err
    assert os.listdir(os.path.join(run_dir, "checkpoints"))


def test_stale_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    target = str(tmp_path / "out.json")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = files.temp_path(target, dead.pid)
    alive = files.temp_path(target, os.getppid())
    other = files.temp_path(str(tmp_path / "other.json"), dead.pid)
    for path in (stale, alive, other):
        open(path, "w").close()
    files.write_json(target, {"a": 1})
    assert not os.path.exists(stale)          # a killed writer's: removed
    assert os.path.exists(alive)              # a running writer's: kept
    assert os.path.exists(other)              # another target's: not ours to touch


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), np.float32("nan"),
                                   np.array([1.0, np.nan])], ids=["nan", "inf", "-inf", "np.float32 nan", "array"])
def test_json_is_strict_and_a_nan_is_refused_before_anything_is_written(tmp_path, value):
    target = str(tmp_path / "metrics.json")
    files.write_json(target, {"old": 1})
    with pytest.raises(ValueError, match=r"metrics.json: \$\['x'\]"):
        files.write_json(target, {"ok": 1.0, "x": value})
    assert files.read_json(target) == {"old": 1} and os.listdir(str(tmp_path)) == ["metrics.json"]


def test_run_finish_refuses_a_nan_metric(tmp_path):
    run_dir = str(tmp_path / "run")
    assert toy_train.main(["--run-dir", run_dir, "--steps", "2", "--ckpt-every", "1"]) == 0
    with open(os.path.join(run_dir, "metrics.json")) as handle:
        assert "NaN" not in handle.read()
    with pytest.raises(ValueError, match="not a finite number"):
        files.write_json(os.path.join(run_dir, "metrics.json"), {"loss": float("nan")})


def test_lock_fifo_is_refused_without_blocking(tmp_path, no_hang):  # pylint: disable=unused-argument
    os.makedirs(str(tmp_path / "r"))
    os.mkfifo(str(tmp_path / "r" / ".lock"))
    with pytest.raises(run.RunError, match=r"\.lock is a FIFO"):
        run.RunLock(str(tmp_path / "r")).acquire()
