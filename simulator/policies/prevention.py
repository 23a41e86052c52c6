"""Prevention spend: early help places and universal prevention.

Mechanism: extra spend buys early help places (capacity = spend x share /
cost per place-year) and universal prevention that reaches families (reach =
spend x (1 - share) / cost per family-year). Reach goes to the families with
most need first (then the most deprived), who then have fewer adverse events
and are likelier to be offered early help. Returns diminish twice over: each
extra pound reaches families with less need, and places beyond demand go
unused. Spend takes effect gradually (exponential smoothing over
``months_to_effect``), as services recruit and embed, and stops at once when the budget
falls (:func:`phase_spend`). A change to the existing
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


def phase_spend(effective: float, budget: float, lag: int) -> float:
    """Next month's spend in effect: it closes ``1/lag`` of its gap to this year's budget, never above it.

    Spend builds up over ``months_to_effect`` as services recruit and embed (the budget is
    underspent meanwhile: costs are what is delivered); when the budget falls, the services it
    no longer pays for stop at once, so no month is charged more than its year's budget (an
    assumption: no notice periods or contracts running on). The engine and the expected-value
    view both phase spend with this rule.
    """
    return min(effective + (budget - effective) / max(lag, 1), budget)


def phase_change(effective: float, change: float, lag: int) -> float:
    """Next month's change to the existing early help places in effect.

    ``1/lag`` of its gap closes each month, up or down (places open and close as staff are
    hired or leave).
    """
    return effective + (change - effective) / max(lag, 1)


N_RANKS = 2 * kn.N_DECILES  # need 1-2 x deprivation decile: the order in which prevention reaches families


@njit(cache=True)
def _reach(FI: np.ndarray, column: int, reach: int, k0: int, k1: int, month: int) -> int:
    """Give universal prevention to the ``reach`` families with most need, then most deprived.

    Candidates: families with children at home, in universal services or early help, with
    emerging or high need (1-2), ranked ``(need - 1) * 10 + (9 - decile)`` (need first, then the
    most deprived; ten deciles). Every family of the ranks above the last one reached is reached,
    and of that rank those with the highest draws at ``(family id, month, P_PREVENTION)`` (not the
    table's order), so two runs reach the same families. Every family's lever group in
    ``column`` is cleared first and set to ``REACHED`` for those reached. Returns how many.
    One compiled pass over the family table; only the last rank's families draw.
    """
    rows = np.empty(FI.shape[0], np.int64)
    rank = np.empty(FI.shape[0], np.int64)
    counts = np.zeros(N_RANKS, np.int64)
    n = 0
    for r in range(FI.shape[0]):
        FI[r, column] = 0
        need = FI[r, kn.NEED]
        if FI[r, kn.FAM_ID] >= 0 and FI[r, kn.N_HOME] > 0 and FI[r, kn.STATE] <= kn.EH and 1 <= need <= 2:
            k = (need - 1) * kn.N_DECILES + (kn.N_DECILES - 1 - FI[r, kn.DECILE])
            rows[n] = r
            rank[n] = k
            counts[k] += 1
            n += 1
    if reach <= 0 or n == 0:
        return 0
    if reach >= n:
        for i in range(n):
            FI[rows[i], column] = REACHED
        return n
    # the rank where ``reach`` runs out, and the room left in it
    last = N_RANKS - 1
    above = 0
    while above + counts[last] < reach:
        above += counts[last]
        last -= 1
    room = reach - above
    tied = np.empty(counts[last], np.int64)
    j = 0
    for i in range(n):
        if rank[i] > last:
            FI[rows[i], column] = REACHED
        elif rank[i] == last:
            tied[j] = rows[i]
            j += 1
    if room >= tied.size:
        for i in range(tied.size):
            FI[tied[i], column] = REACHED
        return above + tied.size
    u = np.empty(tied.size)
    kk0, kk1 = np.uint64(k0), np.uint64(k1)
    m = np.uint64(month) & keyed._MASK
    p = np.uint64(keyed.P_PREVENTION)
    for i in range(tied.size):
        fid = np.uint64(FI[tied[i], kn.FAM_ID]) & keyed._MASK
        w0, _, _, _ = keyed.philox(fid, m, p, np.uint64(0), kk0, kk1)
        u[i] = keyed.to_unit(w0)
    # the ``room`` highest draws: at or above the room-th highest (draws are 32-bit: a tie at the
    # cut would give one more, which the count below stops)
    cut = np.partition(u, tied.size - room)[tied.size - room]
    given = 0
    for i in range(tied.size):
        if u[i] >= cut and given < room:
            FI[tied[i], column] = REACHED
            given += 1
    return above + given


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
        self.effective_spend = phase_spend(self.effective_spend, self.year_value(self.spend), lag)
        change = self.year_value(self.capacity_change)
        self.effective_change = phase_change(self.effective_change, change, lag)
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
        key = model.key
        self.reached = int(
            _reach(
                model.services.FI,
                kn.LEVER0 + self.channel,
                int(reach),
                int(key[0]),
                int(key[1]),
                int(model.month) & 0xFFFFFFFF,
            )
        )

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """Families reached, extra early help places, and the universal part of the spend."""
        scale = model.scale
        return {
            "families_served": self.reached * scale,
            "places": self.extra_places * scale,
            "running_cost_gbp": self.effective_spend * (1.0 - self.lever.early_help_share) / 12,
            "capital_cost_gbp": 0.0,
        }
