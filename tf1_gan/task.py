"""tf1_gan: four MNIST GANs, from a simple linear GAN to hand-written spectral normalization (seed 000).

One step of `python -m tf1_gan.train` is one D-then-G update on one device or K towers (train_graph.py over
train_step.py); the run writes fixed-z samples at the middle and the end of training, the loss curves, and
(unless --no-eval) the classifier-based FID, digit histogram and confident fraction of tf1_gan.evaluate.
common.loop runs it: rerun the same command to resume, Ctrl-C saves a checkpoint and exits 130, a
diverged D loss (not finite, or far above a D that learned nothing) exits 3. The evaluation's MNIST classifier is a run of its own (tf1_gan/classifier.py).
"""
import functools

from common import errors, files, mnist, plots, run, task, training
from tf1_gan import classifier
from tf1_gan import model
from tf1_gan import options

SCHEMA = options.TRAIN
LOSS_KEYS = ("d_loss", "g_loss")  # logged at every log point, then the loss's monitors (BCE: d_real, d_fake)


def default_run_dir(cfg):
    """runs/tf1_gan/<variant>[_snD|_snAllBN][_he][_eps<e>][_k<towers>]_s<seed>."""
    name = cfg.variant + {"all": "", "d": "_snD", "all_bn": "_snAllBN"}[cfg.sn_scope]
    name += ("_he" if cfg.init == "he" else "") + ("_eps%g" % cfg.bn_epsilon if cfg.bn_epsilon > 0 else "")
    name += ("_k%d" % cfg.num_towers if cfg.num_towers > 1 else "") + "_s%d" % cfg.seed
    return run.default_run_dir("tf1_gan", name)


def check_images(images, cfg, source):
    """The first --num-train of uint8 (N, 28, 28) `images`; DataError names `source` and the reason."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise errors.DataError("%s: training images must be (N, 28, 28), got %s" % (source, images.shape,))
    if cfg.num_train > len(images):
        raise errors.DataError("config key 'num_train' (%d) exceeds the %d training images of %s"
                               % (cfg.num_train, len(images), source))
    if len(images) < cfg.batch_size:
        raise errors.DataError("%s: %d training images are fewer than one batch (%d)"
                               % (source, len(images), cfg.batch_size))
    return images[:cfg.num_train] if cfg.num_train else images


def load_images(cfg):
    """uint8 (N, 28, 28) training images (the first --num-train of them); DataError names the file and reason."""
    try:
        images, _ = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
    except mnist.DataError as err:
        raise errors.DataError(str(err))
    return check_images(images, cfg, "data source %r" % cfg.data_source)


@functools.lru_cache(maxsize=None)
def placement(num_towers):
    """The replica devices of --num-towers K (listing the GPUs once per process)."""
    from tf1_gan import devices
    return tuple(devices.for_towers(num_towers))


def save_samples(sess, g, paths, tag, step):
    """Fixed-z grids (moving-stat BN and, for BN generators, batch-stat BN) as PNG + NPY."""
    fixed, fixed_bs = sess.run([g.fixed_samples, g.fixed_samples_batch_stats])
    title = "%s (G %s, D %s), step %d" % (g.variant.name, g.variant.g_norm or "plain", g.variant.d_norm or "plain",
                                          step)
    plots.save_image_grid(fixed, paths.path("samples", tag + ".png"), title=title)
    files.save_npy(paths.path("samples", tag + ".npy"), fixed[..., 0])
    if model.has_bn(g.variant.g_norm):
        plots.save_image_grid(fixed_bs, paths.path("samples", tag + "_batchstats.png"),
                              title=title + " (BN batch stats)")
        files.save_npy(paths.path("samples", tag + "_batchstats.npy"), fixed_bs[..., 0])


def history_keys(g):
    """What a log point records: D's and G's loss, then the loss's monitors (BCE: d_real, d_fake)."""
    return LOSS_KEYS + tuple(g.monitors)


def _gan_case(variant, *extra):
    return ("-m", "tf1_gan.train", "--variant", variant, "--epochs", "1", "--num-train", "256", "--batch-size", "64",
            "--no-eval", "--threads", "1", "--run-dir", "{run}") + extra


EVAL_SCALARS = ("fid", "fid_batchstats", "digits_covered", "confident_fraction")


