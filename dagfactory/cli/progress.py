"""A progress line for long runs on a terminal: ``checking 4,100/10,000 specs, 820/s, 7s left``
(the rate and time left once half a second has passed).

One line on stderr, redrawn in place with ``\\r`` at most every :data:`EVERY` seconds and
cleared when the run ends, so nothing of it stays on the screen or in a log. Shown only
when stderr is a terminal and the report is ``--format text`` without ``-q``: JSON and
GitHub output, pipes, files and CI logs never carry it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

EVERY = 0.1  # seconds between redraws
SETTLE = 0.5  # seconds before a rate and a time left are shown


def wanted(fmt: str, quiet: bool, stream: TextIO | None = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    try:
        return fmt == "text" and not quiet and stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced by something that is no file
        return False


class Progress:
    """Counts specs done out of ``total``; ``stage`` names the work (checking, rendering). With
    several ``stages``, the step after the last spec of one stage is the first of the next."""

    def __init__(
        self, total: int, enabled: bool, stream: TextIO | None = None, stages: tuple[str, ...] = ("checking",)
    ):
        self.total = total
        self.enabled = enabled and total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.stages = list(stages[1:])  # those still to come
        self.stage = stages[0]
        self.count = 0
        self.width = 0  # of the line on screen now: what clear() blanks
        self.started = time.monotonic()
        self.drawn = 0.0

    def begin(self, stage: str) -> None:
        self.stage, self.count, self.started, self.drawn = stage, 0, time.monotonic(), 0.0

    def step(self, *_: object) -> None:
        """One more spec done (takes and ignores the stage's per-spec result)."""
        if self.count >= self.total and self.stages:
            self.begin(self.stages.pop(0))
        self.count += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if self.drawn and now - self.drawn < EVERY and self.count < self.total:
            return
        self.drawn = now
        line = f"{self.stage} {self.count:,}/{self.total:,} specs"
        elapsed = now - self.started
        if elapsed >= SETTLE:  # a rate from the first instants would be noise
            rate = self.count / elapsed
            line += f", {rate:,.0f}/s, {_duration((self.total - self.count) / rate)} left"
        self._write("\r" + line.ljust(self.width))
        self.width = len(line)

    def clear(self) -> None:
        """Blank the line (before the report is printed, and at the end)."""
        if self.enabled and self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: the run goes on without it
            self.enabled = False


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
