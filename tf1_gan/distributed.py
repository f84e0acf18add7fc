"""Synchronous data-parallel GAN training across processes/machines on TF 1.15's own runtime.

    python -m tf1_gan.distributed --cluster-spec cluster.json --job-name ps     --task-index 0
    python -m tf1_gan.distributed --cluster-spec cluster.json --job-name worker --task-index 0 --steps 20
    python -m tf1_gan.distributed --cluster-spec cluster.json --job-name worker --task-index 1 --steps 20
(`python -m tf1_gan.cluster_demo` starts all three on loopback ports and cleans up.)

cluster.json: {"ps": ["host:port", ...], "worker": ["host:port", ...]} -> tf.train.ClusterSpec; every
process runs a tf.train.Server. Between-graph replication: each worker builds the whole graph under
tf.train.replica_device_setter, so variables live on the ps tasks and compute on the worker.

One step (all workers in lock-step, tf.train.SyncReplicasOptimizer, twice):
  1. worker i takes slice i of the step's global batch and z (the same stateless draws as graph.py),
     runs G and D forward; D's gradients go to ConditionalAccumulators on the ps.
  2. the chief's queue runner waits for all workers' D gradients, averages them, applies Adam to D,
     and releases one token per worker; only then do workers continue (D is updated).
  3. each worker computes G's loss through the updated D; G's gradients are aggregated the same way;
     the chief's G update also advances every spectral-norm u/v ONCE (see below); global_step += 1.
Two SyncReplicasOptimizers share one hard-coded token-queue name ("sync_token_q"), so each is built in
its own resource container (`tf.container`) to keep their queues and accumulators apart.

Spectral norm: workers only READ u, v. The power iteration runs once per step inside the chief's
synchronous G update, after all workers have read, on the just-updated weights; (u, v) computed at
the end of step t-1 from W_t are exactly what a single device computes at the start of step t, so the
sigmas match graph.py's. A fresh run advances u once after initialization for the same reason.
Batch norm: per-worker statistics; moving averages are updated by the chief only (like tower 0).
Checkpoints, summaries, config.yaml, metrics.json and sample grids are written by the chief only.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from common import config, files, mnist, plots, training  # noqa: E402
from tf1_gan import distributed_graph as dist_graph  # noqa: E402
from tf1_gan import train  # noqa: E402

TASK = "tf1_gan"
# Model, optimizer and data keys (and their help) come from train.py, so one place sets lr, init, ...
_SHARED = ("sn_scope", "init", "bn_epsilon", "loss", "batch_size", "lr", "beta1", "beta2", "seed", "data_source",
           "data_dir", "run_dir")
DEFAULTS = dict([("variant", "linear")] + [(k, train.DEFAULTS[k]) for k in _SHARED] + [
    ("steps", 20), ("epochs", 0), ("threads", 1), ("log_every", 5), ("ckpt_every", 100), ("step_timeout", 120.0)])
HELP = {
    "variant": "linear, linear_bn, dcgan_bn or dcgan_sn",
    "sn_scope": "dcgan_sn only: as in tf1_gan.train",
    "init": "kernel init, as in tf1_gan.train", "bn_epsilon": "BN epsilon override, as in tf1_gan.train",
    "loss": "GAN loss (only 'nonsaturating')",
    "steps": "synchronous training steps in total (a resumed run continues up to this number)",
    "epochs": "if > 0: train this many passes over the data instead of --steps (as tf1_gan.train)",
    "batch_size": "GLOBAL batch, split evenly over the workers",
    "lr": "Adam learning rate", "beta1": "Adam beta1", "beta2": "Adam beta2",
    "seed": "seed of every random draw",
    "data_source": "common.mnist source", "data_dir": "directory/file for the data source",
    "run_dir": "chief's output dir (default runs/tf1_gan/cluster_<variant>_s<seed>)",
    "threads": "TF intra/inter-op threads per process",
    "log_every": "chief: steps between summaries", "ckpt_every": "chief: steps between checkpoints",
    "step_timeout": "seconds a step (or waiting for the chief) may take before the worker fails",
}


# Sessions/servers of this process, kept referenced until os._exit: closing (or garbage-collecting) a
# gRPC session while other tasks still hold channels to this server can block forever in TF 1.15.
_KEEP_OPEN = []


class ClusterSpecError(ValueError):
    """The cluster spec file is missing, not JSON, or not {"ps": [...], "worker": [...]}."""


def load_cluster_spec(path):
    """Reads and validates a cluster spec JSON file; returns {"ps": [...], "worker": [...]}.

    Raises:
      ClusterSpecError: naming the file and what is wrong with it.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
    except OSError as err:
        raise ClusterSpecError("%s: cannot read cluster spec: %s" % (path, err.strerror))
    except ValueError as err:
        raise ClusterSpecError("%s: not valid JSON: %s" % (path, err))
    if not isinstance(spec, dict) or set(spec) != {"ps", "worker"}:
        raise ClusterSpecError('%s: expected exactly the keys "ps" and "worker", got %s'
                               % (path, sorted(spec) if isinstance(spec, dict) else type(spec).__name__))
    for job, addresses in sorted(spec.items()):
        if not isinstance(addresses, list) or not addresses:
            raise ClusterSpecError("%s: %r must be a non-empty list of host:port strings" % (path, job))
        for address in addresses:
            host, _, port = str(address).rpartition(":")
            if not host or not port.isdigit():
                raise ClusterSpecError("%s: %r entry %r is not host:port" % (path, job, address))
    return spec


