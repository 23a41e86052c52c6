"""Aggregate expected-value view (simulator/aggregate.py), baseline, 20 reported years: median wall time.

The first run loads (or compiles) the numba code and builds the start's family demography
(cached for the process); it is not counted. Each timed repeat is a full
``run_aggregate(scenario)`` including the annual table. Run from the repository root::

    .venv/bin/python benchmarks/bench_aggregate.py --repeats 11

Prints one JSON line. Target (issue 7): milliseconds ("tens of milliseconds" aimed for).
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ROOT, emit, machine

from simulator.aggregate import run_aggregate
from simulator.schema import load_scenario

TARGET_S = 0.1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()
    info = machine()
    sc = load_scenario(args.scenario, {"run": {"years": args.years}})
    t0 = time.perf_counter()
    run_aggregate(sc)  # warm-up: numba loads or compiles here
    first = time.perf_counter() - t0
    wall, cpu = [], []
    for _ in range(args.repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        run_aggregate(sc)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = statistics.median(wall)
    emit({
        "bench": "aggregate_20y", "scenario": sc.name, "children": sc.population.children,
        "years": args.years, "months": sc.run.burn_in_months + 12 * args.years, "repeats": args.repeats,
        "first_run_s": round(first, 3), "median_s": round(med, 4), "min_s": round(min(wall), 4),
        "max_s": round(max(wall), 4), "median_cpu_s": round(statistics.median(cpu), 4),
        "target_s": TARGET_S, "meets_target": med <= TARGET_S, **info,
    })


if __name__ == "__main__":
    main()
