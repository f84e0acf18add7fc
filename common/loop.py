"""The training ritual, written once: every task's `train` CLI is a `common.task.Trainer` run by `train`.

    data = trainer.load(cfg)                         # bad data fails before anything is written
    with run.Run(cfg, run_dir) as r:                 # lock; a changed configuration is refused
        g = trainer.build(cfg, data)                 # the graph, not yet finalized
        r.make_checkpointer(); graph.finalize()      # (+ the trainer's extra savers, e.g. an exporter)
        with session:
            start = r.restore_or_initialize(...)     # newest readable checkpoint, else init
            trainer.begin(ctx); r.open_writer(...)
            for step in r.steps(...):                # checkpoint every N, at the end and on a stop
                scalars = trainer.step(ctx, step)    # None, or a log point: finite -> history, TensorBoard,
                ...                                  #   progress; not finite, or the loss far above a
                                                     #   trivial model's -> DivergedError (exit 3)
            trainer.end(ctx)
            stopped -> None (exit 130); else result = trainer.evaluate(ctx)
        metrics = trainer.finish(ctx, result); r.finish(metrics)   # strict JSON
    the end-of-run table of trainer.summary(metrics)

The order is the contract of `common.run` (checkpointer before finalize, writer after the restore, `stopped`
before any metrics); tasks cannot get it wrong because they no longer spell it. The GAN cluster chief keeps
its own loop: it runs on TF's `SessionManager` across processes (tf1_gan/cluster/train.py says so).
"""
import math
import time

import tensorflow as tf

from common import errors, progress, run


class Context(object):
    """What a trainer's hooks see: the config, the data, the graph, the session, the run and the progress."""

    def __init__(self, trainer, cfg, data, g, r, log):
        self.trainer = trainer
        self.cfg = cfg
        self.data = data
        self.g = g
        self.run = r
        self.log = log
        self.sess = None
        self.start = 0
        self.total = 0
        self.progress = None
        self.writer = None
        self.extra = None          # what trainer.extra_savers returned
        self.steps_run = 0         # loop iterations of this invocation
        self.seconds = 0.0         # their wall time
        self.state = {}            # the trainer's own per-invocation state

    @property
    def paths(self):
        return self.run.paths

    @property
    def history(self):
        return self.run.history


def _lr_hint(cfg):
    """' (learning rate 10: try a smaller --lr)', or '' when the configuration has no learning rate."""
    if cfg is not None and "lr" in cfg:
        return " (learning rate %g: try a smaller --lr)" % cfg.lr
    if cfg is not None and "learning_rate" in cfg:
        return " (learning rate %g: try a smaller --learning-rate)" % cfg.learning_rate
    return ""


_KEPT = "; no metrics were written (checkpoints saved before it are kept)"


def check_finite(scalars, step, cfg=None):
    """Raises DivergedError when a logged scalar is NaN or infinite."""
    bad = sorted(k for k, v in scalars.items() if isinstance(v, (int, float)) and not math.isfinite(v))
    if bad:
        raise errors.DivergedError(
            "training diverged at step %d: %s %s not finite%s%s" % (
                step, ", ".join("%s=%r" % (k, scalars[k]) for k in bad), "is" if len(bad) == 1 else "are",
                _lr_hint(cfg), _KEPT))


# A finite loss can diverge too: with a learning rate far too high it jumps to 1e10 and stays there, or comes
# back down to a level no trained model has. The yardstick is the loss of a model that learned nothing (the
# trainer's `trivial_loss`: a classifier guessing uniformly scores ln(classes), a regression predicting the
# mean scores 1 on a standardised target, a GAN's D with logit 0 scores ln 2). Training starts near it and
# goes below it; a loss more than DIVERGENCE_FACTOR times above it at DIVERGENCE_POINTS log points in a row,
# or at the run's last log point, is a diverged run. In the runs measured (every trainer's smoke run, the
# course's lr and reg studies, 40k-step dates runs, QM9 runs, the GAN variants' final D losses) normal losses
# stay below 2 times it, and the lr-10 runs reach from 30 times (tf1_dna) to above 1e10 times; the factor leaves room for noisy tiny batches
# and for a D that G fools for a while. A run merely stuck at the trivial level (an over-regularised model, a
# collapsed one) is not flagged: its metrics say so.
DIVERGENCE_FACTOR = 10.0
DIVERGENCE_POINTS = 2


