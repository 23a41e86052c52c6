"""Programmes declared as data: which families, how many start, what they do, for how long.

A programme enrols eligible families each month and changes their hazards stage by stage
(:class:`Programme`). Both views read the same declaration: the engine runs it with
:class:`ProgrammePolicy` (families in its lever channel's groups, one group per stage), the
expected-value view follows its families as tagged groups
(:mod:`simulator.aggregate.programmes`). A new programme is a new declaration: no engine or view
code. Troubled Families is one (:func:`troubled_families_programme`).

At each enrolment an equal number of eligible families not offered the programme, matched on
need and service state, is recorded as a comparison group, and neither is eligible again, so a
run evaluates itself as the national evaluation of Troubled Families did
(:meth:`ProgrammePolicy.evaluation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.policies.base import Policy
from simulator.schema import ScenarioError, series_values
from simulator.states import Hazard

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView
    from simulator.schema import Scenario

FOLLOW_UP = 24  # months: children entering care counted over this, as in the national evaluation
#: A lever row's columns beyond the hazards (``policies.base``): re-referral after a closure.
REREFERRAL = kn.REREFERRAL


@dataclass(frozen=True)
class Stage:
    """A stage of a programme: how long it lasts and its multipliers of the families' hazards.

    ``effects`` maps a hazard (or :data:`REREFERRAL`, re-referral after a closure) to the
    multiplier of its rate while a family is in this stage; hazards not named are unchanged.
    """

    months: int
    effects: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Programme:
    """A lever that enrols families and changes their hazards stage by stage.

    ``starts_per_year``: families starting in each reported year (the area's full size; the
    engine scales them by its sample fraction). Eligible: families with children at home, not
    unaccompanied children, need at least ``min_need`` and, if ``history_or_three``, earlier
    statutory involvement or three or more children; never enrolled or compared before.
    ``cost_per_start``: booked when a family starts (2024-25 prices). ``field``: the scenario
    field that sets the starts (named in messages).
    """

    name: str
    channel: int
    starts_per_year: tuple[float, ...]
    min_need: int
    stages: tuple[Stage, ...]
    history_or_three: bool = True
    cost_per_start: float = 0.0
    field: str = ""

    @property
    def active(self) -> bool:
        """Whether any family starts."""
        return any(v > 0 for v in self.starts_per_year)

    def multipliers(self) -> np.ndarray:
        """Each stage's row of multipliers (stages by lever effects: the hazards, then re-referral)."""
        rows = np.ones((len(self.stages), kn.N_LEVER_EFFECTS))
        for k, stage in enumerate(self.stages):
            for effect, value in stage.effects.items():
                rows[k, int(effect)] = value
        return rows

    def stage_ends(self) -> np.ndarray:
        """Months since the start at which each stage ends."""
        return np.cumsum([s.months for s in self.stages])


def troubled_families_programme(sc: Scenario) -> Programme:
    """The Troubled Families programme of a scenario (``levers.troubled_families``).

    Mechanism: keyworker support for ``intervention_months`` (care entries lower by
    ``care_entry_reduction``, need falling faster by ``recovery_boost``), then the care-entry
    effect alone for ``effect_months_after``. Evidence: MHCLG national evaluation 2019/2022
    (grade H): children going into care 32% lower than a matched comparison at 19-24 months.
    """
    tf = sc.levers.troubled_families
    care = 1.0 - tf.care_entry_reduction
    return Programme(
        name="troubled_families",
        channel=1,
        starts_per_year=tuple(series_values(tf.places_per_year, sc.run.start_year, sc.run.years)),
        min_need=tf.eligibility_min_need,
        stages=(
            Stage(tf.intervention_months, {Hazard.CARE: care, Hazard.RECOVER: 1.0 + tf.recovery_boost}),
            Stage(tf.effect_months_after, {Hazard.CARE: care}),
        ),
        cost_per_start=tf.cost_per_family,
        field="levers.troubled_families.places_per_year",
    )


def scenario_programmes(sc: Scenario) -> list[Programme]:
    """The programmes a scenario declares and switches on (Troubled Families)."""
    return [p for p in (troubled_families_programme(sc),) if p.active]


