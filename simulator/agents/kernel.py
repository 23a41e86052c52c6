"""Compiled monthly rules for all families (numba), one pass a month.

The rules are those described in :mod:`simulator.agents.services`; this module
carries them out. Family attributes are the columns of one int32 matrix ``FI``
(rows are families), children's the columns of an int32 array ``CI`` (family,
slot, column); ``LE`` and ``LJ`` are the episode and journey logs; ``M`` holds
every counter (free rows, log lengths (``LJ``: its current chunk), the month's identity blocks, flows
between states, monthly counts, children in care by placement); ``PV`` holds every parameter,
scalars first then vectors at fixed offsets; ``IDX`` maps a family id to its row (-1 once gone);
``Q`` holds the month's requests for early help places. Few, coarse arrays keep calls between
compiled functions cheap.

Randomness (:mod:`simulator.agents.keyed`): every draw is addressed by who it is for, the month
and what it decides, from the run's random state ``rng`` (a counter-based generator, not a
sequence), so two runs treat a family alike wherever its own path is alike. Families arriving get
identities from blocks reserved for each month whatever the levers do; departures are each
family's own hazard; early help places, when short, go by a priority drawn for each family, not
by the order of the table's rows.

Speed: each family costs one uniform (a Philox block gives four months of them, drawn for all
families at once) and one table lookup a month unless it has an event due (stage one: an upper
bound on its monthly event probability, by state, need and decile); only then are its exact rates
computed and the same uniform decides (thinning: the distribution is the same
as drawing every hazard for every family). The family row carries a summary of
its children (teens at home, next scheduled child event), so the monthly pass
reads the child slots only when a child's event is due; the month-end tally is
counted during the pass. The rules allocate nothing and are compiled without
numba's reference counting (``_nrt=False``).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
from numba import njit

from simulator.agents import keyed as kr
from simulator.agents.keyed import AREA, CHILD, FAM, normal, poisson_quantile, randint, stream, uniform
from simulator.recording import COUNTERS, FLOW_NAMES
from simulator.recording import IN as _IN
from simulator.recording import OUT as _OUT
from simulator.states import (
    ADULT_AGE,
    AFTER_BIRTH_MONTHS,
    AGE_BAND_EDGES,
    NEED_LEVELS,
    RECENT_CLOSURE,
    REREFERRAL_WINDOW,
    TEEN_AGE,
    Adverse,
    EndReason,
    Event,
    Hazard,
    LegalStatus,
    Placement,
    Route,
    State,
)

# Every index below is derived from a name in the vocabulary (simulator.states,
# simulator.recording) or in a column list here, never written as a bare number: numba compiles
# module-level ints as constants, so the names cost nothing.

# -- family columns FI[row, X] ---------------------------------------------------------------
FAMILY_COLUMNS = {
    "fam_id": -1,
    "decile": 0,
    "need": 0,
    "state": 0,
    "code": 1280,
    "since": 0,
    "flags": 0,
    "closed_month": -(2**30),
    "last_referral": -(2**30),
    "n_kids": 0,
    "n_home": 0,
    "n_lac": 0,
    "review": 2**30,
    "next_due": 2**30,
    "care_entries": 0,
    "lever_0": 0,
    "lever_1": 0,
    "lever_2": 0,
    "n_teens": 0,
    "teen_due": 2**30,
    "child_due": 2**30,
    "u_block": -1,
    "cp_plans": 0,
}
_FI = {name: i for i, name in enumerate(FAMILY_COLUMNS)}
FAM_ID, DECILE, NEED, STATE = _FI["fam_id"], _FI["decile"], _FI["need"], _FI["state"]
CODE, SINCE = _FI["code"], _FI["since"]
FLAGS, CLOSED, LAST_REF = _FI["flags"], _FI["closed_month"], _FI["last_referral"]
N_KIDS, N_HOME, N_LAC = _FI["n_kids"], _FI["n_home"], _FI["n_lac"]
REVIEW, NEXT_DUE, CARE_ENTRIES, LEVER0 = _FI["review"], _FI["next_due"], _FI["care_entries"], _FI["lever_0"]
#: A summary of the children kept on the family row (:func:`child_summary`) so that the monthly
#: hazards and the schedule need not read the child slots: children at home aged 12 or more, the
#: month the next one turns 12, and the earliest care exit or 18th birthday.
N_TEENS, TEEN_DUE, CHILD_DUE = _FI["n_teens"], _FI["teen_due"], _FI["child_due"]
#: The four-month block (month // 4) whose screening words ``U[:, row]`` belong to this family
#: (-1: none yet; see :func:`refresh_screening`).
U_BLOCK = _FI["u_block"]
#: Protection plans the family has had (their reviews' draws are addressed by plan and months
#: since the plan began, so a plan that starts later in one run than the other ends as long after).
CP_PLANS = _FI["cp_plans"]
N_FI = len(FAMILY_COLUMNS)
#: Hazards raced for the month's event.
N_HAZARDS = len(Hazard)
ADVERSE, RECOVER, REFER, IDENTIFY, CLOSE, S47, CARE = (int(h) for h in Hazard)
#: Lever channels (one per lever that acts on families): 0 hubs, 1 Troubled Families,
#: 2 prevention reach. A family's group in a channel picks a row of multipliers.
LEVER_CHANNELS = 3
MAX_GROUPS = 64
#: Columns of a lever row: the seven service hazards, then re-referral after a closure.
N_LEVER_EFFECTS = N_HAZARDS + 1
REREFERRAL = N_HAZARDS

# -- child columns CI[row, slot, X] ----------------------------------------------------------
CHILD_COLUMNS = {
    "c_id": -1,
    "c_birth": 0,
    "c_lac": 0,
    "c_ep": -1,
    "c_place": -1,
    "c_exit": 2**30,
    "c_exit_reason": 0,
    "c_route": -1,  # Route, and ROUTE_S20_STATUS if counted under section 20 (legal status)
    "c_move": 2**30,  # month of the next placement move (if still in care then)
}
_CI = {name: i for i, name in enumerate(CHILD_COLUMNS)}
C_ID, C_BIRTH, C_LAC, C_EP, C_PLACE = (_CI[c] for c in ("c_id", "c_birth", "c_lac", "c_ep", "c_place"))
C_EXIT, C_EXIT_REASON, C_ROUTE, C_MOVE = _CI["c_exit"], _CI["c_exit_reason"], _CI["c_route"], _CI["c_move"]
#: ``c_route`` holds the route in its low bits and, in this bit, whether the child is counted
#: under section 20 (:func:`legal_status_at_entry`): no column of its own, as England's table
#: has 8.4 million rows.
ROUTE_MASK, ROUTE_S20_STATUS = 7, 8
N_CI = len(CHILD_COLUMNS)

# -- logs ------------------------------------------------------------------------------------
EPISODE_COLUMNS = (
    "child_id",
    "family_id",
    "state",
    "start_month",
    "end_month",
    "end_reason",
    "age_at_start",
    "placement",
    "route",
)
JOURNEY_COLUMNS = ("month", "family_id", "event", "detail")
_LE = {name: i for i, name in enumerate(EPISODE_COLUMNS)}
LE_CHILD, LE_FAMILY, LE_STATE, LE_START = _LE["child_id"], _LE["family_id"], _LE["state"], _LE["start_month"]
LE_END, LE_REASON, LE_AGE, LE_PLACE, LE_ROUTE = (
    _LE[c] for c in ("end_month", "end_reason", "age_at_start", "placement", "route")
)
_LJ = {name: i for i, name in enumerate(JOURNEY_COLUMNS)}
LJ_MONTH, LJ_FAMILY, LJ_EVENT, LJ_DETAIL = (_LJ[c] for c in JOURNEY_COLUMNS)

# -- counters M[...] ------------------------------------------------------------------------
M_NFREE, M_NEP, M_NJ, M_NEH, M_NEXT_FID, M_NEXT_CID, M_OVERFLOW, M_LOGS, M_NKIDS = range(9)
#: The month's identity blocks (set by ``Services.step``): first family id and first child id
#: of the births, arrivals and unaccompanied children, and each block's size; ids beyond a block
#: come from the spill counters (unique, but not shared between runs); ``M_NQ`` requests for
#: early help places this month; ``M_N_IDS`` ids covered by ``IDX``.
(
    M_BIRTH_FID,
    M_ARRIVE_FID,
    M_UASC_FID,
    M_BIRTH_CID,
    M_ARRIVE_CID,
    M_UASC_CID,
    M_BIRTH_N,
    M_ARRIVE_N,
    M_UASC_N,
    M_SPILL_FID,
    M_SPILL_CID,
    M_NQ,
    M_N_IDS,
    M_BIRTH_FN,
) = range(9, 23)
#: Rows and columns of the flow matrix (the states, then arrivals and departures).
N_FLOW = len(FLOW_NAMES)
#: Children in care by placement type (``Placement`` without ``NONE``).
N_PLACEMENTS = len(Placement) - 1
N_COUNTERS = len(COUNTERS)
FL = 23  # flows between states: M[FL + src * N_FLOW + dst]
CN = FL + N_FLOW * N_FLOW  # monthly counters, order of simulator.recording.COUNTERS
LP = CN + N_COUNTERS  # children in care by placement
#: Children in care counted under section 20 (the rest are under an order: ``Services.legal_status``)
LS = LP + N_PLACEMENTS
#: Children in care with an adoption plan, by the month it is due (a ring: month % N_ADQ)
ADQ = LS + 1
N_ADQ = 256  # more months than any care episode lasts (216)
N_M = ADQ + N_ADQ
_COUNTER = {name: i for i, name in enumerate(COUNTERS)}
C_REFERRALS, C_ASSESS = _COUNTER["referrals"], _COUNTER["assessments"]
C_REREF = _COUNTER["re_referrals_within_12_months"]
C_S47, C_ICPC = _COUNTER["section47_enquiries"], _COUNTER["initial_cp_conferences"]
C_EMERGENCY, C_ADVERSE = _COUNTER["emergency_removals"], _COUNTER["adverse_events"]
C_EH_AWAY, C_ADOPT = _COUNTER["early_help_turned_away"], _COUNTER["adoptions"]
C_SGO = _COUNTER["special_guardianship"]
C_HOME, C_LEAVERS, C_UASC = _COUNTER["returned_home"], _COUNTER["care_leavers"], _COUNTER["uasc_starts"]
C_BIRTHS, C_MOVED_IN, C_MOVED_AWAY = _COUNTER["births"], _COUNTER["moved_in"], _COUNTER["moved_away"]
C_BIRTH_REMOVALS, C_INFANT_STARTS = _COUNTER["removals_at_birth"], _COUNTER["lac_starts_under_1"]
C_AFTER_BIRTH_REMOVALS = _COUNTER["removals_after_birth"]
C_OTHER_EXITS, C_PLACE_MOVES = _COUNTER["left_care_otherwise"], _COUNTER["placement_moves"]

# -- the vocabulary's names as plain ints (numba compiles them as constants) -------------------
U, EH, CIN, CP, LAC = (int(x) for x in (State.UNIVERSAL, State.EARLY_HELP, State.CIN, State.CP, State.LAC))
#: Family-level states (a family's children at home are in one of them; care is per child).
N_AT_HOME = int(State.LAC)
N_NEED = len(NEED_LEVELS)
N_DECILES = 10  # deprivation deciles (IMD)
IN, OUT = _IN, _OUT
R_OPEN, R_STEPPED_DOWN, R_ESCALATED, R_CLOSED = (
    int(x) for x in (EndReason.OPEN, EndReason.STEPPED_DOWN, EndReason.ESCALATED, EndReason.CLOSED)
)
R_RETURNED_HOME, R_ADOPTED, R_SGO = (
    int(x) for x in (EndReason.RETURNED_HOME, EndReason.ADOPTED, EndReason.SPECIAL_GUARDIANSHIP)
)
R_TURNED_18, R_MOVED_AWAY = int(EndReason.TURNED_18), int(EndReason.MOVED_AWAY)
R_OTHER = int(EndReason.OTHER_EXIT)
RT_S20, RT_ORDER, RT_EMERGENCY, RT_UASC = (
    int(x) for x in (Route.VOLUNTARY_S20, Route.CARE_ORDER, Route.EMERGENCY, Route.UASC)
)
EV_ADVERSE, EV_RECOVERY, EV_REFERRAL, EV_ASSESSMENT = (
    int(x) for x in (Event.ADVERSE, Event.RECOVERY, Event.REFERRAL, Event.ASSESSMENT)
)
EV_NFA, EV_S47, EV_STATE = int(Event.NO_FURTHER_ACTION), int(Event.SECTION47), int(Event.STATE_CHANGE)
EV_ENTERED_CARE, EV_LEFT_CARE = int(Event.ENTERED_CARE), int(Event.LEFT_CARE)
EV_MOVED_IN, EV_MOVED_AWAY, EV_BIRTH = int(Event.MOVED_IN), int(Event.MOVED_AWAY), int(Event.BIRTH)
EV_TURNED_18, EV_PROGRAMME = int(Event.CHILD_TURNED_18), int(Event.PROGRAMME)
EV_PLACEMENT_MOVED = int(Event.PLACEMENT_MOVED)
LS_ORDER, LS_PO, LS_S20 = (
    int(x) for x in (LegalStatus.CARE_ORDER, LegalStatus.PLACEMENT_ORDER, LegalStatus.VOLUNTARY_S20)
)
CONTEXTUAL_HARM = int(Adverse.CONTEXTUAL_HARM)
#: Age band edges in months (simulator.states.AGE_BAND_EDGES): under 1, 1-4, 5-9, 10-15, 16-17.
AGE_1, AGE_5, AGE_10, AGE_16 = AGE_BAND_EDGES[1:5]
FLAG_PRIOR, FLAG_CLP, FLAG_UASC, FLAG_RECENT = 1, 2, 4, 8
#: The family's protection plan has had its first review conference (cleared when a plan starts;
#: not part of the hazard code).
FLAG_REVIEWED = 16
K = 6
AGE_18 = ADULT_AGE
FAR = 2**30
NO_MONTH = -(2**30)
#: Stock cells: family state x need x decile (what the monthly tally counts).
N_CELLS = N_AT_HOME * N_NEED * N_DECILES
#: Hazard codes: a cell x 8 history bits (earlier involvement, care-leaver parent, case closed in the
#: last 12 months), so the stage-one bound is exact for history; free rows have code N_CODES.
N_CODES = N_CELLS * 8
#: Slot layouts of the monthly uniform: (highest need or not) x decile x (earlier involvement,
#: care-leaver parent) x (a CIN family stepped down from a plan in the last 12 months or not); see
#: ``Services._slot_layout``.
N_LAYOUTS = 2 * 10 * 4 * 2
#: First spill ids: used when a month has more arrivals than its block (never in ``IDX``).
SPILL_FID = 2**30
SPILL_CID = 2**30
#: Length of :func:`step_month`'s float64 work room (the rates, then K birth months).
N_SCRATCH = N_HAZARDS + K
#: The month-end tally ``TL`` (float64): children at home and families with children at home by
#: cell, children in care and UASC in care by decile, then children, hidden need, families with a
#: child in care, families free to move (children at home, none in care, not unaccompanied).
T_CUBE, T_FAM, T_LAC, T_ULAC, T_KIDS, T_HIDDEN, T_WITH_LAC, T_MOVERS = (
    0,
    N_CELLS,
    2 * N_CELLS,
    2 * N_CELLS + 10,
    2 * N_CELLS + 20,
    2 * N_CELLS + 21,
    2 * N_CELLS + 22,
    2 * N_CELLS + 23,
)
N_TALLY = 2 * N_CELLS + 24

# -- parameters PV[...]: scalars, then vectors -----------------------------------------------
(
    P_TWO_LEVEL,
    P_CH_RATE,
    P_CLP_MULT,
    P_PRIOR_ADV,
    P_REREF_MULT,
    P_PRIOR_REF,
    P_ASSESSED,
    P_PLAN_GIVEN_CONF,
    P_CIN_AFTER_S47,
    P_CIN_STEPDOWN_EH,
    P_CP_FIRST_REVIEW,
    P_CP_INTERVAL,
    P_CP_STEPDOWN,
    P_SIB_JOIN,
    P_ADOPT_U5,
    P_SGO,
    P_SIGMA,
    P_AFTER_RH_NEED,
    P_RA_REF,
    P_RA_S47,
    P_RA_CARE,
    P_PRESSURE,
    P_EH_PLACES,
    P_S20_SHARE,
    P_MOVE_P,
    P_UASC_LAMBDA,
    P_EXISTING_BIRTH_SHARE,
    P_CLP_SHARE,
    P_INFANT_ORDER,
    P_ARRIVALS,
    P_CP_FIRST_END,
    P_BIRTH_REPEAT,
    P_BIRTH_PATH,
    P_OTHER_EXIT,
    P_OTHER_MEDIAN,
    P_NEW_MOVE,
    P_SETTLE,
    P_OTHER_MIN_AGE,
    P_UASC_OTHER,
    P_S47_PATH,
    P_PO_MONTHS,
    P_BIRTH_LATER,
    P_LATER_PATH,
    P_UASC_MEDIAN,
    P_ADOPT_SIGMA,
    P_ADOPT_INFANT,
    P_CP_FIRST_LATE,
    P_COURT_SHIFT,
    P_CONF_ELAST,
    P_STEPDOWN_S47,
) = range(50)
N_P = 50
VECTOR_SIZES = {
    "eh_out": 4,
    "cin_out": 4,
    "s47_out": 4,
    "conf": 4,
    "emerg": 4,
    "cp_end": 4,
    "adv_cum": 4,
    "sel_w": 5,
    "rh": 3,
    "med": 5,
    "place_cum": 5 * N_PLACEMENTS,  # by placement row (four age bands at entry, then UASC)
    "place_moves": N_PLACEMENTS,  # moves out of each placement type a year
    "dep": 10,
    "base": N_AT_HOME * N_NEED * N_HAZARDS,
    "bound": N_CODES + 1,
    "hbound": (N_CODES + 1) * N_HAZARDS,
    "sieve": N_CODES + 1,  # which 48ths of [0, bound) can hold an event (bits, as a float)
    "sieve_scale": N_CODES + 1,  # SIEVE_BINS / bound
    "layout": N_CODES + 1,
    "slot": N_LAYOUTS * 8,
    "lever": LEVER_CHANNELS * MAX_GROUPS * N_LEVER_EFFECTS,
    "decile_cum": 10,
    "need_cum": 4,
    "uasc_age_cum": 3,
    "birth_removal": 4,  # chance a newborn is removed at birth, by the family's need ...
    "birth_state": 4,  # ... times this, by the family's service state
}
VECTOR_OFFSETS = {}
_off = N_P
for _name, _size in VECTOR_SIZES.items():
    VECTOR_OFFSETS[_name] = _off
    _off += _size
N_PV = _off
V_EH_OUT = VECTOR_OFFSETS["eh_out"]
V_CIN_OUT = VECTOR_OFFSETS["cin_out"]
V_S47_OUT = VECTOR_OFFSETS["s47_out"]
V_CONF = VECTOR_OFFSETS["conf"]
V_EMERG = VECTOR_OFFSETS["emerg"]
V_CP_END = VECTOR_OFFSETS["cp_end"]
V_ADV_CUM = VECTOR_OFFSETS["adv_cum"]
V_SEL_W = VECTOR_OFFSETS["sel_w"]
V_RH = VECTOR_OFFSETS["rh"]
V_MED = VECTOR_OFFSETS["med"]
V_PLACE_CUM = VECTOR_OFFSETS["place_cum"]
V_PLACE_MOVES = VECTOR_OFFSETS["place_moves"]
V_DEP = VECTOR_OFFSETS["dep"]
V_BASE = VECTOR_OFFSETS["base"]
V_BOUND = VECTOR_OFFSETS["bound"]
V_HBOUND = VECTOR_OFFSETS["hbound"]
V_SIEVE = VECTOR_OFFSETS["sieve"]
V_SIEVE_SCALE = VECTOR_OFFSETS["sieve_scale"]
#: Bins of a code's sieve: at most 52 (its bits are held exactly in a float64).
SIEVE_BINS = 48
V_LAYOUT = VECTOR_OFFSETS["layout"]
V_SLOT = VECTOR_OFFSETS["slot"]
V_LEVER = VECTOR_OFFSETS["lever"]
V_DECILE_CUM = VECTOR_OFFSETS["decile_cum"]
V_NEED_CUM = VECTOR_OFFSETS["need_cum"]
V_UASC_AGE_CUM = VECTOR_OFFSETS["uasc_age_cum"]
V_BIRTH_REMOVAL = VECTOR_OFFSETS["birth_removal"]
V_BIRTH_STATE = VECTOR_OFFSETS["birth_state"]


@njit(cache=True, inline="always", _nrt=False)
def age_band(age):
    """0 <1, 1 1-4, 2 5-9, 3 10-15, 4 16-17 (age in months)."""
    if age < AGE_1:
        return 0
    if age < AGE_5:
        return 1
    if age < AGE_10:
        return 2
    if age < AGE_16:
        return 3
    return 4


@njit(cache=True, inline="always", _nrt=False)
def draw_cum(rng, s, PV, off, n):
    """Index drawn from a cumulative distribution (last entry 1), with stream ``s``."""
    u = uniform(rng, s)
    for i in range(n):
        if u < PV[off + i]:
            return i
    return n - 1


# -- logs ------------------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, ev, detail):
    """Append to the journey log (if kept and not full)."""
    if M[M_LOGS] == 0:
        return
    j = M[M_NJ]
    if j >= LJ.shape[0]:
        M[M_OVERFLOW] += 1
        return
    LJ[j, LJ_MONTH] = t
    LJ[j, LJ_FAMILY] = fid
    LJ[j, LJ_EVENT] = ev
    LJ[j, LJ_DETAIL] = detail
    M[M_NJ] = j + 1


@njit(cache=True, inline="always", _nrt=False)
def open_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, cid, fid, state, t, age, place, route):
    """Start a child episode; returns its index (-1 when logs are off or full)."""
    if M[M_LOGS] == 0:
        return -1
    e = M[M_NEP]
    if e >= LE.shape[0]:
        M[M_OVERFLOW] += 1
        return -1
    LE[e, LE_CHILD] = cid
    LE[e, LE_FAMILY] = fid
    LE[e, LE_STATE] = state
    LE[e, LE_START] = t
    LE[e, LE_END] = -1
    LE[e, LE_REASON] = R_OPEN
    LE[e, LE_AGE] = age
    LE[e, LE_PLACE] = place
    LE[e, LE_ROUTE] = route
    M[M_NEP] = e + 1
    return e


@njit(cache=True, inline="always", _nrt=False)
def close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, e, t, reason):
    """End a child episode (no-op for -1)."""
    if e >= 0:
        LE[e, LE_END] = t
        LE[e, LE_REASON] = reason


# -- family book-keeping ---------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row):
    """Refresh the hazard code of a family: (state, need, decile) and its history bits."""
    flags = FI[row, FLAGS]
    bits = (flags & 3) + (4 if flags & FLAG_RECENT else 0)
    FI[row, CODE] = ((FI[row, STATE] * 4 + FI[row, NEED]) * 10 + FI[row, DECILE]) * 8 + bits


@njit(cache=True, inline="always", _nrt=False)
def update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row):
    """Earliest scheduled event of the family: a plan review, a care exit, an 18th birthday.

    Also, for a CIN family, the end of its step-down's 12 months: :func:`process_due` clears the
    flag in that month, so when it is cleared does not depend on how often the family's rates are
    worked out (which the stage-one bounds, and so the levers, decide); the flag picks the
    family's slot layout (``Services._slot_layout``). Other families' flags only loosen their
    bounds until :func:`exact_rates` clears them (no due event: they cost a typical LA 2-7% of its run).
    """
    nxt = FI[row, CHILD_DUE]
    if FI[row, STATE] == CP and FI[row, REVIEW] < nxt:
        nxt = FI[row, REVIEW]
    if FI[row, STATE] == CIN and FI[row, FLAGS] & FLAG_RECENT and FI[row, CLOSED] + RECENT_CLOSURE < nxt:
        nxt = FI[row, CLOSED] + RECENT_CLOSURE
    FI[row, NEXT_DUE] = nxt


@njit(cache=True, inline="always", _nrt=False)
def child_summary(FI, CI, row, t):
    """Refresh the family's child summary (``N_TEENS``, ``TEEN_DUE``, ``CHILD_DUE``) at month ``t``.

    Called whenever a child joins, leaves, enters or leaves care. The teen count stays right
    until ``TEEN_DUE`` (the next child at home to turn 12), when :func:`exact_rates` refreshes it.
    """
    teens = 0
    teen_due = FAR
    due = FAR
    for k in range(K):
        if CI[row, k, C_ID] >= 0:
            if CI[row, k, C_LAC]:
                d = min(CI[row, k, C_EXIT], CI[row, k, C_MOVE])
            else:
                b = CI[row, k, C_BIRTH]
                d = min(b + AGE_18, CI[row, k, C_EXIT])  # 18, or a removal planned after birth
                if t - b >= TEEN_AGE:
                    teens += 1
                elif b + TEEN_AGE < teen_due:
                    teen_due = b + TEEN_AGE
            if d < due:
                due = d
    FI[row, N_TEENS] = teens
    FI[row, TEEN_DUE] = teen_due
    FI[row, CHILD_DUE] = due


@njit(cache=True, _nrt=False)
def set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, new, reason):
    """Move a family's children at home to ``new`` (a family-level state)."""
    old = FI[row, STATE]
    if old == new:
        return
    M[FL + (old) * N_FLOW + new] += FI[row, N_HOME]
    if new == EH:
        M[M_NEH] += 1
    if old == EH:
        M[M_NEH] -= 1
    fid = FI[row, FAM_ID]
    for k in range(K if M[M_LOGS] else 0):  # episodes only: without logs every C_EP stays -1
        if CI[row, k, C_ID] >= 0 and not CI[row, k, C_LAC]:
            close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_EP], t, reason)
            CI[row, k, C_EP] = -1
            if new == CIN or new == CP:
                CI[row, k, C_EP] = open_episode(
                    FI,
                    CI,
                    LE,
                    LJ,
                    M,
                    free,
                    PV,
                    rng,
                    IDX,
                    Q,
                    CI[row, k, C_ID],
                    fid,
                    new,
                    t,
                    t - CI[row, k, C_BIRTH],
                    -1,
                    -1,
                )
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_STATE, new)
    FI[row, STATE] = new
    FI[row, SINCE] = t
    if new == CIN or new == CP:
        FI[row, FLAGS] |= FLAG_PRIOR
    if new == U or (new == CIN and reason == R_STEPPED_DOWN):
        # closed, or stepped down from a protection plan at a review: recent (a CIN family's
        # recency is its step-down's, cin.stepdown_section47_multiplier)
        FI[row, CLOSED] = t
        FI[row, FLAGS] |= FLAG_RECENT
    elif new == CIN:  # a CIN plan opened from universal services or early help: no step-down
        FI[row, CLOSED] = NO_MONTH
        FI[row, FLAGS] &= ~FLAG_RECENT
    if new == CP:
        FI[row, CP_PLANS] += 1
        FI[row, REVIEW] = first_review_month(PV, rng, FI[row, FAM_ID], FI[row, CP_PLANS], t)
        FI[row, FLAGS] &= ~FLAG_REVIEWED
    recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)


