"""tf1_molecules: the PropertyPredictor (seed 003, part V) trained on synthetic Morse-energy systems, and the task.

The synthetic trainer (`python -m tf1_molecules.train`) generates seeded point clouds (data.py) and trains the
network on them; the QM9 trainer (`python -m tf1_molecules.qm9_train`, qm9_task.py) trains the same model.py
on real molecules. Both run on common.loop: rerun the same command to resume, Ctrl-C saves a checkpoint and
exits 130, a diverged loss exits 3 (not finite, or far above 1, what predicting the mean scores on the
standardised target). `TASK` is the exercise for the registry (common/task.py).

Synthetic run dir (default runs/tf1_molecules/train): config.yaml, checkpoints/, events.*, history.json,
metrics.json, loss_curve.png, train_loss.png, val_scatter.png.
"""
import collections

import numpy as np
import tensorflow as tf

from common import config, plots, task, training
from tf1_molecules import data, model, qm9_task, report

SCHEMA = config.Schema([
    config.Key("num_systems", 5000, "systems generated in total (train + validation)", ge=2),
    config.val_frac(0.2, "share of systems held out for validation"),
    config.Key("num_particles", 8, "particles per system (N)", ge=2),
    config.Key("num_types", 2, "particle types = one-hot feature width (F)", ge=1),
    config.Key("box_size", 3.0, "side of the cube particles are drawn in", gt=0.0),
    config.Key("min_distance", 0.6, "minimum pair distance of generated systems", ge=0.0),
    config.Key("data_seed", 0, "seed of the data set and its split", ge=0),
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
    config.run_dir("output directory (default runs/tf1_molecules/train); rerunning the same command resumes"),
    config.session_steps(),
    config.restart(),
])

Graph = collections.namedtuple(
    "Graph", "graph, global_step, indices, train_op, loss, lr, val_energy, val_mae, val_rmse, init_op")
Data = collections.namedtuple("Data", "train, val, baselines, batches")


def make_data(cfg):
    """The seeded synthetic systems, split into (train, val)."""
    systems = data.generate(cfg.num_systems, cfg.num_particles, cfg.num_types, cfg.box_size,
                            cfg.min_distance, seed=cfg.data_seed)
    return data.split(systems, cfg.val_frac, seed=cfg.data_seed)


