"""Distributed training (tf1_gan/distributed*.py, cluster_demo.py): spec validation, the worker graph's
placement, the once-per-step SN power iteration, and a real 1 ps + 2 workers loopback run (slow)."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from common import config
from tf1_gan import cluster_demo
from tf1_gan import distributed
from tf1_gan import distributed_graph
from tf1_gan import model

SPEC = {"ps": ["127.0.0.1:2222"], "worker": ["127.0.0.1:2223", "127.0.0.1:2224"]}


def _write(tmp_path, text):
    path = tmp_path / "cluster.json"
    path.write_text(text)
    return str(path)


def test_cluster_spec_is_validated_with_file_and_reason(tmp_path):
    assert distributed.load_cluster_spec(_write(tmp_path, json.dumps(SPEC))) == SPEC
    bad = {"not json": "{ps: 1", "missing worker": json.dumps({"ps": ["a:1"]}),
           "empty list": json.dumps({"ps": [], "worker": ["a:1"]}),
           "no port": json.dumps({"ps": ["a"], "worker": ["a:1"]})}
    for reason, text in bad.items():
        path = _write(tmp_path, text)
        with pytest.raises(distributed.ClusterSpecError, match="cluster.json"):
            distributed.load_cluster_spec(path)
    with pytest.raises(distributed.ClusterSpecError, match="cannot read"):
        distributed.load_cluster_spec(str(tmp_path / "nope.json"))


def test_cli_rejects_bad_task_index_with_exit_code_2(tmp_path, capsys):
    path = _write(tmp_path, json.dumps(SPEC))
    code = distributed.main(["--cluster-spec", path, "--job-name", "worker", "--task-index", "5"])
    assert code == 2
    assert "out of range" in capsys.readouterr().err


def _cfg(variant):
    return config.Config(dict(distributed.DEFAULTS, variant=variant, batch_size=8))


def test_worker_graph_places_variables_on_ps_and_compute_on_the_worker():
    g = distributed_graph.build_worker_graph(_cfg("linear"), SPEC, 1, 64)
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
        step = distributed_graph.sn_power_iteration()
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


def _assert_gone(pids):
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # exited and reaped by run_cluster, not left running
            os.kill(pid, 0)


def test_cluster_demo_stops_everything_on_timeout(tmp_path):
    with pytest.raises(cluster_demo.ClusterTimeout) as info:
        cluster_demo.run_cluster(str(tmp_path / "c"), workers=1, steps=1, timeout=0.5)
    assert len(info.value.pids) == 2  # one ps and one worker were started ...
    _assert_gone(info.value.pids)  # ... and both are gone
