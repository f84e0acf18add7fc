"""tf1_dates: the conditional date generator (seed 001), trained by `python -m tf1_dates.train` on common.loop.

Validation and test hold out *whole condition combinations* (stratified by leap year and the [220] decade), so
their scores measure generalisation to condition sets the network never saw. Every `eval_every` steps the
validation combinations are each asked `repeats` times and the draws are scored by score.py: the all-four rate
and diversity are what we monitor, not token accuracy (many answers are right; the exact expected all-four rate
is logged too). A fixed probe of 400 training combinations and the test combinations are scored at the same
points, so the history (and loss_curves.png) holds training, validation and test curves; the test scores are
only recorded, nothing reads them while training. Those draws are keyed by (seed, step, split), so they leave
the training trajectory as it is, and a stopped-and-resumed run logs exactly the numbers an uninterrupted one
logs.

The run dir gets config.yaml, checkpoints/, history.json, TensorBoard events, loss_curves.png and, when the run
finishes, metrics.json and weights/ (generator + hparams.json, the layout of the committed tf1_dates/weights/).
`predict.py --weights RUN_DIR` loads the run's newest checkpoint, also of a stopped run.
"""
import collections
import math
import os
import shutil

import numpy as np
import tensorflow as tf

from common import config, task, training
from tf1_dates import calendar_facts, data, datagen, model, sampling, tokenizer

DEFAULT_DATA = os.path.join("data", "dates", "data.txt")
WEIGHTS = "weights"  # the finished run's exported generator, inside the run dir
SPLITS = ("train", "val", "test")


def _fractions_leave_training_data(cfg):
    config.require(cfg.val_frac + cfg.test_frac < 1.0,
                   "config keys 'val_frac' + 'test_frac' must be < 1 (they leave no training combinations), "
                   "got %r + %r" % (cfg.val_frac, cfg.test_frac))


SCHEMA = config.Schema([
    config.Key("data", DEFAULT_DATA, "data.txt from `python -m tf1_dates.datagen` (the default is made on first use)"),
    config.hidden(768, "MLP width"),
    config.Key("layers", 2, "MLP depth", ge=1),
    config.Key("rank", 0, "width of the optional multiplicative (trilinear) branch; 0 = off", ge=0),
    config.Key("periodic", False, "sine activation in the first layer (experimental)"),
    config.Key("dropout", 0.0, "dropout on trunk features (stateful RNG: a resumed run is then not step-exact)",
               ge=0.0, lt=1.0),
    config.batch_size(256, "combinations per step (each epoch visits every combination once: equal weights)"),
    config.lr(1e-3, "Adam learning rate at step 0"),
    config.Key("lr_final_ratio", 0.1, "lr decays exponentially to lr * ratio at --steps", gt=0.0, le=1.0),
    config.Key("weight_decay", 0.0, "L2 on kernels", ge=0.0),
    config.steps(40000),
    config.eval_every(4000, "steps between validation sampling rounds and checkpoints"),
    config.val_frac(0.05, "fraction of combinations held out for validation", allow_zero=True),
    config.Key("test_frac", 0.05, "fraction of combinations held out for the final test", ge=0.0, lt=1.0),
    config.Key("repeats", 5, "samples per combination when scoring", ge=1),
    config.Key("temperature", 1.0, "sampling temperature when scoring", gt=0.0),
    config.seed(0, "seed of splits, initialisation, minibatches and sampling"),
    config.threads(),
    config.run_dir("output directory (default runs/tf1_dates/default); rerunning the same command resumes"),
    config.session_steps("stop with a checkpoint after this many training steps in this invocation "
                         "(0 = run to the end)"),
    config.restart(),
], checks=[_fractions_leave_training_data])

# What `load` hands the loop: the splits (+ a fixed training probe), valid dates per combination, split sizes.
Data = collections.namedtuple("Data", "splits counts sizes")


def load_splits(cfg):
    """The train/val/test splits and a fixed probe of 400 training combinations; bad data fails here."""
    if cfg.data == DEFAULT_DATA and not os.path.exists(cfg.data):
        # The default corpus is generated, not committed (0.3 s): make it on first use, e.g. in Docker.
        datagen.generate(os.path.dirname(cfg.data))
    splits = data.load_splits(cfg.data, cfg.val_frac, cfg.test_frac, cfg.seed)
    n_train = len(splits["train"].combos)
    if cfg.batch_size > n_train:
        raise config.ConfigError("config key 'batch_size' must be <= the %d training combinations of %s, got %d"
                                 % (n_train, cfg.data, cfg.batch_size))
    # A fixed subset of training combinations, scored like validation, shows the generalisation gap.
    rng = np.random.RandomState(cfg.seed)
    pick = rng.choice(n_train, min(400, n_train), replace=False)
    train = splits["train"]
    splits["train_probe"] = data.Split([train.combos[i] for i in pick], train.inputs[pick], train.dy_target[pick],
                                       train.tokens[pick], train.num_dates[pick])
    return splits


