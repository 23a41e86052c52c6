"""Side by side, in one process: the classic Mesa reference, the project's engine, the floor.

At each size (default 10,000 and 100,000 families) the three step the same
number of months:

- ``classic``: :mod:`classic_mesa`, one ``mesa.Agent`` per family stepped with
  ``model.agents.shuffle_do("step")``, the shared core rules in plain Python;
- ``engine``: :class:`simulator.model.CSCModel` on the same scenario (the
  baseline reduced to the shared core rules by scenario overrides);
- ``floor``: a bare numpy loop drawing one random number per family per month
  and updating a state array (a 5-state monthly transition): what any
  per-family monthly model must at least pay.

Only stepping is timed (families are built beforehand, numba is warmed up). The
engine and the floor take the median of ``--repeats`` runs; the classic model
one run (``--classic-repeats``). Run from the repository root::

    .venv/bin/python benchmarks/bench_vs_classic.py --families 10000 100000 --months 12

Prints one JSON line per size. Targets (issue 6) at 100,000 families: engine at
least 100x faster than classic and within 5x of the floor.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from classic_mesa import ClassicModel, core_scenario
from common import ROOT, emit, machine

from simulator.model import CSCModel
from simulator.schema import load_scenario, with_overrides

CPU = False  # --cpu-time: measure process CPU time instead of wall time


def floor_loop(n: int, months: int, seed: int) -> float:
    """Seconds for a bare numpy loop: one uniform per family per month, update a state array."""
    rng = np.random.default_rng(seed)
    # monthly probability of leaving each of 5 states, and where to
    p_leave = np.array([0.02, 0.08, 0.06, 0.05, 0.03])
    dest = np.array([1, 2, 3, 4, 0], dtype=np.int8)
    state = rng.integers(0, 5, size=n).astype(np.int8)
    t0 = time.process_time() if CPU else time.perf_counter()
    for _ in range(months):
        u = rng.random(n)
        state = np.where(u < p_leave[state], dest[state], state)
    return (time.process_time() if CPU else time.perf_counter()) - t0


def scenario_for(families: int, months: int):
    """The shared-core baseline sized to about ``families`` families."""
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    shares = np.asarray(base.population.children_per_family_shares, dtype=float)
    kids_per_family = float(np.dot(np.arange(1, 5), shares / shares.sum()))
    sc = core_scenario(base, years=1)
    # the engine runs whole years: time only the first ``months`` months by stepping by hand
    return with_overrides(sc, {"population": {"children": int(round(families * kids_per_family))}})


def engine_time(sc, months: int, seed: int) -> tuple[float, int]:
    model = CSCModel(sc, seed=seed)
    fams = int((model.families.fam_id >= 0).sum())
    t0 = time.process_time() if CPU else time.perf_counter()
    for _ in range(months):
        model.step()
    return (time.process_time() if CPU else time.perf_counter()) - t0, fams


def classic_time(sc, months: int, seed: int) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    model = ClassicModel(sc, seed=seed)
    t1 = time.perf_counter()
    c1 = time.process_time() if CPU else t1
    for _ in range(months):
        model.step()
    return (time.process_time() if CPU else time.perf_counter()) - c1, t1 - t0, len(model.agents)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--classic-repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with process CPU time (steadier on a shared, loaded machine)",
    )
    args = ap.parse_args()
    global CPU
    CPU = args.cpu_time
    info = machine()
    warm = scenario_for(1000, 1)
    engine_time(warm, 2, 0)  # numba loads or compiles here
    for n in args.families:
        sc = scenario_for(n, args.months)
        eng = [engine_time(sc, args.months, args.seed + i) for i in range(args.repeats)]
        t_engine, fams = statistics.median(e[0] for e in eng), eng[0][1]
        t_floor = statistics.median(floor_loop(fams, args.months, args.seed + i) for i in range(args.repeats))
        cla = [classic_time(sc, args.months, args.seed + i) for i in range(args.classic_repeats)]
        t_classic = statistics.median(c[0] for c in cla)
        fm = fams * args.months
        emit(
            {
                "bench": "vs_classic",
                "families": fams,
                "children": sc.population.children,
                "months": args.months,
                "classic_s": round(t_classic, 4),
                "engine_s": round(t_engine, 5),
                "floor_s": round(t_floor, 5),
                "classic_setup_s": round(cla[0][1], 2),
                "classic_ns_per_family_month": round(t_classic / fm * 1e9, 1),
                "engine_ns_per_family_month": round(t_engine / fm * 1e9, 1),
                "floor_ns_per_family_month": round(t_floor / fm * 1e9, 1),
                "engine_speedup_vs_classic": round(t_classic / t_engine, 1),
                "engine_over_floor": round(t_engine / t_floor, 2),
                "targets": {"speedup_vs_classic_min": 100, "engine_over_floor_max": 5},
                "meets_targets": t_classic / t_engine >= 100 and t_engine / t_floor <= 5,
                "clock": "process_cpu" if CPU else "wall",
                "repeats": args.repeats,
                "classic_repeats": args.classic_repeats,
                **info,
            }
        )


if __name__ == "__main__":
    main()
