"""Run commands in subprocesses and summarise repeated timings.

Wall time is ``time.perf_counter`` around the child's whole life (start to reap);
peak memory is the child's own ``ru_maxrss`` from ``os.wait4``, so nothing else
the benchmark does is counted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class CommandFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    stdout: str
    stderr: str


def run_command(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to completion; raise with its output when it exits non-zero."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise CommandFailed(f"{' '.join(cmd)} exited {proc.returncode}\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return Run(elapsed, usage.ru_maxrss / 1024, stdout, stderr)


def last_json_line(text: str) -> dict:
    """The JSON report a helper script prints as its last stdout line (DAG files may print too)."""
    return json.loads(text.strip().splitlines()[-1])


@dataclass
class Series:
    """Repeated measurements of one thing (seconds), with peak RSS per run."""

    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)

    def add(self, seconds: float, rss_mib: float) -> None:
        self.seconds.append(seconds)
        self.rss_mib.append(rss_mib)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def low(self) -> float:
        return min(self.seconds)

    @property
    def high(self) -> float:
        return max(self.seconds)

    @property
    def peak_rss(self) -> float:
        return max(self.rss_mib) if self.rss_mib else 0.0


Measure = Callable[[], tuple[float, float]]  # one run -> (seconds, peak RSS MiB)


def interleaved(measures: dict[str, Measure], runs: int, warmup: int) -> dict[str, Series]:
    """Run every measure once per round, round-robin, so drift hits all of them alike.

    Warm-up rounds run first and are discarded (page cache, .pyc files).
    """
    for _ in range(warmup):
        for measure in measures.values():
            measure()
    series = {name: Series() for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            series[name].add(*measure())
    return series


def command_measure(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
    check: Callable[[Run], None] | None = None,
) -> Measure:
    """A measure that times a whole process.

    ``before`` runs untimed first (e.g. clear the output folder); ``check`` looks at the
    finished run and raises if it did not do the work being timed.
    """

    def measure() -> tuple[float, float]:
        if before is not None:
            before()
        result = run_command(cmd, cwd=cwd, env=env)
        if check is not None:
            check(result)
        return result.seconds, result.peak_rss_mib

    return measure


@dataclass(frozen=True)
class Ratio:
    median: float
    low: float
    high: float


def pairwise(numerator: Series, denominator: Series) -> Ratio:
    """Ratios run by run (run i of one over run i of the other), then their median, min and max."""
    values = [a / b for a, b in zip(numerator.seconds, denominator.seconds, strict=True)]
    return Ratio(statistics.median(values), min(values), max(values))
