"""The QM9 trainer: the PropertyPredictor (model.py) on real molecules, `python -m tf1_molecules.qm9_train`.

Needs data/qm9/qm9.npz (`make qm9`). The defaults are the measured QM9 configuration (docs/tf1_molecules.md,
"QM9"): width 64, 3 blocks, batch 32, Gaussian distance expansion with a 6 Å cosine cutoff, phi tabulated at
1,024 distances, shifted softplus, 6,000 Adam steps. Run dir (default runs/tf1_molecules/qm9_<target>_<training
molecules>): config.yaml, checkpoints/, events.*, history.json, metrics.json (test and validation MAE in
kcal/mol and meV, baselines, CPU seconds), test_predictions.npz, loss_curve.png, test_scatter.png.
"""
import collections
import io
import time

import numpy as np

from common import config, plots, task
from tf1_molecules import qm9, qm9_data, qm9_graph, report

SCHEMA = config.Schema([
    config.Key("data_path", qm9.DEFAULT_PATH, "the npz written by `make qm9`"),
    config.Key("target", "u0_atomization", "U0 atomization energy (kcal/mol) or the HOMO-LUMO gap (meV)",
               choices=tuple(qm9_data.TARGETS)),
    config.num_train(0, "use only the first N molecules of the fixed {:,}-molecule training split (0 = all)"
                     .format(qm9_data.NUM_TRAIN)),
    config.Key("num_val", qm9_data.NUM_VAL, "validation molecules (test: the molecules after train {:,} + these)"
               .format(qm9_data.NUM_TRAIN), ge=1, le=qm9_data.MAX_NUM_VAL),
    config.Key("split_seed", 0, "seed of the train / validation / test permutation", ge=0),
    config.seed(1, "seed of initialisation and batch order"),
    config.Key("width", 64, "feature width inside the network", ge=1),
    config.Key("num_blocks", 3, "message passing + point-wise convolution blocks", ge=1),
    config.hidden(128, "hidden units of phi and psi (the seed says 128)"),
    config.Key("expansion", "gaussian", "phi's input: the distance (as in the exam) or num_centres Gaussians "
               "on [0, cutoff]", choices=("none", "gaussian")),
    config.Key("cutoff", 6.0, "cosine cutoff radius in Angstrom (0: none)", ge=0.0),
    config.Key("num_centres", 64, "Gaussians of the distance expansion", ge=2),
    config.Key("table_size", 1024, "evaluate phi at this many distances in [0, cutoff] and interpolate "
               "(0: phi on every pair)", ge=0),
    config.Key("shifted_softplus", True, "softplus(x) - log 2 for every nonlinearity (same function class, "
               "centred activations)"),
    config.Key("loss", "mse", "loss on the standardised target", choices=("mse", "mae")),
    config.batch_size(32, "molecules per training step"),
    config.steps(6000, "total training steps (Adam, cosine-decayed learning rate)"),
    config.lr(0.001, "peak Adam learning rate"),
    config.Key("warmup_steps", 0, "linear learning-rate warm-up over this many steps (0: none)", ge=0),
    config.Key("lr_floor", 0.05, "the cosine decay ends at lr_floor * lr on the last step", ge=0.0, le=1.0),
    config.eval_every(2000, "steps between validation evaluations (also at every checkpoint)"),
    config.Key("eval_molecules", 2000, "validation molecules evaluated every eval_every steps (all at the end)",
               ge=1),
    config.ckpt_every(2000),
    config.threads(1),
    config.run_dir("output directory (default runs/tf1_molecules/qm9_<target>_<training molecules>); "
                   "rerunning the same command resumes"),
    config.session_steps(),
    config.restart(),
], checks=[
    lambda cfg: config.require(cfg.num_train <= qm9_data.NUM_TRAIN, "num_train must be <= %d (the training split), "
                               "got %d" % (qm9_data.NUM_TRAIN, cfg.num_train)),
    lambda cfg: config.require(not (cfg.expansion == "gaussian" or cfg.table_size) or cfg.cutoff > 0,
                               "expansion 'gaussian' and table_size need cutoff > 0"),
    lambda cfg: config.require(cfg.table_size != 1, "table_size must be 0 or >= 2"),
])

