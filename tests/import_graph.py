"""The import graph of the repository's packages (static imports from the AST, deferred ones included), shared by
the structure tests (tests/test_structure.py, tests/tf1_gan/test_layout.py)."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("common",) + tuple(sorted(d for d in os.listdir(ROOT) if d.startswith("tf1_")
                                       and os.path.isfile(os.path.join(ROOT, d, "__init__.py"))))


def modules(packages=PACKAGES):
    out = {}
    for package in packages:
        for folder, _, names in os.walk(os.path.join(ROOT, package)):
            for name in names:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), ROOT)[:-3].replace(os.sep, ".")
                    out[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = os.path.join(folder, name)
    return out


def imports(path, modules):
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


def graph(packages=PACKAGES):
    """{module: set of the repository modules it imports}."""
    found = modules(packages)
    return {name: imports(path, found) for name, path in found.items()}
