"""The headline cards a room reads first: care in years 5 and 10, net cost, payback, unmet need.

Each figure is the median over the paired runs (baseline and scenario with the same seeds), with
its P10-P90, once they are in; until then the pair on screen, said to be one run. Money comes from
the finance module only (:mod:`simulator.app.finance_view` over :mod:`simulator.finance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.app.finance_view import FinanceView, format_years, money_text
from simulator.finance.uncertainty import percentiles


@dataclass(frozen=True)
class Card:
    """One headline: what it is, its figure, and how sure (the spread, or "1 run")."""

    title: str
    value: str
    detail: str


def _spread(values: Sequence[float]) -> tuple[float, float, float]:
    lo, mid, hi = percentiles(values, [10, 50, 90])  # as the finance module's P10-P90
    return float(lo), float(mid), float(hi)


def _signed(x: float, unit: str = "") -> str:
    r = round(float(x))  # what is shown: no "-0" for a change that rounds to nothing
    return f"{'+' if r > 0 else '-' if r < 0 else ''}{abs(r):,}{unit}"


def _short_years(years: float) -> str:
    if np.isnan(years):
        return "none due"
    if years == 0:
        return "at once (saves from year 1)"
    return f"{years:.1f} years" if np.isfinite(years) else "not in the run"


def _one_run_payback(fin: FinanceView) -> str:
    """The payback card of one run: nothing to pay back, at once, its year, or not in the run."""
    if bool((fin.net.abs() < 0.5).all()):
        return "nothing to pay back"
    if fin.payback_years == 0:
        return _short_years(0.0)
    return f"{fin.payback_year}" if fin.payback_year else "not within the run"


def _between(lo: str, hi: str) -> str:
    """P10 and P90 in words, once when they read the same."""
    return f"P10 and P90: {lo}" if lo == hi else f"P10 {lo}, P90 {hi}"


def _runs_detail(lo: float, hi: float, runs: int, fmt: Any) -> str:
    if runs <= 1:
        return "1 run (paired runs on the way)"
    a, b = fmt(lo), fmt(hi)
    return f"P10 and P90: {a} ({runs} runs)" if a == b else f"P10-P90 {a} to {b} ({runs} runs)"


def stock_card(
    title: str, column: str, index: int, pairs: Sequence[tuple[Any, Any]], plain: str = "children"
) -> Card | None:
    """The scenario's level in one reporting year and its change from the baseline over ``pairs``."""
    years = pairs[0][0].annual["year"].tolist()
    if index >= len(years):
        return None
    scen = [s.annual[column].iloc[index] for _, s in pairs]
    diff = [s.annual[column].iloc[index] - b.annual[column].iloc[index] for b, s in pairs]
    lo, mid, hi = _spread(diff)
    level = float(percentiles(scen, 50))
    return Card(
        f"{title}, March {years[index]}",
        f"{level:,.0f} ({_signed(mid)})",
        f"change in {plain}: " + _runs_detail(lo, hi, len(pairs), _signed),
    )


def cards(outcome: Any, bands: Any, fin: Any, money: Any) -> list[Card]:
    """The headline cards for the outcome on screen (paired runs' medians once they are in)."""
    pairs = list(zip(bands.baseline, bands.scenario, strict=True)) if bands is not None and money else []
    if not pairs:
        pairs = [(outcome.baseline, outcome.scenario)]
    start = outcome.scenario_scenario.run.start_year
    out = [
        stock_card("Children in care", "lac_31_march", 4, pairs),
        stock_card("Children in care", "lac_31_march", 9, pairs),
    ]
    if money is not None:
        curves = money.monte_carlo.curves
        lo, mid, hi = _spread(curves.iloc[-1].to_numpy())
        last = int(curves.index[-1])
        pay = money.payback()
        out.append(
            Card(
                f"Net cost to March {last}",
                money_text(mid),
                "below zero: a saving; " + _runs_detail(lo, hi, money.runs, money_text),
            )
        )
        out.append(
            Card(
                "Payback (cash)",
                _short_years(pay["p50"]) if np.isfinite(pay["p50"]) else format_years(pay["p50"], start),
                f"{_between(_short_years(pay['p10']), _short_years(pay['p90']))} ({money.runs} runs)",
            )
        )
    else:
        last = fin.years[-1]
        net = float(fin.cumulative_net.iloc[-1])
        out.append(Card(f"Net cost to March {last}", money_text(net), "below zero: a saving; 1 run"))
        out.append(Card("Payback (cash)", _one_run_payback(fin), "1 run (paired runs on the way)"))
    out.append(
        stock_card(
            "Unmet high need",
            "unmet_high_need_31_march",
            min(9, len(pairs[0][0].annual) - 1),
            pairs,
            "children",  # children at home with high need and no service (docs/COUNTING.md)
        )
    )
    return [c for c in out if c is not None]