Data = collections.namedtuple("Data", "train, val, test, y_train, y_val, y_test, standardiser, target_std, "
                                      "batches, val_probe, y_probe")


def train_size(cfg):
    """Training molecules of the run: num_train, 0 meaning the whole training split."""
    return cfg.num_train or qm9_data.NUM_TRAIN


def prepare(cfg):
    """Loads QM9 and returns ((train, val, test), (y_train, y_val, y_test), standardiser) for cfg."""
    molecules = qm9.load(cfg.data_path)
    try:
        split = qm9_data.split_indices(len(molecules.num_atoms), qm9_data.NUM_TRAIN, cfg.num_val, cfg.split_seed,
                                  train_size(cfg))
    except ValueError as err:
        raise config.ConfigError(str(err))
    y = qm9_data.target_values(molecules, cfg.target)
    parts = [qm9_data.subset(molecules, idx) for idx in split]
    ys = [y[idx] for idx in split]
    standardiser = qm9_data.Standardiser(qm9_data.TARGETS[cfg.target].standardise, parts[0], ys[0])
    return parts, ys, standardiser


def errors_in_units(target, predicted, true):
    """MAE / RMSE in the target's unit plus the other common units (kcal/mol and meV for energies)."""
    err = np.asarray(predicted, np.float64) - true
    unit = qm9_data.TARGETS[target].unit
    mae, rmse = float(np.abs(err).mean()), float(np.sqrt((err ** 2).mean()))
    to_mev = {"kcal/mol": 1000.0 * qm9_data.HARTREE_TO_EV / qm9_data.HARTREE_TO_KCAL_MOL, "meV": 1.0}[unit]
    return {"mae_meV": mae * to_mev, "mae_kcal_mol": mae * to_mev / (1000.0 * qm9_data.HARTREE_TO_EV /
                                                                     qm9_data.HARTREE_TO_KCAL_MOL),
            "rmse_meV": rmse * to_mev}


def _npz_bytes(**changes):
    """The bytes of a one-molecule npz in `make qm9`'s layout (methane), with `changes` applied: bad data."""
    z = np.zeros((1, qm9.MAX_ATOMS), np.uint8)
    z[0, :5] = (6, 1, 1, 1, 1)
    arrays = {"index": np.ones(1, np.int32), "atomic_numbers": z, "positions": np.zeros((1, qm9.MAX_ATOMS, 3),
              np.float32), "mask": z > 0, "num_atoms": np.full(1, 5, np.int32)}
    arrays.update({key: np.zeros(1) for key in qm9.PROPERTY_COLUMNS.values()})
    arrays.update(changes)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    return buffer.getvalue()


def headline_key(unit):
    """The metrics key of the MAE in the target's own unit."""
    return "mae_kcal_mol" if unit == "kcal/mol" else "mae_meV"


