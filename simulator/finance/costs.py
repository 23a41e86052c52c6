"""Costs by budget line from run outputs and the unit-cost table, in real base-year prices.

Each unit cost in the scenario's ``costs`` section carries its value, unit, price
year and source (shared/calibration ``unit_costs.csv``). It is uprated to the
base price year (``finance.base_price_year``) with ``finance.uprating`` (factors
to 2024-25 prices; the calibration sheet gives x1.30-1.35 for GMCA values) and
applied to an activity count of the run:

- early help: capacity bought, i.e. ``early_help_places`` (monthly table, families)
  summed over the months of the year x cost per family-month;
- social work: referrals, assessments, section 47 enquiries, CIN and CP child-months;
- placements: child-months by placement type x weekly cost x 52.14 / 12;
- programmes and hubs: running and capital costs declared by the levers in
  ``results.policy`` (2024-25 prices), hubs from ``community_hubs``, the rest programmes.

References:
    GMCA / New Economy Unit Cost Database v1.4; HM Treasury (2014) *Supporting public
    service transformation: cost benefit analysis guidance for local partnerships*.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from simulator.schema import Costs, Finance, Scenario, ScenarioError, financial_year
from simulator.states import Placement

#: Placement types as they appear in the annual table's column names (from the State vocabulary).
PLACEMENT_NAMES = tuple(p.name.lower() for p in Placement if p != Placement.NONE)

#: Weeks in a month (52.14 weeks a year / 12): converts weekly placement costs per child-month.
WEEKS_PER_MONTH = 52.14 / 12
#: The budget lines (the keys of ``finance.cashable_share``).
BUDGET_LINES = ("early_help", "social_work", "placements", "programmes", "hubs")
#: Lines the council buys (the investment): counted in full, no adjustment.
INVESTMENT_LINES = ("early_help", "programmes", "hubs")
#: Lines driven by demand: their fall against the baseline is the avoided cost (the benefit).
DEMAND_LINES = ("social_work", "placements")
#: Price year of the lever costs in ``results.policy`` (the schema states them in 2024-25 prices).
POLICY_PRICE_YEAR = "2024-25"
#: Policies whose costs go to the ``hubs`` line; every other policy's go to ``programmes``.
POLICY_LINES = {"community_hubs": "hubs"}


@dataclass(frozen=True)
class CostItem:
    """How a unit cost becomes a yearly cost.

    Attributes:
        line: the budget line.
        activity: the activity column (annual table, or ``early_help_places`` summed monthly).
        units_per_activity: cost units per activity unit (weeks per child-month for placements).
        activity_unit: what the activity counts.
    """

    line: str
    activity: str
    units_per_activity: float
    activity_unit: str


#: Every used unit cost of :class:`simulator.schema.Costs` and the activity it prices.
COST_ITEMS: dict[str, CostItem] = {
    "early_help_family_month": CostItem(
        "early_help", "early_help_places", 1.0, "early help place-months (capacity)"
    ),
    "referral": CostItem("social_work", "referrals", 1.0, "referrals"),
    "assessment": CostItem("social_work", "assessments", 1.0, "assessments"),
    "section47_enquiry": CostItem("social_work", "section47_enquiries", 1.0, "section 47 enquiries"),
    "cin_child_month": CostItem("social_work", "cin_child_months", 1.0, "child-months on CIN plans"),
    "cp_child_month": CostItem("social_work", "cp_child_months", 1.0, "child-months on CP plans"),
    **{
        f"{p}_week": CostItem(
            "placements", f"lac_{p}_child_months", WEEKS_PER_MONTH, f"child-months in {p.replace('_', ' ')}"
        )
        for p in PLACEMENT_NAMES
    },
}
#: Unit costs in the schema that no activity of the run prices yet, and why.
UNUSED_COST_ITEMS = {
    "care_proceedings": "not used: the annual table has no count of care order applications",
}
#: Where each default uprating factor comes from (shown in the Assumptions sheet).
UPRATING_SOURCES = {
    **{
        y: "[GMCA] v1.4 values x1.30-1.35 to 2024-25 (calibration sheet); top of the range"
        for y in ("2005-06", "2008-09", "2009-10", "2010-11")
    },
    "2011-12": "assumption: interpolated within the calibration sheet's GMCA range",
    "2012-13": "assumption: interpolated within the calibration sheet's GMCA range",
    "2013-14": "[GMCA] v1.4 values x1.30-1.35 to 2024-25 (calibration sheet); bottom of the range",
    **{
        y: "assumption: approximate GDP-deflator growth to 2024-25 (replace with HM Treasury GDP "
        "deflators, ONS L8GG)"
        for y in ("2014-15", "2016-17", "2020-21", "2023-24")
    },
    "2024-25": "base of the table",
}


class RunOutputs(Protocol):
    """What the finance module reads from a run (a :class:`simulator.results.Results`)."""

    annual: pd.DataFrame
    monthly: pd.DataFrame
    policy: pd.DataFrame
    meta: dict[str, Any]


def uprating_factor(price_year: str, finance: Finance, field: str = "price_year") -> float:
    """Factor taking prices of ``price_year`` to ``finance.base_price_year`` prices.

    Args:
        price_year: e.g. ``"2013-14"`` or ``"2012"``.
        finance: the finance section (its ``uprating`` table and base year).
        field: the field named in the error if the year has no factor.

    Returns:
        ``uprating[price_year] / uprating[base_price_year]``.

    Raises:
        ScenarioError: a year missing from ``finance.uprating``.
    """
    table = finance.uprating
    py, base = financial_year(price_year), finance.base_price_year
    for year, name in ((py, field), (base, "finance.base_price_year")):
        if year not in table:
            raise ScenarioError(
                [
                    f"{name} = {year!r}: finance.uprating has no factor for it; add one "
                    f"(known years: {', '.join(sorted(table))})"
                ],
                source="finance",
            )
    return table[py] / table[base]


def cost_grade(source: str) -> str:
    """Confidence grade of a unit cost from its source text (``[H]``, ``[M]``, ``[L]`` or assumption)."""
    m = re.search(r"\[(H|M|L)\]", source)
    if m:
        return m.group(1)
    return "assumption"


def unit_cost_table(scenario: Scenario) -> pd.DataFrame:
    """Every unit cost with its source, price year, uprating and base-year value.

    Args:
        scenario: the scenario whose ``costs`` and ``finance`` sections are used.

    Returns:
        One row per unit cost (index ``item``) with columns ``budget_line``, ``value``,
        ``unit``, ``price_year``, ``source``, ``grade``, ``uprating_factor``,
        ``uprating_source``, ``value_base_prices``, ``cost_per_activity_unit``,
        ``activity``, ``activity_unit`` and ``used``.
    """
    fin = scenario.finance
    rows = []
    for name in Costs.model_fields:
        uc = getattr(scenario.costs, name)
        if uc.value < 0:  # the schema forbids it; kept for unit costs built by hand
            raise ScenarioError([f"costs.{name}.value = {uc.value!r}: a unit cost cannot be negative"])
        factor = uprating_factor(uc.price_year, fin, f"costs.{name}.price_year")
        item = COST_ITEMS.get(name)
        py = financial_year(uc.price_year)
        rows.append(
            {
                "item": name,
                "budget_line": item.line if item else "",
                "value": uc.value,
                "unit": uc.unit,
                "price_year": uc.price_year,
                "source": uc.source,
                "grade": cost_grade(uc.source),
                "uprating_factor": factor,
                "uprating_source": f"finance.uprating[{py}] / [{fin.base_price_year}]: "
                + UPRATING_SOURCES.get(py, "user-set"),
                "value_base_prices": uc.value * factor,
                "cost_per_activity_unit": uc.value * factor * (item.units_per_activity if item else 1.0),
                "activity": item.activity if item else "",
                "activity_unit": item.activity_unit if item else UNUSED_COST_ITEMS.get(name, "not used"),
                "used": item is not None,
            }
        )
    return pd.DataFrame(rows).set_index("item")


def activities(results: RunOutputs) -> pd.DataFrame:
    """The activity counts that costs are computed from, one row per reported year.

    Args:
        results: a run's results (annual, monthly and policy tables).

    Returns:
        Index ``year`` (reporting year ending 31 March); a column per activity of
        :data:`COST_ITEMS` and, for each lever reporting costs, ``policy:<name>:running``
        and ``policy:<name>:capital`` (GBP, 2024-25 prices).
    """
    annual = results.annual.set_index("year")
    cols = sorted({it.activity for it in COST_ITEMS.values() if it.activity != "early_help_places"})
    act = annual[cols].astype(float).copy()
    eh = results.monthly.groupby("reporting_year")["early_help_places"].sum()
    act["early_help_places"] = eh.reindex(act.index).astype(float)
    pol = results.policy
    if pol is not None and not pol.empty:
        start = int(results.meta["start_year"])
        year = start + 1 + pol["month"].astype(int) // 12
        for name, g in pol.groupby("policy", sort=True):
            for kind in ("running", "capital"):
                col = f"{kind}_cost_gbp"
                if col in g.columns:
                    by_year = g[col].astype(float).groupby(year[g.index]).sum()
                    act[f"policy:{name}:{kind}"] = by_year.reindex(act.index).fillna(0.0)
    act.index.name = "year"
    return act


def mean_activities(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Average activity tables of several seeds (a lever column missing from a run counts 0)."""
    if len(tables) == 1:
        return tables[0]
    return pd.concat(tables).fillna(0.0).groupby(level=0).mean()


