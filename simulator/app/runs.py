"""Running scenarios for the app: off the UI thread, in worker processes, with a result cache.

A run takes about half a second for the typical LA over 20 years, and the
compiled engine holds the interpreter while it works, so runs go to a small
pool of worker processes (one per core, at most two by default): the server
keeps answering the browser while they work, and a baseline and a scenario run
side by side. Results are cached by the full scenario and seed, so the
baseline is computed once per area, seed and horizon, and going back to an
earlier lever position is instant.

The expected value of a scenario (the aggregate view, :func:`expect`) goes through the same
pool and cache, asked for with seed ``None``: it has no seed and takes about 0.3 s at any size
for 20 years (Troubled Families, whose families it follows in seven more groups: about 1.5 s;
``benchmarks/bench_aggregate.py``).

Each browser session asks through its own :class:`RunTicket` counter: a new
request supersedes the older ones, which are cancelled if they have not started
and discarded if they finish late (stale results never reach the screen).

A run that raises hands its error to the session that asked (the app keeps the last good
results on screen); a worker that dies (killed, out of memory) fails its runs the same way,
and the next run starts a fresh pool.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simulator.processes import sigint_held

log = logging.getLogger(__name__)

#: Monthly columns the app needs (children by state, unmet need, flows between states).
_MONTHLY_KEEP = (
    "month",
    "reporting_year",
    "unmet_high_need",
    "hidden_high_need",
    "risk_index",
    "caseload_pressure",
    "early_help_places",
)


@dataclass(eq=False)  # compared by identity (the UI compares arguments on every render)
class RunOutput:
    """The tables of one run that the app shows (no model object: it crosses processes)."""

    annual: pd.DataFrame
    monthly: pd.DataFrame
    equity: pd.DataFrame
    policy: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    cost_lines: tuple[str, pd.DataFrame] | None = None


def _app_monthly(monthly: pd.DataFrame) -> pd.DataFrame:
    """The monthly columns the app needs (:data:`_MONTHLY_KEEP`, children by state, flows, care)."""
    keep = [c for c in monthly.columns if c in _MONTHLY_KEEP or c.startswith(("children_", "flow_", "lac_"))]
    return monthly[keep].copy()


def scenario_key(data: Mapping[str, Any], seed: int | None) -> str:
    """A stable key for a validated scenario dict and seed."""
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(f"{seed}|{text}".encode()).hexdigest()[:20]


def simulate(data: Mapping[str, Any], seed: int | None) -> RunOutput:
    """Run one scenario (a validated scenario dict) with one seed; the worker-process entry point.

    Args:
        data: ``Scenario.model_dump(mode="json")`` of a validated scenario.
        seed: the run's seed; ``None`` for the expected value instead (:func:`expect`).

    Returns:
        The annual, monthly, equity and policy tables and the run's stamp.
    """
    if seed is None:
        return expect(data)
    from simulator import run_scenario
    from simulator.schema import build_scenario

    t0 = time.perf_counter()
    scenario = build_scenario(dict(data), source="app")
    res = run_scenario(scenario, seed=int(seed))
    meta = {k: v for k, v in res.meta.items() if not k.startswith("_")}
    seconds = time.perf_counter() - t0
    from simulator.app.finance_view import run_cost_lines

    out = RunOutput(
        res.annual,
        _app_monthly(res.monthly),
        res.equity,
        res.policy,
        meta,
        seconds,
        run_cost_lines(scenario, res),
    )
    res.release()  # the worker's next run reuses this one's memory (CSCModel.release)
    return out


def expect(data: Mapping[str, Any]) -> RunOutput:
    """The expected value of a scenario: the aggregate view of the same rules, with no chance.

    It has no seed and no sample (counts at the area's full size), no equity or policy tables
    and no costs; ``meta["levers_not_modelled"]`` names the levers it leaves out.
    """
    from simulator.aggregate import run_aggregate
    from simulator.schema import build_scenario

    t0 = time.perf_counter()
    res = run_aggregate(build_scenario(dict(data), source="app"))
    meta = {k: v for k, v in res.meta.items() if k in ("scenario", "view", "levers_not_modelled")}
    return RunOutput(
        res.annual, _app_monthly(res.monthly), pd.DataFrame(), pd.DataFrame(), meta, time.perf_counter() - t0
    )


def expected_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario dict as the expected value sees it: seed and sample do not change it."""
    out = dict(data)
    out["run"] = {**out.get("run", {}), "seed": 0, "sample_fraction": 1.0}
    return out


def _submit(pool: ProcessPoolExecutor, fn: Callable[..., Any], *args: Any) -> Future:
    """``pool.submit``, which may start a worker.

    The worker is started so that a terminal's Ctrl+C never reaches it
    (:func:`~simulator.processes.sigint_held`); the server stops its workers.
    """
    with sigint_held():
        return pool.submit(fn, *args)


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the server process is gone (no orphaned workers)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="csc-parent-watch").start()


