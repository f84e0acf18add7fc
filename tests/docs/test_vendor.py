"""common.vendor: the import closure of entry modules, and the flattening rewrite of the dates bundle."""
import os
import subprocess
import sys

import pytest

from common import vendor


def test_closure_follows_lazy_imports_and_adds_parent_packages(tmp_path):
    (tmp_path / "tf1_x").mkdir()
    (tmp_path / "common").mkdir()
    (tmp_path / "tf1_x" / "__init__.py").write_text("import common\n")
    (tmp_path / "common" / "__init__.py").write_text("")
    (tmp_path / "common" / "files.py").write_text("import os\n")
    (tmp_path / "common" / "unused.py").write_text("")
    (tmp_path / "tf1_x" / "a.py").write_text("def f():\n    from tf1_x import b\n")
    (tmp_path / "tf1_x" / "b.py").write_text("from common import files\nimport numpy\n")
    assert vendor.closure(["tf1_x.a"], str(tmp_path)) == ["common", "common.files", "tf1_x", "tf1_x.a", "tf1_x.b"]
    with pytest.raises(vendor.VendorError, match="tf1_x.gone"):
        vendor.closure(["tf1_x.gone"], str(tmp_path))


def test_rewrite_flattens_the_package_and_keeps_common():
    source = ('"""Usage: python -m tf1_x.run or python tf1_x/run.py; weights in tf1_x/weights/, runs in runs/tf1_x/a"""\n'
              'import os\nimport sys\n\n'
              'if __package__ in (None, ""):  # script form\n    sys.path.insert(0, "..")\n\n'
              "import tf1_x\nfrom common import cli\nfrom tf1_x import a, b as bee  # noqa: E402\n"
              "from tf1_x.c import (d,\n                     e)\n\ndef f():\n    from tf1_x import g\n")
    out = vendor.rewrite(source, "tf1_x")
    assert "python run.py or python run.py; weights in weights/, runs in runs/tf1_x/a" in out
    assert "__package__" not in out and "sys.path.insert" not in out
    assert "\nimport common\nfrom common import cli\nimport a, b as bee  # noqa: E402\nfrom c import d, e\n" in out
    assert "    import g\n" in out
    with pytest.raises(vendor.VendorError, match="line 1.*cannot be flattened"):
        vendor.rewrite("import tf1_x.a\n", "tf1_x")
    with pytest.raises(vendor.VendorError, match="relative"):
        vendor.rewrite("from . import a\n", "tf1_x")


def test_vendored_dates_code_imports_only_itself(tmp_path):
    """The dates model/ folder: flat modules + common/, and every module imports with the repo out of reach."""
    modules = vendor.closure(["tf1_dates.predict", "tf1_dates.score", "tf1_dates.train"])
    written = vendor.vendor(modules, str(tmp_path / "model"), flatten="tf1_dates")
    names = sorted(os.path.relpath(p, str(tmp_path / "model")) for p in written)
    assert "predict.py" in names and "score.py" in names and "common/__init__.py" in names
    assert not any(n.startswith("tf1_dates") for n in names)
    for path in written:
        with open(path, encoding="utf-8") as handle:
            assert "from tf1_dates" not in handle.read(), path
    probe = ("import sys, os, predict, score, train, common.files\n"
             "own = [m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)"
             " and 'site-packages' not in m.__file__ and not os.path.realpath(m.__file__).startswith("
             "(os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)))]\n"
             "assert all(os.path.realpath(f).startswith(os.path.realpath(os.getcwd())) for f in own), own\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=str(tmp_path / "model"), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout.decode()