@njit(cache=True, inline="always", _nrt=False)
def clear_row(FI, CI, row):
    """Reset a family row to an empty family in universal services with no history."""
    FI[row, STATE] = U
    FI[row, NEED] = 0
    FI[row, FLAGS] = 0
    FI[row, CLOSED] = NO_MONTH
    FI[row, LAST_REF] = NO_MONTH
    FI[row, N_KIDS] = 0
    FI[row, N_HOME] = 0
    FI[row, N_LAC] = 0
    FI[row, NEXT_DUE] = FAR
    FI[row, REVIEW] = FAR
    FI[row, CARE_ENTRIES] = 0
    FI[row, CP_PLANS] = 0
    FI[row, N_TEENS] = 0
    FI[row, TEEN_DUE] = FAR
    FI[row, CHILD_DUE] = FAR
    FI[row, U_BLOCK] = -1
    for c in range(LEVER_CHANNELS):
        FI[row, LEVER0 + c] = 0
    for k in range(K):
        CI[row, k, C_ID] = -1
        CI[row, k, C_LAC] = False
        CI[row, k, C_EP] = -1


@njit(cache=True, _nrt=False)
def release_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row):
    """A family with no children left leaves the model; its row is recycled."""
    if FI[row, STATE] == EH:
        M[M_NEH] -= 1
    fid = FI[row, FAM_ID]
    if fid < M[M_N_IDS]:
        IDX[fid] = -1
    clear_row(FI, CI, row)
    FI[row, FAM_ID] = -1
    FI[row, CODE] = N_CODES
    free[M[M_NFREE]] = row
    M[M_NFREE] += 1


