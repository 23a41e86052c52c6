"""How much of a scenario's difference from its baseline is the lever and how much the dice.

Runs ``compare`` (the same code as ``python -m simulator compare``) and reports, for the measures
the common-random-numbers issue names, the per-run standard deviation of the paired difference
(``difference_se x sqrt(runs)``, mean over the years asked) as a share of the baseline level; and,
for reference, the same for unpaired runs (scenario run ``r`` against baseline run ``r + 1``),
which is what pairing would give if the runs shared no draws. Run from the repository root::

    .venv/bin/python benchmarks/bench_pairing.py --years 10 --runs 16 --seed 1

Also reported, ``floor_pct``: ``sqrt(|mean effect|) / baseline level``, the paired SD that would
remain if every family the lever really moves changed the measure by one and did so independently
of the others (a Poisson count of moved families, no family moved the other way). No coupling of
draws can go below it; siblings (a family moves several children) put the real floor higher.

With ``--decompose`` it runs the same paired seeds again, family by family, and splits each
stock's paired difference at 31 March into the families the lever itself touched (in any lever's
group at any month of the run: a hub's catchment, prevention's reach, a programme) and all the
others (moved only by rationing of early help places, by caseload pressure, or by a birth or an
arrival that went to another family). The first part is what pairing cannot remove: each touched
family's path really changes, and how it changes is its own chance. Keys ``touched_sd_pct`` and
``others_sd_pct`` (same measure as ``paired_sd_pct``, each part alone). Also ``floor_siblings_pct``:
the floor above with each moved family shifting the stock by as many children as families whose
count moved did in these runs (``children_per_move``, ``E[d^2] / E[|d|]``): a stock counts
children, and a family moves its children together.

Prints one JSON line. Target (issue 16): paired per-run SD at most 0.9% of the baseline level
for referrals, 1.2% for early help, 2.4% for child protection and 1.2% for looked after
(each 5x below the 4.4%, 5.8%, 11.9% and 6.1% measured before keyed draws).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from common import ROOT, emit, machine

from simulator.compare import compare, paired_seeds
from simulator.model import CSCModel
from simulator.schema import Scenario, load_scenario
from simulator.states import State

STOCKS = {"early_help_31_march": State.EARLY_HELP, "cp_31_march": State.CP, "lac_31_march": None}

MEASURES = {"referrals": 0.9, "early_help_31_march": 1.2, "cp_31_march": 2.4, "lac_31_march": 1.2}
BEFORE = {"referrals": 4.4, "early_help_31_march": 5.8, "cp_31_march": 11.9, "lac_31_march": 6.1}


def _overrides(pairs: list[str], into: dict) -> dict:
    """Dotted ``KEY=VALUE`` pairs (VALUE as JSON, else text) nested into a copy of ``into``."""
    out = json.loads(json.dumps(into))
    for pair in pairs:
        key, _, text = pair.partition("=")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        node = out
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def _snapshots(scenario: Scenario, seed: int) -> tuple[list[dict[str, dict[int, int]]], set[int]]:
    """Children by family id in each stock at each 31 March, and the families any lever touched."""
    model = CSCModel(scenario, seed=seed)
    years: list[dict[str, dict[int, int]]] = []
    touched: set[int] = set()
    while model.month < model.total_months:
        model.step()
        f = model.families
        live = f.fam_id >= 0
        touched.update(f.fam_id[live & (f.lever > 0).any(axis=1)].tolist())
        m = model.month - 1 - model.burn_in
        if m >= 0 and m % 12 == 11:
            ids = f.fam_id[live].tolist()
            snap = {}
            for measure, state in STOCKS.items():
                kids = f.n_lac[live] if state is None else np.where(f.state[live] == state, f.n_home[live], 0)
                snap[measure] = {i: int(k) for i, k in zip(ids, kids.tolist(), strict=True) if k}
            years.append(snap)
    return years, touched


def decompose(base: Scenario, scen: Scenario, runs: int, seed: int, years: list[int]) -> dict[str, dict]:
    """Per-run SD of each stock's paired difference from touched families and from the others."""
    parts: dict[str, dict[str, list]] = {m: {"touched": [], "others": [], "level": []} for m in STOCKS}
    moved: dict[str, list[float]] = {m: [0.0, 0.0] for m in STOCKS}  # sum of d^2 and |d| over moved families
    for s in paired_seeds(seed, runs):
        a, _ = _snapshots(base, s)
        b, touched = _snapshots(scen, s)
        for m in STOCKS:
            rows = []
            for y in years:
                pa, pb = a[y][m], b[y][m]
                d_t = d_o = 0
                for fid in pa.keys() | pb.keys():
                    d = pb.get(fid, 0) - pa.get(fid, 0)
                    moved[m][0] += d * d
                    moved[m][1] += abs(d)
                    if fid in touched:
                        d_t += d
                    else:
                        d_o += d
                rows.append((d_t, d_o, sum(pa.values())))
            t, o, lv = np.array(rows, dtype=float).T
            parts[m]["touched"].append(t)
            parts[m]["others"].append(o)
            parts[m]["level"].append(lv)
    out = {}
    for m, p in parts.items():
        lv = np.mean(p["level"], axis=0)
        row = {}
        for k in ("touched", "others"):
            row[f"{k}_sd_pct"] = round(float(np.mean(np.std(p[k], axis=0, ddof=1) / lv) * 100), 2)
            row[f"{k}_mean_pct"] = round(float(np.mean(np.mean(p[k], axis=0) / lv) * 100), 2)
        # children a family's move shifts: E[d^2] / E[|d|] over the families whose count moved
        size = moved[m][0] / moved[m][1] if moved[m][1] else 1.0
        mean = np.abs(np.mean(np.sum([p["touched"], p["others"]], axis=0), axis=0))
        row["children_per_move"] = round(float(size), 2)
        row["floor_siblings_pct"] = round(float(np.mean(np.sqrt(mean * size) / lv) * 100), 2)
        out[m] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=str(ROOT / "scenarios" / "baseline.toml"))
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "community_hubs.toml"))
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from-year", type=int, default=2029)
    ap.add_argument("--to-year", type=int, default=2034)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override for both runs, e.g. workforce.threshold_elasticity=0 (repeatable)",
    )
    ap.add_argument(
        "--scenario-set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override for the scenario only, e.g. levers.community_hubs.adverse_reduction=0",
    )
    ap.add_argument(
        "--decompose",
        action="store_true",
        help="also split each stock's paired difference into lever-touched families and the others",
    )
    args = ap.parse_args()
    over = {"run": {"years": args.years, "record_episodes": False}}
    both = _overrides(args.set, over)
    base = load_scenario(args.baseline, both)
    scen = load_scenario(args.scenario, _overrides(args.scenario_set, both))
    result = compare(base, scen, runs=args.runs, seed=args.seed)
    d = result.differences
    window = d[(d.year >= args.from_year) & (d.year <= args.to_year)]
    runs = result.runs
    out: dict[str, object] = {
        "bench": "pairing",
        "baseline": base.name,
        "scenario": scen.name,
        "years": args.years,
        "runs": args.runs,
        "seed": args.seed,
        "window": f"{args.from_year}-{args.to_year}",
    }
    ok = True
    for m, target in MEASURES.items():
        w = window[window.measure == m]
        paired = float((w.difference_se * np.sqrt(w.runs) / w.baseline_mean).mean() * 100)
        # unpaired: scenario run r against baseline run r + 1 (no shared draws)
        b = runs[runs.which == "baseline"].pivot(index="year", columns="run", values=m)
        s = runs[runs.which == "scenario"].pivot(index="year", columns="run", values=m)
        years = [y for y in b.index if args.from_year <= y <= args.to_year]
        unpaired = float(
            np.mean(
                [
                    np.std(s.loc[y].to_numpy() - np.roll(b.loc[y].to_numpy(), 1), ddof=1)
                    / b.loc[y].mean()
                    * 100
                    for y in years
                ]
            )
        )
        effect = float((w.difference_mean / w.baseline_mean).mean() * 100)
        floor = float((np.sqrt(w.difference_mean.abs()) / w.baseline_mean).mean() * 100)
        out[m] = {
            "paired_sd_pct": round(paired, 2),
            "unpaired_sd_pct": round(unpaired, 2),
            "mean_effect_pct": round(effect, 2),
            "floor_pct": round(floor, 2),
            "target_pct": target,
            "before_pct": BEFORE[m],
        }
        ok &= paired <= target
    out["meets_target"] = bool(ok)
    if args.decompose:
        first = base.run.start_year + 1
        years = [y - first for y in range(args.from_year, args.to_year + 1) if 0 <= y - first < args.years]
        for m, part in decompose(base, scen, args.runs, args.seed, years).items():
            out[m] |= part  # type: ignore[operator]
    emit({**out, **machine()})


if __name__ == "__main__":
    main()
