"""Synchronous data-parallel GAN training across processes/machines on TF 1.15's own runtime.

    python -m tf1_gan.cluster.train --cluster-spec cluster.json --job-name ps     --task-index 0
    python -m tf1_gan.cluster.train --cluster-spec cluster.json --job-name worker --task-index 0 --steps 20
    python -m tf1_gan.cluster.train --cluster-spec cluster.json --job-name worker --task-index 1 --steps 20
(`python -m tf1_gan.cluster.demo` starts all three on loopback ports and cleans up.)

cluster.json: {"ps": ["host:port", ...], "worker": ["host:port", ...]} -> tf.train.ClusterSpec; every process runs
a tf.train.Server. Each worker builds the one training step of tf1_gan.train_step on its replica device
(tf1_gan/cluster/worker_graph.py): variables on the ps tasks, compute on the worker, D then G each averaged over
the workers by a SyncReplicasOptimizer, spectral norm's u advanced once per step by the chief.

The chief (worker 0) owns the run dir through the same run skeleton as tf1_gan.train (common.run): lock, refusal
of a changed configuration, newest-readable checkpoint, history, pruning; Ctrl-C / SIGTERM saves a checkpoint and
exits 130, and the same commands resume. It keeps its own loop rather than common.loop's: its session comes from
TF's SessionManager (initialized by the chief, waited for by the other workers) and its steps wait on the
synchronous-replicas queues of every process. Every task reports done to the ps tasks when it ends, however it
ends, so they can exit; a worker whose step times out (a task died) exits 1; a chief whose losses diverge (as
common.loop judges tf1_gan.train's) exits 3. A worker first waits for every ps task to accept connections
(`wait_for_ps`): none within --step-timeout is exit 2, and Ctrl-C / SIGTERM during that wait end it at once
(130 / 143). A ps waits for its workers a second at a time: SIGTERM ends it within a second (143).
"""
import json
import os
import socket
import sys
import time

import tensorflow as tf

from common import cli, config, errors, loop, mnist, plots, progress, run, training
from tf1_gan import cpu_env
from tf1_gan import options
from tf1_gan import task as gan_task
from tf1_gan.cluster import worker_graph

TASK = "tf1_gan"
SCHEMA = options.CLUSTER

# Sessions/servers of this process, kept referenced until os._exit: closing (or garbage-collecting) a
# gRPC session while other tasks still hold channels to this server can block forever in TF 1.15.
_KEEP_OPEN = []


class ClusterSpecError(errors.UserError):
    """The cluster spec file is missing, not JSON, or not {"ps": [...], "worker": [...]}."""


class StepTimeout(RuntimeError):
    """A step (or the wait for the chief) took longer than --step-timeout: a task died or hangs."""


class PsUnreachable(errors.UserError):
    """No parameter server answered within --step-timeout: it was not started, or the address is wrong."""


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
            if not 1 <= int(port) <= 65535:
                raise ClusterSpecError("%s: %r entry %r: port %s is outside 1..65535" % (path, job, address, port))
    return spec


def _server(cluster, job, task_index, sess_conf):
    """This process's tf.train.Server; a port that cannot be bound is a clean error naming the address."""
    try:
        return tf.train.Server(cluster, job_name=job, task_index=task_index, config=sess_conf)
    except tf.errors.OpError as err:
        address = cluster.as_dict()[job][task_index]
        raise errors.UserError("cannot start the %s %d server at %s: %s (is the port in use?)"
                               % (job, task_index, address, (err.message or str(err)).strip().splitlines()[0]))


