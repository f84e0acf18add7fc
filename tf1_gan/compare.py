"""Compare runs: `python -m tf1_gan.compare RUN_DIR... [--out DIR]`.

Writes one figure (rows = runs, columns = fixed-z samples at the middle and the end of training) and a
Markdown table of each run's metrics.json, and prints the table.
"""
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
import numpy as np  # pylint: disable=wrong-import-position

from common import cli, config, files, plots  # pylint: disable=wrong-import-position
from tf1_gan import options  # pylint: disable=wrong-import-position

DEFAULT_OUT = os.path.join("runs", "tf1_gan", "compare")
SHOW = 36  # first 6 x 6 samples of the fixed z per cell


def run_label(run_dir):
    cfg = options.TRAIN.load_saved(run_dir, complete=True)
    label = cfg["variant"]
    label += {"d": " (SN in D only)", "all_bn": " (SN all + G BN)"}.get(cfg.get("sn_scope"), "")
    if cfg.get("init", "torch") != "torch":
        label += " (%s init)" % cfg["init"]
    if cfg.get("bn_epsilon", 0.0) > 0:
        label += " (BN eps %g)" % cfg["bn_epsilon"]
    return label


def _metrics(run_dir):
    """The run's metrics.json ({} for an unfinished run); InputError for one that does not read."""
    path = os.path.join(run_dir, "metrics.json")
    if not os.path.exists(path):
        return {}
    try:
        metrics = files.read_json(path)
    except (OSError, ValueError) as err:
        raise files.InputError("%s cannot be read as JSON: %s" % (path, err))
    if not isinstance(metrics, dict):
        raise files.InputError("%s holds no mapping of metrics" % path)
    return metrics


def _fmt(value, digits=3):
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return ("%%.%df" % digits) % value
    return str(value)


def markdown_table(run_dirs):
    """One row per run; the real-data FID floor (test vs train) in the last row."""
    head = ("| run | epochs | steps | D loss | G loss | D(real) | D(fake) | FID ↓ | FID, BN batch stats ↓ "
            "| confident | digits ≥2% | predicted-digit histogram (0–9, %) |")
    lines = [head, "|" + "---|" * 12]
    floor = None
    for run_dir in run_dirs:
        m = _metrics(run_dir)
        floor = m.get("real_floor_fid", floor)
        hist = m.get("digit_histogram")
        hist_text = " ".join("%d" % round(100 * h) for h in hist) if hist else "–"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            run_label(run_dir), _fmt(m.get("epochs")), _fmt(m.get("steps")), _fmt(m.get("final_d_loss")),
            _fmt(m.get("final_g_loss")), _fmt(m.get("final_d_real")), _fmt(m.get("final_d_fake")),
            _fmt(m.get("fid"), 1), _fmt(m.get("fid_batchstats"), 1), _fmt(m.get("confident_fraction"), 2),
            _fmt(m.get("digits_covered")), hist_text))
    if floor is not None:
        lines.append("| real test images vs train (floor) | | | | | | | %s | | | | |" % _fmt(floor, 1))
    return "\n".join(lines)


def _panel_note(tag, total, metrics):
    """'middle (step 625)', 'end (step 1250, FID 38.0)': where in training the samples were drawn, how good."""
    if not isinstance(total, int):
        return tag
    note = "%s (step %d" % (tag, total // 2 if tag == "middle" else total)
    if tag == "end" and isinstance(metrics.get("fid"), (int, float)):
        note += ", FID %.1f" % metrics["fid"]
    return note + ")"


def figure(run_dirs, path, tags=("middle", "end")):
    """Rows = runs, columns = sample grids at `tags`; returns the path."""
    fig, axes = plt.subplots(len(run_dirs), len(tags), figsize=(2.6 * len(tags), 2.8 * len(run_dirs)),
                             squeeze=False)
    for r, run_dir in enumerate(run_dirs):
        label = run_label(run_dir)
        metrics_path = os.path.join(run_dir, "metrics.json")
        metrics = files.read_json(metrics_path) if os.path.isfile(metrics_path) else {}
        total = metrics.get("steps") if isinstance(metrics, dict) else None
        for c, tag in enumerate(tags):
            ax = axes[r][c]
            ax.axis("off")
            npy = os.path.join(run_dir, "samples", tag + ".npy")
            if os.path.exists(npy):
                ax.imshow(plots.image_grid(np.load(npy)[:SHOW]), cmap="gray", vmin=0, vmax=1,
                          interpolation="nearest")
            # two lines: a long label ("dcgan_sn (SN in D only)") beside its note would run into the next panel's
            ax.set_title("%s\n%s" % (label, _panel_note(tag, total, metrics)), fontsize=9)
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=110)
    return path


def output_dir(path):
    """The directory `path` (created if its parent exists), refused when it is a file or cannot be written."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise files.OutputError("--out %s exists and is not a directory" % path)
    if not os.path.isdir(path):
        files.check_output(path)  # the parent must exist and be writable
        try:
            os.mkdir(path)
        except OSError as err:
            raise files.OutputError("cannot create --out %s: %s" % (path, err.strerror))
    return path


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0], prog="python -m tf1_gan.compare")
    parser.add_argument("run_dirs", nargs="+", help="tf1_gan.train run dirs, in the order to show")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output dir for compare.png and compare.md")
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:  # ConfigError (exit 2): not a tf1_gan run dir, or a hand-broken config.yaml
        options.TRAIN.load_saved(run_dir, complete=True)
    out = output_dir(args.out)
    png, md = (files.check_output(os.path.join(out, name)) for name in ("compare.png", "compare.md"))
    figure(args.run_dirs, png)
    table = markdown_table(args.run_dirs)
    files.write_text(md, table + "\n")
    print(table)
    print("\nwrote %s and %s" % (os.path.join(args.out, "compare.png"), os.path.join(args.out, "compare.md")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
