"""Copies the modules a set of entry points needs out of the repository, so a hand-in bundle runs on its own.

    modules = closure(["tf1_dates.predict", "tf1_dates.train"])     # every repository module they import
    vendor(modules, "out/model", flatten="tf1_dates")                # copied, imports rewritten

`closure` follows every `import`/`from ... import` of the repository's own packages (`common`, `tf1_*`)
found anywhere in a module's syntax tree, functions included (lazy imports count), and adds each package's
`__init__`. Dynamic imports (`importlib.import_module(name)`) are not followed: an entry point that needs
them lists the module itself.

`vendor` writes the modules under a destination folder. A package named in `flatten` loses its folder:
its modules become top-level scripts (`tf1_dates/predict.py` -> `predict.py`) and every import of it is
rewritten (`from tf1_dates import model, score` -> `import model, score`; `from tf1_dates.x import y` ->
`from x import y`; `import tf1_dates` -> `import common`, which is all that package's `__init__` does).
Other packages keep their folders, so `from common import cli` still resolves inside the bundle. The
"make the repository importable" preamble of script-form modules is dropped (the script's folder is the
bundle), usage lines `python -m tf1_dates.x` become `python x.py` and paths `tf1_dates/x` become `x`.
An import the rewrite cannot express
(`import tf1_dates.x`, a relative import) is a VendorError naming the file and line.

Stdlib only, Python 3.6 compatible (no `end_lineno`: a statement's extent is found by its brackets).
"""
import ast
import os
import re

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN_PACKAGES = re.compile(r"^(common|tf1_[a-z0-9_]+)$")

_PREAMBLE = re.compile(r'^if __package__ in \(None, ""\):.*\n(?:[ \t]+.*\n)+', re.M)


class VendorError(ValueError):
    """A module cannot be vendored: the message names the file, line and reason."""


def module_path(name, root=REPO_ROOT):
    """File of a dotted module name: pkg/mod.py or pkg/__init__.py; None if neither exists."""
    base = os.path.join(root, *name.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


def _own(name):
    return bool(name) and OWN_PACKAGES.match(name.split(".")[0]) is not None


def imported_modules(path, root=REPO_ROOT):
    """The repository modules one file imports (dotted names; packages as their `__init__`)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if _own(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _own(node.module):
            names = [node.module]
            # `from pkg import mod`: a submodule when the file exists, else a name from pkg/__init__.
            names += ["%s.%s" % (node.module, a.name) for a in node.names
                      if module_path("%s.%s" % (node.module, a.name), root)]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise VendorError("%s line %d: relative imports are not vendored" % (path, node.lineno))
        else:
            continue
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


def closure(entries, root=REPO_ROOT):
    """Every repository module the entry modules need, themselves included (sorted dotted names)."""
    todo, seen = list(entries), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_path(name, root)
        if path is None:
            raise VendorError("module %s: no %s.py or package under %s" % (name, name.replace(".", "/"), root))
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages' __init__
        todo += sorted(imported_modules(path, root) - seen)
    return sorted(seen)


def _statement_end(lines, start):
    """Index of the last line of the statement beginning at lines[start] (brackets and backslashes)."""
    depth, index = 0, start
    while True:
        code = lines[index].split("#", 1)[0]
        depth += code.count("(") - code.count(")")
        if depth <= 0 and not code.rstrip().endswith("\\"):
            return index
        index += 1


def _rewritten(node, flatten, where):
    """Replacement text (no indentation) of one import statement, or None to keep it as written."""
    def alias(a):
        return a.name + (" as %s" % a.asname if a.asname else "")

    if isinstance(node, ast.ImportFrom):
        head = node.module.split(".")
        if head[0] != flatten:
            return None
        if len(head) == 1:  # from tf1_dates import a, b
            return "import " + ", ".join(alias(a) for a in node.names)
        return "from %s import %s" % (".".join(head[1:]), ", ".join(alias(a) for a in node.names))
    names = [a for a in node.names if a.name.split(".")[0] == flatten]
    if not names:
        return None
    if len(node.names) != 1 or names[0].name != flatten or names[0].asname:
        raise VendorError("%s line %d: `import %s...` cannot be flattened; use `from %s import ...`"
                          % (where, node.lineno, flatten, flatten))
    return "import common"


def rewrite(source, flatten, where="<source>"):
    """`source` with every import of package `flatten` made top-level (see the module doc)."""
    source = _PREAMBLE.sub("", source)
    source = re.sub(r"python -m %s\.(\w+)" % flatten, r"python \1.py", source)
    source = re.sub(r"python %s/(\w+)\.py" % flatten, r"python \1.py", source)
    source = re.sub(r"(?<![\w/.])%s/" % flatten, "", source)  # `tf1_dates/weights/` -> `weights/`
    lines = source.split("\n")
    tree = ast.parse(source, where)
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            raise VendorError("%s line %d: relative imports are not vendored" % (where, node.lineno))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            text = _rewritten(node, flatten, where)
            if text is not None:
                edits.append((node.lineno - 1, node.col_offset, text))
    for start, column, text in sorted(edits, reverse=True):
        end = _statement_end(lines, start)
        tail = lines[end].split("#", 1)
        comment = "  #" + tail[1] if len(tail) == 2 and end == start else ""
        lines[start:end + 1] = [lines[start][:column] + text + comment]
    out = "\n".join(lines)
    ast.parse(out, where)  # the rewrite must still be Python
    return out


def vendor(modules, dest, flatten=None, root=REPO_ROOT):
    """Writes each module of `modules` under `dest` (see the module doc); returns the written paths."""
    written = []
    for name in modules:
        source_path = module_path(name, root)
        parts = name.split(".")
        if parts[0] == flatten:
            if len(parts) == 1:
                continue  # the flattened package's __init__ (its only job, `import common`, is kept by rewrite)
            if len(parts) > 2:
                raise VendorError("%s: sub-packages of %s cannot be flattened" % (name, flatten))
            rel = parts[1] + ".py"
        else:
            rel = os.path.relpath(source_path, root)
        with open(source_path, encoding="utf-8") as handle:
            text = handle.read()
        if flatten:
            text = rewrite(text, flatten, os.path.relpath(source_path, root))
        target = os.path.join(dest, rel)
        if os.path.exists(target):
            raise VendorError("%s: %s is written twice (a name clash in the flattened layout)" % (name, rel))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        written.append(target)
    return written
