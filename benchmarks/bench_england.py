"""England 1:1 (scenarios/england.toml): wall time and peak memory for 1 and 20 reported years.

Each measurement runs in a fresh subprocess so its peak resident memory (RSS,
``getrusage``; numpy arrays are invisible to tracemalloc) is its own. Times are
split into building the population, the burn-in months and the reported years;
``total_s`` is build + burn-in + reported years (the import, which loads the
compiled rules, is reported apart). Run from the repository root::

    .venv/bin/python benchmarks/bench_england.py                  # 1 y and 20 y, logs on and off
    .venv/bin/python benchmarks/bench_england.py --years 1 --episodes on
    .venv/bin/python benchmarks/bench_england.py --years 20 --episodes off --memory reused

``--memory reused`` reports a second build and run in the same process, on memory the first
freed: the model's time without the machine's cost of fresh memory, which each line prints
(``fresh_memory_s_per_gib``). Prints one JSON line per measurement. Targets (issues 2 and 6): one year at most
30 s; 20 years at most 60 s and 4 GiB.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time

from common import ROOT, emit, machine, peak_rss_mib

TARGETS = {1: {"time_s": 30.0}, 20: {"time_s": 60.0, "peak_rss_mib": 4096.0}}


def child(years: int, episodes: bool, seed: int, fraction: float, memory: str = "fresh") -> None:
    """Run in this process and print the raw measurement.

    ``memory="reused"``: run twice and report the second run, whose tables take memory the first
    run's freed (backed already by the operating system): the model's own time, without the
    machine's cost of fresh memory (``fresh_memory_s_per_gib``).
    """
    t0 = time.perf_counter()
    from simulator.model import CSCModel
    from simulator.schema import load_scenario

    t_import = time.perf_counter() - t0
    sc = load_scenario(
        ROOT / "scenarios" / "england.toml",
        {"run": {"years": years, "record_episodes": episodes, "sample_fraction": fraction}},
    )
    runs = 2 if memory == "reused" else 1
    for attempt in range(runs):
        t0 = time.perf_counter()
        model = CSCModel(sc, seed=seed)
        t_build = time.perf_counter() - t0
        marks = {}

        def progress(month: int, model=model, marks=marks) -> None:
            if month == model.burn_in:
                marks["burn_in"] = time.perf_counter()

        t1 = time.perf_counter()
        model.run(progress=progress)
        t2 = time.perf_counter()
        res = model.results()
        t3 = time.perf_counter()
        last = res.annual.iloc[-1]
        if attempt < runs - 1:  # free the first run's memory for the second
            model.release()
            res.release()
            gc.collect()
    print(
        json.dumps(
            {
                "memory": memory,
                "import_s": t_import,
                "build_s": t_build,
                "burn_in_s": marks.get("burn_in", t1) - t1,
                "reported_s": t2 - marks.get("burn_in", t1),
                "run_s": t2 - t1,
                "results_s": t3 - t2,
                "families": int(model.services.capacity - model.services.M[0]),
                "table_rows": int(model.services.capacity),
                "children_final": float(last["child_population"]),
                "lac_final": float(last["lac_31_march"]),
                "peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def measure(years: int, episodes: bool, seed: int, fraction: float, memory: str = "fresh") -> dict:
    """Run :func:`child` in a subprocess and return its measurement."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--years",
        str(years),
        "--episodes",
        "on" if episodes else "off",
        "--seed",
        str(seed),
        "--sample-fraction",
        str(fraction),
        "--memory",
        memory,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


#: First touch of fresh memory, timed in a subprocess of its own (numpy's defaults, one thread).
_TOUCH = (
    "import time, numpy as np; t = time.perf_counter(); a = np.empty(2**28, np.int32); a[:] = 1; "
    "print(time.perf_counter() - t)"
)


#: Seconds between the touch and the first measurement: memory a process has just freed is backed
#: still and would speed up the next one (15 s after a 1 GiB touch gave the same slow touch time,
#: run after run, here). The touch is timed once, before any run: 15 s after England's run had
#: freed 3.7 GiB, a touch took 0.2 s a GiB, while the next England build was as slow as the first.
SETTLE_S = 15.0


def fresh_memory_s_per_gib() -> float:
    """Seconds to write 1 GiB of memory the process has not touched before.

    England's set-up writes about 3 GB for the first time, so its time depends on how fast the
    operating system backs fresh memory: about 0.3 s a GiB on an ordinary machine, 5-12 s on a
    virtual machine that hands free memory back to its host (benchmarks/README.md). Timed once
    before the runs and printed beside each England figure, so that the machine's share of it can
    be read.
    """
    out = subprocess.run([sys.executable, "-c", _TOUCH], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, nargs="*", default=[1, 20])
    ap.add_argument("--episodes", choices=["on", "off", "both"], default="both")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeats", type=int, default=1, help="subprocess runs per configuration")
    ap.add_argument("--sample-fraction", type=float, default=1.0, help="1.0 = England 1:1")
    ap.add_argument(
        "--memory",
        choices=["fresh", "reused"],
        default="fresh",
        help="reused: report a second run in the same process (the model's time without the "
        "machine's cost of fresh memory; takes twice as long)",
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.years[0], args.episodes == "on", args.seed, args.sample_fraction, args.memory)
        return
    info = machine()
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.episodes]
    touch = fresh_memory_s_per_gib()  # once, before any run (see SETTLE_S)
    time.sleep(SETTLE_S)
    for years in args.years:
        for episodes in modes:
            for r in range(args.repeats):
                m = measure(years, episodes, args.seed + r, args.sample_fraction, args.memory)
                total = m["build_s"] + m["run_s"]
                target = TARGETS.get(years, {})
                ok = total <= target.get("time_s", float("inf")) and m["peak_rss_mib"] <= target.get(
                    "peak_rss_mib", float("inf")
                )
                emit(
                    {
                        "bench": "england",
                        "years": years,
                        "record_episodes": episodes,
                        "sample_fraction": args.sample_fraction,
                        "seed": args.seed + r,
                        "total_s": round(total, 2),
                        **{k: round(v, 3) if isinstance(v, float) else v for k, v in m.items()},
                        "fresh_memory_s_per_gib": round(touch, 2),
                        "targets": target,
                        "meets_targets": ok,
                        **info,
                    }
                )


if __name__ == "__main__":
    main()
