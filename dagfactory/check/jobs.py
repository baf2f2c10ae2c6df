"""Where per-spec work runs: in this process, or in a pool of worker processes (``--jobs N``).

:func:`run_each` maps a module-level function over a list, in order, and hands each answer
to the caller as it arrives: in this process when ``jobs`` is 1 or there are too few items
to pay for starting workers (:data:`MIN_PER_WORKER` each), else in a
:class:`~concurrent.futures.ProcessPoolExecutor`, items sent in chunks. The workers are
started by a fork server (spawned where there is none), never forked from this process
after it may have started threads, and each imports only the modules it is told to
preload: a pool working for ``validate`` never imports Jinja2 or Airflow.

Answers come back in the order of the items, whatever order the workers finish in, so
what a command prints and writes does not depend on ``jobs``; in this process, they are
pickled and read back too, so they are the same fresh objects either way (and what was made
on the way to them is released whole, not kept alive by a few values shared with them).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import multiprocessing.context

T = TypeVar("T")
R = TypeVar("R")

# Starting the pool (a fork server importing the checks, then its workers) took 0.84 s on the
# 2-core machine under load, where checking one of the benchmark's specs of 20 tasks alone
# takes 3 to 8 ms (rendering it as much again): fewer than 100 specs per worker do not pay.
MIN_PER_WORKER = 100
MAX_CHUNK = 32  # items sent to a worker at once: enough to amortise the round trip, few enough to balance


# The compiler makes many small objects that live to the end of a run (each spec's summary and
# cache entry) and few reference cycles. Python's default thresholds run a full collection over
# all of them again and again as they accumulate: a third of a no-op compile of 10,000 specs.
# Collecting less often (as mypy does) costs a little memory held by cycles not yet collected.
GC_THRESHOLDS = (100_000, 50, 100)


def relax_gc() -> None:
    """Set :data:`GC_THRESHOLDS` (for this process: the command line and each worker)."""
    gc.set_threshold(*GC_THRESHOLDS)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def workers_for(items: int, jobs: int) -> int:
    """How many worker processes ``items`` items are worth, at most ``jobs``; 1 means this process."""
    return max(1, min(jobs, items // MIN_PER_WORKER))


def run_each(
    work: Callable[[T], R], items: Sequence[T], jobs: int, preload: Sequence[str] = ()
) -> Generator[R, None, None]:
    """``work(item)`` for each item, in order; in worker processes when they pay (see above).
    ``work`` must be a module-level function and items and answers picklable; ``preload``
    names the modules each worker should import up front (those ``work`` needs)."""
    workers = workers_for(len(items), jobs)
    if workers == 1:  # through pickle all the same: fresh, compact objects, as a worker's would be
        for item in items:
            yield pickle.loads(pickle.dumps(work(item), protocol=pickle.HIGHEST_PROTOCOL))
        return
    from concurrent.futures import ProcessPoolExecutor  # only when there is a pool: a small run starts faster

    chunk = max(1, min(MAX_CHUNK, len(items) // (workers * 4)))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(preload), initializer=_worker_start)
    try:
        yield from pool.map(work, items, chunksize=chunk)
    finally:  # done, or stopped (an error, Ctrl-C): what was not started yet never is
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_start() -> None:
    """Ctrl-C is this process's to handle (it stops the pool): a worker never prints a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relax_gc()


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows
