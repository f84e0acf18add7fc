"""The vocabulary of the dates task and the calendar facts used to build and score the data.

This module is the *ground truth* side of the task: the data generator, the evaluator and the tests
use it. The model, the sampler and `predict.py` never call it to choose or repair an output.
"""
import datetime
from typing import Dict, List, Tuple

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # datetime.weekday() order
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
FIRST_YEAR = 1800
LAST_YEAR = 2200
DECADES = tuple(range(FIRST_YEAR // 10, LAST_YEAR // 10 + 1))  # 180 .. 220 (41 decades)

# A condition combination: (weekday 0-6, month 1-12, leap bool, decade 180-220).
Combo = Tuple[int, int, bool, int]


def is_leap(year: int) -> bool:
    """Gregorian leap year rule (the seed's definition)."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def conditions_of(day: int, month: int, year: int) -> Combo:
    """The four conditions a real date satisfies; raises ValueError for an impossible date."""
    weekday = datetime.date(year, month, day).weekday()
    return weekday, month, is_leap(year), year // 10


def condition_tokens(combo: Combo) -> List[str]:
    """(weekday, month, leap, decade) -> ['[MON]', '[JAN]', '[False]', '[180]']."""
    weekday, month, leap, decade = combo
    return ["[%s]" % WEEKDAYS[weekday], "[%s]" % MONTHS[month - 1], "[%s]" % (leap,), "[%d]" % decade]


def format_date(day: int, month: int, year: int) -> str:
    """data.txt's date format: no zero padding, d-m-yyyy."""
    return "%d-%d-%d" % (day, month, year)


def all_dates() -> List[Tuple[int, int, int]]:
    """Every valid (day, month, year) in 1800..2200, in data.txt's order.

    The original generator loops day of month outermost, then month, then year, skipping impossible
    dates; that order is what makes `lines[::100]` (example_input.txt) a specific, reproducible set.
    """
    out = []
    for day in range(1, 32):
        for month in range(1, 13):
            for year in range(FIRST_YEAR, LAST_YEAR + 1):
                if day <= days_in_month(year, month):
                    out.append((day, month, year))
    return out


def valid_dates_by_combo() -> Dict[Combo, List[Tuple[int, int, int]]]:
    """Maps each satisfiable combination to its valid (day, month, year) dates."""
    table = {}  # type: Dict[Combo, List[Tuple[int, int, int]]]
    for day, month, year in all_dates():
        table.setdefault(conditions_of(day, month, year), []).append((day, month, year))
    return table


def all_combos() -> List[Combo]:
    """All 7*12*2*41 = 6,888 combinations, satisfiable or not, in a fixed order."""
    return [(w, m, leap, d) for d in DECADES for leap in (False, True) for m in range(1, 13) for w in range(7)]
