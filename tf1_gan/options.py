"""tf1_gan's configuration keys, declared once: defaults, help, choices and ranges.

`tf1_gan.train` (one device or K towers), `tf1_gan.cluster.train` (a ps or worker task), the benchmarks and the
demo all build their configs from the key groups below, so a default, a help text or an allowed range is set in
one place. Cross-key rules (a global batch that splits over the towers, `--sn-scope` only for `dcgan_sn`,
`--num-train` against the batch) are schema checks: a violation exits 2 naming the keys, like any bad value.
"""

from common import config, mnist
from tf1_gan import losses
from tf1_gan import model


def model_keys(variant="dcgan_bn"):
    """Which network, how it computes and what it minimizes: variant, sn_scope, init, bn_epsilon, conv_impl, loss."""
    return [
        config.Key("variant", variant, "network: the seed's four versions, from the simple GAN to spectral norm",
                   choices=tuple(model.VARIANTS)),
        config.Key("sn_scope", "all", "dcgan_sn only: 'all' = SN replaces every BN, in G and D (the seed, literally; "
                   "collapses), 'd' = SN in D, G keeps BN (the paper's setup), 'all_bn' = SN everywhere and G keeps "
                   "BN (SAGAN style)", choices=model.SN_SCOPES),
        config.Key("init", "torch", "kernel init: 'torch' (PyTorch's default, as the reference) or 'he' "
                   "(variance-preserving through LeakyReLU)", choices=model.INITS),
        config.Key("bn_epsilon", 0.0, "batch-norm epsilon; 0 = the variant's (linear_bn: 0.8 as the reference, "
                   "dcgan: 1e-5)", ge=0.0),
        config.Key("conv_impl", "auto", "how the conv variants compute convolutions: 'subpixel' (every pass on TF's "
                   "fast forward Conv2D, tf1_gan/conv_ops.py), 'tf' (conv2d_transpose and TF's gradients) or 'auto' "
                   "(subpixel on the stock CPU wheel, tf on oneDNN and GPU builds); same results",
                   choices=model.CONV_IMPLS),
        config.Key("loss", "bce", "GAN loss: 'bce' = the seed's binary cross-entropy, G non-saturating (the default, "
                   "as the seed asks); 'hinge' = the SN-GAN paper's hinge loss (tf1_gan/losses.py)",
                   choices=tuple(losses.LOSSES)),
    ]


def penalty_keys():
    """penalty, penalty_weight: a D penalty composed with the loss (the seed's: none)."""
    return [
        config.Key("penalty", "none", "D penalty added to D's loss: 'none' (the default, as the seed: BCE without a "
                   "penalty) or 'r1' = E||grad_x D(x)||^2 / 2 on real images (Mescheder et al. 2018)",
                   choices=tuple(losses.PENALTIES)),
        config.Key("penalty_weight", 10.0, "factor of --penalty in D's loss (R1's gamma; unused with none)", ge=0.0),
    ]


def optimizer_keys(batch_help="images per step"):
    """batch_size, lr, beta1, beta2 (Adam for G and D, as the PyTorch reference)."""
    return [
        config.batch_size(64, batch_help),
        config.lr(0.0002, "Adam learning rate (G and D)"),
        config.Key("beta1", 0.5, "Adam beta1", ge=0.0, lt=1.0),
        config.Key("beta2", 0.999, "Adam beta2", ge=0.0, lt=1.0),
    ]


def data_keys():
    """seed, data_source, data_dir."""
    return [
        config.seed(0, "seed of every random draw (initialisation, data order, z)"),
        config.data_source("auto", choices=mnist.SOURCES, help="where the MNIST images come from (auto: full MNIST "
                           "if found locally, else the embedded 8,000-image subset)"),
        config.data_dir("directory (or file) of the data source; none = the source's usual place"),
    ]


