"""Sample a trained generator: `python -m tf1_gan.sample --run-dir DIR --n 64 --out samples.npy`.

Writes float32 (N, 28, 28) in [-1, 1] from the newest readable checkpoint of the run. Sampling uses the same
`model.generator` function as training, with training=False: BN moving statistics and the stored SN u, v
(nothing is assigned, so sampling never changes the model). `--bn batch` instead normalizes each chunk of 64
with its own statistics, as the PyTorch reference does when it saves samples in train mode. `--out` (and
`--png`) must be a new or writable regular file in an existing directory; anything else is refused (exit 2).
"""
import collections
import sys

import numpy as np
import tensorflow as tf

from common import cli, config, files, inference, plots
from tf1_gan import model
from tf1_gan import options

CHUNK = 64  # the training batch size, so batch-statistics BN sees batches like the ones it trained on
BN_MODES = ("moving", "batch")

SCHEMA = config.Schema([
    config.Key("run_dir", "", "a tf1_gan.train run dir (required)"),
    config.Key("n", 64, "number of samples (at most 100000: 100k x 28 x 28 float32 is 314 MB)", ge=1, le=100000),
    config.Key("out", "", "output .npy file (required)"),
    config.seed(0, "seed of the z draw"),
    config.Key("bn", "moving", "BN statistics for BN generators: their moving averages or each chunk's own",
               choices=BN_MODES),
    config.Key("png", "", "also save a grid of the first 64 samples here (default: none)"),
    config.threads(2),
], checks=[lambda cfg: config.require(cfg.run_dir, "--run-dir is required"),
           lambda cfg: config.require(cfg.out, "--out is required")])

Sampler = collections.namedtuple("Sampler", "graph session z images images_batch_stats variant step")


def load_sampler(run_dir, threads=2):
    """Builds G alone in a fresh graph and restores generator/ variables from the run's newest readable checkpoint.

    Raises:
      config.ConfigError: no config.yaml in run_dir, or one that is not a complete, valid tf1_gan.train config
        (a hand-edited key of the wrong type, or a missing one, is named).
      run.RunError: no readable checkpoint.
    """
    def build(cfg):
        variant = model.variant_from_config(cfg)
        z = tf.placeholder(tf.float32, [None, model.Z_DIM], name="z")
        images = model.generator(z, variant, training=False)  # (N, 28, 28, 1)
        images_bs = (model.generator(z, variant, training=False, bn_training=True)
                     if model.has_bn(variant.g_norm) else images)
        return variant, z, images, images_bs

    restored = inference.restore(run_dir, build, schema=options.TRAIN, threads=threads, var_list=generator_state)
    variant, z, images, images_bs = restored.outputs
    return Sampler(restored.graph, restored.session, z, images, images_bs, variant, restored.step)


def generator_state(graph):
    """G's variables (weights, BN statistics, SN u and v): what sampling restores."""
    return [v for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) if v.op.name.startswith("generator/")]


def generate(sampler, n, seed=0, bn="moving"):
    """float32 (n, 28, 28) in [-1, 1]; z ~ N(0, I) drawn from numpy with `seed`."""
    if bn not in BN_MODES:
        raise ValueError("bn must be 'moving' or 'batch', got %r" % (bn,))
    fetch = sampler.images if bn == "moving" else sampler.images_batch_stats
    z = np.random.RandomState(seed).randn(n, model.Z_DIM).astype(np.float32)
    chunks = [sampler.session.run(fetch, {sampler.z: z[i:i + CHUNK]}) for i in range(0, n, CHUNK)]
    return np.concatenate(chunks, axis=0)[..., 0] if chunks else np.zeros((0, 28, 28), np.float32)


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    out = files.check_output(cfg.out, files.run_dir_inputs(cfg.run_dir))  # refused before anything is computed
    png = files.check_output(cfg.png, files.run_dir_inputs(cfg.run_dir)) if cfg.png else None
    if png == out:
        raise files.OutputError("--png %s is the --out file; give two paths" % cfg.png)
    sampler = load_sampler(cfg.run_dir, cfg.threads)
    try:
        samples = generate(sampler, cfg.n, cfg.seed, cfg.bn).astype(np.float32)
    finally:
        sampler.session.close()
    files.save_npy(out, samples)
    if png:
        plots.save_image_grid(samples[:64], png, title="%s step %d" % (sampler.variant.name, sampler.step))
    print("wrote %s: %s float32 in [%.3f, %.3f] from step %d" % (cfg.out, samples.shape, samples.min(),
                                                                 samples.max(), sampler.step))
    return 0


if __name__ == "__main__":
    sys.exit(main())