def cost_items(
    act: pd.DataFrame,
    unit_costs: pd.DataFrame,
    finance: Finance,
    *,
    cost_multipliers: Mapping[str, float] | None = None,
    policy_cost_multiplier: float = 1.0,
) -> pd.DataFrame:
    """Cost of every item each year, in base-year prices.

    Args:
        act: activities (:func:`activities`).
        unit_costs: the unit-cost table (:func:`unit_cost_table`).
        finance: the finance section (base price year, uprating).
        cost_multipliers: optional factor per unit-cost item (sensitivity, Monte Carlo).
        policy_cost_multiplier: factor on the levers' own costs.

    Returns:
        Index ``year``; columns a MultiIndex ``(budget_line, item)`` in GBP.
    """
    mult = dict(cost_multipliers or {})
    unknown = set(mult) - set(unit_costs.index)
    if unknown:
        raise ScenarioError(
            [
                f"cost multiplier for unknown unit cost {sorted(unknown)[0]!r}; known: "
                f"{', '.join(unit_costs.index)}"
            ],
            source="finance",
        )
    out: dict[tuple[str, str], pd.Series] = {}
    for name, row in unit_costs[unit_costs["used"]].iterrows():
        per = row["cost_per_activity_unit"] * mult.get(str(name), 1.0)
        out[(row["budget_line"], str(name))] = act[row["activity"]] * per
    price = uprating_factor(POLICY_PRICE_YEAR, finance, "policy costs") * policy_cost_multiplier
    for col in act.columns:
        if col.startswith("policy:"):
            _, policy, kind = col.split(":")
            line = POLICY_LINES.get(policy, "programmes")
            out[(line, f"{policy}_{kind}")] = act[col] * price
    df = pd.DataFrame(out, index=act.index)
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["budget_line", "item"])
    return df


def costs_by_line(
    act: pd.DataFrame,
    unit_costs: pd.DataFrame,
    finance: Finance,
    *,
    cost_multipliers: Mapping[str, float] | None = None,
    policy_cost_multiplier: float = 1.0,
) -> pd.DataFrame:
    """Yearly cost of each budget line (GBP, base-year prices) and their total.

    Args:
        act: activities (:func:`activities`).
        unit_costs: the unit-cost table (:func:`unit_cost_table`).
        finance: the finance section.
        cost_multipliers: optional factor per unit-cost item.
        policy_cost_multiplier: factor on the levers' own costs.

    Returns:
        Index ``year``; columns :data:`BUDGET_LINES` and ``total``.
    """
    items = cost_items(
        act,
        unit_costs,
        finance,
        cost_multipliers=cost_multipliers,
        policy_cost_multiplier=policy_cost_multiplier,
    )
    lines = items.T.groupby(level="budget_line").sum().T.reindex(columns=list(BUDGET_LINES), fill_value=0.0)
    lines["total"] = lines.sum(axis=1)
    return lines
