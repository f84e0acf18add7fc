"""The entry points the class-by-class hostile suite (test_classes.py) generates its cases over: ONE place.

The training CLIs and the task packages come from the task registry (common/task.py), so a new task's CLIs
join every class with no edit here.
"""
import collections
import importlib
import inspect
import os
import stat

from common import task as task_registry

TASK_PACKAGES = task_registry.REGISTRY


def training_schemas():
    """[(module, Schema)] of every training CLI (every trainer of every registered task)."""
    return [(trainer.module, trainer.schema) for trainer in task_registry.trainers()]


def cli_modules():
    """Every registered command of the task packages (`Task.commands()`) whose `main` is wrapped by
    `common.cli.entry_point`. The registry is the one list of commands (tests/common/test_modules.py checks it
    against the sources); a module that only defines a `main` for another command to call is not one."""
    found = []
    for name in sorted({c for t in task_registry.tasks() for c in t.commands()}):
        try:
            source = inspect.getsource(importlib.import_module(name))
        except (ImportError, OSError, SystemExit):
            continue
        if "entry_point" in source and "def main(" in source:
            found.append(name)
    return found


# Commands that write a user-named file, with what they declare as read: (id, module, argv, inputs), where
# argv and inputs use {tmp}; OUT in argv is replaced by the output path under test, and `inputs` are the
# files (created by the test) the output must never be. A directory input ends with "/": anything inside it
# is refused too.
WEIGHTS = ["W/hparams.json", "W/generator.index", "W/generator.data-00000-of-00001", "W/other.txt", "W/"]
RUN_FILES = ["R/config.yaml", "R/history.json", "R/metrics.json", "R/.lock", "R/checkpoints/ckpt-1.index",
             "R/checkpoints/checkpoint", "R/checkpoints/"]
WRITERS = [
    ("dates.predict -o", "tf1_dates.predict", ["-i", "{tmp}/in.txt", "-o", "OUT", "--weights", "{tmp}/W"],
     ["in.txt"] + WEIGHTS),
    ("dates.predict -o (run dir weights)", "tf1_dates.predict",
     ["-i", "{tmp}/in.txt", "-o", "OUT", "--weights", "{tmp}/R"], ["in.txt"] + RUN_FILES + ["R/weights/"]),
    ("dates.evaluate_weights --json", "tf1_dates.evaluate_weights", ["--weights", "{tmp}/W", "--json", "OUT"],
     WEIGHTS),
    ("dates.score --json", "tf1_dates.score", ["{tmp}/in.txt", "--json", "OUT"], ["in.txt"]),
    ("gan.sample --out", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "OUT"], RUN_FILES),
    ("gan.sample --png", "tf1_gan.sample", ["--run-dir", "{tmp}/R", "--out", "{tmp}/s.npy", "--png", "OUT"],
     RUN_FILES),
]


Outcome = collections.namedtuple("Outcome", "code out err")


def call(module_name, argv, capsys):
    """Runs `module.main(argv)` in-process as a subprocess would end: (exit code, stdout, stderr)."""
    module = importlib.import_module(module_name)
    try:
        code = module.main(argv)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


def snapshot(root):
    """{relative path: (type, content)} of everything under `root` (symlinks not followed)."""
    out = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            content = None
            if stat.S_ISREG(mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            elif stat.S_ISLNK(mode):
                content = os.readlink(path)
            out[os.path.relpath(path, root)] = (stat.S_IFMT(mode), content)
    return out
