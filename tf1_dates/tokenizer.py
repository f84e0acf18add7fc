"""A custom tokenizer for the dates task: four condition tokens in, four date tokens out.

Input side: `[WED] [JAN] [False] [180]` -> six integer features
    (weekday 0-6, month 0-11, leap 0/1, decade 0-40, century 0-4, decade digit 0-9).
The decade appears twice: as one token (what the data says) and as its digits, so the network can
share what it learns about "the 1900s" or "decades ending in 4" across decades.

Output side: a date `d-m-yyyy` is four tokens, in the order the model generates them:
    DY      day of month x last year digit, one joint token of 31*10 = 310 values. These are the only two
            parts of the date the conditions leave open; choosing them jointly lets the model express
            "uniform over the valid (day, year) pairs" exactly (a day-then-digit factorisation would
            need the two choices to coordinate through the weekday arithmetic).
    MONTH   1-12 (12 values)
    CENTURY the year's first two digits 18-22 (5 values)
    DECADE  the year's third digit (10 values)
`decode_date` only concatenates these tokens into text; it never consults a calendar.
"""
from typing import List, Sequence, Tuple

import numpy as np

from tf1_dates import calendar_facts, text_format

WEEKDAY_TOKENS = ["[%s]" % w for w in calendar_facts.WEEKDAYS]
MONTH_TOKENS = ["[%s]" % m for m in calendar_facts.MONTHS]
LEAP_TOKENS = ["[False]", "[True]"]
DECADE_TOKENS = ["[%d]" % d for d in calendar_facts.DECADES]
CENTURIES = (18, 19, 20, 21, 22)

NUM_DAYS = 31
NUM_DIGITS = 10
# Sizes of the six input features and of the four output tokens.
INPUT_SIZES = (7, 12, 2, len(DECADE_TOKENS), len(CENTURIES), 10)
OUTPUT_SIZES = {"dy": NUM_DAYS * NUM_DIGITS, "month": 12, "century": len(CENTURIES), "decade": 10}

_INDEX = [{tok: i for i, tok in enumerate(table)}
          for table in (WEEKDAY_TOKENS, MONTH_TOKENS, LEAP_TOKENS, DECADE_TOKENS)]
_NAMES = ("weekday", "month", "leap year", "decade")


class TokenizerError(ValueError):
    """A condition line that is not four known tokens."""


def encode_conditions(tokens: Sequence[str]) -> Tuple[int, int, int, int, int, int]:
    """Four condition tokens -> six input ids; raises TokenizerError naming the bad token."""
    if len(tokens) != 4:
        raise TokenizerError("expected 4 condition tokens like '[WED] [JAN] [False] [180]', got %d"
                             % len(tokens))
    ids = []
    for name, index, token in zip(_NAMES, _INDEX, tokens):
        if token not in index:
            raise TokenizerError("unknown %s token %r" % (name, token))
        ids.append(index[token])
    decade = calendar_facts.DECADES[ids[3]]  # e.g. 196
    return ids[0], ids[1], ids[2], ids[3], decade // 10 - CENTURIES[0], decade % 10


def encode_lines(lines: Sequence[str]) -> np.ndarray:
    """Condition lines (extra fields after the fourth are ignored) -> int32 (N, 6)."""
    out = np.zeros((len(lines), len(INPUT_SIZES)), np.int32)
    for i, line in enumerate(lines):
        out[i] = encode_conditions(text_format.fields(line)[:4])
    return out


def decode_conditions(ids: Sequence[int]) -> List[str]:
    """Inverse of `encode_conditions` (uses the first four ids)."""
    tables = (WEEKDAY_TOKENS, MONTH_TOKENS, LEAP_TOKENS, DECADE_TOKENS)
    return [table[int(i)] for table, i in zip(tables, ids[:4])]


def encode_date(day: int, month: int, year: int) -> Tuple[int, int, int, int]:
    """(day, month, year) -> (dy, month, century, decade-digit) token ids."""
    century, rest = divmod(year, 100)
    return (day - 1) * NUM_DIGITS + year % 10, month - 1, century - CENTURIES[0], rest // 10


def decode_date(dy: int, month: int, century: int, decade: int) -> str:
    """Four date token ids -> 'd-m-yyyy' text (string assembly only)."""
    day, digit = divmod(int(dy), NUM_DIGITS)
    return "%d-%d-%d%d%d" % (day + 1, int(month) + 1, CENTURIES[int(century)], int(decade), digit)


def decode_dates(tokens: np.ndarray) -> List[str]:
    """int (N, 4) date tokens -> N date strings, vectorised for fast prediction."""
    tokens = np.asarray(tokens)
    day = tokens[:, 0] // NUM_DIGITS + 1
    digit = tokens[:, 0] % NUM_DIGITS
    year = (np.asarray(CENTURIES)[tokens[:, 2]] * 100 + tokens[:, 3] * 10 + digit)
    return ["%d-%d-%d" % t for t in zip(day.tolist(), (tokens[:, 1] + 1).tolist(), year.tolist())]