@njit(cache=True, _nrt=False)
def take_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, s):
    """New family ``fid`` in universal services; its row, or -1 if no row is free.

    Decile, need and flags are drawn from stream ``s``.
    """
    if M[M_NFREE] == 0:
        M[M_OVERFLOW] += 1
        return -1
    M[M_NFREE] -= 1
    row = free[M[M_NFREE]]
    FI[row, FAM_ID] = fid
    if fid < M[M_N_IDS]:
        IDX[fid] = row
    clear_row(FI, CI, row)
    FI[row, DECILE] = draw_cum(rng, s, PV, V_DECILE_CUM, 10)
    FI[row, NEED] = draw_cum(rng, s, PV, V_NEED_CUM, 4)
    FI[row, SINCE] = t
    FI[row, FLAGS] = FLAG_CLP if uniform(rng, s) < PV[P_CLP_SHARE] else 0
    recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    return row


@njit(cache=True, _nrt=False)
def add_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, birth, source, cid):
    """Child ``cid`` joins a family at home (born or moving in); returns the slot or -1 if full."""
    for k in range(K):
        if CI[row, k, C_ID] < 0:
            CI[row, k, C_ID] = cid
            CI[row, k, C_BIRTH] = birth
            CI[row, k, C_LAC] = False
            CI[row, k, C_EP] = -1
            CI[row, k, C_PLACE] = -1
            CI[row, k, C_EXIT] = FAR  # a child at home: the month of a planned removal, if any
            FI[row, N_KIDS] += 1
            FI[row, N_HOME] += 1
            M[M_NKIDS] += 1
            st = FI[row, STATE]
            M[FL + (source) * N_FLOW + st] += 1
            if st == CIN or st == CP:
                CI[row, k, C_EP] = open_episode(
                    FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, cid, FI[row, FAM_ID], st, t, t - birth, -1, -1
                )
            child_summary(FI, CI, row, t)
            update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
            return k
    return -1


@njit(cache=True, _nrt=False)
def remove_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, from_state):
    """A child leaves the area's children (adopted, SGO, 18, moved away)."""
    M[FL + (from_state) * N_FLOW + OUT] += 1
    CI[row, k, C_ID] = -1
    CI[row, k, C_EP] = -1
    CI[row, k, C_LAC] = False
    FI[row, N_KIDS] -= 1
    M[M_NKIDS] -= 1
    if FI[row, N_KIDS] == 0:
        release_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    else:
        child_summary(FI, CI, row, t)
        update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)


# -- care ------------------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def exit_plan_shares(PV, age, route):
    """Shares of care episodes starting at ``age`` (months) by the way they are planned to end.

    ``(return home, adoption, special guardianship, other, long-run, stay to 18)``. Many short stays
    end with a return home (a plan that gives way to the others when their shares, raised by
    ``care.adoption_path`` or ``care.special_guardianship_path``, leave it no room); children under
    5 may be adopted, babies as often or more (``care.adoption_infant_factor``); some leave under special
    guardianship or a child arrangements order; some of those who start at
    ``care.other_exit_min_age_years`` or over leave another way (``care.other_exit_share``: another
    authority, relatives without an order, custody, any other reason); children under 10 with no
    such plan leave later by the long-run routes; the rest stay until 18. Unaccompanied children
    stay until 18 unless they leave another way (``care.uasc_other_exit_share``: a transfer to
    another authority under the National Transfer Scheme, assessed as an adult, missing). The one
    statement of the rule: the engine samples it (:func:`plan_exit`), the expected-value view takes
    its expectation (``simulator.aggregate.care.plan_probabilities``, ``uasc_exit_table``).
    """
    p_rh = 0.0
    p_ad = 0.0
    p_sgo = 0.0
    p_oth = 0.0
    if route != RT_UASC:
        p_rh = PV[V_RH + min(route, 2)]
        p_sgo = PV[P_SGO]
        if age >= PV[P_OTHER_MIN_AGE]:
            p_oth = PV[P_OTHER_EXIT]
        if age < AGE_5:
            p_ad = PV[P_ADOPT_U5]
            if age < AGE_1:  # a baby: care.adoption_infant_factor times, within the others' room
                p_ad = max(p_ad, min(p_ad * PV[P_ADOPT_INFANT], 1.0 - p_sgo - p_oth))
        # a plan to return home gives way to the others: what a raised share (care.return_home_path)
        # or adoption plan (care.adoption_path) would take beyond them comes from the long stays only
        p_rh = min(p_rh, 1.0 - p_ad - p_sgo - p_oth)
    else:
        p_oth = PV[P_UASC_OTHER]
    c1 = min(max(p_rh, 0.0), 1.0)
    c2 = min(c1 + p_ad, 1.0)
    c3 = min(c2 + p_sgo, 1.0)
    c4 = min(c3 + p_oth, 1.0)
    rest = 1.0 - c4
    longrun = rest if (age < AGE_10 and route != RT_UASC) else 0.0
    return c1, c2 - c1, c3 - c2, c4 - c3, longrun, rest - longrun


