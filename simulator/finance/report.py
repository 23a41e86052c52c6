"""The invest-to-save report and its Excel workbook and charts.

The central appraisal, Monte Carlo, tornado and switching values; the workbook has the sheets
Summary, Assumptions, Levers, Cashflow, Sensitivity and Provenance; PNG charts go beside it.
The workbook is for audit (a Section 151 officer's): the cash flow's derived columns, the
discount factors, NPV and payback are live formulas over the two runs' costs and the finance
inputs, so each figure can be traced and checked in Excel.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import platform
import subprocess
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.finance.appraisal import BASES, LONG_RATE_FROM, NO_FLOWS, Appraisal, format_payback
from simulator.finance.costs import DEMAND_LINES, INVESTMENT_LINES, unit_cost_table
from simulator.finance.uncertainty import (
    ModelRunner,
    MonteCarlo,
    active_levers,
    draw_seeds,
    monte_carlo,
    percentiles,
    switching_values,
    tornado,
)
from simulator.results import __version__
from simulator.safe_io import (
    FORMULA_STARTS,
    atomic_path,
    check_output_file,
    neutralise,
    plain_formula,
    write_with,
)
from simulator.schema import Scenario, series_values
from simulator.seeding import replicate_seeds

#: The workbook's sheets, in order.
SHEETS = ("Summary", "Assumptions", "Levers", "Cashflow", "Sensitivity", "Provenance")
#: Columns of the Cashflow sheet that are flows (their Total row is the sum over years).
FLOW_PREFIXES = (
    "baseline_",
    "scenario_",
    "change_",
    "investment",
    "avoided_",
    "benefit_",
    "net_cost_",
    "discounted_net_cost_",
)


@dataclass
class PaybackReport:
    """Everything the workbook and charts show.

    Attributes:
        scenario: the scheme.
        baseline: the counterfactual.
        central: the appraisal at central inputs, averaged over ``central_seeds``.
        unit_costs: the unit-cost table (:func:`simulator.finance.costs.unit_cost_table`).
        monte_carlo: Monte Carlo results (None if no runs were asked for).
        tornado: one-at-a-time sensitivity (None if skipped).
        switching: switching values (None if skipped).
        central_seeds: seeds of the central estimate.
        seed: the master seed.
        within_years: N of "payback within N years".
        basis: headline view (``net`` by default).
        provenance: version, seeds, file hashes, command.
        central_by_seed: NPV and payback of each central seed alone (how far chance moves
            the central estimate), with ``attrs["npv_se"]`` the standard error of the mean NPV.
    """

    scenario: Scenario
    baseline: Scenario
    central: Appraisal
    unit_costs: pd.DataFrame
    monte_carlo: MonteCarlo | None
    tornado: pd.DataFrame | None
    switching: pd.DataFrame | None
    central_seeds: list[int]
    seed: int
    within_years: int
    basis: str = "net"
    provenance: dict[str, Any] = field(default_factory=dict)
    central_by_seed: pd.DataFrame | None = None

    def summary_table(self) -> pd.DataFrame:
        """Measures by view (gross, net, cashable) with payback in words."""
        m = self.central.measures
        h, start = self.central.horizon, self.central.start_year
        rows = []
        labels = {
            "total_costs": "costs (undiscounted, GBP)",
            "total_benefits": "avoided costs (undiscounted, GBP)",
            "pv_costs": "PV of costs (GBP)",
            "pv_benefits": "PV of avoided costs (GBP)",
            "npv": "NPV (GBP)",
            "bcr": "benefit-cost ratio",
            "roi": "financial ROI",
        }
        for key, label in labels.items():
            rows.append({"measure": label, **{b: _num(m.loc[key, b]) for b in BASES}})
        for key, label in (
            ("payback_years", "payback (cash, undiscounted)"),
            ("discounted_payback_years", "payback (discounted)"),
        ):
            rows.append(
                {"measure": label, **{b: format_payback(float(m.loc[key, b]), h, start) for b in BASES}}
            )
        return pd.DataFrame(rows)


def _num(x: float) -> float | str:
    return "n/a" if isinstance(x, float) and math.isnan(x) else float(x)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scenario_files(path: str | Path) -> list[Path]:
    """A scenario file and the chain of files it is based on (``base``)."""
    out, p = [], Path(path)
    while True:
        out.append(p)
        base = _base_of(p)
        if not base:
            return out
        p = p.parent / base


def _base_of(path: Path) -> str | None:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("base")
    except (OSError, tomllib.TOMLDecodeError):
        return None


def _git_commit() -> str:
    try:
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def scenario_digest(scenario: Scenario) -> str:
    """Short hash of every parameter of a scenario (as in run outputs)."""
    import json

    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def payback_report(
    scenario: Scenario,
    baseline: Scenario,
    *,
    runs: int = 20,
    seed: int = 42,
    within_years: int | None = None,
    central_seeds: int = 8,
    sensitivity: bool = True,
    basis: str = "net",
    runner: ModelRunner | None = None,
    scenario_path: str | Path | None = None,
    baseline_path: str | Path | None = None,
    command: Sequence[str] | None = None,
) -> PaybackReport:
    """Appraise a scheme against its baseline, with uncertainty.

    Args:
        scenario: the scheme (its ``costs`` and ``finance`` sections are used).
        baseline: the counterfactual (same run length and start year).
        runs: Monte Carlo runs (0 = none); each runs the model twice.
        seed: master seed: the central seeds are its first replicate seeds and the Monte Carlo's its
            first ``runs`` (:func:`simulator.seeding.replicate_seeds`), each paired with the baseline.
        within_years: N in "payback within N years" (default ``finance.payback_horizon_years``).
        central_seeds: seeds averaged for the central estimate, tornado and switching values
            (paired runs drift apart, so one seed's NPV is noisy: see ``central_by_seed``).
        sensitivity: run the tornado and switching values.
        basis: headline view for the charts, tornado and switching values.
        runner: a :class:`ModelRunner` (e.g. with a progress callback).
        scenario_path: the scenario file (hashed into the provenance).
        baseline_path: the baseline file (hashed into the provenance).
        command: the command line (recorded).

    Returns:
        The :class:`PaybackReport`.
    """
    from simulator.compare import check_pair

    check_pair(baseline, scenario, source="payback")
    runner = runner or ModelRunner()
    within = int(within_years if within_years is not None else scenario.finance.payback_horizon_years)
    seeds = replicate_seeds(seed, max(1, central_seeds))
    from simulator.finance.uncertainty import appraise_runs

    table = unit_cost_table(scenario)
    central = appraise_runs(scenario, baseline, seeds, runner, unit_costs=table)
    by_seed = seed_table(scenario, baseline, seeds, runner, table, basis, saves=line_treatment(central))
    mc = (
        monte_carlo(scenario, baseline, runs=runs, seed=seed, runner=runner, within_years=within, basis=basis)
        if runs > 0
        else None
    )
    tor = sw = None
    if sensitivity:
        tor = tornado(scenario, baseline, seeds=seeds, runner=runner, basis=basis)
        sw = switching_values(
            scenario, baseline, seeds=seeds, runner=runner, within_years=within, basis=basis
        )
    files = {}
    for label, path in (("scenario", scenario_path), ("baseline", baseline_path)):
        if path is not None:
            for i, p in enumerate(scenario_files(path)):
                files[f"{label} file{'' if i == 0 else f' (base {i})'}"] = (str(p), file_sha256(p))
    prov = {
        "simulator version": __version__,
        "git commit": _git_commit(),
        "created (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join(command) if command else "",
        "scenario": scenario.name,
        "baseline": baseline.name,
        "scenario parameters hash": scenario_digest(scenario),
        "baseline parameters hash": scenario_digest(baseline),
        "levers changed": ", ".join(active_levers(scenario, baseline)) or "none",
        "master seed": seed,
        "central seeds": ", ".join(map(str, seeds)),
        "Monte Carlo runs": runs,
        "Monte Carlo seeds": ", ".join(map(str, draw_seeds(seed, runs))) if runs else "",
        "model runs": runner.runs,
        "years": scenario.run.years,
        "start year (31 March position)": scenario.run.start_year,
        "sample fraction": scenario.run.sample_fraction,
        "python": platform.python_version(),
        "numpy / pandas": f"{np.__version__} / {pd.__version__}",
        "platform": sys.platform,
        "files": files,
    }
    return PaybackReport(
        scenario, baseline, central, table, mc, tor, sw, seeds, int(seed), within, basis, prov, by_seed
    )


def settled(report: PaybackReport) -> bool:
    """Whether the central NPV is at least two standard errors (over the central seeds) from zero."""
    bs = report.central_by_seed
    if bs is None or len(bs) < 2:
        return True
    se = float(bs.attrs.get("npv_se", math.nan))
    return not math.isfinite(se) or abs(report.central.npv(report.basis)) >= 2 * se


def line_treatment(appraisal: Appraisal) -> dict[str, bool]:
    """Whether each demand line of an appraisal counts as a saving (avoided cost over the horizon >= 0)."""
    return {line: bool(appraisal.cashflow[f"avoided_{line}"].sum() >= 0) for line in DEMAND_LINES}


def seed_table(
    scenario: Scenario,
    baseline: Scenario,
    seeds: Sequence[int],
    runner: ModelRunner,
    unit_costs: pd.DataFrame,
    basis: str = "net",
    saves: Mapping[str, bool] | None = None,
) -> pd.DataFrame:
    """NPV and payback of each paired seed alone, and the standard error of the mean NPV.

    With ``saves`` (:func:`line_treatment` of the central estimate) each seed treats each demand
    line as the central estimate does (a saving, shrunk in the net and cashable views, or extra
    demand, counted in full), so the seeds' NPVs average to the central NPV in every view; a
    seed's own treatment could differ where a line saves in one seed and costs in another.

    Args:
        scenario: the scheme.
        baseline: the counterfactual.
        seeds: the central seeds (their runs are cached, so this costs no new model runs).
        runner: the caching :class:`ModelRunner`.
        unit_costs: the unit-cost table.
        basis: the view whose standard error is stored in ``attrs["npv_se"]``.
        saves: each demand line's treatment (:func:`line_treatment`); by default each seed's own.

    Returns:
        One row per seed: ``seed``, ``npv_<view>`` and ``payback_years_<view>`` for each view.
    """
    from simulator.finance.uncertainty import appraise_runs

    rows = []
    for s in seeds:
        a = appraise_runs(scenario, baseline, [s], runner, unit_costs=unit_costs, saves=saves)
        rows.append(
            {
                "seed": int(s),
                **{f"npv_{b}": a.npv(b) for b in BASES},
                **{f"payback_years_{b}": a.payback(b) for b in BASES},
            }
        )
    df = pd.DataFrame(rows)
    v = df[f"npv_{basis}"].to_numpy(dtype=float)
    df.attrs["npv_se"] = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else math.nan
    df.attrs["basis"] = basis
    return df


# -- workbook -------------------------------------------------------------------------------------

#: Number formats: money to the pound, unit costs to the penny, discount and adjustment factors,
#: ratios and multipliers, years, shares.
MONEY = "£#,##0"
PENCE = "£#,##0.00"
FACTOR = "0.0000"
RATIO = "0.000"
YEARS = "0.00"
PERCENT = "0.0%"
#: Rows of the Summary's central estimate, each a formula over the Cashflow sheet: key -> label.
MEASURE_LABELS = {
    "total_costs": "Costs, undiscounted (£)",
    "total_benefits": "Avoided costs, undiscounted (£)",
    "pv_costs": "PV of costs (£)",
    "pv_benefits": "PV of avoided costs (£)",
    "npv": "NPV (£)",
    "bcr": "Benefit-cost ratio (£ returned per £1)",
    "roi": "Financial ROI",
    "payback_years": "Payback, cash (years from the start of year 0)",
    "discounted_payback_years": "Payback, discounted (years from the start of year 0)",
    "breakeven_year": "Breaks even, cash (year ending 31 March)",
    "discounted_breakeven_year": "Breaks even, discounted (year ending 31 March)",
    "payback_workings": "Workings: year number + 1 of the last year ending with cumulative net cost "
    "above zero (cash)",
    "discounted_payback_workings": "Workings: the same, discounted",
}
#: Header of the Summary's central-estimate table (its first cell) and of the Levers sheet's table.
CENTRAL_TITLE = "Central estimate: gross and net side by side (formulas over the Cashflow sheet)"
LEVERS_TITLE = (
    "Lever settings of the scenario (the levers section of its file), and any other setting it "
    "changes, beside the baseline's"
)
#: Label of the Cashflow sheet's total row (column A).
TOTAL = "Total"
_ABBREVIATIONS = {
    "npv": "NPV",
    "pv": "PV",
    "bcr": "BCR",
    "roi": "ROI",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
}
_HEADERS = {
    "basis": "View",
    "p_within_n_years": "P(payback within N years)",
    "median_ci90_low": "Median, 90% CI low",
    "median_ci90_high": "Median, 90% CI high",
    "value_base_prices": "Value at base prices",
    "used": "Used by the model",
}


def readable_name(name: str) -> str:
    """A scenario name as words: ``community_hubs`` -> ``Community hubs``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def title_names(scenario: str, baseline: str) -> tuple[str, str, str]:
    """The scheme, the baseline and the area as a reader says them.

    The app names its runs ``<area>-<preset>`` and ``<area>-baseline`` (``baseline`` is the
    typical LA), which made titles such as "baseline-community_hubs against baseline-baseline";
    the area is taken off both and said once.

    Returns:
        ``(scheme, baseline, area)``; ``area`` is ``""`` for the typical LA or plain names.
    """
    area = ""
    prefix = baseline.removesuffix("baseline")
    if prefix.endswith("-") and scenario.startswith(prefix):
        area = prefix[:-1]
        scenario, baseline = scenario[len(prefix) :], "baseline"
    custom = scenario.endswith("-custom")
    scenario = scenario.removesuffix("-custom")
    if scenario == "none":
        scheme = "Custom settings" if custom else "No change"
    else:
        scheme = readable_name(scenario) + (" (custom)" if custom else "")
    # an area is "england" or a calibrated LA's file, "la/kent"
    return (
        scheme,
        readable_name(baseline),
        "" if area in ("", "baseline") else readable_name(area.rsplit("/")[-1]),
    )


def appraisal_title(report: PaybackReport) -> str:
    """``Community hubs against Baseline`` (with the area in brackets when the app names one)."""
    scheme, base, area = title_names(report.scenario.name, report.baseline.name)
    return f"{scheme} against {base}" + (f" ({area})" if area else "")


def cashflow_sheet(report: PaybackReport) -> pd.DataFrame:
    """The Cashflow sheet's values: the central cash flow, one row per year, and a Total row of the flows.

    The workbook holds the same figures as formulas over the baseline and scenario columns
    (:func:`cashflow_label` gives its headers); this is their value, as Python computes it.
    """
    cf = report.central.cashflow.copy()
    total: dict[str, Any] = dict.fromkeys(cf.columns)
    total["year"] = TOTAL
    for col in cf.columns:
        if col.startswith(FLOW_PREFIXES):
            total[col] = float(cf[col].sum())
    return pd.concat([cf.astype({"year": object}), pd.DataFrame([total])], ignore_index=True)


def cashflow_label(col: str) -> str:
    """Header of a Cashflow column in words: ``change_social_work`` -> ``Change: social work (£)``."""
    fixed = {
        "year": "Year ending 31 March",
        "t": "Year number (0 = first year)",
        "investment": "Investment: change in early help, programmes and hubs (£)",
        "discount_factor": "Discount factor",
    }
    if col in fixed:
        return fixed[col]
    for prefix, words in (
        ("baseline_", "Baseline"),
        ("scenario_", "Scenario"),
        ("change_", "Change"),
        ("avoided_", "Avoided cost"),
    ):
        if col.startswith(prefix):
            return f"{words}: {col.removeprefix(prefix).replace('_', ' ')} (£)"
    for prefix, words in (
        ("benefit_", "Avoided costs"),
        ("cumulative_discounted_net_cost_", "Cumulative discounted net cost"),
        ("discounted_net_cost_", "Discounted net cost"),
        ("cumulative_net_cost_", "Cumulative net cost"),
        ("net_cost_", "Net cost"),
    ):
        if col.startswith(prefix):
            return f"{words}, {col.removeprefix(prefix)} (£)"
    return header_label(col)


def header_label(col: Any) -> str:
    """A table's column name in words (``npv_net`` -> ``NPV net (£)``), money marked with £."""
    name = str(col)
    if name in _HEADERS:
        text = _HEADERS[name]
    else:
        text = " ".join(_ABBREVIATIONS.get(w, w) for w in name.split("_"))
        text = text[:1].upper() + text[1:]
    return text + (" (£)" if _format_for(name) in (MONEY, PENCE) else "")


def _format_for(name: str) -> str | None:
    """Number format of a column (or a Monte Carlo measure) by its name; None if not known."""
    n = name.lower()
    if "payback" in n:
        return YEARS
    if n.startswith(("npv", "pv_", "total_costs", "total_benefits")) or n == "swing":
        return MONEY
    if n in ("value", "value_base_prices", "cost_per_activity_unit"):
        return PENCE
    if n.startswith(("bcr", "roi")) or "multiplier" in n or n in ("central", "switching_value"):
        return RATIO
    if "factor" in n:
        return FACTOR
    if n.startswith("p_within"):
        return "0%"
    return None


def lever_settings(scenario: Scenario, baseline: Scenario) -> pd.DataFrame:
    """Every lever setting, then every other setting where the scenario differs from the baseline.

    The levers section in full, with the baseline's values; after it, any other setting the
    scenario changes (a starting risk index, say), so that the sheet holds everything the
    appraisal's difference rests on.

    Read from the schema (:class:`simulator.schema.Levers`): one row per field, its path as
    written in a scenario file, the unit, source and evidence grade of its declaration. The
    run's seed, length and sample are on the sheet's runs table, not here.
    """
    from pydantic import BaseModel

    rows: list[dict[str, Any]] = []

    def walk(model: type[BaseModel], value: Any, base: Any, prefix: str, changed_only: bool = False) -> None:
        for name, info in model.model_fields.items():
            ann, v, b = info.annotation, getattr(value, name), getattr(base, name)
            if prefix == "" and name in ("levers", "run", "name", "description", "evidence", "base"):
                continue  # the levers are listed in full above; the run's settings apart
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, v, b, f"{prefix}{name}.", changed_only)
                continue
            if changed_only and v == b:
                continue
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            rows.append(
                {
                    "setting": f"{prefix}{name}",
                    "value": _setting_value(v),
                    "baseline value": _setting_value(b),
                    "changed": "yes" if v != b else "",
                    "unit": extra.get("unit", ""),
                    "source": extra.get("source", ""),
                    "grade": extra.get("grade", ""),
                    "description": info.description or "",
                }
            )

    walk(type(scenario.levers), scenario.levers, baseline.levers, "levers.")
    walk(type(scenario), scenario, baseline, "", changed_only=True)
    return pd.DataFrame(rows)