def run_ps(spec, task_index, threads=1):
    """Serves variables until every worker has reported done (a shared queue on this ps task).

    The wait is a dequeue of at most a second at a time: a signal reaches Python between two (SIGTERM: exit
    143 within a second), where one endless dequeue would block it in TensorFlow's runtime.
    """
    cluster = tf.train.ClusterSpec(spec)
    server = _server(cluster, "ps", task_index, training.session_config(threads))
    graph = tf.Graph()
    with graph.as_default():
        dequeue = worker_graph.done_queue(task_index).dequeue()
    print("ps %d serving at %s" % (task_index, spec["ps"][task_index]), flush=True)
    sess_conf = training.session_config(threads)
    # Only itself: a session that also listed the workers would wait for them, in C++, before its first run.
    sess_conf.device_filters.append("/job:ps/task:%d" % task_index)
    sess = tf.Session(server.target, graph=graph, config=sess_conf)
    _KEEP_OPEN.extend([server, sess])  # never closed, see _KEEP_OPEN
    done = 0
    while done < len(spec["worker"]):
        try:
            worker = sess.run(dequeue, options=tf.RunOptions(timeout_in_ms=1000))
        except tf.errors.DeadlineExceededError:
            continue  # no worker checked out in this second (the dequeue is cancelled, nothing is taken)
        print("ps %d: worker %d done" % (task_index, worker), flush=True)
        done += 1
    print("ps %d: all %d workers done" % (task_index, len(spec["worker"])), flush=True)
    # Give the last worker's enqueue RPC time to return before this server disappears.
    time.sleep(2.0)


def _accepts(address, timeout):
    """Whether `address` ("host:port") accepts a TCP connection within `timeout` seconds."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        return True
    except OSError:
        return False


def wait_for_ps(spec, task_index, timeout, spec_path, poll=0.2):
    """Returns once every ps task of `spec` accepts connections; PsUnreachable after `timeout` seconds.

    A session whose ps is not there blocks inside TensorFlow's C++ runtime with no deadline, where no signal
    reaches Python: such a worker ignored --step-timeout and SIGTERM. So a worker first waits here, in
    Python, polling each ps port: --step-timeout bounds the wait, and Ctrl-C or SIGTERM end it at once
    (exit 130 / 143; no run dir has been touched yet).
    """
    deadline = time.time() + timeout
    pending = list(enumerate(spec["ps"]))
    while True:
        pending = [(i, a) for i, a in pending if not _accepts(a, max(0.05, min(1.0, deadline - time.time())))]
        if not pending:
            return
        if time.time() >= deadline:
            raise PsUnreachable(
                "worker %d: no parameter server answers at %s (%s of %s) within %g s (--step-timeout): start "
                "the ps task first (--job-name ps), or fix the address" % (
                    task_index, ", ".join(a for _, a in pending),
                    ", ".join("ps task %d" % i for i, _ in pending), spec_path, timeout))
        time.sleep(poll)


def default_run_dir(cfg):
    return run.default_run_dir(TASK, "cluster_%s_s%d" % (cfg.variant, cfg.seed))


def _chief_session(g, r, manager, target, sess_conf):
    """The chief's session: restore the newest readable checkpoint (or initialize) through the run skeleton."""
    def init_fn(sess):
        if r.restore_or_initialize(sess, g.init_op) == 0:
            sess.run(g.sn_init_update)  # u, v from the initial kernels, as one device has them at step 1
    return manager.prepare_session(target, config=sess_conf, init_fn=init_fn)