@njit(cache=True, _nrt=False)
def plan_exit(PV, rng, age, route):
    """How and when a care episode starting at ``age`` (months) will end: (reason, months).

    The kind of plan by :func:`exit_plan_shares`, its time log-normal around the kind's median
    (``care.median_months``, ``care.other_exit_median_months``,
    ``care.uasc_other_exit_median_months``); a plan of adoption or special guardianship, which
    waits on the family court, takes as many months more or fewer as care proceedings took longer
    or shorter than in 2024 in the year care starts (``care.court_weeks_path``, in months:
    ``PV[P_COURT_SHIFT]``). ``months`` is ignored when the reason is turning 18.
    """
    u = uniform(rng, CHILD)
    rh, ad, sgo, oth, longrun, _stay = exit_plan_shares(PV, age, route)
    reason = R_TURNED_18
    m = 0.0
    court = 0.0  # months the family court's timetable adds or saves (adoption, special guardianship)
    if u < rh:
        reason = R_RETURNED_HOME
        m = PV[V_MED + 1] if route == RT_ORDER else PV[V_MED + 0]
    elif u < rh + ad:
        reason = R_ADOPTED
        m = PV[V_MED + 2]
        court = PV[P_COURT_SHIFT]
    elif u < rh + ad + sgo:
        reason = R_SGO
        m = PV[V_MED + 3]
        court = PV[P_COURT_SHIFT]
    elif u < rh + ad + sgo + oth:
        reason = R_OTHER
        m = PV[P_UASC_MEDIAN] if route == RT_UASC else PV[P_OTHER_MEDIAN]
    elif u < rh + ad + sgo + oth + longrun:
        # young children with no planned exit leave later through the long-run routes
        reason = R_RETURNED_HOME if uniform(rng, CHILD) < 0.5 else R_SGO
        m = PV[V_MED + 4]
    months = 0
    if reason != R_TURNED_18:
        sigma = PV[P_ADOPT_SIGMA] if reason == R_ADOPTED else PV[P_SIGMA]
        months = max(1, int(round(m * math.exp(sigma * normal(rng, CHILD)) + court)))
    return reason, months


@njit(cache=True, inline="always", _nrt=False)
def reason_at_18(reason, route):
    """The reason recorded when a plan outlasts childhood and ends on the 18th birthday.

    Turning 18, except a plan to leave another way, which DfE records under that reason (its data
    guidance: 58-65% of the children ceasing for other reasons in 2021-2023 left on their 18th
    birthday); an unaccompanied child's other ways (a transfer, an age assessment) come soon
    after arrival or not at all, so at 18 it turns 18. The one statement of the rule (the engine,
    :func:`admit`; the expected-value view, ``simulator.aggregate.care``).
    """
    if reason == R_OTHER and route != RT_UASC:
        return R_OTHER
    return R_TURNED_18


@njit(cache=True, inline="always", _nrt=False)
def legal_status_at_entry(route, reason, age, to_18):
    """A child's legal status in care from its entry: care order or section 20 (``LegalStatus``).

    The one statement of the rule (the engine keeps a count by it, :func:`admit`; the
    expected-value view splits its exit kernels by it, ``simulator.aggregate.care``). Entries
    under an order or in an emergency (an emergency protection order lasts days; an interim care
    order follows) are under a care order, unaccompanied children under section 20. A voluntary
    (section 20) entry whose plan is permanence away from home (adoption, special guardianship,
    or staying in care to the 18th birthday from under 16, whatever reason DfE then records) is
    brought before the court, so is counted under a care order; one planned to go home, to
    leave another way before 18, or entering at 16 or 17 to stay to 18 (homeless 16-17s are
    accommodated under section 20) stays voluntary. ``age``: months, at entry (at the start,
    for a child already in care then); ``to_18``: the plan ends on the 18th birthday.
    Assumption [L]: that every such plan goes to court, from the start of the episode; checked
    against DfE's legal status at 31 March, not fitted to it.
    """
    if route == RT_UASC:
        return LS_S20
    if route != RT_S20:
        return LS_ORDER
    if reason == R_ADOPTED or reason == R_SGO or (to_18 and age < AGE_16):
        return LS_ORDER
    return LS_S20


@njit(cache=True, _nrt=False)
def placement_orders(M, t, months):
    """Children in care under a placement order at the end of month ``t``.

    The rule: a child whose adoption is due within ``care.placement_order_months`` (``months``)
    is under a placement order (the time from the order to the adoption order: matching, then
    the placement before the application). Read from the engine's ring of adoptions due by month
    (``M[ADQ:]``); the expected-value view sums its own adoptions due the same way
    (``simulator.aggregate.loop._legal_status``).
    """
    n = 0
    for x in range(1, int(months) + 1):
        n += M[ADQ + (t + x) % N_ADQ]
    return n


@njit(cache=True, inline="always", _nrt=False)
def placement_row(age, route):
    """Row of the placement shares for a child of ``age`` months: four age bands, then UASC."""
    if route == RT_UASC:
        return 4
    return max(age_band(age) - 1, 0)  # under 5 (bands <1 and 1-4), 5-9, 10-15, 16-17


@njit(cache=True, inline="always", _nrt=False)
def placement_move_probability(PV, place, new):
    """Chance that a child in placement ``place`` moves this month.

    ``care.placement_moves_per_year`` by placement type, times ``care.new_placement_move_factor``
    while the placement is new (not yet settled: :func:`placement_settle_probability`).
    """
    r = PV[V_PLACE_MOVES + place]
    if new:
        r *= PV[P_NEW_MOVE]
    return 1.0 - math.exp(-r / 12.0)


@njit(cache=True, inline="always", _nrt=False)
def placement_settle_probability(PV):
    """Chance that a new placement that did not break down this month is settled from next month.

    One over ``care.placement_settling_months`` (the mean months a placement stays new).
    """
    return PV[P_SETTLE]


@njit(cache=True, inline="always", _nrt=False)
def placement_share(PV, prow, place):
    """Share of placement type ``place`` in row ``prow`` of ``care.placement_shares_by_age``."""
    off = V_PLACE_CUM + prow * N_PLACEMENTS
    below = PV[off + place - 1] if place > 0 else 0.0
    return PV[off + place] - below


@njit(cache=True, inline="always", _nrt=False)
def move_destination_share(PV, prow, to):
    """Share of moves that go to placement type ``to``, for a child of placement row ``prow``.

    A child moves where children of its age are placed (its row of the placement shares): one
    who moves at 13 goes where children of 10-15 are placed, so moves in adolescence step up to
    children's homes as the shares do. A move may be to another placement of the same type (a
    new foster carer), as the DfE counts placements.
    """
    return placement_share(PV, prow, to)


@njit(cache=True, inline="always", _nrt=False)
def _geometric(rng, q):
    """Months to the first success of a monthly chance ``q`` (1 or more; ``FAR`` if ``q`` is 0)."""
    if q <= 0.0:
        return FAR
    if q >= 1.0:
        return 1
    u = 1.0 - uniform(rng, CHILD)  # in (0, 1]
    return min(FAR, 1 + int(math.log(u) / math.log(1.0 - q)))


@njit(cache=True, inline="always", _nrt=False)
def months_to_next_move(PV, rng, place, new):
    """Months until the child's next placement move (its own draws); ``FAR`` if it never moves.

    A new placement breaks down at its higher monthly chance until the month it settles (both
    geometric, :func:`placement_move_probability` and :func:`placement_settle_probability`; a
    breakdown in the month it would settle comes first), then at the settled chance.
    """
    if new:
        breakdown = _geometric(rng, placement_move_probability(PV, place, True))
        settled = _geometric(rng, placement_settle_probability(PV))
        if breakdown <= settled:
            return breakdown
        later = _geometric(rng, placement_move_probability(PV, place, False))
        return FAR if later >= FAR else settled + later
    return _geometric(rng, placement_move_probability(PV, place, False))


@njit(cache=True, inline="always", _nrt=False)
def next_move_month(PV, rng, place, new, t):
    """Month of the next placement move of a child placed at month ``t`` (``FAR``: none)."""
    months = months_to_next_move(PV, rng, place, new)
    return FAR if months >= FAR - t else t + months


@njit(cache=True, _nrt=False)
def placement_move(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k):
    """Child (row, k) in care moves to another placement this month, and its next move is set.

    The child's own draws, addressed by its id and the month, decide where (by its age now:
    :func:`move_destination_share`; perhaps another placement of the same type) and when it
    moves next.
    """
    cid = CI[row, k, C_ID]
    stream(rng, CHILD, cid, t, kr.P_PLACE_MOVE)
    frm = CI[row, k, C_PLACE]
    prow = placement_row(t - CI[row, k, C_BIRTH], CI[row, k, C_ROUTE] & ROUTE_MASK)
    # where children of its age are placed (move_destination_share: the row's entry shares)
    to = draw_cum(rng, CHILD, PV, V_PLACE_CUM + prow * N_PLACEMENTS, N_PLACEMENTS)
    M[LP + frm] -= 1
    M[LP + to] += 1
    CI[row, k, C_PLACE] = to
    M[CN + C_PLACE_MOVES] += 1
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, FI[row, FAM_ID], EV_PLACEMENT_MOVED, cid)
    CI[row, k, C_MOVE] = next_move_month(PV, rng, to, True, t)
    child_summary(FI, CI, row, t)


@njit(cache=True, _nrt=False)
def admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, route, from_outside, elapsed=0):
    """Child (row, k) starts to be looked after: placement and exit plan decided now.

    The child's own draws decide: route, placement and plan. They are addressed by the child's id
    and the family's count of entries to care (the calendar month for a child from outside), so
    an entry that happens a month later in the other run of a pair gets the same plan.
    """
    occasion = t if from_outside else (1 << 31) | FI[row, CARE_ENTRIES]
    stream(rng, CHILD, CI[row, k, C_ID], occasion, kr.P_ADMIT)
    age = t - CI[row, k, C_BIRTH]
    if route == RT_S20 and age < AGE_1 and uniform(rng, CHILD) < PV[P_INFANT_ORDER]:
        route = RT_ORDER
    M[CN + C_INFANT_STARTS] += age < AGE_1
    if from_outside:
        M[FL + (IN) * N_FLOW + LAC] += 1
    else:
        M[FL + FI[row, STATE] * N_FLOW + LAC] += 1
        FI[row, N_HOME] -= 1
        FI[row, CARE_ENTRIES] += 1
    FI[row, N_LAC] += 1
    CI[row, k, C_LAC] = True
    if not FI[row, FLAGS] & FLAG_PRIOR:
        FI[row, FLAGS] |= FLAG_PRIOR
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)  # the stage-one bound reads the code
    prow = placement_row(age, route)
    place = draw_cum(rng, CHILD, PV, V_PLACE_CUM + prow * N_PLACEMENTS, N_PLACEMENTS)
    CI[row, k, C_PLACE] = place
    CI[row, k, C_ROUTE] = route
    M[LP + place] += 1
    birthday = CI[row, k, C_BIRTH] + AGE_18
    if elapsed <= 0:
        reason, months = plan_exit(PV, rng, age, route)
    else:
        # already in care at the start: a virtual entry ``elapsed`` months ago, kept only if its
        # plan outlasts that (the length-biased residual of a steady state)
        reason, months = plan_exit(PV, rng, max(age - elapsed, 0), route)
        for _try in range(50):
            if reason == R_TURNED_18 or months > elapsed:
                break
            elapsed = randint(rng, CHILD, 0, min(age, 180) + 1)
            reason, months = plan_exit(PV, rng, max(age - elapsed, 0), route)
        months = months - elapsed if reason != R_TURNED_18 and months > elapsed else months
    if reason == R_TURNED_18:
        exit_month = birthday
    else:
        exit_month = t + months
        if exit_month >= birthday:
            exit_month = birthday  # a plan that outlasts childhood ends on the 18th birthday
            reason = reason_at_18(reason, route)
    if exit_month <= t:
        exit_month = t + 1
    CI[row, k, C_EXIT] = exit_month
    CI[row, k, C_EXIT_REASON] = reason
    if legal_status_at_entry(route, reason, age, exit_month == birthday) == LS_S20:
        CI[row, k, C_ROUTE] = route | ROUTE_S20_STATUS
        M[LS] += 1
    if reason == R_ADOPTED:
        M[ADQ + exit_month % N_ADQ] += 1
    # a new placement; a child in care at the start is settled in its placement
    CI[row, k, C_MOVE] = next_move_month(PV, rng, place, elapsed <= 0, t)
    fid = FI[row, FAM_ID]
    close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_EP], t, R_ESCALATED)
    CI[row, k, C_EP] = open_episode(
        FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_ID], fid, LAC, t, age, place, route
    )
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_ENTERED_CARE, k)
    child_summary(FI, CI, row, t)
    update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)


