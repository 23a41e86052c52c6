"""Tidy results of a run: annual and monthly tables, episodes, equity; stamped.

Counting follows the DfE (``docs/COUNTING.md``): the reporting year ends on
31 March; "children in need at 31 March" counts children on CIN plans, on
protection plans and in care; referrals, assessments and section 47 enquiries
count children; a re-referral is a referral within 12 months of the family's
previous referral. Every table carries ``scenario``, ``seed`` and ``version``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.agents.episodes import episodes_frame
from simulator.safe_io import atomic_dir, neutralise_frame
from simulator.states import LegalStatus, Placement, State

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView
    from simulator.schema import Scenario

try:
    __version__ = version("csc-demand-simulator")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"

#: The annual table's columns, in order (counts of children unless stated).
ANNUAL_COLUMNS = (
    [
        "year",
        "child_population",
        "referrals",
        "re_referrals_within_12_months",
        "assessments",
        "section47_enquiries",
        "initial_cp_conferences",
        "early_help_31_march",
        "early_help_starts",
        "cin_31_march",
        "cin_plans_31_march",
        "cin_starts",
        "cp_31_march",
        "cp_starts",
        "cp_ends",
        "lac_31_march",
        "lac_starts",
        "lac_ceases",
        "uasc_starts",
        "adoptions",
        "special_guardianship",
        "returned_home",
        "care_leavers",
        "left_care_otherwise",
        "emergency_removals",
        "removals_at_birth",
        "removals_after_birth",
        "lac_starts_under_1",
        "placement_moves",
        "unmet_high_need_31_march",
        "hidden_high_need_31_march",
        "early_help_turned_away",
        "adverse_events",
        "families_31_march",
    ]
    + [f"lac_{p.name.lower()}_31_march" for p in Placement if p != Placement.NONE]
    + [f"lac_{s.name.lower()}_31_march" for s in LegalStatus]
    + [
        "early_help_family_months",
        "early_help_child_months",
        "cin_child_months",
        "cp_child_months",
        "lac_child_months",
    ]
    + [f"lac_{p.name.lower()}_child_months" for p in Placement if p != Placement.NONE]
    + [
        "referrals_per_10k",
        "section47_per_10k",
        "cin_per_10k",
        "cp_per_10k",
        "lac_per_10k",
        "lac_starts_per_10k",
        "lac_ceases_per_10k",
        "re_referral_rate",
    ]
)
STAMP = ["scenario", "seed", "version"]


def _flow(monthly: pd.DataFrame, src: str | list[str], dst: str | list[str]) -> pd.Series:
    src = [src] if isinstance(src, str) else src
    dst = [dst] if isinstance(dst, str) else dst
    return sum(monthly[f"flow_{a}_{b}"] for a in src for b in dst if a != b)


def annual_from_monthly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a (scaled) monthly table into reporting years ending 31 March."""
    states = [s.name for s in State]
    flows = pd.DataFrame(
        {
            "cp_in": _flow(monthly, [*states, "IN"], "CP"),
            "cp_out": _flow(monthly, "CP", [*states, "OUT"]),
            "lac_in": _flow(monthly, [*states, "IN"], "LAC"),
            "lac_out": _flow(monthly, "LAC", [*states, "OUT"]),
            "eh_in": _flow(monthly, ["UNIVERSAL", "IN"], "EARLY_HELP"),
            "cin_in": _flow(monthly, ["UNIVERSAL", "EARLY_HELP", "IN"], ["CIN", "CP", "LAC"]),
        },
        index=monthly.index,
    )
    m = pd.concat([monthly, flows], axis=1)  # one join (assign inserts column by column)
    g = m.groupby("reporting_year", sort=True)
    last = g.last()
    total = g.sum(numeric_only=True)
    out: dict[str, pd.Series] = {}  # columns gathered first: one DataFrame build, not ~70 inserts
    out["year"] = pd.Series(last.index.astype(int), index=last.index)
    out["child_population"] = last["child_population"]
    for col in (
        "referrals",
        "re_referrals_within_12_months",
        "assessments",
        "section47_enquiries",
        "initial_cp_conferences",
        "uasc_starts",
        "adoptions",
        "special_guardianship",
        "returned_home",
        "care_leavers",
        "left_care_otherwise",
        "emergency_removals",
        "removals_at_birth",
        "removals_after_birth",
        "lac_starts_under_1",
        "placement_moves",
        "early_help_turned_away",
        "adverse_events",
    ):
        out[col] = total[col]
    out["early_help_31_march"] = last["children_EARLY_HELP"]
    out["early_help_starts"] = total["eh_in"]
    out["cin_31_march"] = last["children_CIN"] + last["children_CP"] + last["children_LAC"]
    out["cin_plans_31_march"] = last["children_CIN"]
    out["cin_starts"] = total["cin_in"]
    out["cp_31_march"] = last["children_CP"]
    out["cp_starts"] = total["cp_in"]
    out["cp_ends"] = total["cp_out"]
    out["lac_31_march"] = last["children_LAC"]
    out["lac_starts"] = total["lac_in"]
    out["lac_ceases"] = total["lac_out"]
    out["unmet_high_need_31_march"] = last["unmet_high_need"]
    out["hidden_high_need_31_march"] = last["hidden_high_need"]
    out["families_31_march"] = last["families"]
    for p in Placement:
        if p != Placement.NONE:
            out[f"lac_{p.name.lower()}_31_march"] = last[f"lac_{p.name}"]
    for s in LegalStatus:
        out[f"lac_{s.name.lower()}_31_march"] = last[f"lac_{s.name}"]
    # activity over the year (for costs): sums of month-end stocks
    out["early_help_family_months"] = total["families_EARLY_HELP"]
    out["early_help_child_months"] = total["children_EARLY_HELP"]
    out["cin_child_months"] = total["children_CIN"]
    out["cp_child_months"] = total["children_CP"]
    out["lac_child_months"] = total["children_LAC"]
    for p in Placement:
        if p != Placement.NONE:
            out[f"lac_{p.name.lower()}_child_months"] = total[f"lac_{p.name}"]
    per10k = 10_000 / out["child_population"]
    out["referrals_per_10k"] = out["referrals"] * per10k
    out["section47_per_10k"] = out["section47_enquiries"] * per10k
    out["cin_per_10k"] = out["cin_31_march"] * per10k
    out["cp_per_10k"] = out["cp_31_march"] * per10k
    out["lac_per_10k"] = out["lac_31_march"] * per10k
    out["lac_starts_per_10k"] = out["lac_starts"] * per10k
    out["lac_ceases_per_10k"] = out["lac_ceases"] * per10k
    out["re_referral_rate"] = out["re_referrals_within_12_months"] / out["referrals"].where(
        out["referrals"] > 0
    )
    return pd.DataFrame(out, index=last.index)[ANNUAL_COLUMNS].reset_index(drop=True)


