"""Train the PropertyPredictor on synthetic Morse-energy systems or QM9: `python -m tf1_molecules.train --help`.

Synthetic (default): writes runs/tf1_molecules/<name>/{config.yaml, checkpoints/, events.*, history.json,
metrics.json, loss_curve.png, val_scatter.png}. QM9 (`--config tf1_molecules/configs/qm9.yaml`, i.e.
`--dataset qm9` with the QM9 settings): the same files with test-split errors (see `qm9_run.py`).
Stop it with Ctrl-C and run the same command again to resume.
"""
import collections
import logging
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import config, files, plots, training  # noqa: E402
from tf1_molecules import data, model  # noqa: E402

TASK = "tf1_molecules"

DEFAULTS = collections.OrderedDict([
    ("run_dir", ""),
    ("num_systems", 5000),
    ("val_fraction", 0.2),
    ("num_particles", 8),
    ("num_types", 2),
    ("box_size", 3.0),
    ("min_distance", 0.6),
    ("data_seed", 0),
    ("seed", 1),
    ("width", 32),
    ("num_blocks", 2),
    ("hidden_units", 128),
    ("residual", True),
    ("init", "spread"),
    ("batch_size", 64),
    ("steps", 6000),
    ("lr", 0.002),
    ("eval_every", 250),
    ("checkpoint_every", 1000),
    ("threads", 2),
    # QM9 (used when dataset is qm9; tf1_molecules/configs/qm9.yaml sets the QM9 values of the keys above)
    ("dataset", "synthetic"),
    ("data_path", "data/qm9/qm9.npz"),
    ("target", "u0_atomization"),
    ("train_size", 110000),
    ("val_size", 10000),
    ("split_seed", 0),
    ("expansion", "none"),
    ("cutoff", 0.0),
    ("num_centres", 64),
    ("table_size", 0),
    ("loss", "mse"),
    ("eval_molecules", 2000),
    ("shifted_softplus", False),
])

HELP = {
    "run_dir": "output directory (default runs/tf1_molecules/train)",
    "num_systems": "systems generated in total (train + validation)",
    "val_fraction": "share of systems held out for validation",
    "num_particles": "particles per system (N)",
    "num_types": "particle types = one-hot feature width (F)",
    "box_size": "side of the cube particles are drawn in",
    "min_distance": "minimum pair distance of generated systems",
    "data_seed": "seed of the synthetic data set and its split",
    "seed": "seed of initialisation and batch order",
    "width": "feature width inside the network",
    "num_blocks": "message passing + point-wise convolution blocks",
    "hidden_units": "hidden units of phi and psi (the seed says 128)",
    "residual": "add each block's output to its input",
    "init": "'spread' (phi kinks spread over the distances, zero readout) or 'glorot' (the first version)",
    "batch_size": "systems per training step",
    "steps": "total training steps (Adam, cosine-decayed learning rate)",
    "lr": "initial Adam learning rate",
    "eval_every": "steps between validation evaluations",
    "checkpoint_every": "steps between checkpoints",
    "threads": "TensorFlow intra/inter-op threads",
    "dataset": "'synthetic' (Morse point clouds made here) or 'qm9' (needs `make qm9`)",
    "data_path": "qm9: the npz written by `make qm9`",
    "target": "qm9: 'u0_atomization' (kcal/mol) or 'gap' (HOMO-LUMO gap, meV)",
    "train_size": "qm9: training molecules, the first ones of the fixed 110,000-molecule training split",
    "val_size": "qm9: validation molecules (test = the molecules after train 110,000 + validation)",
    "split_seed": "qm9: seed of the train / validation / test permutation",
    "expansion": "qm9: phi's input: 'none' (the distance, as in the exam) or 'gaussian' (num_centres Gaussians on [0, cutoff])",
    "cutoff": "qm9: cosine cutoff radius in Angstrom (0: none)",
    "num_centres": "qm9: Gaussians of the distance expansion",
    "table_size": "qm9: evaluate phi at this many distances in [0, cutoff] and interpolate (0: phi on every pair)",
    "loss": "qm9: 'mse' or 'mae' on the standardised target",
    "eval_molecules": "qm9: validation molecules evaluated every eval_every steps (all at the end)",
    "shifted_softplus": "qm9: softplus(x) - log 2 for every nonlinearity (same function class, centred activations)",
}

Graph = collections.namedtuple(
    "Graph", "graph, global_step, indices, train_op, loss, lr, val_energy, val_mae, val_rmse, init_op, checkpointer")


def make_data(cfg):
    """The seeded synthetic systems, split into (train, val)."""
    systems = data.generate(cfg.num_systems, cfg.num_particles, cfg.num_types, cfg.box_size,
                            cfg.min_distance, seed=cfg.data_seed)
    return data.split(systems, cfg.val_fraction, seed=cfg.data_seed)