def _setting_value(v: Any) -> Any:
    """A setting as one cell: numbers and text as they are, lists and tables as compact JSON."""
    import json

    from pydantic import BaseModel

    def plain(x: Any) -> Any:
        if isinstance(x, BaseModel):
            return x.model_dump(mode="json")
        if isinstance(x, list | tuple):
            return [plain(i) for i in x]
        if isinstance(x, dict):
            return {str(k): plain(i) for k, i in x.items()}
        return x

    v = plain(v)
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    return v


def _or_na(p: float) -> float | str:
    """A probability for a cell, or :data:`NO_FLOWS` where no run has a payback to count."""
    return NO_FLOWS if math.isnan(p) else p


def _write_block(
    ws: Any,
    row: int,
    title: str,
    df: pd.DataFrame | None = None,
    pairs: Sequence[tuple[Any, ...]] | None = None,
    headers: Sequence[str] | None = None,
) -> int:
    """Write a titled block (a table or key-value pairs) at ``row``; return the next free row.

    Pairs are ``(label, value)`` or ``(label, value, number format)``. A table's headers are its
    columns in words (:func:`header_label`) unless given; its numbers are formatted by column
    (or, in a table of measures, by measure); seeds are written as text (they are longer than a
    spreadsheet's 15 digits).
    """
    from openpyxl.styles import Font

    ws.cell(row=row, column=1, value=title).font = Font(bold=True)
    row += 1
    if pairs is not None:
        for k, v, *fmt in pairs:
            ws.cell(row=row, column=1, value=k)
            _put(ws, row, 2, v, fmt[0] if fmt else None)
            row += 1
    if df is not None:
        labels = list(headers) if headers is not None else [header_label(c) for c in df.columns]
        for j, label in enumerate(labels, start=1):
            ws.cell(row=row, column=j, value=label).font = Font(bold=True)
        row += 1
        cols = [str(c) for c in df.columns]
        for rec in df.itertuples(index=False):
            measure = str(rec[cols.index("measure")]) if "measure" in cols else ""
            for j, (col, v) in enumerate(zip(cols, rec, strict=True), start=1):
                if col == "seed" and v is not None:
                    v = str(v)
                _put(ws, row, j, v, _format_for(col) or (_format_for(measure) if measure else None))
            row += 1
    return row + 1


