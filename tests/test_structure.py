"""The repository's shape, checked: no module of common/ or a task package imports another in a circle (static
imports from the AST, deferred ones included, so a circle cannot hide inside a function); no source file
grows past 400 lines except the listed ones, each with its reason; TensorFlow is quieted in at most two places
(common/ and the course-layout package tf1_mnist, which runs without common)."""
import ast
import os

from import_graph import ROOT, find_cycles, graph, modules
MAX_LINES = 400
LONG_FILES = {  # path -> why it may be longer
    "tf1_mnist/models/_base_network.py": "the CS7643 skeleton's own file: its grader imports it whole, by that name",
}


def test_find_cycles_finds_one():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    assert find_cycles(graph()) == []


def test_no_file_over_400_lines_without_a_reason():
    long_files = {}
    for path in modules().values():
        rel = os.path.relpath(path, ROOT)
        count = sum(1 for _ in open(path, encoding="utf-8"))
        if count > MAX_LINES and rel not in LONG_FILES:
            long_files[rel] = count
    assert long_files == {}, "split these or list them with a reason: %s" % long_files


def test_tensorflow_is_quieted_in_at_most_two_places():
    places = []
    for path in modules().values():
        text = open(path, encoding="utf-8").read()
        if "TF_CPP_MIN_LOG_LEVEL" in text and "setdefault" in text or 'getLogger("tensorflow")' in text:
            places.append(os.path.relpath(path, ROOT))
    assert len(places) <= 2 and "common/__init__.py" in places, places


def test_no_training_function_over_60_lines():
    """The training code (the loop, the run skeleton, every task's trainers and entry points) in short functions."""
    long_functions = []
    for name, path in modules().items():
        leaf = name.rsplit(".", 1)[-1]
        if not (leaf in ("task", "train", "loop", "run") or leaf.endswith(("_task", "_train"))):
            continue
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = max(getattr(n, "lineno", node.lineno) for n in ast.walk(node))
                if end - node.lineno + 1 > 60:
                    long_functions.append("%s.%s (%d lines)" % (name, node.name, end - node.lineno + 1))
    assert long_functions == []
