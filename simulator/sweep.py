"""Many runs: a grid or a sample of parameter values, times seeds, on one core, a pool or Dask.

A sweep file (TOML) names a base scenario and what to vary::

    name = "example"
    scenario = "../baseline.toml"        # relative to the sweep file
    table = "annual"                     # or "monthly"

    [seeds]
    count = 4                            # replicates of every point
    entropy = 20241122                   # root of the numpy SeedSequence

    [overrides]                          # fixed for every run (dotted paths)
    "run.years" = 5

    [grid]                               # every combination (cartesian product)
    "levers.prevention.spend_per_year" = [0.0, 1.0e6, 2.0e6]
    "risk_aversion.index" = [0.9, 1.0, 1.1]

    # or, instead of [grid]:
    # [sample]
    # n = 20
    # method = "lhs"                     # Latin hypercube, or "random"
    # [sample.ranges]
    # "risk_aversion.index" = [0.8, 1.2]

Keys are dotted paths into the scenario schema (``python -m simulator params``
lists them). Seeds are drawn independently from one
:class:`numpy.random.SeedSequence` (``entropy``): replicate ``r`` gets the
``r``-th spawned child as a 63-bit integer seed, and every point uses the same
replicate seeds (common random numbers, so differences between points are not
drowned by noise). A sampled design draws its values from its own spawned
child, so the design does not depend on the number of replicates. Each run's
seed is in the table, so any row can be re-run with ``python -m simulator run
--seed``.

Engines: ``inprocess`` (one core), ``pool`` (a local process pool with spawned
workers, the default, all cores) and ``dask`` (a ``dask.distributed`` client on
a scheduler address, or a ``LocalCluster``). Every run is a pure function of
its scenario and seed, and the table is sorted by point, replicate and time, so
the same sweep gives the identical table whatever the engine.

Results are one tidy table: the chosen table of every run (stamped by
:class:`simulator.results.Results` with ``scenario``, ``seed``, ``version``),
plus ``sweep``, ``point``, ``replicate`` and one column per swept path.
Episode logs are switched off in sweeps (they do not change the draws) unless
``run.record_episodes`` is set in ``[overrides]``.

Stopping (a partial file, not a resumable sweep): Ctrl-C (SIGINT) or SIGTERM stops a sweep
within a second or two on every engine. Queued runs are cancelled, runs in flight are abandoned
(each can be re-run from its seed), and the worker processes are ended:
pool workers ignore SIGINT and are terminated by the sweep, and a pool worker whose sweep was
killed outright (``kill -9``) exits by itself within half a second; a local Dask cluster's
workers are killed. :func:`run_sweep` then raises :class:`SweepStopped`, which holds the finished
runs and the ``(point, replicate)`` pairs missing. The ``sweep`` command writes those runs to
``<out>.partial.parquet`` beside ``--out`` (:func:`write_partial`; the metadata key
``simulator.partial`` lists what is missing; an earlier partial file is never replaced: the next
free name, ``<out>.partial-2.parquet``, ``-3``, ... is used), leaves ``--out`` as it was, says so
on the console and exits with 128 + the signal (130, 143). We chose this over resuming: the partial file is
plainly named and cannot be mistaken for the results, and every missing run can be re-run from
its seed; resuming would add state to check (the same sweep file, the same version of the
model) before mixing old runs with new ones.

Writing: :func:`write_results` writes the Parquet file beside its destination and renames it
into place (:mod:`simulator.safe_io`), so a full disk or a kill part-way leaves the earlier file,
never a truncated one. The sweep writes no CSV.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulator.processes import sigint_held
from simulator.safe_io import write_with
from simulator.schema import Scenario, ScenarioError, build_scenario, deep_merge, read_scenario_dict
from simulator.seeding import MAX_SEED, SeedError, design_generator, handle_seed, replicate_seeds

Engine = Literal["inprocess", "pool", "dask"]
ENGINES: tuple[str, ...] = ("inprocess", "pool", "dask")
TABLES: tuple[str, ...] = ("annual", "monthly")
SWEEP_KEYS = {"name", "description", "scenario", "table", "seeds", "overrides", "grid", "sample"}
#: Paths a sweep may not vary: seeds come from ``[seeds]``.
RESERVED_PATHS = {"run.seed"}
#: Columns that identify a row of the results table (before the run's own columns).
ID_COLUMNS = ["sweep", "point", "replicate"]
#: Most runs (points x seeds) in one sweep: checked before anything is drawn or built.
MAX_RUNS = 1_000_000
#: Most replicates of every point (``seeds.count``).
MAX_SEED_COUNT = 100_000
#: Most design points: ``sample.n``, or the product of the ``[grid]`` list lengths.
MAX_POINTS = 1_000_000


# -- the sweep file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: a validated scenario, a seed and where it sits in the design.

    Picklable, so it travels to pool and Dask workers unchanged.
    """

    point: int
    replicate: int
    seed: int
    scenario: Scenario
    values: dict[str, Any]
    sweep: str
    table: str = "annual"


