"""How the QM9 recipe was chosen and what it buys: `python -m tf1_molecules.qm9_study {ablation,curve,accuracy}`.

* `ablation`: every variant of ABLATIONS trained on the first 10,000 training molecules for 6,000 steps on one
  thread (`tf1_molecules.qm9_train`, one run dir per variant under --runs), then one table of their
  *validation* MAE (all 10,000 validation molecules), CPU seconds and ms per step. Only validation numbers are
  read: the choice of the recipe never looks at the test split.
* `curve`: the recipe (`tf1_molecules/configs/qm9_u0.yaml`) at 110,000 / 50,000 / 10,000 / 1,000 training
  molecules, every size with the same steps of the same batch, so the same CPU budget (a step costs the same
  whatever the training set's size); the table lists the test MAE of each run (its one look at the test split).
  Each budget has its own folder (`--runs`/steps<N>/n<size>), so runs of another --steps are never mixed in;
  `--steps` repeated gives one curve per budget.
* `accuracy`: CPU seconds until the validation MAE logged during training first reached 3, 2, 1.5 and 1 kcal/mol,
  and from when it stayed there, read from a run's history (default: the recipe's 110k run).

Finished runs are not repeated (their metrics.json is read, and must be of the size and steps asked for); a
rerun resumes unfinished ones. `--jobs 2` runs two trainings side by side (one thread each). The Markdown table
goes to stdout and, with --out, to a file.
"""
import argparse
import collections
import os
import subprocess
import sys

from common import cli, config, files, inputs, run_files
from tf1_molecules import qm9

RECIPE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs", "qm9_u0.yaml")
RUNS = os.path.join("runs", "tf1_molecules")
SETTING = ("--num-train", "10000", "--steps", "6000", "--threads", "1")  # the ablation setting

# name -> (what changes against the base configuration, the flags that change it). Round 1 changes one thing
# at a time against the trainer's defaults; round 2 combines what round 1 found better.
ABLATIONS = collections.OrderedDict([
    ("base", ("the trainer's defaults: width 64, 3 blocks, batch 32, MSE, lr 0.001 cosine to 5 %, "
              "64 Gaussians on [0, 6 Å]", ())),
    ("mae", ("L1 loss (MAE on the standardised target)", ("--loss", "mae"))),
    ("warmup", ("linear warm-up over 500 steps", ("--warmup-steps", "500"))),
    ("lr2e3", ("lr 0.002", ("--lr", "0.002"))),
    ("lr2e3_warmup", ("peak lr 0.002, warm-up 500 steps", ("--lr", "0.002", "--warmup-steps", "500"))),
    ("width128", ("width 128", ("--width", "128"))),
    ("blocks5", ("5 interaction blocks", ("--num-blocks", "5"))),
    ("batch16", ("batch 16", ("--batch-size", "16"))),
    ("batch64", ("batch 64", ("--batch-size", "64"))),
    ("cut5", ("cutoff 5 Å, 50 Gaussians (spacing 0.102 Å against 0.095 Å)",
              ("--cutoff", "5", "--num-centres", "50"))),
    ("centres32", ("32 Gaussians on [0, 6 Å] (twice the spacing)", ("--num-centres", "32"))),
    ("nodecay", ("constant lr 0.001 (no cosine decay)", ("--lr-floor", "1"))),
    ("mae_lr2e3", ("round 2: L1 loss, lr 0.002, no warm-up", ("--loss", "mae", "--lr", "0.002"))),
    ("mae_lr2e3_warmup", ("round 2: L1 loss, peak lr 0.002, warm-up 500 steps (the recipe's settings)",
                          ("--loss", "mae", "--lr", "0.002", "--warmup-steps", "500"))),
])

CURVE_SIZES = (110000, 50000, 10000, 1000)  # largest first: the pair that says whether more data helps
THRESHOLDS = (3.0, 2.0, 1.5, 1.0)


def _command(flags, run_dir):
    return [sys.executable, "-m", "tf1_molecules.qm9_train"] + list(flags) + ["--run-dir", run_dir]


def recipe_command(run_dir, *flags):
    """The training command of the recipe into `run_dir` (`flags` added after the config file)."""
    return _command(("--config", RECIPE) + tuple(flags), run_dir)