class LossWatch(object):
    """The training loss a trainer declares (`loss_key`), watched at every log point for a finite divergence.

    The log points already in the history (a resumed run) count: the run's last two points are watched,
    whichever invocation logged them.
    """

    def __init__(self, trainer, cfg, history):
        self.key = trainer.loss_key
        self.cfg = cfg
        trivial = trainer.trivial_loss(cfg) if self.key else None
        self.trivial, self.what = trivial if trivial else (None, None)
        self.limit = DIVERGENCE_FACTOR * self.trivial if self.trivial else None
        self.above = []   # (step, value) of the latest log points in a row above the limit
        self.seen = False
        if self.key:
            for step, value in zip(*history.series(self.key)):
                self.seen = True
                self._record(step, value)

    def _record(self, step, value):
        if self.limit is not None and isinstance(value, (int, float)) and value > self.limit:
            self.above = (self.above + [(step, value)])[-DIVERGENCE_POINTS:]
        else:
            self.above = []

    def check(self, scalars, step, last):
        """After `check_finite`: raises DivergedError when the loss is above the limit at DIVERGENCE_POINTS
        log points in a row, or at the run's `last` log point."""
        if not self.key or self.key not in scalars:
            return
        self.seen = True
        self._record(step, scalars[self.key])
        if self.above and (len(self.above) == DIVERGENCE_POINTS or last):
            points = " and ".join("%.4g at step %d" % (v, s) for s, v in self.above)
            where = "the run's last log point" if len(self.above) < DIVERGENCE_POINTS else \
                "%d log points in a row" % DIVERGENCE_POINTS
            raise errors.DivergedError(
                "training diverged at step %d: %s was %s (%s), above %.4g = %g x %.4g, the loss of %s%s%s" % (
                    step, self.key, points, where, self.limit, DIVERGENCE_FACTOR, self.trivial, self.what,
                    _lr_hint(self.cfg), _KEPT))

    def check_declared(self, trainer):
        """At the end of a finished run: a declared loss that was never logged is a bug of the trainer."""
        if self.key and not self.seen:
            raise RuntimeError("%s declares loss_key %r but no log point had it" % (trainer.module, self.key))


def _log_function(ctx_holder, log):
    """Messages through the progress bar while one is drawn, else through `log`."""
    def write(message):
        bar = ctx_holder[0]
        if bar is not None and log is print:
            bar.write(message)
        else:
            log(message)
    return write


def train(trainer, cfg, log=print):
    """Trains (or resumes) `trainer`'s run for `cfg`.

    Returns:
      The metrics dict also written to metrics.json, or None when the run stopped early (the same command
      resumes it).

    Raises:
      errors.UserError: bad data or configuration, a locked or incompatible run dir (exit 2).
      errors.DivergedError: a logged loss or metric became non-finite, or the training loss stayed far above a
        trivial model's (`LossWatch`) (exit 3).
    """
    bar_holder = [None]
    say = _log_function(bar_holder, log)
    data = trainer.load(cfg)
    run_dir = trainer.run_dir(cfg)
    with run.Run(cfg, run_dir, restart=cfg.get("restart", False), log=say) as r:
        ctx = Context(trainer, cfg, data, None, r, say)
        ctx.g = _build(trainer, cfg, data, r, ctx)
        owned = getattr(ctx.g, "session", None)
        sess = owned or tf.Session(graph=ctx.g.graph, config=trainer.session_config(cfg))
        try:
            ctx.sess = sess
            result = _run_session(trainer, ctx, bar_holder)
        finally:
            sess.close()
        if r.stopped:
            return None
        metrics = trainer.finish(ctx, result)
        r.finish(metrics)
    rows = trainer.summary(metrics)
    if rows:
        say(summary_table(rows, run_dir))
    return metrics