@dataclass
class Sweep:
    """A parsed, validated sweep: the base scenario, the design points and the seeds.

    Attributes:
        name: stamps every row (``sweep`` column).
        base: the base scenario data (merged TOML chain, unvalidated dict).
        points: one dict of ``{dotted path: value}`` per design point.
        seeds: one integer seed per replicate.
        table: ``"annual"`` or ``"monthly"``.
        overrides: fixed ``{dotted path: value}`` for every run.
        source: where the sweep came from (for error messages).

    """

    name: str
    base: dict[str, Any]
    points: list[dict[str, Any]]
    seeds: list[int]
    table: str = "annual"
    overrides: dict[str, Any] = field(default_factory=dict)
    source: str = "sweep"

    @property
    def paths(self) -> list[str]:
        """The swept parameter paths, in the order they appear in the file."""
        seen: dict[str, None] = {}
        for point in self.points:
            for key in point:
                seen.setdefault(key, None)
        return list(seen)

    def __len__(self) -> int:
        return len(self.points) * len(self.seeds)

    def tasks(self) -> list[RunTask]:
        """Every run, validated: points times replicates, in table order.

        Raises:
            ScenarioError: a point gives an invalid scenario (one line: the first problem).

        """
        fixed = nested(self.overrides)
        if "run.record_episodes" not in self.overrides:
            fixed = deep_merge(fixed, {"run": {"record_episodes": False}})
        base = deep_merge(self.base, fixed)
        out = []
        for i, point in enumerate(self.points):
            data = deep_merge(base, nested(point))
            try:
                scenario = build_scenario(data, source=self.source)
            except ScenarioError as err:
                shown = ", ".join(f"{k} = {v!r}" for k, v in point.items())
                where = f" (point {i}: {shown})" if point else ""
                raise ScenarioError([f"{err.problems[0]}{where}"], source=self.source) from None
            for r, seed in enumerate(self.seeds):
                out.append(RunTask(i, r, seed, scenario, dict(point), self.name, self.table))
        return out


def nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``{"a.b.c": v}`` into ``{"a": {"b": {"c": v}}}`` (nested tables pass through)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        value = nested(value) if isinstance(value, Mapping) else value
        out = deep_merge(out, _wrap(parts, value))
    return out


def _wrap(parts: Sequence[str], value: Any) -> dict[str, Any]:
    for part in reversed(parts[1:]):
        value = {part: value}
    return {parts[0]: value}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten ``{"a": {"b": v}}`` to ``{"a.b": v}`` (``[overrides]`` as nested tables)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "." not in str(key) and _is_section(path):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _field_at(path: str) -> tuple[type[BaseModel] | None, Any]:
    """Find the schema model holding ``path``'s last part and that field's info (None: unknown)."""
    model: type[BaseModel] = Scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        info = model.model_fields.get(part)
        if info is None:
            return None, None
        ann = info.annotation
        if i == len(parts) - 1:
            return model, info
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None, None
        model = ann
    return None, None


