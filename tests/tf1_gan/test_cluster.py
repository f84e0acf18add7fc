"""Cluster training (tf1_gan/cluster/): spec validation and CLI exit codes, the worker graph's placement (the one
training step on the worker's replica device), the once-per-step SN power iteration, and real 1 ps + 2 workers
loopback runs (slow)."""
import concurrent.futures
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from common import run
from tf1_gan import model
from tf1_gan import options
from tf1_gan.cluster import demo as cluster_demo
from tf1_gan.cluster import train as cluster_train
from tf1_gan.cluster import worker_graph

SPEC = {"ps": ["127.0.0.1:2222"], "worker": ["127.0.0.1:2223", "127.0.0.1:2224"]}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _write(tmp_path, text):
    path = tmp_path / "cluster.json"
    path.write_text(text)
    return str(path)


def test_cluster_spec_is_validated_with_file_and_reason(tmp_path):
    assert cluster_train.load_cluster_spec(_write(tmp_path, json.dumps(SPEC))) == SPEC
    bad = {"not json": "{ps: 1", "missing worker": json.dumps({"ps": ["a:1"]}),
           "empty list": json.dumps({"ps": [], "worker": ["a:1"]}),
           "no port": json.dumps({"ps": ["a"], "worker": ["a:1"]})}
    for reason, text in bad.items():
        path = _write(tmp_path, text)
        with pytest.raises(cluster_train.ClusterSpecError, match="cluster.json"):
            cluster_train.load_cluster_spec(path)
    with pytest.raises(cluster_train.ClusterSpecError, match="cannot read"):
        cluster_train.load_cluster_spec(str(tmp_path / "nope.json"))


def test_cli_rejects_bad_task_index_with_exit_code_2(tmp_path, capsys):
    path = _write(tmp_path, json.dumps(SPEC))
    code = cluster_train.main(["--cluster-spec", path, "--job-name", "worker", "--task-index", "5"])
    assert code == 2
    assert "out of range" in capsys.readouterr().err


