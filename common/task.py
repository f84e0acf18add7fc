"""What a task is, and the one list of them.

    python -m common.task list              # the task packages, one a line (the Makefile reads this)
    python -m common.task trainers          # every training CLI, one a line
    python -m common.task show tf1_dna      # one task's metadata

A task package (`tf1_x/`) holds one exercise. Its `tf1_x/task.py` defines `TASK`, a `Task`: the report's
title and figure, the seed it answers, its deliverable documents, its demo and bench modules, and its
`trainers` — one `Trainer` per training CLI. A `Trainer` is what `common.loop.train` runs: it loads the data,
builds the graph, runs one step, evaluates and writes the metrics; the loop does the rest (run dir, lock,
restore, writer, progress, checkpoints, stop, divergence). Its test metadata (a tiny run, a run long enough to
stop and resume, its invariant cases, the data files a hostile user may hand it) is declared beside it, so
the CLI-vocabulary test, the stop/resume matrix, the invariants tool and the hostile matrix cover a new task
with no other edit.

`REGISTRY` is the only list of tasks in the repository: adding a task is one `tf1_<task>/task.py` and one
line here. Modules are imported lazily, so `list` needs neither TensorFlow nor NumPy.
"""
import collections
import importlib
import sys

from common import cli

REGISTRY = (
    "tf1_gan",
    "tf1_dates",
    "tf1_mnist",
    "tf1_molecules",
    "tf1_dna",
)

# The commands of common/ itself; a task's commands are its Task's trainers, clis, run_clis, demo and bench.
# Every other module of common/ and of a task package is a library: `python -m` on it exits 2 (common/cli.py).
COMMON_CLIS = ("common.task", "common.report", "common.handin", "common.typeset")

# One deliverable document: the PDF under reports/, its Markdown source, a page limit, the seed it answers.
Deliverable = collections.namedtuple("Deliverable", "task output source max_pages seed description")
Deliverable.__new__.__defaults__ = (None, None, "")

# What a task hands in (`make handin`, common/handin.py): its folder under handin/, its documents
# ((deliverable output, file name with `{name}`), ...), the builder of the code it carries (a function of
# common.handin, or None), the cover page of its first document (None or "exam"), and a zip of the whole folder
# (file name with `{name}`, or None).
Handin = collections.namedtuple("Handin", "folder documents code cover zipped")
Handin.__new__.__defaults__ = (None, None, None)


class Trainer(object):
    """One training CLI of a task: the hooks `common.loop.train` calls, in this order.

    Outside the run dir (bad data fails before anything is written):
      `load(cfg)` -> data;  `run_dir(cfg)` -> the default run dir when `--run-dir` is not given.
    Inside the run (lock held, changed configuration refused):
      `build(cfg, data)` -> a graph object with `.graph` (not yet finalized) and `.init_op`; an optional
        `.session` is used (and closed) instead of a new one, for models that own their session;
      `extra_savers(g)` -> objects to build inside the graph before it is finalized (e.g. an exporter);
      `session_config(cfg)`, `total(cfg, g)` steps, `ckpt_every(cfg)`;
      `begin(ctx)` after the restore (feed data, the first summary); `writer_graph(ctx)` for TensorBoard;
      `step(ctx, step)` -> None, or the scalars of a log point (history, TensorBoard, progress line; checked
        for finiteness: a non-finite value stops the run as diverged; `loss_key`'s value is also checked
        against `trivial_loss`, see below);
      `checkpointed(ctx, step)` after each checkpoint (an evaluation that restores it);
      `end(ctx)` after the loop, stopped or not (plots of the history so far);
      `evaluate(ctx)` -> result, in the session, for a finished run only;
      `finish(ctx, result)` -> the metrics dict written to metrics.json;
      `summary(metrics)` -> [(label, value, unit)] rows of the end-of-run table.

    Divergence (common.loop.LossWatch): `loss_key` names the logged scalar that is the training loss, the
    one the optimizer lowers (a GAN's: D's loss); `trivial_loss(cfg)` -> (value, what scores it) is that loss
    for a model that learned nothing (a classifier guessing uniformly: ln(classes)). A run whose loss is more
    than 10 times that at 2 log points in a row, or at its last one, stops as diverged (exit 3) although every
    number is finite. Every registered trainer declares both (tests/common/test_task_registry.py).

    Test metadata (read by the hostile, vocabulary and stop/resume tests and tools/invariants.py):
      `smoke_args`: argv of a tiny run (`{tmp}` = a temp dir); `resume_args`, `resume_step`: a run long enough
      to be stopped after checkpoint `resume_step`; `invariants`: {case: argv with `{run}`} fingerprinted by
      tools/invariants.py (`invariants_fast`: the cases of the fast suite); `data_flag`, `bad_data`: the flag
      naming a data file and [(case, bytes, message regex)] it must refuse; `requires`: repo-relative files its
      default run needs (`make qm9`): the tests that run it with its default data skip, saying so, without them;
      `diverge_args`: argv of a tiny run whose loss blows up but stays finite (a learning rate at its limit):
      the divergence test expects exit 3 from the loss watch, before any NaN.
    """

    module = None          # the CLI, `python -m <module>`
    schema = None          # its common.config.Schema
    description = ""       # one line for --help
    run_name = "default"   # runs/<task>/<run_name> unless run_dir() says otherwise
    task = None            # set by Task: the owning task's name
    step_unit = "step"     # what one loop iteration is, for the progress line ("epoch" for epoch loops)
    loss_key = None        # the logged scalar that is the training loss (watched for divergence)

    smoke_args = ()
    resume_args = ()
    resume_step = 5
    invariants = {}
    invariants_fast = ()
    data_flag = None
    bad_data = ()
    requires = ()
    diverge_args = ()

    # -- hooks (defaults do nothing) ------------------------------------------------------------------------
    def load(self, cfg):  # pylint: disable=unused-argument
        return None

    def run_dir(self, cfg):
        from common import run  # deferred: run imports TensorFlow
        return cfg.get("run_dir") or run.default_run_dir(self.task, self.run_name)

    def build(self, cfg, data):
        raise NotImplementedError

    def extra_savers(self, g):  # pylint: disable=unused-argument
        return None

    def session_config(self, cfg):
        from common import training
        return training.session_config(cfg.threads)

    def total(self, cfg, g):  # pylint: disable=unused-argument
        return cfg.steps

    def ckpt_every(self, cfg):
        return cfg.ckpt_every

    def begin(self, ctx):
        pass

    def writer_graph(self, ctx):
        return ctx.g.graph

    def step(self, ctx, step):
        raise NotImplementedError

    def checkpointed(self, ctx, step):
        """After each checkpoint (the newest one is `step`): e.g. an evaluation that restores it."""

    def end(self, ctx):
        pass

    def evaluate(self, ctx):  # pylint: disable=unused-argument
        return None

    def finish(self, ctx, result):
        raise NotImplementedError

    def summary(self, metrics):  # pylint: disable=unused-argument
        return []

    def trivial_loss(self, cfg):  # pylint: disable=unused-argument
        """(value, description): `loss_key`'s value for a model that learned nothing, e.g.
        (2.303, "a classifier that guesses uniformly among the 10 digits"); None: the loss is not watched."""
        return None

    def main(self, argv=None):
        """`main(argv) -> int` of the CLI: parse, train, print the summary; exit 0, 2, 3 or 130."""
        from common import cli, loop
        return cli.run_trainer(self, argv, loop.train)