def _background_worker(parent: int) -> None:
    """Initializer of the paired runs' workers: as :func:`_watch_parent`, at the lowest CPU priority.

    The paired runs refine figures already on screen; a run the user waits for (and the browser
    drawing it) must never share a core with them on equal terms. ``nice 19`` leaves them the
    cores' idle time only (Linux gives a nice-19 task about 1.5% of a busy core).
    """
    _watch_parent(parent)
    try:
        os.nice(background_niceness())
    except OSError as err:  # a platform without nice: the runs are still correct
        log.warning("background workers run at normal priority: %s", err)


#: Environment variable for the background workers' niceness (0-19; default 19).
NICE_ENV = "CSC_BACKGROUND_NICE"


def background_niceness() -> int:
    """The background workers' ``nice`` increment: ``$CSC_BACKGROUND_NICE`` if set (0-19), else 19.

    19 is right for a machine that serves the room: the paired runs take idle time only. A
    machine whose cores are busy with other work all the time (the test suite's second worker)
    would starve them, so it may set a lower value. A value that is not a whole number from 0 to
    19 is refused in the log, and 19 is used.
    """
    raw = os.environ.get(NICE_ENV)
    if raw is None:
        return 19
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 <= value <= 19:
        log.warning("%s = %r: allowed a whole number from 0 to 19; using 19", NICE_ENV, raw)
        return 19
    return value


def _warm(view: bool = False) -> int:
    """Import and compile the engine in a worker (a tiny run), so the first real run is fast.

    With ``view``, the expected-value view's compiled code too: only the background workers,
    which work out the expected values, need it, and it takes longer to compile than the engine.
    """
    from simulator.warm import tiny_scenario

    data = tiny_scenario()
    simulate(data, 1)
    if view:
        simulate(data, None)
    return os.getpid()


