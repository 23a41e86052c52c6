"""Prevention spend: early help places and universal prevention.

Mechanism: extra spend buys early help places (capacity = spend x share /
cost per place-year) and universal prevention that reaches families (reach =
spend x (1 - share) / cost per family-year). Reach goes to the families with
most need first (then the most deprived), who then have fewer adverse events
and are likelier to be offered early help. Returns diminish twice over: each
extra pound reaches families with less need, and places beyond demand go
unused. Spend takes effect gradually (exponential smoothing over
``months_to_effect``), as services recruit and embed. A change to the existing
early help budget (``baseline_capacity_change``, e.g. -0.44 for the 2010s cuts)
opens or closes places the same way.

Evidence: early help proxy costs ([GMCA] SS6.0), group parenting programmes
([GMCA] SS15); Sure Start evaluations (IFS 2025: £2.05 benefit per £1, few
impacts on social care contacts, larger in poorer areas); the seeds' cuts:
Sure Start/early years -44% 2010-11 to 2015-16, early intervention grant -55%.
Cost: the spend itself (universal part reported here; early help places show
in the monthly ``early_help_places`` and are costed per place).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.policies.base import ADVERSE, IDENTIFY, Policy

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView

REACHED = 1
N_RANKS = 2 * kn.N_DECILES  # need 1-2 x deprivation decile: the order in which prevention reaches families


@njit(cache=True)
def _candidates(FI: np.ndarray, column: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the families universal prevention can reach, and each one's rank (higher: first).

    Every family's lever group in ``column`` is cleared on the way (nobody reached yet).

    Families with children at home, in universal services or early help, with emerging or high
    need (1-2): rank ``(need - 1) * 10 + (9 - decile)`` with ten deciles, so need first, then the most
    deprived.
    One compiled pass over the family table (as numpy masks it was a sixth of a run's time).
    """
    rows = np.empty(FI.shape[0], np.int64)
    rank = np.empty(FI.shape[0], np.int64)
    n = 0
    for r in range(FI.shape[0]):
        FI[r, column] = 0
        need = FI[r, kn.NEED]
        if FI[r, kn.FAM_ID] >= 0 and FI[r, kn.N_HOME] > 0 and FI[r, kn.STATE] <= kn.EH and 1 <= need <= 2:
            rows[n] = r
            rank[n] = (need - 1) * kn.N_DECILES + (kn.N_DECILES - 1 - FI[r, kn.DECILE])
            n += 1
    return rows[:n], rank[:n]


class PreventionPolicy(Policy):
    """Funds early help places and universal prevention that reaches families with need."""

    name = "prevention"
    channel = 2
    mechanism = (
        "Buys early help places and universal prevention; families reached (most need first) "
        "have fewer adverse events and are found earlier; the effect builds up over the months it "
        "takes services to recruit and embed (months to effect)."
    )
    evidence = "GMCA early help and parenting programme costs; Sure Start evaluations; seeds' cuts -44%/-55%."
    grade = "L"

    def __init__(self, model: ModelView):
        super().__init__(model)
        self.lever = model.scenario.levers.prevention
        self.spend = self.series(self.lever.spend_per_year)
        self.capacity_change = self.series(self.lever.baseline_capacity_change)
        self.effective_spend = 0.0
        self.effective_change = 0.0
        self.reached = 0
        self.extra_places = 0.0

    @staticmethod
    def active(model: ModelView) -> bool:
        """Whether the scenario changes prevention spend or the early help budget."""
        lever = model.scenario.levers.prevention
        p = Policy(model)
        return any(v != 0 for v in p.series(lever.spend_per_year)) or any(
            v != 0 for v in p.series(lever.baseline_capacity_change)
        )

    def start_month(self, model: ModelView) -> None:
        """Smooth spend towards this year's level; set places and who is reached."""
        if self.m < 0:
            return
        lag = max(self.lever.months_to_effect, 1)
        self.effective_spend += (self.year_value(self.spend) - self.effective_spend) / lag
        self.effective_change += (self.year_value(self.capacity_change) - self.effective_change) / lag
        sv = model.services
        # places for the simulated sample (counts are scaled back up by 1/sample_fraction)
        self.extra_places = (
            self.effective_spend
            * self.lever.early_help_share
            / self.lever.cost_per_early_help_place
            * model.scenario.run.sample_fraction
        )
        sv.eh_places = max(0.0, model.base_eh_places * (1.0 + self.effective_change) + self.extra_places)
        universal = self.effective_spend * (1.0 - self.lever.early_help_share)
        reach = int(universal / self.lever.cost_per_family_reached * model.scenario.run.sample_fraction)
        if self.m % 3 == 0 or reach != self.reached:
            self._target(model, reach)
        # reached families: fewer adverse events, found earlier (full effect once spend has ramped)
        table = sv.lever_table[self.channel, REACHED]
        table[:] = 1.0
        table[ADVERSE] = 1.0 - self.lever.adverse_reduction
        table[IDENTIFY] = 1.0 + self.lever.identification_boost

    def _target(self, model: ModelView, reach: int) -> None:
        """Give the ``reach`` families with most need (then most deprived) universal prevention."""
        f = model.families
        # emerging or high need, not yet statutory: where prevention can stop escalation
        eligible, rank = _candidates(model.services.FI, kn.LEVER0 + self.channel)
        self.reached = 0
        if reach <= 0:
            return
        if eligible.size == 0:
            return
        # need first, then deprivation (decile 0 = most deprived), ties broken by each family's own
        # draw for the month (not by the table's order), so two runs reach the same families. By
        # rank (need 1-2, decile): every family of the ranks above the last one reached, and of that
        # rank those with the highest draws (only its families' draws are worked out).
        if reach < eligible.size:
            above = np.cumsum(np.bincount(rank, minlength=N_RANKS)[::-1])  # families in the top i+1 ranks
            last = N_RANKS - 1 - int(np.searchsorted(above, reach))  # the rank where ``reach`` runs out
            tied = eligible[rank == last]
            room = reach - int(np.count_nonzero(rank > last))
            if room < tied.size:
                u = keyed.uniforms(model.key, f.fam_id[tied], model.month, keyed.P_PREVENTION)
                tied = tied[np.argpartition(-u, room - 1)[:room]] if room > 0 else tied[:0]
            eligible = np.concatenate([eligible[rank > last], tied])
        f.lever[eligible, self.channel] = REACHED
        self.reached = int(eligible.size)

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """Families reached, extra early help places, and the universal part of the spend."""
        scale = model.scale
        return {
            "families_served": self.reached * scale,
            "places": self.extra_places * scale,
            "running_cost_gbp": self.effective_spend * (1.0 - self.lever.early_help_share) / 12,
            "capital_cost_gbp": 0.0,
        }