def evaluate_splits(sess, graph, splits, cfg, counts, names, step):
    """Sampled scores for the named non-empty splits -> flat dict 'metric/split'.

    The draws of split `name` at `step` are keyed by (seed, step, name): the same whenever they are made.
    """
    out = {}
    for name in names:
        if len(splits[name].combos) == 0:
            continue
        scores = sampling.score_split(sess, graph, splits[name], cfg.repeats, cfg.temperature, counts,
                                      key=(cfg.seed, step, sampling.STREAMS[name]))
        for key in ("all_four", "diversity", "expected_all_four", "worst_combo_all_four", "loss",
                    "loss_excess", "weekday", "month", "leap", "decade"):
            out["%s/%s" % (key, name)] = scores[key]
    return out


# The splits scored at every log point, as history names them ("train" is the fixed probe), and their legends.
CURVES = (("train", "train (probe)"), ("val", "validation"), ("test", "test"))
LOSS_PANEL = "loss (CE minus its floor, nats)"


def plot_curves(paths, history):
    """loss_curves.png: loss above its floor, all-four and diversity of the training probe, validation and test."""
    from common import plots  # deferred: predict.py reads this module's SCHEMA and needs no matplotlib
    curves = {}
    for metric, panel in (("loss_excess", LOSS_PANEL), ("all_four", "sampled all-four"),
                          ("diversity", "sampled diversity")):
        series = {label: tuple(history.series("%s/%s" % (metric, split))) for split, label in CURVES}
        series = {label: s for label, s in series.items() if s[0]}
        if series:
            curves[panel] = series
    if curves:
        plots.save_learning_curves(paths.path("loss_curves.png"), curves, title="tf1_dates training",
                                   xlabel="training step", logy=(LOSS_PANEL,))