@njit(cache=True, _nrt=False)
def enter_care(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, route):
    """An index child (by age) and perhaps siblings of a family enter care."""
    if FI[row, N_HOME] == 0:
        return
    stream(rng, FAM, FI[row, FAM_ID], t, kr.P_CARE)
    total = 0.0
    for k in range(K):
        if CI[row, k, C_ID] >= 0 and not CI[row, k, C_LAC]:
            total += PV[V_SEL_W + age_band(t - CI[row, k, C_BIRTH])]
    x = uniform(rng, FAM) * total
    pick = -1
    acc = 0.0
    for k in range(K):
        if CI[row, k, C_ID] >= 0 and not CI[row, k, C_LAC]:
            acc += PV[V_SEL_W + age_band(t - CI[row, k, C_BIRTH])]
            pick = k
            if x < acc:
                break
    for k in range(K):
        if CI[row, k, C_ID] >= 0 and not CI[row, k, C_LAC]:
            if k == pick or uniform(rng, FAM) < PV[P_SIB_JOIN]:
                admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, route, False)
    if FI[row, N_HOME] == 0:
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_ESCALATED)


@njit(cache=True, _nrt=False)
def care_exit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k):
    """A care episode ends as planned at entry."""
    reason = CI[row, k, C_EXIT_REASON]
    M[LP + CI[row, k, C_PLACE]] -= 1
    if CI[row, k, C_ROUTE] & ROUTE_S20_STATUS:
        M[LS] -= 1
    if reason == R_ADOPTED:
        M[ADQ + CI[row, k, C_EXIT] % N_ADQ] -= 1
    CI[row, k, C_LAC] = False
    CI[row, k, C_PLACE] = -1
    CI[row, k, C_EXIT] = FAR  # at home: no removal planned
    FI[row, N_LAC] -= 1
    close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_EP], t, reason)
    CI[row, k, C_EP] = -1
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, FI[row, FAM_ID], EV_LEFT_CARE, reason)
    if reason == R_ADOPTED:
        M[CN + C_ADOPT] += 1
    elif reason == R_SGO:
        M[CN + C_SGO] += 1
    elif reason == R_TURNED_18:
        M[CN + C_LEAVERS] += 1
    elif reason == R_OTHER:
        M[CN + C_OTHER_EXITS] += 1
    if reason == R_RETURNED_HOME:
        # back home, counted in the family's state; the family is supported as CIN and keeps
        # the need that can bring the child back (circular demand)
        M[CN + C_HOME] += 1
        st = FI[row, STATE]
        M[FL + (LAC) * N_FLOW + st] += 1
        FI[row, N_HOME] += 1
        child_summary(FI, CI, row, t)
        if st == CIN or st == CP:
            CI[row, k, C_EP] = open_episode(
                FI,
                CI,
                LE,
                LJ,
                M,
                free,
                PV,
                rng,
                IDX,
                Q,
                CI[row, k, C_ID],
                FI[row, FAM_ID],
                st,
                t,
                t - CI[row, k, C_BIRTH],
                -1,
                -1,
            )
        if FI[row, NEED] < PV[P_AFTER_RH_NEED]:
            FI[row, NEED] = int(PV[P_AFTER_RH_NEED])
            recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        if st <= EH:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_CLOSED)
        update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    else:
        remove_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, LAC)


@njit(cache=True, _nrt=False)
def age_out(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k):
    """A child at home turns 18 and leaves children's services."""
    close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_EP], t, R_TURNED_18)
    CI[row, k, C_EP] = -1
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, FI[row, FAM_ID], EV_TURNED_18, k)
    st = FI[row, STATE]
    FI[row, N_HOME] -= 1
    if FI[row, N_HOME] == 0 and st != U:
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_TURNED_18)
    remove_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, st)


@njit(cache=True, _nrt=False)
def offer_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, reason, fallback):
    """Ask for an early help place.

    Granted or turned away (to ``fallback`` if >= 0) at the end of the month's pass, when every
    request is in (:func:`ration_early_help`).
    """
    if FI[row, N_HOME] == 0:
        return
    Q[M[M_NQ]] = row * 64 + reason * 8 + fallback + 1
    M[M_NQ] += 1


@njit(cache=True, inline="always", _nrt=False)
def s47_multiplier(PV):
    """Multiplier on section 47 enquiries (every need alike).

    The risk index's (``P_RA_S47``) and the year's practice (``front_door.section47_path``): how
    readily a concern leads to an enquiry. The one statement of the rule: the engine's front door
    and hazards and the expected-value view read it.
    """
    return PV[P_RA_S47] * PV[P_S47_PATH]


@njit(cache=True, inline="always", _nrt=False)
def section47_hazard(PV, base, state, recent):
    """A family's yearly rate of escalation to a section 47 enquiry, from its state and need's ``base``.

    Times :func:`s47_multiplier`, and ``cin.stepdown_section47_multiplier`` for a CIN family whose
    recency (``recent``: in the last 12 months) is its step-down from a protection plan (a CIN
    family has no other: :func:`set_state`). The one statement of the rule: the engine's hazards
    and the expected-value view read it.
    """
    rate = base * s47_multiplier(PV)
    if recent and state == CIN:
        rate *= PV[P_STEPDOWN_S47]
    return rate


@njit(cache=True, inline="always", _nrt=False)
def conference_given_s47(PV, need):
    """Chance that a section 47 enquiry goes to an initial child protection conference, for ``need``.

    By need (``front_door.conference_given_s47``) times caseload pressure, and over the year's
    section 47 practice to the power ``front_door.conference_practice_elasticity``: when practice
    makes fewer enquiries (``front_door.section47_path`` below 1), those it leaves out are mostly
    concerns that would have ended without a conference, so more of those made go to one. At a
    practice of 1 (2024's) the chance is the schema's. Not capped: with the emergency chance it
    decides the enquiry's outcome (:func:`section47`). Read by the engine and the expected-value
    view (``simulator.aggregate.month._outcomes``).
    """
    p = PV[V_CONF + need] * PV[P_PRESSURE]
    if PV[P_S47_PATH] > 0.0:  # (at 1, exactly the schema's chance)
        p *= PV[P_S47_PATH] ** -PV[P_CONF_ELAST]
    return p


@njit(cache=True, inline="always", _nrt=False)
def emergency_given_s47(PV, need):
    """Chance that a section 47 enquiry ends in an emergency entry to care, for ``need``.

    By need (``front_door.emergency_care_given_s47``) times the risk index's multiplier on care
    entries, over the year's section 47 practice (``front_door.section47_path``): a child in
    immediate danger is removed whatever the practice of the day, so when fewer concerns lead to
    an enquiry, more of those that do end in an emergency, and their number does not move with
    the practice (an assumption). At most 1. Read by the engine and the expected-value view.
    """
    p = PV[V_EMERG + need] * PV[P_RA_CARE]
    if PV[P_S47_PATH] > 0.0:
        p /= PV[P_S47_PATH]
    return min(p, 1.0)


@njit(cache=True, _nrt=False)
def section47(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row):
    """Enquiry: emergency removal, conference and plan, continued CIN, or no further action."""
    n = FI[row, N_HOME]
    M[CN + C_S47] += n
    fid = FI[row, FAM_ID]
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_S47, 0)
    need = FI[row, NEED]
    p_em = emergency_given_s47(PV, need)
    p_conf = p_em + conference_given_s47(PV, need)
    stream(rng, FAM, fid, t, kr.P_S47)
    u = uniform(rng, FAM)
    v = uniform(rng, FAM)
    if u < p_em:
        M[CN + C_EMERGENCY] += 1
        enter_care(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, RT_EMERGENCY)
        if FI[row, N_HOME] > 0 and FI[row, STATE] != CP:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_CLOSED)
    elif u < p_conf:
        M[CN + C_ICPC] += n
        if v < PV[P_PLAN_GIVEN_CONF]:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CP, R_ESCALATED)
        elif FI[row, STATE] != CP:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_CLOSED)
    elif v < PV[P_CIN_AFTER_S47] and FI[row, STATE] <= EH:
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_CLOSED)


@njit(cache=True, _nrt=False)
def front_door(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row):
    """A referral: counted, assessed, and an outcome decided."""
    n = FI[row, N_HOME]
    fid = FI[row, FAM_ID]
    M[CN + C_REFERRALS] += n
    rerefer = t - FI[row, LAST_REF] <= REREFERRAL_WINDOW
    if rerefer:
        M[CN + C_REREF] += n
    FI[row, LAST_REF] = t
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_REFERRAL, 1 if rerefer else 0)
    stream(rng, FAM, fid, t, kr.P_FRONT_DOOR)
    if uniform(rng, FAM) >= PV[P_ASSESSED]:
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_NFA, 0)
        return
    M[CN + C_ASSESS] += n
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_ASSESSMENT, 0)
    need = FI[row, NEED]
    p_eh = PV[V_EH_OUT + need]
    p_cin = PV[V_CIN_OUT + need] * PV[P_PRESSURE]
    p_s47 = PV[V_S47_OUT + need] * s47_multiplier(PV)
    total = p_eh + p_cin + p_s47
    scale = 1.0 / total if total > 1.0 else 1.0
    u = uniform(rng, FAM)
    if u < p_s47 * scale:
        section47(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
    elif u < (p_s47 + p_cin) * scale:
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_CLOSED)
    elif u < total * scale:
        if FI[row, STATE] == U:
            offer_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, R_CLOSED, -1)
    else:
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_NFA, 0)


@njit(cache=True, inline="always", _nrt=False)
def first_review_late(PV, u):
    """Whether a new protection plan's first review is held a month after ``cp.first_review_months``.

    ``u``: the plan's own uniform. The one statement of the rule: the engine draws ``u`` at the
    plan's address (:func:`first_review_month`), the classic reference from its generator, and the
    expected-value view starts that share of its new plans a month further from their first
    review (``simulator.aggregate.month._month``).
    """
    return u < PV[P_CP_FIRST_LATE]


