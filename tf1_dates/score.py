"""Scores generated dates: per-condition pass rates, all-four rate, malformed/invalid counts, diversity.

    python -m tf1_dates.score PREDICTIONS [--input INPUT] [--json OUT.json]

This is our counterpart of the challenge's `repo/model/eval.py` ("functions to evaluate your output"),
named `score` because it scores a file of predictions (and because a module named `eval` shadows the
builtin, which every importer had to alias). Unlike the challenge's eval.py, it never crashes on a bad
line (a malformed line fails every check) and a date outside 1-1-1800 .. 31-12-2200 fails the decade
check and the all-four check. Lines are read as `text_format` says (BOM, `\\n`/`\\r\\n` only).

Diversity, for condition combinations asked more than once:
    sum over those combos of |distinct dates that pass all four| / sum of min(times asked, dates that exist).
"""
import collections
import re
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence

from common import cli, config, files
from tf1_dates import calendar_facts, text_format

CONDITIONS = ("weekday", "month", "leap", "decade")
_WEEKDAY_IDS = {"[%s]" % name: i for i, name in enumerate(calendar_facts.WEEKDAYS)}
_MONTH_IDS = {"[%s]" % name: i + 1 for i, name in enumerate(calendar_facts.MONTHS)}
_LEAP_IDS = {"[True]": True, "[False]": False}
_DECADE_IDS = {"[%d]" % d: d for d in calendar_facts.DECADES}
_DATE_RE = re.compile(r"^([1-9][0-9]?)-([1-9][0-9]?)-([0-9]{4})$")  # d-m-yyyy, no zero padding

LineResult = NamedTuple("LineResult", [
    ("combo", Optional[tuple]),       # parsed conditions, None if malformed
    ("date", Optional[tuple]),        # (day, month, year) if a real calendar date, else None
    ("malformed", bool),              # conditions or date text unparseable
    ("invalid_date", bool),           # well-formed text but not a real date (e.g. 30-2-1900)
    ("out_of_range", bool),           # a real date outside 1800..2200
    ("passes", Dict[str, bool]),      # per condition
    ("all_four", bool)])


def parse_conditions(tokens: Sequence[str]) -> tuple:
    """Four condition tokens -> (weekday 0-6, month 1-12, leap, decade); raises ValueError naming the bad token."""
    if len(tokens) != 4:
        raise ValueError("expected 4 condition tokens, got %d" % len(tokens))
    tables = (_WEEKDAY_IDS, _MONTH_IDS, _LEAP_IDS, _DECADE_IDS)
    out = []
    for name, table, token in zip(CONDITIONS, tables, tokens):
        if token not in table:
            raise ValueError("bad %s token %r" % (name, token))
        out.append(table[token])
    return tuple(out)


def parse_date(text: str) -> tuple:
    """'d-m-yyyy' -> (day, month, year) ints; raises ValueError if the text is not in that format."""
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError("date %r is not d-m-yyyy" % text)
    return tuple(int(g) for g in match.groups())


def check_line(line: str) -> LineResult:
    """Checks one output line `[DAY] [MON] [True|False] [ddd] d-m-yyyy`; never raises."""
    fail = {name: False for name in CONDITIONS}
    try:
        fields = text_format.fields(line)
        if len(fields) != 5:
            raise ValueError("expected 5 fields")
        combo = parse_conditions(fields[:4])
        day, month, year = parse_date(fields[4])
    except ValueError:
        return LineResult(None, None, True, False, False, fail, False)
    try:
        real = calendar_facts.conditions_of(day, month, year)
    except ValueError:  # e.g. 31-4-1900, 29-2-1900, month 13
        return LineResult(combo, None, False, True, False, fail, False)
    in_range = calendar_facts.FIRST_YEAR <= year <= calendar_facts.LAST_YEAR
    passes = {name: bool(asked == got) for name, asked, got in zip(CONDITIONS, combo, real)}
    passes["decade"] = passes["decade"] and in_range
    return LineResult(combo, (day, month, year), False, False, not in_range, passes,
                      all(passes.values()) and in_range)