def build_graph(cfg, train, val, checkpoint_dir):
    """Builds the whole training graph once.

    The data sets live in the graph as constants; the loop feeds only the (B,) batch indices, which
    are a pure function of the step (see `data.batch_indices`), so resumed runs see the same batches.
    """
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        mean, std = float(train.energy.mean()), float(train.energy.std())
        # Kept as variables so a checkpoint carries the units the network was trained in.
        with tf.variable_scope("target_stats"):
            target_mean = tf.get_variable("mean", initializer=tf.constant(mean), trainable=False)
            target_std = tf.get_variable("std", initializer=tf.constant(std), trainable=False)
        global_step = tf.train.get_or_create_global_step()
        predictor = model.PropertyPredictor(cfg.num_particles, cfg.num_types, 1, width=cfg.width,
                                            num_blocks=cfg.num_blocks, hidden_units=cfg.hidden_units,
                                            residual=cfg.residual, init=cfg.init)

        with tf.name_scope("train_input"):
            indices = tf.placeholder(tf.int32, [cfg.batch_size], name="batch_indices")
            r = tf.gather(tf.constant(train.positions), indices)         # (B, N, 3)
            f = tf.gather(tf.constant(train.features), indices)          # (B, N, F)
            y = tf.gather(tf.constant(train.energy), indices)            # (B,)
        pred = model.predict_energy(predictor, r, f, target_mean, target_std)
        with tf.name_scope("loss"):
            # MSE in standardised units keeps the loss scale independent of the energy units.
            loss = tf.reduce_mean(tf.square(pred.raw - (y - target_mean) / target_std))
        lr = tf.train.cosine_decay(cfg.lr, global_step, cfg.steps, alpha=0.05)
        train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=global_step,
                                                       var_list=predictor.trainable_variables)

        # Second connection of the same predictor: the validation set, all systems in one batch.
        with tf.name_scope("validation"):
            val_pred = model.predict_energy(predictor, tf.constant(val.positions), tf.constant(val.features),
                                            target_mean, target_std)
            err = val_pred.energy - tf.constant(val.energy)
            val_mae = tf.reduce_mean(tf.abs(err))
            val_rmse = tf.sqrt(tf.reduce_mean(tf.square(err)))
        init_op = tf.global_variables_initializer()
        checkpointer = training.Checkpointer(checkpoint_dir)
    graph.finalize()
    return Graph(graph, global_step, indices, train_op, loss, lr, val_pred.energy, val_mae, val_rmse,
                 init_op, checkpointer)


def baseline(train, val):
    """Validation errors of predicting the training mean for every system."""
    err = val.energy.astype(np.float64) - float(train.energy.mean())
    return {"baseline_val_mae": float(np.abs(err).mean()), "baseline_val_rmse": float(np.sqrt((err ** 2).mean()))}


def _load_history(path, upto_step):
    """History saved by an earlier (interrupted) run, cut at the restored step."""
    if not os.path.exists(path):
        return {"train_step": [], "train_loss": [], "val_step": [], "val_mae": [], "val_rmse": []}
    hist = files.read_json(path)
    keep_train = [k for k, s in enumerate(hist["train_step"]) if s <= upto_step]
    keep_val = [k for k, s in enumerate(hist["val_step"]) if s <= upto_step]
    return {"train_step": [hist["train_step"][k] for k in keep_train],
            "train_loss": [hist["train_loss"][k] for k in keep_train],
            "val_step": [hist["val_step"][k] for k in keep_val],
            "val_mae": [hist["val_mae"][k] for k in keep_val],
            "val_rmse": [hist["val_rmse"][k] for k in keep_val]}


