"""Writes the challenge's `data.txt` and `example_input.txt` (idempotent, ~1 s).

    python -m tf1_dates.datagen                 # -> data/dates/data.txt, data/dates/example_input.txt
    python -m tf1_dates.datagen --out-dir DIR

data.txt lists every valid date 1-1-1800 .. 31-12-2200 once (146,462 lines), day of month outermost,
then month, then year; each line is `[DAY] [MON] [True|False] [ddd] d-m-yyyy`; no trailing newline.
example_input.txt is every 100th line (`lines[::100]`) with the date removed.
"""
import os
import sys
from typing import List

from common import cli, config, files
from tf1_dates import calendar_facts

DEFAULT_DIR = os.path.join("data", "dates")
SCHEMA = config.Schema([
    config.Key("out_dir", DEFAULT_DIR, "directory for data.txt and example_input.txt (created if missing)"),
])
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


def _holds(path: str, text: str) -> bool:
    """True if `path` is a regular file holding exactly `text` (never opens a FIFO or device)."""
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read() == text


def generate(out_dir: str = DEFAULT_DIR) -> List[str]:
    """Writes data.txt and example_input.txt into `out_dir` (created if missing); returns the two paths.

    Idempotent: a file that already holds the right text is left alone (so a read-only copy is fine).

    Raises:
      files.OutputError: `out_dir` is a file, or an output in it cannot be written without losing data
        (checked for both files before either is written).
    """
    lines = data_lines()
    if len(lines) != NUM_LINES:  # a guard against an edited range or loop order
        raise RuntimeError("expected %d lines, generated %d" % (NUM_LINES, len(lines)))
    if os.path.lexists(out_dir) and not os.path.isdir(out_dir):
        raise files.OutputError("--out-dir %s exists and is not a directory" % out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as err:
        raise files.OutputError("cannot create --out-dir %s: %s" % (out_dir, err.strerror or err))
    paths = [os.path.join(out_dir, "data.txt"), os.path.join(out_dir, "example_input.txt")]
    texts = ["\n".join(lines), "\n".join(example_lines(lines))]  # no trailing newline, like the original
    todo = [(files.check_output(path), text) for path, text in zip(paths, texts) if not _holds(path, text)]
    for target, text in todo:
        files.write_text(target, text)
    return paths


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description="Write data.txt (every date 1800-2200 with its four conditions) and "
                                         "example_input.txt.")
    for path in generate(cfg.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