def diversity(results: Sequence[LineResult], counts: Dict[tuple, int]) -> Dict[str, float]:
    """Diversity over combos asked more than once (see module docstring); also the macro average."""
    asked = collections.Counter(r.combo for r in results if r.combo is not None)
    good = collections.defaultdict(set)
    for r in results:
        if r.all_four:
            good[r.combo].add(r.date)
    num, den, ratios = 0, 0, []
    for combo, times in asked.items():
        exist = counts.get(combo, 0)
        if times < 2 or exist == 0:
            continue
        cap = min(times, exist)
        num += len(good[combo])
        den += cap
        ratios.append(len(good[combo]) / cap)
    return {"diversity": num / den if den else float("nan"),
            "diversity_macro": sum(ratios) / len(ratios) if ratios else float("nan"),
            "diversity_combos": len(ratios)}


def score_lines(lines: Sequence[str], counts: Optional[Dict[tuple, int]] = None,
                inputs: Optional[Sequence[str]] = None) -> Dict[str, float]:
    """Aggregate scores of output lines.

    Args:
      lines: output lines.
      counts: combo -> number of valid dates (from `calendar_facts.valid_dates_by_combo`); computed if None.
      inputs: optional input lines; an output whose conditions differ from its input line fails everything.

    Returns:
      dict with n, per-condition rates (`weekday`, ...), `all_four`, `malformed`, `invalid_date`,
      `out_of_range`, `mismatched_input`, `unsatisfiable` (lines asking an impossible combo), diversity.
    """
    if counts is None:
        counts = {c: len(v) for c, v in calendar_facts.valid_dates_by_combo().items()}
    results = [check_line(line) for line in lines]
    mismatched = 0
    if inputs is not None:
        if len(inputs) != len(lines):
            raise ValueError("%d input lines but %d output lines" % (len(inputs), len(lines)))
        for i, (inp, res) in enumerate(zip(inputs, results)):
            if res.malformed or _fields_or_none(inp) != text_format.fields(lines[i])[:4]:
                if not res.malformed:
                    mismatched += 1
                results[i] = LineResult(None, None, res.malformed, False, False,
                                        {name: False for name in CONDITIONS}, False)
    n = len(results)
    out = {"n": n}  # type: Dict[str, float]
    for name in CONDITIONS:
        out[name] = sum(r.passes[name] for r in results) / n if n else float("nan")
    out["all_four"] = sum(r.all_four for r in results) / n if n else float("nan")
    out["malformed"] = sum(r.malformed for r in results)
    out["invalid_date"] = sum(r.invalid_date for r in results)
    out["out_of_range"] = sum(r.out_of_range for r in results)
    out["mismatched_input"] = mismatched
    out["unsatisfiable"] = sum(1 for r in results if r.combo is not None and counts.get(r.combo, 0) == 0)
    out.update(diversity(results, counts))
    return out


def _fields_or_none(line: str) -> Optional[List[str]]:
    try:
        return text_format.fields(line)
    except ValueError:
        return None


def read_lines(path: str) -> List[str]:
    """Lines of a text file without line ends (`text_format.read_lines`: BOM dropped, only \\n / \\r\\n end lines)."""
    return text_format.read_lines(path)


def format_scores(scores: Dict[str, float]) -> str:
    keys = ["n"] + list(CONDITIONS) + ["all_four", "diversity", "diversity_macro", "diversity_combos",
                                       "malformed", "invalid_date", "out_of_range", "mismatched_input",
                                       "unsatisfiable"]
    rows = []
    for key in keys:
        value = scores[key]
        rows.append("%s=%s" % (key, ("%.4f" % value) if isinstance(value, float) else value))
    return "\n".join(rows)


@cli.entry_point
def main(argv: Optional[List[str]] = None) -> int:
    parser = config.arg_parser(description="Score a file of generated dates (data.txt format).")
    parser.add_argument("predictions", help="output file: `[DAY] [MON] [True|False] [ddd] d-m-yyyy` lines")
    parser.add_argument("--input", default=None, help="the input file; each output must repeat its conditions")
    parser.add_argument("--json", default=None, help="also write the scores to this JSON file")
    args = parser.parse_args(argv)
    if args.json:
        files.check_output(args.json, [p for p in (args.predictions, args.input) if p])
    lines = read_lines(args.predictions)
    if not lines:
        raise files.InputError("%s holds no lines: nothing to score" % args.predictions)
    inputs = read_lines(args.input) if args.input else None
    try:
        scores = score_lines(lines, inputs=inputs)
    except ValueError as err:  # line counts differ
        raise files.InputError("%s vs %s: %s" % (args.predictions, args.input, err))
    print(format_scores(scores))
    if args.json:
        files.write_json(args.json, files.json_value(scores))  # an undefined rate (no lines) is null
    return 0


if __name__ == "__main__":
    sys.exit(main())
