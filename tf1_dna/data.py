"""DNA/protein data: the genetic code, a strict FASTA pair reader, one-hot encodings, random ORFs.

Shapes follow the handout (seed 004, 4a): one-hot sequences are (1, number_of_features, length),
DNA in the order A, T, G, C and proteins over 20 amino acids plus the stop symbol `*`.
"""
import collections
import itertools

import numpy as np

from common import errors, files

DNA_ALPHABET = "ATGC"                       # the handout's one-hot order: A, T, G, C
PROTEIN_ALPHABET = "ACDEFGHIKLMNPQRSTVWY*"  # 20 amino acids + stop
_DNA_INDEX = {base: i for i, base in enumerate(DNA_ALPHABET)}
_PROTEIN_INDEX = {aa: i for i, aa in enumerate(PROTEIN_ALPHABET)}

# The standard genetic code, written as the textbook table: first base T, C, A, G (slowest), then the
# second and third base in the same order. 64 letters, one per codon.
_TABLE_ORDER = "TCAG"
_TABLE_AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODONS = ["".join(c) for c in itertools.product(_TABLE_ORDER, repeat=3)]  # table order
STANDARD_CODE = dict(zip(CODONS, _TABLE_AMINO))
STOP_CODONS = [c for c in CODONS if STANDARD_CODE[c] == "*"]
SENSE_CODONS = [c for c in CODONS if STANDARD_CODE[c] != "*"]
PROLINE_CODONS = ["CCT", "CCC", "CCA", "CCG"]  # question 4e

SeqPair = collections.namedtuple("SeqPair", "name dna protein")
Record = collections.namedtuple("Record", "header sequence line")  # line: 1-based line of the header


class FastaError(errors.DataError):
    """A FASTA file (or string) is malformed; the message names the source, line and reason."""


class SequenceError(errors.UserError):
    """A sequence holds a letter outside its alphabet; the message names the 1-based position."""


# --------------------------------------------------------------------------------------------- FASTA


def parse_fasta(text, source="<string>"):
    """Splits FASTA text into records, strictly.

    Header lines start with `>`; sequence lines may carry trailing white space (stripped) but no white
    space inside. Blank lines are allowed between records.

    Returns:
      A list of Record(header, sequence, line) with the sequence upper-cased.
    Raises:
      FastaError: text before the first header, an empty header or record, white space inside a line.
    """
    records = []
    header, header_line, chunks = None, 0, []

    def close():
        if header is not None:
            if not chunks:
                raise FastaError("%s, line %d: record %r has no sequence" % (source, header_line, header))
            records.append(Record(header, "".join(chunks).upper(), header_line))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(">"):
            close()
            header, header_line, chunks = line[1:].strip(), number, []
            if not header:
                raise FastaError("%s, line %d: empty header" % (source, number))
            continue
        if header is None:
            raise FastaError("%s, line %d: sequence data before the first '>' header" % (source, number))
        inner = [i for i, ch in enumerate(line) if ch.isspace()]
        if inner:
            column = len(raw) - len(raw.lstrip()) + inner[0] + 1
            raise FastaError("%s, line %d, column %d: white space inside a sequence line"
                             % (source, number, column))
        chunks.append(line)
    close()
    if not records:
        raise FastaError("%s: no FASTA records found" % source)
    return records


def _check_alphabet(sequence, alphabet, what, where):
    for i, ch in enumerate(sequence):
        if ch not in alphabet:
            raise FastaError("%s: %s letter %r at position %d is not one of %s"
                             % (where, what, ch, i + 1, alphabet))


def parse_pairs(text, source="<string>"):
    """Reads DNA/PROTEIN pairs from FASTA text in the handout's header style.

    Headers are `<name> DNA` and `<name> PROTEIN` (e.g. `Sequence 1 DNA`), any order, case-insensitive
    kind. Each name needs exactly one of each; the DNA must be A/T/G/C, the protein from
    PROTEIN_ALPHABET, and len(dna) == 3 * len(protein).

    Returns:
      A list of SeqPair(name, dna, protein) in order of first appearance.
    Raises:
      FastaError naming the file, line and record.
    """
    found = collections.OrderedDict()
    for rec in parse_fasta(text, source):
        parts = rec.header.rsplit(None, 1)
        kind = parts[-1].upper()
        if len(parts) != 2 or kind not in ("DNA", "PROTEIN"):
            raise FastaError("%s, line %d: header %r must end with DNA or PROTEIN (e.g. 'Sequence 1 DNA')"
                             % (source, rec.line, rec.header))
        name = parts[0]
        slot = found.setdefault(name, {})
        if kind in slot:
            raise FastaError("%s, line %d: second %s record for %r (first at line %d)"
                             % (source, rec.line, kind, name, slot[kind].line))
        slot[kind] = rec
    pairs = []
    for name, slot in found.items():
        for kind, other in (("DNA", "PROTEIN"), ("PROTEIN", "DNA")):
            if kind not in slot:
                raise FastaError("%s, line %d: record %r has a %s sequence but no %s sequence"
                                 % (source, slot[other].line, name, other, kind))
        dna, protein = slot["DNA"], slot["PROTEIN"]
        _check_alphabet(dna.sequence, DNA_ALPHABET, "DNA",
                        "%s, record %r (line %d)" % (source, dna.header, dna.line))
        _check_alphabet(protein.sequence, PROTEIN_ALPHABET, "protein",
                        "%s, record %r (line %d)" % (source, protein.header, protein.line))
        if len(dna.sequence) != 3 * len(protein.sequence):
            raise FastaError("%s, record %r (line %d): DNA length %d != 3 x protein length %d (= %d)"
                             % (source, name, dna.line, len(dna.sequence), len(protein.sequence),
                                3 * len(protein.sequence)))
        check_orf(dna.sequence, protein.sequence, "%s, record %r (line %d)" % (source, name, dna.line))
        pairs.append(SeqPair(name, dna.sequence, protein.sequence))
    return pairs


