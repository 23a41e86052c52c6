"""The episode log of a run as a table: one row per child episode of CIN, CP or care.

Used by :class:`simulator.results.Results` (``results.episodes``) and by
:meth:`simulator.agents.family.Family.episodes`; it sits with the agents, below
both, so neither imports the other for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.states import EndReason, Event, Placement, Route, State

if TYPE_CHECKING:
    from simulator.agents.protocols import ModelView


def episodes_frame(model: ModelView) -> pd.DataFrame:
    """One row per child episode of CIN, CP or care that was open during the reported years.

    Months count from the first reported month (0 = April of the year after
    ``run.start_year``); negative start months began before it.
    """
    ep = model.services.episodes()
    b = model.burn_in
    end = ep["end_month"].astype(np.int64)
    keep = (end < 0) | (end >= b)
    df = pd.DataFrame(
        {
            "child_id": ep["child_id"][keep],
            "family_id": ep["family_id"][keep],
            "state": pd.Categorical.from_codes(ep["state"][keep], [s.name for s in State]),
            "start_month": ep["start_month"][keep].astype(np.int64) - b,
            "end_month": pd.array(np.where(end[keep] >= 0, end[keep] - b, 0), dtype="Int64"),
            "end_reason": [EndReason(r).name.lower() if r else "" for r in ep["end_reason"][keep]],
            "age_at_start": np.floor(ep["age_at_start"][keep] / 12).astype(np.int64),
            # whole years at the end (18: on the 18th birthday); the frame blanks it while open
            "age_at_end": pd.array(
                np.floor((ep["age_at_start"][keep] + end[keep] - ep["start_month"][keep]) / 12), dtype="Int64"
            ),
            "placement": [Placement(p).name.lower() if p >= 0 else "" for p in ep["placement"][keep]],
            "route": [Route(r).name.lower() if r >= 0 else "" for r in ep["route"][keep]],
        }
    )
    df.loc[end[keep] < 0, ["end_month", "age_at_end"]] = pd.NA
    return df.sort_values(["start_month", "child_id"], kind="stable").reset_index(drop=True)


def placement_moves_frame(model: ModelView) -> pd.DataFrame:
    """One row per placement move of a child in care (``child_id``, ``month``), from the journey log.

    Months count from the first reported month, as in :func:`episodes_frame`; needs the logs
    (``run.record_episodes``).
    """
    log = model.services.journeys()
    moved = log["event"] == int(Event.PLACEMENT_MOVED)
    return pd.DataFrame(
        {
            "child_id": log["detail"][moved].astype(np.int64),
            "month": log["month"][moved].astype(np.int64) - model.burn_in,
        }
    )