def run_ps(spec, task_index, threads=1):
    """Serves variables until every worker has reported done (a shared queue on this ps task)."""
    cluster = tf.train.ClusterSpec(spec)
    server = tf.train.Server(cluster, job_name="ps", task_index=task_index,
                             config=training.session_config(threads))
    graph = tf.Graph()
    with graph.as_default():
        done = dist_graph.done_queue(task_index)
        dequeue = done.dequeue()
    print("ps %d serving at %s" % (task_index, spec["ps"][task_index]), flush=True)
    sess = tf.Session(server.target, graph=graph)
    _KEEP_OPEN.extend([server, sess])  # never closed, see _KEEP_OPEN
    for _ in spec["worker"]:
        print("ps %d: worker %d done" % (task_index, sess.run(dequeue)), flush=True)
    print("ps %d: all %d workers done" % (task_index, len(spec["worker"])), flush=True)
    # Give the last worker's enqueue RPC time to return before this server disappears.
    time.sleep(2.0)


def run_worker(cfg, spec, task_index, images, run_dir):
    """Trains cfg.steps synchronous steps as worker `task_index`; the chief (0) also writes the run dir.

    Returns:
      dict of metrics (chief) or {"worker": i, "steps": n} (other workers).
    """
    is_chief = task_index == 0
    cluster = tf.train.ClusterSpec(spec)
    sess_conf = training.session_config(cfg.threads)
    # Only talk to the ps tasks and ourselves: workers never need each other.
    sess_conf.device_filters.extend(["/job:ps", "/job:worker/task:%d" % task_index])
    server = tf.train.Server(cluster, job_name="worker", task_index=task_index, config=sess_conf)
    g = dist_graph.build_worker_graph(cfg, spec, task_index, len(images))
    paths = training.RunPaths(run_dir) if is_chief else None
    with g.graph.as_default():
        saver = tf.train.Saver(max_to_keep=2, save_relative_paths=True) if is_chief else None
        manager = tf.train.SessionManager(local_init_op=g.local_init_op, ready_op=g.ready_op,
                                          ready_for_local_init_op=g.ready_for_local_init_op, graph=g.graph)
    writer = training.summary_writer(paths.events, g.graph) if is_chief else None
    g.graph.finalize()
    if is_chief:
        config.save(cfg, run_dir)
        sess = manager.prepare_session(server.target, init_op=g.init_op, saver=saver,
                                       checkpoint_dir=paths.checkpoints, config=sess_conf,
                                       init_fn=lambda s: s.run(g.sn_init_update))
    else:
        sess = manager.wait_for_session(server.target, config=sess_conf, max_wait_secs=cfg.step_timeout)
        if sess is None:
            raise RuntimeError("worker %d: the chief did not initialize the model within %.0f s"
                               % (task_index, cfg.step_timeout))
    _KEEP_OPEN.extend([server, sess])  # never closed, see _KEEP_OPEN
    sess.run(g.data_init, {g.data_images: images})
    coord = tf.train.Coordinator()
    threads = []
    if is_chief:
        sess.run(g.chief_init_ops)
        threads = [t for qr in g.chief_queue_runners for t in qr.create_threads(sess, coord=coord, daemon=True,
                                                                                 start=True)]
    else:
        sess.run(g.worker_init_ops)
    run_opts = tf.RunOptions(timeout_in_ms=int(cfg.step_timeout * 1000))
    step = start = int(sess.run(g.global_step))
    t0, timed_from, history = None, start, []
    bar = training.progress(total=cfg.steps, initial=start, desc="worker %d" % task_index)
    while step < cfg.steps:
        log = is_chief and (step + 1) % cfg.log_every == 0
        fetches = [g.train_op, g.d_loss, g.g_loss] + ([g.train_summary] if log else [])
        out = sess.run(fetches, options=run_opts)
        step = int(out[0])  # the G token = global step after this step's update
        bar.update(1)
        if t0 is None:  # time from the end of the first step: it includes waiting for every worker
            t0, timed_from = time.time(), step
        if log:
            writer.add_summary(out[3], step)
            history.append((step, float(out[1]), float(out[2])))
        if is_chief and (step % cfg.ckpt_every == 0 or step >= cfg.steps):
            saver.save(sess, os.path.join(paths.checkpoints, "ckpt"), global_step=step)
    bar.close()
    elapsed = time.time() - t0 if t0 is not None else 0.0
    result = {"worker": task_index, "steps": step - start}
    if is_chief:
        if start >= cfg.steps and saver.last_checkpoints == []:
            saver.save(sess, os.path.join(paths.checkpoints, "ckpt"), global_step=step)
        samples = sess.run(g.fixed_samples)
        plots.save_image_grid(samples, os.path.join(paths.samples, "end.png"), title="%s, %d workers, step %d"
                              % (cfg.variant, len(spec["worker"]), step))
        writer.flush()
        result = {"variant": cfg.variant, "workers": len(spec["worker"]), "ps_tasks": len(spec["ps"]),
                  "global_batch": cfg.batch_size, "steps": step, "steps_this_run": step - start,
                  "checkpoint": tf.train.latest_checkpoint(paths.checkpoints)}
        if history:
            result.update({"final_d_loss": history[-1][1], "final_g_loss": history[-1][2]})
        if step > timed_from and elapsed > 0:
            result["train_imgs_per_s"] = (step - timed_from) * cfg.batch_size / elapsed
        files.write_json(paths.metrics, result)
    coord.request_stop()
    try:  # tell every ps this worker is finished (after the chief's last save); never hang on it
        sess.run(g.done_ops, options=tf.RunOptions(timeout_in_ms=10000))
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError):
        pass
    coord.join(threads, stop_grace_period_secs=2, ignore_live_threads=True)
    return result