@njit(cache=True, inline="always", _nrt=False)
def first_review_month(PV, rng, fid, plans, t):
    """Month of the first review of the family's ``plans``-th protection plan, begun in month ``t``.

    Its uniform is addressed by (family, plan), not the month, so a plan begun later in the other
    run of a pair is reviewed as late after it; no stream is moved (a new plan starts inside the
    front door's and the enquiry's draws).
    """
    late = first_review_late(PV, kr.uniform_at(rng, fid, plans, kr.P_FIRST_REVIEW))
    return t + int(PV[P_CP_FIRST_REVIEW]) + (1 if late else 0)


@njit(cache=True, inline="always", _nrt=False)
def review_end_probability(PV, need, first):
    """Chance that a review conference ends a protection plan.

    By the family's need now, and lower at the first review (``cp.first_review_end_factor``:
    progress has had three months to show).

    The one statement of the rule: the engine samples it (:func:`cp_review`), the expected-value
    view takes its expectation (``simulator.aggregate.month._dues``).
    """
    p = PV[V_CP_END + need]
    if first:
        p *= PV[P_CP_FIRST_END]
    return min(p, 1.0)


@njit(cache=True, _nrt=False)
def cp_review(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row):
    """A review conference: the plan ends (step down to CIN, or close) or continues."""
    # addressed by (plan, months since it began), not the calendar month: a plan that began a
    # month later in the other run of a pair has the same reviews' draws
    stream(rng, FAM, FI[row, FAM_ID], (FI[row, CP_PLANS] << 12) | (t - FI[row, SINCE]), kr.P_REVIEW)
    first = (FI[row, FLAGS] & FLAG_REVIEWED) == 0
    if uniform(rng, FAM) < review_end_probability(PV, FI[row, NEED], first):
        if uniform(rng, FAM) < PV[P_CP_STEPDOWN]:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, CIN, R_STEPPED_DOWN)
        else:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_CLOSED)
    else:
        FI[row, FLAGS] |= FLAG_REVIEWED
        FI[row, REVIEW] = t + int(PV[P_CP_INTERVAL])
        update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)


@njit(cache=True, inline="always", _nrt=False)
def process_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row):
    """Scheduled events of one family this month: care exits, removals after birth, 18ths, reviews."""
    for k in range(K):
        if FI[row, FAM_ID] < 0:
            return
        if CI[row, k, C_ID] < 0:
            continue
        if CI[row, k, C_LAC]:
            if CI[row, k, C_EXIT] <= t:
                care_exit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k)
            elif CI[row, k, C_MOVE] <= t:
                placement_move(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k)
        elif CI[row, k, C_EXIT] <= t:
            removal_after_birth(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k)
        elif CI[row, k, C_BIRTH] + AGE_18 <= t:
            age_out(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k)
    if FI[row, FAM_ID] < 0:
        return
    if FI[row, STATE] == CP and FI[row, REVIEW] <= t:
        cp_review(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
    if FI[row, FLAGS] & FLAG_RECENT and t - FI[row, CLOSED] >= RECENT_CLOSURE:
        # the step-down is no longer recent: cleared in the month it ends, whatever the levers (a
        # stepped-down family's slots follow the flag: Services._slot_layout)
        FI[row, FLAGS] &= ~FLAG_RECENT
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)


# -- hazards ---------------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def exact_rates(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, rates):
    """Annual rates of each hazard for one family (written into ``rates``)."""
    st = FI[row, STATE]
    need = FI[row, NEED]
    for e in range(N_HAZARDS):
        rates[e] = PV[V_BASE + (st * N_NEED + need) * N_HAZARDS + e]
    flags = FI[row, FLAGS]
    if FI[row, TEEN_DUE] <= t:  # a child at home has turned 12 since the count
        child_summary(FI, CI, row, t)
    teens = FI[row, N_TEENS]
    dep = PV[V_DEP + FI[row, DECILE]]
    adv = rates[ADVERSE]
    if flags & FLAG_CLP:
        adv *= PV[P_CLP_MULT]
    if flags & FLAG_PRIOR:
        adv *= PV[P_PRIOR_ADV]
    rates[ADVERSE] = (adv + PV[P_CH_RATE] * teens) * dep if need < 3 else 0.0
    ref = PV[P_RA_REF]
    recent = t - FI[row, CLOSED] < RECENT_CLOSURE
    if not recent and flags & FLAG_RECENT:
        # a closure's flag only loosens its code's bounds until cleared here (a step-down's is
        # cleared when due, process_due: the family's slot layout follows it)
        FI[row, FLAGS] = flags & ~FLAG_RECENT
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    if recent:
        ref *= PV[P_REREF_MULT]
    if flags & FLAG_PRIOR:
        ref *= PV[P_PRIOR_REF]
    rates[REFER] *= ref
    rates[S47] = section47_hazard(PV, rates[S47], st, recent)
    rates[CARE] *= PV[P_RA_CARE]
    if FI[row, N_HOME] == 0:
        for e in range(REFER, N_HAZARDS):
            rates[e] = 0.0
    for c in range(LEVER_CHANNELS):
        g = FI[row, LEVER0 + c]
        if g > 0:
            base_off = V_LEVER + (c * MAX_GROUPS + g) * N_LEVER_EFFECTS
            for e in range(N_HAZARDS):
                rates[e] *= PV[base_off + e]
            if recent:
                rates[REFER] *= PV[base_off + REREFERRAL]
    return teens


@njit(cache=True, inline="always", _nrt=False)
def hazard_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, rates, event, teens, u2):
    """Carry out one family's hazard event."""
    fid = FI[row, FAM_ID]
    st = FI[row, STATE]
    if event == ADVERSE:
        dep = PV[V_DEP + FI[row, DECILE]]
        p_ch = PV[P_CH_RATE] * teens * dep / max(rates[ADVERSE], 1e-12)
        stream(rng, FAM, fid, t, kr.P_ADVERSE)
        kind = draw_cum(rng, FAM, PV, V_ADV_CUM, 4)
        if uniform(rng, FAM) < p_ch:
            kind = CONTEXTUAL_HARM
        jump = 2 if uniform(rng, FAM) < PV[P_TWO_LEVEL] else 1
        FI[row, NEED] = min(3, FI[row, NEED] + jump)
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        M[CN + C_ADVERSE] += 1
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_ADVERSE, kind)
    elif event == RECOVER:
        FI[row, NEED] -= 1
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_RECOVERY, FI[row, NEED])
    elif event == REFER:
        front_door(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
    elif event == IDENTIFY:
        offer_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, R_CLOSED, -1)
    elif event == CLOSE:
        if st == EH:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_CLOSED)
        elif st == CIN:
            if u2 < PV[P_CIN_STEPDOWN_EH]:
                offer_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, R_STEPPED_DOWN, U)
            else:
                set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_CLOSED)
    elif event == S47:
        section47(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
    elif event == CARE:
        route = RT_S20 if u2 < PV[P_S20_SHARE] else RT_ORDER
        enter_care(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, route)


# -- demography ------------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def spill_id(M, spill):
    """A unique id from a spill counter (``M_SPILL_FID`` or ``M_SPILL_CID``), shared by no run."""
    v = M[spill]
    M[spill] += 1
    return v


@njit(cache=True, inline="always", _nrt=False)
def new_id(M, j, first, block, spill):
    """Id of the ``j``-th arrival of a kind this month: from its reserved block, else a spill id."""
    return M[first] + j if j < M[block] else spill_id(M, spill)


@njit(cache=True, inline="always", _nrt=False)
def pick_family(FI, IDX, M, rng, need_room):
    """A family drawn uniformly by id from those with children at home; -1 if 64 tries find none.

    Unaccompanied children are left out, and families with no room for another child if
    ``need_room``.

    Drawn by id (ids are shared between runs), not by row, so two runs pick the same family
    wherever it is there and alike in both.
    """
    n = M[M_N_IDS]
    if n <= 0:
        return -1
    for _try in range(64):
        r = IDX[randint(rng, AREA, 0, n)]
        if (
            r >= 0
            and FI[r, N_HOME] > 0
            and (FI[r, FLAGS] & FLAG_UASC) == 0
            and (not need_room or FI[r, N_KIDS] < K)
        ):
            return r
    return -1


@njit(cache=True, inline="always", _nrt=False)
def pre_birth_concern(PV, state, need, child_in_care):
    """How strongly a pre-birth assessment points to care: the base of both removal rules below.

    By the family's need (``care.removal_at_birth_by_need``), times its service state's
    multiplier (``care.removal_at_birth_plan_multiplier`` for CIN and protection plans), times
    ``care.removal_at_birth_repeat_multiplier`` when a brother or sister is in care now (repeat
    removals).
    """
    p = PV[V_BIRTH_REMOVAL + need] * PV[V_BIRTH_STATE + state]
    if child_in_care:
        p *= PV[P_BIRTH_REPEAT]
    return p


@njit(cache=True, inline="always", _nrt=False)
def removal_at_birth_probability(PV, state, need, child_in_care):
    """Chance that a baby is removed at birth: a pre-birth assessment, then care proceedings.

    :func:`pre_birth_concern` times the year's practice (``care.removal_at_birth_path``). The one
    statement of the rule: the engine samples it (:func:`births`), the expected-value view takes
    its expectation (``simulator.aggregate.demography._births``).
    """
    return min(pre_birth_concern(PV, state, need, child_in_care) * PV[P_BIRTH_PATH], 1.0)


@njit(cache=True, inline="always", _nrt=False)
def removal_after_birth_probability(PV, state, need, child_in_care, p_birth):
    """Chance that a baby not removed at birth is removed later in its first year.

    The pre-birth assessment's other outcome: the baby goes home (on a plan, or with its mother
    in a parent-and-child placement) and care proceedings follow within the year:
    :func:`pre_birth_concern` times ``care.removal_after_birth_ratio`` (such removals for each
    removal at birth today) times the year's practice (``care.removal_after_birth_path``), so
    that with the chance at birth (``p_birth``) it stays within 1. Read by the engine
    (:func:`births`) and the expected-value view (``aggregate.demography._births``).
    """
    p = pre_birth_concern(PV, state, need, child_in_care) * PV[P_BIRTH_LATER] * PV[P_LATER_PATH]
    return min(p, 1.0 - p_birth)


@njit(cache=True, inline="always", _nrt=False)
def removal_after_birth_month(p_birth, p_later, u, t):
    """The month a baby born in month ``t`` is removed, from the birth's uniform ``u``.

    ``u < p_birth``: at birth (``t``); ``u`` in the next ``p_later``: spread evenly over the
    :data:`AFTER_BIRTH_MONTHS` months after birth (the view books ``p_later / AFTER_BIRTH_MONTHS``
    in each); otherwise never (:data:`FAR`).
    """
    if u < p_birth:
        return t
    x = u - p_birth
    if x < p_later:
        return t + 1 + min(int(x / p_later * AFTER_BIRTH_MONTHS), AFTER_BIRTH_MONTHS - 1)
    return FAR


@njit(cache=True, _nrt=False)
def removal_after_birth(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k):
    """A baby at home since birth is removed under a care order, as planned at its birth."""
    M[CN + C_AFTER_BIRTH_REMOVALS] += 1
    admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, RT_ORDER, False)
    if FI[row, N_HOME] == 0:
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, U, R_ESCALATED)


