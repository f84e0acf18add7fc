"""Translates DNA with a trained run: `--dna SEQ` prints the protein as the last line of stdout;
`--fasta FILE` prints a FASTA of predicted proteins (and, for DNA/PROTEIN pair files, the accuracy).

    python -m tf1_dna.translate --run-dir runs/tf1_dna/default --dna ATGCCTCCCCCACCGTAA
    python -m tf1_dna.translate --run-dir runs/tf1_dna/default --fasta tf1_dna/data/w5.fasta
"""
import sys


from common import cli, config, errors, files, run
from tf1_dna import data, infer, model


def _warn_shape(dna, name, err):
    """Applies the 4e shape check to a DNA string: returns False (and says why) if it cannot run."""
    verdict = model.check_input_shape((1, 4, len(dna)))
    if not verdict.runs:
        err.write("error: %s: %s\n" % (name, verdict.reason))
        return False
    if not verdict.ok:
        err.write("warning: %s: %s\n" % (name, verdict.reason))
    return True


def _dna_records(path):
    """(name, dna, reference protein or None) from a pair file or from a FASTA of DNA records only."""
    try:
        return [(p.name, p.dna, p.protein) for p in data.read_pairs(path)]
    except data.FastaError as pair_error:
        records = data.parse_fasta(files.read_text(path), source=path)
        out = []
        for rec in records:
            if any(ch not in data.DNA_ALPHABET for ch in rec.sequence):
                raise data.FastaError("%s, line %d: record %r is neither a DNA/PROTEIN pair file (%s) nor DNA"
                                      % (path, rec.line, rec.header, pair_error))
            out.append((rec.header, rec.sequence, None))
        return out


@cli.entry_point
def main(argv=None, out=None, err=None):
    out, err = out or sys.stdout, err or sys.stderr
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default=run.default_run_dir("tf1_dna", "default"),
                        help="trained run (config.yaml + checkpoints/)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dna", help="DNA string (A/T/G/C, any case)")
    source.add_argument("--fasta", help="FASTA file of DNA records or DNA/PROTEIN pairs")
    args = parser.parse_args(argv)
    if args.dna is not None:
        if not args.dna.strip():
            raise errors.UserError("--dna is empty: give a DNA string of at least one codon (3 letters A/T/G/C)")
        data.dna_one_hot(args.dna)  # alphabet check first: names the bad position
        records = [("--dna", args.dna.upper(), None)]
    else:
        records = _dna_records(args.fasta)
    with infer.Translator(args.run_dir) as translator:
        status = 0
        for name, dna, reference in records:
            if not _warn_shape(dna, name, err):
                status = cli.BAD_INPUT if args.dna is not None else 1  # a FASTA: the other records are done
                continue
            protein = translator.translate(dna)
            if args.dna is not None:
                out.write(protein + "\n")
                continue
            out.write(">%s PROTEIN predicted\n%s\n" % (name, protein))
            if reference is not None:
                acc = data.codon_accuracy(protein, reference)
                err.write("%s: codon accuracy vs the file's protein %.4f (%d/%d)\n"
                          % (name, acc, round(acc * len(reference)), len(reference)))
        return status


if __name__ == "__main__":
    sys.exit(main())
