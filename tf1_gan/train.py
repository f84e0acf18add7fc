"""Train one GAN variant: `python -m tf1_gan.train --variant dcgan_sn --sn-scope d --epochs 10`.

`--num-towers K` replicates G and D over K GPUs (or K virtual CPU devices); the batch is then the global
batch. Several machines: `python -m tf1_gan.cluster.train` (TF's own runtime; docs/tf1_gan_parallel.md).

Writes into the run dir: config.yaml, checkpoints/, TensorBoard events, samples/{middle,end}.png (and .npy)
from a fixed z, loss_curves.png, history.json and metrics.json (losses, speed, and the classifier-based FID,
digit histogram and confident fraction of tf1_gan.evaluate). Ctrl-C saves a checkpoint and exits 130; the
same command resumes.
"""
import sys
import time

import tensorflow as tf

from common import cli, config, files, mnist, plots, run
from tf1_gan import devices
from tf1_gan import evaluate
from tf1_gan import model
from tf1_gan import options
from tf1_gan import train_graph

TASK = "tf1_gan"
SCHEMA = options.TRAIN
HISTORY_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


class DataError(config.ConfigError):
    """The training images cannot be used (unreadable, wrong shape, fewer than --num-train)."""


def default_run_dir(cfg):
    name = cfg.variant + {"all": "", "d": "_snD", "all_bn": "_snAllBN"}[cfg.sn_scope]
    name += ("_he" if cfg.init == "he" else "") + ("_eps%g" % cfg.bn_epsilon if cfg.bn_epsilon > 0 else "")
    name += ("_k%d" % cfg.num_towers if cfg.num_towers > 1 else "") + "_s%d" % cfg.seed
    return run.default_run_dir(TASK, name)


def load_images(cfg):
    """uint8 (N, 28, 28) training images (the first --num-train of them); DataError names the file and reason."""
    try:
        images, _ = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
    except mnist.DataError as err:
        raise DataError(str(err))
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError("training images must be (N, 28, 28), got %s" % (images.shape,))
    if cfg.num_train > len(images):
        raise DataError("config key 'num_train' (%d) exceeds the %d training images of data source %r"
                        % (cfg.num_train, len(images), cfg.data_source))
    if len(images) < cfg.batch_size:
        raise DataError("%d training images are fewer than one batch (%d)" % (len(images), cfg.batch_size))
    return images[:cfg.num_train] if cfg.num_train else images


def _save_samples(sess, g, paths, tag, step):
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


def train(cfg, images, run_dir=None, log=print):
    """Trains (or resumes) one run.

    Returns:
      The metrics dict also written to metrics.json, or None when the run was stopped (the same call resumes).
    """
    run_dir = run_dir or cfg.run_dir or default_run_dir(cfg)
    placed = devices.for_towers(cfg.num_towers)
    with run.Run(cfg, run_dir, restart=cfg.restart, log=log) as r:
        g = train_graph.build_train_graph(cfg, len(images), placed)
        with g.graph.as_default():
            r.make_checkpointer()
        g.graph.finalize()
        total = cfg.epochs * g.steps_per_epoch
        middle = total // 2
        with tf.Session(graph=g.graph, config=devices.session_config(placed, cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, g.init_op)
            sess.run(g.data_init, {g.data_images: images})
            writer = r.open_writer(g.graph)
            if start == 0:
                writer.add_summary(sess.run(g.grid_summary), 0)
            t0, timed = time.time(), 0
            for step in r.steps(sess, start, total, cfg.ckpt_every, desc="%s train" % cfg.variant):
                if step % cfg.log_every == 0 or step == total:
                    _, d, gl, dr, df, summary = sess.run([g.train_op, g.d_loss, g.g_loss, g.d_real, g.d_fake,
                                                          g.train_summary])
                    writer.add_summary(summary, step)
                    r.log(step, dict(zip(HISTORY_KEYS, (d, gl, dr, df))), summaries=False)
                    if r.progress is not None:
                        r.progress.set_postfix(d="%.3f" % d, g="%.3f" % gl)
                else:
                    sess.run(g.train_op)
                timed += 1
                if step in (middle, total):
                    _save_samples(sess, g, r.paths, "middle" if step == middle else "end", step)
                    writer.add_summary(sess.run(g.grid_summary), step)
            elapsed = time.time() - t0
        if r.stopped:
            return None
        steps, d_losses = r.history.series("d_loss")
        plots.save_curves(r.paths.path("loss_curves.png"),
                          {"D loss": (steps, d_losses), "G loss": r.history.series("g_loss")},
                          title="%s losses" % cfg.variant, ylabel="BCE")
        metrics = {"variant": cfg.variant, "sn_scope": cfg.sn_scope, "epochs": cfg.epochs, "steps": total,
                   "num_train_images": int(len(images)), "seed": cfg.seed, "num_towers": cfg.num_towers}
        if steps:
            metrics.update({"final_" + k: r.history.last(k) for k in HISTORY_KEYS})
        if timed:
            metrics["train_imgs_per_s"] = timed * cfg.batch_size / max(elapsed, 1e-9)
        if cfg.eval:
            metrics.update(evaluate.evaluate_run(run_dir, cfg.eval_samples, seed=cfg.seed, threads=cfg.threads))
        r.finish(metrics)
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    images = load_images(cfg)  # bad data fails before anything is written
    run_dir = cfg.run_dir or default_run_dir(cfg)
    metrics = train(cfg, images, run_dir)
    if metrics is not None:
        shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()
                 if not isinstance(v, (list, dict))}
        print("run dir: %s" % run_dir)
        print(" ".join("%s=%s" % kv for kv in sorted(shown.items())))
    return cli.done_or_stopped(metrics)


if __name__ == "__main__":
    sys.exit(main())