def settings_hash(scenario: Scenario) -> str:
    """Short hash of a full scenario (all parameters after overrides)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scenario_hash(model: ModelView) -> str:
    """Short hash of the model's full scenario (:func:`settings_hash`)."""
    return settings_hash(model.scenario)


@dataclass
class Results:
    """The tables of one run. Counts are scaled up by 1/``sample_fraction``."""

    annual: pd.DataFrame
    monthly: pd.DataFrame
    equity: pd.DataFrame
    policy: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    _model: Any = None

    @classmethod
    def from_model(cls, model: ModelView) -> Results:
        """Collect the tables from a model that has been run."""
        columns = model.monthly_columns()
        table = model.monthly_table()
        keep = {"month", "reporting_year", "calendar_month", "risk_index", "caseload_pressure"}
        factor = np.array([1.0 if c in keep else model.scale for c in columns])
        monthly = pd.DataFrame(table[table[:, 0] >= 0] * factor, columns=columns)
        monthly = monthly.astype({"month": int, "reporting_year": int, "calendar_month": int})
        annual = annual_from_monthly(monthly)
        # only complete years are reported
        full = monthly.groupby("reporting_year")["month"].count() == 12
        annual = annual[annual["year"].isin(full[full].index)].reset_index(drop=True)
        equity = pd.DataFrame(model.equity_rows)
        if not equity.empty:
            cols = [c for c in equity.columns if c not in ("year", "deprivation_quintile")]
            equity[cols] = equity[cols] * model.scale
        policy = pd.DataFrame(model.policy_rows)
        meta = {
            "scenario": model.scenario.name,
            "seed": model.seed,
            "version": __version__,
            "scenario_hash": scenario_hash(model),
            "sample_fraction": model.scenario.run.sample_fraction,
            "start_year": model.scenario.run.start_year,
            "years": model.scenario.run.years,
        }
        res = cls(annual, monthly, equity, policy, meta, model)
        for df in (res.annual, res.monthly, res.equity, res.policy):
            if not df.empty:
                for key in STAMP:
                    df[key] = meta[key]
        return res

    @property
    def episodes(self) -> pd.DataFrame:
        """Child episodes (built on first use; needs ``run.record_episodes``)."""
        if self._model is None or not self._model.services.keep_logs:
            raise ValueError("episodes were not recorded: set run.record_episodes = true")
        if "_episodes" not in self.meta:
            df = episodes_frame(self._model)
            for key in STAMP:
                df[key] = self.meta[key]
            self.meta["_episodes"] = df
        return self.meta["_episodes"]

    def write(
        self, out: str | Path, wall_time: float | None = None, overwrite: bool = False
    ) -> dict[str, Path]:
        """Write annual.csv, monthly.csv, episodes.csv (if recorded) and run.json to the folder ``out``.

        The folder holds one complete run or is left as it was: the tables are written into a
        hidden folder beside it, renamed into place once complete (:func:`simulator.safe_io.atomic_dir`).
        A folder that holds anything is refused (:class:`~simulator.safe_io.OutputError`) unless
        ``overwrite``, which replaces its whole contents (an earlier run's episodes.csv does not
        survive beside new tables). Text cells that a spreadsheet would run as a formula are
        neutralised (:func:`simulator.safe_io.neutralise`).
        """
        out = Path(out)
        tables = {"annual": self.annual, "monthly": self.monthly}
        if not self.equity.empty:
            tables["equity"] = self.equity
        if not self.policy.empty:
            tables["policy"] = self.policy
        if self._model is not None and self._model.services.keep_logs:
            tables["episodes"] = self.episodes
        info = {k: v for k, v in self.meta.items() if not k.startswith("_")}
        info["wall_time_seconds"] = None if wall_time is None else round(wall_time, 3)
        info["scenario_parameters"] = self._model.scenario.model_dump(mode="json") if self._model else None
        paths = {name: out / f"{name}.csv" for name in tables}
        paths["run"] = out / "run.json"
        with atomic_dir(out, overwrite) as tmp:
            for name, df in tables.items():
                fmt = {} if name == "episodes" else {"float_format": "%.6g"}
                neutralise_frame(df).to_csv(tmp / f"{name}.csv", index=False, **fmt)
            (tmp / "run.json").write_text(json.dumps(info, indent=2, sort_keys=True))
        return paths
