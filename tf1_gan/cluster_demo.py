"""Start 1 ps + N workers of tf1_gan.distributed on loopback ports, train a few steps, stop them all.

    python -m tf1_gan.cluster_demo [--workers 2] [--steps 10] [--variant linear] [--timeout 300]

Every task is a separate OS process running `python -m tf1_gan.distributed` with its own
tf.train.Server on 127.0.0.1 (free ports picked by the OS). The processes are always terminated
(even on error, timeout or Ctrl-C), their logs are kept in <run-dir>/logs/, and the chief's
checkpoint is printed at the end.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from common import files, training  # noqa: E402


def free_ports(count):
    """`count` distinct TCP ports on 127.0.0.1 that were free a moment ago (bound to port 0, released)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


class ClusterTimeout(TimeoutError):
    """The workers did not finish in time; `pids` are the (already stopped and reaped) processes."""

    def __init__(self, message, pids):
        super(ClusterTimeout, self).__init__(message)
        self.pids = pids


def _stop(procs, grace=3.0):
    """Terminates every process we started (by pid / its own process group), killing stragglers."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + grace
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_cluster(run_dir, workers=2, steps=10, variant="linear", batch_size=64, timeout=300.0, extra=()):
    """Runs the loopback cluster to completion; returns {"codes": {...}, "checkpoint": path or None}.

    Raises:
      ClusterTimeout: if the workers do not finish within `timeout` seconds (all processes are stopped).
    """
    os.makedirs(os.path.join(run_dir, "logs"), exist_ok=True)
    ports = free_ports(1 + workers)
    spec = {"ps": ["127.0.0.1:%d" % ports[0]], "worker": ["127.0.0.1:%d" % p for p in ports[1:]]}
    spec_path = os.path.join(run_dir, "cluster.json")
    files.write_json(spec_path, spec)
    common = ["--cluster-spec", spec_path, "--steps", str(steps), "--variant", variant,
              "--batch-size", str(batch_size), "--run-dir", run_dir] + list(extra)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    procs, names, logs = [], [], []
    try:
        for job, count in (("ps", 1), ("worker", workers)):
            for i in range(count):
                name = "%s%d" % (job, i)
                log = open(os.path.join(run_dir, "logs", name + ".log"), "w")
                logs.append(log)
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "tf1_gan.distributed", "--job-name", job, "--task-index", str(i)]
                    + common, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True))
                names.append(name)
        deadline = time.time() + timeout
        for proc, name in zip(procs[1:], names[1:]):
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                raise ClusterTimeout("%s did not finish within %.0f s (logs in %s)"
                                     % (name, timeout, os.path.join(run_dir, "logs")), [p.pid for p in procs])
        try:
            procs[0].wait(10)  # the ps exits once every worker has checked out
        except subprocess.TimeoutExpired:
            pass
    finally:
        _stop(procs)
        for log in logs:
            log.close()
    ckpt = training.Checkpointer.__new__(training.Checkpointer)  # no Saver needed just to look
    ckpt.checkpoint_dir = os.path.join(run_dir, "checkpoints")
    return {"codes": dict(zip(names, [p.returncode for p in procs])), "pids": [p.pid for p in procs],
            "checkpoint": ckpt.latest(), "spec": spec}


def describe_checkpoint(path):
    """Lines naming the checkpoint, its global step and its variables."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    reader = tf.train.load_checkpoint(path)
    shapes = reader.get_variable_to_shape_map()
    lines = ["chief checkpoint: %s" % path, "  global_step = %d" % reader.get_tensor("global_step"),
             "  %d tensors, e.g.:" % len(shapes)]
    for name in sorted(n for n in shapes if n.startswith(("generator/", "discriminator/")))[:6]:
        lines.append("    %s %s" % (name, shapes[name]))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="worker tasks (plus one ps)")
    parser.add_argument("--steps", type=int, default=10, help="synchronous steps")
    parser.add_argument("--variant", default="linear", help="tf1_gan variant")
    parser.add_argument("--batch-size", type=int, default=64, help="global batch, split over the workers")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before everything is stopped")
    parser.add_argument("--run-dir", default=training.default_run_dir("tf1_gan", "cluster_demo"),
                        help="chief's run dir (cluster.json and per-task logs too)")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.steps < 1:
        parser.error("--workers and --steps must be >= 1")
    print("starting 1 ps + %d workers on 127.0.0.1 (logs: %s)" % (args.workers, os.path.join(args.run_dir, "logs")))
    t0 = time.time()
    try:
        out = run_cluster(args.run_dir, args.workers, args.steps, args.variant, args.batch_size, args.timeout,
                          extra=["--threads", "1", "--log-every", "1"])
    except TimeoutError as err:
        sys.stderr.write("error: %s\n" % err)
        return 1
    print("cluster: %s" % out["spec"])
    print("exit codes: %s (%.1f s)" % (" ".join("%s=%s" % kv for kv in sorted(out["codes"].items())),
                                       time.time() - t0))
    failed = [n for n, c in out["codes"].items() if n.startswith("worker") and c != 0]
    if failed or out["checkpoint"] is None:
        sys.stderr.write("error: workers %s failed or no checkpoint; see %s/logs\n" % (failed, args.run_dir))
        return 1
    print("\n".join(describe_checkpoint(out["checkpoint"])))
    with open(os.path.join(args.run_dir, "logs", "worker0.log")) as handle:
        last = [line.strip() for line in handle if "=" in line and line.startswith("checkpoint=")]
    if last:
        print("chief: " + last[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