def _is_section(path: str) -> bool:
    _, info = _field_at(path)
    ann = getattr(info, "annotation", None)
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def check_path(path: str, where: str, source: str) -> None:
    """Raise a one-line :class:`ScenarioError` unless ``path`` names a parameter of the schema."""
    if path in RESERVED_PATHS:
        raise ScenarioError(
            [f"{where} '{path}' cannot be swept: seeds come from [seeds] (count, entropy)"], source=source
        )
    model, info = _field_at(path)
    if info is None or _is_section(path):
        parent = path.rpartition(".")[0]
        pmodel, pinfo = _field_at(parent) if parent else (None, None)
        sub = getattr(pinfo, "annotation", None) if parent else Scenario
        known = sorted(sub.model_fields) if isinstance(sub, type) and issubclass(sub, BaseModel) else []
        hint = (
            f"; known under '{parent or '(top)'}': {', '.join(known)}"
            if known
            else "; list parameters with `python -m simulator params`"
        )
        raise ScenarioError([f"{where} '{path}' is not a parameter{hint}"], source=source)


def _seeds(count: int, entropy: int) -> list[int]:
    """``count`` replicate seeds of the master seed ``entropy`` (the one recipe)."""
    return replicate_seeds(entropy, count)


def _design_rng(entropy: int) -> np.random.Generator:
    """Make the generator of a sampled design (keyed apart from the replicate seeds)."""
    return design_generator(entropy, 1)


def _sample_size(spec: Mapping[str, Any], source: str) -> int:
    """``sample.n``: a whole number from 1 to :data:`MAX_POINTS`, or a one-line error."""
    n = spec.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_POINTS:
        raise ScenarioError(
            [f"sample.n = {n!r}: allowed: a whole number from 1 to {MAX_POINTS:,}"], source=source
        )
    return n


def _sample_points(spec: Mapping[str, Any], entropy: int, source: str) -> list[dict[str, Any]]:
    allowed = {"n", "method", "ranges"}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise ScenarioError(
            [f"unknown key 'sample.{extra[0]}'; allowed: {', '.join(sorted(allowed))}"], source=source
        )
    n = _sample_size(spec, source)
    method = spec.get("method", "lhs")
    if method not in ("lhs", "random"):
        raise ScenarioError([f"sample.method = {method!r}: allowed: lhs, random"], source=source)
    ranges = spec.get("ranges")
    if not isinstance(ranges, Mapping) or not ranges:
        raise ScenarioError(["sample.ranges must be a table of {path = [low, high]}"], source=source)
    ranges = _flatten(ranges)
    rng = _design_rng(entropy)
    cols: dict[str, np.ndarray] = {}
    for path, bounds in ranges.items():
        check_path(path, "sample.ranges key", source)
        ok = (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        )
        if not ok or bounds[0] > bounds[1]:
            raise ScenarioError(
                [f"sample.ranges.{path} = {bounds!r}: give [low, high] numbers with low <= high"],
                source=source,
            )
        if method == "lhs":
            u = (rng.permutation(n) + rng.random(n)) / n
        else:
            u = rng.random(n)
        lo, hi = bounds
        if isinstance(lo, int) and isinstance(hi, int):
            cols[path] = np.minimum(lo + np.floor(u * (hi - lo + 1)), hi).astype(int)
        else:
            cols[path] = lo + u * (hi - lo)
    return [{p: cols[p][i].item() for p in cols} for i in range(n)]


def _check_runs(points: int, count: int, source: str) -> None:
    """Refuse a sweep of more than :data:`MAX_RUNS` runs, before its points are drawn."""
    if points * count > MAX_RUNS:
        raise ScenarioError(
            [
                f"{points:,} points x seeds.count = {count:,} is {points * count:,} runs; allowed: at most "
                f"{MAX_RUNS:,} runs in a sweep (fewer points or seeds)"
            ],
            source=source,
        )


