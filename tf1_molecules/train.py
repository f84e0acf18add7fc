"""Train the PropertyPredictor on synthetic Morse-energy systems or QM9: `python -m tf1_molecules.train --help`.

Synthetic (default): writes runs/tf1_molecules/<name>/{config.yaml, checkpoints/, events.*, history.json,
metrics.json, loss_curve.png, val_scatter.png}. QM9 (`--config tf1_molecules/configs/qm9.yaml`, i.e.
`--dataset qm9` with the QM9 settings): the same files with test-split errors (see `qm9_run.py`).
Stop it with Ctrl-C and run the same command again to resume.
"""
import collections
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, plots, training
from common import run as run_lib
from tf1_molecules import data, model

TASK = "tf1_molecules"
SCHEMA = config.Schema([
    config.Key("dataset", "synthetic", "'synthetic' (Morse point clouds made here) or 'qm9' (needs `make qm9`)",
               choices=("synthetic", "qm9")),
    config.Key("num_systems", 5000, "synthetic: systems generated in total (train + validation)", ge=2),
    config.val_frac(0.2, "synthetic: share of systems held out for validation"),
    config.Key("num_particles", 8, "synthetic: particles per system (N)", ge=2),
    config.Key("num_types", 2, "synthetic: particle types = one-hot feature width (F)", ge=1),
    config.Key("box_size", 3.0, "synthetic: side of the cube particles are drawn in", gt=0.0),
    config.Key("min_distance", 0.6, "synthetic: minimum pair distance of generated systems", ge=0.0),
    config.Key("data_seed", 0, "synthetic: seed of the data set and its split", ge=0),
    config.seed(1, "seed of initialisation and batch order"),
    config.Key("width", 32, "feature width inside the network", ge=1),
    config.Key("num_blocks", 2, "message passing + point-wise convolution blocks", ge=1),
    config.hidden(128, "hidden units of phi and psi (the seed says 128)"),
    config.Key("residual", True, "add each block's output to its input"),
    config.Key("init", "spread", "'spread' (phi kinks spread over the distances, zero readout) or 'glorot' "
               "(the first version)", choices=("spread", "glorot")),
    config.batch_size(64, "systems per training step"),
    config.steps(6000, "total training steps (Adam, cosine-decayed learning rate)"),
    config.lr(0.002, "initial Adam learning rate"),
    config.eval_every(250, "steps between validation evaluations"),
    config.ckpt_every(1000),
    config.threads(2),
    # QM9 (dataset qm9; tf1_molecules/configs/qm9.yaml sets the QM9 values of the keys above)
    config.Key("data_path", "data/qm9/qm9.npz", "qm9: the npz written by `make qm9`"),
    config.Key("target", "u0_atomization", "qm9: U0 atomization energy (kcal/mol) or the HOMO-LUMO gap (meV)",
               choices=("u0_atomization", "gap")),
    config.num_train(0, "qm9: use only the first N molecules of the fixed 110,000-molecule training split (0 = all)"),
    config.Key("num_val", 10000, "qm9: validation molecules (test: the molecules after train 110,000 + these)",
               ge=1, le=20000),
    config.Key("split_seed", 0, "qm9: seed of the train / validation / test permutation", ge=0),
    config.Key("expansion", "none", "qm9: phi's input, the distance (as in the exam) or num_centres Gaussians "
               "on [0, cutoff]", choices=("none", "gaussian")),
    config.Key("cutoff", 0.0, "qm9: cosine cutoff radius in Angstrom (0: none)", ge=0.0),
    config.Key("num_centres", 64, "qm9: Gaussians of the distance expansion", ge=2),
    config.Key("table_size", 0, "qm9: evaluate phi at this many distances in [0, cutoff] and interpolate "
               "(0: phi on every pair)", ge=0),
    config.Key("loss", "mse", "qm9: loss on the standardised target", choices=("mse", "mae")),
    config.Key("eval_molecules", 2000, "qm9: validation molecules evaluated every eval_every steps (all at the end)",
               ge=1),
    config.Key("shifted_softplus", False, "qm9: softplus(x) - log 2 for every nonlinearity (same function "
               "class, centred activations)"),
    config.run_dir("output directory (default runs/tf1_molecules/train, or qm9_<target>_<size> for QM9); "
                   "rerunning the same command resumes"),
    config.session_steps(),
    config.restart(),
], checks=[
    lambda cfg: config.require(cfg.num_train <= 110000, "num_train must be <= 110000 (the training split), got %d"
                               % cfg.num_train),
    lambda cfg: config.require(not (cfg.expansion == "gaussian" or cfg.table_size) or cfg.cutoff > 0,
                               "expansion 'gaussian' and table_size need cutoff > 0"),
    lambda cfg: config.require(cfg.table_size != 1, "table_size must be 0 or >= 2"),
])

Graph = collections.namedtuple(
    "Graph", "graph, global_step, indices, train_op, loss, lr, val_energy, val_mae, val_rmse, init_op")


def make_data(cfg):
    """The seeded synthetic systems, split into (train, val)."""
    systems = data.generate(cfg.num_systems, cfg.num_particles, cfg.num_types, cfg.box_size,
                            cfg.min_distance, seed=cfg.data_seed)
    return data.split(systems, cfg.val_frac, seed=cfg.data_seed)


