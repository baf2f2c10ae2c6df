"""Run commands in subprocesses and summarise repeated timings.

Wall time is ``time.perf_counter`` around the child's whole life (start to reap);
peak memory is the child's own ``ru_maxrss`` from ``os.wait4``, so nothing else
the benchmark does is counted. With ``tree=True`` it is the high-water mark of the
RSS of the child and all its descendants *together* (a process pool's workers
included), sampled every :data:`SAMPLE_EVERY` seconds from ``/proc``, or the
child's ``ru_maxrss`` when that is higher (a peak between two samples).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import threading
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


SAMPLE_EVERY = 0.05  # seconds between two samples of a process tree's RSS
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / (1024 * 1024) if hasattr(os, "sysconf") else 4096 / (1024 * 1024)


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux ``/proc/PID/task/TID/children``); [] once it is gone."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def tree_rss_mib(pid: int) -> float:
    """The resident memory of ``pid`` and all its descendants, summed, in MiB (0 where /proc is not)."""
    pages = 0
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/statm") as handle:
                pages += int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return pages * _PAGE_MIB


class _TreeSampler(threading.Thread):
    """Samples a process tree's summed RSS until stopped; ``peak`` is the highest sample."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.pid))
            self.done.wait(SAMPLE_EVERY)


def run_command(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, tree: bool = False
) -> Run:
    """Run ``cmd`` to completion; raise with its output when it exits non-zero. ``tree``: peak RSS
    of the whole process tree (see the module docstring)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid) if tree else None
        if sampler is not None:
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        if sampler is not None:
            sampler.done.set()
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise CommandFailed(f"{' '.join(cmd)} exited {proc.returncode}\n{stdout[-2000:]}\n{stderr[-4000:]}")
    peak = usage.ru_maxrss / 1024
    return Run(elapsed, max(peak, sampler.peak) if sampler is not None else peak, stdout, stderr)


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
    tree: bool = False,
) -> Measure:
    """A measure that times a whole process.

    ``before`` runs untimed first (e.g. clear the output folder); ``check`` looks at the
    finished run and raises if it did not do the work being timed; ``tree``: peak RSS of
    the process and its descendants together.
    """

    def measure() -> tuple[float, float]:
        if before is not None:
            before()
        result = run_command(cmd, cwd=cwd, env=env, tree=tree)
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