def _put(ws: Any, row: int, col: int, v: Any, fmt: str | None = None) -> Any:
    """Write a value with its number format (or a readable one: whole pounds, ratios to 4 places)."""
    value = None if v is None else _cell(v)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if fmt is not None:
            cell.number_format = fmt
        elif isinstance(value, float):
            cell.number_format = "#,##0" if abs(value) >= 100 else "0.0000"
    return cell


def _cell(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        v = float(v)
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "does not pay back" if v > 0 else "-inf"
        return v
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        v = int(v)
        return (
            str(v) if abs(v) >= 2**53 else v
        )  # a spreadsheet keeps 15 digits: a long seed stays exact as text
    if v is None or isinstance(v, str):
        return v
    return str(v)


class _Formulas:
    """The workbook's own formulas: written here, checked plain, and spared the neutralising."""

    def __init__(self) -> None:
        self.cells: set[tuple[str, str]] = set()

    def put(self, ws: Any, row: int, col: int, text: str, fmt: str | None = None) -> Any:
        if not plain_formula(text):
            raise ValueError(f"not a plain formula: {text!r}")
        cell = ws.cell(row=row, column=col, value=text)
        self.cells.add((ws.title, cell.coordinate))
        if fmt is not None:
            cell.number_format = fmt
        return cell


@dataclass
class _Layout:
    """Where the formulas find the cash flow (on Cashflow) and the finance inputs (on Assumptions)."""

    years: int
    letters: dict[str, str]
    inputs: dict[str, str] = field(default_factory=dict)
    first: int = 2

    @property
    def last(self) -> int:
        return self.first + self.years - 1

    @property
    def total(self) -> int:
        return self.last + 1

    @property
    def net_factor_row(self) -> int:
        return self.total + 2

    @property
    def cashable_factor_row(self) -> int:
        return self.total + 3

    def column(self, name: str) -> str:
        """All years of a Cashflow column, e.g. ``Cashflow!$R$2:$R$21``."""
        c = self.letters[name]
        return f"Cashflow!${c}${self.first}:${c}${self.last}"


def write_workbook(report: PaybackReport, path: str | Path) -> Path:
    """Write the Excel workbook with the sheets :data:`SHEETS`, whole or not at all.

    The workbook is saved beside ``path`` and renamed onto it (:mod:`simulator.safe_io`); text
    that a spreadsheet would run as a formula (a scenario named ``=HYPERLINK(...)``) is
    stored with a leading quote. Replaces ``path`` if it exists: callers check first
    (:func:`check_outputs`).

    Args:
        report: the :class:`PaybackReport`.
        path: the ``.xlsx`` file to write.

    Returns:
        The path written.
    """
    wb = build_workbook(report)
    return write_with(path, wb.save)


def build_workbook(report: PaybackReport) -> Any:
    """The workbook (an ``openpyxl.Workbook``, not saved) an auditor can follow.

    The cash flow's derived columns, its totals, the discount factors, NPV, BCR, ROI and
    payback (cash and discounted) are live formulas over the baseline and scenario costs on
    the Cashflow sheet and the finance inputs on Assumptions, so an auditor can trace each
    figure, or change an input and see the result move. openpyxl stores no computed values:
    Excel and LibreOffice calculate on opening (``fullCalcOnLoad``). Every text cell is
    neutralised; the workbook's own formulas are all plain (:func:`simulator.safe_io.plain_formula`).
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True
    sheets = {name: (wb.active if i == 0 else wb.create_sheet(name)) for i, name in enumerate(SHEETS)}
    sheets["Summary"].title = "Summary"
    own = _Formulas()
    cf = report.central.cashflow
    layout = _Layout(len(cf), {c: get_column_letter(j) for j, c in enumerate(cf.columns, start=1)})
    _assumptions_sheet(sheets["Assumptions"], report, layout, own)
    _cashflow_formulas(sheets["Cashflow"], report, layout, own)
    _summary_sheet(sheets["Summary"], report, layout, own)
    _levers_sheet(sheets["Levers"], report)
    _sensitivity_sheet(sheets["Sensitivity"], report)
    _provenance_sheet(sheets["Provenance"], report)
    _neutralise_workbook(wb, own.cells)
    return wb


def _summary_sheet(ws: Any, report: PaybackReport, layout: _Layout, own: _Formulas) -> None:
    sc, fin, a = report.scenario, report.scenario.finance, report.central
    first, last = a.start_year + 1, a.start_year + a.horizon
    row = _write_block(
        ws,
        1,
        f"Invest-to-save appraisal: {appraisal_title(report)}",
        pairs=[
            ("scheme (scenario name)", sc.name),
            ("baseline (scenario name)", report.baseline.name),
            (
                "years appraised",
                f"{a.horizon} (years ending 31 March {first}-{last}; year 0 = {first - 1}-{str(first)[2:]})",
            ),
            ("prices", f"real {fin.base_price_year} prices (unit costs uprated: see Assumptions)"),
            (
                "discounting",
                f"HM Treasury Green Book: {fin.discount_rate:.1%} years 0-30, "
                f"{fin.discount_rate_long:.1%} from year 31; year 0 undiscounted",
            ),
            (
                "evidence grade (optimism bias)",
                f"{a.grade} ({fin.optimism_bias[a.grade]:.0%} off benefits in the net view)",
            ),
            ("deadweight", f"{fin.deadweight:.0%}"),
            (
                "central estimate",
                f"mean of seeds {', '.join(map(str, report.central_seeds))}, paired with the baseline",
            ),
            ("headline view", report.basis),
            (
                "how to audit",
                "the figures below are formulas over the Cashflow sheet, whose derived columns are "
                "formulas over its baseline and scenario costs and the finance inputs in column B of "
                "Assumptions; lever settings and seeds are on Levers",
            ),
        ],
    )
    npv_row = row + 1 + list(MEASURE_LABELS).index("npv")  # where _central_measures puts the NPV
    row = _central_measures(ws, row, report, layout, own)
    row = _write_block(ws, row, "What the views mean", pairs=[(k, v) for k, v in a.notes.items()])
    bs = report.central_by_seed
    if bs is not None and len(bs) > 1:
        se = bs.attrs.get("npv_se", math.nan)
        top = row + 2  # the block's first seed (after its title and headers)
        row = _write_block(
            ws,
            row,
            f"Central estimate seed by seed (standard error of the mean NPV ({report.basis}): "
            f"{se:,.0f}; add seeds with --central-seeds if it is large against the NPV; each seed "
            "counts each budget line as a saving or as extra demand as the central estimate does)",
            bs,
        )
        row = _seeds_check(ws, row - 1, bs, top, npv_row, own)  # right under the table (no blank row)
    if not settled(report):
        ws.cell(
            row=row,
            column=1,
            value=(
                f"Caution: the central NPV ({report.basis}) is within two standard errors of zero: these "
                f"{len(report.central_seeds)} seeds do not settle its sign; add seeds (--central-seeds)."
            ),
        )
        row += 2
    mc = report.monte_carlo
    if mc is not None:
        row = _write_block(
            ws,
            row,
            f"Monte Carlo: {len(mc.runs)} paired runs over {mc.varied} "
            f"(payback 'does not pay back' = not within {a.horizon} years)",
            mc.summary,
        )
        row = _write_block(
            ws,
            row,
            f"Probability of paying back within {mc.within_years} years",
            pairs=[
                (f"{b} ({'discounted' if d else 'cash'})", _or_na(mc.p_payback_within(b, d)), "0%")
                for b in BASES
                for d in (False, True)
            ],
        )
    ws.column_dimensions["A"].width = 60
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 20


def _seeds_check(ws: Any, row: int, bs: pd.DataFrame, top: int, npv_row: int, own: _Formulas) -> int:
    """Under the seed-by-seed table (rows ``top``...): the mean of its NPVs, and the central NPV less it.

    NPV is linear in the cash flows, so the mean of the seeds' NPVs is the central NPV (of the
    seeds' mean cash flow): an auditor sees, in live formulas, that the headline rests on exactly
    these runs. Returns the next free row.
    """
    bottom = top + len(bs) - 1
    ws.cell(
        row=row,
        column=1,
        value="Mean of the seeds' NPVs (equals the central NPV)",
    )
    ws.cell(row=row + 1, column=1, value="Central NPV less that mean (zero to the penny)")
    cols = [str(c) for c in bs.columns]
    for j, b in enumerate(BASES, start=2):
        k = cols.index(f"npv_{b}") + 1
        letter = ws.cell(row=row, column=k).column_letter
        mean = own.put(ws, row, k, f"=AVERAGE({letter}{top}:{letter}{bottom})", MONEY)
        central = f"{ws.cell(row=npv_row, column=j).column_letter}{npv_row}"
        own.put(ws, row + 1, k, f"=ROUND({central}-{mean.coordinate},2)", PENCE)
    return row + 3


def _central_measures(ws: Any, row: int, report: PaybackReport, layout: _Layout, own: _Formulas) -> int:
    """The central estimate by view as formulas over the Cashflow sheet; return the next free row.

    Payback follows :func:`simulator.finance.appraisal.payback_period`: K = year number + 1 of
    the last year ending with the cumulative net cost above zero; payback = K + C(K) / (C(K) -
    C(K+1)) (interpolated in the next year), 0 if K = 0, "does not pay back" if K is the horizon,
    "n/a" if every flow is zero.
    """
    from openpyxl.styles import Font

    ws.cell(row=row, column=1, value=CENTRAL_TITLE).font = Font(bold=True)
    for j, b in enumerate(BASES, start=2):
        ws.cell(row=row, column=j, value=b.capitalize()).font = Font(bold=True)
    at = {key: row + 1 + i for i, key in enumerate(MEASURE_LABELS)}
    for key, r in at.items():
        ws.cell(row=r, column=1, value=MEASURE_LABELS[key])
    n, years = layout.years, layout.column("t")
    df, inv = layout.column("discount_factor"), layout.column("investment")
    for j, b in enumerate(BASES, start=2):
        col = ws.cell(row=1, column=j).column_letter

        def ref(key: str, col: str = col) -> str:
            return f"{col}{at[key]}"

        ben = layout.column(f"benefit_{b}")
        pvb, pvc = ref("pv_benefits"), ref("pv_costs")
        formulas = {
            "total_costs": (f"=SUM({inv})", MONEY),
            "total_benefits": (f"=SUM({ben})", MONEY),
            "pv_costs": (f"=SUMPRODUCT({df},{inv})", MONEY),
            "pv_benefits": (f"=SUMPRODUCT({df},{ben})", MONEY),
            "npv": (f"={pvb}-{pvc}", MONEY),
            "bcr": (f'=IF({pvc}>0,{pvb}/{pvc},"n/a")', RATIO),
            "roi": (f'=IF({pvc}>0,({pvb}-{pvc})/{pvc},"n/a")', RATIO),
        }
        for prefix, cum, flows in (
            ("", f"cumulative_net_cost_{b}", f"net_cost_{b}"),
            ("discounted_", f"cumulative_discounted_net_cost_{b}", f"discounted_net_cost_{b}"),
        ):
            k, c = ref(f"{prefix}payback_workings"), layout.column(cum)
            formulas[f"{prefix}payback_workings"] = (f"=SUMPRODUCT(MAX(({c}>0)*({years}+1)))", "0")
            formulas[f"{prefix}payback_years"] = (
                f'=IF(SUMPRODUCT(--({layout.column(flows)}<>0))=0,"{NO_FLOWS}",'
                f'IF({k}=0,0,IF({k}={n},"does not pay back within the {n}-year horizon",'
                f"{k}+INDEX({c},{k})/(INDEX({c},{k})-INDEX({c},{k}+1)))))",
                YEARS,
            )
            p = ref(f"{prefix}payback_years")
            formulas[f"{prefix}breakeven_year"] = (
                f'=IF(ISNUMBER({p}),{report.central.start_year + 1}+MAX(ROUNDUP({p},0)-1,0),"none")',
                "0",
            )
        for key, (text, fmt) in formulas.items():
            own.put(ws, at[key], j, text, fmt)
    return row + len(MEASURE_LABELS) + 2


def _assumptions_sheet(ws: Any, report: PaybackReport, layout: _Layout, own: _Formulas) -> None:
    fin, a = report.scenario.finance, report.central
    ut = report.unit_costs.reset_index()
    row = _write_block(ws, 1, f"Unit costs (value at its price year; uprated to {fin.base_price_year})", ut)
    row = _write_block(
        ws,
        row,
        f"Uprating factors to {fin.base_price_year} prices (finance.uprating)",
        pd.DataFrame(
            [
                {"price_year": k, "factor": v, "source": _uprating_source(k)}
                for k, v in sorted(fin.uprating.items())
            ]
        ),
        headers=["Price year", f"Factor to {fin.base_price_year} prices", "Source"],
    )
    # the inputs the formulas read come first, at known rows of column B
    shares = fin.cashable_share
    inputs: list[tuple[str, str, Any, str | None]] = [
        ("discount_rate", "discount rate years 0-30", fin.discount_rate, PERCENT),
        ("discount_rate_long", "discount rate from year 31", fin.discount_rate_long, PERCENT),
        ("deadweight", "deadweight (share of the effect that would happen anyway)", fin.deadweight, PERCENT),
        (
            "optimism_bias",
            f"optimism bias for the scheme's evidence grade ({a.grade})",
            fin.optimism_bias[a.grade],
            PERCENT,
        ),
        ("adjustment", "net view: (1 - deadweight) x (1 - optimism bias)", None, FACTOR),
        *[
            (f"cashable_{line}", f"cashable share: {line.replace('_', ' ')}", shares.get(line, 1.0), PERCENT)
            for line in DEMAND_LINES
        ],
    ]
    top = row + 1
    layout.inputs = {key: f"Assumptions!$B${top + i}" for i, (key, *_) in enumerate(inputs)}
    row = _write_block(
        ws,
        row,
        "Finance inputs the Cashflow and Summary formulas read (column B)",
        pairs=[(label, v, fmt) for _, label, v, fmt in inputs],
    )
    own.put(
        ws,
        top + [k for k, *_ in inputs].index("adjustment"),
        2,
        f"=(1-{layout.inputs['deadweight']})*(1-{layout.inputs['optimism_bias']})",
        FACTOR,
    )
    row = _write_block(
        ws,
        row,
        "Other finance settings",
        pairs=[
            ("base price year", fin.base_price_year),
            ("evidence grade of the scheme", a.grade),
            ("payback within N years: N", report.within_years),
            *[(f"cashable share: {k}", v, PERCENT) for k, v in shares.items() if k not in DEMAND_LINES],
            *[(f"optimism bias: grade {k}", v, PERCENT) for k, v in fin.optimism_bias.items()],
            *[(f"effect-size spread: grade {k}", v) for k, v in fin.effect_uncertainty.items()],
            *[(f"unit-cost spread: grade {k}", v) for k, v in fin.unit_cost_uncertainty.items()],
            (
                "lever costs",
                "from results.policy (running and capital cost, 2024-25 prices); hubs to 'hubs', "
                "other levers to 'programmes'",
            ),
            ("placements", "weekly cost x 52.14 / 12 per child-month"),
            ("early help", "capacity: early help places (families) in each month x cost per family-month"),
        ],
    )
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 16


def _cashflow_formulas(ws: Any, report: PaybackReport, layout: _Layout, own: _Formulas) -> None:
    """The Cashflow sheet: years and the two runs' costs as values; every other column a formula.

    Below the Total row, the factor each demand line's avoided cost is counted at in the net and
    cashable views (1 for a line the scheme adds demand to over the horizon, as in
    :func:`simulator.finance.appraisal.appraise`).
    """
    from openpyxl.styles import Alignment, Font

    cf = report.central.cashflow
    cols, L, inp = list(cf.columns), layout.letters, layout.inputs
    first, total = layout.first, layout.total
    fnet, fcash = layout.net_factor_row, layout.cashable_factor_row
    short = LONG_RATE_FROM - 1

    def formula(col: str, r: int) -> str | None:
        for b in BASES:
            nc, cum = f"net_cost_{b}", f"cumulative_net_cost_{b}"
            dnc, dcum = f"discounted_net_cost_{b}", f"cumulative_discounted_net_cost_{b}"
            if col == nc:
                return f"={L['investment']}{r}-{L[f'benefit_{b}']}{r}"
            if col == dnc:
                return f"={L[nc]}{r}*{L['discount_factor']}{r}"
            if col in (cum, dcum):
                flow = L[nc if col == cum else dnc]
                return f"={flow}{r}" if r == first else f"={L[col]}{r - 1}+{flow}{r}"
        if col.startswith("change_"):
            line = col.removeprefix("change_")
            return f"={L[f'scenario_{line}']}{r}-{L[f'baseline_{line}']}{r}"
        if col.startswith("avoided_"):
            return f"=-{L['change_' + col.removeprefix('avoided_')]}{r}"
        avoided = [L[f"avoided_{line}"] for line in DEMAND_LINES]
        sums = {
            "investment": "+".join(f"{L[f'change_{line}']}{r}" for line in INVESTMENT_LINES),
            "benefit_gross": "+".join(f"{c}{r}" for c in avoided),
            "benefit_net": "+".join(f"{c}{r}*{c}${fnet}" for c in avoided),
            "benefit_cashable": "+".join(f"{c}{r}*{c}${fcash}" for c in avoided),
            "discount_factor": f"(1+{inp['discount_rate']})^(-MIN({L['t']}{r},{short}))"
            f"*(1+{inp['discount_rate_long']})^(-MAX({L['t']}{r}-{short},0))",
        }
        return "=" + sums[col] if col in sums else None

    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j, value=cashflow_label(col))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[L[col]].width = 10 if col in ("year", "t") else 15
    fmt = {c: "0" if c in ("year", "t") else FACTOR if c == "discount_factor" else MONEY for c in cols}
    for i, rec in enumerate(cf.to_dict("records")):
        r = first + i
        for j, col in enumerate(cols, start=1):
            text = formula(col, r)
            if text is None:
                _put(ws, r, j, rec[col], fmt[col])
            else:
                own.put(ws, r, j, text, fmt[col])
    ws.cell(row=total, column=1, value=TOTAL).font = Font(bold=True)
    for j, col in enumerate(cols, start=1):
        if col.startswith(FLOW_PREFIXES):
            own.put(ws, total, j, f"=SUM({L[col]}{first}:{L[col]}{layout.last})", MONEY)
    ws.cell(
        row=fnet,
        column=1,
        value="Net factor by line: (1 - deadweight) x (1 - optimism bias); 1 where the scheme adds "
        "demand over the horizon",
    )
    ws.cell(
        row=fcash,
        column=1,
        value="Cashable factor by line: net factor x cashable share; 1 where the scheme adds demand",
    )
    for line in DEMAND_LINES:
        c, j = L[f"avoided_{line}"], cols.index(f"avoided_{line}") + 1
        own.put(ws, fnet, j, f"=IF({c}{total}>=0,{inp['adjustment']},1)", FACTOR)
        own.put(ws, fcash, j, f"=IF({c}{total}>=0,{inp['adjustment']}*{inp[f'cashable_{line}']},1)", FACTOR)
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "C2"


def _levers_sheet(ws: Any, report: PaybackReport) -> None:
    levers = lever_settings(report.scenario, report.baseline)
    row = _write_block(
        ws,
        1,
        LEVERS_TITLE,
        levers,
        headers=[
            "Setting",
            "Value",
            "Baseline value",
            "Changed",
            "Unit",
            "Source",
            "Evidence grade",
            "Description",
        ],
    )
    for r, unit in enumerate(levers["unit"], start=3):
        for col in (2, 3):  # pounds only where the unit is pounds (shares, months, counts as numbers)
            cell = ws.cell(row=r, column=col)
            if isinstance(cell.value, int | float):
                cell.number_format = MONEY if str(unit).startswith("GBP") else "General"
    row = _yearly_paths_block(ws, row, report, levers)
    sc, mc = report.scenario, report.monte_carlo
    row = _write_block(
        ws,
        row,
        "The runs this appraisal rests on (each seed runs the baseline and the scenario: paired)",
        pairs=[
            ("master seed", str(report.seed)),
            ("years", sc.run.years),
            ("start year (31 March position)", sc.run.start_year),
            ("sample fraction", sc.run.sample_fraction),
            ("central estimate: mean of these seeds", len(report.central_seeds)),
            ("Monte Carlo runs", 0 if mc is None else len(mc.runs)),
        ],
    )
    runs = [{"run": f"central {i}", "seed": s} for i, s in enumerate(report.central_seeds, start=1)]
    if mc is not None and "seed" in mc.runs:
        runs += [{"run": f"Monte Carlo {i}", "seed": s} for i, s in enumerate(mc.runs["seed"], start=1)]
    _write_block(ws, row, "Seeds (as text: a spreadsheet keeps only 15 digits)", pd.DataFrame(runs))
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 24
    ws.column_dimensions["E"].width = 40
    ws.column_dimensions["F"].width = 60


def _yearly_paths_block(ws: Any, row: int, report: PaybackReport, levers: pd.DataFrame) -> int:
    """The settings that change year by year, as numbers by reporting year (pounds as pounds).

    In the table above a path is one cell of text; an auditor adds up and compares numbers.
    """
    sc = report.scenario
    years = [sc.run.start_year + 1 + i for i in range(sc.run.years)]
    table: dict[str, list[float]] = {}
    money: set[str] = set()
    for setting, unit in zip(levers["setting"], levers["unit"], strict=True):
        value: Any = sc
        for part in str(setting).split("."):
            value = getattr(value, part, None)
        if (
            isinstance(value, list | dict)
            and value
            and all(
                isinstance(v, int | float) for v in (value.values() if isinstance(value, dict) else value)
            )
        ):
            table[setting] = series_values(value, sc.run.start_year, sc.run.years)
            if str(unit).startswith("GBP"):
                money.add(setting)
    if not table:
        return row
    first = row
    row = _write_block(
        ws,
        row,
        "Settings that change year by year (year ending 31 March)",
        pd.DataFrame({"year": years, **table}),
        headers=["Year", *table],
    )
    for j, setting in enumerate(table, start=2):
        for r in range(first + 2, row - 1):  # the data rows: after the title and the headers
            ws.cell(row=r, column=j).number_format = MONEY if setting in money else "General"
    return row


def _sensitivity_sheet(ws: Any, report: PaybackReport) -> None:
    row = 1
    if report.tornado is not None:
        t = report.tornado
        row = _write_block(
            ws,
            row,
            f"Tornado: NPV ({report.basis}) with one input at a time at its low and high "
            f"value; central NPV {t.attrs['npv_central']:,.0f}",
            t,
        )
    if report.switching is not None:
        row = _write_block(ws, row, "Switching values", report.switching)
    if report.monte_carlo is not None:
        row = _write_block(ws, row, "Monte Carlo runs", report.monte_carlo.runs)
    if row == 1:
        ws.cell(row=1, column=1, value="sensitivity analysis was not run")
    ws.column_dimensions["A"].width = 44


def _provenance_sheet(ws: Any, report: PaybackReport) -> None:
    pairs: list[tuple[str, Any]] = []
    for k, v in report.provenance.items():
        if k == "files":
            for label, (p, h) in v.items():
                pairs.append((f"{label}", p))
                pairs.append((f"{label} sha256", h))
        else:
            pairs.append((k, v))
    _write_block(ws, 1, "Provenance", pairs=pairs)
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 70


def _neutralise_workbook(wb: Any, own: Collection[tuple[str, str]] = ()) -> None:
    """Every text cell that starts like a formula gets a leading quote, except the workbook's own formulas."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if (ws.title, cell.coordinate) in own:
                    continue
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.value = neutralise(cell.value)


def _uprating_source(year: str) -> str:
    from simulator.finance.costs import UPRATING_SOURCES

    return UPRATING_SOURCES.get(year, "user-set")


# -- charts ---------------------------------------------------------------------------------------


def plot_cumulative(report: PaybackReport, path: str | Path) -> Path:
    """Cumulative net cost by year (central, and the Monte Carlo P10-P90 band) with break-even marked."""
    return _save_figure(_draw_cumulative(report), path, report)


def plot_tornado(report: PaybackReport, path: str | Path, top: int = 12) -> Path:
    """Tornado chart of NPV against each input's low and high value."""
    return _save_figure(_draw_tornado(report, top), path, report)


def _save_figure(fig: Any, path: str | Path, report: PaybackReport) -> Path:
    """Save a figure as PNG whole or not at all, stamped, and close it."""
    import matplotlib.pyplot as plt

    meta = _png_metadata(report)
    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png", metadata=meta))
    finally:
        plt.close(fig)


def chart_stamp(report: PaybackReport) -> str:
    """What a chart rests on, printed at its foot and in its PNG metadata.

    Scheme, baseline, seeds, years and version: a chart copied into a paper still says where
    it came from.
    """
    run = report.scenario.run
    return (
        f"{report.scenario.name} against {report.baseline.name} · master seed {report.seed} "
        f"({len(report.central_seeds)} central seeds) · {run.years} years from April {run.start_year} · "
        f"csc-demand-simulator {__version__}"
    )


def _stamp(fig: Any, report: PaybackReport) -> None:
    fig.text(0.01, 0.005, chart_stamp(report), fontsize=6.5, color="dimgrey", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.03, 1, 1))


