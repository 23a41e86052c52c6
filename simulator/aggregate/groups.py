"""The view's groups: the dimensions of its arrays and the constants they share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.recording import COUNTERS
from simulator.states import (
    ADULT_AGE,
    AGE_BAND_EDGES,
    AGE_BANDS,
    RECENT_CLOSURE,
    TEEN_AGE,
)

#: LLVM's floating-point assumptions for the view's compiled code (``@njit(fastmath=FASTMATH)``):
#: no NaN, no infinity, no signed zero, which lets it drop checks and keep values in registers.
#: Unlike numba's full ``fastmath`` they neither reorder nor fuse arithmetic, so the tables are the
#: same bytes as without them (tests/test_regression.py pins them; 2% faster, benchmarks/README.md).
#: The scenario schema refuses the inputs that would make NaN or infinity.
FASTMATH = {"nnan", "ninf", "nsz"}


def guard(module_file: str) -> None:
    """Drop a module's numba cache when the kernel, the keyed generator or this package has changed.

    The view's compiled functions read the kernel's layout constants and call each other across
    this package's modules; numba keys each module's cache on its own source only.
    """
    sources = sorted(str(p) for p in Path(__file__).parent.glob("*.py"))
    kn.guard_dependent_cache(module_file, (kn.__file__, keyed.__file__, *sources))


# -- group dimensions ------------------------------------------------------------------------
DECILES_PER_GROUP = 2  # deprivation groups: adjacent deciles taken together (see run_aggregate)
U, EH, CIN, CP, LAC, IN, OUT = kn.U, kn.EH, kn.CIN, kn.CP, kn.LAC, kn.IN, kn.OUT  # the vocabulary's states
W_OLD = RECENT_CLOSURE  # clock value: closed this many months ago or more (no re-referral boost)
# state (at home), need, deprivation group, history, clock (months since closure, 0..W_OLD), children at home
NS, NN, ND, NP, NW, NH = kn.N_AT_HOME, kn.N_NEED, kn.N_DECILES // DECILES_PER_GROUP, 3, W_OLD + 1, 7
#: The month's counts of families at home (:func:`_count`): children by state, families by state,
#: children in universal services with high need, families with room for another child.
TL_UNMET, TL_ROOM = 2 * NS, 2 * NS + 1
N_TL = 2 * NS + 2
assert kn.N_DECILES % DECILES_PER_GROUP == 0, "deprivation groups must split the ten deciles evenly"
assert NS == NN, "returns home book need (origin 0) and state (origins 1, 2) on one axis"
# history (p): 0 none, 1 earlier statutory involvement, 2 that and a child in care now (the engine
# moves no such family away: kernel ``migration``)
P_LAC = 2
J_EDGES = (TEEN_AGE,)  # bands of the oldest child's age at home (months): under 12, 12-17
NJ = len(J_EDGES) + 1
NC = NH * NJ  # family composition: children at home h and the oldest's band j, index j * NH + h
HSZ = np.tile(np.arange(NH), NJ)  # children at home by composition
#: Care entries' slot (``AE``, ``CT``; never ``F``) for one-child families whose child is under one:
#: the composition "no child at home, the oldest 12-17" holds no family, so its index is free
#: (:func:`~simulator.aggregate.loop._infant_shares`).
C_INF = NH
INFANT_MONTHS = 12  # a new family's child is an infant for its first 12 months
#: Families with a care entry by origin: their state (U or EH, CIN, CP), plus 3 when a child of theirs
#: is in care already (``AE``; ``CT`` by need and origin: ``care.class_care_tables``).
N_ORIGINS = 6
# the band of each age (months)
J_OF_AGE = np.searchsorted(np.asarray(J_EDGES), np.arange(ADULT_AGE + 1), side="right")


@njit(inline="always")  # compiled into its callers, whose caches the guard keys on this file
def cp_slots(PV: np.ndarray) -> tuple[int, int, int]:
    """Where protection plans sit on the clock axis: (after a review, first review due, new plan).

    A CP family's clock counts down the months to its next review conference. Plans past their
    first review count down from the review interval to 0 (due at 0); plans waiting for their
    first review sit above them, due at ``interval + 1``, a new plan starting ``first_review``
    months above that. So the view tells a first review from later ones (kernel
    ``FLAG_REVIEWED``) without another axis; ``cp.first_review_months + cp.review_interval_months``
    is at most ``W_OLD - 1``, or ``W_OLD - 2`` with late first reviews (the schema refuses more).
    """
    interval = int(PV[kn.P_CP_INTERVAL])
    return interval, interval + 1, interval + 1 + int(PV[kn.P_CP_FIRST_REVIEW])


@njit(inline="always")  # as cp_slots
def cp_top(PV: np.ndarray) -> int:
    """The highest clock a protection plan holds.

    A new plan's, or a month above it for the share of new plans whose first review is a month late
    (``cp.first_review_late_share``, kernel ``first_review_late``; the schema keeps it within
    ``W_OLD``).
    """
    return cp_slots(PV)[2] + (1 if PV[kn.P_CP_FIRST_LATE] > 0.0 else 0)


@njit(inline="always")  # as cp_slots
def first_history(s: int) -> int:
    """The first history (``p``) a state's families can have: one on a plan (CIN, CP) has had one.

    The passes over every group start there (the cells below it hold no family).
    """
    return 1 if s >= CIN else 0


RECENT_STAGES = 3  # _family_path: stages of a recent closure, W_OLD months in all on average (the
# view's approximation of the kernel's exact 12 months, not a model parameter)
N_BANDS = len(AGE_BANDS)  # <1, 1-4, 5-9, 10-15, 16-17
BAND_EDGES = np.array(AGE_BAND_EDGES)
BAND_SHARE = np.diff(BAND_EDGES) / ADULT_AGE  # children's ages uniform over 0-17
BAND_PROW = np.array([0, 0, 1, 2, 3])  # placement-share row by age band at entry
N_REASONS = 5  # returned home, adopted, special guardianship, turned 18, another way
RH, AD, SG, T18, OTH = range(5)
HORIZON = ADULT_AGE + 1  # months ahead an exit can be planned (an infant stays at most 216)
# indices in the monthly counter vector (order of simulator.recording.COUNTERS)
_C = {name: i for i, name in enumerate(COUNTERS)}


# -- family demography -----------------------------------------------------------------------
# Families by children at home (h = 1..6) as chains of their children's ages, oldest first: for
# each h and rank r the joint distribution of the ages of the r-th and (r+1)-th oldest
# (``P[pair(h, r), row, gap]``: the older child's birth month modulo 217 and the gap in months to
# the next younger), the age of the youngest (``Y[h]``) and one-child families (``V1``). Given a
# child's age, the younger children are taken as independent of the older ones (a Markov chain:
# exact for births that arrive at random, as the engine's births to existing families do; close
# for the start's families). A family leaves when its youngest turns 18 and shrinks when its
# oldest does, the next oldest taking its place with its own younger siblings; births add a
# newborn below the youngest. Indexing by birth month makes ageing free.
AGE_18 = ADULT_AGE
NA = AGE_18 + 1  # ages 0..216 (216: the 18th birthday this month)
TEEN = TEEN_AGE
MAX_START = 4  # population.children_per_family_shares: families of 1-4 children at the start
PAIR = -np.ones((NH, NH), dtype=np.int64)  # (children, rank) -> pair slot
_k = 0
for _h in range(2, NH):
    for _r in range(_h - 1):
        PAIR[_h, _r] = _k
        _k += 1
N_PAIRS = _k