def check_orf(dna, protein, where):
    """What the handout's data guarantees of every pair (seed 004): the DNA is one open reading frame, ATG
    first, a stop codon last and none before, and the protein starts with M and ends with its one `*`.
    Checked when the file is read, so a file that is not such data fails before any training."""
    codons = split_codons(dna)
    if codons[0] != "ATG":
        raise FastaError("%s: the DNA starts with %s, not the start codon ATG" % (where, codons[0]))
    if codons[-1] not in STOP_CODONS:
        raise FastaError("%s: the DNA ends with %s, not a stop codon (%s)"
                         % (where, codons[-1], "/".join(sorted(STOP_CODONS))))
    inner = [i for i, codon in enumerate(codons[:-1]) if codon in STOP_CODONS]
    if inner:
        raise FastaError("%s: stop codon %s at codon %d (base %d) before the end of the reading frame"
                         % (where, codons[inner[0]], inner[0] + 1, 3 * inner[0] + 1))
    if protein[0] != "M" or protein[-1] != "*" or "*" in protein[:-1]:
        raise FastaError("%s: the protein must start with M and end with its only '*', got %s...%s"
                         % (where, protein[:5], protein[-5:]))


def read_pairs(path):
    """`parse_pairs` on a file; a missing, unreadable or binary file is a FastaError too."""
    try:
        text = files.read_text(files.repo_path(path))
    except files.InputError as err:
        raise FastaError(str(err))
    return parse_pairs(text, source=path)


def format_fasta(records, width=70):
    """FASTA text for (header, sequence) tuples, sequence lines wrapped at `width`."""
    lines = []
    for header, sequence in records:
        lines.append(">" + header)
        lines.extend(sequence[i:i + width] for i in range(0, len(sequence), width))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ encoding


def _indices(sequence, index, what):
    out = np.empty(len(sequence), dtype=np.int64)
    for i, ch in enumerate(sequence):
        try:
            out[i] = index[ch.upper()]
        except KeyError:
            raise SequenceError("%s letter %r at position %d is not one of %s"
                                % (what, ch, i + 1, "".join(index)))
    return out


def dna_one_hot(dna):
    """DNA string (any case) -> float32 one-hot of shape (1, 4, len(dna)), rows A, T, G, C."""
    ids = _indices(dna, _DNA_INDEX, "DNA")
    out = np.zeros((1, 4, len(ids)), dtype=np.float32)
    out[0, ids, np.arange(len(ids))] = 1.0
    return out


def protein_one_hot(protein):
    """Protein string (any case, `*` = stop) -> float32 one-hot of shape (1, 21, len(protein))."""
    ids = _indices(protein, _PROTEIN_INDEX, "protein")
    out = np.zeros((1, len(PROTEIN_ALPHABET), len(ids)), dtype=np.float32)
    out[0, ids, np.arange(len(ids))] = 1.0
    return out


def probs_to_protein(probs):
    """Per-position distributions -> protein string by argmax over the 21 channels.

    Args:
      probs: (1, 21, T) or (21, T) array (the network's output layout).
    """
    probs = np.asarray(probs)
    if probs.ndim == 3:
        if probs.shape[0] != 1:
            raise ValueError("probs_to_protein takes one sequence, got batch %d" % probs.shape[0])
        probs = probs[0]
    if probs.ndim != 2 or probs.shape[0] != len(PROTEIN_ALPHABET):
        raise ValueError("probs must be (1, 21, T) or (21, T), got %s" % (np.shape(probs),))
    return "".join(PROTEIN_ALPHABET[i] for i in np.argmax(probs, axis=0))


# ----------------------------------------------------------------------------------- codons and ORFs


def split_codons(dna):
    """Non-overlapping codons of `dna` (upper-cased); a trailing partial codon is dropped."""
    dna = dna.upper()
    return [dna[i:i + 3] for i in range(0, len(dna) - len(dna) % 3, 3)]


def translate_standard(dna):
    """The protein the standard genetic code gives for `dna` (the ground truth, not the network)."""
    return "".join(STANDARD_CODE[c] for c in split_codons(dna))


def codon_counts(pairs):
    """Counter codon -> occurrences over the DNA of `pairs`."""
    counts = collections.Counter()
    for pair in pairs:
        counts.update(split_codons(pair.dna))
    return counts


def codon_accuracy(predicted, target):
    """Fraction of positions where the predicted amino acid equals the target (equal lengths)."""
    if len(predicted) != len(target):
        raise ValueError("length mismatch: predicted %d vs target %d" % (len(predicted), len(target)))
    if not target:
        raise ValueError("empty sequences")
    return sum(a == b for a, b in zip(predicted, target)) / float(len(target))


def random_orf(rng, n_codons, sense_codons, stop_codons=None):
    """A random open reading frame: ATG, n_codons - 2 sense codons, a stop codon.

    Args:
      rng: np.random.RandomState.
      n_codons: total codons including ATG and the stop (>= 2).
      sense_codons: codons to draw the middle from (must not contain stops).
      stop_codons: codons to draw the last one from (default: the three standard stops).
    Returns:
      DNA string of length 3 * n_codons.
    """
    if n_codons < 2:
        raise ValueError("an ORF needs at least 2 codons (start + stop), got %d" % n_codons)
    stops = list(stop_codons or STOP_CODONS)
    middle = [sense_codons[i] for i in rng.randint(len(sense_codons), size=n_codons - 2)]
    return "ATG" + "".join(middle) + stops[rng.randint(len(stops))]
