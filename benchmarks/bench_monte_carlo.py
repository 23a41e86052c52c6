"""200 Monte Carlo runs of the typical LA (20 reported years) with the sweep runner on 2 cores.

Uses :mod:`simulator.sweep` exactly as ``python -m simulator sweep`` does: seeds
spawned from one SeedSequence, runs on a process pool of spawned workers (or
Dask), one tidy table. The time includes starting the workers. Run from the
repository root::

    .venv/bin/python benchmarks/bench_monte_carlo.py --runs 200 --workers 2

Prints one JSON line. Target (issue 6): at most 40 s for 200 runs on 2 cores.
``workers_cpu_s`` is the CPU time the pool's workers used (``getrusage`` of reaped
children, pool engine only) and ``wall_if_cores_free_s`` that time spread over the
workers: the wall time to expect when nothing else competes for the cores.
"""

from __future__ import annotations

import argparse
import resource
import time

from common import ROOT, emit, machine

from simulator.sweep import ENGINES, parse_sweep, run_sweep

TARGET_S = 40.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--engine", choices=ENGINES, default="pool")
    ap.add_argument("--entropy", type=int, default=2026)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    sweep = parse_sweep(
        {
            "name": "monte_carlo",
            "scenario": "baseline.toml",
            "seeds": {"count": args.runs, "entropy": args.entropy},
            "overrides": {"run.years": args.years},
        },
        base_dir=ROOT / "scenarios",
        source="bench_monte_carlo",
    )
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    df = run_sweep(sweep, engine=args.engine, workers=args.workers, progress=args.progress)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of the pool's workers (reaped children): what the runs cost, whatever else ran
    workers_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    last = df[df["year"] == df["year"].max()]["lac_31_march"]
    emit(
        {
            "bench": "monte_carlo",
            "runs": args.runs,
            "years": args.years,
            "engine": args.engine,
            "workers": args.workers,
            "wall_s": round(wall, 2),
            "runs_per_s": round(args.runs / wall, 2),
            "rows": len(df),
            "workers_cpu_s": round(workers_cpu, 1),
            "workers_cpu_per_run_s": round(workers_cpu / args.runs, 3),
            "wall_if_cores_free_s": round(workers_cpu / args.workers, 1),
            "lac_final_mean": round(float(last.mean()), 1),
            "lac_final_p5": float(last.quantile(0.05)),
            "lac_final_p95": float(last.quantile(0.95)),
            "target_s": TARGET_S,
            "meets_target": wall <= TARGET_S if args.runs == 200 else None,
            **machine(),
        }
    )


if __name__ == "__main__":
    main()