def run_worker(cfg, spec, task_index, images, total, log=print):
    """Trains up to `total` synchronous steps as worker `task_index`; the chief (0) also owns the run dir.

    However this ends (done, stopped, timed out, refused), the worker then reports done to every ps task.

    Returns:
      The chief's metrics (None when it was stopped) or {"worker": i, "steps": n} for the other workers.

    Raises:
      PsUnreachable: a ps task did not accept connections within cfg.step_timeout (exit 2; nothing written).
      StepTimeout: a step or the wait for the chief took longer than cfg.step_timeout.
    """
    cluster = tf.train.ClusterSpec(spec)
    sess_conf = training.session_config(cfg.threads)
    # Only talk to the ps tasks and ourselves: workers never need each other.
    sess_conf.device_filters.extend(["/job:ps", "/job:worker/task:%d" % task_index])
    server = _server(cluster, "worker", task_index, sess_conf)
    _KEEP_OPEN.append(server)
    wait_for_ps(spec, task_index, cfg.step_timeout, cfg.cluster_spec)  # no ps: nobody to check out with either
    try:
        g = worker_graph.build_worker_graph(cfg, spec, task_index, len(images))
        with g.graph.as_default():
            manager = tf.train.SessionManager(local_init_op=g.local_init_op, ready_op=g.ready_op,
                                              ready_for_local_init_op=g.ready_for_local_init_op, graph=g.graph)
        if task_index != 0:
            g.graph.finalize()
            try:
                sess = manager.wait_for_session(server.target, config=sess_conf, max_wait_secs=cfg.step_timeout)
            except tf.errors.DeadlineExceededError:
                sess = None
            if sess is None:
                raise StepTimeout("worker %d: the chief did not initialize the model within %.0f s (--step-timeout)"
                                  % (task_index, cfg.step_timeout))
            _KEEP_OPEN.append(sess)  # never closed, see _KEEP_OPEN
            return _follow(sess, g, cfg, task_index, images, total)
        with run.Run(cfg, cfg.run_dir or default_run_dir(cfg), restart=cfg.restart, log=log) as r:
            with g.graph.as_default():
                r.make_checkpointer()
            g.graph.finalize()
            sess = _chief_session(g, r, manager, server.target, sess_conf)
            _KEEP_OPEN.append(sess)
            return _lead(sess, g, r, cfg, spec, images, total)
    finally:
        _check_out(server, spec, task_index, sess_conf)


def _check_out(server, spec, task_index, sess_conf):
    """Tells every ps task that this worker is done (after the chief's last save); never hangs on it."""
    graph = tf.Graph()
    with graph.as_default():
        done = tf.group(*[worker_graph.done_queue(i).enqueue(task_index) for i in range(len(spec["ps"]))])
    # sess_conf's device filters: the session must not wait for other workers, which may be gone already.
    sess = tf.Session(server.target, graph=graph, config=sess_conf)
    _KEEP_OPEN.append(sess)
    try:
        sess.run(done, options=tf.RunOptions(timeout_in_ms=10000))
    except (tf.errors.DeadlineExceededError, tf.errors.UnavailableError, tf.errors.AbortedError,
            tf.errors.CancelledError):
        pass


def _run_step(sess, fetches, cfg, task_index):
    try:
        return sess.run(fetches, options=tf.RunOptions(timeout_in_ms=int(cfg.step_timeout * 1000)))
    except tf.errors.DeadlineExceededError:
        raise StepTimeout("worker %d: a step took longer than --step-timeout %.0f s (a task died?)"
                          % (task_index, cfg.step_timeout))


def _follow(sess, g, cfg, task_index, images, total):
    """A worker other than the chief: the same steps, nothing written."""
    sess.run(g.data_init, {g.data_images: images})
    sess.run(g.worker_init_ops)
    step = start = int(sess.run(g.global_step))
    bar = training.progress(total=total, initial=start, desc="worker %d" % task_index)
    while step < total:
        step = int(_run_step(sess, g.train_op, cfg, task_index))  # the G token = global step after the step
        bar.update(1)
    bar.close()
    return {"worker": task_index, "steps": step - start}


