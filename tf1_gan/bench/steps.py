"""Train-step throughput per variant: `python -m tf1_gan.bench [--variant V ...] [--steps N]`.

Prints a `# tensorflow ...` header (build, kernels, conv path, CPU vendor, OpenMP/MKL settings), then one line
per variant, `variant=<v> imgs_per_s=<f>`: images per second of the fused D-then-G step (one session.run per
step) at batch 64 after warm-up steps, on the embedded MNIST subset (median of 3 timed blocks).
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, mnist
from tf1_gan import conv_ops
from tf1_gan import cpu_env
from tf1_gan import devices
from tf1_gan import model
from tf1_gan import options
from tf1_gan import train_graph

SCHEMA = config.Schema([
    config.Key("variant", tuple(model.VARIANTS), "variants to time, one or more of: %s" % ", ".join(model.VARIANTS),
               type=tuple, item_type=str, choices=tuple(model.VARIANTS)),
    config.Key("steps", 10, "timed steps per block (3 blocks, median)", ge=1),
    config.Key("warmup", 5, "untimed steps first", ge=0),
    config.threads(2),
    config.batch_size(64),
    options.TRAIN.keys["conv_impl"],
    config.Key("trace", False, "also print the op-type times of one traced step"),
], checks=[lambda cfg: config.require(cfg.variant, "--variant needs at least one variant")])


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
    return options.train_config(variant=variant, sn_scope=sn_scope, batch_size=batch_size, conv_impl=conv_impl)


def bench_variant(variant, steps, warmup, batch_size=64, threads=2, sn_scope="all", images=None,
                  conv_impl="auto"):
    """Images/s of the fused train step (median of 3 timed blocks of `steps` steps)."""
    if images is None:
        images, _ = mnist.load_mnist("embedded", "train")
    cfg = _config(variant, batch_size, sn_scope, conv_impl)
    g = train_graph.build_train_graph(cfg, len(images))
    g.graph.finalize()
    return time_train_op(g, images, devices.session_config([None], threads), steps, warmup, batch_size)


def trace_step(variant, top=8, batch_size=64, threads=2, conv_impl="auto"):
    """[(op type, total op time in ms)] of one traced train step, largest first (ops on both threads add up)."""
    images, _ = mnist.load_mnist("embedded", "train")
    cfg = _config(variant, batch_size, conv_impl=conv_impl)
    g = train_graph.build_train_graph(cfg, len(images))
    g.graph.finalize()
    by_type = {}
    with tf.Session(graph=g.graph, config=devices.session_config([None], threads)) as sess:
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


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    images, _ = mnist.load_mnist("embedded", "train")
    cpu_env.tune()  # (devices.session_config sets them too; here so that the header shows them)
    print("# tensorflow %s, %s kernels, conv_impl=%s, cpu=%s, KMP_BLOCKTIME=%s, MKL_DEBUG_CPU_TYPE=%s" % (
        tf.__version__, "oneDNN" if conv_ops.built_with_onednn() else "Eigen",
        model.get_variant("dcgan_bn", conv=args.conv_impl).conv, cpu_env.cpu_vendor() or "?",
        os.environ.get("KMP_BLOCKTIME", "-"), os.environ.get("MKL_DEBUG_CPU_TYPE", "-")))
    for variant in args.variant:
        rate = bench_variant(variant, args.steps, args.warmup, args.batch_size, args.threads, images=images,
                             conv_impl=args.conv_impl)
        print("variant=%s imgs_per_s=%.1f" % (variant, rate))
        if args.trace:
            for kind, ms in trace_step(variant, batch_size=args.batch_size, threads=args.threads,
                                       conv_impl=args.conv_impl):
                print("  trace variant=%s op=%s ms=%.1f" % (variant, kind, ms))
        sys.stdout.flush()
    return 0