def make_parser():
    parser = config.make_parser(DEFAULTS, __doc__.split("\n")[0], HELP)
    parser.add_argument("--cluster-spec", "--cluster_spec", dest="cluster_spec", required=True, metavar="FILE.json",
                        help='JSON {"ps": ["host:port", ...], "worker": ["host:port", ...]}')
    parser.add_argument("--job-name", "--job_name", dest="job_name", required=True, choices=["ps", "worker"])
    parser.add_argument("--task-index", "--task_index", dest="task_index", type=int, required=True,
                        help="index of this task within its job")
    return parser


def main(argv=None):
    """CLI entry point (also what train.py's --cluster-spec forwards to); returns the exit code."""
    tf.get_logger().setLevel("ERROR")
    args = make_parser().parse_args(argv)
    try:
        cfg = config.from_namespace(DEFAULTS, args)
        spec = load_cluster_spec(args.cluster_spec)
        if not 0 <= args.task_index < len(spec[args.job_name]):
            raise ClusterSpecError("%s: --task-index %d out of range for job %r with %d task(s)"
                                   % (args.cluster_spec, args.task_index, args.job_name, len(spec[args.job_name])))
        if args.job_name == "ps":
            run_ps(spec, args.task_index, cfg.threads)
            return 0
        if cfg.batch_size % len(spec["worker"]):
            raise ValueError("batch_size %d is not divisible by %d workers" % (cfg.batch_size, len(spec["worker"])))
        images, _ = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
    except (config.ConfigError, ValueError, mnist.DataError) as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    if cfg.epochs > 0:
        cfg = cfg.replace(steps=cfg.epochs * (len(images) // cfg.batch_size))
    run_dir = cfg.run_dir or training.default_run_dir(TASK, "cluster_%s_s%d" % (cfg.variant, cfg.seed))
    try:
        result = run_worker(cfg, spec, args.task_index, images, run_dir)
    except tf.errors.DeadlineExceededError:
        sys.stderr.write("error: worker %d: a step took longer than --step-timeout %.0f s (a task died?)\n"
                         % (args.task_index, cfg.step_timeout))
        return 1
    print(" ".join("%s=%s" % (k, round(v, 4) if isinstance(v, float) else v) for k, v in sorted(result.items())),
          flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # A tf.train.Server cannot be shut down cleanly in TF 1.15 (Server.join never returns and its
    # destructor may block on open gRPC channels); exit the process without running destructors.
    os._exit(code)  # pylint: disable=protected-access
