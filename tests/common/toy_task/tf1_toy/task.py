"""The toy task: linear regression on in-graph data, batches drawn by the step (resume is exact).

Everything a real task declares, and nothing else: its Schema, its Trainer (graph, step, metrics, summary,
test metadata) and its Task. `target_scale` 1e38 overflows the squared error to inf, `--lr 10` makes it
overshoot to finite but huge values: two ways to diverge.
"""
import collections

import numpy as np
import tensorflow as tf

from common import config, task, training

SCHEMA = config.Schema([
    config.steps(12),
    config.lr(0.05),
    config.batch_size(8),
    config.seed(0),
    config.threads(1),
    config.ckpt_every(4),
    config.log_every(2),
    config.Key("target_scale", 1.0, "multiplies the targets (1e38 makes the loss overflow)", gt=0),
    config.run_dir("output directory (default runs/tf1_toy/default); rerunning the same command resumes"),
    config.session_steps(),
    config.restart(),
])
Graph = collections.namedtuple("Graph", "graph init_op loss train_op w")


class ToyTrainer(task.Trainer):
    module = "tf1_toy.train"
    schema = SCHEMA
    description = "A toy linear regression on the shared loop."
    smoke_args = ("--run-dir", "{tmp}/run", "--steps", "2")
    resume_args = ("--steps", "40", "--ckpt-every", "1")
    invariants = {"toy": ("-m", "tf1_toy.train", "--run-dir", "{run}")}
    loss_key = "loss/train"
    diverge_args = ("--lr", "10")  # gradient descent overshoots: the loss is ~190 at step 2, ~3e7 at step 4

    def load(self, cfg):
        rng = np.random.RandomState(cfg.seed)
        return rng.randn(64, 3).astype(np.float32), rng.randn(64, 1).astype(np.float32)

    def trivial_loss(self, cfg):
        return cfg.target_scale ** 2, "predicting 0 for targets drawn from N(0, target_scale^2)"

    def build(self, cfg, data):
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(cfg.seed)
            step = tf.train.get_or_create_global_step()
            idx = training.batch_indices(len(data[0]), cfg.batch_size, cfg.seed, step)
            x, y = tf.gather(tf.constant(data[0]), idx), tf.gather(tf.constant(data[1]), idx) * cfg.target_scale
            w = tf.get_variable("w", [3, 1], initializer=tf.glorot_uniform_initializer())
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
            train_op = tf.train.GradientDescentOptimizer(cfg.lr).minimize(loss, global_step=step)
            init_op = tf.global_variables_initializer()
        return Graph(graph, init_op, loss, train_op, w)

    def step(self, ctx, step):
        _, loss = ctx.sess.run([ctx.g.train_op, ctx.g.loss])
        if step % ctx.cfg.log_every == 0:
            scalars = {"loss/train": float(loss)}
            ctx.run.log(step, scalars)
            return scalars
        return None

    def evaluate(self, ctx):
        return ctx.sess.run(ctx.g.w)

    def finish(self, ctx, result):
        return {"final_loss": ctx.history.last("loss/train"), "w": result.ravel().tolist()}

    def summary(self, metrics):
        return [("final loss", metrics["final_loss"], "")]


TRAINER = ToyTrainer()
TASK = task.Task("tf1_toy", "a toy regression", seeds=(), trainers=[TRAINER])