@njit(cache=True, _nrt=False)
def births(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n, TL):
    """``n`` births: about half to families with children at home, the rest start families.

    The ``j``-th birth of the month has its own draws and its own child id; the ``i``-th of the
    month's births that start a family (by their own draws) takes the ``i``-th family id of the
    month's block. Families changed here are taken out of the tally ``TL`` before and counted
    again after.
    """
    n_new = 0
    for j in range(n):
        stream(rng, AREA, j, t, kr.P_BIRTH)
        row = -1
        existing = uniform(rng, AREA) < PV[P_EXISTING_BIRTH_SHARE]
        if existing:
            row = pick_family(FI, IDX, M, rng, True)
        cid = new_id(M, j, M_BIRTH_CID, M_BIRTH_N, M_SPILL_CID)
        if row < 0:
            if existing:  # no family with room was found: a new family, with a spill id
                fid = spill_id(M, M_SPILL_FID)
            else:
                fid = new_id(M, n_new, M_BIRTH_FID, M_BIRTH_FN, M_SPILL_FID)
                n_new += 1
            row = take_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, AREA)
            if row < 0:
                return
        else:
            count_row(FI, TL, row, -1.0)
        k = add_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, t, IN, cid)
        M[CN + C_BIRTHS] += 1
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, FI[row, FAM_ID], EV_BIRTH, 0)
        st, need, in_care = FI[row, STATE], FI[row, NEED], FI[row, N_LAC] > 0
        p = removal_at_birth_probability(PV, st, need, in_care)
        p_later = removal_after_birth_probability(PV, st, need, in_care, p)
        if k >= 0 and p + p_later > 0.0:
            # known before birth: a pre-birth assessment may end in removal at birth under a
            # care order (the birth's own draw: the same in both runs of a pair; a new family is
            # in universal services already, an existing one keeps its other children at home)
            stream(rng, AREA, j, t, kr.P_BIRTH_REMOVAL)
            when = removal_after_birth_month(p, p_later, uniform(rng, AREA), t)
            if when == t:
                M[CN + C_BIRTH_REMOVALS] += 1
                admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, RT_ORDER, False)
            elif when < FAR:  # home for now; proceedings follow (process_due)
                CI[row, k, C_EXIT] = when
                child_summary(FI, CI, row, t)
                update_next_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        count_row(FI, TL, row, 1.0)


@njit(cache=True, _nrt=False)
def move_away(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row):
    """The family moves out of the area: its cases close and its children leave the count."""
    fid = FI[row, FAM_ID]
    M[CN + C_MOVED_AWAY] += FI[row, N_HOME]
    log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_MOVED_AWAY, 0)
    st = FI[row, STATE]
    if st == EH:
        M[M_NEH] -= 1
    FI[row, STATE] = U
    for k in range(K):
        if FI[row, FAM_ID] < 0:
            break
        if CI[row, k, C_ID] >= 0:
            close_episode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, CI[row, k, C_EP], t, R_MOVED_AWAY)
            FI[row, N_HOME] -= 1
            remove_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, k, st)


@njit(cache=True, _nrt=False)
def arrivals(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n, births_buf, TL):
    """``n`` families move in, each like a family of the area drawn at random.

    An arrival copies the drawn family's deprivation and its children at home (their ages), not
    its history (as the aggregate view's arrivals do).

    The ``j``-th arrival of the month has its own draws and ids, whatever the levers did.
    ``births_buf`` is scratch room for ``K`` birth months; the tally ``TL`` is kept up to date.
    """
    for j in range(n):
        stream(rng, AREA, j, t, kr.P_ARRIVAL)
        template = pick_family(FI, IDX, M, rng, False)
        fid = new_id(M, j, M_ARRIVE_FID, M_ARRIVE_N, M_SPILL_FID)
        if template < 0:
            continue
        nb = 0
        for k in range(K):  # its children at home (one in care stays with the area that placed it)
            if CI[template, k, C_ID] >= 0 and not CI[template, k, C_LAC]:
                births_buf[nb] = CI[template, k, C_BIRTH]
                nb += 1
        decile = FI[template, DECILE]
        row = take_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, AREA)
        if row < 0:
            return
        FI[row, DECILE] = decile
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        log_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, EV_MOVED_IN, 0)
        for i in range(nb):
            b = int(births_buf[i])
            if b + AGE_18 > t:
                # the block holds K child ids per arrival: the i-th child of the j-th arrival
                cid = M[M_ARRIVE_CID] + j * K + i if j < M[M_ARRIVE_N] else spill_id(M, M_SPILL_CID)
                add_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, b, IN, cid)
                M[CN + C_MOVED_IN] += 1
        if FI[row, N_KIDS] == 0:
            release_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        count_row(FI, TL, row, 1.0)


@njit(cache=True, _nrt=False)
def add_uasc(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, birth, fid, cid):
    """Unaccompanied child ``cid``, a one-child 'family' ``fid``, straight into care; its row or -1.

    Its family's attributes come from the current area stream.
    """
    row = take_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, AREA)
    if row < 0:
        return row
    FI[row, FLAGS] |= FLAG_UASC
    FI[row, NEED] = 0
    recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
    CI[row, 0, C_ID] = cid
    CI[row, 0, C_BIRTH] = birth
    FI[row, N_KIDS] = 1
    M[M_NKIDS] += 1
    admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, 0, RT_UASC, True)
    return row


# -- the month -------------------------------------------------------------------------------


@njit(cache=True)
def step_month(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, target_children, TL, scratch, U):
    """One month for every family (scheduled events, hazards, front door), then rationing, demography.

    Returns the month-end :func:`tally` (counts are written into ``TL``). ``TL`` holds last
    month's tally on entry and is kept up to date as the month goes, a family's counts taken
    out before anything changes it and put back after, rather than recounted (most families
    have no event in a month); ``Services.tally`` recounts from scratch. ``scratch`` is work
    room (float64, at least :data:`N_SCRATCH`); ``U`` (uint32, 4 x rows) the families'
    screening words. The rules it
    calls allocate nothing, so they are compiled without
    numba's reference counting (``_nrt=False``: about a third faster); only this function
    keeps it, for the sort in :func:`ration_early_help`. The month's numbers of arrivals,
    unaccompanied children and births come from the area's draws for the month, as quantiles of
    their Poisson distributions, so runs whose expected numbers differ a little draw the same.
    """
    M[M_NQ] = 0
    if t & 3 == 0:
        refresh_screening(FI, U, rng, t)
    family_pass(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, scratch, TL, U)
    ration_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, TL)
    stream(rng, AREA, 0, t, kr.P_COUNTS)
    u_arrive = uniform(rng, AREA)
    u_uasc = uniform(rng, AREA)
    u_births = uniform(rng, AREA)
    n_in = poisson_quantile(PV[P_ARRIVALS], u_arrive)
    arrivals(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n_in, scratch[N_HAZARDS : N_HAZARDS + K], TL)
    n_uasc = poisson_quantile(PV[P_UASC_LAMBDA], u_uasc)
    uasc_arrivals(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n_uasc, TL)
    # births keep the child population on its projected path, after this month's departures
    gap = target_children - M[M_NKIDS]
    births(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, poisson_quantile(gap, u_births) if gap > 0 else 0, TL)
    return int(TL[T_KIDS]), TL[T_HIDDEN], int(TL[T_WITH_LAC])


@njit(cache=True)
def ration_early_help(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, TL):
    """The month's requests for early help: all granted while places last.

    When places are short, they go by each family's priority draw for the month (not by the
    table's order). Turned-away families go to their fallback state, if any.
    """
    n = M[M_NQ]
    if n == 0:
        return
    room = PV[P_EH_PLACES] - M[M_NEH]
    grant = 0 if room <= 0 else (n if room >= n else int(math.ceil(room)))
    if grant < n:
        prio = np.empty(n)
        for i in range(n):
            row = Q[i] // 64
            stream(rng, FAM, FI[row, FAM_ID], t, kr.P_RATION)
            prio[i] = uniform(rng, FAM)
        Q[:n] = Q[:n][np.argsort(prio, kind="mergesort")]
    for i in range(n):
        code = Q[i]
        row = code // 64
        reason = (code // 8) % 8
        fallback = code % 8 - 1
        if i < grant:
            count_row(FI, TL, row, -1.0)
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, EH, reason)
            count_row(FI, TL, row, 1.0)
        else:
            M[CN + C_EH_AWAY] += FI[row, N_HOME]
            if fallback >= 0:
                count_row(FI, TL, row, -1.0)
                set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, fallback, R_CLOSED)
                count_row(FI, TL, row, 1.0)


@njit(cache=True, fastmath=True)
def _philox_many(fid, blk, k0, k1, n, U0, U1, U2, U3):
    """Philox blocks ``(fid[i], blk, P_SCREEN, 0)`` for ``i < n`` (a loop the compiler vectorises)."""
    for i in range(n):
        w0, w1, w2, w3 = kr.philox(fid[i], blk, np.uint64(kr.P_SCREEN), np.uint64(0), k0, k1)
        U0[i] = np.uint32(w0)
        U1[i] = np.uint32(w1)
        U2[i] = np.uint32(w2)
        U3[i] = np.uint32(w3)


@njit(cache=True)
def refresh_screening(FI, U, rng, t):
    """At the start of a four-month block, every family's four screening words ``U[:, row]``.

    They are the Philox block addressed by (family id, month // 4), so each family's monthly
    uniform is its own whatever the table's order. Done for all rows at once (vectorised).
    """
    blk = t >> 2
    cap = FI.shape[0]
    chunk = 4096
    fid = np.empty(chunk, dtype=np.uint64)
    for start in range(0, cap, chunk):
        n = min(chunk, cap - start)
        for i in range(n):
            fid[i] = np.uint64(FI[start + i, FAM_ID]) & kr._MASK
            FI[start + i, U_BLOCK] = blk
        _philox_many(
            fid,
            np.uint64(blk),
            rng[0],
            rng[1],
            n,
            U[0, start : start + n],
            U[1, start : start + n],
            U[2, start : start + n],
            U[3, start : start + n],
        )


@njit(cache=True, inline="always", _nrt=False)
def screen_uniform(FI, U, rng, row, t):
    """The family's screening uniform for month ``t``.

    A family new since the block's refresh gets its block now.
    """
    blk = t >> 2
    if FI[row, U_BLOCK] != blk:
        w0, w1, w2, w3 = kr.philox(
            np.uint64(FI[row, FAM_ID]), np.uint64(blk), np.uint64(kr.P_SCREEN), np.uint64(0), rng[0], rng[1]
        )
        U[0, row] = np.uint32(w0)
        U[1, row] = np.uint32(w1)
        U[2, row] = np.uint32(w2)
        U[3, row] = np.uint32(w3)
        FI[row, U_BLOCK] = blk
    return kr.to_unit(U[t & 3, row])


