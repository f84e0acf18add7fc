"""Progress and messages of a long loop, on a terminal and off it.

On a terminal (stdout and stderr both terminals, or TQDM_FORCE=1) a tqdm bar on stderr shows the step, the
rate, the ETA and the latest metrics; messages are written through the bar (`tqdm.write`), so they never run
into it. Off a terminal (Docker without -t, nohup, `| tee`, a batch scheduler) there is no bar: one plain,
timestamped line goes to stdout every TF1_PROGRESS_SECONDS seconds (default 30; 0 = every step), plus one
at the end, so the log shows that the run is alive, how far it is and how fast it goes:

    2026-12-07 05:40:12  tf1_dna train  epoch 120/1000 (12%)  35.2 epoch/s  ETA 0:00:25  loss/train=1.2e-03
"""
import datetime
import os
import sys
import time

ENV_SECONDS = "TF1_PROGRESS_SECONDS"
DEFAULT_SECONDS = 30.0


def interactive():
    """True when a bar makes sense: both streams are terminals, or TQDM_FORCE=1 asks for one."""
    if os.environ.get("TQDM_FORCE") == "1":
        return True
    return _isatty(sys.stdout) and _isatty(sys.stderr)


def _isatty(stream):
    try:
        return stream is not None and stream.isatty()
    except (ValueError, AttributeError):  # a closed or replaced stream
        return False


def interval_seconds():
    """Seconds between plain progress lines (TF1_PROGRESS_SECONDS; a bad value falls back to the default)."""
    try:
        value = float(os.environ.get(ENV_SECONDS, DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS
    return value if value >= 0 and value == value and value != float("inf") else DEFAULT_SECONDS


def _clock(seconds):
    seconds = int(round(seconds))
    return "%d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def _number(value):
    if isinstance(value, float):
        return "%.4g" % value
    return str(value)


def write(message, stream=None):
    """A message line that does not run into a bar (safe on a closed or broken stream)."""
    stream = stream or sys.stdout
    try:
        import tqdm
        tqdm.tqdm.write(message, file=stream)
        stream.flush()
    except (OSError, ValueError):  # EPIPE / closed: a message is not worth failing a finished job
        pass


class Progress(object):
    """Progress of steps `initial+1 .. total` of one loop.

    Args:
      total: the last step.
      initial: the step the loop starts after (a resumed run).
      desc: what runs ("tf1_dna train").
      unit: what one step is ("step", "epoch").
      bar: None = decide by the terminal (see `interactive`), True / False to force.
    """

    def __init__(self, total, initial=0, desc="", unit="step", bar=None, stream=None, seconds=None):
        self.total = int(total)
        self.done = int(initial)
        self.initial = int(initial)
        self.desc = desc
        self.unit = unit
        self.metrics = {}
        self.stream = stream or sys.stdout
        self.seconds = interval_seconds() if seconds is None else seconds
        self._t0 = time.time()
        self._last_line = self._t0
        self._last_line_done = self.initial
        self._bar = None
        if interactive() if bar is None else bar:
            import tqdm
            self._bar = tqdm.tqdm(total=self.total, initial=self.initial, desc=desc, unit=unit, dynamic_ncols=True,
                                  file=sys.stderr)

    @property
    def has_bar(self):
        """True while a terminal bar is drawn (messages must then go through `write`)."""
        return self._bar is not None

    def update(self, n=1):
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif time.time() - self._last_line >= self.seconds:
            self.line()

    def set_metrics(self, **metrics):
        """The latest key numbers, shown beside the bar and in the plain lines."""
        self.metrics.update(metrics)
        if self._bar is not None:
            self._bar.set_postfix({k: _number(v) for k, v in self.metrics.items()}, refresh=False)

    set_postfix = set_metrics  # the tqdm spelling

    def line(self):
        """Writes one plain progress line now (off a terminal)."""
        now = time.time()
        self._last_line, self._last_line_done = now, self.done
        elapsed = now - self._t0
        ran = self.done - self.initial
        rate = ran / elapsed if elapsed > 0 and ran > 0 else None
        parts = [datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"), self.desc,
                 "%s %d/%d (%d%%)" % (self.unit, self.done, self.total, 100 * self.done // max(self.total, 1))]
        if rate:
            parts.append("%.3g %s/s" % (rate, self.unit))
            parts.append("ETA %s" % _clock((self.total - self.done) / rate))
        parts.append("  ".join("%s=%s" % (k, _number(v)) for k, v in sorted(self.metrics.items())))
        write("  ".join(p for p in parts if p), self.stream)

    def write(self, message):
        write(message, self.stream)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.done > self._last_line_done:  # the end, unless its line was just written
            self.line()
