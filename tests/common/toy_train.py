"""A toy task on the shared run skeleton, used by test_run.py (run as a subprocess or called in-process).

Linear regression on in-graph data; batches and noise are drawn with step-keyed stateless ops, so a run
stopped by SIGTERM and resumed ends with the same weights as an uninterrupted run.

    python toy_train.py --run-dir DIR [--steps 60] [--kill-at 23] [--lr 0.05] [--restart]
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import common  # noqa: F401,E402  (quiets TensorFlow before it loads)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import cli, config, files, run, training  # noqa: E402

SCHEMA = config.Schema([
    config.run_dir(),
    config.steps(60),
    config.lr(0.05),
    config.Key("dim", 5, "input features (a shape: changing it changes the checkpoint's variables)", ge=1),
    config.ckpt_every(10),
    config.threads(1),
    config.session_steps(),
    config.Key("kill_at", 0, "send ourselves SIGTERM before this step (0 = never)", ge=0, resume_safe=True),
    config.Key("kill_after", False, "send ourselves SIGTERM after the last step (the 'evaluation')",
               resume_safe=True),
    config.Key("restart", False, "discard the run dir's run and start over", resume_safe=True),
])
SEED = 3


def build(cfg, num_examples=256, batch=16):
    dim = cfg.dim
    training.seed_everything(SEED)
    rng = np.random.RandomState(SEED)
    x_all = tf.constant(rng.randn(num_examples, dim).astype(np.float32))
    y_all = tf.constant(rng.randn(num_examples, 1).astype(np.float32))
    step = tf.train.get_or_create_global_step()
    idx = training.batch_indices(num_examples, batch, SEED, step)
    noise = tf.random.stateless_normal([batch, dim], seed=training.stateless_seed(SEED, step, stream=1))
    x = tf.gather(x_all, idx) + 0.1 * noise
    w = tf.get_variable("w", [dim, 1], initializer=tf.glorot_uniform_initializer())
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - tf.gather(y_all, idx)))
    train_op = tf.train.AdamOptimizer(cfg.lr).minimize(loss, global_step=step)
    return w, loss, train_op


def train(cfg):
    """Returns the metrics, or None when stopped."""
    with run.Run(cfg, cfg.run_dir, restart=cfg.restart) as r:
        graph = tf.Graph()
        with graph.as_default():
            w, loss, train_op = build(cfg)
            r.make_checkpointer()
            init = tf.global_variables_initializer()
        graph.finalize()
        with tf.Session(graph=graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, init)
            r.open_writer(graph)
            for step in r.steps(sess, start, cfg.steps, cfg.ckpt_every):
                if cfg.kill_at and step == cfg.kill_at:
                    os.kill(os.getpid(), signal.SIGTERM)  # as if the user or the scheduler stopped us
                _, value = sess.run([train_op, loss])
                r.log(step, {"loss": value})
            if cfg.kill_after:
                os.kill(os.getpid(), signal.SIGTERM)  # during the final evaluation
            weights = sess.run(w)
        if r.stopped:
            return None
        files.save_npy(os.path.join(cfg.run_dir, "w.npy"), weights)
        return r.finish({"final_loss": r.history.last("loss"), "steps": cfg.steps})


@cli.entry_point
def main(argv=None):
    return cli.done_or_stopped(train(SCHEMA.parse(argv)))


if __name__ == "__main__":
    sys.exit(main())
