"""``sweep``: many runs over a grid or a sample of parameters, times seeds; one Parquet table.

``--out`` is checked before any run starts (an existing file needs ``--force``). The table is
written beside it and renamed into place, so a full disk or a kill leaves the earlier file.

Ctrl-C (SIGINT) or SIGTERM stops the sweep within a couple of seconds on every engine: queued
runs are cancelled, runs in flight abandoned, worker processes ended. The runs already finished
go to ``<out>.partial.parquet`` (e.g. ``results.partial.parquet``), whose metadata lists the
missing ``[point, replicate]`` pairs; an earlier partial file is never replaced (the runs go to
the next free name, ``results.partial-2.parquet``, ``-3``, ...), and the console line names the
file written. ``--out`` itself is not touched. The exit code is 130 for
SIGINT and 143 for SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simulator.cli import UsageError, exit_at_once
from simulator.safe_io import OutputError, check_output_file
from simulator.sweep import (
    ENGINES,
    Engine,
    Sweep,
    SweepStopped,
    load_sweep,
    partial_path,
    run_sweep,
    sigterm_as_interrupt,
    summarise,
    write_partial,
    write_results,
)

SUMMARY_COLUMNS = ["lac_31_march", "cp_31_march", "cin_31_march"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``sweep``."""
    p.add_argument("sweep", help="sweep TOML file (e.g. scenarios/sweeps/example.toml)")
    p.add_argument("--out", required=True, help="results table to write (Parquet), e.g. results.parquet")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where runs execute: inprocess (one core), pool (default: a local process "
        "pool on all cores) or dask (a cluster at --scheduler, or a LocalCluster)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for pool or a local Dask cluster (default: all cores); not for "
        "--engine inprocess (one core) or --scheduler (the cluster has its own workers)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _write(write: Callable[[], Path], what: str, out: str) -> Path:
    """Run ``write``; a failed write (a full disk, a lost mount) becomes one line, exit code 2."""
    try:
        return write()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(
            f"--out {out!r}: could not write {what} ({reason}); {out!r} is as it was before"
        ) from None


def _stopped(stopped: SweepStopped, sweep: Sweep, out: str) -> int:
    """Keep the finished runs of a stopped sweep beside ``out``; the exit code is 128 + the signal."""
    name = signal.Signals(stopped.signum).name
    head = f"stopped by {name}: {stopped.total - len(stopped.missing)} of {stopped.total} runs finished"
    if stopped.done.empty:
        print(f"{head}; nothing written ({out!r} untouched)", file=sys.stderr)
    else:
        part = _write(lambda: write_partial(stopped, out, sweep), "the finished runs", str(partial_path(out)))
        kept = "" if part == partial_path(out) else f" ({partial_path(out)} exists and was left as it was)"
        print(
            f"{head}; kept them in {part}{kept} (incomplete: the missing runs are listed in its "
            f"metadata, simulator.partial); {out!r} untouched",
            file=sys.stderr,
        )
    return 128 + stopped.signum


def _engine(args: argparse.Namespace) -> Engine:
    """The engine the options ask for; options that contradict it or would be ignored are refused."""
    engine: Engine = args.engine or ("dask" if args.scheduler else "pool")
    if args.scheduler and engine != "dask":
        raise UsageError(f"--scheduler needs --engine dask (got --engine {engine})")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers = {args.workers}: must be >= 1")
    if args.workers is not None and engine == "inprocess":
        raise UsageError(
            f"--workers {args.workers} cannot go with --engine inprocess: it runs one run at a time "
            "in this process, with no workers; use --engine pool (or dask) for worker processes, "
            "or leave --workers out"
        )
    if args.workers is not None and args.scheduler:
        raise UsageError(
            f"--workers {args.workers} cannot go with --scheduler: the cluster at {args.scheduler} has "
            "its own workers; --workers is for --engine pool or a local Dask cluster (no --scheduler)"
        )
    return engine


def main(args: argparse.Namespace) -> int:
    """Load the sweep, run it on the chosen engine and write the table."""
    engine = _engine(args)
    if not str(args.out).endswith(".parquet"):
        raise UsageError(f"--out {args.out!r}: the results table is Parquet; name it *.parquet")
    check_output_file(args.out, args.force)
    with sigterm_as_interrupt():
        try:
            sweep = load_sweep(args.sweep)
            t0 = time.perf_counter()
            try:
                df = run_sweep(
                    sweep,
                    engine=engine,
                    workers=args.workers,
                    scheduler=args.scheduler,
                    progress=not args.quiet,
                )
            except SweepStopped as stopped:
                code = _stopped(stopped, sweep, args.out)
                exit_at_once()  # what it keeps is written: the process ends without its teardown
                return code
            wall = time.perf_counter() - t0
            path = _write(lambda: write_results(df, args.out, sweep), "the results", args.out)
        except KeyboardInterrupt as exc:  # while loading or writing: nothing half-written
            signum = getattr(exc, "signum", signal.SIGINT)
            print(
                f"stopped by {signal.Signals(signum).name}; nothing written ({args.out!r} untouched)",
                file=sys.stderr,
            )
            return 128 + signum
    if not args.quiet:
        print(
            f"{sweep.name}: {len(sweep.points)} points x {len(sweep.seeds)} seeds = {len(sweep)} runs "
            f"on {engine} in {wall:.1f} s; wrote {len(df)} rows to {path}"
        )
        summary = summarise(df, sweep.paths, [c for c in SUMMARY_COLUMNS if c in df.columns])
        if not summary.empty:
            print("each point at its own last year (column year), mean [5%, 95%] over seeds:")
            with pd.option_context("display.width", 200, "display.max_columns", 30):
                print(summary.round(1).to_string(index=False))
    sys.stdout.flush()
    return 0