def _png_metadata(report: PaybackReport) -> dict[str, str]:
    return {
        "Title": appraisal_title(report),
        "Description": chart_stamp(report),
        "Software": f"csc-demand-simulator {__version__}",
    }


def _draw_cumulative(report: PaybackReport) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = report.central, report.basis
    cf = a.cashflow
    x = cf["t"].to_numpy() + 1.0  # end of each year
    fig, ax = plt.subplots(figsize=(8, 4.5))
    mc = report.monte_carlo
    if mc is not None and not mc.curves.empty:
        lo, hi = percentiles(mc.curves.to_numpy(float), [10, 90], axis=1) / 1e6  # as the tables' P10-P90
        ax.fill_between(x, lo, hi, alpha=0.2, color="tab:blue", label="Monte Carlo P10-P90")
    for basis, style in (("gross", ":"), ("net", "-"), ("cashable", "--")):
        ax.plot(
            np.r_[0, x],
            np.r_[0, cf[f"cumulative_net_cost_{basis}"]] / 1e6,
            style,
            lw=2 if basis == b else 1.2,
            label=f"cumulative net cost ({basis})",
        )
    ax.axhline(0, color="black", lw=0.8)
    pb = a.payback(b)
    if math.isfinite(pb):
        ax.axvline(pb, color="tab:red", lw=1, ls="--")
        ax.plot([pb], [0], "o", color="tab:red")
        ax.annotate(
            f"break-even ({b}): {pb:.1f} years",
            (pb, 0),
            textcoords="offset points",
            xytext=(5, 10),
            color="tab:red",
        )
    else:
        ax.set_title(f"{b}: {format_payback(pb, a.horizon)}", fontsize=10)
    ax.set_xlabel(f"years from April {a.start_year} (year 0 = first simulated year)")
    ax.set_ylabel(f"GBP million ({report.scenario.finance.base_price_year} prices)")
    ax.legend(fontsize=8)
    fig.suptitle(f"{appraisal_title(report)}: cumulative net cost")
    _stamp(fig, report)
    return fig


