"""The one exception family a command-line user sees as a message (exit code 2), never as a traceback."""


class UserError(ValueError):
    """Bad input, configuration or output path that the user can fix.

    Entry points catch it (`common.cli.entry_point`), print `error: <message>` and exit 2. The message names
    the file, line or key and the reason, so it needs no traceback. Anything else is a bug and stays loud.
    """


class DataError(UserError):
    """A data file cannot be used: the message names the file (and line or record) and the fault."""


class DivergedError(Exception):
    """Training produced a non-finite loss or metric: the run failed (exit 3), no metrics are written."""