class ProgrammePolicy(Policy):
    """Runs a declared :class:`Programme` in the engine.

    Each month ``starts_per_year / 12`` eligible families start (at most half the eligible, the
    other half being their matched comparison), chosen by each family's own draw; a family's
    group in the programme's channel is its stage (1, 2, ...), whose row of the lever table holds
    the stage's multipliers; past the last stage it has none. Subclasses say where their
    declaration comes from (:meth:`programme_of`); :func:`declared` makes a lever of any one.
    """

    name: ClassVar[str] = "programme"

    @staticmethod
    def programme_of(scenario: Scenario) -> Programme:
        """The declaration this lever runs, for a scenario."""
        raise NotImplementedError("a programme lever says which declaration it runs")

    @classmethod
    def active(cls, model: ModelView) -> bool:
        """Whether any family starts."""
        return cls.programme_of(model.scenario).active

    def __init__(self, model: ModelView):
        super().__init__(model)
        self.programme = self.programme_of(model.scenario)
        if self.programme.channel != self.channel:
            raise ValueError(f"{self.name}: declared on channel {self.programme.channel}, not {self.channel}")
        self.starts = list(self.programme.starts_per_year)  # by reported year
        self.stage_ends = self.programme.stage_ends()  # months since the start
        self.carry = 0.0
        self.starts_this_month = 0
        # cohort records: row, family id, month enrolled, care entries at enrolment, treated?
        self.rows = np.empty(0, np.int64)
        self.fid = np.empty(0, np.int64)
        self.month = np.empty(0, np.int64)
        self.entries0 = np.empty(0, np.int64)
        self.treated = np.empty(0, bool)
        self.outcome = np.full(0, -1, np.int64)  # children entering care within FOLLOW_UP (-1 unknown)

    def eligible(self, model: ModelView) -> np.ndarray:
        """Rows of families eligible now and never enrolled or used as comparison."""
        f, pr = model.families, self.programme
        ok = (f.fam_id >= 0) & (f.n_home > 0) & (f.need >= pr.min_need) & ((f.flags & kn.FLAG_UASC) == 0)
        if pr.history_or_three:
            ok &= ((f.flags & kn.FLAG_PRIOR) > 0) | (f.n_kids >= 3)
        ok[self.rows[self._still_here(model)]] = False
        return np.flatnonzero(ok)

    def _still_here(self, model: ModelView) -> np.ndarray:
        return model.families.fam_id[self.rows] == self.fid

    def setup(self, model: ModelView) -> None:
        """Check the starts against the families who could take them; write each stage's row."""
        pr = self.programme
        n_eligible = int(self.eligible(model).size / model.scenario.run.sample_fraction)
        worst = max(pr.starts_per_year, default=0.0)
        if worst > n_eligible:
            who = f"need >= {pr.min_need}"
            if pr.history_or_three:
                who += " with earlier involvement or 3+ children"
            raise ScenarioError(
                [
                    f"{pr.field or pr.name} = {worst:g}: more than the {n_eligible:,} eligible families "
                    f"in the area at the start ({who}); allowed: 0 to that number"
                ],
                source=model.scenario.name,
            )
        model.services.lever_table[self.channel, 1 : 1 + len(pr.stages)] = pr.multipliers()

    def start_month(self, model: ModelView) -> None:
        """Enrol this month's families (and their matched comparison); move cohorts along."""
        self.starts_this_month = 0
        if self.m < 0:
            return
        f, pr = model.families, self.programme
        self.carry += self.year_value(self.starts) / 12 * model.scenario.run.sample_fraction
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
        # each family's stage by months since its start; none (group 0) past the last
        here = self._still_here(model) & self.treated
        g = np.searchsorted(self.stage_ends, self.m - self.month, side="right") + 1
        g[g > len(pr.stages)] = 0
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
        """Families in the first stage, starts, and their cost (booked at the start)."""
        here = self._still_here(model) & self.treated
        first = self.programme.stages[0].months if self.programme.stages else 0
        in_prog = int(np.count_nonzero(here & (self.m - self.month < first)))
        starts = self.starts_this_month * model.scale
        return {
            "families_served": in_prog * model.scale,
            "places": starts,
            "running_cost_gbp": starts * self.programme.cost_per_start,
            "capital_cost_gbp": 0.0,
        }


def declared(programme: Programme) -> type[ProgrammePolicy]:
    """A lever class that runs ``programme`` whatever the scenario (a declaration made a lever)."""
    return type(
        f"Declared_{programme.name}",
        (ProgrammePolicy,),
        {
            "name": programme.name,
            "channel": programme.channel,
            "programme_of": staticmethod(lambda scenario: programme),
            "mechanism": f"Declared programme {programme.name!r}.",
            "grade": "assumption",
        },
    )
