"""Builds `tf1_dna/data/w5.fasta`: three seeded open reading frames replacing the handout's damaged ones.

Why: the handout's three DNA/protein pairs were damaged when the document was extracted to text (frame
shifts, in-frame stops, DNA lengths not divisible by 3), so they do not translate to the printed
proteins. We keep what the exercise needs: three ORFs of the handout's protein lengths (99, 347 and
234 codons, stop included), ATG first, random sense codons, a stop codon last, proteins from the
standard genetic code, and -- the point of question 4e -- exactly two of the four proline codons
(CCT and CCC occur, CCA and CCG never do).

    python -m tf1_dna.make_data                # (re)writes tf1_dna/data/w5.fasta
    python -m tf1_dna.make_data --check        # exit 1 if the committed file differs from the script
"""
import os
import sys

import numpy as np

from common import cli, config, files
from tf1_dna import data

DEFAULT_FASTA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "w5.fasta")
SCHEMA = config.Schema([
    config.seed(4, "NumPy seed of the generator"),
    config.Key("lengths", [99, 347, 234], "codons per ORF, start and stop included (the handout's protein lengths)",
               ge=2),
    config.Key("out", DEFAULT_FASTA, "FASTA file to write"),
    config.Key("width", 75, "letters per sequence line", ge=1),
    config.Key("check", False, "do not write: compare the generated text with --out and exit 1 if they differ"),
])
# Proline codons kept in the training data (4e: "only 2 of the 4 proline codons were there").
KEPT_PROLINE = ("CCT", "CCC")


def generate_pairs(seed=4, lengths=(99, 347, 234)):
    """Draws the ORFs and their standard-code proteins.

    Redraws (with the same generator, so still deterministic) until both kept proline codons occur;
    CCA and CCG are never drawn.

    Returns:
      list of data.SeqPair named "Sequence 1", "Sequence 2", ...
    """
    rng = np.random.RandomState(seed)
    allowed = [c for c in data.SENSE_CODONS if c not in data.PROLINE_CODONS or c in KEPT_PROLINE]
    for _ in range(100):
        dnas = [data.random_orf(rng, n, allowed) for n in lengths]
        seen = set()
        for dna in dnas:
            seen.update(data.split_codons(dna))
        if all(c in seen for c in KEPT_PROLINE):
            break
    else:
        raise RuntimeError("could not draw ORFs containing %s" % (KEPT_PROLINE,))
    return [data.SeqPair("Sequence %d" % (i + 1), dna, data.translate_standard(dna))
            for i, dna in enumerate(dnas)]


def fasta_text(pairs, width=75):
    """FASTA in the handout's header style: `>Sequence 1 DNA`, `>Sequence 1 PROTEIN`, ..."""
    records = []
    for pair in pairs:
        records.append((pair.name + " DNA", pair.dna))
        records.append((pair.name + " PROTEIN", pair.protein))
    return data.format_fasta(records, width=width)


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    pairs = generate_pairs(cfg.seed, cfg.lengths)
    text = fasta_text(pairs, cfg.width)
    data.parse_pairs(text, source="the generated text")  # round trip through the strict reader, before writing
    if cfg.check:
        same = files.read_text(cfg.out) == text  # a regular file only: InputError (exit 2) names the fault
        print("%s %s the generator output (seed %d)" % (cfg.out, "matches" if same else "DIFFERS from", cfg.seed))
        return 0 if same else 1
    files.write_text(files.check_output(cfg.out), text)
    counts = data.codon_counts(pairs)
    print("wrote %s: %s codons; proline codons %s; distinct codons %d of 64"
          % (cfg.out, "/".join(str(len(p.protein)) for p in pairs),
             ", ".join("%s x%d" % (c, counts[c]) for c in data.PROLINE_CODONS), len(counts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
