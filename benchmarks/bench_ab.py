"""Two checkouts of the code, timed alternately: the typical LA, 20 years, process CPU time.

The machine's speed drifts by 20-30% within an hour, so a change is timed against the code
before it in the same minutes: each round runs one fresh process per checkout (the old one
first), each taking the minimum of ``--runs`` runs after a warm-up. Prepare the old checkout
with ``git worktree add --detach /tmp/old <commit>`` and compile it once
(``PYTHONPATH=/tmp/old .venv/bin/python -m simulator.warm``). Run from the repository root::

    .venv/bin/python benchmarks/bench_ab.py /tmp/old . --rounds 5 --runs 7

Prints one JSON line per process and a summary line (means over rounds, and in how many rounds
the second checkout was faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import emit, machine

CHILD = """
import sys, time
from simulator.model import CSCModel
from simulator.schema import load_scenario
sc = load_scenario(sys.argv[1])
CSCModel(sc, seed=1).run()
best = float("inf")
for i in range(int(sys.argv[2])):
    c0 = time.process_time()
    CSCModel(sc, seed=100 + i).run()
    best = min(best, time.process_time() - c0)
print(best)
"""


def one(tree: Path, scenario: str, runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, scenario, str(runs)], cwd=tree, env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"{tree}: {out.stderr.strip().splitlines()[-1] if out.stderr else 'failed'}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    args = ap.parse_args()
    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for name in ("old", "new"):
            t = one(getattr(args, name).resolve(), args.scenario, args.runs)
            times[name].append(t)
            print(json.dumps({"round": r, "tree": name, "min_cpu_s": round(t, 4)}), flush=True)
    faster = sum(n < o for o, n in zip(times["old"], times["new"], strict=True))
    emit(
        {
            "bench": "ab",
            "scenario": args.scenario,
            "old": str(args.old),
            "new": str(args.new),
            "old_mean_s": round(statistics.mean(times["old"]), 4),
            "new_mean_s": round(statistics.mean(times["new"]), 4),
            "new_faster_rounds": f"{faster} of {args.rounds}",
            **machine(),
        }
    )


if __name__ == "__main__":
    main()
