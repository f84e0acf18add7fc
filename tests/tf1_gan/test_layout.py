"""The package's layout shows its architecture: the core (model, spectral norm, losses, conv ops, the one step)
imports nothing above it, no module imports another in a circle, the cluster and the benchmarks are subpackages,
every command is `main(argv) -> int` through common.cli, and TensorFlow is quieted in one place (common)."""
import importlib
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import import_graph  # noqa: E402  pylint: disable=wrong-import-position

from common import task

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORE = ("tf1_gan.model", "tf1_gan.spectral_norm", "tf1_gan.losses", "tf1_gan.conv_ops", "tf1_gan.train_step")


def _modules():
    """{module name: path} of every tf1_gan module."""
    return import_graph.modules(("tf1_gan",))


def _graph():
    return import_graph.graph(("tf1_gan",))


def test_no_import_circle():
    assert import_graph.find_cycles(_graph()) == []


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