@njit(cache=True, _nrt=False)
def family_pass(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, scratch, TL, U):
    """Every family's month: scheduled events, then hazards.

    A family with something to do this month has its counts taken out of the tally ``TL``
    first and put back once its month is done; the rest stay counted as they were. The order of
    the rows does not matter: every draw is the family's own and places are rationed after the
    pass.
    """
    cap = FI.shape[0]
    rates = scratch[0:N_HAZARDS]
    move_cut = 1.0 - PV[P_MOVE_P]  # a family free to move moves when its uniform is above this
    for row in range(cap):
        if FI[row, FAM_ID] < 0:
            continue
        due = FI[row, NEXT_DUE] <= t
        if due:
            count_row(FI, TL, row, -1.0)
            process_due(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
            if FI[row, FAM_ID] < 0:
                continue
        u = screen_uniform(FI, U, rng, row, t)
        if u >= move_cut:
            # moving away: the top of the same uniform, apart from the hazards' bottom end, so the
            # family's own draw decides it whatever else happens (and costs no other draw)
            if FI[row, N_HOME] > 0 and FI[row, N_LAC] == 0 and (FI[row, FLAGS] & FLAG_UASC) == 0:
                if not due:
                    count_row(FI, TL, row, -1.0)
                move_away(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row)
                if FI[row, FAM_ID] >= 0:
                    count_row(FI, TL, row, 1.0)
                continue
        elif u < PV[V_BOUND + FI[row, CODE]] and sieve_passes(PV, FI[row, CODE], u):
            family_hazards(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, u, rates, TL, not due)
        if due:
            count_row(FI, TL, row, 1.0)


@njit(cache=True, inline="always", _nrt=False)
def sieve_passes(PV, code, u):
    """False when ``u`` (below the code's bound) lies where :func:`family_hazards` has nothing.

    A shortcut that changes no result: ``Services.refresh_bound`` marks each 48th of the code's
    ``[0, bound)`` that touches the active part of a slot or the overflow region (with a margin),
    so a family whose uniform falls in an unmarked bin would have returned without an event.
    Most families below the bound do (the slots' unused ends), and skip the walk over slots.
    """
    b = int(u * PV[V_SIEVE_SCALE + code])
    if b >= SIEVE_BINS:
        b = SIEVE_BINS - 1
    return (int(PV[V_SIEVE + code]) >> b) & 1 == 1


@njit(cache=True, inline="always", _nrt=False)
def family_hazards(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, u, rates, TL, counted):
    """Stage two for a family below its code's reach: which hazard's slot ``u`` falls in.

    Each hazard owns a fixed slot of the uniform (its layout, see ``Services._slot_layout``);
    hazard ``e`` happens this month when ``u`` lies in the first ``q_e`` of its slot, where
    ``q_e = rate_e / total x (1 - exp(-total / 12))`` is its exact competing-risks probability
    (at most one event a month, as before). What a hazard in excess of its slot needs is
    taken from an overflow region above the slots, in hazard order. So a lever that moves one
    hazard adds or removes only that hazard's events; the others stay where they were. The
    exact rates are worked out only when ``u`` lies in the active part of a slot (its bound
    ``hbound``) or in the overflow region. The event's second uniform (closure to early help,
    route into care) is word 3 of the address (family, month, P_EVENT). If the family is
    ``counted`` in the tally ``TL``, an event takes its counts out first and puts them back after.
    """
    code = FI[row, CODE]
    lay = int(PV[V_LAYOUT + code])  # -1: packed (levers past the slots' room), stacked from 0
    base = V_SLOT + max(lay, 0) * 8
    top = PV[base + 7] if lay >= 0 else 0.0
    slot = -1
    if u < top:
        slot = 0
        while u >= PV[base + slot + 1]:
            slot += 1
        if u - PV[base + slot] >= PV[V_HBOUND + code * N_HAZARDS + slot]:
            return
    teens = exact_rates(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, rates)
    total = 0.0
    for e in range(N_HAZARDS):
        total += rates[e]
    if total <= 0.0:
        return
    scale = (1.0 - math.exp(-total / 12.0)) / total
    event = -1
    if slot >= 0:
        if u - PV[base + slot] < rates[slot] * scale:
            event = slot
    else:
        # above the slots: the overflow region (what each hazard needs beyond its slot, in
        # hazard order); packed codes have no slots, so all of each hazard's chance is here
        edge = top
        for e in range(N_HAZARDS):
            room = PV[base + e + 1] - PV[base + e] if lay >= 0 else 0.0
            extra = rates[e] * scale - room
            if extra > 0.0:
                edge += extra
                if u < edge:
                    event = e
                    break
    if event >= 0:
        w = kr.philox(
            np.uint64(FI[row, FAM_ID]), np.uint64(t), np.uint64(kr.P_EVENT), np.uint64(0), rng[0], rng[1]
        )
        if counted:
            count_row(FI, TL, row, -1.0)
        hazard_event(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, rates, event, teens, kr.to_unit(w[3]))
        if counted:
            count_row(FI, TL, row, 1.0)


@njit(cache=True, _nrt=False)
def uasc_arrivals(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n, TL):
    """``n`` unaccompanied children arrive (ages 15-17), each with its own draws and ids."""
    for j in range(n):
        stream(rng, AREA, j, t, kr.P_UASC)
        years = 15 + draw_cum(rng, AREA, PV, V_UASC_AGE_CUM, 3)
        birth = t - years * 12 - randint(rng, AREA, 0, 12)
        fid = new_id(M, j, M_UASC_FID, M_UASC_N, M_SPILL_FID)
        cid = new_id(M, j, M_UASC_CID, M_UASC_N, M_SPILL_CID)
        row = add_uasc(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, birth, fid, cid)
        if row >= 0:
            count_row(FI, TL, row, 1.0)
    M[CN + C_UASC] += n


@njit(cache=True, inline="always", _nrt=False)
def count_row(FI, TL, row, sign):
    """Add (``sign`` 1) or take out (-1) one family's counts in the tally ``TL``."""
    if FI[row, FAM_ID] < 0:
        return
    c = FI[row, CODE] >> 3
    nh = FI[row, N_HOME]
    TL[T_KIDS] += sign * FI[row, N_KIDS]
    TL[T_CUBE + c] += sign * nh
    nl = FI[row, N_LAC]
    if nh > 0:
        TL[T_FAM + c] += sign
        if nl == 0 and (FI[row, FLAGS] & FLAG_UASC) == 0:
            TL[T_MOVERS] += sign
    if nl > 0:
        TL[T_WITH_LAC] += sign
        d = FI[row, DECILE]
        TL[T_LAC + d] += sign * nl
        if FI[row, FLAGS] & FLAG_UASC:
            TL[T_ULAC + d] += sign * nl
    if FI[row, STATE] == U and FI[row, NEED] >= 2 and FI[row, LAST_REF] < -(2**29):
        TL[T_HIDDEN] += sign * nh


@njit(cache=True, _nrt=False)
def tally(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, TL, t):
    """Children at home by code, families by code, children in care by decile; hidden need."""
    TL[:] = 0.0
    for row in range(FI.shape[0]):
        count_row(FI, TL, row, 1.0)
    return int(TL[T_KIDS]), TL[T_HIDDEN], int(TL[T_WITH_LAC])


# -- bulk entry points for set-up (called from Python with arrays) ----------------------------


@njit(cache=True, _nrt=False)
def bulk_set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, rows, new, reason):
    """:func:`set_state` for many families."""
    for i in range(rows.shape[0]):
        set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, rows[i], new, reason)


@njit(cache=True, _nrt=False)
def bulk_admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, rows, slots, routes, in_equilibrium):
    """:func:`admit` for many children at home.

    ``in_equilibrium``: already in care at the start, for a time drawn from the child's own
    set-up draws.
    """
    for i in range(rows.shape[0]):
        elapsed = 0
        if in_equilibrium:
            age = t - CI[rows[i], slots[i], C_BIRTH]
            stream(rng, CHILD, CI[rows[i], slots[i], C_ID], kr.SETUP_MONTH, kr.P_START_CARE)
            elapsed = randint(rng, CHILD, 0, min(age, 180) + 1)
        admit(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, rows[i], slots[i], routes[i], False, elapsed)
        if FI[rows[i], N_HOME] == 0:
            set_state(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, rows[i], U, R_ESCALATED)


@njit(cache=True, _nrt=False)
def bulk_uasc(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, birth):
    """:func:`add_uasc` for many children (set-up: sequential ids)."""
    for i in range(birth.shape[0]):
        fid = M[M_NEXT_FID]
        M[M_NEXT_FID] += 1
        cid = M[M_NEXT_CID]
        M[M_NEXT_CID] += 1
        stream(rng, AREA, i, kr.SETUP_MONTH, kr.P_UASC)
        add_uasc(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, birth[i], fid, cid)


@njit(cache=True, _nrt=False)
def populate(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, n_children, size_cum, need_cum_by_decile):
    """Families at the start until ``n_children`` children live in the area.

    Family sizes follow ``size_cum``; the first child's age is uniform over 0-17, each
    sibling 1-4 years from the last (reflected at 0 and 18 so every age stays about
    equally common); need depends on deprivation (``need_cum_by_decile``). Ids are given in
    order; each family's attributes come from its own set-up draws.
    """
    made = 0
    while made < n_children:
        fid = M[M_NEXT_FID]
        M[M_NEXT_FID] += 1
        stream(rng, FAM, fid, kr.SETUP_MONTH, kr.P_POPULATE)
        row = take_row(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, fid, FAM)
        if row < 0:
            return made
        d = FI[row, DECILE]
        u = uniform(rng, FAM)
        need = 3
        for j in range(4):
            if u < need_cum_by_decile[d, j]:
                need = j
                break
        FI[row, NEED] = need
        recode(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, row)
        u = uniform(rng, FAM)
        size = size_cum.shape[0]
        for j in range(size_cum.shape[0]):
            if u < size_cum[j]:
                size = j + 1
                break
        age = randint(rng, FAM, 0, AGE_18)
        for j in range(min(size, K)):
            if j > 0:
                step = 12 + randint(rng, FAM, 0, 37)
                age += step if uniform(rng, FAM) < 0.5 else -step
            a = abs(age) % (2 * AGE_18)
            if a >= AGE_18:
                a = 2 * AGE_18 - 1 - a
            cid = M[M_NEXT_CID]
            M[M_NEXT_CID] += 1
            add_child(FI, CI, LE, LJ, M, free, PV, rng, IDX, Q, t, row, t - a, IN, cid)
            made += 1
            if made >= n_children:
                break
    return made


def guard_dependent_cache(module_file: str, sources: tuple[str, ...] = ()) -> None:
    """Drop a dependent module's numba cache when the sources it compiles in have changed.

    numba keys a module's on-disk cache on that module's own source only, so compiled code that
    reads another module's layout constants or inlines its functions (the aggregate view reads
    this kernel's; this kernel inlines :mod:`simulator.agents.keyed`) would otherwise keep stale
    code. ``sources`` defaults to this kernel and the keyed generator.
    """
    files = sources or (__file__, kr.__file__)
    digest = hashlib.sha256()
    for f in files:
        digest.update(Path(f).read_bytes())
    stamp = digest.hexdigest()[:16]
    module = Path(module_file)
    cache = module.parent / "__pycache__"
    marker = cache / f"{module.stem}.kernel-stamp"
    try:
        if marker.exists() and marker.read_text() == stamp:
            return
        for f in cache.glob(f"{module.stem}.*.nb[ic]"):
            f.unlink()
        cache.mkdir(exist_ok=True)
        marker.write_text(stamp)
    except OSError:  # a read-only install: numba then compiles in memory anyway
        pass


guard_dependent_cache(__file__, (kr.__file__,))