def _build(trainer, cfg, data, r, ctx):
    g = trainer.build(cfg, data)
    with g.graph.as_default():
        r.make_checkpointer(var_list=getattr(g, "checkpoint_vars", None))
        ctx.extra = trainer.extra_savers(g)
    g.graph.finalize()
    return g


def _run_session(trainer, ctx, bar_holder):
    """Restore, the loop, and (for a finished run) the evaluation; returns the evaluation's result."""
    r, cfg = ctx.run, ctx.cfg
    ctx.start = r.restore_or_initialize(ctx.sess, ctx.g.init_op)
    ctx.total = trainer.total(cfg, ctx.g)
    trainer.begin(ctx)
    ctx.writer = r.open_writer(trainer.writer_graph(ctx))
    desc = "%s %s" % (trainer.task, trainer.module.rsplit(".", 1)[-1])
    ctx.progress = progress.Progress(ctx.total, ctx.start, desc=desc, unit=trainer.step_unit)
    watch = LossWatch(trainer, cfg, ctx.history)
    bar_holder[0] = ctx.progress if ctx.progress.has_bar else None
    t0 = time.time()
    try:
        for step in r.steps(ctx.sess, ctx.start, ctx.total, trainer.ckpt_every(cfg),
                            on_save=lambda saved: trainer.checkpointed(ctx, saved)):
            scalars = trainer.step(ctx, step)
            ctx.steps_run += 1
            if scalars:
                check_finite(scalars, step, cfg)
                watch.check(scalars, step, last=step == ctx.total)
                ctx.progress.set_metrics(**{k: v for k, v in scalars.items() if _headline_key(k)})
            ctx.progress.update(1)
    finally:
        ctx.seconds = time.time() - t0
        ctx.progress.close()
        bar_holder[0] = None
    trainer.end(ctx)
    if r.stopped:
        return None
    watch.check_declared(trainer)
    return trainer.evaluate(ctx)


def _headline_key(key):
    return "loss" in key or key.startswith(("val", "d_", "g_")) or "accuracy" in key or "mae" in key


def _four_digits(value):
    """4 significant digits, trailing zeros kept (1.000, 0.7349, 31.00); no exponent from 1e-3 to 1e6."""
    if not math.isfinite(value) or value != 0 and not 1e-3 <= abs(value) < 1e6:
        return "%.3e" % value
    if abs(value) >= 1000:
        return "{:,.0f}".format(value)
    return ("%#.4g" % value).rstrip(".")


def summary_table(rows, run_dir=None):
    """An aligned table of (label, value, unit) rows; floats to 4 significant digits, thousands separated."""
    shown = []
    for label, value, unit in rows:
        if isinstance(value, float):
            text = _four_digits(value)
        elif value is None:
            text = "-"
        else:
            text = str(value)
        shown.append((label, text, unit or ""))
    width = max([len(label) for label, _, _ in shown] + [len("run dir") if run_dir else 0])
    numbers = [text for (_, value, _), (_, text, _) in zip(rows, shown) if isinstance(value, (int, float))]
    vwidth = max([len(text) for text in numbers] or [0])
    lines = []
    for (_, value, _), (label, text, unit) in zip(rows, shown):
        text = text.rjust(vwidth) if isinstance(value, (int, float)) else text  # numbers right, words left
        lines.append("%-*s  %s %s" % (width, label, text, unit))
    if run_dir:
        lines.append("%-*s  %s (metrics.json holds the full record)" % (width, "run dir", run_dir))
    return "\n".join(line.rstrip() for line in lines)
