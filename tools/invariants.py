"""Bit-identity invariants: short runs of every task, fingerprinted by their final checkpoint.

    python tools/invariants.py record [CASE ...]    # run the cases, store this platform's fingerprints
    python tools/invariants.py check  [CASE ...]    # run, compare with this platform's, exit 1 on a difference
    python tools/invariants.py list                 # the cases, from the task registry
    python tools/invariants.py platform             # this machine's platform key

A fingerprint is the sorted list of (shape, dtype, sha256) of every tensor in the run's newest checkpoint except
step counters, so renamed scopes or optimizers do not matter but any changed bit does. The cases are the
`invariants` of every registered trainer (common/task.py), so a new task brings its own.

Fingerprints are per platform. TensorFlow's CPU kernels (Eigen) choose their blocking from the processor's
cache sizes and instruction set, which changes the order of floating-point sums: the same code gives other bits
on another processor (deterministically on each). `tests/invariants/expected.json` therefore maps a platform
key (processor model, cache sizes, AVX-512 or not, TensorFlow version) to its fingerprints; record them on the
commit *before* a refactor, on the machine that will check it (docs/invariants.md says when each was recorded).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED = os.path.join(REPO, "tests", "invariants", "expected.json")
COUNTERS = ("global_step", "epoch", "d_sync_step")  # bookkeeping, not results


def cases():
    """{case: argv (with `{run}`)} of every registered trainer."""
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from common import task  # pylint: disable=import-outside-toplevel
    out = {}
    for trainer in task.trainers():
        for name, argv in trainer.invariants.items():
            if name in out:
                raise ValueError("invariant case %r declared twice" % name)
            out[name] = list(argv)
    return out


def fast_cases():
    """The cases the fast suite checks (each trainer's `invariants_fast`)."""
    from common import task  # pylint: disable=import-outside-toplevel
    return sorted(name for trainer in task.trainers() for name in trainer.invariants_fast)


def _cpu_field(field):
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.split(":")[0].strip() == field:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def platform():
    """This machine's platform key: processor model, L1d/L2/L3 sizes, AVX-512 or not, TensorFlow version."""
    caches = []
    root = "/sys/devices/system/cpu/cpu0/cache"
    for index in sorted(os.listdir(root)) if os.path.isdir(root) else ():
        try:
            with open(os.path.join(root, index, "type")) as kind, open(os.path.join(root, index, "size")) as size:
                if kind.read().strip() != "Instruction":
                    caches.append(size.read().strip())
        except OSError:
            continue
    caches = caches or ["?"]
    flags = _cpu_field("flags").split()
    isa = "avx512" if "avx512f" in flags else ("avx2" if "avx2" in flags else "sse")
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    return "%s | caches %s | %s | tf %s" % (_cpu_field("model name"), "/".join(caches), isa, tf.__version__)


def fingerprint(checkpoint_dir):
    """Sorted [(shape, dtype, sha256)] of the newest checkpoint's tensors, step counters left out."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
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


def run_case(name, workdir, python=sys.executable, argv=None):
    """Runs one case in `workdir`; returns its fingerprint."""
    run_dir = os.path.join(workdir, name)
    argv = [python] + [a.replace("{run}", run_dir) for a in (argv or cases()[name])]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    proc = subprocess.run(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (name, proc.returncode, proc.stdout[-3000:]))
    return fingerprint(os.path.join(run_dir, "checkpoints"))


def load_expected(path=EXPECTED):
    """{platform: {case: fingerprint}}."""
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return json.load(handle)


def expected_for(key=None, path=EXPECTED):
    """This platform's {case: fingerprint}, or None when none were recorded on it."""
    return load_expected(path).get(key or platform())


def main(argv):
    if not argv or argv[0] not in ("record", "check", "list", "platform"):
        sys.stderr.write(__doc__)
        return 2
    mode, names = argv[0], argv[1:]
    if mode == "platform":
        print(platform())
        return 0
    known = cases()
    if mode == "list":
        print("\n".join(sorted(known)))
        return 0
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.stderr.write("error: unknown case(s) %s; known: %s\n" % (", ".join(unknown), ", ".join(sorted(known))))
        return 2
    names = names or sorted(known)
    key = platform()
    everything = load_expected()
    expected = everything.get(key)
    if mode == "check" and expected is None:
        sys.stderr.write("error: no fingerprints recorded for this platform (%s) in %s; record them on the commit "
                         "before your change: python tools/invariants.py record\n" % (key, EXPECTED))
        return 2
    workdir = tempfile.mkdtemp(prefix="invariants-")
    try:
        got = {}
        for name in names:
            got[name] = run_case(name, workdir, argv=known[name])
            print("%-22s %d tensors" % (name, len(got[name])), flush=True)
    finally:
        subprocess.run(["rm", "-rf", workdir])
    if mode == "record":
        everything.setdefault(key, {}).update(got)
        with open(EXPECTED, "w") as handle:
            json.dump(everything, handle, indent=1, sort_keys=True)
            handle.write("\n")
        print("recorded %d case(s) for platform %s" % (len(got), key))
        return 0
    bad = [n for n in names if expected.get(n) != got[n]]
    for name in bad:
        print("DIFFERENT: %s%s" % (name, "" if name in expected else " (not recorded on this platform)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
