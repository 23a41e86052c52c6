"""The invest-to-save report and its Excel workbook and charts.

The central appraisal, Monte Carlo, tornado and switching values; the workbook has the sheets
Summary, Assumptions, Cashflow, Sensitivity and Provenance; PNG charts go beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.finance.appraisal import BASES, Appraisal, format_payback
from simulator.finance.costs import unit_cost_table
from simulator.finance.uncertainty import (
    ModelRunner,
    MonteCarlo,
    active_levers,
    draw_seeds,
    monte_carlo,
    switching_values,
    tornado,
)
from simulator.results import __version__
from simulator.safe_io import FORMULA_STARTS, atomic_path, check_output_file, neutralise, write_with
from simulator.schema import Scenario
from simulator.seeding import replicate_seeds

#: The workbook's sheets, in order.
SHEETS = ("Summary", "Assumptions", "Cashflow", "Sensitivity", "Provenance")
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
    for name, a, b in (
        ("run.years", scenario.run.years, baseline.run.years),
        ("run.start_year", scenario.run.start_year, baseline.run.start_year),
    ):
        if a != b:
            from simulator.schema import ScenarioError

            raise ScenarioError(
                [f"{name} differs: scenario {a}, baseline {b}; appraise them over the same years"],
                source="payback",
            )
    runner = runner or ModelRunner()
    within = int(within_years if within_years is not None else scenario.finance.payback_horizon_years)
    seeds = replicate_seeds(seed, max(1, central_seeds))
    from simulator.finance.uncertainty import appraise_runs

    table = unit_cost_table(scenario)
    central = appraise_runs(scenario, baseline, seeds, runner, unit_costs=table)
    by_seed = seed_table(scenario, baseline, seeds, runner, table, basis)
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


def seed_table(
    scenario: Scenario,
    baseline: Scenario,
    seeds: Sequence[int],
    runner: ModelRunner,
    unit_costs: pd.DataFrame,
    basis: str = "net",
) -> pd.DataFrame:
    """NPV and payback of each paired seed alone, and the standard error of the mean NPV.

    Args:
        scenario: the scheme.
        baseline: the counterfactual.
        seeds: the central seeds (their runs are cached, so this costs no new model runs).
        runner: the caching :class:`ModelRunner`.
        unit_costs: the unit-cost table.
        basis: the view whose standard error is stored in ``attrs["npv_se"]``.

    Returns:
        One row per seed: ``seed``, ``npv_<view>`` and ``payback_years_<view>`` for each view.
    """
    from simulator.finance.uncertainty import appraise_runs

    rows = []
    for s in seeds:
        a = appraise_runs(scenario, baseline, [s], runner, unit_costs=unit_costs)
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


def cashflow_sheet(report: PaybackReport) -> pd.DataFrame:
    """The Cashflow sheet: the central cash flow, one row per year, and a Total row of the flows."""
    cf = report.central.cashflow.copy()
    total: dict[str, Any] = dict.fromkeys(cf.columns)
    total["year"] = "Total"
    for col in cf.columns:
        if col.startswith(FLOW_PREFIXES):
            total[col] = float(cf[col].sum())
    return pd.concat([cf.astype({"year": object}), pd.DataFrame([total])], ignore_index=True)


def _write_block(
    ws: Any,
    row: int,
    title: str,
    df: pd.DataFrame | None = None,
    pairs: Sequence[tuple[str, Any]] | None = None,
) -> int:
    """Write a titled block (a table or key-value pairs) at ``row``; return the next free row."""
    from openpyxl.styles import Font

    ws.cell(row=row, column=1, value=title).font = Font(bold=True)
    row += 1
    if pairs is not None:
        for k, v in pairs:
            ws.cell(row=row, column=1, value=k)
            _put(ws, row, 2, v)
            row += 1
    if df is not None:
        for j, col in enumerate(df.columns, start=1):
            ws.cell(row=row, column=j, value=str(col)).font = Font(bold=True)
        row += 1
        for rec in df.itertuples(index=False):
            for j, v in enumerate(rec, start=1):
                _put(ws, row, j, v)
            row += 1
    return row + 1


def _put(ws: Any, row: int, col: int, v: Any) -> None:
    """Write a value with a readable number format (money to the pound, ratios to 4 places)."""
    value = None if v is None else _cell(v)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, float):
        cell.number_format = "#,##0" if abs(value) >= 100 else "0.0000"


def _cell(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        v = float(v)
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "does not pay back" if v > 0 else "-inf"
        return v
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if v is None or isinstance(v, (int, str)):
        return v
    return str(v)


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
    """The workbook (an ``openpyxl.Workbook``, not saved) with every text cell neutralised."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    sc, fin, a = report.scenario, report.scenario.finance, report.central
    first, last = a.start_year + 1, a.start_year + a.horizon
    row = _write_block(
        ws,
        1,
        f"Invest-to-save appraisal: {sc.name} against {report.baseline.name}",
        pairs=[
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
        ],
    )
    row = _write_block(ws, row, "Central estimate: gross and net side by side", report.summary_table())
    row = _write_block(ws, row, "What the views mean", pairs=[(k, v) for k, v in a.notes.items()])
    bs = report.central_by_seed
    if bs is not None and len(bs) > 1:
        se = bs.attrs.get("npv_se", math.nan)
        row = _write_block(
            ws,
            row,
            f"Central estimate seed by seed (standard error of the mean NPV ({report.basis}): "
            f"{se:,.0f}; add seeds with --central-seeds if it is large against the NPV)",
            bs,
        )
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
        s = mc.summary.copy()
        row = _write_block(
            ws,
            row,
            f"Monte Carlo: {len(mc.runs)} paired runs over {mc.varied} "
            f"(payback 'does not pay back' = not within {a.horizon} years)",
            s,
        )
        row = _write_block(
            ws,
            row,
            f"Probability of paying back within {mc.within_years} years",
            pairs=[
                (f"{b} ({'discounted' if d else 'cash'})", mc.p_payback_within(b, d))
                for b in BASES
                for d in (False, True)
            ],
        )
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 22

    ws = wb.create_sheet("Assumptions")
    ut = report.unit_costs.reset_index()
    row = _write_block(ws, 1, f"Unit costs (value at its price year; uprated to {fin.base_price_year})", ut)
    row = _write_block(
        ws,
        row,
        "Uprating factors to 2024-25 prices (finance.uprating)",
        pd.DataFrame(
            [
                {"price_year": k, "factor_to_2024_25": v, "source": _uprating_source(k)}
                for k, v in sorted(fin.uprating.items())
            ]
        ),
    )
    row = _write_block(
        ws,
        row,
        "Finance settings",
        pairs=[
            ("base price year", fin.base_price_year),
            ("discount rate years 0-30", fin.discount_rate),
            ("discount rate from year 31", fin.discount_rate_long),
            ("deadweight", fin.deadweight),
            ("payback within N years: N", report.within_years),
            *[(f"cashable share: {k}", v) for k, v in fin.cashable_share.items()],
            *[(f"optimism bias: grade {k}", v) for k, v in fin.optimism_bias.items()],
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
    ws.column_dimensions["A"].width = 36

    ws = wb.create_sheet("Cashflow")
    cf = cashflow_sheet(report)
    for j, col in enumerate(cf.columns, start=1):
        ws.cell(row=1, column=j, value=col)
    for i, rec in enumerate(cf.itertuples(index=False), start=2):
        for j, v in enumerate(rec, start=1):
            _put(ws, i, j, v)
    ws.freeze_panes = "B2"

    ws = wb.create_sheet("Sensitivity")
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
    if mc is not None:
        row = _write_block(ws, row, "Monte Carlo runs", mc.runs)
    if row == 1:
        ws.cell(row=1, column=1, value="sensitivity analysis was not run")
    ws.column_dimensions["A"].width = 44

    ws = wb.create_sheet("Provenance")
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
    _neutralise_workbook(wb)
    return wb


def _neutralise_workbook(wb: Any) -> None:
    """Every text cell that starts like a formula gets a leading quote (and is stored as text)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.value = neutralise(cell.value)


def _uprating_source(year: str) -> str:
    from simulator.finance.costs import UPRATING_SOURCES

    return UPRATING_SOURCES.get(year, "user-set")


# -- charts ---------------------------------------------------------------------------------------


def plot_cumulative(report: PaybackReport, path: str | Path) -> Path:
    """Cumulative net cost by year (central, and the Monte Carlo P10-P90 band) with break-even marked."""
    return _save_figure(_draw_cumulative(report), path)


def plot_tornado(report: PaybackReport, path: str | Path, top: int = 12) -> Path:
    """Tornado chart of NPV against each input's low and high value."""
    return _save_figure(_draw_tornado(report, top), path)


def _save_figure(fig: Any, path: str | Path) -> Path:
    """Save a figure as PNG whole or not at all, and close it."""
    import matplotlib.pyplot as plt

    try:
        return write_with(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    finally:
        plt.close(fig)


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
        q = mc.curves.quantile([0.1, 0.5, 0.9], axis=1).T / 1e6
        ax.fill_between(x, q[0.1], q[0.9], alpha=0.2, color="tab:blue", label="Monte Carlo P10-P90")
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
    fig.suptitle(f"{report.scenario.name} against {report.baseline.name}: cumulative net cost")
    fig.tight_layout()
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
    fig.suptitle(f"{report.scenario.name}: sensitivity of NPV (one input at a time)")
    fig.tight_layout()
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
                fig.savefig(stack.enter_context(atomic_path(paths[key])), dpi=120, format="png")
    finally:
        import matplotlib.pyplot as plt

        for fig in figs.values():
            plt.close(fig)
    if "tornado" not in figs:
        with contextlib.suppress(FileNotFoundError):
            paths.pop("tornado").unlink()
    return paths


ProgressFn = Callable[[int], Any]
