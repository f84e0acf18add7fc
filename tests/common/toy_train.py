"""A toy resumable training run used by test_training.py (run as a subprocess).

Linear regression on in-graph data; batches and noise are drawn with step-keyed stateless ops, so a
run stopped by SIGTERM and resumed ends with the same weights as an uninterrupted run.
Usage: python toy_train.py RUN_DIR STEPS [KILL_AT_STEP]
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import files, training  # noqa: E402

SEED = 3


def build(num_examples=256, dim=5, batch=16):
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
    train_op = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    return w, step, train_op


def main(run_dir, steps, kill_at=None):
    paths = training.RunPaths(run_dir)
    graph = tf.Graph()
    with graph.as_default():
        w, step, train_op = build()
        ckpt = training.Checkpointer(paths.checkpoints)
        init = tf.global_variables_initializer()
    graph.finalize()
    with tf.Session(graph=graph, config=training.session_config(1)) as sess, training.GracefulStop() as stop:
        start = ckpt.restore_or_initialize(sess, init)
        for i in range(start, steps):
            if kill_at is not None and i == kill_at:
                os.kill(os.getpid(), signal.SIGTERM)  # as if the user or the scheduler stopped us
            sess.run(train_op)
            if stop.requested:
                ckpt.save(sess, sess.run(step))
                print("stopped at", sess.run(step))
                return 1
        ckpt.save(sess, sess.run(step))
        files.save_npy(os.path.join(run_dir, "w.npy"), sess.run(w))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None))
