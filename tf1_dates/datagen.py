"""Writes the challenge's `data.txt` and `example_input.txt` (idempotent, ~1 s).

    python -m tf1_dates.datagen                 # -> data/dates/data.txt, data/dates/example_input.txt
    python -m tf1_dates.datagen --out-dir DIR

data.txt lists every valid date 1-1-1800 .. 31-12-2200 once (146,462 lines), day of month outermost,
then month, then year; each line is `[DAY] [MON] [True|False] [ddd] d-m-yyyy`; no trailing newline.
example_input.txt is every 100th line (`lines[::100]`) with the date removed.
"""
import argparse
import os
import sys
from typing import List, Optional

if __package__ in (None, ""):  # allow `python tf1_dates/datagen.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import files  # noqa: E402
from tf1_dates import calendar_facts  # noqa: E402

DEFAULT_DIR = os.path.join("data", "dates")
NUM_LINES = 146462
EXAMPLE_STRIDE = 100


def data_lines() -> List[str]:
    """The lines of data.txt, in order."""
    lines = []
    for day, month, year in calendar_facts.all_dates():
        tokens = calendar_facts.condition_tokens(calendar_facts.conditions_of(day, month, year))
        lines.append(" ".join(tokens + [calendar_facts.format_date(day, month, year)]))
    return lines


def example_lines(lines: List[str]) -> List[str]:
    """Every 100th data line with its date (the last field) removed."""
    return [line.rsplit(" ", 1)[0] for line in lines[::EXAMPLE_STRIDE]]


def _write_if_changed(path: str, text: str) -> bool:
    """Writes atomically unless the file already holds exactly `text`; returns True if written."""
    if os.path.exists(path):
        with open(path, encoding="utf-8", newline="") as handle:
            if handle.read() == text:
                return False
    files.write_text(path, text)
    return True


def generate(out_dir: str = DEFAULT_DIR) -> List[str]:
    """Writes data.txt and example_input.txt into `out_dir`; returns the two paths."""
    lines = data_lines()
    if len(lines) != NUM_LINES:  # a guard against an edited range or loop order
        raise RuntimeError("expected %d lines, generated %d" % (NUM_LINES, len(lines)))
    paths = [os.path.join(out_dir, "data.txt"), os.path.join(out_dir, "example_input.txt")]
    _write_if_changed(paths[0], "\n".join(lines))  # no trailing newline, like the original
    _write_if_changed(paths[1], "\n".join(example_lines(lines)))
    return paths


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write data.txt (every date 1800-2200 with its four "
                                                 "conditions) and example_input.txt.")
    parser.add_argument("--out-dir", default=DEFAULT_DIR, help="output directory (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in generate(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
