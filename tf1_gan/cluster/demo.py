"""Start 1 ps + N workers of tf1_gan.cluster.train on loopback ports, train a few steps, stop them all.

    python -m tf1_gan.cluster.demo [--workers 2] [--steps 10] [--variant linear] [--timeout 300]

Every task is a separate OS process running `python -m tf1_gan.cluster.train` with its own
tf.train.Server on 127.0.0.1 (free ports picked by the OS). The processes are always terminated
(even on error, timeout or Ctrl-C), their logs are kept in <run-dir>/logs/, and the chief's
checkpoint is printed at the end. Exit code: 0 when every worker finished, 1 when one failed or the
cluster timed out, 130 when the chief was stopped (rerun the same command to resume).
"""
import os
import signal
import socket
import subprocess
import sys
import time

from common import cli, config, files, run
from tf1_gan import options

SCHEMA = config.Schema([
    config.Key("workers", 2, "worker tasks (plus one ps task)", ge=1),
    config.steps(10, "synchronous steps in total (a rerun resumes up to this number)"),
    config.Key("variant", "linear", "tf1_gan variant", choices=options.CLUSTER.keys["variant"].choices),
    config.batch_size(64, "the GLOBAL batch, split evenly over the workers"),
    config.Key("timeout", 300.0, "seconds before every process is stopped", gt=0.0),
    config.run_dir("the chief's run dir, also holding cluster.json and the per-task logs "
                   "(default runs/tf1_gan/cluster_demo)"),
], checks=[lambda cfg: config.require(cfg.batch_size % cfg.workers == 0,
                                      "config key 'batch_size' (%d) must split evenly over 'workers' (%d)"
                                      % (cfg.batch_size, cfg.workers))])


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
    procs, names, logs = [], [], []
    try:
        for job, count in (("ps", 1), ("worker", workers)):
            for i in range(count):
                name = "%s%d" % (job, i)
                log = open(os.path.join(run_dir, "logs", name + ".log"), "w")
                logs.append(log)
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "tf1_gan.cluster.train", "--job-name", job, "--task-index", str(i)]
                    + common, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
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
    return {"codes": dict(zip(names, [p.returncode for p in procs])), "pids": [p.pid for p in procs],
            "checkpoint": latest_checkpoint(run.RunPaths(run_dir).checkpoints), "spec": spec}


def latest_checkpoint(checkpoint_dir):
    """The newest `ckpt-<step>` prefix in `checkpoint_dir`, or None."""
    steps = [int(name[5:-6]) for name in (os.listdir(checkpoint_dir) if os.path.isdir(checkpoint_dir) else ())
             if name.startswith("ckpt-") and name.endswith(".index") and name[5:-6].isdigit()]
    return os.path.join(checkpoint_dir, "ckpt-%d" % max(steps)) if steps else None


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


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    run_dir = cfg.run_dir or run.default_run_dir("tf1_gan", "cluster_demo")
    print("starting 1 ps + %d workers on 127.0.0.1 (logs: %s)" % (cfg.workers, os.path.join(run_dir, "logs")))
    t0 = time.time()
    try:
        out = run_cluster(run_dir, cfg.workers, cfg.steps, cfg.variant, cfg.batch_size, cfg.timeout,
                          extra=["--threads", "1", "--log-every", "1"])
    except ClusterTimeout as err:
        sys.stderr.write("error: %s\n" % err)
        return 1
    print("cluster: %s" % out["spec"])
    print("exit codes: %s (%.1f s)" % (" ".join("%s=%s" % kv for kv in sorted(out["codes"].items())),
                                       time.time() - t0))
    codes = {n: c for n, c in out["codes"].items() if n.startswith("worker")}
    if codes.get("worker0") == cli.STOPPED:
        sys.stderr.write("stopped: the chief saved a checkpoint; run the same command to resume\n")
        return cli.STOPPED
    failed = sorted(n for n, c in codes.items() if c != 0)
    if failed or out["checkpoint"] is None:
        sys.stderr.write("error: %s failed (exit codes %s) or left no checkpoint; see %s/logs\n"
                         % (", ".join(failed) or "no worker", codes, run_dir))
        return 1
    print("\n".join(describe_checkpoint(out["checkpoint"])))
    with open(os.path.join(run_dir, "logs", "worker0.log")) as handle:
        last = [line.strip() for line in handle if "=" in line and line.startswith("checkpoint=")]
    if last:
        print("chief: " + last[-1])
    return cli.OK


if __name__ == "__main__":
    sys.exit(main())
