"""QM9 learning curve: `python -m tf1_molecules.qm9_report` -> a Markdown table and a figure.

Reads every finished `runs/tf1_molecules/qm9_<target>_<size>/metrics.json`, computes the three baselines on
the same split and training molecules (predict the mean, dressed atoms, pair-distance histograms + element
counts; cached in `runs/tf1_molecules/qm9_baselines.json`), and writes `reports/qm9_learning_curve.md` and
`reports/qm9_learning_curve.png`.
"""
import argparse
import collections
import glob
import os
import sys

from common import cli, files, plots
from tf1_molecules import qm9, qm9_data

# SchNet's published QM9 U0 test MAE (kcal/mol) by training-set size: Schütt et al., "SchNet: a
# continuous-filter convolutional neural network for modeling quantum interactions", NeurIPS 2017, Table 1.
SCHNET_U0_KCAL_MOL = {50000: 0.59, 100000: 0.34, 110462: 0.31}


def schnet_cell(size, target="u0_atomization"):
    """SchNet's published U0 MAE at `size` training molecules, or at a published size within 1 % of it (named):
    the paper's largest split is 110,462 molecules, ours 110,000."""
    if target != "u0_atomization":
        return "–"
    for published, mae in sorted(SCHNET_U0_KCAL_MOL.items()):
        if published == size:
            return "%.2f" % mae
        if abs(published - size) <= 0.01 * size:
            return "%.2f (at %s)" % (mae, "{:,}".format(published))
    return "–"


def baselines(target, sizes, data_path=qm9.DEFAULT_PATH, cache_path=None, log=print):
    """{size: {"mean", "dressed_atom", "pair_histogram"}} test MAEs in the target's unit (cached by key)."""
    cache = files.read_json(cache_path) if cache_path and os.path.exists(cache_path) else {}
    missing = [s for s in sizes if "%s/%d" % (target, s) not in cache]
    if missing:
        molecules = qm9.load(data_path)
        y = qm9_data.target_values(molecules, target)
        for size in missing:
            split = qm9_data.split_indices(len(y), train_size=size)
            result = qm9_data.baselines(qm9_data.subset(molecules, split.train), qm9_data.subset(molecules, split.test),
                                   y[split.train], y[split.test])
            cache["%s/%d" % (target, size)] = result
            log("baselines %s %d: %s" % (target, size, dict(result)))
            if cache_path:
                files.write_json(cache_path, cache)
    return {s: cache["%s/%d" % (target, s)] for s in sizes}


def collect(runs_dir):
    """{(target, size, steps): metrics} of the finished QM9 runs."""
    out = {}
    for path in sorted(glob.glob(os.path.join(runs_dir, "qm9_*", "metrics.json"))):
        metrics = files.read_json(path)
        if metrics.get("dataset") == "qm9":
            metrics["run_dir"] = os.path.dirname(path)
            out[(metrics["target"], metrics["num_train"], metrics["steps"])] = metrics
    return out


def table(runs, base):
    lines = ["| target | training molecules | steps | CPU h | network test MAE | dressed atoms | pair histograms "
             "| predict the mean | SchNet (paper) |", "|---|---|---|---|---|---|---|---|---|"]
    for (target, size, _), m in sorted(runs.items()):
        unit = qm9_data.TARGETS[target].unit
        key = "mae_kcal_mol" if unit == "kcal/mol" else "mae_meV"
        b = base[target][size]
        net = m["test"][key]
        extra = " (%.0f meV)" % m["test"]["mae_meV"] if unit == "kcal/mol" else ""
        lines.append("| %s | %d | %d | %.2f | **%.2f %s**%s | %.2f | %.2f | %.1f | %s |" % (
            target, size, m["steps"], m["cpu_seconds_training"] / 3600.0, net, unit, extra, b["dressed_atom"],
            b["pair_histogram"], b["mean"], schnet_cell(size, target)))
    return "\n".join(lines) + "\n"


def figure(path, runs, base, target="u0_atomization"):
    """The learning curve: one line per step budget, the baselines, SchNet and chemical accuracy."""
    budgets = sorted({st for t, _, st in runs if t == target})
    if not budgets:
        return
    sizes = sorted({s for t, s, _ in runs if t == target})
    key = "mae_kcal_mol"
    curves = collections.OrderedDict()
    for steps in budgets:
        at = sorted(s for t, s, st in runs if t == target and st == steps)
        curves["network, {:,} steps of 32 (test)".format(steps)] = (
            at, [runs[(target, s, steps)]["test"][key] for s in at])
    curves["dressed atoms"] = (sizes, [base[target][s]["dressed_atom"] for s in sizes])
    curves["pair histograms + counts"] = (sizes, [base[target][s]["pair_histogram"] for s in sizes])
    curves["SchNet (NeurIPS 2017)"] = (sorted(SCHNET_U0_KCAL_MOL), [SCHNET_U0_KCAL_MOL[s] for s in
                                                                    sorted(SCHNET_U0_KCAL_MOL)])
    curves["chemical accuracy"] = ([min(sizes), max(sizes)], [1.0, 1.0])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, (x, yv) in curves.items():
        style = "k--" if label == "chemical accuracy" else "o-"
        ax.plot(x, yv, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training molecules")
    ax.set_ylabel("test MAE, U0 atomization (kcal/mol)")
    ax.set_title("QM9 U0 atomization: test MAE by training-set size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=110)


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default=os.path.join("runs", "tf1_molecules"), help="QM9 run dirs live here")
    parser.add_argument("--data-path", default=qm9.DEFAULT_PATH, help="the npz of `make qm9`")
    parser.add_argument("--out", default="reports", help="output folder (default reports)")
    parser.add_argument("--baselines-only", nargs="*", type=int, default=None, metavar="SIZE",
                        help="only compute (and cache) the U0 baselines for these training sizes")
    args = parser.parse_args(argv)
    if args.baselines_only and min(args.baselines_only) < 1:
        parser.error("argument --baselines-only: every SIZE must be >= 1, got %d" % min(args.baselines_only))
    if args.baselines_only and max(args.baselines_only) > qm9_data.NUM_TRAIN:
        parser.error("argument --baselines-only: every SIZE must be <= %d (the QM9 training split), got %d"
                     % (qm9_data.NUM_TRAIN, max(args.baselines_only)))
    return _report(args)


def _report(args):
    cache = os.path.join(args.runs, "qm9_baselines.json")
    if args.baselines_only is not None:
        for target in qm9_data.TARGETS:
            baselines(target, args.baselines_only, args.data_path, cache)
        return 0
    runs = collect(args.runs)
    if not runs:
        sys.stderr.write("no finished QM9 runs in %s\n" % args.runs)
        return 2
    base = {t: baselines(t, sorted({s for tt, s, _ in runs if tt == t}), args.data_path, cache)
            for t in {t for t, _, _ in runs}}
    text = "# QM9 learning curve\n\nTest MAE (%d test molecules); `python -m tf1_molecules.qm9_report`.\n\n" % (
        next(iter(runs.values()))["num_test"]) + table(runs, base)
    files.write_text(os.path.join(args.out, "qm9_learning_curve.md"), text)
    figure(os.path.join(args.out, "qm9_learning_curve.png"), runs, base)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
