"""Every module of common/ and of the task packages is a command the registry lists, or a library that
`python -m` refuses: exit 2 and one line naming the package's commands, never exit 0 with no output.

The refusal happens in common/__init__.py (`cli.guard_library_modules`), before the module runs, so it costs a
tenth of a second and no TensorFlow import. The fast tests check the classification of every module in-process
and the real `python -m` on a sample; the slow one runs `python -m <module> --help` for every module."""
import concurrent.futures
import os
import pkgutil
import subprocess
import sys

import pytest

from common import cli, task

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("common",) + task.REGISTRY


def _modules():
    """{dotted name: is a package} of every module under the packages (pkgutil, as Python finds them)."""
    found = {}
    for package in PACKAGES:
        found[package] = True
        for info in pkgutil.walk_packages([os.path.join(ROOT, package)], package + "."):
            if not info.name.endswith(".__main__"):
                found[info.name] = info.ispkg
    return found


MODULES = _modules()


def _registered(package):
    return set(task.COMMON_CLIS) if package == "common" else set(task.load(package).commands())


def _run(module, *argv):
    proc = subprocess.run([sys.executable, "-m", module] + list(argv), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_the_commands_found_in_the_sources_are_the_registered_ones():
    for package in PACKAGES:
        assert set(cli.package_commands(package, os.path.join(ROOT, package))) == _registered(package), package
    assert set(task.COMMON_CLIS) | {c for name in task.REGISTRY for c in task.load(name).commands()} \
        <= set(MODULES)  # every registered command exists


@pytest.mark.parametrize("package", PACKAGES)
def test_every_other_module_is_a_library_refused_in_one_line(package):
    commands = _registered(package)
    libraries = [m for m in MODULES if m.split(".")[0] == package and m not in commands]
    assert libraries
    for module in libraries:
        message = cli.library_module_message(module, os.path.join(ROOT, package))
        assert message is not None, module
        assert "\n" not in message and message.startswith("error: %s is a " % module), message
        assert all("python -m " + c in message for c in commands), message
    for module in commands:
        assert cli.library_module_message(module, os.path.join(ROOT, package)) is None, module


SAMPLE = ("common.files", "tf1_dna.model", "tf1_dna", "tf1_gan.cluster.worker_graph", "tf1_mnist.models",
          "tf1_molecules.qm9_graph", "tf1_dates.tokenizer", "tf1_gan.bench.steps")


def test_python_dash_m_on_a_library_exits_2_at_once():
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = dict(zip(SAMPLE, pool.map(lambda m: _run(m, "--help"), SAMPLE)))
    for module, (code, out, err) in results.items():
        assert (code, out) == (2, ""), (module, code, out, err)
        assert err.count("\n") == 1 and "%s is a" % module in err and "not a command" in err, err
        assert "python -m %s." % module.split(".")[0] in err, err
    assert "tensorflow" not in _run("common.files")[2].lower()  # refused before anything is imported


@pytest.mark.slow
def test_every_module_with_help_says_something_and_only_commands_exit_0():
    commands = set(task.COMMON_CLIS) | {c for name in task.REGISTRY for c in task.load(name).commands()}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = dict(zip(MODULES, pool.map(lambda m: _run(m, "--help"), MODULES)))
    wrong = []
    for module, (code, out, err) in sorted(results.items()):
        if module in commands:
            if not (code == 0 and "usage" in out.lower()):
                wrong.append((module, code, out[-300:], err[-300:]))
        elif not (code == 2 and out == "" and "not a command" in err):
            wrong.append((module, code, out[-300:], err[-300:]))
    assert wrong == []



def _main_is_guarded(path):
    """True when the module's `main` is decorated with cli.entry_point, only returns another object's main
    (a Trainer's, which runs through cli.run_trainer's entry point), is such a main assigned (`main =
    TRAINER.main`), or, in a `__main__.py` without one, the guarded main of the module it calls."""
    import ast  # noqa: WPS433
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.update({a.asname or a.name: node.module + "." + a.name for a in node.names})
        if isinstance(node, ast.FunctionDef) and node.name == "main":
            if any(ast.dump(d).endswith("attr='entry_point', ctx=Load())") or
                   (isinstance(d, ast.Name) and d.id == "entry_point") for d in node.decorator_list):
                return True
            body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Str))]
            return len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call) \
                and isinstance(body[0].value.func, ast.Attribute) and body[0].value.func.attr == "main"
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["main"]:
            return isinstance(node.value, ast.Attribute) and node.value.attr == "main"
    if os.path.basename(path) == "__main__.py":
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "main" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in imported:
                return _main_is_guarded(os.path.join(ROOT, *imported[node.func.value.id].split(".")) + ".py")
    return False


def test_every_command_runs_through_the_entry_point():
    """A user error is one line and exit 2, a signal 128+N, a closed pipe no traceback: cli.entry_point does it
    for every command, so every command's main must go through it (decorated, or a Trainer's main)."""
    commands = set(task.COMMON_CLIS) | {c for name in task.REGISTRY for c in task.load(name).commands()}
    unguarded = [m for m in sorted(commands)
                 if not _main_is_guarded(os.path.join(ROOT, *m.split(".")) + (
                     "/__main__.py" if MODULES.get(m) else ".py"))]
    assert not unguarded, "main() not wrapped in common.cli.entry_point: %s" % ", ".join(unguarded)