def save_scatter(path, true, predicted, title):
    """Predicted vs true validation energies (the diagonal is a perfect predictor)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(true, predicted, s=4, alpha=0.5)
    lo, hi = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
    ax.plot([lo, hi], [lo, hi], "k--", linewidth=1)
    ax.set_xlabel("true energy")
    ax.set_ylabel("predicted energy")
    ax.set_title(title)
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=100)


def run(cfg, log=print, stop_at=None):
    """Trains (or resumes) the run described by `cfg`.

    Args:
      cfg: a Config with the keys of DEFAULTS.
      log: function taking one message string.
      stop_at: optional step at which to checkpoint and stop as if Ctrl-C had been pressed (tests use it
        to check that a resumed run equals an uninterrupted one).

    Returns:
      The metrics dict, or None when the run stopped early (resume it by running again).
    """
    run_dir = cfg.run_dir or training.default_run_dir(TASK, "train")
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)
    try:
        train, val = make_data(cfg)
        if cfg.batch_size > len(train.energy):
            raise ValueError("batch_size %d exceeds the %d training systems" % (cfg.batch_size, len(train.energy)))
    except ValueError as err:  # impossible data settings: report them like a bad flag (exit 2)
        raise config.ConfigError(str(err))
    g = build_graph(cfg, train, val, paths.checkpoints)
    history_path = paths.path("history.json")
    base = baseline(train, val)
    # Reference: linear least squares on pair-distance histograms, the target's true functional form.
    base["histogram_regression_val_mae"] = data.histogram_regression_mae(train, val, cfg.num_types)
    with tf.Session(graph=g.graph, config=training.session_config(cfg.threads)) as sess:
        start = g.checkpointer.restore_or_initialize(sess, g.init_op)
        if start:
            log("resumed from step %d in %s" % (start, paths.checkpoints))
        hist = _load_history(history_path, start)
        writer = training.summary_writer(paths.root, g.graph if start == 0 else None)
        losses, t0, stopped = [], time.time(), False
        with training.GracefulStop() as stop:
            bar = training.progress(range(start, cfg.steps), desc="train", initial=start, total=cfg.steps)
            for step in bar:
                idx = data.batch_indices(step, len(train.energy), cfg.batch_size, cfg.seed)
                _, loss_val = sess.run([g.train_op, g.loss], {g.indices: idx})
                if not np.isfinite(loss_val):
                    raise FloatingPointError("loss became %r at step %d" % (loss_val, step))
                losses.append(loss_val)
                done = step + 1
                if done % cfg.eval_every == 0 or done == cfg.steps:
                    mae, rmse = sess.run([g.val_mae, g.val_rmse])
                    mean_loss = float(np.mean(losses))
                    losses = []
                    hist["train_step"].append(done)
                    hist["train_loss"].append(mean_loss)
                    hist["val_step"].append(done)
                    hist["val_mae"].append(float(mae))
                    hist["val_rmse"].append(float(rmse))
                    training.add_scalars(writer, done, {"loss/train_standardised_mse": mean_loss,
                                                        "val/mae": mae, "val/rmse": rmse,
                                                        "lr": sess.run(g.lr)})
                    files.write_json(history_path, hist)
                    bar.set_postfix(loss="%.4f" % mean_loss, val_mae="%.3f" % mae)
                if done % cfg.checkpoint_every == 0 and done != cfg.steps:
                    g.checkpointer.save(sess, done)
                if stop.requested or done == stop_at:
                    g.checkpointer.save(sess, done)
                    files.write_json(history_path, hist)
                    stopped = True
                    break
        elapsed = time.time() - t0
        final_step = sess.run(g.global_step)
        if stopped:
            writer.close()
            log("stopped at step %d; run the same command to resume" % final_step)
            return None
        g.checkpointer.save(sess, final_step)
        mae, rmse, val_energy = sess.run([g.val_mae, g.val_rmse, g.val_energy])
        writer.close()
    steps_run = final_step - start
    metrics = dict(base)
    metrics.update({
        "val_mae": float(mae), "val_rmse": float(rmse),
        "val_mae_over_baseline": float(mae) / base["baseline_val_mae"],
        "final_train_loss_standardised": hist["train_loss"][-1] if hist["train_loss"] else None,
        "steps": int(final_step), "num_train": len(train.energy), "num_val": len(val.energy),
        "train_steps_per_sec_this_session": steps_run / elapsed if steps_run > 0 and elapsed > 0 else None,
    })
    files.write_json(paths.metrics, metrics)
    plots.save_curves(paths.path("loss_curve.png"), {
        "val MAE": (hist["val_step"], hist["val_mae"]),
        "val RMSE": (hist["val_step"], hist["val_rmse"]),
        "baseline val MAE (predict mean)": ([0, final_step], [base["baseline_val_mae"]] * 2),
        "baseline val RMSE (predict mean)": ([0, final_step], [base["baseline_val_rmse"]] * 2),
        "reference val MAE (histogram regression)": ([0, final_step], [base["histogram_regression_val_mae"]] * 2),
    }, title="Morse-energy systems: validation error", xlabel="step", ylabel="energy error", logy=True)
    plots.save_curves(paths.path("train_loss.png"), {"train MSE (standardised)": (hist["train_step"],
                                                                                  hist["train_loss"])},
                      title="training loss", xlabel="step", ylabel="MSE", logy=True)
    save_scatter(paths.path("val_scatter.png"), val.energy, val_energy,
                 "validation: MAE %.3f (mean baseline %.3f)" % (mae, base["baseline_val_mae"]))
    log("val MAE %.4f  RMSE %.4f  | predict-the-mean baseline MAE %.4f  RMSE %.4f | histogram regression MAE %.4f"
        % (mae, rmse, base["baseline_val_mae"], base["baseline_val_rmse"], base["histogram_regression_val_mae"]))
    log("outputs in %s (metrics.json, loss_curve.png, train_loss.png, val_scatter.png, checkpoints/)" % run_dir)
    return metrics


@config.exit_on_error
def main(argv=None):
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # TF 1.15's deprecation chatter
    cfg = config.parse(DEFAULTS, argv, description=__doc__.split("\n")[0], help=HELP)
    if cfg.dataset == "qm9":
        from tf1_molecules import qm9_run
        return qm9_run.main(cfg)
    if cfg.dataset != "synthetic":
        raise config.ConfigError("dataset must be 'synthetic' or 'qm9', got %r" % (cfg.dataset,))
    run(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
