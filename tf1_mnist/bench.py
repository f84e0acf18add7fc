"""Speed numbers of the package, one key=value per line (synthetic inputs; 2 TF threads).

    python -m tf1_mnist.bench
"""
import time

import numpy as np
import tensorflow as tf

from common import cli, training
from tf1_mnist import convnet

BATCH = 64


def _rate(fn, seconds=2.0, warmup=3):
    """Calls per second of fn() over about `seconds` of wall clock."""
    for _ in range(warmup):
        fn()
    calls, began = 0, time.time()
    while time.time() - began < seconds:
        fn()
        calls += 1
    return calls / (time.time() - began)


def bench_mlp():
    from tf1_mnist.models import TwoLayerNet
    from tf1_mnist.optimizer import SGD
    rng = np.random.RandomState(0)
    x, y = rng.rand(BATCH, 784).astype(np.float32), rng.randint(0, 10, BATCH)
    model, opt = TwoLayerNet(hidden_size=128), SGD(0.1, 0.001)

    def step():
        model.forward(x, y, mode="train")
        opt.update(model)
    rate = _rate(step)
    model.close()
    return {"mlp_train_step_ms": 1000.0 / rate, "mlp_train_images_per_s": rate * BATCH}


def bench_cnn(bn):
    rng = np.random.RandomState(0)
    x, y = rng.rand(BATCH, 28, 28, 1).astype(np.float32), rng.randint(0, 10, BATCH)
    big = rng.rand(500, 28, 28, 1).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(0)
        net = convnet.build_graph(bn)
    graph.finalize()
    with tf.Session(graph=graph, config=training.session_config(2)) as sess:
        sess.run(net.init)
        train = _rate(lambda: sess.run(net.train_op, {net.images: x, net.labels: y, net.training: True}))
        infer = _rate(lambda: sess.run(net.probs, {net.images: big}))
    return {"cnn_%s_train_images_per_s" % bn: train * BATCH, "cnn_%s_infer_images_per_s" % bn: infer * 500}


@cli.entry_point
def main(argv=None):
    import argparse
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)  # --help; no options
    results = {}
    results.update(bench_mlp())
    for bn in ("none", "both"):
        results.update(bench_cnn(bn))
    for key, value in results.items():
        print("%s=%.1f" % (key, value))
    return results


if __name__ == "__main__":
    main()
