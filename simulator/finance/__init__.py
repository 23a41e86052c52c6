"""Finance: costs by budget line, payback, NPV and the invest-to-save workbook.

Pure functions of run outputs plus the unit-cost table (:mod:`~simulator.finance.costs`),
the appraisal of a scenario against its baseline with Green Book discounting and
GMCA-style adjustments (:mod:`~simulator.finance.appraisal`), uncertainty over seeds
and inputs (:mod:`~simulator.finance.uncertainty`) and the workbook and charts
(:mod:`~simulator.finance.report`).

Example:
    >>> from simulator import Scenario
    >>> from simulator.finance import payback_report, write_outputs
    >>> report = payback_report(scheme, Scenario(), runs=20, seed=1)  # doctest: +SKIP
    >>> write_outputs(report, "payback.xlsx")  # doctest: +SKIP

References:
    HM Treasury (2022) *The Green Book*: discount rates (3.5% years 0-30, 3.0% 31-75),
    NPV, BCR, sensitivity analysis and switching values.
    HM Treasury, Public Service Transformation Network and New Economy (2014)
    *Supporting public service transformation: cost benefit analysis guidance for local
    partnerships* (the GMCA method): deadweight, optimism bias by confidence grade,
    cashable and non-cashable savings, financial ROI and payback.
"""

from simulator.finance.appraisal import (
    BASES,
    Appraisal,
    appraise,
    breakeven_year,
    discount_factors,
    format_payback,
    npv,
    payback_period,
)
from simulator.finance.costs import (
    BUDGET_LINES,
    COST_ITEMS,
    DEMAND_LINES,
    INVESTMENT_LINES,
    activities,
    cost_items,
    costs_by_line,
    unit_cost_table,
    uprating_factor,
)
from simulator.finance.report import (
    SHEETS,
    PaybackReport,
    cashflow_sheet,
    payback_report,
    plot_cumulative,
    plot_tornado,
    write_outputs,
    write_workbook,
)
from simulator.finance.uncertainty import (
    EFFECT_PARAMETERS,
    ModelRunner,
    MonteCarlo,
    active_levers,
    appraise_results,
    appraise_runs,
    median_interval,
    monte_carlo,
    scale_effects,
    scheme_grade,
    switching_values,
    tornado,
)

__all__ = [
    "BASES",
    "BUDGET_LINES",
    "COST_ITEMS",
    "DEMAND_LINES",
    "EFFECT_PARAMETERS",
    "INVESTMENT_LINES",
    "SHEETS",
    "Appraisal",
    "ModelRunner",
    "MonteCarlo",
    "PaybackReport",
    "activities",
    "active_levers",
    "appraise",
    "appraise_results",
    "appraise_runs",
    "breakeven_year",
    "cashflow_sheet",
    "cost_items",
    "costs_by_line",
    "discount_factors",
    "format_payback",
    "median_interval",
    "monte_carlo",
    "npv",
    "payback_period",
    "payback_report",
    "plot_cumulative",
    "plot_tornado",
    "scale_effects",
    "scheme_grade",
    "switching_values",
    "tornado",
    "unit_cost_table",
    "uprating_factor",
    "write_outputs",
    "write_workbook",
]
