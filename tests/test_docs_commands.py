"""Every command the README, the task READMEs and docs/*.md tell a user to type resolves (tools/doc_commands.py):
modules run `--help` (exit 0) and take the flags the documents give them, scripts and test paths exist, make
targets are rules; TensorBoard lines use only flags TensorBoard 1.15 has."""
import os
import re
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
    assert len(lines) >= 4, lines  # the Makefile, the README's Docker line, two task READMEs
    for where, args in lines:
        unknown = set(re.findall(r"(?<![\w-])(--[a-z_]+)", args)) - known
        assert not unknown, (where, unknown)


def test_readme_tensorboard_in_docker_listens_on_every_interface_published_on_loopback():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        lines = [line for line in handle if line.startswith("docker run") and " tensorboard " in line]
    assert len(lines) == 1 and "--host 0.0.0.0" in lines[0] and "-p 127.0.0.1:6006:6006" in lines[0], lines
