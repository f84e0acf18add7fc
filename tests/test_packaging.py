"""pyproject.toml + setup.cfg: the suite installs with pip and its packages import and run from any folder.

Both builds work on a copy of the project's files (the source tree is never written to) and install into
folders of the test, never into the venv running it: a wheel (`pip wheel --no-deps --no-build-isolation`) that
must hold every module of common/ and tf1_*/ with their data files and run a training from another folder;
and `pip install -e . --prefix DIR` (pip 21.3.1 and setuptools 59: the setup.py route), whose path entry must
point back at the source.
"""
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGING = ("pyproject.toml", "setup.cfg", "setup.py", "README.md", "LICENSE")
DATA = ("common/typeset_template.typ", "tf1_dates/weights/hparams.json", "tf1_dna/data/w5.fasta",
        "tf1_mnist/configs/config_twolayer.yaml")


def _project_files():
    listed = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard"], stdout=subprocess.PIPE,
                            universal_newlines=True, check=True, timeout=60).stdout.split()
    return [name for name in listed if os.path.isfile(os.path.join(ROOT, name)) and
            (name in PACKAGING or name.split("/")[0] == "common" or name.startswith("tf1_"))]


@pytest.fixture(name="source")
def fixture_source(tmp_path):
    """A copy of the files a clone holds for the packages and their packaging."""
    source = tmp_path / "src"
    for name in _project_files():
        os.makedirs(os.path.dirname(str(source / name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), str(source / name))
    return source


def _run(argv, cwd, pythonpath=None, timeout=300):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(argv, cwd=str(cwd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout)


def _pip(*args, cwd, pythonpath=None):
    result = _run([sys.executable, "-m", "pip"] + list(args) + ["--no-deps", "--no-build-isolation",
                                                               "--disable-pip-version-check", "--quiet"],
                  cwd, pythonpath)
    assert result.returncode == 0, result.stdout
    return result


def test_the_packages_do_not_import_outside_the_repository_without_an_install(tmp_path):
    result = _run([sys.executable, "-c", "import tf1_dna"], tmp_path)
    assert result.returncode == 1 and "No module named 'tf1_dna'" in result.stdout


def test_wheel_holds_every_module_and_data_file_and_trains_from_another_folder(source, tmp_path):
    _pip("wheel", "-w", str(tmp_path / "dist"), ".", cwd=source)
    wheels = os.listdir(str(tmp_path / "dist"))
    assert len(wheels) == 1 and wheels[0].startswith("tf1_suite-"), wheels
    with zipfile.ZipFile(str(tmp_path / "dist" / wheels[0])) as wheel:
        names = set(wheel.namelist())
        wheel.extractall(str(tmp_path / "site"))
    modules = {name for name in _project_files() if name.endswith(".py") and name not in PACKAGING}
    assert len(modules) > 80 and sorted(modules - names) == []
    assert sorted(set(DATA) - names) == []
    assert not any(name.startswith(("tests/", "tools/", "data/")) for name in names)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([sys.executable, "-c", "import tf1_dna.train, tf1_gan.cluster.demo, tf1_mnist.models, "
                  "tf1_molecules, tf1_dates.predict, common; print(tf1_dna.__file__)"], elsewhere,
                 str(tmp_path / "site"))
    assert where.returncode == 0, where.stdout
    assert where.stdout.strip().splitlines()[-1] == str(tmp_path / "site" / "tf1_dna" / "__init__.py")
    # the default FASTA is repo-relative: it must resolve beside the installed package
    trained = _run([sys.executable, "-m", "tf1_dna.train", "--epochs", "2", "--run-dir", "runs/dna"], elsewhere,
                   str(tmp_path / "site"))
    assert trained.returncode == 0, trained.stdout
    assert os.path.isfile(str(elsewhere / "runs" / "dna" / "metrics.json"))


def test_editable_install_points_at_the_source(source, tmp_path):
    prefix = tmp_path / "prefix"
    site = prefix / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"
    site.mkdir(parents=True)
    # setuptools' develop refuses a prefix whose site-packages is not on the path
    _pip("install", "--prefix", str(prefix), "-e", ".", cwd=source, pythonpath=str(site))
    assert not os.path.exists(str(source / "build"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import site, sys; site.addsitedir(%r); import tf1_gan.train, common; print(tf1_gan.train.__file__); "
            "sys.argv = ['tf1_dna.train', '--help']; import runpy; runpy.run_module('tf1_dna.train', "
            "run_name='__main__')" % str(site))
    result = _run([sys.executable, "-c", code], elsewhere)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[0] == str(source / "tf1_gan" / "train.py")
    assert "usage:" in result.stdout and "--epochs" in result.stdout
