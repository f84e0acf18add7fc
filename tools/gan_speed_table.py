"""Side-by-side tf1_gan train-step speed: stock TF 1.15.5, TF 1.15 with oneDNN, PyTorch (`make bench-compare`).

Runs `python -m tf1_gan.bench` in each TensorFlow venv and `tools/torch_reference_bench.py` in the
PyTorch venv, alternating them for several rounds (the machine's load drifts, so no runtime gets all the
quiet minutes), and prints a Markdown table of every value measured and each runtime's median.
Runtimes whose venv is missing are skipped with a note.

    python tools/gan_speed_table.py [--rounds 3] [--steps-dense 200] [--steps-conv 20] [--out FILE.md]

A dense step takes ~10 ms and a conv step ~150 ms, so the two groups get different step counts, giving
timed blocks of about 2 s each (3 blocks per run, after 5 warm-up steps).
"""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from common import files  # noqa: E402

GROUPS = (("linear", "linear_bn"), ("dcgan_bn", "dcgan_sn"))  # dense, conv: their own step counts
VARIANTS = GROUPS[0] + GROUPS[1]
LINE = re.compile(r"variant=(\S+) imgs_per_s=([0-9.]+)")
HEADER = re.compile(r"^# (tensorflow .*)$", re.M)  # tf1_gan.bench's first line: build, kernels, CPU settings
# (label, venv, command after the venv's python)
RUNTIMES = (
    ("TF 1.15.5 stock", ".venv", ["-m", "tf1_gan.bench"]),
    ("TF 1.15.2 oneDNN", ".venv-onednn", ["-m", "tf1_gan.bench"]),
    ("PyTorch 2.13", ".venv-torch", [os.path.join("tools", "torch_reference_bench.py")]),
)


def run_once(python, args, variants, steps, headers=None):
    """{variant: img/s} printed by one benchmark process; raises RuntimeError if it fails.

    The process's `# tensorflow ...` header line, if any, is added to the set `headers`.
    """
    args = args + ["--variant"] + list(variants)
    proc = subprocess.run([python] + args + ["--steps", str(steps)], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        raise RuntimeError("%s %s failed (exit %d):\n%s" % (python, " ".join(args), proc.returncode,
                                                            proc.stderr[-2000:]))
    if headers is not None:
        headers.update(HEADER.findall(proc.stdout))
    return {m.group(1): float(m.group(2)) for m in LINE.finditer(proc.stdout)}


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's "model name" line of /proc/cpuinfo, or "unknown CPU"."""
    return _cpu_env().cpuinfo_field("model name", cpuinfo) or "unknown CPU"


def _cpu_env():
    # Loaded from its file, not as tf1_gan.cpu_env: importing the package runs common/__init__, which sets
    # TF_CPP_MIN_LOG_LEVEL in this process's environment, and the benchmarks it starts would inherit it.
    spec = importlib.util.spec_from_file_location("cpu_env", os.path.join(ROOT, "tf1_gan", "cpu_env.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(results, loads, headers=(), cpu=None):
    """Markdown: one row per variant, every run per runtime and its median, and TF's best / PyTorch."""
    labels = [label for label, _, _ in RUNTIMES if label in results]
    head = "| variant | " + " | ".join("%s, img/s: runs (median)" % l for l in labels)
    torch = RUNTIMES[2][0]
    has_ratio = torch in results and len(labels) > 1
    head += " | best TF median / PyTorch median |" if has_ratio else " |"
    lines = [head, "|" + "---|" * (len(labels) + 1 + has_ratio)]
    for variant in VARIANTS:
        cells, medians = [], {}
        for label in labels:
            runs = [r[variant] for r in results[label] if variant in r]
            medians[label] = statistics.median(runs)
            cells.append("%s (**%.0f**)" % (", ".join("%.0f" % x for x in runs), medians[label]))
        row = "| `%s` | %s |" % (variant, " | ".join(cells))
        if has_ratio:
            best_tf = max(v for k, v in medians.items() if k != torch)
            row += " %.2f |" % (best_tf / medians[torch])
        lines.append(row)
    lines.append("")
    lines.append("Load average (1 min) at the start of each round: %s." % ", ".join("%.2f" % x for x in loads))
    if cpu:
        lines.append("CPU: %s, %d cores." % (cpu, os.cpu_count() or 0))
    for header in sorted(headers):
        lines.append("`%s`" % header)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (each runs every runtime once)")
    parser.add_argument("--steps-dense", type=int, default=200, help="timed steps per block, linear variants")
    parser.add_argument("--steps-conv", type=int, default=20, help="timed steps per block, conv variants")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    if min(args.rounds, args.steps_dense, args.steps_conv) < 1:
        parser.error("--rounds and the step counts must be positive")
    available = []
    for label, venv, cmd in RUNTIMES:
        python = os.path.join(ROOT, venv, "bin", "python")
        if os.path.exists(python):
            available.append((label, python, cmd))
        else:
            print("skipped %s: %s not found (see `make help`)" % (label, python), file=sys.stderr)
    if not available:
        print("error: no runtime found", file=sys.stderr)
        return 2
    results, loads, headers = {}, [], set()
    for round_ in range(args.rounds):
        loads.append(os.getloadavg()[0])
        order = available if round_ % 2 == 0 else available[::-1]
        for label, python, cmd in order:
            print("round %d/%d: %s" % (round_ + 1, args.rounds, label), file=sys.stderr, flush=True)
            measured = {}
            try:
                for variants, steps in zip(GROUPS, (args.steps_dense, args.steps_conv)):
                    measured.update(run_once(python, cmd, variants, steps, headers))
            except RuntimeError as err:
                print("error: %s" % err, file=sys.stderr)
                return 1
            results.setdefault(label, []).append(measured)
    text = table(results, loads, headers, cpu_model())
    print(text, end="")
    if args.out:
        files.write_text(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
