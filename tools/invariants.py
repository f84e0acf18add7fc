"""Bit-identity invariants: short runs of every task, fingerprinted by their final checkpoint.

    python tools/invariants.py record OUT.json     # run every case, write the fingerprints
    python tools/invariants.py check  EXPECTED.json [CASE ...]   # run, compare, exit 1 on a difference

A fingerprint is the sorted list of (shape, sha256) of every tensor in the run's newest checkpoint except
step counters, so renamed scopes or optimizers do not matter but any changed bit does. The commands below
use today's flag vocabulary; `tests/test_invariants.py` runs the same cases and compares them with the
committed expectations recorded before a refactor (how they were recorded: docs/invariants.md).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNTERS = ("global_step", "epoch", "d_sync_step")  # bookkeeping, not results


def _gan(variant, *extra):
    return ["-m", "tf1_gan.train", "--variant", variant, "--epochs", "1", "--num-train", "256",
            "--batch-size", "64", "--no-eval", "--threads", "1", "--run-dir", "{run}"] + list(extra)


CASES = {
    "gan_linear": _gan("linear"),
    "gan_linear_bn": _gan("linear_bn"),
    "gan_dcgan_bn": _gan("dcgan_bn"),
    "gan_dcgan_sn": _gan("dcgan_sn"),
    "gan_dcgan_sn_d": _gan("dcgan_sn", "--sn-scope", "d"),
    "gan_linear_bn_k2": _gan("linear_bn", "--num-towers", "2"),
    "gan_dcgan_sn_k2": _gan("dcgan_sn", "--num-towers", "2"),
    "gan_dcgan_sn_k4": _gan("dcgan_sn", "--num-towers", "4"),
    "gan_cluster_dcgan_sn": ["-m", "tf1_gan.cluster.demo", "--workers", "2", "--steps", "4", "--variant", "dcgan_sn",
                             "--run-dir", "{run}"],
    "dates": ["-m", "tf1_dates.train", "--run-dir", "{run}", "--steps", "20", "--eval-every", "10", "--hidden", "64",
              "--threads", "1", "--repeats", "1"],
    "mnist_softmax": ["-m", "tf1_mnist.main", "--config", "tf1_mnist/configs/config_softmax.yaml", "--epochs", "1",
                      "--run-dir", "{run}", "--threads", "1", "--data-source", "embedded"],
    "mnist_twolayer": ["-m", "tf1_mnist.main", "--config", "tf1_mnist/configs/config_twolayer.yaml", "--epochs", "1",
                       "--run-dir", "{run}", "--threads", "1", "--data-source", "embedded"],
    "mnist_cnn": ["-m", "tf1_mnist.cnn", "--bn", "both", "--epochs", "1", "--num-train", "512", "--run-dir", "{run}",
                  "--threads", "1", "--data-source", "embedded"],
    "molecules": ["-m", "tf1_molecules.train", "--run-dir", "{run}", "--steps", "20", "--num-systems", "500",
                  "--eval-every", "10", "--threads", "1"],
    "dna": ["-m", "tf1_dna.train", "--run-dir", "{run}", "--epochs", "20", "--threads", "1"],
}


def fingerprint(checkpoint_dir):
    """Sorted [(shape, sha256)] of the newest checkpoint's tensors, step counters left out."""
    import numpy as np
    import tensorflow as tf
    path = tf.train.latest_checkpoint(checkpoint_dir)
    if path is None:
        raise RuntimeError("no checkpoint in %s" % checkpoint_dir)
    reader = tf.train.load_checkpoint(path)
    out = []
    for name in sorted(reader.get_variable_to_shape_map()):
        if name.rsplit("/", 1)[-1] in COUNTERS:
            continue
        value = np.ascontiguousarray(reader.get_tensor(name))
        out.append([list(value.shape), str(value.dtype), hashlib.sha256(value.tobytes()).hexdigest()])
    return sorted(out)


def run_case(name, workdir, python=sys.executable):
    """Runs one case in `workdir`; returns its fingerprint."""
    run_dir = os.path.join(workdir, name)
    argv = [python] + [a.replace("{run}", run_dir) for a in CASES[name]]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    proc = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (name, proc.returncode, proc.stdout[-3000:]))
    return fingerprint(os.path.join(run_dir, "checkpoints"))


def main(argv):
    if len(argv) < 2 or argv[0] not in ("record", "check"):
        sys.stderr.write(__doc__)
        return 2
    mode, path, names = argv[0], argv[1], argv[2:] or sorted(CASES)
    workdir = tempfile.mkdtemp(prefix="invariants-")
    try:
        got = {}
        for name in names:
            got[name] = run_case(name, workdir)
            print("%-22s %d tensors" % (name, len(got[name])), flush=True)
        if mode == "record":
            with open(path, "w") as handle:
                json.dump(got, handle, indent=1, sort_keys=True)
                handle.write("\n")
            return 0
        with open(path) as handle:
            expected = json.load(handle)
        bad = [n for n in names if expected.get(n) != got[n]]
        for name in bad:
            print("DIFFERENT: %s" % name)
        return 1 if bad else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
