"""Trains the conditional date generator (resumable; monitors sampled all-four and diversity).

    python -m tf1_dates.train --name final40k_heldout --threads 1   # -> runs/tf1_dates/final40k_heldout
    python -m tf1_dates.train --name final40k_full --val-frac 0 --test-frac 0 --threads 1 --export-dir DIR

Validation and test hold out *whole condition combinations* (stratified by leap year and the [220]
decade), so their scores measure generalisation to condition sets the network never saw.
Every `eval_every` steps the validation combinations are each asked `repeats` times and the draws are
scored by eval.py: the all-four rate and diversity are what we monitor, not token accuracy (many
answers are right; the exact expected all-four rate is logged too).
"""
import os
import logging
import sys
import time
from typing import Dict, List, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide TF 1.15 deprecation notices

from common import config, files, plots, training  # noqa: E402
from tf1_dates import calendar_facts, data, datagen, model, sampling  # noqa: E402

TASK = "tf1_dates"
DEFAULTS = {
    "name": "default",
    "run_dir": "",
    "data": os.path.join("data", "dates", "data.txt"),
    "hidden": 768,
    "layers": 2,
    "rank": 0,
    "periodic": False,
    "dropout": 0.0,
    "batch_size": 256,
    "lr": 1e-3,
    "lr_final_ratio": 0.1,
    "weight_decay": 0.0,
    "steps": 40000,
    "eval_every": 4000,
    "val_frac": 0.05,
    "test_frac": 0.05,
    "repeats": 5,
    "temperature": 1.0,
    "seed": 0,
    "threads": 2,
    "export_dir": "",
    "session_steps": 0,
}
HELP = {
    "name": "run name: runs/tf1_dates/<name>",
    "run_dir": "explicit run dir (overrides --name)",
    "data": "data.txt from `python -m tf1_dates.datagen`",
    "hidden": "MLP width", "layers": "MLP depth",
    "rank": "width of the optional multiplicative (trilinear) branch; 0 = off",
    "periodic": "sine activation in the first layer (experimental)",
    "dropout": "dropout on trunk features (stateful RNG: a resumed run is then not step-exact)",
    "batch_size": "combinations per step (each epoch visits every combination once: equal weights)",
    "lr": "Adam learning rate at step 0", "lr_final_ratio": "lr decays exponentially to lr*ratio at --steps",
    "weight_decay": "L2 on kernels", "steps": "total training steps",
    "eval_every": "steps between validation sampling rounds and checkpoints",
    "val_frac": "fraction of combinations held out for validation",
    "test_frac": "fraction of combinations held out for the final test",
    "repeats": "samples per combination when scoring", "temperature": "sampling temperature when scoring",
    "seed": "seed of splits, initialisation, minibatches and sampling", "threads": "TF intra/inter-op threads",
    "session_steps": "stop with a checkpoint after this many steps in this session (0 = run to --steps)",
    "export_dir": "also export the final generator weights + hparams.json here (e.g. tf1_dates/weights)",
}


def _history_path(paths):
    return paths.path("history.json")


def _log_point(history: Dict, step: int, scalars: Dict[str, float]):
    for key, value in scalars.items():
        history.setdefault(key, [[], []])
        history[key][0].append(int(step))
        history[key][1].append(float(value))


def _plot(paths, history: Dict):
    curves = {}
    if "loss/train" in history:
        curves["loss (CE minus its floor)"] = {
            split: tuple(history["loss_excess/" + split]) for split in ("train", "val")
            if "loss_excess/" + split in history}
    for metric in ("all_four", "diversity"):
        series = {split: tuple(history["%s/%s" % (metric, split)]) for split in ("train", "val")
                  if "%s/%s" % (metric, split) in history}
        if series:
            curves[metric] = series
    if curves:
        plots.save_learning_curves(paths.path("loss_curves.png"), curves, title="tf1_dates training",
                                   xlabel="step", logy=("loss (CE minus its floor)",))


def evaluate_splits(sess, graph, splits, cfg, counts, names: List[str]) -> Dict[str, float]:
    """Sampled scores for the named non-empty splits -> flat dict 'metric/split'."""
    out = {}
    for name in names:
        if len(splits[name].combos) == 0:
            continue
        scores = sampling.score_split(sess, graph, splits[name], cfg.repeats, cfg.temperature, counts)
        for key in ("all_four", "diversity", "expected_all_four", "worst_combo_all_four", "loss",
                    "loss_excess", "weekday", "month", "leap", "decade"):
            out["%s/%s" % (key, name)] = scores[key]
    return out


