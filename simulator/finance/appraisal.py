"""Scenario against baseline: avoided costs, net cost, payback, NPV, BCR and ROI.

Conventions (HM Treasury Green Book; HM Treasury 2014 CBA guidance for local
partnerships, the "GMCA method"):

- Year 0 is the first simulated year; its discount factor is 1. The factor for
  year t is ``1 / (1 + r)^t`` with r = 3.5% for years 0-30 and 3.0% from year 31,
  compounding on from year 30 (Green Book, table 8: year 10 = 0.7089, year 30 = 0.3563).
- Costs (the investment) are the change against the baseline in the lines the
  council buys: early help capacity, programmes, hubs. Benefits are the avoided
  costs in the demand lines: social work and placements.
- Three views side by side: *gross* (avoided cost in full), *net* (after
  deadweight and optimism bias by evidence grade: ``x (1 - deadweight) x (1 - bias)``)
  and *cashable* (net x the cashable share of each line). The adjustments only
  weaken the case: a demand line whose avoided cost over the horizon is negative
  (the scheme adds demand there) is counted in full in every view.
- Payback counts years from the start of year 0, with each year's flows spread
  evenly across it, so it is interpolated within the year. It is the time after
  which the cumulative net cost stays at or below zero to the end of the horizon;
  if it is still above zero at the end, the scheme does not pay back within the
  horizon (reported as ``inf``; never as the horizon).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.finance.costs import BUDGET_LINES, DEMAND_LINES, INVESTMENT_LINES
from simulator.schema import Finance

#: The three views of benefits, side by side (gross and net as the 2015 Troubled Families lesson asks).
BASES = ("gross", "net", "cashable")
#: Year from which the long-term Green Book rate applies.
LONG_RATE_FROM = 31


def discount_factors(years: int, rate: float = 0.035, long_rate: float = 0.03) -> np.ndarray:
    """Green Book discount factors for years ``0 .. years-1``.

    Args:
        years: number of years.
        rate: real rate for years 0-30 (Green Book: 3.5%).
        long_rate: real rate from year 31 (Green Book: 3.0% for years 31-75).

    Returns:
        ``DF[t] = (1 + rate)^-min(t, 30) x (1 + long_rate)^-max(t - 30, 0)``.
    """
    t = np.arange(years, dtype=float)
    short = np.minimum(t, LONG_RATE_FROM - 1)
    long = np.maximum(t - (LONG_RATE_FROM - 1), 0.0)
    return (1.0 + rate) ** -short * (1.0 + long_rate) ** -long


def payback_period(net_cost: Sequence[float] | np.ndarray) -> float:
    """Years until the cumulative net cost falls to zero and stays there, interpolated.

    Args:
        net_cost: net cost (cost minus benefit) of each year, year 0 first.

    Returns:
        Years from the start of year 0 (``2.5`` = halfway through year 2); ``0.0`` if
        the scheme saves from the start; ``math.inf`` if the cumulative net cost is
        still above zero at the end of the horizon; ``math.nan`` if every flow is zero.
    """
    flows = np.asarray(net_cost, dtype=float)
    if flows.size == 0 or not np.any(flows):
        return math.nan
    cum = np.cumsum(flows)
    above = np.flatnonzero(cum > 0)
    if above.size == 0:
        return 0.0
    k = int(above[-1])
    if k == flows.size - 1:
        return math.inf
    # still owed cum[k] at the end of year k; year k+1 repays flows[k+1] < 0 evenly
    return (k + 1) + cum[k] / (cum[k] - cum[k + 1])


def npv(benefits: Sequence[float], costs: Sequence[float], factors: Sequence[float]) -> float:
    """Net present value: ``PV(benefits) - PV(costs)`` with the given discount factors."""
    b, c, f = (np.asarray(x, dtype=float) for x in (benefits, costs, factors))
    return float(np.dot(f, b) - np.dot(f, c))


#: What a payback figure reads when a scheme has neither costs nor savings (the baseline against itself).
NO_FLOWS = "n/a (no costs or savings)"


def format_payback(years: float, horizon: int, start_year: int | None = None) -> str:
    """A payback period in words for a reader (never the horizon when it does not pay back).

    Args:
        years: payback in years (``inf`` = does not pay back, ``nan`` = nothing to pay back).
        horizon: years appraised.
        start_year: ``run.start_year``; adds the reporting year in which it breaks even.
    """
    if math.isnan(years):
        return NO_FLOWS
    if math.isinf(years):
        return f"does not pay back within the {horizon}-year horizon"
    if years == 0:  # the scheme saves more than it costs from its first year: nothing to recover
        return "at once: it saves more than it costs from the first year"
    text = f"{years:.1f} years"
    if start_year is not None:
        text += f" (breaks even in the year ending 31 March {breakeven_year(years, start_year)})"
    return text


def breakeven_year(years: float, start_year: int) -> int | None:
    """Reporting year (ending 31 March) in which the payback falls; None if it never does."""
    if not math.isfinite(years):
        return None
    return start_year + 1 + max(math.ceil(years) - 1, 0)


@dataclass
class Appraisal:
    """A scenario appraised against its baseline.

    Attributes:
        cashflow: one row per year: costs by line in both runs, the change, the
            investment, avoided costs, net cost (gross, net, cashable), cumulative and
            discounted figures.
        measures: index the measures (``pv_costs``, ``pv_benefits``, ``npv``, ``bcr``,
            ``roi``, ``payback_years``, ``discounted_payback_years``), columns :data:`BASES`.
        grade: evidence grade used for optimism bias.
        adjustment: the factor ``(1 - deadweight) x (1 - optimism bias)``.
        horizon: years appraised.
        start_year: ``run.start_year`` (year 0 ends 31 March ``start_year + 1``).
    """

    cashflow: pd.DataFrame
    measures: pd.DataFrame
    grade: str
    adjustment: float
    horizon: int
    start_year: int
    notes: dict[str, str] = field(default_factory=dict)

    def payback(self, basis: str = "net", discounted: bool = False) -> float:
        """Payback in years on one basis (``inf`` if it does not pay back)."""
        return float(self.measures.loc["discounted_payback_years" if discounted else "payback_years", basis])

    def npv(self, basis: str = "net") -> float:
        """NPV on one basis (GBP, base-year prices)."""
        return float(self.measures.loc["npv", basis])


def _added(n: int, columns: Iterable[np.ndarray]) -> np.ndarray:
    """The columns added in order from zeros (as ``sum`` would, with a typed result)."""
    total = np.zeros(n)
    for c in columns:
        total = total + c
    return total


def appraise(
    baseline_lines: pd.DataFrame,
    scenario_lines: pd.DataFrame,
    finance: Finance,
    *,
    grade: str = "assumption",
    start_year: int | None = None,
    saves: Mapping[str, bool] | None = None,
) -> Appraisal:
    """Appraise a scenario's costs by line against the baseline's (paired seeds).

    Args:
        baseline_lines: :func:`simulator.finance.costs.costs_by_line` of the baseline.
        scenario_lines: the same for the scenario (same years, same seeds).
        finance: discount rates, cashable shares, deadweight and optimism bias.
        grade: evidence grade of the scheme (sets the optimism bias).
        start_year: ``run.start_year``; by default the year before the first row.
        saves: for each demand line, whether it counts as a saving (shrunk by deadweight,
            optimism bias and its cashable share) or as extra demand (counted in full); by
            default, whether its avoided cost over the horizon is at least zero. A seed-by-seed
            table passes the central estimate's, so that the seeds' NPVs average to it exactly.

    Returns:
        The :class:`Appraisal`.
    """
    if not baseline_lines.index.equals(scenario_lines.index):
        raise ValueError("baseline and scenario cover different years: run both over the same years")
    years = baseline_lines.index.to_numpy()
    n = len(years)
    start = int(years[0]) - 1 if start_year is None else int(start_year)
    if grade not in finance.optimism_bias:
        raise ValueError(f"finance.optimism_bias has no value for evidence grade {grade!r}")
    adj = (1.0 - finance.deadweight) * (1.0 - finance.optimism_bias[grade])
    # columns as arrays, the table made once at the end (inserting 68 columns one by one into a
    # DataFrame took about 25 ms, a tenth of the app's redraw)
    col: dict[str, np.ndarray] = {"year": years, "t": np.arange(n)}
    for line in BUDGET_LINES:
        col[f"baseline_{line}"] = baseline_lines[line].to_numpy(dtype=float)
    for line in BUDGET_LINES:
        col[f"scenario_{line}"] = scenario_lines[line].to_numpy(dtype=float)
    for line in BUDGET_LINES:
        col[f"change_{line}"] = col[f"scenario_{line}"] - col[f"baseline_{line}"]
    col["investment"] = _added(n, (col[f"change_{line}"] for line in INVESTMENT_LINES))
    for line in DEMAND_LINES:
        col[f"avoided_{line}"] = -col[f"change_{line}"]
    shares = finance.cashable_share
    col["benefit_gross"] = _added(n, (col[f"avoided_{line}"] for line in DEMAND_LINES))
    # the adjustments only ever weaken the case: a line whose avoided cost over the horizon is
    # negative (the scheme adds demand) is counted in full, not shrunk by deadweight or bias
    net, cash = {}, {}
    for line in DEMAND_LINES:
        avoided = col[f"avoided_{line}"]
        saving = bool(avoided.sum() >= 0) if saves is None else bool(saves[line])
        net[line] = avoided * (adj if saving else 1.0)
        cash[line] = net[line] * (shares.get(line, 1.0) if saving else 1.0)
    col["benefit_net"] = _added(n, net.values())
    col["benefit_cashable"] = _added(n, cash.values())
    factors = discount_factors(n, finance.discount_rate, finance.discount_rate_long)
    col["discount_factor"] = factors
    rows: dict[str, dict[str, float]] = {}
    pv_costs = float(np.dot(factors, col["investment"]))
    for basis in BASES:
        net_cost = col["investment"] - col[f"benefit_{basis}"]
        col[f"net_cost_{basis}"] = net_cost
        col[f"cumulative_net_cost_{basis}"] = net_cost.cumsum()
        col[f"discounted_net_cost_{basis}"] = net_cost * factors
        col[f"cumulative_discounted_net_cost_{basis}"] = col[f"discounted_net_cost_{basis}"].cumsum()
        pv_b = float(np.dot(factors, col[f"benefit_{basis}"]))
        rows[basis] = {
            "total_costs": float(col["investment"].sum()),
            "total_benefits": float(col[f"benefit_{basis}"].sum()),
            "pv_costs": pv_costs,
            "pv_benefits": pv_b,
            "npv": pv_b - pv_costs,
            "bcr": pv_b / pv_costs if pv_costs > 0 else math.nan,
            "roi": (pv_b - pv_costs) / pv_costs if pv_costs > 0 else math.nan,
            "payback_years": payback_period(net_cost),
            "discounted_payback_years": payback_period(col[f"discounted_net_cost_{basis}"]),
        }
    df = pd.DataFrame(col)
    measures = pd.DataFrame(rows)
    notes = {
        "costs": "change against the baseline in early help capacity, programmes and hubs (in full)",
        "benefits": "avoided social work and placement costs against the baseline (paired seeds)",
        "net": f"gross x (1 - deadweight {finance.deadweight:g}) x (1 - optimism bias "
        f"{finance.optimism_bias[grade]:g} for evidence grade {grade}); a line with extra demand "
        "over the horizon is counted in full",
        "cashable": "net x cashable share of each line: "
        + ", ".join(f"{k} {shares.get(k, 1.0):g}" for k in DEMAND_LINES)
        + "; extra demand is counted in full",
        "bcr": "PV(benefits) / PV(costs) (GBP returned per GBP 1)",
        "roi": "financial return on investment: (PV(benefits) - PV(costs)) / PV(costs)",
    }
    return Appraisal(df, measures, grade, adj, n, start, notes)