class Task(object):
    """One exercise: metadata for the report, the Makefile and the tests, and its training CLIs.

    Args:
      name: the package (`tf1_dna`); runs go to runs/<name>/.
      title: one line for the report.
      seeds: the source documents it answers ("004", ...).
      trainers: its `Trainer` instances.
      deliverables: its `Deliverable` documents (`make report` renders them).
      figure: (path, caption) of the committed figure on its overview page, or None.
      demo, bench: modules run by `make demo` / `make bench` (None: none).
      clis: its other command-line modules (sample, predict, ...): with the trainers, run_clis, demo and bench,
        every module of the package that runs as a command (tests/common/test_modules.py).
      run_clis: CLIs that own a run dir without the shared loop (the GAN cluster chief on TF's SessionManager);
        they follow the same flag vocabulary.
      report_section: "module:function" giving the Markdown of its runs in the report's appendix.
      handin: a `Handin`: what `make handin` builds for its grader (None: nothing).
    """

    def __init__(self, name, title, seeds, trainers, deliverables=(), figure=None, demo=None, bench=None,
                 clis=(), run_clis=(), report_section=None, handin=None):
        self.name = name
        self.title = title
        self.seeds = tuple(seeds)
        self.trainers = tuple(trainers)
        for trainer in self.trainers:
            trainer.task = name
        self.deliverables = tuple(deliverables)
        self.figure = figure
        self.demo = demo
        self.bench = bench
        self.clis = tuple(clis)
        self.run_clis = tuple(run_clis)
        self.report_section = report_section  # "module:function" -> Markdown for the report's appendix
        self.handin = handin

    def commands(self):
        """Every module of the task that runs as a command, sorted."""
        return sorted(set([t.module for t in self.trainers] + list(self.clis) + list(self.run_clis)
                          + [m for m in (self.demo, self.bench) if m]))

    def trainer(self, module):
        for trainer in self.trainers:
            if trainer.module == module:
                return trainer
        raise KeyError(module)


def load(name):
    """The `TASK` of package `name` (imports `<name>.task`)."""
    if name not in REGISTRY:
        raise KeyError("no task %r; registered: %s" % (name, ", ".join(REGISTRY)))
    return importlib.import_module(name + ".task").TASK


def tasks():
    """Every registered Task, in registry order."""
    return [load(name) for name in REGISTRY]


def trainers():
    """Every Trainer of every task."""
    return [trainer for task in tasks() for trainer in task.trainers]


def deliverables():
    return [d for task in tasks() for d in task.deliverables]


@cli.entry_point
def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m common.task {list | trainers | demos | benches | show TASK}\n"
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(usage)
        return 0 if argv else 2
    command = argv[0]
    if command == "list" and len(argv) == 1:
        sys.stdout.write("".join(name + "\n" for name in REGISTRY))
        return 0
    if command in ("trainers", "demos", "benches") and len(argv) == 1:
        if command == "trainers":
            names = [t.module for t in trainers()]
        else:
            names = [getattr(t, command[:-1] if command == "demos" else "bench") for t in tasks()]
        sys.stdout.write("".join(n + "\n" for n in names if n))
        return 0
    if command == "show" and len(argv) == 2:
        try:
            task = load(argv[1])
        except KeyError as err:
            sys.stderr.write("error: %s\n" % err.args[0])
            return 2
        sys.stdout.write("%s: %s (seed %s)\n  trainers: %s\n  deliverables: %s\n  demo: %s  bench: %s\n" % (
            task.name, task.title, ", ".join(task.seeds), ", ".join(t.module for t in task.trainers),
            ", ".join(d.output for d in task.deliverables) or "-", task.demo, task.bench))
        return 0
    sys.stderr.write(usage)
    return 2


if __name__ == "__main__":
    sys.exit(main())
