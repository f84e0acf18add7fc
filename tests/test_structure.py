"""The repository's shape, checked: no module of common/ or a task package imports another in a circle (static
imports from the AST, deferred ones included, so a circle cannot hide inside a function); no source file
grows past 400 lines except the listed ones, each with its reason; TensorFlow is quieted in at most two places
(common/ and the course-layout package tf1_mnist, which runs without common)."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("common",) + tuple(sorted(d for d in os.listdir(ROOT) if d.startswith("tf1_")
                                       and os.path.isfile(os.path.join(ROOT, d, "__init__.py"))))
MAX_LINES = 400
LONG_FILES = {  # path -> why it may be longer
    "tf1_mnist/models/_base_network.py": "the CS7643 skeleton's own file: its grader imports it whole, by that name",
}


def _modules():
    out = {}
    for package in PACKAGES:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            for name in names:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                    out[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = os.path.join(folder, name)
    return out


def _imports(path, modules):
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + ["%s.%s" % (node.module, alias.name) for alias in node.names]
        else:
            continue
        found.update(n for n in names if n in modules and n not in PACKAGES)
    return found


def find_cycles(graph):
    """Strongly connected components with more than one module (or a self-import), by Tarjan's algorithm."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def connect(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_find_cycles_finds_one():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    modules = _modules()
    graph = {name: _imports(path, modules) for name, path in modules.items()}
    assert find_cycles(graph) == []


def test_no_file_over_400_lines_without_a_reason():
    long_files = {}
    for path in _modules().values():
        rel = os.path.relpath(path, ROOT)
        count = sum(1 for _ in open(path, encoding="utf-8"))
        if count > MAX_LINES and rel not in LONG_FILES:
            long_files[rel] = count
    assert long_files == {}, "split these or list them with a reason: %s" % long_files


def test_tensorflow_is_quieted_in_at_most_two_places():
    places = []
    for path in _modules().values():
        text = open(path, encoding="utf-8").read()
        if "TF_CPP_MIN_LOG_LEVEL" in text and "setdefault" in text or 'getLogger("tensorflow")' in text:
            places.append(os.path.relpath(path, ROOT))
    assert len(places) <= 2 and "common/__init__.py" in places, places


def test_no_training_function_over_60_lines():
    """The training code (the loop, the run skeleton, every task's trainers and entry points) in short functions."""
    long_functions = []
    for name, path in _modules().items():
        leaf = name.rsplit(".", 1)[-1]
        if not (leaf in ("task", "train", "loop", "run") or leaf.endswith(("_task", "_train"))):
            continue
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = max(getattr(n, "lineno", node.lineno) for n in ast.walk(node))
                if end - node.lineno + 1 > 60:
                    long_functions.append("%s.%s (%d lines)" % (name, node.name, end - node.lineno + 1))
    assert long_functions == []
