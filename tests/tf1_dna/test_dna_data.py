"""tf1_dna data: genetic code, strict FASTA reader, one-hot encodings, the committed w5.fasta."""
import os

import numpy as np
import pytest

from tf1_dna import data, make_data

W5 = make_data.DEFAULT_FASTA

# The handout's sequence 1 as extracted to text (damaged): 305 nt against 99 residues (not 297).
HANDOUT_SEQ1 = """> Sequence 1 DNA
ATGATTACTTGGCTTACATTGGATCTGGCGTTTAACGGCATGGTAACGTGGATGATCAAATTTTCATAGTTGTGA
AGTCCCAGGTCCGATGTCTTGCCCATGACATCAACTGCCGGTGAATATCGCAGCAGATGTTGCACTTCACCG
TAACCAACTGGGAAGTTTTCCGGGTGACTCAAAGGGGAGCTGTGGGACACACAATAAAGGCAATACCTCCTATA
CCCAGAGGAATTTTATTTTGGCTAGCGGTGGTAATGTGTCACTCCTTGTGCATTTCTAGGCGATTTCATCAACA
GACCCATTAG
> Sequence 1 PROTEIN
MITWLTDLAFNGMVTWMIKFHSCEAPRSDVLPMTSTAGRISQMFDFVTNWEVFRVTQRGAVGHTIKAIPPI
PRGILFWLAVVMCHSLCISRRFIKQTH*
"""


def test_standard_code_known_codons():
    assert len(data.STANDARD_CODE) == 64
    assert data.STANDARD_CODE["ATG"] == "M" and data.STANDARD_CODE["TGG"] == "W"
    assert sorted(data.STOP_CODONS) == ["TAA", "TAG", "TGA"]
    assert all(data.STANDARD_CODE[c] == "P" for c in data.PROLINE_CODONS)
    assert sum(a == "L" for a in data.STANDARD_CODE.values()) == 6
    assert set(data.STANDARD_CODE.values()) == set(data.PROTEIN_ALPHABET)


def test_dna_one_hot_order_shape_and_case():
    x = data.dna_one_hot("ATgc")
    assert x.shape == (1, 4, 4) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0], np.eye(4, dtype=np.float32))  # A, T, G, C = handout order


def test_protein_one_hot_and_argmax_round_trip():
    protein = "MKP*" + data.PROTEIN_ALPHABET
    y = data.protein_one_hot(protein.lower())
    assert y.shape == (1, 21, len(protein))
    np.testing.assert_array_equal(y.sum(axis=1), 1.0)
    assert data.probs_to_protein(y) == protein
    assert data.probs_to_protein(y[0] * 0.5 + 0.01) == protein


@pytest.mark.parametrize("func,seq,pos,letter", [
    (data.dna_one_hot, "ATGNCC", 4, "N"), (data.dna_one_hot, "AUG", 2, "U"),
    (data.protein_one_hot, "MKB", 3, "B"),
])
def test_bad_letter_names_position(func, seq, pos, letter):
    with pytest.raises(data.SequenceError, match=r"'%s' at position %d" % (letter, pos)):
        func(seq)


def test_parse_pairs_any_order_case_and_wrapping():
    text = ">s2 PROTEIN\nMP*\n\n>s2 dna\natgcct\nTAA  \n>s1 DNA\nATGTGA\n>s1 PROTEIN\nM*\n"
    pairs = data.parse_pairs(text)
    assert pairs == [data.SeqPair("s2", "ATGCCTTAA", "MP*"), data.SeqPair("s1", "ATGTGA", "M*")]


@pytest.mark.parametrize("text,pattern", [
    ("ATG\n>s DNA\nATG\n", r"line 1: sequence data before"),
    (">s DNA\nATG\n", r"line 1: record 's' has a DNA sequence but no PROTEIN"),
    (">s DNA\nATGA\n>s PROTEIN\nM\n", r"record 's' \(line 1\): DNA length 4 != 3 x protein length 1"),
    (">s DNA\nATGXAA\n>s PROTEIN\nMK\n", r"DNA letter 'X' at position 4"),
    (">s DNA\nATG\n>s PROTEIN\nB\n", r"record 's PROTEIN' \(line 3\): protein letter 'B' at position 1"),
    (">s RNA\nAUG\n", r"line 1: header 's RNA' must end with DNA or PROTEIN"),
    (">s DNA\nATG\n>s DNA\nATG\n", r"line 3: second DNA record for 's'"),
    (">s DNA\nAT G\n", r"line 2, column 3: white space inside"),
    (">s DNA\n>s PROTEIN\nM\n", r"line 1: record 's DNA' has no sequence"),
    ("", r"no FASTA records"),
])
def test_parse_pairs_errors_name_line_and_reason(text, pattern):
    with pytest.raises(data.FastaError, match=pattern):
        data.parse_pairs(text, source="x.fasta")


def test_handout_sequence_is_rejected_as_damaged():
    with pytest.raises(data.FastaError, match=r"DNA length 305 != 3 x protein length 99"):
        data.parse_pairs(HANDOUT_SEQ1)


def test_read_pairs_missing_file(tmp_path):
    with pytest.raises(data.FastaError, match="cannot read"):
        data.read_pairs(str(tmp_path / "none.fasta"))


def test_committed_w5_matches_generator_and_issue():
    with open(W5, encoding="utf-8") as handle:
        assert handle.read() == make_data.fasta_text(make_data.generate_pairs(), width=make_data.SCHEMA.defaults["width"])
    pairs = data.read_pairs(W5)
    assert [p.name for p in pairs] == ["Sequence 1", "Sequence 2", "Sequence 3"]
    assert [len(p.protein) for p in pairs] == [99, 347, 234]
    for pair in pairs:
        assert pair.dna.startswith("ATG") and pair.dna[-3:] in data.STOP_CODONS
        assert pair.protein == data.translate_standard(pair.dna)
        assert "*" not in pair.protein[:-1]  # open reading frame: no in-frame stop
    counts = data.codon_counts(pairs)
    assert counts["CCT"] > 0 and counts["CCC"] > 0 and counts["CCA"] == 0 and counts["CCG"] == 0


def test_make_data_check_detects_a_changed_file(tmp_path):
    out = str(tmp_path / "w5.fasta")
    assert make_data.main(["--out", out]) == 0
    assert make_data.main(["--out", out, "--check"]) == 0
    with open(out, "a") as handle:
        handle.write(">x DNA\nATG\n")
    assert make_data.main(["--out", out, "--check"]) == 1
    assert os.path.exists(out)


def test_random_orf_and_accuracy():
    rng = np.random.RandomState(0)
    dna = data.random_orf(rng, 10, ["GGG"], ["TAG"])
    assert dna == "ATG" + "GGG" * 8 + "TAG"
    assert data.split_codons(dna + "A")[-1] == "TAG"
    assert data.codon_accuracy("MGGX", "MGGG") == 0.75
