"""Runs the hostile-input matrix (tests/hostile/cases.py) as a user would, one subprocess per case, and counts.

    python tools/hostile.py [--filter SUBSTRING] [--jobs 2]

Outcomes: `clean` (the expected non-zero exit, the expected message, no traceback, nothing written or changed),
`traceback`, `abort` (killed by a signal, e.g. TensorFlow's abort = 134), `accepted` (exit 0: silent nonsense),
`other` (wrong exit code, message, or files touched). Prints one line per non-clean case and the totals; exits 1
unless every case is clean.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "hostile"))

import cases as hostile  # noqa: E402
import test_hostile  # noqa: E402


def run(case):
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        before = test_hostile.materialise(tmp, case.files)
        argv = [sys.executable, "-m", case.module] + test_hostile.expand(case.argv, tmp)
        proc = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=600, env=dict(os.environ, PYTHONHASHSEED="0"))
        after = test_hostile.snapshot(tmp)
    text = proc.stdout + proc.stderr
    if "Traceback" in text:
        return "traceback", proc
    if proc.returncode < 0 or proc.returncode == 134:
        return "abort", proc
    if proc.returncode == 0:
        return "accepted", proc
    if proc.returncode != case.code or not re.search(case.pattern, proc.stderr) or after != before:
        return "other", proc
    return "clean", proc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filter", default="", help="only cases whose id contains this")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once")
    args = parser.parse_args(argv)
    cases = [c for c in hostile.all_cases() if args.filter in c.id]
    counts = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for done, (case, (outcome, proc)) in enumerate(zip(cases, pool.map(run, cases)), 1):
            counts[outcome] += 1
            if done % 100 == 0:
                sys.stderr.write("%d/%d cases run, %d not clean\n" % (done, len(cases), done - counts["clean"]))
            if outcome != "clean":
                last = (proc.stderr.strip().splitlines() or [""])[-1]
                print("%-10s %s (exit %d): %s" % (outcome, case.id, proc.returncode, last[:160]), flush=True)
    print("%d cases: %s" % (len(cases), ", ".join("%s %d" % (k, counts[k]) for k in
                                                  ("clean", "traceback", "abort", "accepted", "other"))))
    return 0 if counts["clean"] == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
