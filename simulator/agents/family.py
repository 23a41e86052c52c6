"""A Mesa ``Agent`` view of one family, built on demand from the family table.

Families are stepped as arrays for speed; this class is how a person (or a
test) looks at one of them: its attributes now and its journey so far, for
explaining the model in a workshop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from simulator.agents.episodes import episodes_frame
from simulator.agents.families import FLAG_CARE_LEAVER_PARENT, FLAG_PRIOR, FLAG_UASC
from simulator.states import NEED_LEVELS, Adverse, EndReason, Event, Placement, Route, State

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView


class Family(mesa.Agent):
    """One family: deprivation, need, service state, children and history.

    Args:
        model: the running model (a :class:`simulator.model.CSCModel`: the Mesa model the
            agent belongs to).
        family_id: the family's id (``model.family_ids()`` lists them).

    Raises:
        KeyError: the family is not (or no longer) in the area.
    """

    def __init__(self, model: ModelView, family_id: int):
        row = model.families.row_of(int(family_id))
        if row < 0:
            raise KeyError(f"family {family_id} is not in the area (moved away or never existed)")
        super().__init__(model)
        f = model.families
        self.family_id = int(family_id)
        self.deprivation_decile = int(f.decile[row]) + 1
        self.need = NEED_LEVELS[int(f.need[row])]
        self.need_level = int(f.need[row])
        self.state = State(int(f.state[row]))
        self.prior_involvement = bool(f.flags[row] & FLAG_PRIOR)
        self.care_leaver_parent = bool(f.flags[row] & FLAG_CARE_LEAVER_PARENT)
        self.unaccompanied_asylum_seeker = bool(f.flags[row] & FLAG_UASC)
        month = model.month
        self.children: list[dict[str, Any]] = []
        for slot in np.flatnonzero(f.c_id[row] >= 0):
            in_care = bool(f.c_lac[row, slot])
            self.children.append(
                {
                    "child_id": int(f.c_id[row, slot]),
                    "age_years": round((month - int(f.c_birth[row, slot])) / 12, 1),
                    "state": State.LAC if in_care else self.state,
                    "placement": Placement(int(f.c_place[row, slot])).name if in_care else None,
                }
            )
        self._model = model

    def step(self) -> None:
        """Families are stepped together by the model's services, not one by one."""

    def journey(self) -> pd.DataFrame:
        """Every logged event of this family, in order, with readable labels."""
        log = self._model.services.journeys()
        sel = log["family_id"] == self.family_id
        df = pd.DataFrame({k: v[sel] for k, v in log.items() if k != "family_id"})
        df["month"] = df["month"] - self._model.burn_in
        df["event"] = [Event(e).name for e in df["event"]]
        df["detail"] = [_detail(e, d) for e, d in zip(df["event"], df["detail"], strict=True)]
        return df.reset_index(drop=True)

    def episodes(self) -> pd.DataFrame:
        """This family's CIN, CP and care episodes (one row per child episode)."""
        eps = episodes_frame(self._model)
        return eps[eps["family_id"] == self.family_id].reset_index(drop=True)

    def summary(self) -> str:
        """A short plain-language description for a workshop."""
        kids = ", ".join(f"{c['age_years']:.0f}y ({c['state'].name})" for c in self.children)
        return (
            f"Family {self.family_id}: deprivation decile {self.deprivation_decile}, "
            f"need {self.need}, {self.state.name}; children: {kids or 'none'}"
        )


def _detail(event: str, detail: int) -> str:
    if event == "ADVERSE":
        return Adverse(int(detail)).name
    if event == "STATE_CHANGE":
        return State(int(detail)).name
    if event == "LEFT_CARE":
        return EndReason(int(detail)).name
    if event == "REFERRAL":
        return "re-referral" if detail else ""
    if event == "RECOVERY":
        return f"need now {NEED_LEVELS[int(detail)]}"
    if event == "ENTERED_CARE":
        return f"child slot {int(detail)}"
    if event == "PLACEMENT_MOVED":
        return f"child {int(detail)}"
    return ""


__all__ = ["Family", "Route"]