def parse_sweep(data: Mapping[str, Any], base_dir: str | Path = ".", source: str = "sweep") -> Sweep:
    """Validate a sweep given as a dict (the parsed TOML).

    Args:
        data: the sweep table (keys as in the module docstring).
        base_dir: folder that ``scenario`` is relative to.
        source: name used in error messages.

    Returns:
        The sweep, with its design points and seeds drawn.

    Raises:
        ScenarioError: one line naming the bad key or value and what is allowed.

    """
    extra = sorted(set(data) - SWEEP_KEYS)
    if extra:
        message = f"unknown key '{extra[0]}'; allowed: {', '.join(sorted(SWEEP_KEYS))}"
        if "scenario" not in data and set(data) & set(Scenario.model_fields):
            # a scenario file given where a sweep file belongs: say so, not only which key is odd
            message += (
                ' (this looks like a scenario file: a sweep file names one with scenario = "..." '
                "and gives [grid] or [sample] values to vary, as scenarios/sweeps/example.toml does)"
            )
        raise ScenarioError([message], source=source)
    scen = data.get("scenario")
    if not isinstance(scen, str):
        raise ScenarioError(
            [f'scenario = {scen!r}: name the base scenario file, e.g. scenario = "../baseline.toml"'],
            source=source,
        )
    target = Path(base_dir) / scen
    if not target.exists():  # name the sweep file and its key, not only the path it gave
        raise ScenarioError(
            [f"scenario = {scen!r}: no such file ({target}; a path relative to the sweep file's folder)"],
            source=source,
        )
    base = read_scenario_dict(target)
    table = data.get("table", "annual")
    if table not in TABLES:
        raise ScenarioError([f"table = {table!r}: allowed: {', '.join(TABLES)}"], source=source)
    count, entropy = _seeds_of(data.get("seeds", {}), source)
    overrides = data.get("overrides", {})
    if not isinstance(overrides, Mapping):
        raise ScenarioError(["overrides must be a table of {path = value}"], source=source)
    overrides = _flatten(overrides)
    for path in overrides:
        check_path(path, "overrides key", source)
    grid, sample = data.get("grid"), data.get("sample")
    if grid is not None and sample is not None:
        raise ScenarioError(["give either [grid] or [sample], not both"], source=source)
    if grid is not None:
        points = _grid_points(grid, count, source)
    elif sample is not None:
        if not isinstance(sample, Mapping):
            raise ScenarioError(["sample must be a table: n, method, ranges"], source=source)
        _check_runs(_sample_size(sample, source), count, source)
        points = _sample_points(sample, entropy, source)
    else:
        points = [{}]
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise ScenarioError([f"name = {name!r}: must be a non-empty string"], source=source)
    sweep = Sweep(
        name=name,
        base=base,
        points=points,
        seeds=_seeds(count, entropy),
        table=table,
        overrides=dict(overrides),
        source=source,
    )
    sweep.tasks()  # validate every point now, before any run starts
    return sweep


def _seeds_of(seeds_spec: Any, source: str) -> tuple[int, int]:
    """The ``[seeds]`` table's count and entropy, checked."""
    if not isinstance(seeds_spec, Mapping):
        raise ScenarioError(["seeds must be a table: [seeds] count = N, entropy = E"], source=source)
    bad = sorted(set(seeds_spec) - {"count", "entropy"})
    if bad:
        raise ScenarioError([f"unknown key 'seeds.{bad[0]}'; allowed: count, entropy"], source=source)
    count = seeds_spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEED_COUNT:
        raise ScenarioError(
            [f"seeds.count = {count!r}: allowed: a whole number from 1 to {MAX_SEED_COUNT:,}"], source=source
        )
    entropy = seeds_spec.get("entropy", 0)
    if not isinstance(entropy, int) or isinstance(entropy, bool):
        raise ScenarioError(
            [f"seeds.entropy = {entropy!r}: allowed: a whole number from 0 to {MAX_SEED}"], source=source
        )
    try:
        entropy = handle_seed(entropy, "seeds.entropy")
    except SeedError as err:
        raise ScenarioError([str(err)], source=source) from None
    return count, entropy


