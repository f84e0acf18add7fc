"""Train-step throughput per variant: `python -m tf1_gan.bench [--variant V] [--steps N]`.

Prints one line per variant, `variant=<v> imgs_per_s=<f>`: images per second of the fused D-then-G
step (one session.run per step) at batch 64 after warm-up steps, on the embedded MNIST subset.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

from common import config, mnist, training  # noqa: E402
from tf1_gan import conv_ops  # noqa: E402
from tf1_gan import cpu_env  # noqa: E402
from tf1_gan import graph as gan_graph  # noqa: E402
from tf1_gan import model  # noqa: E402
from tf1_gan import train  # noqa: E402


def time_train_op(g, images, session_config, steps, warmup, batch_size):
    """Images/s of `g.train_op` (a finalized GanGraph): median of 3 timed blocks of `steps` steps."""
    rates = []
    with tf.Session(graph=g.graph, config=session_config) as sess:
        sess.run(g.init_op)
        sess.run(g.data_init, {g.data_images: images})
        for _ in range(warmup):
            sess.run(g.train_op)
        for _ in range(3):
            t0 = time.time()
            for _ in range(steps):
                sess.run(g.train_op)
            rates.append(steps * batch_size / (time.time() - t0))
    return float(np.median(rates))


def _config(variant, batch_size, sn_scope="all", conv_impl="auto"):
    return config.Config(dict(train.DEFAULTS, variant=variant, sn_scope=sn_scope, batch_size=batch_size,
                              conv_impl=conv_impl))


def bench_variant(variant, steps, warmup, batch_size=64, threads=2, sn_scope="all", images=None,
                  conv_impl="auto"):
    """Images/s of the fused train step (median of 3 timed blocks of `steps` steps)."""
    if images is None:
        images, _ = mnist.load_mnist("embedded", "train")
    cfg = _config(variant, batch_size, sn_scope, conv_impl)
    g = gan_graph.build_graph(cfg, len(images))
    g.graph.finalize()
    return time_train_op(g, images, training.session_config(threads), steps, warmup, batch_size)


def trace_step(variant, top=8, batch_size=64, threads=2, conv_impl="auto"):
    """[(op type, total op time in ms)] of one traced train step, largest first (ops on both threads add up)."""
    images, _ = mnist.load_mnist("embedded", "train")
    cfg = _config(variant, batch_size, conv_impl=conv_impl)
    g = gan_graph.build_graph(cfg, len(images))
    g.graph.finalize()
    by_type = {}
    with tf.Session(graph=g.graph, config=training.session_config(threads)) as sess:
        sess.run(g.init_op)
        sess.run(g.data_init, {g.data_images: images})
        for _ in range(5):
            sess.run(g.train_op)
        meta = tf.RunMetadata()
        sess.run(g.train_op, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=meta)
    op_types = {op.name: op.type for op in g.graph.get_operations()}
    for dev in meta.step_stats.dev_stats:
        for node in dev.node_stats:
            kind = op_types.get(node.node_name.split(":")[0])
            if kind:
                by_type[kind] = by_type.get(kind, 0.0) + node.op_end_rel_micros / 1000.0
    return sorted(by_type.items(), key=lambda kv: -kv[1])[:top]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", choices=list(model.VARIANTS), action="append",
                        help="variant to time (repeatable; default: all four)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per block (3 blocks)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=2, help="TF intra/inter-op threads")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--conv-impl", choices=list(model.CONV_IMPLS), default="auto",
                        help="how the conv variants compute convolutions (see tf1_gan/conv_ops.py)")
    parser.add_argument("--trace", action="store_true", help="also print op-type times of one traced step")
    args = parser.parse_args(argv)
    if args.steps <= 0 or args.warmup < 0:
        parser.error("--steps must be positive and --warmup non-negative")
    images, _ = mnist.load_mnist("embedded", "train")
    print("# tensorflow %s, %s kernels, conv_impl=%s, cpu=%s, KMP_BLOCKTIME=%s, MKL_DEBUG_CPU_TYPE=%s" % (
        tf.__version__, "oneDNN" if conv_ops.built_with_onednn() else "Eigen",
        model.get_variant("dcgan_bn", conv=args.conv_impl).conv, cpu_env.cpu_vendor() or "?",
        os.environ.get("KMP_BLOCKTIME", "-"), os.environ.get("MKL_DEBUG_CPU_TYPE", "-")))
    for variant in args.variant or list(model.VARIANTS):
        rate = bench_variant(variant, args.steps, args.warmup, args.batch_size, args.threads, images=images,
                             conv_impl=args.conv_impl)
        print("variant=%s imgs_per_s=%.1f" % (variant, rate))
        if args.trace:
            for kind, ms in trace_step(variant, batch_size=args.batch_size, threads=args.threads,
                                       conv_impl=args.conv_impl):
                print("  trace variant=%s op=%s ms=%.1f" % (variant, kind, ms))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