def build_graph(cfg, train, val):
    """Builds the whole training graph once (the caller adds the checkpointer and finalizes it).

    The data sets live in the graph as constants; the loop feeds only the (B,) batch indices, which
    are a pure function of the step (see `data.EpochBatches`), so resumed runs see the same batches.
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


class SyntheticTrainer(task.Trainer):
    """Adam on batches of systems; validation MAE / RMSE on all held-out systems every `eval_every` steps."""

    module = "tf1_molecules.train"
    schema = SCHEMA
    description = "Trains the PropertyPredictor on synthetic Morse-energy systems (seed 003, part V)."
    run_name = "train"
    smoke_args = ("--run-dir", "{tmp}/run", "--steps", "2", "--num-systems", "20", "--eval-every", "1",
                  "--width", "4", "--hidden", "8", "--num-blocks", "1", "--batch-size", "4", "--threads", "1")
    resume_args = ("--num-systems", "200", "--steps", "300", "--ckpt-every", "1", "--eval-every", "5",
                   "--width", "8", "--hidden", "16", "--num-blocks", "1", "--batch-size", "16", "--threads", "1")
    invariants = {"molecules": ("-m", "tf1_molecules.train", "--run-dir", "{run}", "--steps", "20",
                                "--num-systems", "500", "--eval-every", "10", "--threads", "1")}
    loss_key = "loss/train_standardised_mse"
    # lr 10 (cosine-decayed over 6 steps) reaches NaN at step 3; lr 3 blows up finite first
    diverge_args = ("--steps", "6", "--num-systems", "40", "--eval-every", "1", "--width", "4", "--hidden", "8",
                    "--num-blocks", "1", "--batch-size", "4", "--threads", "1", "--lr", "3")

    def load(self, cfg):
        try:
            train, val = make_data(cfg)
            config.require(cfg.batch_size <= len(train.energy), "batch_size %d exceeds the %d training systems"
                           % (cfg.batch_size, len(train.energy)))
        except ValueError as err:  # impossible data settings: report them like a bad flag (exit 2)
            raise config.ConfigError(str(err))
        base = baseline(train, val)
        # Reference: linear least squares on pair-distance histograms, the target's true functional form.
        base["histogram_regression_val_mae"] = data.histogram_regression_mae(train, val, cfg.num_types)
        return Data(train, val, base, data.EpochBatches(len(train.energy), cfg.batch_size, cfg.seed))

    def build(self, cfg, d):
        return build_graph(cfg, d.train, d.val)

    def trivial_loss(self, cfg):
        return 1.0, "predicting the training mean for every system (the target is standardised)"

    def begin(self, ctx):
        ctx.state["losses"] = []

    def step(self, ctx, step):
        g, cfg, losses = ctx.g, ctx.cfg, ctx.state["losses"]
        _, loss = ctx.sess.run([g.train_op, g.loss], {g.indices: ctx.data.batches(step - 1)})
        if not np.isfinite(loss):
            return {"loss/batch": float(loss)}  # checked every step: the loop stops the run as diverged
        losses.append(loss)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            mae, rmse = ctx.sess.run([g.val_mae, g.val_rmse])
            scalars = {"loss/train_standardised_mse": float(np.mean(losses)), "val/mae": float(mae),
                       "val/rmse": float(rmse), "lr": float(ctx.sess.run(g.lr))}
            ctx.run.log(step, scalars)
            del losses[:]
            return scalars
        return {"loss/batch": float(loss)}

    def evaluate(self, ctx):
        return ctx.sess.run([ctx.g.val_mae, ctx.g.val_rmse, ctx.g.val_energy])

    def finish(self, ctx, result):
        mae, rmse, val_energy = result
        base, val, final_step = ctx.data.baselines, ctx.data.val, ctx.total
        val_steps, val_maes = ctx.history.series("val/mae")
        _, val_rmses = ctx.history.series("val/rmse")
        train_steps, train_losses = ctx.history.series("loss/train_standardised_mse")
        metrics = dict(base)
        metrics.update({
            "val_mae": float(mae), "val_rmse": float(rmse),
            "val_mae_over_baseline": float(mae) / base["baseline_val_mae"],
            "final_train_loss_standardised": train_losses[-1] if train_losses else None,
            "steps": final_step, "num_train": len(ctx.data.train.energy), "num_val": len(val.energy),
            "train_steps_per_sec_this_session": ctx.steps_run / ctx.seconds
            if ctx.steps_run > 0 and ctx.seconds > 0 else None,
        })
        flat = lambda value: ([0, final_step], [value] * 2)  # noqa: E731
        plots.save_curves(ctx.paths.path("loss_curve.png"), {
            "val MAE": (val_steps, val_maes),
            "val RMSE": (val_steps, val_rmses),
            "baseline val MAE (predict mean)": flat(base["baseline_val_mae"]),
            "baseline val RMSE (predict mean)": flat(base["baseline_val_rmse"]),
            "reference val MAE (histogram regression)": flat(base["histogram_regression_val_mae"]),
        }, title="Morse-energy systems: validation error", xlabel="step", ylabel="energy error", logy=True)
        plots.save_curves(ctx.paths.path("train_loss.png"), {"train MSE (standardised)": (train_steps, train_losses)},
                          title="training loss", xlabel="step", ylabel="MSE", logy=True)
        report.save_scatter(ctx.paths.path("val_scatter.png"), val.energy, val_energy,
                            "validation: MAE %.3f (mean baseline %.3f)" % (mae, base["baseline_val_mae"]))
        return metrics

    def summary(self, metrics):
        return [("val MAE", metrics["val_mae"], ""), ("val RMSE", metrics["val_rmse"], ""),
                ("predict-the-mean MAE", metrics["baseline_val_mae"], ""),
                ("predict-the-mean RMSE", metrics["baseline_val_rmse"], ""),
                ("histogram regression MAE", metrics["histogram_regression_val_mae"], ""),
                ("speed", metrics["train_steps_per_sec_this_session"], "steps/s")]


TRAINER = SyntheticTrainer()


def train(cfg, log=print):
    """Trains (or resumes) the synthetic run of `cfg`; the metrics, or None when it stopped early (it resumes)."""
    from common import loop
    return loop.train(TRAINER, cfg, log=log)


def train_qm9(cfg, log=print):
    """Trains (or resumes) the QM9 run of `cfg` (a qm9_task.SCHEMA config); the metrics, or None when stopped."""
    from common import loop
    return loop.train(qm9_task.TRAINER, cfg, log=log)


TASK = task.Task(
    "tf1_molecules", "Euclidean message passing on synthetic Morse systems and QM9 molecules", seeds=("003",),
    trainers=[TRAINER, qm9_task.TRAINER],
    deliverables=[task.Deliverable("tf1_molecules", "tf1_molecules/exam_answers.pdf",
                                   "docs/deliverables/tf1_molecules_exam_answers.md", None, "003",
                                   "answers to exam parts I-V, with the PyTorch code of part V")],
    figure=("tf1_molecules/figures/qm9_recipe_curve.png",
            "QM9 U0 atomization with the recipe: test MAE by training-set size at 10,000 and 80,000 steps per "
            "size and 220,000 at 110k, beside the baselines, SchNet and chemical accuracy"),
    demo="tf1_molecules.demo", bench="tf1_molecules.bench",
    clis=("tf1_molecules.exam", "tf1_molecules.qm9", "tf1_molecules.qm9_report", "tf1_molecules.qm9_study",
          "tf1_molecules.qm9_export", "tf1_molecules.predict"),
    report_section="tf1_molecules.report:section",
    handin=task.Handin("exam", (("tf1_molecules/exam_answers.pdf", "exam_answers_{name}.pdf"),), cover="exam"),
)
