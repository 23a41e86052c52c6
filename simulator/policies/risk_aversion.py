"""Risk aversion over time, and shocks from high-profile cases.

Mechanism: the risk-aversion index scales referrals, section 47 enquiries
and entries to care (``risk_aversion.*_elasticity``), so a rise makes the
system more interventionist and a fall leaves more need unmet. A shock (a
high-profile child death) raises the index by ``size`` at its date and decays
with a half-life: ``index = base x path(year) x (1 + size x 2^(-t/half_life))``.

Evidence: after Baby P (November 2008) care applications rose 37.5% by March
2009 and 36% in 2009/10 (Cafcass, via Community Care); the share of CP
assessments leading to a plan fell 20% from 2009-10 to 2015-16 (seeds,
Bywaters 2017). Cost: none directly; the extra statutory work is costed by the
finance module from the activity it causes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.policies.base import Policy

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView


class RiskAversionPolicy(Policy):
    """Moves ``risk_aversion.index`` along a path and through shocks."""

    name = "risk_aversion"
    mechanism = (
        "Scales referrals, section 47 enquiries and entries to care; a shock raises it and "
        "it decays with a half-life."
    )
    evidence = "Baby P: care applications +36% in 2009/10 (Cafcass); CP plan conversion -20% (Bywaters)."
    grade = "M"

    def __init__(self, model: ModelView):
        super().__init__(model)
        lever = model.scenario.levers.risk_aversion
        self.path = self.series(lever.index_path)
        self.shocks = [
            (self.month_of(s.date, f"levers.risk_aversion.shocks[{i}].date"), s.size, s.half_life_years * 12)
            for i, s in enumerate(lever.shocks)
        ]
        self.index = model.scenario.risk_aversion.index

    @staticmethod
    def active(model: ModelView) -> bool:
        """Whether the scenario moves risk aversion at all."""
        lever = model.scenario.levers.risk_aversion
        return bool(lever.shocks) or any(v != 1.0 for v in Policy(model).series(lever.index_path))

    def index_at(self, m: int) -> float:
        """The index in reported month ``m`` (shocks dated before the run count from their date)."""
        base = self.model.scenario.risk_aversion.index
        value = base * self.path[min(max(m, 0) // 12, len(self.path) - 1)] if m >= 0 else base
        for start, size, half_life in self.shocks:
            if m >= start:
                value *= 1.0 + size * np.exp2(-(m - start) / half_life)
        return float(value)

    def start_month(self, model: ModelView) -> None:
        """Set this month's index on the services."""
        if self.m >= 0 or any(start < 0 for start, _, _ in self.shocks):
            self.index = self.index_at(self.m)
            model.services.set_risk_index(self.index)

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """The index this month (no cost of its own)."""
        return {
            "risk_index": self.index,
            "families_served": 0.0,
            "places": 0.0,
            "running_cost_gbp": 0.0,
            "capital_cost_gbp": 0.0,
        }
