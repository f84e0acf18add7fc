"""How much of z reaches G's output? `python -m tf1_gan.diagnose --variant dcgan_sn [--run-dir DIR]`.

For each G layer (after its activation) on a batch of z, prints
  rms     = root mean square of the activations (the signal's size),
  spread  = mean over units of the standard deviation over the batch (the part that depends on z),
  ratio   = spread / rms (1: fully z-dependent; ~0: every z gives the same activations),
and for the output the mean pairwise L2 distance between samples next to that of real images.
With --run-dir it also checks every SN layer: sigma from the stored u, v against np.linalg.svd.
Without --run-dir, G is freshly initialized (BN with batch statistics); with it, the run's latest
checkpoint is used (BN with moving statistics, the sampling mode). This is the evidence for why the
literal "SN everywhere" generator collapses to one image (docs/tf1_gan.md).
"""
import sys

import numpy as np
import tensorflow as tf

from common import cli, config, inference, mnist, run, training
from tf1_gan import model
from tf1_gan import options
from tf1_gan import sample

SCHEMA = config.Schema([
    config.Key("variant", None, "variant to initialize fresh (ignored with --run-dir)", type=str,
               choices=tuple(model.VARIANTS)),
    options.TRAIN.keys["sn_scope"],
    options.TRAIN.keys["init"],
    options.TRAIN.keys["bn_epsilon"],
    config.Key("run_dir", "", "diagnose this run's newest generator instead (default: none)"),
    config.Key("n", 256, "batch of z (at most 100000)", ge=2, le=100000),
    config.seed(0, "seed of the z batch and of a fresh initialization"),
    config.threads(2),
], checks=[lambda cfg: config.require(cfg.variant or cfg.run_dir, "give --variant or --run-dir")])


def _mean_pairwise_distance(x):
    x = x.reshape(len(x), -1).astype(np.float64)
    sq = (x ** 2).sum(1)
    d2 = np.clip(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0, None)
    n = len(x)
    return float(np.sqrt(d2)[~np.eye(n, dtype=bool)].mean())


def _generator_pass(variant, n, seed, bn_training):
    """G on a fixed batch of n z: (samples (n, 28, 28, 1), [its activation tensors, input to output])."""
    z = tf.constant(np.random.RandomState(seed).randn(n, model.Z_DIM).astype(np.float32))
    out = model.generator(z, variant, training=False, bn_training=bn_training)
    acts = [op.outputs[0] for op in tf.get_default_graph().get_operations()
            if op.type in ("LeakyRelu", "Tanh") and op.name.startswith("generator/")]
    return out, acts


def _rows(acts, values, n):
    rows = []
    for tensor, val in zip(acts, values):
        flat = val.reshape(n, -1).astype(np.float64)
        rms = float(np.sqrt((flat ** 2).mean()))
        spread = float(flat.std(0).mean())
        rows.append((tensor.op.name, rms, spread, spread / max(rms, 1e-12)))
    return rows


def fresh_stats(variant, n=256, seed=0, threads=2):
    """[(layer op name, rms, spread, ratio)] for a freshly initialized G (BN on batch statistics), samples."""
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(seed)
        out, acts = _generator_pass(variant, n, seed, bn_training=True)
        init = tf.global_variables_initializer()
    graph.finalize()
    with tf.Session(graph=graph, config=training.session_config(threads)) as sess:
        sess.run(init)
        values, samples = sess.run([acts, out])
    return _rows(acts, values, n), samples[..., 0]


def trained_stats(run_dir, n=256, seed=0, threads=2):
    """(variant, layer rows, samples, SN rows) of a run's newest checkpoint (BN on its moving statistics).

    Raises:
      config.ConfigError: no config.yaml, or one that is not a complete, valid tf1_gan.train config.
      run.RunError: no readable checkpoint.
    """
    def build(cfg):
        variant = model.variant_from_config(cfg)
        out, acts = _generator_pass(variant, n, seed, bn_training=None)
        return variant, out, acts

    with inference.restore(run_dir, build, schema=options.TRAIN, threads=threads, var_list=sample.generator_state) \
            as restored:
        variant, out, acts = restored.outputs
        values, samples = restored.session.run([acts, out])
    return variant, _rows(acts, values, n), samples[..., 0], sn_check(run_dir)


def sn_check(run_dir):
    """[(layer, sigma estimated from the stored u, v, true sigma by SVD)] for every SN kernel of G and D, read from
    the checkpoint the run's index names (its newest)."""
    reader = tf.train.load_checkpoint(run.RunPaths(run_dir).checkpoints)
    rows = []
    for name in sorted(reader.get_variable_to_shape_map()):
        if not name.endswith("/spectral_norm/u"):
            continue
        layer = name[:-len("/spectral_norm/u")]
        kernel = reader.get_tensor(layer + "/kernel")
        w_mat = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)  # (K, C), as spectral_norm.py
        u = reader.get_tensor(layer + "/spectral_norm/u")[0]
        v = reader.get_tensor(layer + "/spectral_norm/v")[0]
        rows.append((layer, float(v @ w_mat @ u), float(np.linalg.svd(w_mat, compute_uv=False)[0])))
    return rows


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    sn_rows = []
    if args.run_dir:
        variant, rows, samples, sn_rows = trained_stats(args.run_dir, args.n, args.seed, args.threads)
        where = "%s (trained)" % args.run_dir
    else:
        try:
            variant = model.get_variant(args.variant, args.sn_scope, args.init, args.bn_epsilon)
        except ValueError as err:
            raise config.ConfigError(str(err))
        rows, samples = fresh_stats(variant, args.n, args.seed, args.threads)
        where = "fresh init, seed %d" % args.seed
    print("G of %s (g_norm=%s), %s" % (variant.name, variant.g_norm, where))
    for layer, est, true in sn_rows:
        print("  sn %-24s sigma_est=%.4f sigma_svd=%.4f ||W_SN||_2=%.4f" % (layer, est, true, true / est))
    for name, rms, spread, ratio in rows:
        print("  %-28s rms=%.4f spread=%.5f ratio=%.4f" % (name, rms, spread, ratio))
    real, _ = mnist.load_mnist("embedded", "train")
    print("pairwise_l2_samples=%.3f pairwise_l2_real=%.3f" % (
        _mean_pairwise_distance(samples), _mean_pairwise_distance(mnist.to_float(real[:args.n]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
