"""Speed numbers: `python -m tf1_molecules.bench` prints one key=value per line.

Measures the default PropertyPredictor (N=8, F=2, width 32, 2 blocks) on CPU: training steps per second
at batch 64 and inference systems per second at batch 1000, after warm-up runs.
"""
import argparse
import logging
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import training  # noqa: E402
from tf1_molecules import data, model  # noqa: E402


def _time(sess, fetch, feed, repeats):
    for _ in range(3):  # warm-up: first runs pay for graph optimisation and allocation
        sess.run(fetch, feed)
    start = time.time()
    for _ in range(repeats):
        sess.run(fetch, feed)
    return (time.time() - start) / repeats


def bench(threads=2, repeats=50, train_batch=64, infer_batch=1000, num_particles=8):
    """Returns a dict of speed numbers (seconds are wall clock on this machine)."""
    systems = data.generate(max(train_batch, infer_batch), num_particles=num_particles, seed=0)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(0)
        predictor = model.PropertyPredictor(num_particles, 2, 1)
        r = tf.placeholder(tf.float32, [None, num_particles, 3])
        f = tf.placeholder(tf.float32, [None, num_particles, 2])
        y = tf.placeholder(tf.float32, [None])
        out = predictor(r, f)[:, 0]
        loss = tf.reduce_mean(tf.square(out - y))
        train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        init = tf.global_variables_initializer()
    graph.finalize()
    with tf.Session(graph=graph, config=training.session_config(threads)) as sess:
        sess.run(init)
        tb = {r: systems.positions[:train_batch], f: systems.features[:train_batch],
              y: systems.energy[:train_batch]}
        ib = {r: systems.positions[:infer_batch], f: systems.features[:infer_batch]}
        step_s = _time(sess, train_op, tb, repeats)
        infer_s = _time(sess, out, ib, max(5, repeats // 10))
    params = int(sum(np.prod(v.shape.as_list()) for v in graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)))
    return {"threads": threads, "parameters": params,
            "train_steps_per_sec_batch%d" % train_batch: 1.0 / step_s,
            "train_ms_per_step_batch%d" % train_batch: 1000.0 * step_s,
            "inference_systems_per_sec_batch%d" % infer_batch: infer_batch / infer_s}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="TF intra/inter-op threads (default 2)")
    parser.add_argument("--repeats", type=int, default=50, help="timed training steps (default 50)")
    args = parser.parse_args(argv)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    for key, value in bench(args.threads, args.repeats).items():
        print("%s=%s" % (key, "%.1f" % value if isinstance(value, float) else value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
