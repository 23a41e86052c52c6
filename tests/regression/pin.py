"""Known answers for ``tests/test_regression.py``: what the engine and the expected-value view
give for fixed scenarios and seeds (SALib's ``tests/test_regression.py`` is the model).

A change that moves results on purpose re-pins them, and its commit says why::

    .venv/bin/python tests/regression/pin.py

which rewrites ``engine.json`` (a SHA-256 of each run's annual table, as written to annual.csv,
with a few headline figures to read) and ``view_*.csv`` (the view's annual tables).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

#: Five scenarios (baseline and each lever) and two seeds; short runs of the typical LA.
SCENARIOS = (
    "baseline",
    "community_hubs",
    "prevention_investment",
    "risk_aversion_shock",
    "troubled_families_continued",
)
SEEDS = (1, 2024)
YEARS = 4
#: The expected-value view: the baseline and the levers it carries.
VIEW_SCENARIOS = (
    "baseline",
    "community_hubs",
    "prevention_investment",
    "risk_aversion_shock",
    "troubled_families_continued",
)
VIEW_YEARS = 10
HEADLINES = ("referrals", "cp_31_march", "lac_31_march", "early_help_31_march")
#: Columns that record the machine, not the model.
VOLATILE = ("version",)


def load(name: str, years: int):
    from simulator.schema import load_scenario

    return load_scenario(
        ROOT / "scenarios" / f"{name}.toml", {"run": {"years": years, "record_episodes": False}}
    )


def engine_table(name: str, seed: int) -> pd.DataFrame:
    """The engine's annual table for a scenario and seed (without the volatile columns)."""
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    model = CSCModel(with_overrides(load(name, YEARS), {"run": {"seed": seed}}))
    model.run()
    return model.results().annual.drop(columns=[c for c in VOLATILE if c in model.results().annual])


def digest(table: pd.DataFrame) -> str:
    """SHA-256 of the table as annual.csv writes it."""
    return hashlib.sha256(table.to_csv(index=False, float_format="%.6g").encode()).hexdigest()


def view_table(name: str) -> pd.DataFrame:
    """The expected-value view's annual table (numeric columns)."""
    from simulator.aggregate import run_aggregate

    annual = run_aggregate(load(name, VIEW_YEARS)).annual
    return annual.select_dtypes("number")


def main() -> None:
    pins = {}
    for name in SCENARIOS:
        for seed in SEEDS:
            table = engine_table(name, seed)
            last = table.iloc[-1]
            pins[f"{name}/{seed}"] = {"sha256": digest(table), **{h: float(last[h]) for h in HEADLINES}}
            print(name, seed, pins[f"{name}/{seed}"]["sha256"][:12])
    (HERE / "engine.json").write_text(json.dumps({"years": YEARS, "runs": pins}, indent=1) + "\n")
    for name in VIEW_SCENARIOS:
        view_table(name).to_csv(HERE / f"view_{name}.csv", index=False, float_format="%.17g")
        print("view", name)


if __name__ == "__main__":
    main()
