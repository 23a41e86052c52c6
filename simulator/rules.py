"""The hazards' yearly rates, declared once: which scenario parameter drives each state's hazard.

Read by the engine's parameter packing (:class:`simulator.agents.services.Services`), which the
expected-value view and the classic Mesa reference read too, so a row added or changed here acts
in all three. Each row names a service state, a hazard (:class:`simulator.states.Hazard`) and its
rates by need level (none, emerging, high, acute) from the scenario; rows for the same state and
hazard add up. The values and their sources are the scenario schema's (``python -m simulator
params``); this table only says where each one acts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulator.states import NEED_LEVELS, Hazard, State

if TYPE_CHECKING:
    from simulator.schema import Scenario

AT_HOME = (State.UNIVERSAL, State.EARLY_HELP, State.CIN, State.CP)


@dataclass(frozen=True)
class HazardRate:
    """One hazard's yearly rates in one service state, by need level, from the scenario."""

    state: State
    hazard: Hazard
    rates: Callable[[Scenario], Sequence[float]]
    note: str = ""


def _adverse(sc: Scenario) -> list[float]:
    """Adverse events of all kinds; none at acute need (it cannot rise further)."""
    total = sum(sc.need.adverse_rates_per_year)
    return [total, total, total, 0.0]


def _recovery(times: Callable[[Scenario], float]) -> Callable[[Scenario], list[float]]:
    """Recovery from each need level (none from need 0), times a service's multiplier."""
    return lambda sc: [0.0, *(r * times(sc) for r in sc.need.recovery_rates_per_year)]


HAZARD_RATES: tuple[HazardRate, ...] = (
    *(HazardRate(s, Hazard.ADVERSE, _adverse, "need.adverse_rates_per_year, summed") for s in AT_HOME),
    HazardRate(State.UNIVERSAL, Hazard.RECOVER, _recovery(lambda sc: 1.0), "need.recovery_rates_per_year"),
    HazardRate(
        State.EARLY_HELP,
        Hazard.RECOVER,
        _recovery(lambda sc: sc.early_help.recovery_multiplier),
        "x early_help.recovery_multiplier",
    ),
    HazardRate(State.CIN, Hazard.RECOVER, _recovery(lambda sc: sc.cin.recovery_multiplier)),
    HazardRate(State.CP, Hazard.RECOVER, _recovery(lambda sc: sc.cp.recovery_multiplier)),
    HazardRate(State.UNIVERSAL, Hazard.REFER, lambda sc: sc.front_door.referral_rates_per_year),
    HazardRate(State.EARLY_HELP, Hazard.REFER, lambda sc: sc.early_help.escalation_rates_per_year),
    HazardRate(State.UNIVERSAL, Hazard.IDENTIFY, lambda sc: sc.early_help.identification_rates_per_year),
    HazardRate(State.EARLY_HELP, Hazard.CLOSE, lambda sc: sc.early_help.closure_rates_per_year),
    HazardRate(State.CIN, Hazard.CLOSE, lambda sc: sc.cin.closure_rates_per_year),
    HazardRate(State.CIN, Hazard.S47, lambda sc: sc.cin.section47_rates_per_year),
    HazardRate(State.CIN, Hazard.CARE, lambda sc: sc.cin.care_entry_rates_per_year),
    HazardRate(State.CP, Hazard.CARE, lambda sc: sc.cp.care_entry_rates_per_year),
)


def base_rates(sc: Scenario, table: Sequence[HazardRate] | None = None) -> np.ndarray:
    """Yearly rates ``r[state, need, hazard]`` of the families at home (default: :data:`HAZARD_RATES`)."""
    r = np.zeros((len(AT_HOME), len(NEED_LEVELS), len(Hazard)))
    for row in HAZARD_RATES if table is None else table:
        values = np.asarray(row.rates(sc), dtype=float)
        if values.shape != (len(NEED_LEVELS),):
            raise ValueError(
                f"hazard rate {row.state.name} {row.hazard.name}: {values.size} values; "
                f"allowed: one per need level ({len(NEED_LEVELS)})"
            )
        r[row.state, :, row.hazard] += values
    return r