class GanTrainer(task.Trainer):
    """One D-then-G update per step; a log point also fetches the losses and writes the step's summaries.

    Args:
      images: uint8 (N, 28, 28) to train on instead of --data-source (tests, the demo); --num-train applies.
      run_dir: the run dir when the config names none (else --run-dir, else `default_run_dir`).
    """

    module = "tf1_gan.train"
    schema = SCHEMA
    description = "Train one GAN variant (the seed's four, or spectral norm in D only) on MNIST."
    smoke_args = ("--run-dir", "{tmp}/run", "--variant", "linear", "--epochs", "1", "--num-train", "64",
                  "--no-eval", "--threads", "1")
    resume_args = ("--variant", "linear_bn", "--epochs", "20", "--num-train", "640", "--ckpt-every", "1",
                   "--log-every", "1", "--threads", "1", "--no-eval")
    resume_step = 5
    invariants = {
        "gan_linear": _gan_case("linear"),
        "gan_linear_bn": _gan_case("linear_bn"),
        "gan_dcgan_bn": _gan_case("dcgan_bn"),
        "gan_dcgan_sn": _gan_case("dcgan_sn"),
        "gan_dcgan_sn_d": _gan_case("dcgan_sn", "--sn-scope", "d"),
        "gan_linear_bn_k2": _gan_case("linear_bn", "--num-towers", "2"),
        "gan_dcgan_sn_k2": _gan_case("dcgan_sn", "--num-towers", "2"),
        "gan_dcgan_sn_k4": _gan_case("dcgan_sn", "--num-towers", "4"),
        # The cluster's chief keeps its own loop (tf1_gan/cluster/train.py); its case is listed with the task.
        "gan_cluster_dcgan_sn": ("-m", "tf1_gan.cluster.demo", "--workers", "2", "--steps", "4", "--variant",
                                 "dcgan_sn", "--run-dir", "{run}"),
    }
    invariants_fast = ()  # each takes ~10-60 s: make test-all runs them
    data_flag = None  # images come from --data-source/--data-dir (tests/hostile has its MNIST cases)
    # D's loss is what D's optimizer lowers; G's may legitimately climb while D wins.
    loss_key = "d_loss"
    diverge_args = ("--variant", "linear", "--epochs", "1", "--num-train", "256", "--log-every", "1", "--no-eval",
                    "--threads", "1", "--lr", "10")

    def __init__(self, images=None, run_dir=None):
        self.images = images
        self.given_run_dir = run_dir

    def load(self, cfg):
        if self.images is not None:
            return check_images(self.images, cfg, "the given images")
        return load_images(cfg)

    def run_dir(self, cfg):
        return cfg.run_dir or self.given_run_dir or default_run_dir(cfg)

    def trivial_loss(self, cfg):
        from tf1_gan import losses
        return losses.constant_d_loss(cfg.loss), "a discriminator whose logit is 0 for every image"

    def build(self, cfg, images):
        from tf1_gan import train_graph
        return train_graph.build_train_graph(cfg, len(images), placement(cfg.num_towers))

    def session_config(self, cfg):
        from tf1_gan import devices
        return devices.session_config(placement(cfg.num_towers), cfg.threads)

    def total(self, cfg, g):
        return cfg.epochs * g.steps_per_epoch

    def begin(self, ctx):
        ctx.sess.run(ctx.g.data_init, {ctx.g.data_images: ctx.data})
        ctx.state["middle"] = ctx.total // 2
        # The step-0 grid (initial weights) is computed now and written by the first step (the writer opens next).
        ctx.state["grid0"] = ctx.sess.run(ctx.g.grid_summary) if ctx.start == 0 else None

    def step(self, ctx, step):
        g, cfg, sess = ctx.g, ctx.cfg, ctx.sess
        grid0 = ctx.state.pop("grid0", None)
        if grid0 is not None:
            ctx.writer.add_summary(grid0, 0)
        scalars = None
        if step % cfg.log_every == 0 or step == ctx.total:
            keys = history_keys(g)
            out = sess.run([g.train_op, g.train_summary, g.d_loss, g.g_loss] + list(g.monitors.values()))
            ctx.writer.add_summary(out[1], step)
            scalars = {k: float(v) for k, v in zip(keys, out[2:])}
            ctx.run.log(step, scalars, summaries=False)  # TensorBoard has them from train_summary
        else:
            sess.run(g.train_op)
        if step in (ctx.state["middle"], ctx.total):
            save_samples(sess, g, ctx.paths, "middle" if step == ctx.state["middle"] else "end", step)
            ctx.writer.add_summary(sess.run(g.grid_summary), step)
        return scalars

    def end(self, ctx):
        steps, d_losses = ctx.history.series("d_loss")
        if steps:
            plots.save_curves(ctx.paths.path("loss_curves.png"),
                              {"D loss": (steps, d_losses), "G loss": ctx.history.series("g_loss")},
                              title="%s losses" % ctx.cfg.variant, ylabel=ctx.g.loss_label)

    def checkpointed(self, ctx, step):
        """FID over time (--fid-every N): the first checkpoint after every N steps is evaluated like the end."""
        cfg = ctx.cfg
        last = ctx.state.get("fid_step", ctx.start)
        if not (cfg.eval and cfg.fid_every) or step >= ctx.total or step // cfg.fid_every <= last // cfg.fid_every:
            return
        ctx.state["fid_step"] = step
        from tf1_gan import evaluate
        result = evaluate.evaluate_run(ctx.paths.root, cfg.eval_samples, seed=cfg.seed, threads=cfg.threads)
        scalars = {"eval/" + k: result[k] for k in EVAL_SCALARS if k in result}
        ctx.run.log(step, scalars)
        ctx.log("step %d: FID %.2f, %d digit classes, confident fraction %.3f"
                % (step, result["fid"], result["digits_covered"], result["confident_fraction"]))

    def evaluate(self, ctx):
        if not ctx.cfg.eval:
            return None
        from tf1_gan import evaluate
        cfg = ctx.cfg
        return evaluate.evaluate_run(ctx.paths.root, cfg.eval_samples, seed=cfg.seed, threads=cfg.threads)

    def finish(self, ctx, result):
        cfg = ctx.cfg
        metrics = {"variant": cfg.variant, "sn_scope": cfg.sn_scope, "epochs": cfg.epochs, "steps": ctx.total,
                   "num_train_images": int(len(ctx.data)), "seed": cfg.seed, "num_towers": cfg.num_towers}
        if ctx.history.rows:
            metrics.update({"final_" + k: ctx.history.last(k) for k in history_keys(ctx.g)})
        if ctx.steps_run:
            metrics["train_imgs_per_s"] = ctx.steps_run * cfg.batch_size / max(ctx.seconds, 1e-9)
        if result:
            metrics.update(result)
            # TensorBoard shows the evaluation beside the losses, at the final step.
            training.add_scalars(ctx.writer, ctx.total, {"eval/" + k: result[k] for k in EVAL_SCALARS if k in result})
        return metrics

    def summary(self, metrics):
        variant = model.VARIANTS[metrics["variant"]]
        label = metrics["variant"]
        if "sn" in (variant.g_norm, variant.d_norm):
            label += " (--sn-scope %s)" % metrics["sn_scope"]
        rows = [("variant", label, ""), ("steps", metrics["steps"], "")]
        if "fid" in metrics:
            rows += [("FID (own MNIST classifier)", metrics["fid"], "real-data floor %.3g" % metrics["real_floor_fid"]),
                     ("digit classes covered (>= 2%)", metrics["digits_covered"], "of 10"),
                     ("confident fraction (p > 0.9)", metrics["confident_fraction"], "")]
        rows += [("final D loss", metrics.get("final_d_loss"), ""), ("final G loss", metrics.get("final_g_loss"), ""),
                 ("speed", metrics.get("train_imgs_per_s"), "imgs/s")]
        return rows


