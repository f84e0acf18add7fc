"""The QM9 run of `python -m tf1_molecules.train --dataset qm9`: data, a thin training loop, test errors.

Run dir (default runs/tf1_molecules/qm9_<target>_<training molecules>): config.yaml, checkpoints/, events.*,
history.json, metrics.json (test and validation MAE in kcal/mol and meV, baselines, CPU seconds),
loss_curve.png, test_scatter.png. Stop with Ctrl-C; the same command resumes from the last checkpoint.
"""
import time

import numpy as np
import tensorflow as tf

from common import config, plots, training
from common import run as run_lib
from tf1_molecules import qm9, qm9_graph

TASK = "tf1_molecules"


def train_size(cfg):
    """Training molecules of the run: num_train, 0 meaning the whole 110,000-molecule training split."""
    return cfg.num_train or 110000


def prepare(cfg):
    """Loads QM9 and returns ((train, val, test), (y_train, y_val, y_test), standardiser) for cfg."""
    try:
        molecules = qm9.load(cfg.data_path)
    except qm9.DataError as err:
        raise config.ConfigError(str(err))
    try:
        split = qm9.split_indices(len(molecules.num_atoms), 110000, cfg.num_val, cfg.split_seed, train_size(cfg))
    except ValueError as err:
        raise config.ConfigError(str(err))
    y = qm9.target_values(molecules, cfg.target)
    parts = [qm9.subset(molecules, idx) for idx in split]
    ys = [y[idx] for idx in split]
    standardiser = qm9.Standardiser(qm9.TARGETS[cfg.target].standardise, parts[0], ys[0])
    return parts, ys, standardiser


def errors_in_units(target, predicted, true):
    """MAE / RMSE in the target's unit plus the other common units (kcal/mol and meV for energies)."""
    err = np.asarray(predicted, np.float64) - true
    unit = qm9.TARGETS[target].unit
    mae, rmse = float(np.abs(err).mean()), float(np.sqrt((err ** 2).mean()))
    to_mev = {"kcal/mol": 1000.0 * qm9.HARTREE_TO_EV / qm9.HARTREE_TO_KCAL_MOL, "meV": 1.0}[unit]
    return {"mae_meV": mae * to_mev, "mae_kcal_mol": mae * to_mev / (1000.0 * qm9.HARTREE_TO_EV /
                                                                     qm9.HARTREE_TO_KCAL_MOL),
            "rmse_meV": rmse * to_mev}


