"""The data.txt text format: how lines are read and split into fields (shared by predict, score and data).

* A file is UTF-8 text; one leading byte-order mark is dropped.
* Only `\\n` and `\\r\\n` end a line. Any other character that some readers treat as a line break (a lone
  `\\r`, a form feed, `\\x1c`-`\\x1e`, NEL, U+2028/U+2029) is part of its line's text, and since it is no
  field separator either, it makes that line malformed rather than splitting it in two.
* A trailing line end does not add an empty line; an empty line elsewhere is a (malformed) line.
* Fields are separated by runs of spaces or tabs; leading and trailing spaces and tabs are ignored.

`iter_lines` streams a file line by line, so a caller's memory is bounded by what it keeps, not by the file.
"""
import os
import re
from typing import Iterator, List, Tuple

from common import files

_BOM = b"\xef\xbb\xbf"
_SEPARATORS = re.compile(r"[ \t]+")


class LineError(files.InputError):
    """A line that is not in the expected format; the message is `file:line: 'text': reason`."""


def iter_lines(path: str) -> Iterator[Tuple[int, str]]:
    """Yields (line number from 1, text without its line end) of a UTF-8 file.

    Raises:
      files.InputError: the file cannot be opened or read, is a directory, or a line is not UTF-8.
    """
    handle = files.open_input(path)  # a regular file only (no FIFO, no /dev/zero), declared as read
    with handle:
        number = 0
        try:
            for raw in handle:  # binary files split on b"\n" only
                number += 1
                if number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                    if not raw:  # the file is a BOM and nothing else: no lines
                        return
                if raw.endswith(b"\n"):
                    raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise files.InputError("%s:%d: not UTF-8 text (byte %d of the line is 0x%02x)"
                                           % (path, number, err.start + 1, raw[err.start]))
                yield number, text
        except IsADirectoryError:
            raise files.InputError("%s is a directory, not a file" % path)
        except OSError as err:
            raise files.InputError("%s: cannot read: %s" % (path, err.strerror or err))


def check_input(path: str) -> None:
    """Raises the error `iter_lines` would for a missing path or a directory, without opening the file."""
    if os.path.isdir(path):
        raise files.InputError("%s is a directory, not a file" % path)
    if not os.path.exists(path):
        raise files.InputError("%s: cannot read: No such file or directory" % path)


def read_lines(path: str) -> List[str]:
    """All lines of a file (see `iter_lines`), for files that fit in memory (data.txt, scored outputs)."""
    return [text for _, text in iter_lines(path)]


def fields(line: str) -> List[str]:
    """The space- or tab-separated fields of `line`; ValueError if it holds any other unprintable character."""
    if not line.replace("\t", " ").isprintable():  # fast path first: data.txt has 146k lines
        char = next(c for c in line if c not in " \t" and not c.isprintable())
        raise ValueError("character U+%04X inside the line (only spaces and tabs separate fields; only "
                         "\\n or \\r\\n ends a line)" % ord(char))
    stripped = line.strip(" \t")
    return _SEPARATORS.split(stripped) if stripped else []


def line_error(path: str, number: int, text: str, reason: str) -> LineError:
    """The error for a bad line: `file:line: 'text': reason` (the text shown with Python escapes)."""
    shown = text if len(text) <= 200 else text[:200] + "..."
    return LineError("%s:%d: %r: %s" % (path, number, shown, reason))