class Qm9Trainer(task.Trainer):
    """Adam on size-sorted batches of molecules; validation MAE on `eval_molecules` at every log point, test and
    validation errors on all their molecules at the end."""

    module = "tf1_molecules.qm9_train"
    schema = SCHEMA
    description = "Trains the PropertyPredictor on QM9 molecules (needs `make qm9`)."
    smoke_args = ("--run-dir", "{tmp}/run", "--steps", "2", "--num-train", "64", "--eval-every", "1",
                  "--eval-molecules", "8", "--width", "4", "--hidden", "8", "--num-blocks", "1",
                  "--batch-size", "4", "--table-size", "64")
    requires = (qm9.DEFAULT_PATH,)
    loss_key = "loss/train_standardised"
    # lr 10 (cosine-decayed over 6 steps) reaches NaN at step 3; lr 3 blows up finite first
    diverge_args = ("--steps", "6", "--num-train", "64", "--eval-every", "1", "--eval-molecules", "8", "--width", "4",
                    "--hidden", "8", "--num-blocks", "1", "--batch-size", "4", "--table-size", "64", "--lr", "3")
    data_flag = "--data-path"
    bad_data = (
        ("empty", b"", r"data: not an npz of `make qm9` \(not a zip archive\)"),
        ("binary", b"\x00\xff\xfe\x00garbage", "not a zip archive"),
        ("no_positions", _npz_bytes(positions=None), r"\(no positions\)"),
        ("flat_positions", _npz_bytes(positions=np.zeros((1, qm9.MAX_ATOMS), np.float32)),
         r"positions has shape \(1, 29\)"),
        ("nan_position", _npz_bytes(positions=np.full((1, qm9.MAX_ATOMS, 3), np.nan, np.float32)),
         r"molecule 0 \(QM9 index 1\) has a non-finite position"),
        ("chlorine", _npz_bytes(atomic_numbers=np.full((1, qm9.MAX_ATOMS), 17, np.uint8)),
         "atomic number 17, which is not 0"),
    )

    def load(self, cfg):
        (train, val, test), (y_train, y_val, y_test), standardiser = prepare(cfg)
        config.require(cfg.batch_size <= len(y_train), "batch_size %d exceeds the %d training molecules"
                       % (cfg.batch_size, len(y_train)))
        val_probe = qm9_data.subset(val, np.arange(min(cfg.eval_molecules, len(y_val))))
        return Data(train, val, test, y_train, y_val, y_test, standardiser, standardiser.forward(train, y_train),
                    qm9_data.SizeBatches(train.num_atoms, cfg.batch_size, cfg.seed), val_probe,
                    y_val[:len(val_probe.num_atoms)])

    def trivial_loss(self, cfg):
        return 1.0, ("predicting the standardiser's offset for every molecule (MSE 1 on the standardised target, "
                     "MAE at most 1)")

    def run_dir(self, cfg):
        from common import run  # deferred: run imports TensorFlow
        return cfg.run_dir or run.default_run_dir(self.task, "qm9_%s_%d" % (cfg.target, train_size(cfg)))

    def build(self, cfg, _):
        return qm9_graph.build_graph(cfg.seed, cfg.steps, cfg.lr, cfg.loss, cfg.warmup_steps, cfg.lr_floor,
                                     **qm9_graph.predictor_args(cfg))

    def begin(self, ctx):
        # CPU time of earlier invocations comes from the history (cut at the restored step).
        ctx.state.update(losses=[], cpu_before=ctx.history.last("cpu_seconds", 0.0), cpu_start=time.process_time())

    def _cpu_seconds(self, ctx):
        return ctx.state["cpu_before"] + time.process_time() - ctx.state["cpu_start"]

    def step(self, ctx, step):
        g, cfg, d, losses = ctx.g, ctx.cfg, ctx.data, ctx.state["losses"]
        _, loss = ctx.sess.run([g.train_op, g.loss], qm9_graph.feed(g, d.train, d.batches(step - 1), d.target_std))
        if not np.isfinite(loss):
            return {"loss/batch": float(loss)}  # checked every step: the loop stops the run as diverged
        losses.append(loss)
        if step % cfg.eval_every == 0 or step == cfg.steps or step % cfg.ckpt_every == 0:
            pred = d.standardiser.inverse(d.val_probe, qm9_graph.predict(ctx.sess, g, d.val_probe))
            mae = float(np.abs(pred - d.y_probe).mean())
            scalars = {"loss/train_standardised": float(np.mean(losses)), "val/mae": mae,
                       "lr": float(ctx.sess.run(g.lr)), "cpu_seconds": self._cpu_seconds(ctx)}
            ctx.run.log(step, scalars)
            del losses[:]
            ctx.log("step %d  train loss %.4f  val MAE (%d molecules) %.3f %s"
                    % (step, scalars["loss/train_standardised"], len(d.val_probe.num_atoms), mae,
                       qm9_data.TARGETS[cfg.target].unit))
            return scalars
        return {"loss/batch": float(loss)}

    def end(self, ctx):
        ctx.state["cpu_seconds"] = self._cpu_seconds(ctx)

    def evaluate(self, ctx):
        d, start = ctx.data, time.time()
        val_pred = d.standardiser.inverse(d.val, qm9_graph.predict(ctx.sess, ctx.g, d.val))
        test_pred = d.standardiser.inverse(d.test, qm9_graph.predict(ctx.sess, ctx.g, d.test))
        return val_pred, test_pred, time.time() - start

    def finish(self, ctx, result):
        cfg, d, final_step = ctx.cfg, ctx.data, ctx.total
        val_pred, test_pred, infer_seconds = result
        unit = qm9_data.TARGETS[cfg.target].unit
        key = headline_key(unit)
        w, b = qm9_data.dressed_atom_fit(qm9_data.element_counts(d.train), d.y_train)
        dressed = qm9_data.element_counts(d.test) @ w + b
        metrics = {
            "dataset": "qm9", "target": cfg.target, "unit": unit, "steps": final_step,
            "num_train": len(d.y_train), "num_val": len(d.y_val), "num_test": len(d.y_test),
            "test": errors_in_units(cfg.target, test_pred, d.y_test),
            "val": errors_in_units(cfg.target, val_pred, d.y_val),
            "baseline_test_mean": errors_in_units(cfg.target, np.full(len(d.y_test), d.y_train.mean()), d.y_test),
            "baseline_test_dressed_atom": errors_in_units(cfg.target, dressed, d.y_test),
            "standardiser": d.standardiser.to_dict(), "parameters": ctx.g.num_parameters,
            "cpu_seconds_training": ctx.state["cpu_seconds"], "threads": cfg.threads, "batch_size": cfg.batch_size,
            "train_wall_seconds_this_session": ctx.seconds,
            "inference_molecules_per_sec_final_eval": (len(d.y_val) + len(d.y_test)) / infer_seconds,
        }
        np.savez(ctx.paths.path("test_predictions.npz"), index=d.test.index, true=d.y_test, predicted=test_pred)
        steps_v, maes = ctx.history.series("val/mae")
        plots.save_curves(ctx.paths.path("loss_curve.png"), {
            "val MAE (%d molecules)" % len(d.val_probe.num_atoms): (steps_v, maes),
            "test MAE, dressed atoms": ([0, final_step], [metrics["baseline_test_dressed_atom"][key]] * 2),
        }, title="QM9 %s, %d training molecules" % (cfg.target, len(d.y_train)), xlabel="step",
            ylabel="MAE (%s)" % unit, logy=True)
        report.save_scatter(ctx.paths.path("test_scatter.png"), d.y_test, test_pred,
                            "QM9 test: MAE %.3f %s" % (metrics["test"][key], unit),
                            quantity="%s (%s)" % (qm9_data.TARGETS[cfg.target].description.split(":")[0], unit))
        return metrics

    def summary(self, metrics):
        unit = metrics["unit"]
        key = headline_key(unit)
        rows = [("test MAE", metrics["test"][key], unit)]
        if unit != "meV":
            rows.append(("test MAE in meV", metrics["test"]["mae_meV"], "meV"))
        return rows + [
            ("dressed atoms, test MAE", metrics["baseline_test_dressed_atom"][key], unit),
            ("predict the mean, test MAE", metrics["baseline_test_mean"][key], unit),
            ("steps", metrics["steps"], ""), ("training CPU time", metrics["cpu_seconds_training"], "s")]


TRAINER = Qm9Trainer()  # its task (and so runs/tf1_molecules/) is set by tf1_molecules.task.TASK
