"""How robust is the answer to question 4e? Trains one run per seed and reports the never-seen codons.

    python -m tf1_dna.unseen [--seeds 0 1 2 3 4] [--out-dir runs/tf1_dna/unseen]

For each seed: the default training (1000 epochs), then the predicted amino acid and probability of
every codon absent from the training data (CCA and CCG for w5.fasta), and the codon accuracies.
Writes `<out-dir>/unseen.md` and `<out-dir>/unseen.json`; each seed's run stays in `<out-dir>/seed<k>`.
"""
import os
import sys

from common import cli, config, files, run, training
from tf1_dna import data, infer, train


def sweep(seeds, out_dir, base_cfg, log=print):
    """Trains (or resumes) one run per seed; returns a list of per-seed dicts."""
    results = []
    for seed in training.progress(seeds, desc="seeds"):
        run_dir = os.path.join(out_dir, "seed%d" % seed)
        metrics = train.train(base_cfg.replace(seed=seed, run_dir=run_dir), log=lambda _: None)
        with infer.Translator(run_dir) as translator:
            table = translator.codon_table()  # (64, 21)
        unseen = {}
        for codon in metrics["unseen_codons"]:
            probs = table[data.CODONS.index(codon)]
            order = probs.argsort()[::-1]
            unseen[codon] = {"predicted": data.PROTEIN_ALPHABET[order[0]], "p": float(probs[order[0]]),
                             "runner_up": data.PROTEIN_ALPHABET[order[1]], "p_runner_up": float(probs[order[1]])}
        results.append({"seed": seed, "train_codon_accuracy": metrics["train_codon_accuracy"],
                        "fresh_orf_codon_accuracy": metrics["fresh_orf_codon_accuracy"], "unseen": unseen})
        log("seed %d: train %.4f, fresh %.4f; %s" % (
            seed, metrics["train_codon_accuracy"], metrics["fresh_orf_codon_accuracy"],
            "; ".join("%s -> %s %.3f (next %s %.3f)" % (c, u["predicted"], u["p"], u["runner_up"], u["p_runner_up"])
                      for c, u in unseen.items())))
    return results


def to_markdown(results):
    codons = sorted({c for r in results for c in r["unseen"]})
    head = "| seed | train acc | fresh ORF acc | " + " | ".join("%s -> (p); runner-up" % c for c in codons) + " |"
    lines = [head, "|" + "---|" * (3 + len(codons))]
    for r in results:
        cells = ["%s (%.3f); %s %.3f" % (r["unseen"][c]["predicted"], r["unseen"][c]["p"],
                                           r["unseen"][c]["runner_up"], r["unseen"][c]["p_runner_up"])
                 for c in codons]
        lines.append("| %d | %.4f | %.4f | %s |" % (r["seed"], r["train_codon_accuracy"],
                                                    r["fresh_orf_codon_accuracy"], " | ".join(cells)))
    return "\n".join(lines) + "\n"


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out-dir", default=run.default_run_dir("tf1_dna", "unseen"), help="one run dir per seed below it")
    parser.add_argument("--hidden", type=int, default=train.SCHEMA.defaults["hidden"])
    parser.add_argument("--activation", default=train.SCHEMA.defaults["activation"])
    args = parser.parse_args(argv)
    cfg = train.SCHEMA.make(hidden=args.hidden, activation=args.activation, log_every=1000)
    results = sweep(args.seeds, args.out_dir, cfg)
    table = to_markdown(results)
    print(table)
    files.write_text(os.path.join(args.out_dir, "unseen.md"), table)
    files.write_json(os.path.join(args.out_dir, "unseen.json"), results)
    print("wrote %s/unseen.md and unseen.json" % args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
