"""Training data for the dates model: one example per condition combination, split by whole combinations.

data.txt has one line per valid date, so a combination with 37 dates appears 37 times and one of
`[False] [220]` only 4-5 times. We group the lines by their four conditions and train on the
*empirical distribution of each group*: the joint (day, last year digit) target is the uniform
distribution over the group's dates. The cross-entropy against that soft target equals the average
negative log-likelihood of the group's lines, so this is maximum likelihood on data.txt with every
combination weighted equally -- which is also how we handle the imbalance (rare leap/[220] groups
count as much as the common ones).
"""
import collections
import os
from typing import Dict, List, NamedTuple, Sequence

import numpy as np

from common import errors, files
from tf1_dates import calendar_facts, score, text_format, tokenizer

Split = NamedTuple("Split", [
    ("combos", List[tuple]),     # (weekday, month 1-12, leap, decade) per example
    ("inputs", np.ndarray),      # int32 (N, 6) condition ids
    ("dy_target", np.ndarray),   # float32 (N, 310) uniform over the valid (day, digit) pairs
    ("tokens", np.ndarray),      # int32 (N, 3) month, century, decade-digit token ids
    ("num_dates", np.ndarray)])  # int32 (N,) valid dates of each combination


class DataError(errors.UserError):
    """data.txt is missing, empty or a line is bad (message names file, line and reason)."""


def read_data(path: str, trust_generated: bool = True) -> Dict[tuple, List[tuple]]:
    """Reads data.txt and groups it: combo -> list of (day, month, year). Validates every line.

    A file byte-for-byte equal to what `datagen` writes is valid by construction; with `trust_generated`
    its groups come from `calendar_facts` (same order, ~4x faster than checking 146k lines one by one).
    """
    if trust_generated and _is_generated(path):
        return calendar_facts.valid_dates_by_combo()
    groups = collections.OrderedDict()  # type: Dict[tuple, List[tuple]]
    try:
        for number, line in text_format.iter_lines(path):
            result = score.check_line(line)
            if not result.all_four:
                raise DataError("%s:%d: %r: not a valid data line (`[DAY] [MON] [True|False] [ddd] d-m-yyyy` "
                                "meeting its four conditions)" % (path, number, line[:200]))
            groups.setdefault(result.combo, []).append(result.date)
    except files.InputError as err:
        if not os.path.exists(path):
            raise DataError("%s; run `python -m tf1_dates.datagen` first" % err)
        raise DataError(str(err))
    if not groups:
        raise DataError("%s holds no data lines" % path)
    return groups


def _is_generated(path: str) -> bool:
    from tf1_dates import datagen  # pylint: disable=import-outside-toplevel  (datagen is a CLI module)
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > 16 << 20:  # the generated file is 5.2 MB
            return False
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return False
    return raw == "\n".join(datagen.data_lines()).encode("utf-8")


def make_split(groups: Dict[tuple, List[tuple]], combos: Sequence[tuple]) -> Split:
    """Builds the arrays for the given combinations."""
    n = len(combos)
    inputs = np.zeros((n, len(tokenizer.INPUT_SIZES)), np.int32)
    dy_target = np.zeros((n, tokenizer.OUTPUT_SIZES["dy"]), np.float32)
    tokens = np.zeros((n, 3), np.int32)
    num_dates = np.zeros((n,), np.int32)
    for i, combo in enumerate(combos):
        weekday, month, leap, decade = combo
        inputs[i] = tokenizer.encode_conditions(tokenizer.decode_conditions(
            [weekday, month - 1, int(leap), decade - 180]))
        dates = groups[combo]
        for day, mon, year in dates:
            ids = tokenizer.encode_date(day, mon, year)
            dy_target[i, ids[0]] += 1.0 / len(dates)
            tokens[i] = ids[1:]  # identical for every date of the group
        num_dates[i] = len(dates)
    return Split(list(combos), inputs, dy_target, tokens, num_dates)


def split_combos(groups: Dict[tuple, List[tuple]], val_frac: float, test_frac: float,
                 seed: int) -> Dict[str, List[tuple]]:
    """Holds out whole combinations for validation and test, stratified by (leap, decade 220).

    Stratifying keeps the rare strata (leap combos; the 4-5-date `[False] [220]` combos) represented
    in every split instead of leaving it to chance.
    """
    rng = np.random.RandomState(seed)
    strata = collections.defaultdict(list)
    for combo in groups:
        strata[(combo[2], combo[3] == 220)].append(combo)
    out = {"train": [], "val": [], "test": []}  # type: Dict[str, List[tuple]]
    for key in sorted(strata):
        members = strata[key]
        order = rng.permutation(len(members))
        n_val = int(round(val_frac * len(members)))
        n_test = int(round(test_frac * len(members)))
        out["val"] += [members[i] for i in order[:n_val]]
        out["test"] += [members[i] for i in order[n_val:n_val + n_test]]
        out["train"] += [members[i] for i in order[n_val + n_test:]]
    return out


def load_splits(path: str, val_frac: float, test_frac: float, seed: int) -> Dict[str, Split]:
    """data.txt -> {'train', 'val', 'test'} Splits (val/test may be empty)."""
    groups = read_data(path)
    return {name: make_split(groups, combos)
            for name, combos in split_combos(groups, val_frac, test_frac, seed).items()}