TRAINER = GanTrainer()


def train(cfg, images=None, run_dir=None, log=print):
    """Trains (or resumes) one run on `images` (default: cfg's data source) in `run_dir` (default: cfg's).

    Returns:
      The metrics dict also written to metrics.json, or None when the run was stopped (the same call resumes).
    """
    from common import loop
    trainer = TRAINER if images is None and run_dir is None else GanTrainer(images, run_dir)
    trainer.task = TRAINER.task
    return loop.train(trainer, cfg, log=log)


TASK = task.Task(
    "tf1_gan", "From a simple GAN to hand-written spectral normalization", seeds=("000",),
    trainers=[TRAINER, classifier.TRAINER],
    deliverables=[task.Deliverable(
        "tf1_gan", "tf1_gan/Report.pdf", "docs/deliverables/tf1_gan_report.md", None, "000",
        "the seed's Report.pdf: technical questions 1 (a-c) and 2, then the four variants' samples (middle and "
        "end of training) and results, beside SN in D only")],
    # One row of the comparison figure (the paper's setup), so its sample grids print at full size.
    figure=("tf1_gan/figures/variants/compare.png#crop=0.8-1",
            "Version 4 as the paper sets it up (spectral norm in D only): fixed-z samples at the middle (left) and "
            "the end (right) of 10 epochs; every version is in the GAN report"),
    demo="tf1_gan.demo", bench="tf1_gan.bench",
    # tf1_gan.cluster.train is a training CLI with its own loop (TF's SessionManager across processes): no Trainer.
    clis=("tf1_gan.sample", "tf1_gan.evaluate", "tf1_gan.compare", "tf1_gan.diagnose", "tf1_gan.cluster.demo",
          "tf1_gan.bench.towers", "tf1_gan.bench.conv"),
    run_clis=("tf1_gan.cluster.train",),
    report_section="tf1_gan.report:section",
    handin=task.Handin("gan", (("tf1_gan/Report.pdf", "Report.pdf"),), code="gan_zip"),
)