def _finished(run_dir):
    return os.path.exists(os.path.join(run_dir, "metrics.json"))


def run_all(jobs, commands, log=print):
    """Runs the (name, argv, run_dir) trainings not finished yet, `jobs` at a time; raises UserError on a failure."""
    pending = [(n, argv, d) for n, argv, d in commands if not _finished(d)]
    running = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                name, argv, run_dir = pending.pop(0)
                os.makedirs(os.path.dirname(run_dir) or ".", exist_ok=True)
                out = open(run_dir + ".log", "ab")
                log("start %s: %s (log %s.log)" % (name, " ".join(argv[1:]), run_dir))
                running.append((name, subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT), out))
            name, proc, out = running[0]
            code = proc.wait()
            out.close()
            running.pop(0)
            if code:
                raise config.ConfigError("the %s run failed (exit %d); see its log" % (name, code))
            log("done %s" % name)
    finally:
        for _, proc, out in running:
            proc.terminate()
            proc.wait()
            out.close()


def _metrics(run_dir):
    return files.read_json(os.path.join(run_dir, "metrics.json"))


def ablation_table(runs_dir):
    lines = ["| variant | change against base | val MAE (kcal/mol) | CPU s | ms / step | parameters |",
             "|---|---|---|---|---|---|"]
    for name, (what, _) in ABLATIONS.items():
        m = _metrics(os.path.join(runs_dir, name))
        lines.append("| %s | %s | %.3f | %.0f | %.1f | %d |" % (
            name, what, m["val"]["mae_kcal_mol"], m["cpu_seconds_training"],
            1000.0 * m["cpu_seconds_training"] / m["steps"], m["parameters"]))
    return "\n".join(lines) + "\n"


def recipe_steps():
    from tf1_molecules import qm9_task  # noqa: WPS433  (the schema, imported only when needed)
    return qm9_task.SCHEMA.load_yaml(RECIPE)["steps"]


def curve_dir(runs_dir, size, steps):
    """The run dir of the curve's `size`-molecule run at `steps` steps."""
    return os.path.join(runs_dir, "steps%d" % steps, "n%d" % size)


def curve_runs(runs_dir, budgets, extra=()):
    """{(target, size, steps): metrics} of the curve's runs at each step count of `budgets` and of the finished
    run dirs `extra`; a curve run whose metrics are of another size or step count is an error (a folder moved by
    hand)."""
    runs = {}
    for steps in budgets:
        for size in CURVE_SIZES:
            run_dir = curve_dir(runs_dir, size, steps)
            m = _metrics(run_dir)
            if (m["num_train"], m["steps"]) != (size, steps):
                raise config.ConfigError("%s: its metrics.json is of %d molecules and %d steps, not %d and %d"
                                         % (run_dir, m["num_train"], m["steps"], size, steps))
            runs[(m["target"], size, steps)] = m
    for run_dir in extra:
        m = _metrics(run_dir)
        runs[(m["target"], m["num_train"], m["steps"])] = m
    return runs


def curve_table(runs, base):
    """Markdown: test MAE by training size beside the baselines on the same split and SchNet's published MAE."""
    from tf1_molecules import qm9_report  # noqa: WPS433  (matplotlib)
    lines = ["| training molecules | steps | CPU h | val MAE | **test MAE** | dressed atoms | pair histograms "
             "| predict the mean | SchNet (paper) |", "|---|---|---|---|---|---|---|---|---|"]
    for (target, size, steps), m in sorted(runs.items(), key=lambda item: (item[0][2], item[0][1])):
        b = base[size]
        lines.append("| %d | %d | %.2f | %.3f | **%.3f** (%.0f meV) | %.2f | %.2f | %.1f | %s |" % (
            size, steps, m["cpu_seconds_training"] / 3600.0, m["val"]["mae_kcal_mol"], m["test"]["mae_kcal_mol"],
            m["test"]["mae_meV"], b["dressed_atom"], b["pair_histogram"], b["mean"],
            qm9_report.schnet_cell(size)))
    return "U0 atomization energy, MAE in kcal/mol on the 10,831 test molecules (validation: all 10,000).\n\n" + \
        "\n".join(lines) + "\n"


