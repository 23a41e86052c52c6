"""Independent seeded tasks over a pool of processes, results in the order given.

Every task carries its own seed, so what comes back does not depend on how many workers ran it;
a single worker runs the tasks in this process (no pool to start).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
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


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Hold SIGINT back while this thread starts worker processes; deliver it afterwards.

    A worker inherits the thread's signal mask, so a terminal's Ctrl-C (sent to the whole process
    group) never reaches it, even while it is still importing, before any initializer runs; the
    parent stops its workers. In the main thread the Ctrl-C is also kept from interrupting the
    start itself (a worker whose parent stops halfway through sending it its task ends with an
    EOFError traceback): it is noted and raised when the block ends, not lost. Used by the
    sweep's pool and local Dask cluster and by the app's workers.
    """
    noted: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: noted.append(signum)) if main else None
    masked = hasattr(signal, "pthread_sigmask")
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
    try:
        yield
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a pending Ctrl-C is noted here
        if main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
            if noted:
                signal.raise_signal(signal.SIGINT)
