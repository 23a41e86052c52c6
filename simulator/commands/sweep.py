"""``sweep``: many runs over a grid or a sample of parameters, times seeds; one Parquet table."""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from simulator.cli import UsageError
from simulator.sweep import ENGINES, load_sweep, run_sweep, summarise, write_results

SUMMARY_COLUMNS = ["lac_31_march", "cp_31_march", "cin_31_march"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``sweep``."""
    p.add_argument("sweep", help="sweep TOML file (e.g. scenarios/sweeps/example.toml)")
    p.add_argument("--out", required=True, help="results table to write (Parquet), e.g. results.parquet")
    p.add_argument("--engine", choices=ENGINES, default=None,
                   help="where runs execute: inprocess (one core), pool (default: a local process "
                   "pool on all cores) or dask (a cluster at --scheduler, or a LocalCluster)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes for pool or a local Dask cluster (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def main(args: argparse.Namespace) -> int:
    """Load the sweep, run it on the chosen engine and write the table."""
    engine = args.engine or ("dask" if args.scheduler else "pool")
    if args.scheduler and engine != "dask":
        raise UsageError(f"--scheduler needs --engine dask (got --engine {engine})")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers = {args.workers}: must be >= 1")
    if not str(args.out).endswith(".parquet"):
        raise UsageError(f"--out {args.out!r}: the results table is Parquet; name it *.parquet")
    sweep = load_sweep(args.sweep)
    t0 = time.perf_counter()
    df = run_sweep(sweep, engine=engine, workers=args.workers, scheduler=args.scheduler,
                   progress=not args.quiet)
    wall = time.perf_counter() - t0
    path = write_results(df, args.out, sweep)
    if not args.quiet:
        print(f"{sweep.name}: {len(sweep.points)} points x {len(sweep.seeds)} seeds = {len(sweep)} runs "
              f"on {engine} in {wall:.1f} s; wrote {len(df)} rows to {path}")
        summary = summarise(df, sweep.paths, [c for c in SUMMARY_COLUMNS if c in df.columns])
        if not summary.empty:
            print("last year, mean [5%, 95%] over seeds:")
            with pd.option_context("display.width", 200, "display.max_columns", 30):
                print(summary.round(1).to_string(index=False))
    sys.stdout.flush()
    return 0
