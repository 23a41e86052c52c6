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


#: The monthly table's whole-number columns (the rest are float).
INT_COLUMNS = ("month", "reporting_year", "calendar_month")


def monthly_frame(rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """A monthly table from its rows: ``INT_COLUMNS`` as integers, the rest as floats.

    Built column by column (``astype`` on a built frame copies it all: 4 ms against 0.5).
    """
    return pd.DataFrame(
        {c: rows[:, i].astype(np.int64) if c in INT_COLUMNS else rows[:, i] for i, c in enumerate(columns)}
    )


class _Years:
    """A monthly table's reporting years: each column summed, or read at 31 March, by year.

    Sums skip missing values (a year with none sums to 0) and a year's last value is its last
    one present, as pandas' ``groupby(...).sum()`` and ``.last()``; in numpy on the few columns
    the annual table reads (the app redraws from this after every move).
    """

    def __init__(self, monthly: pd.DataFrame):
        numeric = [c for c, dt in monthly.dtypes.items() if dt.kind in "biuf"]  # not the stamps
        self.where = {c: i for i, c in enumerate(numeric)}
        self.values = monthly[numeric].to_numpy(dtype=float)  # one array: columns by position
        years = monthly["reporting_year"].to_numpy()
        self.order = np.argsort(years, kind="stable")
        ys = years[self.order]
        self.starts = np.flatnonzero(np.r_[True, ys[1:] != ys[:-1]]) if ys.size else np.zeros(0, np.int64)
        self.years = ys[self.starts]

    def _col(self, name: str) -> np.ndarray:
        return self.values[self.order, self.where[name]]

    def total(self, *names: str) -> np.ndarray:
        """The yearly sum of the columns ``names`` taken together."""
        x = sum((np.nan_to_num(self._col(n)) for n in names), np.zeros(len(self.order)))
        return np.add.reduceat(x, self.starts) if self.starts.size else np.zeros(0)

    def last(self, name: str) -> np.ndarray:
        """Each year's last value present in column ``name`` (NaN if none)."""
        x = self._col(name)
        ok = ~np.isnan(x)
        pos = np.where(ok, np.arange(x.size), -1)
        at = np.maximum.reduceat(pos, self.starts) if self.starts.size else np.zeros(0, np.int64)
        return np.where(at >= 0, x[np.maximum(at, 0)], np.nan)


def _flow_columns(src: list[str], dst: list[str]) -> list[str]:
    return [f"flow_{a}_{b}" for a in src for b in dst if a != b]


def annual_from_monthly(monthly: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a (scaled) monthly table into reporting years ending 31 March."""
    states = [s.name for s in State]
    y = _Years(monthly)
    total, last = y.total, y.last
    out: dict[str, np.ndarray] = {}  # columns gathered first: one DataFrame build
    out["year"] = y.years.astype(np.int64)
    out["child_population"] = last("child_population")
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
        out[col] = total(col)
    out["early_help_31_march"] = last("children_EARLY_HELP")
    out["early_help_starts"] = total(*_flow_columns(["UNIVERSAL", "IN"], ["EARLY_HELP"]))
    out["cin_31_march"] = last("children_CIN") + last("children_CP") + last("children_LAC")
    out["cin_plans_31_march"] = last("children_CIN")
    out["cin_starts"] = total(*_flow_columns(["UNIVERSAL", "EARLY_HELP", "IN"], ["CIN", "CP", "LAC"]))
    out["cp_31_march"] = last("children_CP")
    out["cp_starts"] = total(*_flow_columns([*states, "IN"], ["CP"]))
    out["cp_ends"] = total(*_flow_columns(["CP"], [*states, "OUT"]))
    out["lac_31_march"] = last("children_LAC")
    out["lac_starts"] = total(*_flow_columns([*states, "IN"], ["LAC"]))
    out["lac_ceases"] = total(*_flow_columns(["LAC"], [*states, "OUT"]))
    out["unmet_high_need_31_march"] = last("unmet_high_need")
    out["hidden_high_need_31_march"] = last("hidden_high_need")
    out["families_31_march"] = last("families")
    for p in Placement:
        if p != Placement.NONE:
            out[f"lac_{p.name.lower()}_31_march"] = last(f"lac_{p.name}")
    for s in LegalStatus:
        out[f"lac_{s.name.lower()}_31_march"] = last(f"lac_{s.name}")
    # activity over the year (for costs): sums of month-end stocks
    out["early_help_family_months"] = total("families_EARLY_HELP")
    out["early_help_child_months"] = total("children_EARLY_HELP")
    out["cin_child_months"] = total("children_CIN")
    out["cp_child_months"] = total("children_CP")
    out["lac_child_months"] = total("children_LAC")
    for p in Placement:
        if p != Placement.NONE:
            out[f"lac_{p.name.lower()}_child_months"] = total(f"lac_{p.name}")
    with np.errstate(divide="ignore", invalid="ignore"):
        per10k = 10_000 / out["child_population"]
        for name, col in (
            ("referrals", "referrals"),
            ("section47", "section47_enquiries"),
            ("cin", "cin_31_march"),
            ("cp", "cp_31_march"),
            ("lac", "lac_31_march"),
            ("lac_starts", "lac_starts"),
            ("lac_ceases", "lac_ceases"),
        ):
            out[f"{name}_per_10k"] = out[col] * per10k
        refs = out["referrals"]
        out["re_referral_rate"] = out["re_referrals_within_12_months"] / np.where(refs > 0, refs, np.nan)
    return pd.DataFrame({c: out[c] for c in ANNUAL_COLUMNS})


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
        monthly = monthly_frame(table[table[:, 0] >= 0] * factor, columns)
        annual = annual_from_monthly(monthly)
        # only complete years are reported
        years, months = np.unique(monthly["reporting_year"].to_numpy(), return_counts=True)
        annual = annual[annual["year"].isin(years[months == 12])].reset_index(drop=True)
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

    def release(self) -> None:
        """Free the run's model arrays now (:meth:`simulator.model.CSCModel.release`).

        The tables (annual, monthly, equity, policy) stay; episodes not yet built are no longer
        available.
        """
        model, self._model = self._model, None
        if model is not None:
            model.release()
            self.meta["_released"] = True

    @property
    def episodes(self) -> pd.DataFrame:
        """Child episodes (built on first use; needs ``run.record_episodes``)."""
        if "_episodes" not in self.meta and self.meta.get("_released"):
            raise ValueError("the run's arrays were released (Results.release): take episodes before")
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