def _draw_tornado(report: PaybackReport, top: int) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = (report.tornado if report.tornado is not None else pd.DataFrame()).head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(t), 3) + 1.5))
    if not t.empty:
        c = t.attrs.get("npv_central", report.central.npv(report.basis)) / 1e6
        y = np.arange(len(t))
        ax.barh(y, t["npv_low"] / 1e6 - c, left=c, color="tab:orange", label="input low")
        ax.barh(y, t["npv_high"] / 1e6 - c, left=c, color="tab:blue", alpha=0.7, label="input high")
        ax.axvline(c, color="black", lw=1)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(
            y,
            [f"{i} ({lo} / {hi})" for i, lo, hi in zip(t["input"], t["low"], t["high"], strict=True)],
            fontsize=8,
        )
        ax.legend(fontsize=8)
    ax.set_xlabel(f"NPV ({report.basis}), GBP million ({report.scenario.finance.base_price_year} prices)")
    scheme = title_names(report.scenario.name, report.baseline.name)[0]
    fig.suptitle(f"{scheme}: sensitivity of NPV (one input at a time)")
    _stamp(fig, report)
    return fig


def output_paths(xlsx: str | Path) -> dict[str, Path]:
    """The workbook and the charts beside it: ``<stem>_cumulative.png``, ``<stem>_tornado.png``."""
    xlsx = Path(xlsx)
    return {
        "workbook": xlsx,
        "cumulative": xlsx.with_name(f"{xlsx.stem}_cumulative.png"),
        "tornado": xlsx.with_name(f"{xlsx.stem}_tornado.png"),
    }


