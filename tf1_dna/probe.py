"""Question 4e, part 1: what the trained network predicts for the four proline codons, and for all 64.

    python -m tf1_dna.probe --run-dir runs/tf1_dna/default

Prints the 21-way distributions for CCT, CCC (seen in training) and CCA, CCG (never seen), plots them
to `<run-dir>/probe_proline.png`, and writes the 64-codon table (predicted amino acid, probability,
true amino acid, seen in training or not) to stdout and `<run-dir>/probe_codons.md` / `.json`.
"""
import os
import sys

import matplotlib  # pylint: disable=wrong-import-position
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
import numpy as np  # pylint: disable=wrong-import-position

from common import cli, config, files, plots, run
from tf1_dna import data, infer

TOP = 3  # amino acids listed per proline codon


def codon_table(table_probs, seen_counts):
    """Rows for the 64 codons (table order): codon, true aa, predicted aa, its probability, P(true), seen.

    Args:
      table_probs: (64, 21) distributions in data.CODONS order.
      seen_counts: Counter codon -> occurrences in the training DNA.
    """
    rows = []
    for codon, probs in zip(data.CODONS, table_probs):
        best = int(np.argmax(probs))
        true = data.STANDARD_CODE[codon]
        rows.append({"codon": codon, "true": true, "predicted": data.PROTEIN_ALPHABET[best],
                     "probability": float(probs[best]),
                     "p_true": float(probs[data.PROTEIN_ALPHABET.index(true)]),
                     "seen": int(seen_counts.get(codon, 0)),
                     "distribution": {aa: float(p) for aa, p in zip(data.PROTEIN_ALPHABET, probs)}})
    return rows


def format_table(rows):
    """The 64-codon table as Markdown."""
    lines = ["| codon | standard code | predicted | probability | P(standard) | seen in training |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append("| %s | %s | %s%s | %.4f | %.4f | %s |"
                     % (row["codon"], row["true"], row["predicted"],
                        "" if row["predicted"] == row["true"] else " (differs)", row["probability"],
                        row["p_true"], "%d x" % row["seen"] if row["seen"] else "**never**"))
    return "\n".join(lines) + "\n"


def format_proline(rows):
    """One line per proline codon: seen count and its top amino acids."""
    by_codon = {row["codon"]: row for row in rows}
    lines = []
    for codon in data.PROLINE_CODONS:
        row = by_codon[codon]
        top = sorted(row["distribution"].items(), key=lambda kv: -kv[1])[:TOP]
        lines.append("%s (%s): predicted %s, p=%.4f; top %d: %s" % (
            codon, "seen %d x" % row["seen"] if row["seen"] else "never seen", row["predicted"],
            row["probability"], TOP, ", ".join("%s %.4f" % kv for kv in top)))
    return "\n".join(lines)


def plot_proline(rows, path, title=""):
    """Bar charts of the 21-way distribution of each proline codon (2 x 2); written atomically."""
    by_codon = {row["codon"]: row for row in rows}
    fig, axes = plt.subplots(2, 2, figsize=(11, 6), sharey=True)
    xs = np.arange(len(data.PROTEIN_ALPHABET))
    for ax, codon in zip(axes.ravel(), data.PROLINE_CODONS):
        row = by_codon[codon]
        probs = [row["distribution"][aa] for aa in data.PROTEIN_ALPHABET]
        colors = ["tab:red" if aa == "P" else "tab:blue" for aa in data.PROTEIN_ALPHABET]
        ax.bar(xs, probs, color=colors)
        ax.set_xticks(xs)
        ax.set_xticklabels(list(data.PROTEIN_ALPHABET))
        ax.set_ylim(0, 1.05)
        ax.set_title("%s (%s): argmax %s, p=%.3f" % (
            codon, "seen %dx" % row["seen"] if row["seen"] else "never seen", row["predicted"], row["probability"]),
                     fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("probability")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plots.save_figure(fig, path, dpi=100)
    return path


def probe(run_dir, log=print):
    """Runs the probe on a trained run; writes the plot and tables; returns the rows."""
    with infer.Translator(run_dir) as translator:
        table_probs = translator.codon_table()   # (64, 21)
        epoch = translator.epoch
        fasta = translator.config["fasta"]
    seen = data.codon_counts(data.read_pairs(fasta))
    rows = codon_table(table_probs, seen)
    log("Proline codons (question 4e), run %s at epoch %d:" % (run_dir, epoch))
    log(format_proline(rows))
    unseen = [r for r in rows if not r["seen"]]
    log("Codons never seen in training: %s" % ", ".join(
        "%s -> %s (p=%.3f, standard %s)" % (r["codon"], r["predicted"], r["probability"], r["true"]) for r in unseen))
    seen_ok = sum(r["predicted"] == r["true"] for r in rows if r["seen"])
    log("Seen codons predicted as the standard code: %d of %d" % (seen_ok, len(rows) - len(unseen)))
    table = format_table(rows)
    log("")
    log(table)
    files.write_text(os.path.join(run_dir, "probe_codons.md"), table)
    files.write_json(os.path.join(run_dir, "probe_codons.json"), rows)
    path = plot_proline(rows, os.path.join(run_dir, "probe_proline.png"),
                        title="Proline codons after %d epochs (red bar = P)" % epoch)
    log("wrote %s, probe_codons.md, probe_codons.json" % path)
    return rows


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default=run.default_run_dir("tf1_dna", "default"),
                        help="trained run (config.yaml + checkpoints/)")
    args = parser.parse_args(argv)
    probe(args.run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