def time_to_accuracy(run_dir, thresholds=THRESHOLDS):
    """[(threshold, step, cpu seconds) or (threshold, None, None)]: the first logged point at or below each."""
    rows = run_files.History.read(os.path.join(run_dir, "history.json"))
    points = [(r["step"], r["cpu_seconds"], r["val/mae"]) for r in rows
              if r.get("val/mae") is not None and r.get("cpu_seconds") is not None]
    out = []
    for threshold in thresholds:
        hit = next(((s, c) for s, c, mae in points if mae <= threshold), (None, None))
        out.append((threshold,) + hit)
    return out, points


def _probe_size(run_dir):
    """The validation molecules a run evaluates at its log points (eval_molecules of its config.yaml)."""
    return int(config.load_run_config(run_dir).get("eval_molecules", 0))


def stays_below(points, threshold):
    """(step, cpu seconds) of the first logged point from which every later one is at or below `threshold`."""
    last_above = max((j for j, (_, _, mae) in enumerate(points) if mae > threshold), default=-1)
    return points[last_above + 1][:2] if last_above + 1 < len(points) else (None, None)


def _probe_atoms(run_dir):
    """(probe size, its mean atom count, all validation molecules' mean, their count), or None without the data."""
    from tf1_molecules import qm9_data, qm9_task  # noqa: WPS433
    raw = config.load_run_config(run_dir)
    if any(k not in raw for k in ("data_path", "num_val", "split_seed", "eval_molecules")):
        return None
    cfg = qm9_task.SCHEMA.load_saved(run_dir)  # checked: a hand-edited value is an error naming the key
    if not os.path.exists(cfg.data_path):
        return None
    atoms = qm9.load(cfg.data_path).num_atoms
    val = qm9_data.split_indices(len(atoms), qm9_data.NUM_TRAIN, cfg.num_val, cfg.split_seed).val
    probe = val[:cfg.eval_molecules]
    return len(probe), atoms[probe].mean(), atoms[val].mean(), len(val)


def accuracy_text(run_dir):
    hits, points = time_to_accuracy(run_dir)
    if not points:
        raise config.ConfigError("%s/history.json has no logged validation MAE with CPU seconds" % run_dir)
    lines = ["validation MAE (kcal/mol, the first %d validation molecules) of %s: best %.3f at step %d"
             % (_probe_size(run_dir), run_dir, min(p[2] for p in points), min(points, key=lambda p: p[2])[0])]
    for threshold, step, cpu in hits:
        if step is None:
            lines.append("%-4g kcal/mol: not reached" % threshold)
            continue
        good_step, good_cpu = stays_below(points, threshold)
        lines.append("%-4g kcal/mol: first %.0f CPU s (%.2f CPU h), step %d; %s" % (
            threshold, cpu, cpu / 3600.0, step, "above again at the last log point" if good_step is None else
            "for good from %.0f CPU s, step %d" % (good_cpu, good_step)))
    atoms = _probe_atoms(run_dir)
    if atoms:
        lines.append("the probe: the %d validation molecules of lowest QM9 index, %.1f atoms on average against %.1f "
                     "for all %d" % atoms)
    if os.path.exists(os.path.join(run_dir, "metrics.json")):
        m = _metrics(run_dir)
        lines.append("at the end: %.3f on the probe, %.3f on all %d validation molecules" % (
            points[-1][2], m["val"]["mae_kcal_mol"], m["num_val"]))
    return "\n".join(lines) + "\n"


def accuracy_figure(path, run_dir):
    """Validation MAE against training CPU hours of `run_dir`, with the thresholds as dashed lines."""
    from common import plots  # noqa: WPS433  (matplotlib)
    import matplotlib.pyplot as plt  # noqa: WPS433  (plots chose the backend)
    _, points = time_to_accuracy(run_dir)
    hours = [c / 3600.0 for _, c, _ in points]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(hours, [m for _, _, m in points], "o-", markersize=3,
            label="validation MAE (first %d molecules)" % _probe_size(run_dir))
    for threshold in THRESHOLDS:
        ax.axhline(threshold, color="0.5", linestyle="--", linewidth=0.8)
        ax.annotate("%g" % threshold, (hours[-1], threshold), xytext=(3, 2), textcoords="offset points",
                    fontsize=8, color="0.3")
    ax.set_yscale("log")
    from matplotlib import ticker  # noqa: WPS433
    ax.yaxis.set_major_locator(ticker.FixedLocator([0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10]))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xlabel("training CPU hours (1 thread)")
    ax.set_ylabel("MAE (kcal/mol)")
    ax.set_title("QM9 U0 recipe, 110,000 molecules: time to accuracy")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=110)