class Runner:
    """A pool of worker processes and a cache of results, shared by every session.

    Results are plain tables keyed by the full scenario and seed, so sharing them
    between sessions shares no session's state: a session only ever reads the
    results of what it asked for.

    Args:
        workers: worker processes (default: cores, at most 2). ``0`` runs inline in the
            calling thread (for tests).
        cache_size: results kept.
    """

    def __init__(self, workers: int | None = None, cache_size: int = 128):
        if workers is None:
            workers = int(os.environ.get("CSC_APP_WORKERS", min(2, os.cpu_count() or 1)))
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._bg_pool: ProcessPoolExecutor | None = None
        #: Workers of the paired runs (apart from the user's runs; 0: they share the user's pool).
        self.background_workers = int(os.environ.get("CSC_APP_BACKGROUND_WORKERS", 1 if workers > 0 else 0))
        self._cache: OrderedDict[str, RunOutput] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        #: Held while the warm-up starts workers from a callback thread; :meth:`shutdown` waits for
        #: it, so no worker is left half-started (its parent gone) when the server stops.
        self._starting = threading.Lock()
        self._stopped = False
        self._inflight: dict[str, Future] = {}
        self._warming: list[Future] = []
        self._background_warming: list[Future] = []
        self.prefetch_enabled = os.environ.get("CSC_APP_PREFETCH", "1") not in ("0", "false", "no")

    # -- pool --------------------------------------------------------------------------------

    def pool(self, background: bool = False) -> ProcessPoolExecutor | None:
        """The worker pool (started on first use), or None when running inline.

        ``background``: the pool of the paired runs behind the headline figures, apart from the
        runs a user waits for, so a lever moved while they work never queues behind them.
        """
        n = self.background_workers if background else self.workers
        if self.workers <= 0 or n <= 0:
            return None if self.workers <= 0 else self.pool()
        with self._lock:
            current = self._bg_pool if background else self._pool
            if current is None:
                current = ProcessPoolExecutor(
                    max_workers=n,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_background_worker if background else _watch_parent,
                    initargs=(os.getpid(),),
                )
                if background:
                    self._bg_pool = current
                else:
                    self._pool = current
                atexit.register(self.shutdown)
            return current

    def warm(self) -> list[Future]:
        """Start the workers and compile the engine: in one worker first, then the others.

        Compiling in every worker at once would have them compete for the cores for the same
        work; once the first has written numba's cache the others load it in seconds. The
        background workers (paired runs and expected values, at low priority) also compile the
        expected-value view, after the user's workers are ready: the first result does not wait
        for it. Returns the first worker's future (the user's other workers are added to
        :meth:`ready`'s list as they start).
        """
        self._stopped = False  # warming up again after a shutdown starts workers again
        first = self.pool()
        if first is None:
            return []
        head = _submit(first, _warm)
        self._warming = [head]

        def rest(f: Future) -> None:
            if f.cancelled() or f.exception() is not None:
                return  # the server is stopping (or the first worker failed): start no more
            with self._starting:
                if not self._stopped:
                    start_rest()

        def start_rest() -> None:
            try:
                pool = self.pool()
                if pool is not None:
                    self._warming += [_submit(pool, _warm) for _ in range(self.workers - 1)]
                background = self.pool(True)
                if background is not None:
                    n = max(self.background_workers, 1)  # none of their own: the user's pool works them out
                    self._background_warming = [_submit(background, _warm, True) for _ in range(n)]
            except (BrokenProcessPool, RuntimeError) as err:  # stopped while warming up
                log.info("workers not started: %s", err)

        head.add_done_callback(rest)
        return [head]

    def ready(self) -> bool:
        """Whether the engine is compiled in the workers (a run now takes its own time only)."""
        return all(f.done() for f in self._warming)

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool (its workers are gone); the next run starts a new one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
            if self._bg_pool is pool:
                self._bg_pool = None
            self._inflight.clear()

    def shutdown(self) -> None:
        """Stop the workers."""
        with self._starting:  # a warm-up starting workers finishes first, then starts no more
            self._stopped = True
        with self._lock:
            pools = [p for p in (self._pool, self._bg_pool) if p is not None]
            self._pool = self._bg_pool = None
        for pool in pools:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()

    # -- cache -------------------------------------------------------------------------------

    def cached(self, key: str) -> RunOutput | None:
        """A finished result, if cached."""
        with self._lock:
            out = self._cache.get(key)
            if out is not None:
                self._cache.move_to_end(key)
            return out

    def _store(self, key: str, out: RunOutput) -> None:
        with self._lock:
            self._cache[key] = out
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            self._inflight.pop(key, None)

    # -- submitting --------------------------------------------------------------------------

    def busy(self) -> int:
        """Runs submitted and not finished."""
        with self._lock:
            return sum(1 for f in self._inflight.values() if not f.done())

    def prefetch(self, data: Mapping[str, Any], seed: int) -> bool:
        """Run a scenario the user is likely to ask for next, only if a worker is idle.

        A prefetch never queues behind or ahead of a user's run: it starts only while
        fewer runs are in flight than there are workers. Its result goes to the cache.

        Returns:
            True if a run was started.
        """
        if not self.prefetch_enabled or self.workers <= 0:
            return False
        key = scenario_key(data, seed)
        with self._lock:
            if key in self._cache or key in self._inflight:
                return False
        if self.busy() >= self.workers:
            return False
        self.submit(data, seed)
        return True

    def submit(self, data: Mapping[str, Any], seed: int | None, background: bool = False) -> Future:
        """A future of the run's :class:`RunOutput` (already done if cached or in flight).

        ``seed`` None: the scenario's expected value (:func:`expect`). ``background``: run in
        the paired runs' pool (:meth:`pool`).
        """
        key = scenario_key(data, seed)
        hit = self.cached(key)
        if hit is not None:
            done: Future = Future()
            done.set_result(hit)
            return done
        with self._lock:
            running = self._inflight.get(key)
            if running is not None and not running.cancelled():
                running._csc_shared = True  # another session waits on it: never cancel it
                return running
        pool = self.pool(background)
        if pool is None:
            fut: Future = Future()
            try:
                out = simulate(data, seed)
                self._store(key, out)
                fut.set_result(out)
            except Exception as err:  # noqa: BLE001 - handed to the caller through the future
                fut.set_exception(err)
            return fut
        args = (dict(data), None if seed is None else int(seed))
        try:
            fut = _submit(pool, simulate, *args)
        except (BrokenProcessPool, RuntimeError) as err:  # a worker died, or the pool was shut down
            log.warning("worker pool unusable (%s): starting a new one", err)
            self._discard(pool)
            pool = self.pool(background)
            assert pool is not None
            fut = _submit(pool, simulate, *args)
        with self._lock:
            self._inflight[key] = fut

        def _done(f: Future, key: str = key, pool: ProcessPoolExecutor = pool) -> None:
            if f.cancelled():
                with self._lock:
                    self._inflight.pop(key, None)
                return
            err = f.exception()
            if err is None:
                self._store(key, f.result())
            else:
                with self._lock:
                    self._inflight.pop(key, None)
                if isinstance(err, BrokenProcessPool):
                    self._discard(pool)

        fut.add_done_callback(_done)
        return fut