def check_outputs(xlsx: str | Path, force: bool = False) -> dict[str, Path]:
    """Refuse (:class:`~simulator.safe_io.OutputError`) a workbook or chart path that exists unless ``force``.

    Call it before computing the report: a bad ``--xlsx`` then costs nothing.
    """
    check_output_file(xlsx, force, what="--xlsx")
    paths = output_paths(xlsx)
    for key in ("cumulative", "tornado"):
        check_output_file(paths[key], force, what=f"--xlsx ({key} chart)")
    return paths


def write_outputs(report: PaybackReport, xlsx: str | Path, force: bool = False) -> dict[str, Path]:
    """Write the workbook and the charts beside it (see :func:`output_paths`); all of them or none.

    Existing files are refused unless ``force``. Each file is written beside its destination
    and the files are renamed into place together once all are complete; with ``force``, a
    tornado chart left by an earlier report is removed when this report has none.
    """
    paths = check_outputs(xlsx, force)
    wb = build_workbook(report)
    figs = {"cumulative": _draw_cumulative(report)}
    if report.tornado is not None:
        figs["tornado"] = _draw_tornado(report, 12)
    try:
        with contextlib.ExitStack() as stack:
            wb.save(stack.enter_context(atomic_path(paths["workbook"])))
            for key, fig in figs.items():
                fig.savefig(
                    stack.enter_context(atomic_path(paths[key])),
                    dpi=120,
                    format="png",
                    metadata=_png_metadata(report),
                )
    finally:
        import matplotlib.pyplot as plt

        for fig in figs.values():
            plt.close(fig)
    if "tornado" not in figs:
        with contextlib.suppress(FileNotFoundError):
            paths.pop("tornado").unlink()
    return paths


ProgressFn = Callable[[int], Any]
