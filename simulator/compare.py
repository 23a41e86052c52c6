"""Scenario against baseline with common random numbers (paired seeds).

Run ``r`` of the baseline and run ``r`` of the scenario share a seed drawn
from one ``numpy.random.SeedSequence``, so their burn-in is identical and the
difference between them is mostly the scenario's effect rather than noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.model import CSCModel
from simulator.results import STAMP
from simulator.schema import Scenario
from simulator.seeding import replicate_seeds


def paired_seeds(seed: int, runs: int) -> list[int]:
    """``runs`` replicate seeds from one master seed (:func:`simulator.seeding.replicate_seeds`)."""
    return replicate_seeds(seed, runs)


@dataclass
class Comparison:
    """Per-run annual tables of both scenarios and the per-year differences."""

    runs: pd.DataFrame
    differences: pd.DataFrame
    seeds: list[int]


def measures(annual: pd.DataFrame) -> list[str]:
    """The numeric annual measures compared (everything but the year and stamps)."""
    return [
        c for c in annual.columns if c not in ("year", *STAMP) and pd.api.types.is_numeric_dtype(annual[c])
    ]


def check_pair(baseline: Scenario, scenario: Scenario, source: str = "compare") -> None:
    """Refuse a baseline and scenario that cannot be compared family by family.

    They must cover the same years and be the same area simulated at the same scale: a lever's
    effect is the difference between two runs of one area, not between two areas.
    """
    from simulator.schema import ScenarioError

    problems = []
    for name, a, b in (
        ("run.years", scenario.run.years, baseline.run.years),
        ("run.start_year", scenario.run.start_year, baseline.run.start_year),
        ("population.children", scenario.population.children, baseline.population.children),
        ("run.sample_fraction", scenario.run.sample_fraction, baseline.run.sample_fraction),
    ):
        if a != b:
            why = (
                "compare them over the same years (--years sets both)"
                if name.startswith("run.") and "year" in name
                else "a baseline must be the same area at the same scale (for a calibrated authority, "
                "compare with its own preset, e.g. scenarios/la/kent.toml, and base the scenario on it)"
            )
            problems.append(f"{name} differs: scenario {a}, baseline {b}; {why}")
    if problems:
        raise ScenarioError(problems, source=source)


def compare(
    baseline: Scenario,
    scenario: Scenario,
    runs: int = 10,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Run both scenarios ``runs`` times with paired seeds and summarise the differences.

    Returns:
        A :class:`Comparison`: ``runs`` (long table: run, seed, which, year, measures) and
        ``differences`` (year, measure, baseline and scenario means, mean difference, its
        standard error and 95% interval (Student's t with ``runs - 1`` degrees of freedom), and the
        5th-95th percentile of run differences).
    """
    check_pair(baseline, scenario)
    seeds = paired_seeds(seed, runs)
    tables = []
    for r, s in enumerate(seeds):
        for which, sc in (("baseline", baseline), ("scenario", scenario)):
            model = CSCModel(sc, seed=s)
            model.run()
            annual = model.results().annual
            model.release()  # the next run reuses this one's memory
            annual.insert(0, "which", which)
            annual.insert(0, "run", r)
            tables.append(annual)
            if progress is not None:
                progress(1)
    long = pd.concat(tables, ignore_index=True)
    cols = measures(long.drop(columns=["run", "which"]))
    base = long[long.which == "baseline"].set_index(["run", "year"])[cols]
    scen = long[long.which == "scenario"].set_index(["run", "year"])[cols]
    diff = (scen - base).reset_index()
    # the 95% interval of the mean difference from Student's t with runs - 1 degrees of freedom:
    # with few runs 1.96 standard errors is far too narrow (4 runs: 3.18; 10 runs: 2.26)
    from scipy.stats import t as student_t  # here: scipy.stats takes a few tenths of a second to load

    t95 = float(student_t.ppf(0.975, runs - 1)) if runs > 1 else np.nan
    rows = []
    for year, grp in diff.groupby("year"):
        b = base.xs(year, level="year")
        sc_ = scen.xs(year, level="year")
        for c in cols:
            d = grp[c].to_numpy(dtype=float)
            se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.nan
            rows.append(
                {
                    "year": int(year),
                    "measure": c,
                    "baseline_mean": float(b[c].mean()),
                    "scenario_mean": float(sc_[c].mean()),
                    "difference_mean": float(d.mean()),
                    "difference_se": float(se),
                    "ci95_low": float(d.mean() - t95 * se),
                    "ci95_high": float(d.mean() + t95 * se),
                    "difference_p05": float(np.percentile(d, 5)),
                    "difference_p95": float(np.percentile(d, 95)),
                    "runs": int(d.size),
                }
            )
    differences = pd.DataFrame(rows)
    differences["baseline"] = baseline.name
    differences["scenario"] = scenario.name
    return Comparison(runs=long, differences=differences, seeds=seeds)
