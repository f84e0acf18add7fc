"""The QM9 run of `python -m tf1_molecules.train --dataset qm9`: data, a thin training loop, test errors.

Run dir (default runs/tf1_molecules/qm9_<target>_<train_size>): config.yaml, checkpoints/, events.*,
history.json, metrics.json (test and validation MAE in kcal/mol and meV, baselines, CPU seconds),
loss_curve.png, test_scatter.png. Stop with Ctrl-C; the same command resumes from the last checkpoint.
"""
import os
import time

import numpy as np
import tensorflow as tf

from common import config, files, plots, training
from tf1_molecules import qm9, qm9_graph

TASK = "tf1_molecules"


def prepare(cfg):
    """Loads QM9 and returns (train, val, test, standardiser, y dict) for cfg's target and split."""
    if cfg.target not in qm9.TARGETS:
        raise config.ConfigError("target must be one of %s, got %r" % (", ".join(qm9.TARGETS), cfg.target))
    for key, choices in (("expansion", ("none", "gaussian")), ("loss", ("mse", "mae"))):
        if cfg[key] not in choices:
            raise config.ConfigError("%s must be one of %s, got %r" % (key, ", ".join(choices), cfg[key]))
    if cfg.expansion == "gaussian" or cfg.table_size:
        if cfg.cutoff <= 0:
            raise config.ConfigError("expansion 'gaussian' and table_size need cutoff > 0, got %r" % cfg.cutoff)
    try:
        molecules = qm9.load(cfg.data_path)
    except qm9.DataError as err:
        raise config.ConfigError(str(err))
    try:
        split = qm9.split_indices(len(molecules.num_atoms), 110000, cfg.val_size, cfg.split_seed, cfg.train_size)
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