def build_graph(cfg, train, val):
    """Builds the whole training graph once (the caller adds the checkpointer and finalizes it).

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
                                            num_blocks=cfg.num_blocks, hidden_units=cfg.hidden,
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
    return Graph(graph, global_step, indices, train_op, loss, lr, val_pred.energy, val_mae, val_rmse, init_op)


def baseline(train, val):
    """Validation errors of predicting the training mean for every system."""
    err = val.energy.astype(np.float64) - float(train.energy.mean())
    return {"baseline_val_mae": float(np.abs(err).mean()), "baseline_val_rmse": float(np.sqrt((err ** 2).mean()))}


def save_scatter(path, true, predicted, title):
    """Predicted vs true energies (the diagonal is a perfect predictor)."""
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


def run(cfg, log=print):
    """Trains (or resumes) the synthetic run described by `cfg` (a SCHEMA Config).

    Returns:
      The metrics dict, or None when the run stopped early (Ctrl-C, SIGTERM or `session_steps`; the same
      command resumes it).
    """
    if cfg.dataset == "qm9":
        from tf1_molecules import qm9_run  # only QM9 runs load the QM9 modules
        return qm9_run.run(cfg, log=log)
    try:
        train, val = make_data(cfg)
        config.require(cfg.batch_size <= len(train.energy), "batch_size %d exceeds the %d training systems"
                       % (cfg.batch_size, len(train.energy)))
    except ValueError as err:  # impossible data settings: report them like a bad flag (exit 2)
        raise config.ConfigError(str(err))
    base = baseline(train, val)
    # Reference: linear least squares on pair-distance histograms, the target's true functional form.
    base["histogram_regression_val_mae"] = data.histogram_regression_mae(train, val, cfg.num_types)
    run_dir = cfg.run_dir or run_lib.default_run_dir(TASK, "train")
    with run_lib.Run(cfg, run_dir, restart=cfg.restart, log=log) as r:
        g = build_graph(cfg, train, val)
        with g.graph.as_default():
            r.make_checkpointer()
        g.graph.finalize()
        with tf.Session(graph=g.graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, g.init_op)
            r.open_writer(g.graph)
            losses, t0 = [], time.time()
            for step in r.steps(sess, start, cfg.steps, cfg.ckpt_every):
                idx = data.batch_indices(step - 1, len(train.energy), cfg.batch_size, cfg.seed)
                _, loss_val = sess.run([g.train_op, g.loss], {g.indices: idx})
                if not np.isfinite(loss_val):
                    raise FloatingPointError("loss became %r at step %d" % (loss_val, step))
                losses.append(loss_val)
                if step % cfg.eval_every == 0 or step == cfg.steps:
                    mae, rmse = sess.run([g.val_mae, g.val_rmse])
                    r.log(step, {"loss/train_standardised_mse": float(np.mean(losses)), "val/mae": float(mae),
                                 "val/rmse": float(rmse), "lr": float(sess.run(g.lr))})
                    r.progress.set_postfix(loss="%.4f" % np.mean(losses), val_mae="%.3f" % mae)
                    losses = []
            elapsed = time.time() - t0
            final_step = int(sess.run(g.global_step))
            if r.stopped:
                return None
            mae, rmse, val_energy = sess.run([g.val_mae, g.val_rmse, g.val_energy])
        steps_run = final_step - start
        val_steps, val_maes = r.history.series("val/mae")
        _, val_rmses = r.history.series("val/rmse")
        train_steps, train_losses = r.history.series("loss/train_standardised_mse")
        metrics = dict(base)
        metrics.update({
            "val_mae": float(mae), "val_rmse": float(rmse),
            "val_mae_over_baseline": float(mae) / base["baseline_val_mae"],
            "final_train_loss_standardised": train_losses[-1] if train_losses else None,
            "steps": final_step, "num_train": len(train.energy), "num_val": len(val.energy),
            "train_steps_per_sec_this_session": steps_run / elapsed if steps_run > 0 and elapsed > 0 else None,
        })
        plots.save_curves(r.paths.path("loss_curve.png"), {
            "val MAE": (val_steps, val_maes),
            "val RMSE": (val_steps, val_rmses),
            "baseline val MAE (predict mean)": ([0, final_step], [base["baseline_val_mae"]] * 2),
            "baseline val RMSE (predict mean)": ([0, final_step], [base["baseline_val_rmse"]] * 2),
            "reference val MAE (histogram regression)": ([0, final_step], [base["histogram_regression_val_mae"]] * 2),
        }, title="Morse-energy systems: validation error", xlabel="step", ylabel="energy error", logy=True)
        plots.save_curves(r.paths.path("train_loss.png"), {"train MSE (standardised)": (train_steps, train_losses)},
                          title="training loss", xlabel="step", ylabel="MSE", logy=True)
        save_scatter(r.paths.path("val_scatter.png"), val.energy, val_energy,
                     "validation: MAE %.3f (mean baseline %.3f)" % (mae, base["baseline_val_mae"]))
        r.finish(metrics)
    log("val MAE %.4f  RMSE %.4f  | predict-the-mean baseline MAE %.4f  RMSE %.4f | histogram regression MAE %.4f"
        % (mae, rmse, base["baseline_val_mae"], base["baseline_val_rmse"], base["histogram_regression_val_mae"]))
    log("outputs in %s (metrics.json, loss_curve.png, train_loss.png, val_scatter.png, checkpoints/)" % run_dir)
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    return cli.done_or_stopped(run(cfg))


if __name__ == "__main__":
    sys.exit(main())
