"""The Troubled Families programme: intensive whole-family work.

Mechanism: each month, ``places_per_year / 12`` eligible families start
(families with multiple needs: need at or above ``eligibility_min_need`` with
earlier statutory involvement or three or more children). During the
intervention and for ``effect_months_after`` months the chance that a child
enters care is lower by ``care_entry_reduction``, and need falls faster while
in the programme. At each enrolment an equal number of eligible families not
offered the programme, matched on need and service state, is recorded as a
comparison group, so a run evaluates itself as the national evaluation did:
children entering care within 24 months, treated vs comparison
(:meth:`TroubledFamiliesPolicy.evaluation`).

Evidence: MHCLG national evaluation 2019/2022 (grade H): children going into
care 32% lower than a matched comparison at 19-24 months; £1.51 fiscal benefit
per £1 over five years. Cost: about £10,000 per family (DCLG, 2012 prices;
grade L), user-changeable, booked when a family starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.policies.base import CARE, RECOVER, Policy
from simulator.schema import ScenarioError

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView

IN_PROGRAMME, AFTER = 1, 2
FOLLOW_UP = 24  # months, as in the national evaluation


class TroubledFamiliesPolicy(Policy):
    """Enrols eligible families, lowers their care entries, and keeps a matched comparison group."""

    name = "troubled_families"
    channel = 1
    mechanism = (
        "Whole-family keyworker support for families with multiple needs: fewer entries to care "
        "during and after the intervention; need falls faster."
    )
    evidence = (
        "MHCLG national evaluation 2019: children in care 32% lower than matched comparison at 19-24 months."
    )
    grade = "H"

    def __init__(self, model: ModelView):
        super().__init__(model)
        self.lever = model.scenario.levers.troubled_families
        self.places = self.series(self.lever.places_per_year)
        self.carry = 0.0
        self.starts_this_month = 0
        # cohort records: row, family id, month enrolled, care entries at enrolment, treated?
        self.rows = np.empty(0, np.int64)
        self.fid = np.empty(0, np.int64)
        self.month = np.empty(0, np.int64)
        self.entries0 = np.empty(0, np.int64)
        self.treated = np.empty(0, bool)
        self.outcome = np.full(0, -1, np.int64)  # children entering care within FOLLOW_UP (-1 unknown)

    @staticmethod
    def active(model: ModelView) -> bool:
        """Whether any places are funded."""
        places = model.scenario.levers.troubled_families.places_per_year
        return any(v > 0 for v in Policy(model).series(places))

    def eligible(self, model: ModelView) -> np.ndarray:
        """Rows of families eligible now and never enrolled or used as comparison."""
        f = model.families
        ok = (
            (f.fam_id >= 0)
            & (f.n_home > 0)
            & (f.need >= self.lever.eligibility_min_need)
            & (((f.flags & kn.FLAG_PRIOR) > 0) | (f.n_kids >= 3))
            & ((f.flags & kn.FLAG_UASC) == 0)
        )
        ok[self.rows[self._still_here(model)]] = False
        return np.flatnonzero(ok)

    def _still_here(self, model: ModelView) -> np.ndarray:
        return model.families.fam_id[self.rows] == self.fid

    def setup(self, model: ModelView) -> None:
        """Check the places against the families who could take them."""
        n_eligible = int(self.eligible(model).size / model.scenario.run.sample_fraction)
        worst = max(self.places)
        if worst > n_eligible:
            raise ScenarioError(
                [
                    f"levers.troubled_families.places_per_year = {worst:g}: more than the {n_eligible:,} "
                    f"eligible families in the area at the start (need >= {self.lever.eligibility_min_need} "
                    "with earlier involvement or 3+ children); allowed: 0 to that number"
                ],
                source=model.scenario.name,
            )
        table = model.services.lever_table[self.channel]
        table[IN_PROGRAMME, :] = 1.0
        table[IN_PROGRAMME, CARE] = 1.0 - self.lever.care_entry_reduction
        table[IN_PROGRAMME, RECOVER] = 1.0 + self.lever.recovery_boost
        table[AFTER, :] = 1.0
        table[AFTER, CARE] = 1.0 - self.lever.care_entry_reduction

    def start_month(self, model: ModelView) -> None:
        """Enrol this month's families (and their matched comparison); move cohorts along."""
        self.starts_this_month = 0
        if self.m < 0:
            return
        f = model.families
        self.carry += self.year_value(self.places) / 12 * model.scenario.run.sample_fraction
        n = int(self.carry)
        self.carry -= n
        if n > 0:
            pool = self.eligible(model)
            n = min(n, pool.size // 2)
            if n > 0:
                # chosen by each family's own draw, not the table's order (common random numbers)
                treated = keyed.lowest(model.key, pool, f.fam_id[pool], n, model.month, keyed.P_TF_TREAT)
                rest = np.setdiff1d(pool, treated, assume_unique=True)
                comparison = self._matched(model, treated, rest)
                self._add(model, treated, True)
                self._add(model, comparison, False)
                self.starts_this_month = n
        # programme groups: in the intervention, then the lasting effect, then nothing
        here = self._still_here(model) & self.treated
        age = self.m - self.month
        g = np.where(
            age < self.lever.intervention_months,
            IN_PROGRAMME,
            np.where(age < self.lever.intervention_months + self.lever.effect_months_after, AFTER, 0),
        )
        f.lever[self.rows[here], self.channel] = g[here]

    def _matched(self, model: ModelView, treated: np.ndarray, pool: np.ndarray) -> np.ndarray:
        """Comparison families with the same need level and service state as the treated ones."""
        f = model.families
        key_t = f.need[treated] * 10 + f.state[treated]
        key_p = f.need[pool] * 10 + f.state[pool]
        picks = []
        for key, count in zip(*np.unique(key_t, return_counts=True), strict=True):
            cand = pool[key_p == key]
            if cand.size:
                picks.append(
                    keyed.lowest(model.key, cand, f.fam_id[cand], int(count), model.month, keyed.P_TF_COMPARE)
                )
        return np.concatenate(picks) if picks else np.empty(0, np.int64)

    def _add(self, model: ModelView, rows: np.ndarray, treated: bool) -> None:
        f = model.families
        self.rows = np.concatenate([self.rows, rows])
        self.fid = np.concatenate([self.fid, f.fam_id[rows].astype(np.int64)])
        self.month = np.concatenate([self.month, np.full(rows.size, self.m)])
        self.entries0 = np.concatenate([self.entries0, f.care_entries[rows].astype(np.int64)])
        self.treated = np.concatenate([self.treated, np.full(rows.size, treated)])
        self.outcome = np.concatenate([self.outcome, np.full(rows.size, -1)])

    def end_month(self, model: ModelView) -> None:
        """Record children entering care within the follow-up for cohorts reaching it now."""
        if self.rows.size == 0:
            return
        due = (self.m - self.month == FOLLOW_UP - 1) & (self.outcome < 0)
        here = self._still_here(model)
        f = model.families
        done = due & here
        self.outcome[done] = f.care_entries[self.rows[done]] - self.entries0[done]
        self.outcome[due & ~here] = -2  # left the area (or all children left): not followed up

    def evaluation(self) -> dict[str, float]:
        """Children entering care within 24 months per family: treated vs matched comparison."""
        known = self.outcome >= 0
        t, c = known & self.treated, known & ~self.treated
        rate_t = float(self.outcome[t].mean()) if t.any() else float("nan")
        rate_c = float(self.outcome[c].mean()) if c.any() else float("nan")
        return {
            "treated_families": int(t.sum()),
            "comparison_families": int(c.sum()),
            "treated_children_entering_care_per_family": rate_t,
            "comparison_children_entering_care_per_family": rate_c,
            "reduction": 1.0 - rate_t / rate_c if rate_c > 0 else float("nan"),
        }

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """Families in the programme, starts, and their cost (booked at the start)."""
        here = self._still_here(model) & self.treated
        in_prog = int(np.count_nonzero(here & (self.m - self.month < self.lever.intervention_months)))
        starts = self.starts_this_month * model.scale
        return {
            "families_served": in_prog * model.scale,
            "places": starts,
            "running_cost_gbp": starts * self.lever.cost_per_family,
            "capital_cost_gbp": 0.0,
        }