def run(cfg) -> Dict[str, float]:
    """Trains (or resumes) the run described by `cfg`; returns the final metrics."""
    run_dir = cfg.run_dir or training.default_run_dir(TASK, cfg.name)
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)
    if cfg.data == DEFAULTS["data"] and not os.path.exists(cfg.data):
        # The default corpus is generated, not committed (0.3 s): make it on first use, e.g. in Docker.
        datagen.generate(os.path.dirname(cfg.data))
    splits = data.load_splits(cfg.data, cfg.val_frac, cfg.test_frac, cfg.seed)
    counts = {c: len(v) for c, v in calendar_facts.valid_dates_by_combo().items()}
    # A fixed subset of training combinations, scored like validation, shows the generalisation gap.
    rng = np.random.RandomState(cfg.seed)
    pick = rng.choice(len(splits["train"].combos), min(400, len(splits["train"].combos)), replace=False)
    splits["train_probe"] = data.Split([splits["train"].combos[i] for i in pick], splits["train"].inputs[pick],
                                       splits["train"].dy_target[pick], splits["train"].tokens[pick],
                                       splits["train"].num_dates[pick])
    sizes = {k: len(v.combos) for k, v in splits.items()}
    print("combinations per split: %s" % sizes)

    with tf.Graph().as_default():  # seeds python/numpy; the model graph gets its own seed below
        training.seed_everything(cfg.seed)
    graph = model.build_train_graph(cfg, splits["train"])
    with graph.graph.as_default():
        ckpt = training.Checkpointer(paths.checkpoints)
        exporter = tf.train.Saver(var_list=graph.saver_vars, max_to_keep=1)
    graph.graph.finalize()
    history = files.read_json(_history_path(paths)) if os.path.exists(_history_path(paths)) else {}
    # TensorBoard gets the small inference graph: the training graph holds the data as constants
    # (6k x 310 floats), which would put ~16 MB into every event file.
    writer = training.summary_writer(paths.root, model.build_sample_graph(cfg, cfg.seed).graph)
    metrics = {}
    with tf.Session(graph=graph.graph, config=training.session_config(cfg.threads)) as sess:
        start = ckpt.restore_or_initialize(sess, graph.init_op)
        if start:
            print("resumed from step %d" % start)
        running, t0, trained = [], time.time(), 0
        with training.GracefulStop() as stop:
            for step in training.progress(range(start + 1, cfg.steps + 1), desc="train", initial=start,
                                          total=cfg.steps):
                _, loss = sess.run([graph.train_op, graph.loss])
                running.append(loss)
                trained += 1
                if step % cfg.eval_every == 0 or step == cfg.steps:
                    scalars = {"loss/train_batch": float(np.mean(running)), "lr": float(sess.run(graph.lr))}
                    scalars.update(evaluate_splits(sess, graph, splits, cfg, counts, ["train_probe", "val"]))
                    scalars = {k.replace("/train_probe", "/train"): v for k, v in scalars.items()}
                    running = []
                    training.add_scalars(writer, step, scalars)
                    _log_point(history, step, scalars)
                    ckpt.save(sess, step)
                    files.write_json(_history_path(paths), history)
                    _plot(paths, history)
                    tqdm_msg = " ".join("%s=%.4f" % (k, scalars[k]) for k in sorted(scalars)
                                        if k.split("/")[0] in ("all_four", "diversity", "expected_all_four"))
                    print("step %d %s" % (step, tqdm_msg), flush=True)
                if stop.requested or trained == cfg.session_steps:
                    ckpt.save(sess, step)
                    print("stopped at step %d; rerun the same command to resume" % step)
                    return {}
        seconds = time.time() - t0
        final = evaluate_splits(sess, graph, splits, cfg, counts, ["train", "val", "test"])
        metrics.update(final)
        metrics.update({"steps": int(sess.run(graph.global_step)), "train_seconds_this_session": seconds,
                        "steps_this_session": trained, "combos": sizes})
        if cfg.export_dir:
            os.makedirs(cfg.export_dir, exist_ok=True)
            exporter.save(sess, os.path.join(cfg.export_dir, "generator"), write_meta_graph=False,
                          write_state=False)
            sampling.save_hparams(cfg.export_dir, cfg)
            print("exported weights to %s" % cfg.export_dir)
    writer.close()
    files.write_json(paths.metrics, metrics)
    print("\n".join("%s=%s" % (k, metrics[k]) for k in sorted(metrics)))
    print("run dir: %s" % run_dir)
    return metrics


@config.exit_on_error
def main(argv: Optional[List[str]] = None) -> int:
    cfg = config.parse(DEFAULTS, argv, description=__doc__.split("\n")[0], help=HELP)
    try:
        run(cfg)
    except data.DataError as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