_RUNNER: Runner | None = None


def get_runner() -> Runner:
    """The process-wide runner (workers and cache shared by all sessions)."""
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = Runner()
    return _RUNNER


def set_runner(runner: Runner | None) -> None:
    """Replace the process-wide runner (tests use an inline one)."""
    global _RUNNER
    _RUNNER = runner


class RunTicket:
    """One session's latest-request counter: newer requests supersede older ones.

    ``request`` submits the runs, cancels this session's superseded runs that have
    not started, and calls ``on_done`` only if the request is still the latest
    when its runs finish.
    """

    def __init__(self) -> None:
        self.generation = 0
        self._pending: list[Future] = []
        self._lock = threading.Lock()

    def request(
        self,
        jobs: Mapping[str, tuple[Mapping[str, Any], int | None]],
        on_done: Callable[[int, dict[str, RunOutput] | None, BaseException | None], None],
        runner: Runner | None = None,
        background: bool = False,
    ) -> int:
        """Submit named runs; ``on_done(generation, outputs, error)`` fires once all finish.

        Args:
            jobs: name -> (validated scenario dict, seed).
            on_done: called (from a worker-callback thread, or inline) with the outputs by
                name, or the first error; not called if a newer request was made.
            runner: the runner (default: the process-wide one).
            background: run them apart from the user's runs (the paired runs).

        Returns:
            This request's generation number.
        """
        runner = runner or get_runner()
        with self._lock:
            self.generation += 1
            gen = self.generation
            for old in self._pending:
                if not getattr(old, "_csc_shared", False):
                    old.cancel()
            self._pending = []
        futures = {name: runner.submit(data, seed, background) for name, (data, seed) in jobs.items()}
        with self._lock:
            if gen == self.generation:
                self._pending = [f for f in futures.values() if not f.done()]
        remaining = [len(futures)]
        lock = threading.Lock()

        def _one_done(_f: Future) -> None:
            with lock:
                remaining[0] -= 1
                if remaining[0] > 0:
                    return
            if gen != self.generation:
                return  # stale: a newer request was made
            if any(f.cancelled() for f in futures.values()):
                return
            errors = [f.exception() for f in futures.values() if f.exception() is not None]
            if errors:
                on_done(gen, None, errors[0])
            else:
                on_done(gen, {name: f.result() for name, f in futures.items()}, None)

        if not futures:
            on_done(gen, {}, None)
        for f in futures.values():
            f.add_done_callback(_one_done)
        return gen

    def cancel(self) -> None:
        """Supersede every earlier request: runs not started are cancelled, results dropped."""
        with self._lock:
            self.generation += 1
            for old in self._pending:
                if not getattr(old, "_csc_shared", False):
                    old.cancel()
            self._pending = []

    def is_current(self, generation: int) -> bool:
        """True if ``generation`` is this session's latest request."""
        return generation == self.generation