def _grid_points(grid: Any, count: int, source: str) -> list[dict[str, Any]]:
    """The design points of a ``[grid]`` table: every combination of its lists, checked."""
    if not isinstance(grid, Mapping):
        raise ScenarioError(["grid must be a table of {path = [values]}"], source=source)
    grid = _flatten(grid)
    for path, values in grid.items():
        check_path(path, "grid key", source)
        if not isinstance(values, list) or not values:
            raise ScenarioError([f"grid.{path} = {values!r}: give a non-empty list of values"], source=source)
    sizes = [len(v) for v in grid.values()]
    n_points = math.prod(sizes)
    if n_points > MAX_POINTS:
        shown = " x ".join(f"{n:,}" for n in sizes)
        raise ScenarioError(
            [
                f"grid: {shown} = {n_points:,} combinations; allowed: at most {MAX_POINTS:,} "
                "points (shorten the lists, or use [sample])"
            ],
            source=source,
        )
    _check_runs(n_points, count, source)
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file (see the module docstring for its keys)."""
    from simulator.schema import read_toml

    path = Path(path)
    data = read_toml(path, "sweep file")  # missing, folder, binary, not UTF-8, empty, duplicates
    data.setdefault("name", path.stem)
    return parse_sweep(data, base_dir=path.parent, source=str(path))


# -- one run (the worker) ---------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """Give a swept value as a table cell: numbers and strings as they are, the rest as JSON."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


def run_task(task: RunTask) -> pd.DataFrame:
    """Run one task and return its table, stamped with its place in the sweep.

    A top-level function so spawned pool workers and Dask workers can import it.
    """
    from simulator.model import CSCModel

    model = CSCModel(task.scenario, seed=task.seed)
    model.run()
    res = model.results()
    df = res.annual if task.table == "annual" else res.monthly
    df = df.copy()
    res.release()  # a worker's next task reuses this run's memory (CSCModel.release)
    head = {"sweep": task.sweep, "point": task.point, "replicate": task.replicate}
    for key, value in task.values.items():
        head[key] = _cell(value)
    front = pd.DataFrame({k: [v] * len(df) for k, v in head.items()}, index=df.index)
    return pd.concat([front, df], axis=1)


# -- engines ----------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as an interrupt so a sweep stops the way Ctrl-C stops it."""

    signum = signal.SIGTERM


class SweepStopped(KeyboardInterrupt):
    """A sweep stopped by SIGINT or SIGTERM before every run finished.

    Attributes:
        signum: the signal that stopped it (``signal.SIGINT`` or ``signal.SIGTERM``).
        done: the table of the runs that finished (as :func:`run_sweep` would return it).
        missing: ``(point, replicate)`` of every run that did not finish.
        total: runs asked for.

    """

    def __init__(self, signum: int, done: pd.DataFrame, missing: list[tuple[int, int]], total: int) -> None:
        super().__init__(
            f"sweep stopped by {signal.Signals(signum).name}: {total - len(missing)} of {total} runs finished"
        )
        self.signum = int(signum)
        self.done = done
        self.missing = missing
        self.total = total


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    Only the main thread can set signal handlers; elsewhere this does nothing. The earlier
    handler is put back at the end.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(total: int, enabled: bool, desc: str) -> Any:
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="run", disable=not enabled, file=sys.stderr, delay=0.5)


def _run_inprocess(tasks: Sequence[RunTask], bar: Any, done: dict[int, pd.DataFrame]) -> None:
    for i, task in enumerate(tasks):
        done[i] = run_task(task)
        bar.update(1)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)  # the sweep is gone (killed with -9): its runs are of no use to anyone