class DatesTrainer(task.Trainer):
    """Adam on step-keyed minibatches of combinations; validation draws scored every `eval_every` steps."""

    module = "tf1_dates.train"
    schema = SCHEMA
    description = "Trains the conditional date generator (resumable; monitors sampled all-four and diversity)."
    smoke_args = ("--run-dir", "{tmp}/run", "--steps", "2", "--eval-every", "1", "--hidden", "8", "--repeats", "1")
    resume_args = ("--steps", "300", "--eval-every", "1", "--hidden", "16", "--threads", "1", "--repeats", "1")
    resume_step = 5
    invariants = {"dates": ("-m", "tf1_dates.train", "--run-dir", "{run}", "--steps", "20", "--eval-every", "10",
                            "--hidden", "64", "--threads", "1", "--repeats", "1")}
    loss_key = "loss/train_batch"
    diverge_args = ("--steps", "6", "--eval-every", "2", "--hidden", "8", "--repeats", "1", "--lr", "10",
                    "--threads", "1")
    data_flag = "--data"
    bad_data = (
        ("empty", b"", "holds no data lines"),
        ("binary", b"\x00\xff\xfe\x00garbage", "data:1: not UTF-8 text"),
        ("bom_only", b"\xef\xbb\xbf", "holds no data lines"),
        ("wrong_weekday", b"[THU] [JAN] [False] [180] 1-1-1800\n", "data:1: .*not a valid data line"),
        ("form_feed", b"[WED] [JAN] [False]\x0c[180] 1-1-1800\n", "data:1: .*not a valid data line"),
    )

    def load(self, cfg):
        splits = load_splits(cfg)
        counts = {c: len(v) for c, v in calendar_facts.valid_dates_by_combo().items()}
        return Data(splits, counts, {k: len(v.combos) for k, v in splits.items()})

    def trivial_loss(self, cfg):
        return (sum(math.log(tokenizer.OUTPUT_SIZES[head]) for head in model.HEADS),
                "a generator that guesses each of its %d outputs uniformly (%s choices)" % (
                    len(model.HEADS), " x ".join(str(tokenizer.OUTPUT_SIZES[head]) for head in model.HEADS)))

    def weights_dir(self, cfg):
        return os.path.join(self.run_dir(cfg), WEIGHTS)

    def build(self, cfg, data_):
        if cfg.restart:  # inside the run (lock held, checkpoints discarded): the discarded run's export goes too
            shutil.rmtree(self.weights_dir(cfg), ignore_errors=True)
        with tf.Graph().as_default():  # seeds python/numpy; the model graph gets its own seed
            training.seed_everything(cfg.seed)
        return model.build_train_graph(cfg, data_.splits["train"])

    def extra_savers(self, g):
        return tf.train.Saver(var_list=g.saver_vars, max_to_keep=1)  # the weights/ exporter

    def ckpt_every(self, cfg):
        return cfg.eval_every

    def begin(self, ctx):
        ctx.log("condition combinations: %s" % ", ".join("%s %d" % (split, ctx.data.sizes[split])
                                                            for split in ("train", "val", "test")
                                                            if split in ctx.data.sizes))

    def writer_graph(self, ctx):
        # The small inference graph: the training graph holds the data as constants (6k x 310 floats), which
        # would put ~16 MB into every event file.
        return model.build_sample_graph(ctx.cfg, ctx.cfg.seed).graph

    def step(self, ctx, step):
        g, cfg = ctx.g, ctx.cfg
        _, loss = ctx.sess.run([g.train_op, g.loss])
        if step % cfg.eval_every and step != cfg.steps:
            return None
        # loss/train_batch is this step's minibatch loss: a function of the step, like the rest.
        scalars = {"loss/train_batch": float(loss), "lr": float(ctx.sess.run(g.lr))}
        # The test combinations are scored too, for the curves only: nothing in training or in choosing the
        # recipe reads them, and their keyed draws leave the training trajectory as it is.
        scalars.update(evaluate_splits(ctx.sess, g, ctx.data.splits, cfg, ctx.data.counts,
                                       ["train_probe", "val", "test"], step))
        scalars = {k.replace("/train_probe", "/train"): v for k, v in scalars.items()}
        ctx.run.log(step, scalars)
        ctx.log("step %d %s" % (step, " ".join("%s=%.4f" % (k, scalars[k]) for k in sorted(scalars)
                                               if k.split("/")[0] in ("all_four", "diversity", "expected_all_four"))))
        # Diversity is undefined (NaN) while no draw meets all four conditions: not a divergence.
        return {k: v for k, v in scalars.items() if not k.startswith("diversity/")}

    def end(self, ctx):
        plot_curves(ctx.paths, ctx.history)  # once per invocation (TensorBoard has the live curves)

    def evaluate(self, ctx):
        final_step = int(ctx.sess.run(ctx.g.global_step))
        metrics = evaluate_splits(ctx.sess, ctx.g, ctx.data.splits, ctx.cfg, ctx.data.counts, SPLITS, final_step)
        metrics["steps"] = final_step
        sampling.save_weights(ctx.extra, ctx.sess, self.weights_dir(ctx.cfg), ctx.cfg)
        return metrics

    def finish(self, ctx, result):
        result.update({"train_seconds_this_session": ctx.seconds, "steps_this_session": ctx.steps_run,
                       "combos": ctx.data.sizes})
        ctx.log("weights for predict.py --weights: %s" % self.weights_dir(ctx.cfg))
        return result

    def summary(self, metrics):
        rows = []
        for metric, label in (("all_four", "all-four"), ("diversity", "diversity")):
            rows += [("%s, %s" % (label, split), metrics["%s/%s" % (metric, split)],
                      "(all %s combinations)" % split if split == "train" else "")
                     for split in SPLITS if "%s/%s" % (metric, split) in metrics]
        if "loss/test" in metrics:
            rows.append(("loss, test", metrics["loss/test"], "nats"))
        rows += [("steps", metrics["steps"], ""),
                 ("training time this invocation", metrics["train_seconds_this_session"], "s")]
        return rows


TRAINER = DatesTrainer()


def train(cfg, log=print):
    """Trains (or resumes) the run of `cfg`; the metrics, or None when it stopped early (it resumes)."""
    from common import loop
    return loop.train(TRAINER, cfg, log=log)


TASK = task.Task(
    "tf1_dates", "conditional generation of dates", seeds=("001",), trainers=[TRAINER],
    deliverables=[
        task.Deliverable("tf1_dates", "tf1_dates/dl_problem_report.pdf", "docs/deliverables/tf1_dates_dl_problem.md",
                         5, "001", "the dl_problem report (at most 5 pages): formulation, tokenization, loss, "
                                   "architecture, training curves, results, examples and failures"),
        task.Deliverable("tf1_dates", "tf1_dates/essay_answers.pdf", "docs/deliverables/tf1_dates_essay_answers.md",
                         1, "001", "the one-page answers to the two essay questions"),
    ],
    figure=("tf1_dates/figures/final_heldout_loss_curves.png",
            "training, validation and test curves of the held-out run (validation and test: 340 condition "
            "combinations each, never trained on)"),
    demo="tf1_dates.demo", bench="tf1_dates.bench",
    clis=("tf1_dates.predict", "tf1_dates.score", "tf1_dates.datagen", "tf1_dates.evaluate_weights"),
    report_section="tf1_dates.report:section",
    handin=task.Handin("dates", (("tf1_dates/dl_problem_report.pdf", "dl_problem_{name}.pdf"),
                                 ("tf1_dates/essay_answers.pdf", "essay_answers_{name}.pdf")),
                       code="dates_repository", zipped="dates_{name}.zip"),
)
