"""Names of what the model records each month: counters and child flows.

Counts follow the DfE's conventions (see ``docs/COUNTING.md``): referrals,
assessments and section 47 enquiries count children (each child at home in a
referred family is a referral); episodes are per child. The counters are
filled by the compiled rules in :mod:`simulator.agents.kernel` in this order.
"""

from __future__ import annotations

from simulator.states import State

#: Flow matrix rows/columns: the five states, then arrivals (IN) and departures (OUT).
IN = len(State)
OUT = len(State) + 1
FLOW_NAMES = [s.name for s in State] + ["IN", "OUT"]

#: Monthly event counters (children unless the name says otherwise).
COUNTERS = (
    "referrals",
    "re_referrals_within_12_months",
    "assessments",
    "section47_enquiries",
    "initial_cp_conferences",
    "emergency_removals",  # families
    "adverse_events",  # families
    "early_help_turned_away",
    "adoptions",
    "special_guardianship",
    "returned_home",
    "care_leavers",
    "uasc_starts",
    "births",
    "moved_in",
    "moved_away",
    "removals_at_birth",  # babies entering care at birth (pre-birth assessment, care proceedings)
    "removals_after_birth",  # babies home at birth, removed before their first birthday as planned
    "lac_starts_under_1",  # children starting care before their first birthday (at birth or later)
    "left_care_otherwise",  # care ended another way (EndReason.OTHER_EXIT)
    "placement_moves",  # children in care moving from one placement to another
)