def _pool_worker_init(parent: int) -> None:
    """Set up a pool worker: the sweep alone decides when to stop, and the worker ends with it.

    A terminal's Ctrl-C goes to the whole process group; the workers ignore it, so the parent
    stops them (no traceback from each worker). If the parent dies without stopping them
    (``kill -9``), the worker notices within half a second and exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="exit-with-sweep").start()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """While the workers are being stopped, a second Ctrl-C or SIGTERM is noted, not raised.

    An interrupt raised half-way through the clean-up would leave workers running.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda *_: None) for s in stops}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued runs and end the workers now (runs in flight are abandoned)."""
    with _signals_deferred():
        _end_pool(pool)


def _end_pool(pool: ProcessPoolExecutor) -> None:
    procs = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(OSError, ValueError):
            p.terminate()
    deadline = time.monotonic() + 1.0
    for p in procs:
        with contextlib.suppress(OSError, ValueError):
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(0.5)
    if manager is not None:
        manager.join(max(0.1, deadline - time.monotonic()))


def _run_pool(tasks: Sequence[RunTask], bar: Any, workers: int, done: dict[int, pd.DataFrame]) -> None:
    ctx = multiprocessing.get_context("spawn")  # what `import mesa` sets anyway; fork-unsafe libs
    pool: ProcessPoolExecutor | None = None
    futures: dict[Any, int] = {}
    try:
        with sigint_held():  # workers are spawned by submit(), in this thread
            pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=_pool_worker_init, initargs=(os.getpid(),)
            )
            futures = {pool.submit(run_task, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            done[futures[fut]] = fut.result()
            bar.update(1)
    except BaseException:
        if pool is not None:
            _stop_pool(pool)
        for fut, i in futures.items():  # finished, but not yet taken from the queue
            if i not in done and fut.done() and not fut.cancelled() and fut.exception() is None:
                done[i] = fut.result()
        raise
    pool.shutdown(wait=True)


def _dask_processes(cluster: Any) -> list[int]:
    """Process ids of a LocalCluster's nannies and their workers (to end them if closing hangs)."""
    pids = []
    for nanny in getattr(cluster, "workers", {}).values():
        proc = getattr(getattr(nanny, "process", None), "process", None)
        pid = getattr(proc, "pid", None)
        if pid:
            pids.append(pid)
    return pids


def _run_dask(
    tasks: Sequence[RunTask], bar: Any, workers: int, scheduler: str | None, done: dict[int, pd.DataFrame]
) -> None:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - the distributed extra is not installed
        from simulator.cli import UsageError

        raise UsageError(
            "--engine dask needs dask[distributed]: pip install 'csc-demand-simulator[distributed]'"
        ) from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            from simulator.cli import UsageError

            raise UsageError(
                f"--scheduler {scheduler}: cannot reach the Dask scheduler ({type(exc).__name__}: {exc})"
            ) from None
    else:
        with sigint_held():
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        client = Client(cluster)
    futures: list[Any] = []
    stopping = False
    try:
        futures = client.map(run_task, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            done[index[fut.key]] = fut.result()
            bar.update(1)
    except BaseException:
        stopping = True
        for i, fut in enumerate(futures):  # finished, but not yet taken
            if i not in done and fut.status == "finished":
                with contextlib.suppress(Exception):
                    done[i] = fut.result(timeout=0.5)
        with contextlib.suppress(Exception):
            client.cancel(futures)
        raise
    finally:
        _close_dask(client, cluster, fast=stopping)


def _close_dask(client: Any, cluster: Any, fast: bool) -> None:
    """Close the client and a local cluster; when stopping, end the cluster's processes at once."""
    if not fast:
        client.close()
        if cluster is not None:
            cluster.close()
        return
    with _signals_deferred():
        _end_dask(client, cluster)


def _end_dask(client: Any, cluster: Any) -> None:
    # the workers are killed on purpose: the scheduler's complaints about the connections that
    # closed with them (a traceback from distributed.batched, now and then) are expected, not
    # news to the user, who is told what stopped and what was kept; distributed stays quiet after
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    pids = _dask_processes(cluster) if cluster is not None else []
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    with contextlib.suppress(Exception):
        client.close(timeout=1)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=1)


