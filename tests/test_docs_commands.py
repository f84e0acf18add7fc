"""Every command the README, the task READMEs and docs/*.md tell a user to type resolves (tools/doc_commands.py):
modules run `--help` (exit 0) and take the flags the documents give them, scripts and test paths exist, make
targets are rules; TensorBoard lines use only flags TensorBoard 1.15 has."""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools import doc_commands  # noqa: E402  pylint: disable=wrong-import-position

SAMPLE = """# title

Run `python -m tf1_dna.train --epochs 2` or `make
qm9`, then `.venv/bin/python tf1_dates/predict.py -i IN -o OUT`.

```bash
make data          # comment with python -m not.a.module
TF_CPP_MIN_LOG_LEVEL=2 python -m tf1_gan.train --variant dcgan_sn --sn-scope d
cd tf1_mnist && python main.py --config configs/config_twolayer.yaml
```

    python -m tf1_dates.train --threads 1 | tee log.txt

- a list item, `python3 -c "print(1)"` is not a command to check
"""


def _summary(found):
    return [(c["kind"], c["name"], c.get("flags"), c["cwd"]) for c in found]


def test_commands_are_found_in_inline_fenced_and_indented_code():
    found = [c for _, code in doc_commands.code_spans(SAMPLE) for c in doc_commands.commands(code)]
    assert _summary(found) == [
        ("module", "tf1_dna.train", ["--epochs"], ""),
        ("make", "qm9", None, ""),  # an inline span across a line break
        ("path", "tf1_dates/predict.py", None, ""),
        ("make", "data", None, ""),
        ("module", "tf1_gan.train", ["--sn-scope", "--variant"], ""),
        ("path", "main.py", None, "tf1_mnist"),
        ("module", "tf1_dates.train", ["--threads"], ""),
    ]


def test_broken_commands_are_reported():
    where = {"doc": "README.md", "line": 1, "code": "x", "cwd": ""}
    broken = [dict(where, kind="module", name="tf1_gan.cluster_demo", flags=[], args=[]),
              dict(where, kind="module", name="tf1_dna.train", flags=["--epochs", "--no-such-flag"], args=[]),
              dict(where, kind="module", name="pytest", flags=[], args=["tests/no_such_test.py"]),
              dict(where, kind="path", name="tools/no_such_tool.py"),
              dict(where, kind="path", name="tf1_dates/predict.py", cwd="tf1_dates"),
              dict(where, kind="make", name="no-such-target")]
    helps = doc_commands.helps(["tf1_gan.cluster_demo", "tf1_dna.train"], timeout=300)
    assert helps["tf1_dna.train"]["code"] == 0 and "--epochs" in helps["tf1_dna.train"]["text"]
    problems = doc_commands.problems(broken, helps)
    assert len(problems) == 6, problems
    for needle in ("No module named tf1_gan.cluster_demo", "has no flag --no-such-flag", "no test path",
                   "no file tools/no_such_tool.py", "no file tf1_dates/predict.py", "no Makefile target"):
        assert sum(needle in p for p in problems) == 1, (needle, problems)


def test_every_documented_command_resolves():
    found, problems = doc_commands.check()
    docs = {c["doc"] for c in found}
    assert {"README.md", "docs/tf1_gan_parallel.md", "tf1_dates/README.md"} <= docs
    kinds = {kind: {c["name"] for c in found if c["kind"] == kind} for kind in ("module", "path", "make")}
    assert {"tf1_gan.train", "tf1_dna.train", "tf1_gan.cluster.demo"} <= kinds["module"]
    assert "tf1_dates/predict.py" in kinds["path"] and {"demo", "test", "qm9"} <= kinds["make"]
    assert problems == [], "\n".join(problems)


def _tensorboard_flags():
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "tensorboard"), "--helpfull"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stdout
    return set(re.findall(r"(?<![\w-])(--[a-z_]+)", result.stdout))


def test_every_documented_tensorboard_line_uses_flags_tensorboard_1_15_has():
    known = _tensorboard_flags()
    assert "--host" in known and "--bind_all" not in known  # 1.15: --bind_all came with 2.0
    lines = []
    for doc in doc_commands.documents() + ["Makefile", "Dockerfile"]:
        with open(os.path.join(ROOT, doc), encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                match = re.search(r"(?:^|[\s/`])tensorboard\s+(--.*)$", line)
                if match:
                    lines.append(("%s:%d" % (doc, number), re.sub(r"\s#.*$", "", match.group(1))))
    assert len(lines) >= 2, lines  # the Makefile and the README's Docker line (the task READMEs say make tensorboard)
    for where, args in lines:
        unknown = set(re.findall(r"(?<![\w-])(--[a-z_]+)", args)) - known
        assert not unknown, (where, unknown)


def test_readme_tensorboard_in_docker_listens_on_every_interface_published_on_loopback():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        lines = [line for line in handle if line.startswith("docker run") and " tensorboard " in line]
    assert len(lines) == 1 and "--host 0.0.0.0" in lines[0] and "-p 127.0.0.1:6006:6006" in lines[0], lines


def _readme_dates_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        rows = [line for line in handle if line.startswith("| `tf1_dates/` |")]
    assert len(rows) == 1, rows
    return [span for span in re.findall(r"`([^`]+)`", rows[0].split("|")[3])
            if span.startswith("make ") or "python" in span]


def test_readme_dates_example_runs_on_a_fresh_clone(tmp_path):
    """The README's tf1_dates commands, in order, in a copy of the files git tracks (what a fresh clone holds:
    no generated data), as they are in the working tree."""
    make, predict = _readme_dates_commands()
    assert make == "make data" and predict.startswith(".venv/bin/python tf1_dates/predict.py -i data/dates/")
    clone = str(tmp_path / "clone")
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], stdout=subprocess.PIPE, check=True,
                             timeout=60).stdout.decode("utf-8").split("\0")
    for name in filter(None, tracked):
        if os.path.isfile(os.path.join(ROOT, name)):  # a file deleted but not yet committed is skipped
            os.makedirs(os.path.dirname(os.path.join(clone, name)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), os.path.join(clone, name))
    assert os.path.isfile(os.path.join(clone, "tf1_dates", "predict.py"))
    assert not os.path.exists(os.path.join(clone, "data", "dates"))
    argv = [sys.executable] + predict.split()[1:]

    def run(command):
        return subprocess.run(command, cwd=clone, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=300)

    skipped = run(argv)  # the predict line without `make data` first: refused with the hint
    assert skipped.returncode == 2, skipped.stdout
    assert "run `make data` (or python -m tf1_dates.datagen) first" in skipped.stdout
    assert "Traceback" not in skipped.stdout
    # `make data` with this interpreter's venv, never rebuilding it (-o: its stamp counts as up to date)
    venv = os.path.dirname(os.path.dirname(sys.executable))
    made = run(make.split() + ["VENV=%s" % venv, "-o", os.path.join(venv, ".installed")])
    assert made.returncode == 0, made.stdout
    done = run(argv)
    assert done.returncode == 0, done.stdout
    with open(os.path.join(clone, "data", "dates", "example_input.txt"), encoding="utf-8") as handle:
        inputs = handle.read().splitlines()
    with open(os.path.join(clone, argv[-1]), encoding="utf-8") as handle:
        outputs = handle.read().splitlines()
    assert len(outputs) == len(inputs) > 10
    assert all(out.startswith(condition + " ") for condition, out in zip(inputs, outputs))