def _emit(text, out):
    print(text)
    if out:
        files.write_text(out, text)


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("ablation", "curve", "accuracy"), help="which study (above)")
    parser.add_argument("--runs", default=None,
                        help="run dirs (default runs/tf1_molecules/qm9_ablation, qm9_curve; accuracy: the run "
                             "dir itself, default runs/tf1_molecules/qm9_u0_recipe)")
    parser.add_argument("--jobs", type=config.at_least(1, high=8), default=1,
                        help="trainings side by side, one thread each (default 1)")
    parser.add_argument("--steps", type=config.at_least(1, high=2 ** 31 - 1), action="append", default=None,
                        help="curve: steps of every size; repeat for one curve per budget in the table and the "
                             "figure (default: the recipe's)")
    parser.add_argument("--no-train", action="store_true", help="only tabulate finished runs")
    parser.add_argument("--out", default=None, help="also write the table to this Markdown file")
    parser.add_argument("--figure", default=None, help="curve, accuracy: also draw the learning curve / the "
                                                        "validation MAE against CPU hours into this PNG")
    parser.add_argument("--with-run", action="append", default=[], metavar="RUN_DIR",
                        help="curve: add this finished QM9 U0 run to the table and figure (repeatable)")
    parser.add_argument("--data-path", default=qm9.DEFAULT_PATH,
                        help="curve: the npz of `make qm9`, for the baselines (default %(default)s)")
    args = parser.parse_args(argv)
    # Everything the study reads is protected before anything is written: --out and --figure may not replace a
    # run's metrics.json, history.json or any other file of the run dirs, nor the QM9 data.
    for folder in [args.runs or RUNS] + args.with_run:
        inputs.protect(folder)
    inputs.declare(args.data_path, RECIPE)
    for path in (args.out, args.figure):
        if path:
            files.check_output(path)
    if args.what == "accuracy":
        run_dir = args.runs or os.path.join(RUNS, "qm9_u0_recipe")
        _emit(accuracy_text(run_dir), args.out)
        if args.figure:
            accuracy_figure(args.figure, run_dir)
        return 0
    if args.what == "ablation":
        runs_dir = args.runs or os.path.join(RUNS, "qm9_ablation")
        commands = [(n, _command(SETTING + flags, os.path.join(runs_dir, n)), os.path.join(runs_dir, n))
                    for n, (_, flags) in ABLATIONS.items()]
        render = ablation_table
    else:
        runs_dir = args.runs or os.path.join(RUNS, "qm9_curve")
        budgets = sorted(set(args.steps or [recipe_steps()]), reverse=True)
        commands = [("n%d at %d steps" % (s, steps), recipe_command(curve_dir(runs_dir, s, steps), "--num-train",
                                                                    str(s), "--steps", str(steps)),
                     curve_dir(runs_dir, s, steps)) for steps in budgets for s in CURVE_SIZES]
    if not args.no_train:
        run_all(args.jobs, commands)
    missing = [n for n, _, d in commands if not _finished(d)] + [d for d in args.with_run if not _finished(d)]
    if missing:
        raise config.ConfigError("no finished run for %s (run without --no-train)" % ", ".join(missing))
    if args.what == "ablation":
        _emit(ablation_table(runs_dir), args.out)
        return 0
    from tf1_molecules import qm9_report  # noqa: WPS433  (matplotlib)
    runs = curve_runs(runs_dir, budgets, args.with_run)
    if {t for t, _, _ in runs} != {"u0_atomization"}:
        raise config.ConfigError("the curve is of U0 runs; --with-run named a run of another target")
    base = qm9_report.baselines("u0_atomization", sorted({s for _, s, _ in runs}), args.data_path,
                                os.path.join(RUNS, "qm9_baselines.json"))
    _emit(curve_table(runs, base), args.out)
    if args.figure:
        qm9_report.figure(args.figure, runs, {"u0_atomization": base})
    return 0


if __name__ == "__main__":
    sys.exit(main())