def run_sweep(
    sweep: Sweep,
    engine: Engine = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    tasks: Iterable[RunTask] | None = None,
) -> pd.DataFrame:
    """Run every point times every seed and return one tidy table.

    Args:
        sweep: the sweep (from :func:`load_sweep` or :func:`parse_sweep`).
        engine: ``"inprocess"``, ``"pool"`` (default) or ``"dask"``.
        workers: processes for ``pool`` and a local Dask cluster (default: all cores).
        scheduler: a Dask scheduler address (``tcp://host:8786``); implies nothing for
            other engines. Workers there must have this package installed.
        progress: show a progress bar (runs done) on stderr.
        tasks: a subset of ``sweep.tasks()`` to run (default: all).

    Returns:
        The runs' tables stacked, sorted by point, replicate and time: identical whatever
        the engine.

    Raises:
        SweepStopped: Ctrl-C (SIGINT) or SIGTERM: queued runs were cancelled, runs in flight
            abandoned and worker processes ended; the exception holds the finished runs.

    """
    if engine not in ENGINES:
        from simulator.cli import UsageError

        raise UsageError(f"--engine {engine!r}: allowed: {', '.join(ENGINES)}")
    todo = list(tasks) if tasks is not None else sweep.tasks()
    workers = max(1, int(workers or os.cpu_count() or 1))
    done: dict[int, pd.DataFrame] = {}
    try:
        with sigterm_as_interrupt(), _progress(len(todo), progress, f"sweep {sweep.name} ({engine})") as bar:
            if engine == "inprocess" or (engine == "pool" and workers == 1):
                _run_inprocess(todo, bar, done)
            elif engine == "pool":
                _run_pool(todo, bar, min(workers, len(todo)), done)
            else:
                _run_dask(todo, bar, min(workers, len(todo)), scheduler, done)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        missing = [(t.point, t.replicate) for i, t in enumerate(todo) if i not in done]
        raise SweepStopped(signum, combine(list(done.values()), sweep.paths), missing, len(todo)) from None
    return combine([done[i] for i in range(len(todo))], sweep.paths)


def combine(frames: Sequence[pd.DataFrame], paths: Sequence[str] = ()) -> pd.DataFrame:
    """Stack run tables in a fixed order (point, replicate, then each run's own row order)."""
    if not frames:
        return pd.DataFrame(columns=ID_COLUMNS)
    frames = sorted(frames, key=lambda d: (int(d["point"].iloc[0]), int(d["replicate"].iloc[0])))
    df = pd.concat(frames, ignore_index=True)
    first = [*ID_COLUMNS, *paths, "scenario", "seed", "version"]
    order = [c for c in first if c in df.columns] + [c for c in df.columns if c not in first]
    return df[order]


def partial_path(out: str | Path, n: int = 1) -> Path:
    """Where a stopped sweep keeps its finished runs: ``results.parquet`` -> ``results.partial.parquet``.

    ``n`` > 1 gives the later names used when that one is taken: ``results.partial-2.parquet``, ...
    """
    out = Path(out)
    tag = "partial" if n <= 1 else f"partial-{n}"
    return out.with_name(f"{out.stem}.{tag}{out.suffix or '.parquet'}")


def next_partial_path(out: str | Path) -> Path:
    """The first of ``partial_path(out, 1)``, ``partial_path(out, 2)``, ... that does not exist."""
    n = 1
    while (path := partial_path(out, n)).exists() or path.is_symlink():
        n += 1
    return path