def check_variant(cfg):
    """The variant, sn_scope, init, bn_epsilon and conv_impl together describe one network."""
    try:
        model.variant_from_config(cfg)
    except ValueError as err:
        raise config.ConfigError("%s (--variant %s --sn-scope %s)" % (err, cfg.variant, cfg.sn_scope))


def check_towers(cfg):
    config.require(cfg.batch_size % cfg.num_towers == 0,
                   "config key 'batch_size' (%d) must split evenly over 'num_towers' (%d): the batch is global"
                   % (cfg.batch_size, cfg.num_towers))


def check_num_train(cfg):
    config.require(cfg.num_train == 0 or cfg.num_train >= cfg.batch_size,
                   "config key 'num_train' (%d) must be 0 (all images) or at least 'batch_size' (%d)"
                   % (cfg.num_train, cfg.batch_size))


TRAIN = config.Schema(
    model_keys() + penalty_keys()
    + [config.epochs(10, "passes over the training images (the same for every variant when comparing)")]
    + optimizer_keys("images per step (the global batch with --num-towers: split evenly)") + data_keys() + [
        config.num_train(0, "use only the first N training images (0 = all; for quick demos)"),
        config.Key("num_towers", 1, "replicas of G and D, one per GPU (virtual CPU devices without GPUs); "
                   "batch_size is split evenly, gradients averaged, one update, SN's u moved once per step", ge=1),
        config.run_dir("output directory (default runs/tf1_gan/<variant>[_snD][_k<towers>]_s<seed>); rerunning the "
                       "same command resumes"),
        config.threads(2),
        config.log_every(25, "steps between logged points (history.json, TensorBoard scalars)"),
        config.ckpt_every(500),
        config.Key("eval", True, "evaluate samples with the MNIST classifier at the end (FID, digit histogram)"),
        config.Key("eval_samples", 2000, "samples used for the evaluation", ge=2),
        config.Key("fid_every", 0, "also evaluate during training: at the first checkpoint after every N steps "
                   "(TensorBoard eval/fid, history.json); 0 = only at the end", ge=0, resume_safe=True),
        config.session_steps(),
        config.restart(),
    ], checks=[check_variant, check_towers, check_num_train])


def check_cluster_spec_given(cfg):
    config.require(bool(cfg.cluster_spec), "--cluster-spec FILE.json is required (the ps and worker addresses)")


CLUSTER = config.Schema(
    model_keys(variant="linear") + [
        config.steps(20, "synchronous training steps in total (a resumed run continues up to this number)"),
        config.Key("epochs", None, "train this many passes over the data instead of --steps (default: use --steps)",
                   type=int, ge=1),
    ] + optimizer_keys("the GLOBAL batch, split evenly over the workers") + data_keys() + [
        config.Key("cluster_spec", None, 'JSON file {"ps": ["host:port", ...], "worker": ["host:port", ...]}',
                   type=str, resume_safe=True),
        config.Key("job_name", "worker", "this process's job in the cluster", choices=("ps", "worker"),
                   resume_safe=True),
        config.Key("task_index", 0, "this process's index within its job (worker 0 is the chief)", ge=0,
                   resume_safe=True),
        config.run_dir("the chief's output directory (default runs/tf1_gan/cluster_<variant>_s<seed>); rerunning "
                       "the same commands resumes"),
        config.threads(1, "TensorFlow intra- and inter-op threads per process (0 = TensorFlow's choice)"),
        config.log_every(5, "chief: steps between logged points"),
        config.ckpt_every(100, "chief: steps between checkpoints (one is also written at the end and on a stop)"),
        config.Key("step_timeout", 120.0, "seconds a step (or waiting for the chief) may take before the task fails",
                   gt=0.0, resume_safe=True),
        config.restart(),
    ], checks=[check_variant, check_cluster_spec_given])


def train_config(**values):
    """A checked tf1_gan.train Config: the defaults with `values` applied (benchmarks, demo, tests)."""
    return TRAIN.make(**values)
