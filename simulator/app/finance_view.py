"""The app's one adapter to the finance module: costs, cumulative net cost, payback, workbook.

The views ask only :func:`finance_view` and :func:`workbook_bytes`, and every money figure comes
from :mod:`simulator.finance` (real prices of the base year, Green Book discounting, GMCA
adjustments). There is no estimate of the app's own: if the finance module fails, the failure
is shown as a failure, never as a different number.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator import finance as _fin
from simulator.safe_io import FORMULA_STARTS, neutralise, plain_formula
from simulator.schema import Scenario

#: The finance module's budget lines, in its order (the one definition).
LINES = list(_fin.BUDGET_LINES)
LINE_LABELS = {
    "early_help": "Early help",
    "social_work": "Social work (CIN, CP, front door)",
    "placements": "Placements",
    "programmes": "Programmes (prevention, Troubled Families)",
    "hubs": "Community hubs",
}


@dataclass
class FinanceView:
    """What the finance charts show.

    Attributes:
        years: reporting years.
        baseline: baseline cost by budget line (rows: years; columns: :data:`LINES`), GBP.
        scenario: scenario cost by budget line, GBP.
        net: scenario minus baseline total cost each year, GBP (negative = saving).
        cumulative_net: running total of ``net``.
        break_even_year: first year the cumulative net cost falls to zero or below after
            having been above (None if never).
        payback_year: cash payback year (as ``break_even_year`` unless the finance module
            says otherwise); None if it never pays back or saves from the first year
            (``payback_years`` says which).
        discounted_payback_year: payback on discounted flows.
        npv: net present value of the savings (baseline minus scenario cost), GBP.
        source: where the figures come from (the finance module or the app's estimate).
        note: price basis and caveats to show under the charts.
    """

    years: list[int]
    baseline: pd.DataFrame
    scenario: pd.DataFrame
    net: pd.Series
    cumulative_net: pd.Series
    break_even_year: int | None
    payback_year: int | None
    discounted_payback_year: int | None
    npv: float
    source: str
    note: str
    extra: dict[str, Any] = field(default_factory=dict)
    #: cash payback in years (0: saves from the first year; inf: not within the run; nan: nothing
    #: to pay back), the finance module's figure behind ``payback_year``
    payback_years: float = math.nan


# -- the adapter ---------------------------------------------------------------------------------


def run_cost_lines(scenario: Scenario, results: Any) -> tuple[str, pd.DataFrame] | None:
    """One run's cost by budget line, computed where the run was (a worker process).

    Returns:
        ``(unit-cost digest, costs by line)``, or None if pricing failed here (the server then
        prices the run itself, and a failure there is shown). The digest says which unit costs
        and finance settings the lines were priced with.
    """
    try:
        digest = _cost_digest(scenario)
        lines = _fin.costs_by_line(_fin.activities(results), _fin.unit_cost_table(scenario), scenario.finance)
        return digest, lines
    except Exception:  # noqa: BLE001 - the server prices the run again, and shows any failure
        return None


def _cost_digest(scenario: Scenario) -> str:
    import hashlib
    import json

    data = {
        "costs": scenario.costs.model_dump(mode="json"),
        "finance": scenario.finance.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def finance_view(
    scenario: Scenario, baseline: Any, result: Any, baseline_scenario: Scenario | None = None
) -> FinanceView:
    """Costs by budget line, cumulative net cost, break-even, payback and NPV.

    Args:
        scenario: the scenario (its unit costs, levers and finance settings).
        baseline: the baseline run's tables (``annual`` at least).
        result: the scenario run's tables.
        baseline_scenario: the baseline's scenario (default: ``scenario``).

    Returns:
        The figures the finance charts show, from :mod:`simulator.finance` (its errors are
        raised, not replaced by another estimate).
    """
    return _from_module(_fin, scenario, baseline, result, baseline_scenario)


def _lines(fin: Any, scenario: Scenario, run: Any, digest: str) -> pd.DataFrame:
    """A run's cost by budget line at the scheme's unit costs.

    As priced in its worker when it was priced with them (``digest``), else priced now.
    """
    pre = getattr(run, "cost_lines", None)
    if pre and pre[0] == digest:
        return pre[1]
    return fin.costs_by_line(fin.activities(run), fin.unit_cost_table(scenario), scenario.finance)


def _appraise(
    fin: Any,
    scenario: Scenario,
    baseline_scenario: Scenario,
    base_lines: pd.DataFrame,
    scen_lines: pd.DataFrame,
) -> Any:
    """The finance module's appraisal of the scheme's costs against the baseline's."""
    from simulator.finance.uncertainty import scheme_grade

    return fin.appraise(
        base_lines,
        scen_lines,
        scenario.finance,
        grade=scheme_grade(scenario, baseline_scenario),
        start_year=scenario.run.start_year,
    )


def _from_module(
    fin: Any,
    scenario: Scenario,
    baseline: Any,
    result: Any,
    baseline_scenario: Scenario | None,
    basis: str = "net",
) -> FinanceView:
    """Read the finance module's figures (its API, adapted in this one place)."""
    digest = _cost_digest(scenario)
    appraisal = _appraise(
        fin,
        scenario,
        baseline_scenario or scenario,
        _lines(fin, scenario, baseline, digest),
        _lines(fin, scenario, result, digest),
    )
    cf = appraisal.cashflow.set_index("year")
    lines = list(fin.BUDGET_LINES)
    base = cf[[f"baseline_{x}" for x in lines]].set_axis(lines, axis=1)
    scen = cf[[f"scenario_{x}" for x in lines]].set_axis(lines, axis=1)
    start = appraisal.start_year
    cash = appraisal.payback(basis)
    disc = appraisal.payback(basis, discounted=True)
    fin_s = scenario.finance
    years = [int(y) for y in cf.index]
    return FinanceView(
        years=years,
        baseline=base,
        scenario=scen,
        net=cf[f"net_cost_{basis}"],
        cumulative_net=cf[f"cumulative_net_cost_{basis}"],
        break_even_year=fin.breakeven_year(cash, start) if cash > 0 else None,
        payback_year=fin.breakeven_year(cash, start) if cash > 0 else None,
        discounted_payback_year=fin.breakeven_year(disc, start) if disc > 0 else None,
        npv=appraisal.npv(basis),
        source=f"the finance module, {basis} savings scaled by {appraisal.adjustment:.2f} for the "
        f"strength of the evidence (grade {appraisal.grade})",
        note=f"Real {fin_s.base_price_year} prices; Green Book discounting {fin_s.discount_rate:.1%} "
        f"(years 0-30); payback {fin.format_payback(cash, appraisal.horizon, start)}.",
        extra={"appraisal": appraisal},
        payback_years=cash,
    )


@dataclass
class PairedMoney:
    """Money over paired runs: each seed's appraisal summarised (median, P10-P90).

    Attributes:
        seeds: the paired runs' seeds (replicate seeds of the master seed, the first being it).
        monte_carlo: the finance module's summary of the runs (inputs at their central values,
            only the seed varies): NPV, payback and their percentiles, cumulative net cost curves.
        central: the appraisal of the runs' mean costs (the workbook's central estimate).
    """

    seeds: list[int]
    monte_carlo: Any
    central: Any

    @property
    def runs(self) -> int:
        """Number of paired runs."""
        return len(self.seeds)

    def npv(self) -> dict[str, float]:
        """NPV of savings: P10, P50 (median) and P90 over the runs, GBP."""
        return self.monte_carlo.measure("npv", self.monte_carlo.basis)

    def payback(self) -> dict[str, float]:
        """Cash payback in years from the start (inf: not within the run): P10, P50, P90."""
        return self.monte_carlo.measure("payback_years", self.monte_carlo.basis)


def paired_money(
    scenario: Scenario,
    baseline_scenario: Scenario,
    seeds: list[int],
    baselines: list[Any],
    results: list[Any],
    basis: str = "net",
) -> PairedMoney:
    """Appraise each paired run with the finance module and summarise them (median, P10-P90).

    The same summary (:func:`simulator.finance.uncertainty.summarise_runs`) is written to the
    workbook, so the figures on screen and in the download agree.
    """
    from simulator.finance.uncertainty import run_row, summarise_runs

    fin = _fin
    digest = _cost_digest(scenario)
    base_lines = [_lines(fin, scenario, b, digest) for b in baselines]
    scen_lines = [_lines(fin, scenario, r, digest) for r in results]
    rows, curves = [], {}
    for i, (s, bl, sl) in enumerate(zip(seeds, base_lines, scen_lines, strict=True)):
        a = _appraise(fin, scenario, baseline_scenario, bl, sl)
        rows.append(run_row(i, int(s), a))
        curves[i] = a.cashflow.set_index("year")[f"cumulative_net_cost_{basis}"]
    mc = summarise_runs(rows, curves, scenario.finance.payback_horizon_years, basis, "seeds")
    central = _appraise(
        fin, scenario, baseline_scenario, sum(base_lines) / len(base_lines), sum(scen_lines) / len(scen_lines)
    )
    return PairedMoney([int(x) for x in seeds], mc, central)


def format_years(years: float, start_year: int) -> str:
    """A payback in years as words: '7.2 years (year to March 2032)' or 'not within the run'."""
    from simulator.finance.appraisal import breakeven_year

    if np.isnan(years):
        return "nothing to pay back"
    if not np.isfinite(years):
        return "not within the run"
    if years == 0:
        return "at once (saves from year 1)"
    return f"{years:.1f} years (year to March {breakeven_year(years, start_year)})"


def money_text(x: float) -> str:
    """Pounds as the app shows them: in millions, to £0.1m below £100m, then to three figures.

    One precision for every card and line (a typical authority's £12.3m, England's £1,230m); no
    "-£0.0m" for a figure that rounds to nothing.
    """
    m = float(x) / 1e6
    digits = 0 if abs(m) >= 100 else 1
    m = float(f"{m:.3g}") if abs(m) >= 1000 else round(m, digits)
    return f"{'-' if m < 0 else ''}£{abs(m):,.{digits}f}m"


NPV_WORDS = "Savings less costs in today's money (NPV)"


def _spread_words(lo: str, hi: str) -> str:
    """P10-P90 in words, once when both ends read the same."""
    return f"in 8 of 10 runs {lo}" if lo == hi else f"8 of 10 runs between {lo} and {hi} (P10-P90)"


def headline(money: PairedMoney, start_year: int) -> str:
    """The money headline: median and P10-P90 of payback and NPV, and the number of runs."""
    pay, npv = money.payback(), money.npv()
    years = {p: format_years(pay[p], start_year) for p in ("p10", "p50", "p90")}
    pounds = {p: money_text(npv[p]) for p in ("p10", "p50", "p90")}
    return (
        f"Payback (cash): typically {years['p50']}, {_spread_words(years['p10'], years['p90'])} · "
        f"{NPV_WORDS}: typically {pounds['p50']} (below zero: it costs more than it saves), "
        f"{_spread_words(pounds['p10'], pounds['p90'])} · {money.runs} paired runs"
    )


def workbook_bytes(
    scenario: Scenario,
    baseline: Any,
    result: Any,
    view: FinanceView,
    baseline_scenario: Scenario | None = None,
    money: PairedMoney | None = None,
) -> bytes:
    """The finance workbook (Excel) as bytes, written by the finance module.

    Over the paired runs (``money``) once they are in; until then, the pair of runs on screen.
    """
    return _workbook_from_module(_fin, scenario, baseline, result, view, baseline_scenario, money)


def neutralise_xlsx(data: bytes) -> bytes:
    """A workbook with every text cell that starts like a formula stored as quoted text.

    The finance module's writer does this itself; this makes the app's download safe whatever
    writer made it. Plain formulas (arithmetic over the workbook's own cells, as the finance
    workbook's NPV and payback are: :func:`simulator.safe_io.plain_formula`) are kept; any other
    formula becomes text. The workbook is rewritten only if a cell needed it.
    """
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    changed = False
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and plain_formula(cell.value):
                    continue
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.value = neutralise(cell.value)
                    cell.data_type = "s"
                    changed = True
    if not changed:
        return data
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _workbook_from_module(
    fin: Any,
    scenario: Scenario,
    baseline: Any,
    result: Any,
    view: FinanceView,
    baseline_scenario: Scenario | None,
    money: PairedMoney | None = None,
) -> bytes:
    """The finance module's workbook: over the paired runs when they are in.

    Until then, the pair of runs on screen (one seed).
    """
    import tempfile
    from pathlib import Path

    seed = int(result.meta.get("seed", scenario.run.seed))
    if money is not None:
        appraisal, mc, seeds = money.central, money.monte_carlo, money.seeds
        source = (
            f"workshop app: {money.runs} paired runs of baseline and scenario (replicate seeds of "
            f"master seed {seed}); central estimate = their mean; percentiles over the runs"
        )
    else:
        appraisal = view.extra.get("appraisal") or fin.appraise_results(
            scenario, baseline_scenario or scenario, result, baseline
        )
        mc, seeds = None, [seed]
        source = "workshop app: the pair of runs on screen (one seed, no Monte Carlo)"
    report = fin.PaybackReport(
        scenario=scenario,
        baseline=baseline_scenario or scenario,
        central=appraisal,
        unit_costs=fin.unit_cost_table(scenario),
        monte_carlo=mc,
        tornado=None,
        switching=None,
        central_seeds=seeds,
        seed=seed,
        within_years=scenario.finance.payback_horizon_years,
        provenance={
            "source": source,
            "scenario": scenario.name,
            "seed": seed,
            "paired seeds": ", ".join(map(str, seeds)),
            "version": str(result.meta.get("version", "")),
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = fin.write_workbook(report, Path(tmp) / "finance.xlsx")
        return neutralise_xlsx(Path(path).read_bytes())
