"""Train-step throughput of the multi-tower graph: `python -m tf1_gan.bench_towers --num-towers 1 2 4`.

Prints one line per K: `variant=<v> num_towers=<K> devices=<...> global_batch=<B> imgs_per_s=<f>`
(images per second of the fused D-then-G step, median of 3 timed blocks after warm-up). Without GPUs
the towers are virtual CPU devices sharing the same cores, so on CPU this measures the overhead of
replication (K smaller matmuls, gradient averaging), not a speed-up.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

from common import config, mnist  # noqa: E402
from tf1_gan import bench  # noqa: E402
from tf1_gan import parallel  # noqa: E402
from tf1_gan import train  # noqa: E402


def bench_towers(variant, num_towers, steps=20, warmup=5, batch_size=64, threads=2, images=None):
    """(imgs_per_s, devices) of the K-tower train step at global batch `batch_size`."""
    if images is None:
        images, _ = mnist.load_mnist("embedded", "train")
    cfg = config.Config(dict(train.DEFAULTS, variant=variant, batch_size=batch_size))
    devices = parallel.tower_devices(num_towers)
    g = parallel.build_parallel_train_graph(cfg, len(images), num_towers, devices)
    g.graph.finalize()
    rate = bench.time_train_op(g, images, parallel.session_config(devices, threads), steps, warmup, batch_size)
    return rate, devices


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--num-towers", "--num_towers", dest="num_towers", type=int, nargs="+", default=[1, 2, 4],
                        help="tower counts K to measure")
    parser.add_argument("--variant", nargs="+", default=["dcgan_bn"], help="tf1_gan variants")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block (3 blocks, median)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--batch-size", type=int, default=64, help="GLOBAL batch (split over the towers)")
    parser.add_argument("--threads", type=int, default=2, help="TF intra/inter-op threads")
    args = parser.parse_args(argv)
    images, _ = mnist.load_mnist("embedded", "train")
    for variant in args.variant:
        for k in args.num_towers:
            try:
                rate, devices = bench_towers(variant, k, args.steps, args.warmup, args.batch_size, args.threads, images)
            except ValueError as err:
                sys.stderr.write("error: %s\n" % err)
                return 2
            print("variant=%s num_towers=%d devices=%s global_batch=%d imgs_per_s=%.1f"
                  % (variant, k, ",".join(devices), args.batch_size, rate), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
