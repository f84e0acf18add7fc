"""Sample a trained generator: `python -m tf1_gan.sample --run-dir DIR --n 64 --out samples.npy`.

Writes float32 (N, 28, 28) in [-1, 1] from the latest checkpoint of the run. Sampling uses the same
`model.generator` function as training, with training=False: BN moving statistics and the stored SN
u, v (nothing is assigned, so sampling never changes the model). `--bn batch` instead normalizes each
chunk of 64 with its own statistics, as the PyTorch reference does when it saves samples in train mode.
"""
import argparse
import collections
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # before our modules build anything: no deprecation noise

from common import config, files, training  # noqa: E402
from tf1_gan import model  # noqa: E402

CHUNK = 64  # the training batch size, so batch-statistics BN sees batches like the ones it trained on

Sampler = collections.namedtuple("Sampler", "graph session z images images_batch_stats variant step")


def load_sampler(run_dir, threads=2):
    """Builds G alone in a fresh graph and restores generator/ variables from the run's latest checkpoint.

    Raises:
      FileNotFoundError: no config.yaml or no checkpoint in run_dir.
    """
    if not os.path.exists(os.path.join(run_dir, "config.yaml")):
        raise FileNotFoundError("%s: no config.yaml (not a tf1_gan run dir?)" % run_dir)
    cfg = config.load_run_config(run_dir)
    variant = model.variant_from_config(cfg)
    graph = tf.Graph()
    with graph.as_default():
        z = tf.placeholder(tf.float32, [None, model.Z_DIM], name="z")
        images = model.generator(z, variant, training=False)  # (N, 28, 28, 1)
        images_bs = (model.generator(z, variant, training=False, bn_training=True)
                     if model.has_bn(variant.g_norm) else images)
        g_state = [v for v in tf.global_variables() if v.op.name.startswith("generator/")]
        ckpt = training.Checkpointer(os.path.join(run_dir, "checkpoints"), var_list=g_state)
    graph.finalize()
    sess = tf.Session(graph=graph, config=training.session_config(threads))
    step = ckpt.restore(sess)
    return Sampler(graph, sess, z, images, images_bs, variant, step)


def generate(sampler, n, seed=0, bn="moving"):
    """float32 (n, 28, 28) in [-1, 1]; z ~ N(0, I) drawn from numpy with `seed`."""
    if bn not in ("moving", "batch"):
        raise ValueError("bn must be 'moving' or 'batch', got %r" % (bn,))
    fetch = sampler.images if bn == "moving" else sampler.images_batch_stats
    z = np.random.RandomState(seed).randn(n, model.Z_DIM).astype(np.float32)
    chunks = [sampler.session.run(fetch, {sampler.z: z[i:i + CHUNK]}) for i in range(0, n, CHUNK)]
    return np.concatenate(chunks, axis=0)[..., 0] if chunks else np.zeros((0, 28, 28), np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", "--run_dir", required=True, help="a tf1_gan.train run dir")
    parser.add_argument("--n", type=int, default=64, help="number of samples")
    parser.add_argument("--out", required=True, help="output .npy file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the z draw")
    parser.add_argument("--bn", choices=("moving", "batch"), default="moving",
                        help="BN statistics for BN generators: moving averages or each chunk's own")
    parser.add_argument("--png", default=None, help="also save a grid of the first 64 samples here")
    args = parser.parse_args(argv)
    if args.n <= 0:
        parser.error("--n must be positive")
    try:
        sampler = load_sampler(args.run_dir)
    except (FileNotFoundError, ValueError) as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    samples = generate(sampler, args.n, args.seed, args.bn).astype(np.float32)
    sampler.session.close()
    files.save_npy(args.out, samples)
    if args.png:
        from common import plots
        plots.save_image_grid(samples[:64], args.png, title="%s step %d" % (sampler.variant.name, sampler.step))
    print("wrote %s: %s float32 in [%.3f, %.3f] from step %d" % (args.out, samples.shape, samples.min(),
                                                                 samples.max(), sampler.step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