def run(cfg, log=print):
    """Trains (or resumes) a QM9 run; returns metrics, or None when stopped early (the same command resumes)."""
    (train, val, test), (y_train, y_val, y_test), standardiser = prepare(cfg)
    config.require(cfg.batch_size <= len(y_train), "batch_size %d exceeds the %d training molecules"
                   % (cfg.batch_size, len(y_train)))
    run_dir = cfg.run_dir or run_lib.default_run_dir(TASK, "qm9_%s_%d" % (cfg.target, train_size(cfg)))
    target_std = standardiser.forward(train, y_train)
    batches = qm9.SizeBatches(train.num_atoms, cfg.batch_size, cfg.seed)
    val_probe = qm9.subset(val, np.arange(min(cfg.eval_molecules, len(y_val))))
    y_probe = y_val[:len(val_probe.num_atoms)]
    unit = qm9.TARGETS[cfg.target].unit
    key = "mae_kcal_mol" if unit == "kcal/mol" else "mae_meV"
    with run_lib.Run(cfg, run_dir, restart=cfg.restart, log=log) as r:
        g = qm9_graph.build_graph(cfg.seed, cfg.steps, cfg.lr, cfg.loss, width=cfg.width,
                                  num_blocks=cfg.num_blocks, hidden_units=cfg.hidden,
                                  expansion=None if cfg.expansion == "none" else cfg.expansion,
                                  cutoff=cfg.cutoff or None, num_centres=cfg.num_centres,
                                  table_size=cfg.table_size or None, shifted=cfg.shifted_softplus)
        with g.graph.as_default():
            r.make_checkpointer()
        g.graph.finalize()
        with tf.Session(graph=g.graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, g.init_op)
            r.open_writer(g.graph)
            cpu_before = r.history.last("cpu_seconds", 0.0)  # CPU time of earlier invocations (history is cut)
            losses, t0, c0 = [], time.time(), time.process_time()
            for step in r.steps(sess, start, cfg.steps, cfg.ckpt_every):
                _, loss = sess.run([g.train_op, g.loss], qm9_graph.feed(g, train, batches(step - 1), target_std))
                if not np.isfinite(loss):
                    raise FloatingPointError("loss became %r at step %d" % (loss, step))
                losses.append(loss)
                if step % cfg.eval_every == 0 or step == cfg.steps or step % cfg.ckpt_every == 0:
                    pred = standardiser.inverse(val_probe, qm9_graph.predict(sess, g, val_probe))
                    mae = float(np.abs(pred - y_probe).mean())
                    r.log(step, {"loss/train_standardised": float(np.mean(losses)), "val/mae": mae,
                                 "lr": float(sess.run(g.lr)), "cpu_seconds": cpu_before + time.process_time() - c0})
                    losses = []
                    log("step %d  train loss %.4f  val MAE (%d molecules) %.3f %s"
                        % (step, r.history.last("loss/train_standardised"), len(val_probe.num_atoms), mae, unit))
            cpu = cpu_before + time.process_time() - c0
            final_step = int(sess.run(g.global_step))
            if r.stopped:
                return None
            c1 = time.time()
            val_pred = standardiser.inverse(val, qm9_graph.predict(sess, g, val))
            test_pred = standardiser.inverse(test, qm9_graph.predict(sess, g, test))
            infer_seconds = time.time() - c1
        w, b = qm9.dressed_atom_fit(qm9.element_counts(train), y_train)
        metrics = {
            "dataset": "qm9", "target": cfg.target, "unit": unit, "steps": final_step,
            "num_train": len(y_train), "num_val": len(y_val), "num_test": len(y_test),
            "test": errors_in_units(cfg.target, test_pred, y_test),
            "val": errors_in_units(cfg.target, val_pred, y_val),
            "baseline_test_mean": errors_in_units(cfg.target, np.full(len(y_test), y_train.mean()), y_test),
            "baseline_test_dressed_atom": errors_in_units(cfg.target, qm9.element_counts(test) @ w + b, y_test),
            "standardiser": standardiser.to_dict(), "parameters": g.num_parameters,
            "cpu_seconds_training": cpu, "threads": cfg.threads, "batch_size": cfg.batch_size,
            "train_wall_seconds_this_session": c1 - t0,
            "inference_molecules_per_sec_final_eval": (len(y_val) + len(y_test)) / infer_seconds,
        }
        np.savez(r.paths.path("test_predictions.npz"), index=test.index, true=y_test, predicted=test_pred)
        steps_v, maes = r.history.series("val/mae")
        plots.save_curves(r.paths.path("loss_curve.png"), {
            "val MAE (%d molecules)" % len(val_probe.num_atoms): (steps_v, maes),
            "test MAE, dressed atoms": ([0, final_step], [metrics["baseline_test_dressed_atom"][key]] * 2),
        }, title="QM9 %s, %d training molecules" % (cfg.target, len(y_train)), xlabel="step",
            ylabel="MAE (%s)" % unit, logy=True)
        from tf1_molecules import train as train_module  # the synthetic run's scatter plot, reused
        train_module.save_scatter(r.paths.path("test_scatter.png"), y_test, test_pred,
                                  "QM9 test: MAE %.3f %s" % (metrics["test"][key], unit))
        r.finish(metrics)
    log("test MAE %.3f %s (%.1f meV)  | dressed atoms %.3f, predict the mean %.3f  | %d steps, %.0f CPU s"
        % (metrics["test"][key], unit, metrics["test"]["mae_meV"], metrics["baseline_test_dressed_atom"][key],
           metrics["baseline_test_mean"][key], final_step, cpu))
    log("outputs in %s" % run_dir)
    return metrics
