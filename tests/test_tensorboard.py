"""`make tensorboard` serves: its command (taken from the Makefile) starts on a small run dir and TensorBoard's
HTTP API lists the run's scalar and image tags, with the values that were written.

The run dir holds a 2-epoch tf1_dna run (scalars, written by the real training CLI) and one events file with an
image summary written here with `tf.summary.image`. TensorBoard runs on a free loopback port and is always
stopped; every wait is bounded.
"""
import glob
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
START_SECONDS = 120  # TensorBoard's first load of the logdir, on a loaded 2-core machine


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_command(logdir, port):
    """The TensorBoard line `make tensorboard` runs (dry run: nothing is built or installed)."""
    result = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "-n", "tensorboard",
                             "VENV=%s" % os.path.dirname(BIN), "LOGDIR=%s" % logdir, "PORT=%d" % port,
                             "HOST=127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stdout
    lines = [line for line in result.stdout.splitlines() if line.startswith(os.path.join(BIN, "tensorboard"))]
    assert len(lines) == 1, result.stdout
    return shlex.split(lines[0])


def _write_image_run(run_dir):
    """One 8x8 gray image summary at step 7; returns its tag as TensorFlow named it."""
    pixels = np.arange(64, dtype=np.uint8).reshape(1, 8, 8, 1) * 4
    with tf.Graph().as_default():
        with tf.name_scope("samples"):
            op = tf.summary.image("grid", tf.constant(pixels), max_outputs=1)
        with tf.Session() as sess:
            serialized = sess.run(op)
        writer = tf.summary.FileWriter(run_dir)
        writer.add_summary(serialized, global_step=7)
        writer.close()
    summary = tf.Summary.FromString(serialized)
    assert summary.value[0].image.encoded_image_string.startswith(b"\x89PNG")
    return summary.value[0].tag


def _get(port, path, raw=False):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as response:
        body = response.read()
    return body if raw else json.loads(body.decode("utf-8"))


def _poll(port, proc, log_path, ready):
    """GET /data/runs until ready(runs) holds, the process dies, or the time is up."""
    deadline, last = time.time() + START_SECONDS, None
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("tensorboard exited with %s:\n%s" % (proc.returncode, open(log_path).read()))
        try:
            last = _get(port, "/data/runs")
            if ready(last):
                return last
        except (urllib.error.URLError, ConnectionError, socket.timeout) as exc:
            last = exc
        time.sleep(1.0)
    pytest.fail("no runs served within %d s (last answer %r):\n%s" % (START_SECONDS, last, open(log_path).read()))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_tensorboard_serves_scalars_and_images(tmp_path):
    logdir = tmp_path / "runs"
    dna = subprocess.run([sys.executable, "-m", "tf1_dna.train", "--epochs", "2", "--run-dir", str(logdir / "dna")],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                         timeout=300)
    assert dna.returncode == 0, dna.stdout
    assert glob.glob(str(logdir / "dna" / "events.out.tfevents.*"))
    image_tag = _write_image_run(str(logdir / "images"))

    port = _free_port()
    command = _make_command(str(logdir), port)
    assert command[1:] == ["--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)]
    log_path = str(tmp_path / "tensorboard.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        runs = _poll(port, proc, log_path, lambda runs: {"dna", "images"} <= set(runs))
        assert sorted(runs) == ["dna", "images"]
        plugins = _get(port, "/data/plugins_listing")
        assert plugins["scalars"]["enabled"] and plugins["images"]["enabled"], plugins

        scalars = _get(port, "/data/plugin/scalars/tags")
        assert "loss/train" in scalars["dna"], scalars
        points = _get(port, "/data/plugin/scalars/scalars?run=dna&tag=loss%2Ftrain")
        assert [step for _, step, _ in points] == [1, 2]
        assert all(np.isfinite(value) and value > 0 for _, _, value in points)

        images = _get(port, "/data/plugin/images/tags")
        assert image_tag in images["images"], images
        entries = _get(port, "/data/plugin/images/images?run=images&tag=%s" % urllib.request.quote(image_tag, ""))
        assert [entry["step"] for entry in entries] == [7]
        png = _get(port, "/data/plugin/images/individualImage?%s" % entries[0]["query"], raw=True)
        assert png.startswith(b"\x89PNG")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)
    assert proc.returncode is not None
