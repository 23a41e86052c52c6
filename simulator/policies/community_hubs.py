"""Community (family) hubs: navigators, peer support, and trust that builds.

Mechanism: each hub serves a catchment of families in one deprivation decile
(the most deprived first unless given). Navigators find need early (early
help offers more likely), peer support slows the growth of need (fewer adverse
events) and step-down support lowers re-referral of closed cases. Effects
scale with trust, which builds on a logistic curve: little in the first
months, half by ``months_to_half_trust`` (15), nearly all by year three.

Evidence: the seeds' case studies (Westminster family hubs, Wigan Deal, Leeds
community teams: trust builds over two to three years); effect sizes are
assumptions (grade L) for the user to change. Cost: capital per hub at
opening plus running cost while open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.policies.base import ADVERSE, IDENTIFY, REREFERRAL, Policy
from simulator.schema import MAX_HUBS

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView


assert MAX_HUBS <= kn.MAX_GROUPS - 1, "the schema allows more hubs than the engine has lever groups"


def hub_deciles(per_decile: Any, n_hubs: int, catchment: float) -> list[int]:
    """Deciles (0 = most deprived) of ``n_hubs`` hubs placed most deprived first.

    A hub goes to the first decile with room left for a whole catchment (``per_decile``:
    families with children at home by decile); the last decile takes any left over.
    """
    deciles, d, room = [], 0, per_decile[0]
    for _ in range(n_hubs):
        while room < catchment and d < 9:
            d += 1
            room = per_decile[d]
        deciles.append(d)
        room -= catchment
    return deciles


def trust(months_open: float, months_to_half: float) -> float:
    """Share of a hub's full effect after ``months_open`` months (logistic, 0 at opening)."""
    if months_open < 0:
        return 0.0
    steep = months_to_half / 3.0
    raw = 1.0 / (1.0 + np.exp(-(months_open - months_to_half) / steep))
    floor = 1.0 / (1.0 + np.exp(months_to_half / steep))
    return float((raw - floor) / (1.0 - floor))


class CommunityHubsPolicy(Policy):
    """Opens hubs on their dates and ramps up their effect on families in their catchments."""

    name = "community_hubs"
    channel = 0
    mechanism = (
        "Navigators find need early; peer support slows need growth and lowers re-referral; "
        "trust builds over 2-3 years (logistic ramp)."
    )
    evidence = "Seeds: Westminster family hubs, Wigan Deal, Leeds community teams. Effect sizes: assumption."
    grade = "L"

    def __init__(self, model: ModelView):
        super().__init__(model)
        self.lever = model.scenario.levers.community_hubs
        self.opening = [
            self.month_of(d, f"levers.community_hubs.opening_dates[{i}]")
            for i, d in enumerate(self.lever.opening_dates)
        ]
        self.deciles: list[int] | None = [d - 1 for d in self.lever.deciles] if self.lever.deciles else None
        self.catchment = int(round(self.lever.catchment_families * model.scenario.run.sample_fraction))
        self.trust = np.zeros(len(self.opening))
        self.capital_this_month = 0.0

    @staticmethod
    def active(model: ModelView) -> bool:
        """Whether any hub is planned."""
        return bool(model.scenario.levers.community_hubs.opening_dates)

    def setup(self, model: ModelView) -> None:
        """Place hubs in deciles: as given, or filling the most deprived deciles first."""
        if self.deciles is None:
            f = model.families
            live = (f.fam_id >= 0) & (f.n_home > 0)
            self.deciles = hub_deciles(
                np.bincount(f.decile[live], minlength=10), len(self.opening), self.catchment
            )

    def trust_at(self, months_open: float) -> float:
        """Share of a hub's full effect after ``months_open`` months (:func:`trust`)."""
        return trust(months_open, self.lever.months_to_half_trust)

    def start_month(self, model: ModelView) -> None:
        """Open hubs that are due, top up catchments yearly, set each hub's effect by its trust."""
        if self.m < 0:
            return
        if self.deciles is None:
            raise RuntimeError("community hubs: setup() places the hubs before their first month")
        f, table = model.families, model.services.lever_table[self.channel]
        group = f.lever[:, self.channel]
        self.capital_this_month = 0.0
        for i, start in enumerate(self.opening):
            g = i + 1
            if self.m == start:
                self.capital_this_month += self.lever.capital_cost_per_hub
            if self.m >= start and (self.m - start) % 12 == 0:
                self._fill(model, g, self.deciles[i])
            self.trust[i] = self.trust_at(self.m - start)
            t = self.trust[i]
            table[g, :] = 1.0
            table[g, IDENTIFY] = 1.0 + self.lever.identification_boost * t
            table[g, ADVERSE] = 1.0 - self.lever.adverse_reduction * t
            table[g, REREFERRAL] = 1.0 - self.lever.rereferral_reduction * t
        del group

    def _fill(self, model: ModelView, g: int, decile: int) -> None:
        """Bring hub ``g``'s catchment up to size with families of its decile not in another hub."""
        f = model.families
        group = f.lever[:, self.channel]
        live = (f.fam_id >= 0) & (f.n_home > 0)
        have = int(np.count_nonzero(live & (group == g)))
        need = self.catchment - have
        if need <= 0:
            return
        cand = np.flatnonzero(live & (group == 0) & (f.decile == decile))
        # a random choice by each family's own draw (not the table's order): the same families in
        # two runs wherever the candidates are the same
        cand = keyed.lowest(model.key, cand, f.fam_id[cand], need, model.month, keyed.P_HUBS)
        group[cand] = g

    def monthly_outputs(self, model: ModelView) -> dict[str, Any]:
        """Hubs open, families in catchments, running and capital cost, mean trust."""
        open_hubs = sum(1 for s in self.opening if self.m >= s)
        group = model.families.lever[:, self.channel]
        served = int(np.count_nonzero((group > 0) & (model.families.fam_id >= 0))) * model.scale
        return {
            "families_served": float(served),
            "places": float(open_hubs),
            "running_cost_gbp": open_hubs * self.lever.running_cost_per_hub / 12,
            "capital_cost_gbp": self.capital_this_month,
            "mean_trust": float(self.trust[[i for i, s in enumerate(self.opening) if self.m >= s]].mean())
            if open_hubs
            else 0.0,
        }
