"""Independent seeded tasks over a pool of processes, results in the order given.

Every task carries its own seed, so what comes back does not depend on how many workers ran it;
a single worker runs the tasks in this process (no pool to start).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def map_in_processes(
    fn: Callable[..., T],
    *args: Sequence[Any],
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> list[T]:
    """``[fn(*a) for a in zip(*args)]``, over ``workers`` processes (default: one per core).

    ``fn`` must be importable (a module-level function); ``progress`` is called with 1 as each
    task finishes, in order.
    """
    n_tasks = min((len(a) for a in args), default=0)
    n = min(workers or os.cpu_count() or 1, n_tasks)
    if n <= 1:
        return _collect((fn(*a) for a in zip(*args, strict=False)), progress)
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
        return _collect(pool.map(fn, *args), progress)


def _collect(results: Iterable[T], progress: Callable[[int], Any] | None) -> list[T]:
    out = []
    for r in results:
        out.append(r)
        if progress is not None:
            progress(1)
    return out
