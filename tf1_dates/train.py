"""Trains the conditional date generator (resumable; monitors sampled all-four and diversity).

    python -m tf1_dates.train --run-dir runs/tf1_dates/final40k_heldout --threads 1
    python -m tf1_dates.train --run-dir runs/tf1_dates/final40k_full --val-frac 0 --test-frac 0 --threads 1

Validation and test hold out *whole condition combinations* (stratified by leap year and the [220]
decade), so their scores measure generalisation to condition sets the network never saw.
Every `eval_every` steps the validation combinations are each asked `repeats` times and the draws are
scored by score.py: the all-four rate and diversity are what we monitor, not token accuracy (many
answers are right; the exact expected all-four rate is logged too). Those draws are keyed by (seed, step,
split), so a stopped-and-resumed run logs exactly the numbers an uninterrupted one logs.

The run dir gets config.yaml, checkpoints/, history.json, TensorBoard events, loss_curves.png and, when the
run finishes, metrics.json and weights/ (generator + hparams.json, the layout of the committed
tf1_dates/weights/). `predict.py --weights RUN_DIR` loads the run's newest checkpoint, also of a stopped run.
"""
import os
import shutil
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, plots, run, training
from tf1_dates import calendar_facts, data, datagen, model, sampling

TASK = "tf1_dates"
DEFAULT_DATA = os.path.join("data", "dates", "data.txt")
WEIGHTS = "weights"  # the finished run's exported generator, inside the run dir


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
    config.session_steps(),
    config.restart(),
], checks=[_fractions_leave_training_data])


def _plot(paths, history):
    curves = {}
    series = {split: history.series("loss_excess/" + split) for split in ("train", "val")}
    series = {split: tuple(s) for split, s in series.items() if s[0]}
    if series:
        curves["loss (CE minus its floor)"] = series
    for metric in ("all_four", "diversity"):
        series = {split: tuple(history.series("%s/%s" % (metric, split))) for split in ("train", "val")}
        series = {split: s for split, s in series.items() if s[0]}
        if series:
            curves[metric] = series
    if curves:
        plots.save_learning_curves(paths.path("loss_curves.png"), curves, title="tf1_dates training",
                                   xlabel="step", logy=("loss (CE minus its floor)",))


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


def train(cfg, log=print):
    """Trains (or resumes) the run described by `cfg`.

    Returns:
      The final metrics (also in metrics.json), or None when the run stopped early (the same command resumes).
    """
    splits = load_splits(cfg)
    counts = {c: len(v) for c, v in calendar_facts.valid_dates_by_combo().items()}
    sizes = {k: len(v.combos) for k, v in splits.items()}
    run_dir = cfg.run_dir or run.default_run_dir(TASK, "default")
    with run.Run(cfg, run_dir, restart=cfg.restart, log=log) as r:
        weights_dir = r.paths.path(WEIGHTS)
        if cfg.restart:
            shutil.rmtree(weights_dir, ignore_errors=True)  # the discarded run's export
        log("combinations per split: %s" % sizes)
        with tf.Graph().as_default():  # seeds python/numpy; the model graph gets its own seed below
            training.seed_everything(cfg.seed)
        graph = model.build_train_graph(cfg, splits["train"])
        with graph.graph.as_default():
            r.make_checkpointer()
            exporter = tf.train.Saver(var_list=graph.saver_vars, max_to_keep=1)
        graph.graph.finalize()
        with tf.Session(graph=graph.graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, graph.init_op)
            # TensorBoard gets the small inference graph: the training graph holds the data as constants
            # (6k x 310 floats), which would put ~16 MB into every event file.
            r.open_writer(model.build_sample_graph(cfg, cfg.seed).graph)
            t0, trained = time.time(), 0
            for step in r.steps(sess, start, cfg.steps, cfg.eval_every):
                _, loss = sess.run([graph.train_op, graph.loss])
                trained += 1
                if step % cfg.eval_every == 0 or step == cfg.steps:
                    # loss/train_batch is this step's minibatch loss: a function of the step, like the rest.
                    scalars = {"loss/train_batch": float(loss), "lr": float(sess.run(graph.lr))}
                    scalars.update(evaluate_splits(sess, graph, splits, cfg, counts, ["train_probe", "val"], step))
                    scalars = {k.replace("/train_probe", "/train"): v for k, v in scalars.items()}
                    r.log(step, scalars)
                    log("step %d %s" % (step, " ".join(
                        "%s=%.4f" % (k, scalars[k]) for k in sorted(scalars)
                        if k.split("/")[0] in ("all_four", "diversity", "expected_all_four"))))
            seconds = time.time() - t0
            _plot(r.paths, r.history)  # once per invocation (TensorBoard has the live curves)
            if r.stopped:
                return None
            final_step = int(sess.run(graph.global_step))
            metrics = evaluate_splits(sess, graph, splits, cfg, counts, ["train", "val", "test"], final_step)
            metrics.update({"steps": final_step, "train_seconds_this_session": seconds,
                            "steps_this_session": trained, "combos": sizes})
            sampling.save_weights(exporter, sess, weights_dir, cfg)
        r.finish(metrics)
    log("\n".join("%s=%s" % (k, metrics[k]) for k in sorted(metrics)))
    log("run dir: %s (weights for predict.py --weights: %s)" % (run_dir, weights_dir))
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    return cli.done_or_stopped(train(cfg))


if __name__ == "__main__":
    sys.exit(main())
