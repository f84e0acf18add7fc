"""Train one GAN variant: `python -m tf1_gan.train --variant dcgan_sn --epochs 10`.

Several devices: `--num-towers K` replicates G and D over K GPUs (or K virtual CPU devices), batch_size
is then the global batch. Several machines: `--cluster-spec cluster.json --job-name {ps,worker}
--task-index I` hands over to tf1_gan.distributed (TF's own runtime; see docs/tf1_gan_parallel.md).

Writes into the run dir: config.yaml, checkpoints/, TensorBoard events, samples/{middle,end}.png (and
.npy) from a fixed z, loss_curves.png, history.json and metrics.json (losses, speed, and the
classifier-based FID / digit histogram / confident fraction from tf1_gan.evaluate).
Ctrl-C saves a checkpoint; running the same command again resumes from it.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # before our modules build anything: no deprecation noise

from common import config, files, mnist, plots, training  # noqa: E402
from tf1_gan import graph as gan_graph  # noqa: E402
from tf1_gan import model  # noqa: E402
from tf1_gan import parallel  # noqa: E402

TASK = "tf1_gan"
DEFAULTS = {
    "variant": "dcgan_bn",
    "sn_scope": "all",
    "init": "torch",
    "bn_epsilon": 0.0,
    "conv_impl": "auto",
    "loss": "nonsaturating",
    "epochs": 10,
    "batch_size": 64,
    "lr": 0.0002,
    "beta1": 0.5,
    "beta2": 0.999,
    "seed": 0,
    "data_source": "auto",
    "data_dir": None,
    "num_train": 0,
    "run_dir": None,
    "threads": 2,
    "num_towers": 1,
    "log_every": 25,
    "ckpt_every": 500,
    "eval": True,
    "eval_samples": 2000,
}
HELP = {
    "variant": "one of %s" % ", ".join(model.VARIANTS),
    "sn_scope": ("dcgan_sn only: 'all' = SN replaces BN in G and D (the seed, literally), 'd' = SN in D, BN in G "
                 "(the paper), 'all_bn' = SN everywhere and G keeps BN (SAGAN style)"),
    "init": "kernel init: 'torch' (PyTorch default, as the reference) or 'he' (variance-preserving)",
    "bn_epsilon": "batch-norm epsilon; 0 = the variant's (linear_bn: 0.8 as the reference, dcgan: 1e-5)",
    "conv_impl": ("how the conv variants compute convolutions: 'subpixel' (every pass on TF's fast forward "
                  "Conv2D, see tf1_gan/conv_ops.py), 'tf' (conv2d_transpose and TF's gradients) or 'auto' "
                  "(subpixel on the stock CPU wheel, tf on oneDNN and GPU builds); same results"),
    "loss": "GAN loss (only 'nonsaturating': the seed forbids changing it)",
    "epochs": "passes over the training images (same for every variant when comparing)",
    "batch_size": "images per step",
    "lr": "Adam learning rate (G and D)",
    "beta1": "Adam beta1", "beta2": "Adam beta2",
    "seed": "seed of every random draw (data order, z, init)",
    "data_source": "common.mnist source: auto, embedded, idx, npz, csv, fashion_mnist, download",
    "data_dir": "directory/file for the data source",
    "num_train": "use only the first N training images (0 = all; for quick demos)",
    "run_dir": "output dir (default runs/tf1_gan/<variant>[_snD]_s<seed>)",
    "threads": "TF intra/inter-op threads",
    "num_towers": ("replicas of G and D, one per GPU (virtual CPU devices without GPUs); batch_size is the global "
                   "batch, split evenly; gradients averaged, one update, SN u moved once per step"),
    "log_every": "steps between TensorBoard scalar summaries / history points",
    "ckpt_every": "steps between checkpoints",
    "eval": "evaluate samples with the MNIST classifier at the end (FID, digit histogram)",
    "eval_samples": "samples used for the evaluation",
}


def default_run_dir(cfg):
    name = cfg.variant + {"all": "", "d": "_snD", "all_bn": "_snAllBN"}.get(cfg.sn_scope, "")
    name += ("_he" if cfg.init == "he" else "") + ("_eps%g" % cfg.bn_epsilon if cfg.bn_epsilon > 0 else "")
    name += ("_k%d" % cfg.num_towers if cfg.num_towers > 1 else "") + "_s%d" % cfg.seed
    return training.default_run_dir(TASK, name)


def load_images(cfg):
    """uint8 (N, 28, 28) training images; raises mnist.DataError with the file and reason."""
    images, _ = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise mnist.DataError("training images must be (N, 28, 28), got %s" % (images.shape,))
    if cfg.num_train < 0 or cfg.num_train > len(images) or 0 < cfg.num_train < cfg.batch_size:
        raise ValueError("num_train=%d: need 0 (all) or batch_size <= N <= %d" % (cfg.num_train, len(images)))
    return images[:cfg.num_train] if cfg.num_train else images


def _save_samples(sess, g, paths, tag, step):
    """Fixed-z grids (moving-stat BN and, for BN generators, batch-stat BN) as PNG + NPY."""
    fixed, fixed_bs = sess.run([g.fixed_samples, g.fixed_samples_batch_stats])
    title = "%s (G %s, D %s), step %d" % (g.variant.name, g.variant.g_norm or "plain", g.variant.d_norm or "plain",
                                          step)
    plots.save_image_grid(fixed, os.path.join(paths.samples, tag + ".png"), title=title)
    files.save_npy(os.path.join(paths.samples, tag + ".npy"), fixed[..., 0])
    if model.has_bn(g.variant.g_norm):
        plots.save_image_grid(fixed_bs, os.path.join(paths.samples, tag + "_batchstats.png"),
                              title=title + " (BN batch stats)")
        files.save_npy(os.path.join(paths.samples, tag + "_batchstats.npy"), fixed_bs[..., 0])


def _load_history(path, start):
    if not os.path.exists(path):
        return {k: [] for k in ("step", "d_loss", "g_loss", "d_real", "d_fake")}
    hist = files.read_json(path)
    keep = [i for i, s in enumerate(hist["step"]) if s <= start]
    return {k: [v[i] for i in keep] for k, v in hist.items()}


def train(cfg, images, run_dir, quiet=False):
    """Trains (or resumes) one run; returns the metrics dict also written to metrics.json."""
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)
    if cfg.num_towers > 1:
        devices = parallel.tower_devices(cfg.num_towers)
        g = parallel.build_parallel_train_graph(cfg, len(images), cfg.num_towers, devices)
        session_config = parallel.session_config(devices, cfg.threads)
    else:
        g = gan_graph.build_graph(cfg, len(images))
        session_config = training.session_config(cfg.threads)
    with g.graph.as_default():
        ckpt = training.Checkpointer(paths.checkpoints, max_to_keep=2)
    writer = training.summary_writer(paths.events, g.graph)
    g.graph.finalize()
    total = cfg.epochs * g.steps_per_epoch
    middle = total // 2
    hist_path = paths.path("history.json")
    with tf.Session(graph=g.graph, config=session_config) as sess:
        start = ckpt.restore_or_initialize(sess, g.init_op)
        sess.run(g.data_init, {g.data_images: images})
        hist = _load_history(hist_path, start)
        if start == 0:
            writer.add_summary(sess.run(g.grid_summary), 0)
        if start and not quiet:
            print("resumed from step %d of %d" % (start, total))
        t0, steps_timed = time.time(), 0
        step = start
        with training.GracefulStop() as stop:
            bar = training.progress(range(start, total), desc="%s train" % cfg.variant, initial=start,
                                    total=total)
            for step in bar:
                if (step + 1) % cfg.log_every == 0 or step + 1 == total:
                    _, d, gl, dr, df, summ = sess.run([g.train_op, g.d_loss, g.g_loss, g.d_real, g.d_fake,
                                                       g.train_summary])
                    writer.add_summary(summ, step + 1)
                    for k, val in zip(("step", "d_loss", "g_loss", "d_real", "d_fake"), (step + 1, d, gl, dr, df)):
                        hist[k].append(float(val))
                    bar.set_postfix(d="%.3f" % d, g="%.3f" % gl)
                else:
                    sess.run(g.train_op)
                steps_timed += 1
                done = step + 1
                if done == middle or done == total:
                    _save_samples(sess, g, paths, "middle" if done == middle else "end", done)
                    writer.add_summary(sess.run(g.grid_summary), done)
                if done % cfg.ckpt_every == 0 or done == total or stop.requested:
                    ckpt.save(sess, done)
                    files.write_json(hist_path, hist)
                if stop.requested:
                    writer.flush()
                    print("stopped at step %d; run the same command to resume" % done)
                    return None
            bar.close()
        elapsed = time.time() - t0
        if start >= total:
            ckpt.save(sess, total)
        writer.flush()
    files.write_json(hist_path, hist)
    plots.save_curves(paths.path("loss_curves.png"),
                      {"D loss": (hist["step"], hist["d_loss"]), "G loss": (hist["step"], hist["g_loss"])},
                      title="%s losses" % cfg.variant, ylabel="BCE")
    metrics = {"variant": cfg.variant, "sn_scope": cfg.sn_scope, "epochs": cfg.epochs, "steps": total,
               "num_train_images": int(len(images)), "seed": cfg.seed}
    if hist["step"]:
        metrics.update({"final_d_loss": hist["d_loss"][-1], "final_g_loss": hist["g_loss"][-1],
                        "final_d_real": hist["d_real"][-1], "final_d_fake": hist["d_fake"][-1]})
    if steps_timed and start < total:
        metrics["train_imgs_per_s"] = steps_timed * cfg.batch_size / elapsed
    if cfg.eval:
        from tf1_gan import evaluate  # deferred: it may train the classifier on first use
        metrics.update(evaluate.evaluate_run(run_dir, cfg.eval_samples, seed=cfg.seed, threads=cfg.threads))
    files.write_json(paths.metrics, metrics)
    return metrics


def _run_cluster_task(argv):
    """`--cluster-spec ...`: this process is one ps/worker task of tf1_gan.distributed."""
    from tf1_gan import distributed  # deferred: only cluster runs need it
    code = distributed.main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # A tf.train.Server cannot be shut down cleanly in TF 1.15 (see tf1_gan.distributed): exit hard.
    os._exit(code)  # pylint: disable=protected-access


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if any(a.split("=")[0] in ("--cluster-spec", "--cluster_spec") for a in argv):
        _run_cluster_task(argv)
    try:
        cfg = config.parse(DEFAULTS, argv, description=__doc__.split("\n")[0], help=HELP)
        if cfg.num_towers < 1 or cfg.batch_size % cfg.num_towers:
            raise ValueError("batch_size %d must split evenly over --num-towers %d"
                             % (cfg.batch_size, cfg.num_towers))
        model.variant_from_config(cfg)
        images = load_images(cfg)
    except (config.ConfigError, ValueError, mnist.DataError) as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    run_dir = cfg.run_dir or default_run_dir(cfg)
    metrics = train(cfg, images, run_dir)
    if metrics is not None:
        shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()
                 if not isinstance(v, (list, dict))}
        print("run dir: %s" % run_dir)
        print(" ".join("%s=%s" % kv for kv in sorted(shown.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
