"""Data generator and evaluator: exact format, ordering, combination facts, robust scoring."""
import os
import random

import pytest

from tf1_dates import calendar_facts, datagen, score


@pytest.fixture(scope="module")
def lines():
    return datagen.data_lines()


@pytest.fixture(scope="module")
def counts():
    return {c: len(v) for c, v in calendar_facts.valid_dates_by_combo().items()}


def test_data_lines_count_and_order(lines):
    assert len(lines) == 146462
    assert lines[:3] == ["[WED] [JAN] [False] [180] 1-1-1800", "[THU] [JAN] [False] [180] 1-1-1801",
                         "[FRI] [JAN] [False] [180] 1-1-1802"]
    assert lines[401] == "[SAT] [FEB] [False] [180] 1-2-1800"  # month changes after 401 years
    assert lines[-1] == "[WED] [DEC] [False] [220] 31-12-2200"
    assert len(set(lines)) == len(lines)


def test_known_examples_from_seed(lines):
    for line in ("[MON] [DEC] [False] [196] 3-12-1962", "[THU] [DEC] [True] [204] 3-12-2048",
                 "[WED] [JAN] [False] [181] 10-1-1810"):
        assert line in lines


def test_leap_rule_matches_gregorian(lines):
    assert not calendar_facts.is_leap(1900) and calendar_facts.is_leap(2000)
    assert not calendar_facts.is_leap(2200) and calendar_facts.is_leap(2196)
    assert "[TUE] [FEB] [True] [200] 29-2-2000" in lines
    assert not any(line.endswith(" 29-2-1900") for line in lines)


def test_combination_facts(counts):
    assert len(counts) == 6804
    missing = [c for c in calendar_facts.all_combos() if c not in counts]
    assert len(missing) == 84 and {(c[2], c[3]) for c in missing} == {(True, 220)}
    assert min(counts.values()) == 4 and max(counts.values()) == 37
    assert {n for c, n in counts.items() if c[2] is False and c[3] == 220} == {4, 5}


def test_files_written_idempotently(tmp_path):
    data, example = datagen.generate(str(tmp_path))
    raw = open(data, "rb").read()
    assert not raw.endswith(b"\n") and raw.count(b"\n") == 146461
    ex = open(example, encoding="utf-8").read().split("\n")
    assert len(ex) == 1465 and ex[0] == "[WED] [JAN] [False] [180]"
    full = raw.decode().split("\n")
    assert all(e == " ".join(f.split()[:4]) for e, f in zip(ex, full[::100]))
    mtime = os.path.getmtime(data)
    datagen.generate(str(tmp_path))
    assert os.path.getmtime(data) == mtime  # unchanged content is not rewritten


def test_check_line_passes_and_failures():
    ok = score.check_line("[MON] [DEC] [False] [196] 3-12-1962")
    assert ok.all_four and not ok.malformed
    wrong_day = score.check_line("[TUE] [DEC] [False] [196] 3-12-1962")
    assert not wrong_day.all_four and wrong_day.passes == {"weekday": False, "month": True, "leap": True,
                                                           "decade": True}
    assert score.check_line("[TUE] [DEC] [True] [196] 3-12-1962").passes["leap"] is False


@pytest.mark.parametrize("line", ["", "garbage", "[MON] [DEC] [False] [196]", "[MON] [DEC] [False] [196] x",
                                  "[MON] [DEC] [False] [196] 03-12-1962", "[XYZ] [DEC] [False] [196] 3-12-1962",
                                  "[MON] [DEC] [false] [196] 3-12-1962", "[MON] [DEC] [False] [179] 3-12-1962",
                                  "[MON] [DEC] [False] [196] 3-12-1962 extra", "[MON] [DEC] [False] [196] 3/12/1962"])
def test_malformed_lines_never_crash(line):
    res = score.check_line(line)
    assert res.malformed and not res.all_four and not any(res.passes.values())


def test_invalid_and_out_of_range_dates():
    bad = score.check_line("[MON] [FEB] [False] [190] 29-2-1900")
    assert bad.invalid_date and not bad.malformed and not bad.all_four
    assert score.check_line("[MON] [APR] [False] [190] 31-4-1901").invalid_date
    assert score.check_line("[MON] [APR] [False] [190] 1-13-1901").invalid_date
    # 3-1-2201 is a Thursday in a non-leap year of decade 220, but outside the data range.
    late = score.check_line("[THU] [JAN] [False] [220] 3-1-2201")
    assert late.out_of_range and not late.passes["decade"] and not late.all_four
    early = score.check_line("[TUE] [DEC] [False] [179] 31-12-1799")
    assert early.malformed  # [179] is not a condition token of this task


def test_score_lines_rates_and_diversity(counts):
    combo_lines = ["[MON] [DEC] [False] [196] 3-12-1962"] * 3 + ["[MON] [DEC] [False] [196] 10-12-1962",
                                                                 "[MON] [DEC] [False] [196] junk"]
    scores = score.score_lines(combo_lines, counts)
    assert scores["n"] == 5 and scores["all_four"] == pytest.approx(4 / 5)
    assert scores["malformed"] == 1
    # the malformed line has no combo, so the combo was asked 4 times with 2 distinct good dates
    assert scores["diversity"] == pytest.approx(2 / min(4, counts[(0, 12, False, 196)]))
    # a combo with only 4 dates asked 6 times and answered with all 4 scores full diversity
    few = [c for c, n in counts.items() if n == 4][0]
    good = calendar_facts.valid_dates_by_combo()[few]
    toks = " ".join(calendar_facts.condition_tokens(few))
    lines = ["%s %s" % (toks, calendar_facts.format_date(*d)) for d in good + good[:2]]
    assert score.score_lines(lines, counts)["diversity"] == pytest.approx(1.0)


def test_uniform_sampler_diversity_near_88_percent(counts):
    table = calendar_facts.valid_dates_by_combo()
    rng = random.Random(0)
    lines = []
    for combo, dates in table.items():
        toks = " ".join(calendar_facts.condition_tokens(combo))
        lines += ["%s %s" % (toks, calendar_facts.format_date(*rng.choice(dates))) for _ in range(5)]
    scores = score.score_lines(lines, counts)
    assert scores["all_four"] == 1.0
    assert 0.85 < scores["diversity"] < 0.91


def test_input_mismatch_fails(counts):
    scores = score.score_lines(["[MON] [DEC] [False] [196] 3-12-1962"], counts,
                                    inputs=["[TUE] [DEC] [False] [196]"])
    assert scores["all_four"] == 0.0 and scores["mismatched_input"] == 1
