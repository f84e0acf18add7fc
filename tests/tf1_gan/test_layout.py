"""The package's layout shows its architecture: the core (model, spectral norm, losses, conv ops, the one step)
imports nothing above it, no module imports another in a circle, the cluster and the benchmarks are subpackages,
every command is `main(argv) -> int` through common.cli, and TensorFlow is quieted in one place (common)."""
import ast
import importlib
import os

import pytest

from common import task

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "tf1_gan")
CORE = ("tf1_gan.model", "tf1_gan.spectral_norm", "tf1_gan.losses", "tf1_gan.conv_ops", "tf1_gan.train_step")


def _modules():
    """{module name: path} of every tf1_gan module."""
    out = {}
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                out[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = os.path.join(folder, name)
    return out


def _imports(path, modules):
    """The tf1_gan modules `path` imports (at any depth of the file, deferred imports included)."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, alias.name) for alias in node.names]
        else:
            continue
        found.update(n for n in names if n in modules and n != "tf1_gan")
    return found


def _graph():
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def test_no_import_circle():
    graph = _graph()
    state = {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", "import circle: %s" % " -> ".join(trail + [name])
        state[name] = "open"
        for dep in sorted(graph[name]):
            visit(dep, trail + [name])
        state[name] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_the_tree_shows_the_architecture():
    graph = _graph()
    for name in CORE:  # the core needs nothing of the CLIs, the cluster or the benchmarks
        assert all(dep in CORE for dep in graph[name]), (name, graph[name])
    assert {"tf1_gan.cluster.train", "tf1_gan.cluster.worker_graph", "tf1_gan.cluster.demo"} <= set(graph)
    assert {"tf1_gan.bench.steps", "tf1_gan.bench.towers", "tf1_gan.bench.conv"} <= set(graph)
    assert not any(dep.startswith("tf1_gan.cluster") for dep in graph["tf1_gan.train"])  # no hand-over
    assert not [n for n in graph if "parallel" in n or "distributed" in n or n.endswith(".graph")]
    # The PyTorch yardstick needs torch: it is a tool, and nothing in the package imports torch.
    assert os.path.exists(os.path.join(ROOT, "tools", "torch_reference_bench.py"))
    for name, path in _modules().items():
        assert "import torch" not in open(path).read(), name


def test_tensorflow_is_quieted_in_one_place():
    for name, path in _modules().items():
        text = open(path).read()
        for repeated in ("TF_CPP_MIN_LOG_LEVEL", "get_logger().setLevel", "noqa: E402"):
            assert repeated not in text, "%s repeats %s (common/__init__.py does it)" % (name, repeated)


@pytest.mark.parametrize("name", sorted(n for n, p in _modules().items() if "__main__" in open(p).read()
                                        and not n.endswith("__main__")))
def test_every_command_is_main_argv_to_int_through_common_cli(name):
    module = importlib.import_module(name)
    main = module.main
    trainer = getattr(module, "TRAINER", None)  # a training CLI: Trainer.main, through common.cli.run_trainer
    assert getattr(main, "__wrapped__", None) is not None or isinstance(trainer, task.Trainer), \
        "%s.main is neither wrapped by common.cli.entry_point nor a Trainer's main" % name
    assert main(["--bogus-flag"]) == 2