@pytest.mark.parametrize("argv, pattern", [
    ([], "--cluster-spec FILE.json is required"),
    (["--batch-size", "63"], "split evenly over the 2 workers"),
    (["--step-timeout", "0"], "'step_timeout' must be a finite number > 0.0"),
    (["--step-timeout", "nan"], "'step_timeout' must be a finite number"),
    (["--steps", "0"], "'steps' must be an integer >= 1"),
    (["--epochs", "-1"], "'epochs' must be an integer >= 1"),
    (["--lr", "inf"], "'lr' must be a finite number > 0"),
    (["--job-name", "boss"], "invalid choice: 'boss'"),
    (["--task-index", "-1"], "'task_index' must be an integer >= 0"),
    (["--variant", "dcgan_bn", "--sn-scope", "d"], "only applies to a variant with spectral norm"),
])
def test_cli_validates_like_train_with_exit_code_2(tmp_path, capsys, argv, pattern):
    spec = [] if not argv else ["--cluster-spec", _write(tmp_path, json.dumps(SPEC))]
    assert cluster_train.main(spec + argv + ["--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert pattern in err and "Traceback" not in err
    assert not os.path.exists(str(tmp_path / "run"))


def test_worker_graph_is_the_one_step_with_read_only_spectral_norm():
    """A worker builds train_step's step (D, D, then D through the updated D) with SN in read mode: u moves only
    in sn_power_iteration (run inside the chief's synchronous G update). The chief's graph differs only in
    which BN updates it groups (next test)."""
    g = worker_graph.build_worker_graph(_cfg("dcgan_sn"), SPEC, 1, 64)
    ops = g.graph.get_operations()
    assigns = [op.name for op in ops if op.type == "AssignVariableOp" and op.name.endswith("/update_u")]
    assert len(assigns) == 2 * 7 and all(n.startswith("sn_power_iteration/") for n in assigns), assigns
    passes = {op.name.split("/conv1/")[0] for op in ops if "discriminator" in op.name and "/conv1/" in op.name
              and op.type == "Conv2D"}
    assert passes == {"discriminator", "discriminator_1", "g_train/discriminator"}


def _grouped(op):
    """Every op `op` waits for through control dependencies (tf.group makes one NoOp per device: follow them)."""
    found, todo = set(), [op]
    while todo:
        for parent in todo.pop().control_inputs:
            found.add(parent)
            if parent.type in ("NoOp", "Identity"):
                todo.append(parent)
    return found


def test_only_the_chief_updates_batch_norm_statistics():
    for task, expected in ((0, True), (1, False)):
        g = worker_graph.build_worker_graph(_cfg("linear_bn"), SPEC, task, 64)  # BN in G: with the G update
        moving = [op for op in _grouped(g.train_op.op) if "AssignMovingAvg" in op.name]
        assert bool(moving) == expected, task


def _cfg(variant):
    return options.CLUSTER.make(variant=variant, batch_size=8, cluster_spec="cluster.json")


def test_worker_graph_places_variables_on_ps_and_compute_on_the_worker():
    g = worker_graph.build_worker_graph(_cfg("linear"), SPEC, 1, 64)
    with g.graph.as_default():
        global_vars = tf.global_variables()
        local_vars = tf.local_variables()
    assert global_vars and all(v.device.startswith("/job:ps/") for v in global_vars)
    # The two SyncReplicasOptimizers' local steps stay on this worker; so does the dataset.
    assert len(local_vars) == 2 and all(v.device.startswith("/job:worker/task:1") for v in local_vars)
    matmuls = [op for op in g.graph.get_operations() if op.type == "MatMul"]
    assert matmuls and all(op.device.startswith("/job:worker/task:1") for op in matmuls)
    # Both token queues have the same hard-coded shared_name, so they must live in distinct containers.
    queues = [op for op in g.graph.get_operations() if op.type == "FIFOQueueV2" and "sync_token_q" in op.name]
    assert sorted(op.get_attr("container") for op in queues) == [b"sync-d", b"sync-g"]
    assert g.train_op.dtype.base_dtype == tf.int64


def test_sn_power_iteration_advances_u_once_from_the_current_kernel():
    rng = np.random.RandomState(0)
    with tf.Graph().as_default():
        x = tf.constant(rng.randn(3, 6).astype(np.float32))
        with tf.variable_scope("discriminator", use_resource=True):
            y = model.linear(x, 5, "fc", use_sn=True, update_sn=False)  # read mode: no assign
        step = worker_graph.sn_power_iteration()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            u_var = [v for v in tf.global_variables() if v.op.name == "discriminator/fc/spectral_norm/u"][0]
            kernel = [v for v in tf.global_variables() if v.op.name == "discriminator/fc/kernel"][0]
            u0 = rng.randn(1, 5).astype(np.float32)
            u0 /= np.linalg.norm(u0)
            u_var.load(u0, sess)
            sess.run(y)
            np.testing.assert_array_equal(sess.run(u_var), u0)  # the forward pass never moves u
            w = sess.run(kernel)
            sess.run(step)
            v = w.dot(u0[0])
            v /= np.linalg.norm(v)
            expected = w.T.dot(v) / np.linalg.norm(w.T.dot(v))
            np.testing.assert_allclose(sess.run(u_var)[0], expected, atol=1e-6)


@pytest.mark.slow  # ~30-60 s: three TF processes start, build graphs and talk gRPC on loopback
def test_loopback_cluster_trains_and_chief_checkpoints(tmp_path):
    run_dir = str(tmp_path / "cluster")
    out = cluster_demo.run_cluster(run_dir, workers=2, steps=3, variant="linear", batch_size=16, timeout=240,
                                   extra=["--threads", "1", "--log-every", "1"])
    assert out["codes"]["worker0"] == 0 and out["codes"]["worker1"] == 0, out
    assert out["codes"]["ps0"] == 0, out  # the ps left on its own once both workers checked out
    assert out["checkpoint"].endswith("ckpt-3")
    reader = tf.train.load_checkpoint(out["checkpoint"])
    assert reader.get_tensor("global_step") == 3
    assert reader.get_tensor("d_sync_step") == 3  # D and G were each updated once per step
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["steps"] == 3 and metrics["workers"] == 2
    with open(os.path.join(run_dir, "logs", "worker1.log")) as handle:
        assert "steps=3 worker=1" in handle.read()  # the non-chief did every step too
    assert not os.path.exists(os.path.join(run_dir, "logs", "ps1.log"))
    _assert_gone(out["pids"])


@pytest.mark.slow  # ~1-2 min: a loopback cluster, then worker 1 times out (60 s)
def test_a_diverging_cluster_run_stops_the_chief_with_exit_3(tmp_path):
    run_dir = str(tmp_path / "cluster")
    out = cluster_demo.run_cluster(run_dir, workers=2, steps=20, variant="linear", batch_size=16, timeout=240,
                                   extra=["--threads", "1", "--log-every", "1", "--lr", "10", "--step-timeout", "60"])
    with open(os.path.join(run_dir, "logs", "worker0.log")) as handle:
        log = handle.read()
    assert out["codes"]["worker0"] == 3 and "training diverged at step" in log and "d_loss" in log, (out, log)
    assert out["codes"]["worker1"] == 1, out  # its next step found no chief: timed out, not a silent exit 0
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
    _assert_gone(out["pids"])


def _assert_gone(pids):
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # exited and reaped by run_cluster, not left running
            os.kill(pid, 0)


def test_cluster_demo_stops_everything_on_timeout(tmp_path):
    with pytest.raises(cluster_demo.ClusterTimeout) as info:
        cluster_demo.run_cluster(str(tmp_path / "c"), workers=1, steps=1, timeout=0.5)
    assert len(info.value.pids) == 2  # one ps and one worker were started ...
    _assert_gone(info.value.pids)  # ... and both are gone


def _start_cluster(run_dir, steps, extra=()):
    os.makedirs(os.path.join(run_dir, "logs"), exist_ok=True)
    ports = cluster_demo.free_ports(3)
    spec_path = os.path.join(run_dir, "cluster.json")
    with open(spec_path, "w") as handle:
        json.dump({"ps": ["127.0.0.1:%d" % ports[0]], "worker": ["127.0.0.1:%d" % p for p in ports[1:]]}, handle)
    procs = {}
    for job, index in (("ps", 0), ("worker", 0), ("worker", 1)):
        log = open(os.path.join(run_dir, "logs", "%s%d.log" % (job, index)), "w")
        procs["%s%d" % (job, index)] = subprocess.Popen(
            [sys.executable, "-m", "tf1_gan.cluster.train", "--cluster-spec", spec_path, "--job-name", job,
             "--task-index", str(index), "--steps", str(steps), "--batch-size", "16", "--threads", "1",
             "--run-dir", run_dir] + list(extra), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    return procs


@pytest.mark.slow  # ~1-2 min: two loopback clusters
def test_stopped_chief_exits_130_the_others_do_not_hang_and_the_rerun_resumes(tmp_path):
    run_dir = str(tmp_path / "cluster")
    procs = _start_cluster(run_dir, 400, ["--ckpt-every", "1", "--step-timeout", "60"])
    try:
        deadline = time.time() + 240
        while not glob.glob(os.path.join(run.RunPaths(run_dir).checkpoints, "ckpt-3.index")):
            assert time.time() < deadline and procs["worker0"].poll() is None, "no checkpoint 3"
            time.sleep(0.1)
        procs["worker0"].send_signal(signal.SIGTERM)
        codes = {name: proc.wait(180) for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert codes["worker0"] == 130, codes  # stopped: a checkpoint, no metrics
    assert codes["worker1"] == 1, codes  # its next step timed out: a failure, not a silent exit 0
    assert codes["ps0"] == 0, codes  # both workers checked out, so the ps left on its own
    assert not os.path.exists(os.path.join(run_dir, "metrics.json"))
    stopped_at = int(tf.train.load_checkpoint(run.RunPaths(run_dir).checkpoints).get_tensor("global_step"))
    assert 3 <= stopped_at < 400
    # The same commands again: the chief resumes from its checkpoint and the run finishes.
    out = cluster_demo.run_cluster(run_dir, workers=2, steps=400, variant="linear", batch_size=16, timeout=600,
                                   extra=["--threads", "1", "--ckpt-every", "1", "--step-timeout", "60"])
    assert out["codes"] == {"ps0": 0, "worker0": 0, "worker1": 0}, out
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["steps"] == 400 and metrics["steps_this_run"] == 400 - stopped_at
    history = json.load(open(os.path.join(run_dir, "history.json")))
    assert [row["step"] for row in history] == list(range(5, 401, 5))  # --log-every 5: no gap, no repeat


# -- a worker whose ps is not there: --step-timeout and signals are honoured ------------------------------------

def _spec_without_ps():
    ps, w0, w1 = cluster_demo.free_ports(3)  # nothing listens on the ps port
    return {"ps": ["127.0.0.1:%d" % ps], "worker": ["127.0.0.1:%d" % w0, "127.0.0.1:%d" % w1]}


def test_wait_for_ps_gives_up_after_the_timeout_naming_the_address():
    spec = _spec_without_ps()
    began = time.time()
    with pytest.raises(cluster_train.PsUnreachable) as info:
        cluster_train.wait_for_ps(spec, 1, 0.5, "c.json")
    assert 0.5 <= time.time() - began < 3.0
    message = str(info.value)
    assert "worker 1: no parameter server answers at %s (ps task 0 of c.json) within 0.5 s (--step-timeout)" \
        % spec["ps"][0] in message and "start the ps task first" in message, message
    with socket.socket() as listener:  # a ps that listens: no wait at all
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        began = time.time()
        cluster_train.wait_for_ps({"ps": ["127.0.0.1:%d" % listener.getsockname()[1]]}, 0, 30, "c.json")
        assert time.time() - began < 1.0


def test_wait_for_ps_is_interrupted_by_a_signal_at_once():
    class Stop(Exception):
        pass

    def stop(signum, frame):  # what cli.entry_point's SIGTERM handler does: raise in the main thread
        raise Stop()

    previous = signal.signal(signal.SIGALRM, stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        began = time.time()
        with pytest.raises(Stop):
            cluster_train.wait_for_ps(_spec_without_ps(), 0, 60, "c.json")
        assert time.time() - began < 1.5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def _lone_task(tmp_path, name, job, index, timeout, term):
    """Starts one task of a cluster of which nothing else runs; returns (exit code, stderr, seconds from its
    server listening to its exit, seconds from SIGTERM to its exit or None)."""
    spec = _spec_without_ps()
    spec_path = str(tmp_path / ("%s.json" % name))
    with open(spec_path, "w") as handle:
        json.dump(spec, handle)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tf1_gan.cluster.train", "--cluster-spec", spec_path, "--job-name", job,
         "--task-index", str(index), "--step-timeout", str(timeout), "--batch-size", "16", "--threads", "1",
         "--data-source", "embedded", "--run-dir", str(tmp_path / name)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        port = int(spec[job][index].rpartition(":")[2])
        deadline = time.time() + 300
        while not _listening(port):
            assert proc.poll() is None and time.time() < deadline, "%s: no server on port %d" % (name, port)
            time.sleep(0.05)
        listening = signalled = time.time()
        if term:
            time.sleep(0.5)
            signalled = time.time()
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        ended = time.time()
        return proc.returncode, err, ended - listening, ended - signalled if term else None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow  # ~30-60 s: five TF processes start (import, the MNIST subset, a server each), in parallel
def test_tasks_without_their_peers_honour_step_timeout_and_sigterm(tmp_path):
    """Workers (the chief and another) whose ps is absent: --step-timeout 3 -> exit 2 about 3 s after their
    server is up, naming the ps; SIGTERM -> exit 143 at once. A ps whose workers never come: SIGTERM -> 143 at
    once. Before, all of them blocked in TensorFlow's C++ session creation until killed."""
    cases = {"timeout0": ("worker", 0, 3, False), "timeout1": ("worker", 1, 3, False),
             "term0": ("worker", 0, 600, True), "term1": ("worker", 1, 600, True), "term_ps": ("ps", 0, 600, True)}
    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        futures = {name: pool.submit(_lone_task, tmp_path, name, *case) for name, case in cases.items()}
        results = {name: future.result() for name, future in futures.items()}
    for name in ("timeout0", "timeout1"):
        code, err, waited, _ = results[name]
        assert code == 2 and "no parameter server answers at" in err and "(--step-timeout)" in err, (name, err)
        assert 2.5 <= waited < 20, (name, waited)  # the 3 s, plus process start-up slack on a busy machine
        assert not os.path.exists(str(tmp_path / name))  # nothing written: the run dir was never touched
    for name in ("term0", "term1", "term_ps"):
        code, err, _, after_signal = results[name]
        assert code == 128 + signal.SIGTERM and "stopped by signal 15" in err, (name, code, err)
        assert after_signal < 10, (name, after_signal)