def _lead(sess, g, r, cfg, spec, images, total):
    """The chief: the steps, checkpoints, history and summaries through the run skeleton, then the metrics."""
    sess.run(g.data_init, {g.data_images: images})
    sess.run(g.chief_init_ops)
    coord = tf.train.Coordinator()
    threads = [t for qr in g.chief_queue_runners for t in qr.create_threads(sess, coord=coord, daemon=True,
                                                                             start=True)]
    writer = r.open_writer(g.graph)
    watch = loop.LossWatch(gan_task.TRAINER, cfg, r.history)  # D's loss, as tf1_gan.train's loop watches it
    t0, timed_from = None, r.start
    bar = progress.Progress(total, r.start, desc="tf1_gan worker 0 (chief)")
    try:
        for step in r.steps(sess, r.start, total, cfg.ckpt_every):
            logged = step % cfg.log_every == 0 or step == total
            out = _run_step(sess, [g.train_op, g.d_loss, g.g_loss] + ([g.train_summary] if logged else []), cfg, 0)
            if int(out[0]) != step:
                raise RuntimeError("chief: global step %d after what should be step %d" % (out[0], step))
            if t0 is None:  # time from the end of the first step: it includes waiting for every worker
                t0, timed_from = time.time(), step
            if logged:
                scalars = {"d_loss": float(out[1]), "g_loss": float(out[2])}
                loop.check_finite(scalars, step, cfg)  # diverged: exit 3, no metrics (the others time out)
                watch.check(scalars, step, last=step == total)
                writer.add_summary(out[3], step)
                r.log(step, scalars, summaries=False)
                bar.set_metrics(**scalars)
            bar.update(1)
    finally:
        bar.close()
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=2, ignore_live_threads=True)
    elapsed = time.time() - t0 if t0 is not None else 0.0
    if r.stopped:
        return None
    step = total
    plots.save_image_grid(sess.run(g.fixed_samples), r.paths.path("samples", "end.png"),
                          title="%s, %d workers, step %d" % (cfg.variant, len(spec["worker"]), step))
    result = {"variant": cfg.variant, "workers": len(spec["worker"]), "ps_tasks": len(spec["ps"]),
              "global_batch": cfg.batch_size, "steps": step, "steps_this_run": step - r.start,
              "checkpoint": r.checkpointer.latest()}
    if r.history.rows:
        result.update({"final_d_loss": r.history.last("d_loss"), "final_g_loss": r.history.last("g_loss")})
    if step > timed_from and elapsed > 0:
        result["train_imgs_per_s"] = (step - timed_from) * cfg.batch_size / elapsed
    return r.finish(result)


def _parse(argv):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    spec = load_cluster_spec(cfg.cluster_spec)
    tasks = len(spec[cfg.job_name])
    if cfg.task_index >= tasks:
        raise ClusterSpecError("%s: --task-index %d out of range for job %r with %d task(s)"
                               % (cfg.cluster_spec, cfg.task_index, cfg.job_name, tasks))
    config.require(cfg.batch_size % len(spec["worker"]) == 0,
                   "config key 'batch_size' (%d) must split evenly over the %d workers of %s"
                   % (cfg.batch_size, len(spec["worker"]), cfg.cluster_spec))
    return cfg, spec


@cli.entry_point
def main(argv=None):
    """One ps or worker task; returns the exit code: 0 done, 1 a step timed out, 2 bad input or no ps reachable
    within --step-timeout, 3 the chief's losses diverged (as tf1_gan.train's), 130 stopped (the chief: a
    checkpoint; any task: Ctrl-C), 143 / 129 SIGTERM / SIGHUP to a ps, or to a worker waiting for its ps."""
    cfg, spec = _parse(argv)
    cpu_env.tune()  # before this process's first session (oneDNN builds read them then)
    if cfg.job_name == "ps":
        run_ps(spec, cfg.task_index, cfg.threads)
        return cli.OK
    try:
        images, _ = mnist.load_mnist(cfg.data_source, "train", cfg.data_dir)
    except mnist.DataError as err:
        raise errors.DataError(str(err))
    if len(images) < cfg.batch_size:
        raise errors.DataError("%d training images are fewer than one batch (%d)" % (len(images), cfg.batch_size))
    total = cfg.epochs * (len(images) // cfg.batch_size) if cfg.epochs else cfg.steps
    try:
        result = run_worker(cfg, spec, cfg.task_index, images, total)
    except StepTimeout as err:
        sys.stderr.write("error: %s\n" % err)
        return 1
    if result is not None:
        print(" ".join("%s=%s" % (k, round(v, 4) if isinstance(v, float) else v) for k, v in sorted(result.items())),
              flush=True)
    return cli.done_or_stopped(result)


def exit_hard(code):
    """Ends the process without running destructors: a tf.train.Server cannot be shut down cleanly in TF 1.15
    (Server.join never returns and its destructor may block on open gRPC channels)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # pylint: disable=protected-access


if __name__ == "__main__":
    exit_hard(main())
