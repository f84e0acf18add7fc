"""Entry points: one contract for every command, `main(argv) -> int`.

Exit codes: 0 done, 2 bad input or configuration (a `UserError`: the message names the file, line or key and
the reason, no traceback), 3 training diverged (a non-finite loss: no metrics, the last checkpoint kept),
130 stopped by Ctrl-C or SIGTERM (a checkpoint is kept; the same command resumes).
Anything else is a bug and keeps its traceback.
"""
import functools
import sys

from common import errors

OK, BAD_INPUT, DIVERGED, STOPPED = 0, 2, 3, 130


def entry_point(main):
    """Decorator for `main(argv=None) -> int`: UserError -> message + 2, Ctrl-C outside a run's loop -> 130."""
    @functools.wraps(main)
    def wrapper(argv=None, **kwargs):
        try:
            return main(argv, **kwargs)
        except errors.UserError as err:
            sys.stderr.write("error: %s\n" % err)
            return BAD_INPUT
        except errors.DivergedError as err:
            sys.stderr.write("error: %s\n" % err)
            return DIVERGED
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted\n")
            return STOPPED
    return wrapper


def done_or_stopped(result):
    """The exit code of a training function's result: None means it stopped early (130), else 0."""
    return STOPPED if result is None else OK


def run_trainer(trainer, argv, train):
    """The body of every training CLI: parse `trainer.schema`, `train(trainer, cfg)`, exit code."""
    @entry_point
    def main(argv=None):
        cfg = trainer.schema.parse(argv, description=trainer.description)
        return done_or_stopped(train(trainer, cfg))
    return main(argv)