def write_results(
    df: pd.DataFrame, out: str | Path, sweep: Sweep | None = None, partial: Mapping[str, Any] | None = None
) -> Path:
    """Write the table to Parquet whole or not at all, with the sweep's design in its metadata.

    The file is written beside ``out`` and renamed into place (:mod:`simulator.safe_io`): a full
    disk or a kill part-way leaves whatever was at ``out`` before, never a truncated file.
    ``partial`` (a stopped sweep's account of what is missing) goes into the metadata under
    ``simulator.partial``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    if sweep is not None:
        meta[b"simulator.sweep"] = json.dumps(
            {
                "name": sweep.name,
                "source": sweep.source,
                "table": sweep.table,
                "seeds": sweep.seeds,
                "points": sweep.points,
                "overrides": sweep.overrides,
            },
            default=str,
        ).encode()
    if partial is not None:
        meta[b"simulator.partial"] = json.dumps(dict(partial), default=str).encode()
    table = table.replace_schema_metadata(meta)
    return write_with(out, lambda tmp: pq.write_table(table, tmp))


def write_partial(stopped: SweepStopped, out: str | Path, sweep: Sweep | None = None) -> Path:
    """Write a stopped sweep's finished runs to the first free :func:`partial_path` of ``out``.

    An earlier partial file is never replaced: if ``results.partial.parquet`` exists the runs
    go to ``results.partial-2.parquet``, then ``-3`` and so on; the path written is returned.
    The metadata key ``simulator.partial`` says it is incomplete: the signal, runs finished of
    runs asked for, the ``[point, replicate]`` pairs missing, and the file it stands in for.
    """
    info = {
        "complete": False,
        "stopped_by": signal.Signals(stopped.signum).name,
        "runs_finished": stopped.total - len(stopped.missing),
        "runs_total": stopped.total,
        "missing": [list(m) for m in stopped.missing],
        "instead_of": str(out),
    }
    first = partial_path(out)
    staging = first.with_name(f".{first.name}.{os.getpid()}.staging")
    write_results(stopped.done, staging, sweep, partial=info)  # whole, beside its destination
    try:
        for _ in range(10_000):
            path = next_partial_path(out)
            try:
                os.link(staging, path)  # never replaces: fails if another file took the name
            except FileExistsError:
                continue
            except OSError:  # no hard links here (some network or FAT file systems)
                if path.exists() or path.is_symlink():
                    continue
                os.replace(staging, path)
            return path
        raise FileExistsError(f"no free name for the partial file beside {out}")
    finally:
        with contextlib.suppress(OSError):
            staging.unlink()


def read_partial_info(path: str | Path) -> dict[str, Any] | None:
    """The ``simulator.partial`` metadata of a results file (None: a complete sweep)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"simulator.partial")
    return None if raw is None else json.loads(raw)


def summarise(
    df: pd.DataFrame,
    paths: Sequence[str],
    columns: Sequence[str],
    at: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Mean and 5-95% band of ``columns`` in each point's last year, by design point (for the console).

    Each point is read at its own last year, in the ``year`` column: points that sweep
    ``run.years`` or ``run.start_year`` end in different years, and reading all of them at the
    sweep's latest year would drop every point that ends before it. ``at`` picks other rows.
    """
    if df.empty or "year" not in df.columns:
        return pd.DataFrame()
    if at is None:
        last = df[df["year"] == df.groupby("point")["year"].transform("max")]
    else:
        last = at(df)
    keys = ["point", *paths]
    rows = []
    for key, g in last.groupby(keys, sort=True, dropna=False):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row["year"] = int(g["year"].max())
        row["runs"] = len(g)
        for c in columns:
            v = g[c].to_numpy(dtype=float)
            row[f"{c}_mean"] = float(np.mean(v))
            row[f"{c}_p5"] = float(np.percentile(v, 5)) if len(v) > 1 else math.nan
            row[f"{c}_p95"] = float(np.percentile(v, 95)) if len(v) > 1 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)
