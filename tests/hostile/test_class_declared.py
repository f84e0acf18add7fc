"""Hostile classes closed by the process-wide record of what a command reads (`common.inputs.declare`, filled by
the readers themselves: the YAML loader, the JSON and text readers, the one input opener, common.inference):

- an output never replaces a file the command read, even one its code forgot to list (`--config c.yaml` with
  the output `c.yaml`, a run dir's existing samples or figures, a folder replaced as a whole holding the config);
- a user-named input must be a regular file: a FIFO is refused at once (never blocked on), a device such as
  /dev/zero or /dev/urandom is refused (never read without end);
- restored weights must be finite (a diverged or damaged checkpoint is refused, not sampled from);
- a full disk on stdout is a clean error (exit 2), not a traceback.
Cases are generated over every command that writes a user-named file and reads a --config."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from entry_points import call, snapshot  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Commands that read `--config` and write a user-named output: (id, module, argv with OUT).
CONFIG_WRITERS = [
    ("dates.predict -o", "tf1_dates.predict", ["-i", "{tmp}/in.txt", "-o", "OUT", "--weights", "{tmp}/W"]),
    ("dates.evaluate_weights --json", "tf1_dates.evaluate_weights", ["--weights", "{tmp}/W", "--json", "OUT"]),
    ("gan.sample --out", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "OUT"]),
    ("gan.sample --png", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "{tmp}/s.npy", "--png", "OUT"]),
    ("dna.make_data --out", "tf1_dna.make_data", ["--out", "OUT"]),
]
# Commands that read a run dir and write into a path the user names: the run's existing files stay.
RUN_DIR_WRITERS = [
    ("gan.sample --out", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "OUT"]),
    ("gan.sample --png", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "{tmp}/s.npy", "--png", "OUT"]),
    ("dates.predict -o (run dir)", "tf1_dates.predict", ["-i", "{tmp}/in.txt", "-o", "OUT", "--weights", "{tmp}/R"]),
]
RUN_DIR_FILES = ("samples/end.npy", "loss_curves.png", "notes.txt")


def _fixture(tmp):
    os.makedirs(os.path.join(tmp, "W"))
    os.makedirs(os.path.join(tmp, "R", "samples"))
    for name in ("in.txt", "R/config.yaml") + tuple("R/" + f for f in RUN_DIR_FILES):
        with open(os.path.join(tmp, name), "w") as handle:
            handle.write("[WED] [JAN] [False] [180]\n" if name == "in.txt" else "seed: 0\n" if name.endswith(
                "yaml") else "original\n")
    with open(os.path.join(tmp, "c.yaml"), "w") as handle:
        handle.write("{}\n")


def _expand(argv, tmp, out):
    return [a.replace("{tmp}", tmp) if a != "OUT" else out for a in argv]


@pytest.mark.parametrize("how", ["same path", "symlink"])
@pytest.mark.parametrize("writer_id, module, argv", CONFIG_WRITERS, ids=[w[0] for w in CONFIG_WRITERS])
def test_the_config_a_command_read_is_never_its_output(tmp_path, capsys, writer_id, module, argv, how):  # pylint: disable=unused-argument
    tmp = str(tmp_path)
    _fixture(tmp)
    out = os.path.join(tmp, "c.yaml")
    if how == "symlink":
        os.symlink(out, os.path.join(tmp, "link.yaml"))
        out = os.path.join(tmp, "link.yaml")
    before = snapshot(tmp)
    outcome = call(module, _expand(argv, tmp, out) + ["--config", os.path.join(tmp, "c.yaml")], capsys)
    assert outcome.code == 2, outcome
    assert "which this command reads" in outcome.err and "Traceback" not in outcome.err
    assert snapshot(tmp) == before


@pytest.mark.parametrize("name", RUN_DIR_FILES)
@pytest.mark.parametrize("writer_id, module, argv", RUN_DIR_WRITERS, ids=[w[0] for w in RUN_DIR_WRITERS])
def test_a_run_dir_s_existing_files_are_never_replaced(tmp_path, capsys, writer_id, module, argv, name):  # pylint: disable=unused-argument
    tmp = str(tmp_path)
    _fixture(tmp)
    before = snapshot(tmp)
    outcome = call(module, _expand(argv, tmp, os.path.join(tmp, "R", name)), capsys)
    assert outcome.code == 2 and "an existing file of" in outcome.err, outcome
    assert snapshot(tmp) == before


def test_generated_data_never_overwrites_its_config(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "data.txt").write_text("{}\n")
    outcome = call("tf1_dates.datagen", ["--config", str(out / "data.txt"), "--out-dir", str(out)], capsys)
    assert outcome.code == 2 and "which this command reads" in outcome.err, outcome
    assert (out / "data.txt").read_text() == "{}\n"


def test_a_replaced_output_folder_never_holds_the_config(tmp_path, capsys):
    folder = tmp_path / "h"
    folder.mkdir()
    (folder / "handin.yaml").write_text("name: Ada Lovelace\n")
    outcome = call("common.handin", ["--config", str(folder / "handin.yaml"), "--out", str(folder)], capsys)
    assert outcome.code == 2 and "which this command reads" in outcome.err, outcome
    assert (folder / "handin.yaml").read_text() == "name: Ada Lovelace\n"


# Commands and the flag naming a user input file: a FIFO or a device there is refused at once.
INPUTS = [
    ("tf1_dates.predict", ["-i", "SRC", "-o", "{tmp}/o.txt"]),
    ("tf1_dates.predict", ["-i", "{tmp}/in.txt", "-o", "{tmp}/o.txt", "--config", "SRC"]),
    ("tf1_dates.score", ["SRC"]),
    ("tf1_dna.train", ["--fasta", "SRC", "--epochs", "1", "--run-dir", "{tmp}/run"]),
    ("tf1_dna.translate", ["--fasta", "SRC"]),
    ("tf1_gan.sample", ["--config", "SRC", "--out", "{tmp}/s.npy"]),
    ("tf1_mnist.main", ["--config", "SRC", "--run-dir", "{tmp}/run"]),
]


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("module, argv", INPUTS, ids=["%s %s" % (m, a[a.index("SRC") - 1] if a.index("SRC") else "SRC")
                                                       for m, a in INPUTS])
def test_an_input_that_is_not_a_regular_file_is_refused_at_once(tmp_path, module, argv, kind):
    tmp = str(tmp_path)
    _fixture(tmp)
    source = kind
    if kind == "fifo":
        source = os.path.join(tmp, "fifo")
        os.mkfifo(source)
    args = [a.replace("{tmp}", tmp).replace("SRC", source) for a in argv]
    proc = subprocess.run([sys.executable, "-m", module] + args, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and ("FIFO" in proc.stderr or "character device" in proc.stderr), \
        proc.stderr


@pytest.fixture(scope="module")
def dna_run(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("dna") / "run")
    subprocess.run([sys.executable, "-m", "tf1_dna.train", "--epochs", "2", "--threads", "1", "--eval-orfs", "1",
                    "--run-dir", run_dir], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return run_dir


def _poison(prefix, value):
    """Rewrites the checkpoint at `prefix` with one float variable set to `value` everywhere."""
    reader = tf.train.load_checkpoint(prefix)
    names = sorted(reader.get_variable_to_shape_map())
    with tf.Graph().as_default():
        variables = []
        poisoned = False
        for name in names:
            array = reader.get_tensor(name)
            if not poisoned and array.dtype.kind == "f" and array.size > 1:
                array = np.full_like(array, value)
                poisoned = True
            variables.append(tf.Variable(array, name=name))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(variables).save(sess, prefix, write_meta_graph=False, write_state=False)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_weights_are_refused_not_used(tmp_path, capsys, dna_run, value):
    run_dir = str(tmp_path / "run")
    shutil.copytree(dna_run, run_dir)
    _poison(tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints")), value)
    outcome = call("tf1_dna.translate", ["--run-dir", run_dir, "--dna", "ATGAAATAA"], capsys)
    assert outcome.code == 2 and "NaN or infinite" in outcome.err and outcome.out == "", outcome
    weights = str(tmp_path / "W")
    shutil.copytree(os.path.join(ROOT, "tf1_dates", "weights"), weights)
    _poison(os.path.join(weights, "generator"), value)
    (tmp_path / "in.txt").write_text("[WED] [JAN] [False] [180]\n")
    outcome = call("tf1_dates.predict", ["-i", str(tmp_path / "in.txt"), "-o", str(tmp_path / "o.txt"),
                                         "--weights", weights], capsys)
    assert outcome.code == 2 and "NaN or infinite" in outcome.err, outcome
    assert not (tmp_path / "o.txt").exists()


def test_a_full_disk_on_stdout_is_a_clean_error(dna_run):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "tf1_dna.translate", "--run-dir", dna_run, "--dna", "ATGAAATAA"],
                              cwd=ROOT, stdout=full, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert proc.returncode == 2 and "No space left on device" in proc.stderr and "Traceback" not in proc.stderr


def test_yaml_1_1_booleans_are_strings_so_a_bool_key_refuses_them(tmp_path, capsys):
    from common import yaml_io  # pylint: disable=import-outside-toplevel
    assert yaml_io.parse_yaml(b"a: yes\nb: off\nc: true\nd: False\n", "x") == {"a": "yes", "b": "off", "c": True,
                                                                                  "d": False}
    (tmp_path / "c.yaml").write_text("eval: off\n")
    outcome = call("tf1_gan.train", ["--config", str(tmp_path / "c.yaml"), "--run-dir", str(tmp_path / "run")], capsys)
    assert outcome.code == 2 and "'eval'" in outcome.err and not (tmp_path / "run").exists(), outcome


def test_a_checkpoint_file_that_is_a_fifo_is_passed_over_not_blocked_on(tmp_path):
    from common import run_files  # pylint: disable=import-outside-toplevel
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    os.mkfifo(str(folder / "ckpt-5.index"))
    (folder / "ckpt-3.index").write_bytes(b"")
    (folder / "ckpt-3.data-00000-of-00001").write_bytes(b"")
    with tf.Graph().as_default():
        tf.Variable(1.0)
        assert [step for step, _ in run_files.Checkpointer(str(folder)).candidates()] == [3]


def test_scoring_an_empty_file_is_an_error_not_nan_scores(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    outcome = call("tf1_dates.score", [str(tmp_path / "empty.txt")], capsys)
    assert outcome.code == 2 and "holds no lines" in outcome.err, outcome


def test_a_non_ascii_path_under_an_ascii_locale_is_explained(tmp_path):
    run_dir = str(tmp_path / "R\u00fc")
    os.makedirs(run_dir)
    env = dict(os.environ, LC_ALL="C", LANG="C")
    proc = subprocess.run([sys.executable, "-m", "tf1_dna.translate", "--run-dir", run_dir, "--dna", "ATGAAATAA"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = proc.stderr.decode("ascii", "replace")
    assert proc.returncode == 2 and "LC_ALL=C.UTF-8" in err and "Traceback" not in err, err