def run(cfg, log=print, stop_at=None):
    """Trains (or resumes) a QM9 run; returns metrics, or None when stopped early."""
    run_dir = cfg.run_dir or training.default_run_dir(TASK, "qm9_%s_%d" % (cfg.target, cfg.train_size))
    (train, val, test), (y_train, y_val, y_test), standardiser = prepare(cfg)
    if cfg.batch_size > len(y_train):
        raise config.ConfigError("batch_size %d exceeds the %d training molecules" % (cfg.batch_size, len(y_train)))
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)
    target_std = standardiser.forward(train, y_train)
    g = qm9_graph.build_graph(cfg.seed, cfg.steps, cfg.lr, cfg.loss, paths.checkpoints, width=cfg.width,
                              num_blocks=cfg.num_blocks, hidden_units=cfg.hidden_units,
                              expansion=None if cfg.expansion == "none" else cfg.expansion,
                              cutoff=cfg.cutoff or None, num_centres=cfg.num_centres,
                              table_size=cfg.table_size or None, shifted=cfg.shifted_softplus)
    batches = qm9.SizeBatches(train.num_atoms, cfg.batch_size, cfg.seed)
    val_probe = qm9.subset(val, np.arange(min(cfg.eval_molecules, len(y_val))))
    unit = qm9.TARGETS[cfg.target].unit
    history_path = paths.path("history.json")
    with tf.Session(graph=g.graph, config=training.session_config(cfg.threads)) as sess:
        start = g.checkpointer.restore_or_initialize(sess, g.init_op)
        if start:
            log("resumed from step %d in %s" % (start, paths.checkpoints))
        hist = files.read_json(history_path) if start and os.path.exists(history_path) else {}
        hist = {k: [row for row in hist.get(k, []) if row[0] <= start] for k in ("train_loss", "val_mae")}
        cpu_before = _cpu_seconds_so_far(paths, start)
        writer = training.summary_writer(paths.root, g.graph if start == 0 else None)
        losses, t0, c0, stopped = [], time.time(), time.process_time(), False
        with training.GracefulStop() as stop:
            bar = training.progress(range(start, cfg.steps), desc="train", initial=start, total=cfg.steps)
            for step in bar:
                _, loss = sess.run([g.train_op, g.loss], qm9_graph.feed(g, train, batches(step), target_std))
                if not np.isfinite(loss):
                    raise FloatingPointError("loss became %r at step %d" % (loss, step))
                losses.append(loss)
                done = step + 1
                if done % cfg.eval_every == 0 or done == cfg.steps:
                    pred = standardiser.inverse(val_probe, qm9_graph.predict(sess, g, val_probe))
                    mae = float(np.abs(pred - val_probe_y(val_probe, y_val)).mean())
                    hist["train_loss"].append([done, float(np.mean(losses))])
                    hist["val_mae"].append([done, mae])
                    losses = []
                    training.add_scalars(writer, done, {"loss/train_standardised": hist["train_loss"][-1][1],
                                                        "val/mae": mae, "lr": sess.run(g.lr)})
                    bar.set_postfix(loss="%.4f" % hist["train_loss"][-1][1], val_mae="%.3f" % mae)
                    log("step %d  train loss %.4f  val MAE (%d molecules) %.3f %s"
                        % (done, hist["train_loss"][-1][1], len(val_probe.num_atoms), mae, unit))
                if (done % cfg.checkpoint_every == 0 and done != cfg.steps) or stop.requested or done == stop_at:
                    _save(sess, g, done, paths, hist, cpu_before + time.process_time() - c0)
                if stop.requested or done == stop_at:
                    stopped = True
                    break
        final_step = int(sess.run(g.global_step))
        cpu = cpu_before + time.process_time() - c0
        if stopped:
            writer.close()
            log("stopped at step %d; run the same command to resume" % final_step)
            return None
        _save(sess, g, final_step, paths, hist, cpu)
        c1 = time.time()
        val_pred = standardiser.inverse(val, qm9_graph.predict(sess, g, val))
        test_pred = standardiser.inverse(test, qm9_graph.predict(sess, g, test))
        infer_seconds = time.time() - c1
        writer.close()
    counts_test = qm9.element_counts(test)
    w, b = qm9.dressed_atom_fit(qm9.element_counts(train), y_train)
    metrics = {
        "dataset": "qm9", "target": cfg.target, "unit": unit, "steps": final_step,
        "num_train": len(y_train), "num_val": len(y_val), "num_test": len(y_test),
        "test": errors_in_units(cfg.target, test_pred, y_test),
        "val": errors_in_units(cfg.target, val_pred, y_val),
        "baseline_test_mean": errors_in_units(cfg.target, np.full(len(y_test), y_train.mean()), y_test),
        "baseline_test_dressed_atom": errors_in_units(cfg.target, counts_test @ w + b, y_test),
        "standardiser": standardiser.to_dict(), "parameters": g.num_parameters,
        "cpu_seconds_training": cpu, "threads": cfg.threads, "batch_size": cfg.batch_size,
        "train_wall_seconds_this_session": time.time() - t0 - infer_seconds,
        "inference_molecules_per_sec_final_eval": (len(y_val) + len(y_test)) / infer_seconds,
    }
    files.write_json(paths.metrics, metrics)
    np.savez(paths.path("test_predictions.npz"), index=test.index, true=y_test, predicted=test_pred)
    key = "mae_kcal_mol" if unit == "kcal/mol" else "mae_meV"
    steps_v = [row[0] for row in hist["val_mae"]]
    plots.save_curves(paths.path("loss_curve.png"), {
        "val MAE (%d molecules)" % len(val_probe.num_atoms): (steps_v, [row[1] for row in hist["val_mae"]]),
        "test MAE, dressed atoms": ([0, final_step], [metrics["baseline_test_dressed_atom"][key]] * 2),
    }, title="QM9 %s, %d training molecules" % (cfg.target, len(y_train)), xlabel="step",
        ylabel="MAE (%s)" % unit, logy=True)
    from tf1_molecules import train as train_module  # the synthetic run's scatter plot, reused
    train_module.save_scatter(paths.path("test_scatter.png"), y_test, test_pred,
                              "QM9 test: MAE %.3f %s" % (metrics["test"][key], unit))
    log("test MAE %.3f %s (%.1f meV)  | dressed atoms %.3f, predict the mean %.3f  | %d steps, %.0f CPU s"
        % (metrics["test"][key], unit, metrics["test"]["mae_meV"], metrics["baseline_test_dressed_atom"][key],
           metrics["baseline_test_mean"][key], final_step, cpu))
    log("outputs in %s" % run_dir)
    return metrics


def val_probe_y(val_probe, y_val):
    return y_val[:len(val_probe.num_atoms)]


def _cpu_seconds_so_far(paths, start):
    """CPU seconds spent before this session (kept beside the checkpoints), 0 for a fresh run."""
    path = paths.path("cpu_seconds.json")
    if not start or not os.path.exists(path):
        return 0.0
    return float(files.read_json(path).get(str(start), 0.0))


def _save(sess, g, step, paths, hist, cpu):
    g.checkpointer.save(sess, step)
    files.write_json(paths.path("history.json"), hist)
    path = paths.path("cpu_seconds.json")
    table = files.read_json(path) if os.path.exists(path) else {}
    table[str(step)] = cpu
    files.write_json(path, table)


def main(cfg):
    run(cfg)
    return 0
