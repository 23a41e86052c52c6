"""The services families meet, and the monthly rules that move them.

One month, in order (:meth:`Services.step`):

1. demography: children turning 18 leave, births, families moving in and out,
   unaccompanied asylum-seeking children arriving straight into care;
2. scheduled events: care episodes ending (planned at entry: return home,
   adoption, special guardianship, or staying to 18), protection plans reviewed
   at conferences (3 months, then every 6: plans end when need has fallen);
3. hazards: each family faces competing monthly risks that depend on its
   state, need, deprivation and history: an adverse event (need rises), recovery
   (need falls, faster under a service), referral to children's social care,
   being offered early help directly, a case closing, escalation to a
   section 47 enquiry, a child entering care;
4. the front door: referrals are assessed and end in no further action,
   early help, a child-in-need plan or a section 47 enquiry, which can lead to
   an initial conference and a protection plan, or to emergency removal.

Thresholds move with the risk-aversion index and with capacity (early help
places, social work caseload), so levers in :mod:`simulator.policies` have
something real to act on.

Randomness: every draw is addressed by who it is for, the month and what it decides
(:mod:`simulator.agents.keyed`), so a scenario and its baseline run with the same seed give every
family the same draws wherever they treat it alike (common random numbers).

Speed: hazards are drawn in two stages. Stage one compares one uniform per
family with an upper bound on its monthly event probability, looked up by a
small code (state, need, decile); only the few percent of families that pass
go to stage two, where their exact rates (with history, adolescents, lever
effects) are computed and the same uniform decides (thinning). The result is
the same distribution as drawing every hazard for every family.

References:
    Tjoa, P. (2019) *From Tiny Acorns: Communities shaping the future of
    children's services*. NLGN (shared/seeds/002_f6981e7d01f6d169.txt).
    HM Government (2023) *Working Together to Safeguard Children*.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np
from numba import njit

from simulator import rules
from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.schema import series_values
from simulator.states import HIGH_NEED, WEEKS_PER_MONTH

if TYPE_CHECKING:
    from simulator.schema import Scenario

N_EVENTS = 7


class Host(Protocol):
    """What :class:`Services` reads of the model that owns it: the scenario and the run's key.

    :class:`simulator.model.CSCModel` is one; the services do not import it (the model is built
    on them).
    """

    @property
    def scenario(self) -> Scenario:
        """The validated scenario of the run."""

    @property
    def key(self) -> tuple[int, int]:
        """The run's random key (:func:`simulator.agents.keyed.key_words`)."""


def monthly(rate_per_year):
    """Monthly event probability from an annual rate (constant hazard)."""
    return 1.0 - np.exp(-np.asarray(rate_per_year, dtype=float) / 12.0)


class YearlyParameters(NamedTuple):
    """Packed parameters set year by year from the scenario's dated drivers (:func:`yearly_parameters`)."""

    slots: np.ndarray  #: their indices in the packed parameters ``PV``
    values: np.ndarray  #: ``values[year, i]``: slot ``slots[i]`` in each reported year

    def write(self, PV: np.ndarray, year: int) -> None:
        """Set year ``year``'s values (the engine each month, the view for each year's kernels)."""
        PV[self.slots] = self.values[year]

    def column(self, slot: int) -> np.ndarray:
        """One slot's value in each year."""
        return self.values[:, int(np.flatnonzero(self.slots == slot)[0])]


def yearly_parameters(sc: Scenario) -> YearlyParameters:
    """The dated drivers as packed parameters, year by year: the one reading of them.

    The plans made by children who start care in the year (``care.adoption_path``,
    ``care.return_home_path``, ``care.special_guardianship_path`` times their shares; a
    return-home share at most 1, and the kernel's :func:`~simulator.agents.kernel.exit_plan_shares`
    lets it give way to the other plans, so what a larger one adds comes out of the long stays),
    the family court's timetable for the adoption and special guardianship plans they make
    (``care.court_weeks_path``, weeks turned into months), pre-birth practice
    (``care.removal_at_birth_path``, ``care.removal_after_birth_path``) and section 47 practice
    (``front_door.section47_path``). Read by the engine each month, by the
    expected-value view (its yearly care kernels and its monthly paths) and by the calibration's
    first year, so all follow the same drivers.
    """
    care, run = sc.care, sc.run

    def path(value) -> np.ndarray:
        return np.asarray(series_values(value, run.start_year, run.years), dtype=float)

    home = np.minimum(np.outer(path(care.return_home_path), care.return_home_share), 1.0)
    columns = {
        kn.P_ADOPT_U5: care.adoption_share_under5 * path(care.adoption_path),
        **{kn.V_RH + r: home[:, r] for r in range(home.shape[1])},
        kn.P_SGO: care.special_guardianship_share * path(care.special_guardianship_path),
        kn.P_BIRTH_PATH: path(care.removal_at_birth_path),
        kn.P_LATER_PATH: path(care.removal_after_birth_path),
        kn.P_S47_PATH: path(sc.front_door.section47_path),
        kn.P_COURT_SHIFT: path(care.court_weeks_path) / WEEKS_PER_MONTH,
    }
    return YearlyParameters(np.array(list(columns), dtype=np.int64), np.column_stack(list(columns.values())))


#: The monthly table's blocks, in order (``model.MONTHLY_BLOCKS`` names each block's columns);
#: :func:`record_row` writes block ``b`` from ``at[b]``.
ROW_BLOCKS = (
    "head",
    "children",
    "families",
    "needs",
    "placements",
    "legal",
    "counters",
    "flows",
    "pressures",
)
HEAD, CHILDREN, FAMILIES, NEEDS, PLACEMENTS, LEGAL, COUNTERS_B, FLOWS_B, PRESSURES = range(len(ROW_BLOCKS))


@njit(cache=True)
def _by_state(row, at, tallies, start):
    """Children (or families) at home by state, from the tally cube at ``start``, into ``row[at:]``.

    Returns their total.
    """
    per = kn.N_CELLS // kn.N_AT_HOME
    total = 0.0
    for s in range(kn.N_AT_HOME):
        x = 0.0
        for c in range(per):
            x += tallies[start + s * per + c]
        row[at + s] = x
        total += x
    return total


@njit(cache=True)
def record_row(row, at, tallies, M, t, po_months, m, year, cal, with_lac, hidden, risk, places, capacity):
    """Write month ``t``'s row of the monthly table, block ``b`` from ``at[b]`` (:data:`ROW_BLOCKS`).

    ``m``, ``year`` and ``cal``: the reported month, its reporting year and calendar month;
    ``with_lac`` and ``hidden``: the families with a child in care and the hidden high need;
    ``risk``, ``places`` and ``capacity``: the risk index, early help places and the caseload
    capacity (the caseload pressure is the caseload over it). From the month-end tally
    (``tallies``: children and families at home by state, need and decile) and the counters
    (``M``). Legal status: care orders are the children not under section 20 less the placement
    orders (every adoption plan is under an order: :func:`kernel.legal_status_at_entry`). Returns
    the children on a CIN or protection plan or in care (the caseload). One compiled call a
    month: written in Python it took about 16 ms of a typical LA's 20 years.
    """
    kids = _by_state(row, at[CHILDREN], tallies, kn.T_CUBE)
    lac = 0.0
    for p in range(kn.N_PLACEMENTS):
        lac += M[kn.LP + p]
        row[at[PLACEMENTS] + p] = M[kn.LP + p]
    row[at[CHILDREN] + kn.LAC] = lac
    caseload = row[at[CHILDREN] + kn.CIN] + row[at[CHILDREN] + kn.CP] + lac
    fams = _by_state(row, at[FAMILIES], tallies, kn.T_FAM)
    h = at[HEAD]
    row[h], row[h + 1], row[h + 2], row[h + 3], row[h + 4] = m, year, cal, kids + lac, fams
    per_need = kn.N_CELLS // kn.N_AT_HOME // kn.N_NEED
    unmet = 0.0  # universal families' children with high need or more
    for c in range(HIGH_NEED * per_need, kn.N_NEED * per_need):
        unmet += tallies[kn.T_CUBE + kn.U * kn.N_NEED * per_need + c]
    row[at[NEEDS]], row[at[NEEDS] + 1], row[at[NEEDS] + 2] = with_lac, unmet, hidden
    po = kn.placement_orders(M, t, po_months)
    row[at[LEGAL] + kn.LS_S20] = M[kn.LS]
    row[at[LEGAL] + kn.LS_PO] = po
    row[at[LEGAL] + kn.LS_ORDER] = lac - po - M[kn.LS]
    for c in range(kn.N_COUNTERS):
        row[at[COUNTERS_B] + c] = M[kn.CN + c]
    for c in range(kn.N_FLOW * kn.N_FLOW):
        row[at[FLOWS_B] + c] = M[kn.FL + c]
    row[at[PRESSURES]], row[at[PRESSURES] + 1], row[at[PRESSURES] + 2] = risk, places, caseload / capacity
    return caseload


@contextlib.contextmanager
def numpy_huge_pages(enabled: bool) -> Iterator[None]:
    """Huge pages for new large numpy arrays (numpy advises the kernel), on or off inside the block.

    The family and child tables are read every month: on huge pages the run takes less time
    (England 1:1, 20 years: 6-7% less, benchmarks/README.md), so :func:`_filled` asks for them.
    The set-up's temporary arrays are written once or twice: where the operating system backs
    fresh huge pages slowly (a virtual machine that returns free blocks of 2 MB or more to its host
    and takes each back page by page: 2 GB in 21 s against 0.7 s on small pages, here) they are
    better off on small pages (:meth:`simulator.model.CSCModel._populate`). Nothing else changes.
    """
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None:  # not this numpy: leave its default
        yield
        return
    before = setter(enabled)
    try:
        yield
    finally:
        setter(before)


#: Tables larger than this are filled by one thread per core (:func:`_filled`). Assumption: a
#: typical LA's tables (a few MB) fill in milliseconds on one thread; England's (2.6 GB) are far
#: above it.
PARALLEL_FILL_BYTES = 64 * 2**20


def _filled(shape: tuple[int, ...], defaults: dict[str, int], order: str = "C") -> np.ndarray:
    """An int32 array whose last axis holds each column's default value.

    ``order="F"`` (the family table) stores each column contiguously, filled column by column:
    the month's pass over every family reads only the few columns it screens on (id, next due
    date, code, screening block), not whole rows. In C order the first rows are filled by
    broadcasting, then copied forward in doubling blocks (long contiguous copies: about 1.5-2x
    faster than broadcasting over millions of rows).

    A large table (England's: 2.6 GB) is filled in row blocks by one thread per core (numpy
    lets go of the interpreter while it fills). The fill is the first touch of the table's
    memory, and where the operating system backs fresh memory slowly (a virtual machine that
    hands free memory back to its host: 2 GB took 21-24 s on one thread here, 10.4-10.6 s on two)
    the threads share that wait. The values are the same however many threads fill them.
    """
    values = np.array(list(defaults.values()), dtype=np.int32)
    with numpy_huge_pages(True):
        arr = np.empty(shape, dtype=np.int32, order=order)
    n = shape[0]
    threads = os.cpu_count() or 1
    if arr.nbytes < PARALLEL_FILL_BYTES or threads < 2 or n < threads:
        _fill_rows(arr, values, order, 0, n)
        return arr
    edges = [int(e) for e in np.linspace(0, n, threads + 1)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        jobs = [pool.submit(_fill_rows, arr, values, order, a, b) for a, b in itertools.pairwise(edges)]
        for job in jobs:
            job.result()
    return arr


def _fill_rows(arr: np.ndarray, values: np.ndarray, order: str, lo: int, hi: int) -> None:
    """Rows ``[lo, hi)`` of ``arr`` set to the column defaults ``values`` (see :func:`_filled`)."""
    if hi <= lo:
        return
    if order == "F":
        for j, v in enumerate(values):
            arr[lo:hi, j] = v
        return
    rows = arr.reshape(arr.shape[0], -1)[lo:hi]
    head = min(hi - lo, 1024)
    arr[lo : lo + head] = values
    done = head
    while done < rows.shape[0]:
        k = min(done, rows.shape[0] - done)
        rows[done : done + k] = rows[:k]
        done += k


def _cum(shares) -> np.ndarray:
    c = np.cumsum(np.asarray(shares, dtype=float), axis=-1)
    return c / c[..., -1:]


class Services:
    """Holds the family arrays and the parameters, and runs the compiled monthly rules.

    Attributes:
        W: tuple of family and child-slot arrays (layout in :mod:`kernel`).
        L: tuple of episode and journey log arrays.
        meta: counters (free rows, log lengths, early help families, next ids).
        P: scalar parameters; V: vector parameters (both refreshed monthly where
            levers move them).
    """

    def __init__(self, model: Host, capacity: int):
        self.model = model
        sc = model.scenario
        self.sc = sc
        #: The engine's random state: the run's key and its streams (:mod:`keyed`).
        self.rng = keyed.new_state(model.key)
        cap = max(int(capacity), 64)
        self.FI = _filled((cap, kn.N_FI), kn.FAMILY_COLUMNS, order="F")
        self.CI = _filled((cap, kn.K, kn.N_CI), kn.CHILD_COLUMNS)
        self.free = np.arange(cap - 1, -1, -1, dtype=np.int64)
        self.M = np.zeros(kn.N_M, dtype=np.int64)
        self.M[kn.M_NFREE] = cap
        self.M[kn.M_SPILL_FID] = kn.SPILL_FID
        self.M[kn.M_SPILL_CID] = kn.SPILL_CID
        #: Row of each family id (-1 once gone), and the month's requests for early help places.
        self.IDX = np.full(max(int(capacity), 64), -1, dtype=np.int32)
        self.M[kn.M_N_IDS] = self.IDX.size
        self.Q = np.zeros(cap, dtype=np.int64)
        #: Each row's four screening words for the current four-month block (kernel).
        self.U = np.zeros((4, cap), dtype=np.uint32)
        #: First family and child ids of the next month's blocks (set once the start is built).
        self._next_fid: int | None = None
        self._next_cid = 0
        self._last_target: float | None = None
        self.M[kn.M_LOGS] = int(sc.run.record_episodes)
        log_cap = 4096 if sc.run.record_episodes else 1
        self.LE = np.zeros((log_cap, len(kn.EPISODE_COLUMNS)), dtype=np.int32)
        self.LJ = np.zeros((log_cap * 4, len(kn.JOURNEY_COLUMNS)), dtype=np.int32)
        self._log_used: dict[str, int] = {}
        #: Full journey log chunks (the kernel appends to ``LJ``; a new chunk starts rather than
        #: copying when it runs short: journeys are never rewritten, unlike episodes).
        self._lj_done: list[np.ndarray] = []
        self.PV = np.zeros(kn.N_PV)
        #: The month-end tally (layout ``kernel.T_*``) and named views of it.
        self.tallies = np.zeros(kn.N_TALLY)
        self.cube = self.tallies[kn.T_CUBE : kn.T_CUBE + kn.N_CELLS]
        self.lac_dec = self.tallies[kn.T_LAC : kn.T_LAC + 10]
        self.uasc_lac_dec = self.tallies[kn.T_ULAC : kn.T_ULAC + 10]
        self.scratch = np.zeros(kn.N_SCRATCH)  # work room of the compiled month
        self.n_children = 0
        self.hidden = 0.0
        self.families_with_lac = 0
        self._build_parameters()
        # set each month by the model (levers may move them)
        self.uasc_multiplier = 1.0
        self.eh_places = np.inf
        self.caseload_capacity = np.inf
        self.caseload = 0.0

    @property
    def args(self) -> tuple:
        """The arrays every compiled rule takes, in order."""
        return (self.FI, self.CI, self.LE, self.LJ, self.M, self.free, self.PV, self.rng, self.IDX, self.Q)

    @property
    def lac_place(self) -> np.ndarray:
        """Children in care now, by placement type."""
        return self.M[kn.LP : kn.LS]

    def vec(self, name: str) -> np.ndarray:
        """A writable view of a vector parameter (see :data:`kernel.VECTOR_SIZES`)."""
        off = kn.VECTOR_OFFSETS[name]
        return self.PV[off : off + kn.VECTOR_SIZES[name]]

    # ------------------------------------------------------------------ parameters

    def _build_parameters(self) -> None:
        sc = self.sc
        need, cin, cp, fd, care, pop = (
            sc.need,
            sc.cin,
            sc.cp,
            sc.front_door,
            sc.care,
            sc.population,
        )
        steps = np.arange(10)[::-1].astype(float)
        raw = need.deprivation_ratio_per_decile**steps
        self.dep_mult = raw / np.dot(raw, pop.decile_shares)
        r = rules.base_rates(sc)  # the hazards' yearly rates by state and need (one table)
        self.base_rates = r
        place = np.vstack([np.asarray(care.placement_shares_by_age), care.uasc_placement_shares])
        vectors = {
            "eh_out": fd.early_help_outcome,
            "cin_out": fd.cin_outcome,
            "s47_out": fd.section47_outcome,
            "conf": fd.conference_given_s47,
            "emerg": fd.emergency_care_given_s47,
            "cp_end": cp.end_probability_at_review,
            "adv_cum": _cum(need.adverse_rates_per_year),
            "sel_w": care.selection_weights_by_age,
            "rh": care.return_home_share,
            "med": care.median_months,
            "place_cum": _cum(place).ravel(),
            "place_moves": care.placement_moves_per_year,
            "dep": self.dep_mult,
            "base": r.ravel(),
            "lever": np.ones(kn.VECTOR_SIZES["lever"]),
            "decile_cum": _cum(pop.decile_shares),
            "need_cum": _cum(need.initial_need_shares),
            "uasc_age_cum": _cum(pop.uasc_age_shares),
            "birth_removal": care.removal_at_birth_by_need,
            "birth_state": (1.0, 1.0, *care.removal_at_birth_plan_multiplier),
        }
        for name, values in vectors.items():
            self.vec(name)[:] = np.asarray(values, dtype=float).ravel()
        #: Multipliers by lever channel, group and effect (7 hazards, then re-referral); policies
        #: write rows here and put families in groups (``FamilyTable.lever``).
        self.lever_table = self.vec("lever").reshape(kn.LEVER_CHANNELS, kn.MAX_GROUPS, kn.N_LEVER_EFFECTS)
        P = self.PV
        P[kn.P_TWO_LEVEL] = need.two_level_jump_share
        P[kn.P_CH_RATE] = need.contextual_harm_per_teen_per_year
        P[kn.P_CLP_MULT] = need.care_leaver_parent_multiplier
        P[kn.P_PRIOR_ADV] = need.prior_involvement_multiplier
        P[kn.P_REREF_MULT] = fd.rereferral_multiplier
        P[kn.P_PRIOR_REF] = fd.prior_involvement_multiplier
        P[kn.P_ASSESSED] = fd.assessed_share
        P[kn.P_PLAN_GIVEN_CONF] = fd.plan_given_conference
        P[kn.P_CONF_ELAST] = fd.conference_practice_elasticity
        P[kn.P_CIN_AFTER_S47] = fd.cin_after_s47_share
        P[kn.P_CIN_STEPDOWN_EH] = cin.stepdown_to_early_help_share
        P[kn.P_CP_FIRST_REVIEW] = cp.first_review_months
        P[kn.P_CP_INTERVAL] = cp.review_interval_months
        P[kn.P_CP_FIRST_END] = cp.first_review_end_factor
        P[kn.P_CP_FIRST_LATE] = cp.first_review_late_share
        P[kn.P_BIRTH_REPEAT] = care.removal_at_birth_repeat_multiplier
        P[kn.P_BIRTH_LATER] = care.removal_after_birth_ratio
        P[kn.P_LATER_PATH] = 1.0  # the year's value is set each month (model.step)
        P[kn.P_BIRTH_PATH] = 1.0  # the year's value is set each month (model.step)
        P[kn.P_OTHER_EXIT] = care.other_exit_share
        P[kn.P_OTHER_MEDIAN] = care.other_exit_median_months
        P[kn.P_UASC_MEDIAN] = care.uasc_other_exit_median_months
        P[kn.P_OTHER_MIN_AGE] = 12.0 * care.other_exit_min_age_years
        P[kn.P_UASC_OTHER] = care.uasc_other_exit_share
        P[kn.P_NEW_MOVE] = care.new_placement_move_factor
        P[kn.P_SETTLE] = 1.0 / care.placement_settling_months
        P[kn.P_PO_MONTHS] = care.placement_order_months
        P[kn.P_CP_STEPDOWN] = cp.stepdown_to_cin_share
        P[kn.P_STEPDOWN_S47] = sc.cin.stepdown_section47_multiplier
        P[kn.P_SIB_JOIN] = care.sibling_join_probability
        P[kn.P_ADOPT_U5] = care.adoption_share_under5
        P[kn.P_SGO] = care.special_guardianship_share
        P[kn.P_SIGMA] = care.duration_spread
        P[kn.P_ADOPT_SIGMA] = care.adoption_duration_spread
        P[kn.P_ADOPT_INFANT] = care.adoption_infant_factor
        P[kn.P_AFTER_RH_NEED] = care.after_return_home_need
        P[kn.P_S20_SHARE] = care.route_shares[0] / (care.route_shares[0] + care.route_shares[1])
        P[kn.P_EXISTING_BIRTH_SHARE] = pop.births_to_existing_families
        P[kn.P_CLP_SHARE] = pop.care_leaver_parent_share
        P[kn.P_INFANT_ORDER] = care.infant_care_order_share
        P[kn.P_MOVE_P] = monthly(pop.move_rate_per_year)
        P[kn.P_PRESSURE] = 1.0
        P[kn.P_EH_PLACES] = 1e18
        P[kn.P_S47_PATH] = 1.0  # the year's section 47 practice: set each month by the model
        self.set_risk_index(sc.risk_aversion.index)

    def set_risk_index(self, index: float) -> None:
        """Apply a risk-aversion index to referrals, s47 enquiries and entries to care."""
        ra = self.sc.risk_aversion
        self.risk_index = float(index)
        self.PV[kn.P_RA_REF] = self.risk_index**ra.referral_elasticity
        self.PV[kn.P_RA_S47] = self.risk_index**ra.section47_elasticity
        self.PV[kn.P_RA_CARE] = self.risk_index**ra.care_elasticity

    def pressure_factor(self) -> float:
        """Threshold multiplier (<= 1) on opening CIN plans and conferences when over capacity."""
        over = max(0.0, self.caseload / self.caseload_capacity - 1.0)
        return 1.0 / (1.0 + self.sc.workforce.threshold_elasticity * over)

    def _code_rates(self, lever_max: np.ndarray, ra: tuple[float, float, float]) -> np.ndarray:
        """Upper bounds on each code's annual hazard rates (codes x hazards).

        ``lever_max`` is each hazard's largest lever multiplier and ``ra`` the risk-aversion
        multipliers on referrals, enquiries and care entries; the family's own attributes (state,
        need, decile, history) come from the code, and teenagers at the most a family can have.
        """
        sc, P = self.sc, self.PV
        codes = np.arange(kn.N_CODES)
        cell, bits = codes // 8, codes % 8
        st, nd, dc = cell // 40, (cell // 10) % 4, cell % 10
        prior, clp, recent = bits & 1, bits & 2, bits & 4
        r = self.base_rates[st, nd].copy()
        dep = self.dep_mult[dc]
        adverse = np.where(clp, sc.need.care_leaver_parent_multiplier, 1.0) * np.where(
            prior, sc.need.prior_involvement_multiplier, 1.0
        )
        r[:, kn.ADVERSE] = (r[:, kn.ADVERSE] * adverse + P[kn.P_CH_RATE] * kn.K) * dep * (nd < 3)
        r[:, kn.REFER] *= (
            ra[0] * np.where(recent, P[kn.P_REREF_MULT], 1.0) * np.where(prior, P[kn.P_PRIOR_REF], 1.0)
        )
        r[:, kn.S47] *= ra[1] * P[kn.P_S47_PATH]  # kernel.s47_multiplier
        # kernel.exact_rates: a CIN family stepped down from a plan in the last 12 months
        r[:, kn.S47] *= np.where((recent > 0) & (st == kn.CIN), P[kn.P_STEPDOWN_S47], 1.0)
        r[:, kn.CARE] *= ra[2]
        return r * lever_max[None, :]

    def _slot_layout(self) -> None:
        """Each hazard's fixed slot of the family's monthly uniform, by layout (set once).

        A layout is (highest need or not, decile, earlier involvement, care-leaver parent): what
        a family is, not what services are doing with it, and the same for needs 0 to 2 so that a
        lever that slows the growth of need leaves the slots where they were. Within a layout
        hazard ``e`` owns the slot ``[start_e, start_e + width_e)`` of the monthly uniform, its
        width the most that hazard's monthly probability can be in any service state and need of
        the layout with no lever and a risk index of 1. (Highest need has layouts of its own: its
        referral chance alone would not fit beside the others. So has a CIN family stepped down
        from a plan in the last 12 months: its enquiries, ``cin.stepdown_section47_multiplier``
        times the others', would otherwise widen every family's enquiry slot until a lever on any
        hazard pushed the codes past the room left, packing them for every family of the code,
        levers or not, and unpairing families no lever touches; its flag is cleared when due,
        ``kernel.process_due``.)
        The layout depends only on what the family is and its own path (a step-down's recency),
        so a baseline and a scenario give a family no lever touches the same slots: a lever that
        lowers one hazard removes only events of that hazard (the uniform falls in its slot's
        freed end), and one that raises a hazard above its width adds events in an overflow
        region above the slots where the other run has none.
        """
        pf = monthly(self._code_rates(np.ones(N_EVENTS), (1.0, 1.0, 1.0)))
        codes = np.arange(kn.N_CODES)
        cell, bits = codes // 8, codes % 8
        layout = (((cell // 10) % 4 == 3) * 10 + cell % 10) * 4 + (bits & 3)
        stepped = (cell // 40 == kn.CIN) & (bits & 4 > 0)  # a recent step-down: slots of its own
        layout = layout + stepped * (kn.N_LAYOUTS // 2)
        width = np.zeros((kn.N_LAYOUTS, N_EVENTS))
        np.maximum.at(width, layout, pf)
        slot = self.vec("slot").reshape(kn.N_LAYOUTS, N_EVENTS + 1)
        slot[:, 1:] = np.cumsum(width, axis=1)
        slot[:, 0] = 0.0
        lay = self.vec("layout")
        lay[: kn.N_CODES] = layout
        lay[kn.N_CODES] = 0
        self._layout_of_code = layout
        self._slot_width = width

    def refresh_bound(self) -> None:
        """Each code's per-hazard bounds and the highest uniform that can give it an event.

        Stage one of the month's draw: a family whose uniform is at or above its code's reach
        (``bound``) has no event and costs nothing more; one below it is checked against the
        active part of the slot its uniform falls in (``hbound``), and only then are its exact
        rates worked out.
        """
        P = self.PV
        # levers and the risk index change rarely: skip the work when nothing it reads has moved
        key = (
            P[kn.P_RA_REF],
            P[kn.P_RA_S47],
            P[kn.P_S47_PATH],
            P[kn.P_RA_CARE],
            P[kn.P_MOVE_P],
            self.lever_table.tobytes(),
        )
        if key == getattr(self, "_bound_key", None):
            return
        if not hasattr(self, "_slot_width"):
            self._slot_layout()
        lever_max = self.lever_table.max(axis=1).prod(axis=0)
        lever_max = lever_max[:N_EVENTS] * np.r_[np.ones(2), max(1.0, lever_max[kn.REREFERRAL]), np.ones(4)]
        hb = monthly(self._code_rates(lever_max, (P[kn.P_RA_REF], P[kn.P_RA_S47], P[kn.P_RA_CARE])))
        width = self._slot_width[self._layout_of_code]
        starts = self.vec("slot").reshape(kn.N_LAYOUTS, N_EVENTS + 1)[self._layout_of_code]
        top = starts[:, -1]
        overflow = np.maximum(hb - width, 0.0).sum(axis=1)
        inside = np.where(hb > 0, starts[:, :-1] + np.minimum(hb, width), 0.0).max(axis=1)
        reach = np.where(overflow > 0, top + overflow, inside)
        # where levers push a code's hazards past the room left by the slots (extreme risk
        # indices), its hazards are packed from 0 instead (exact, but not slot-coupled), and
        # the month's chance of an event stops short of moving away, as it always has
        cap = 1.0 - P[kn.P_MOVE_P]
        packed = reach > cap
        reach = np.where(packed, np.minimum(hb.sum(axis=1), cap), reach)
        lay = self.vec("layout")
        lay[: kn.N_CODES] = np.where(packed, -1, self._layout_of_code)
        self.vec("hbound")[: kn.N_CODES * N_EVENTS] = hb.ravel()
        self.vec("hbound")[kn.N_CODES * N_EVENTS :] = 0.0
        bound = self.vec("bound")
        bound[: kn.N_CODES] = reach
        bound[kn.N_CODES] = 0.0
        self._sieve(starts, hb, top, reach, packed)
        self._bound_key = key  # last: a failure above leaves the next month to try again

    def _sieve(self, starts, hb, top, reach, packed) -> None:
        """Each code's sieve (``kernel.sieve_passes``): the bins of ``[0, bound)`` that can hold an event.

        A bin is marked when it touches, with a margin of 1e-9, the active part of a slot
        (``[start_e, start_e + hbound_e)``) or the overflow region ``[top, bound)``; every bin of a
        packed code is. Marking too much costs a walk over the slots; too little would lose
        events, which the margin rules out.
        """
        n, eps = kn.SIEVE_BINS, 1e-9
        scale = np.where(reach > 0, n / np.where(reach > 0, reach, 1.0), 0.0)
        lo = np.concatenate([starts[:, :-1], top[:, None]], axis=1)
        hi = np.concatenate([starts[:, :-1] + hb, reach[:, None]], axis=1)
        live = np.concatenate([hb > 0, (reach > top)[:, None]], axis=1)
        b_lo = np.clip(np.floor((lo - eps) * scale[:, None]), 0, n - 1).astype(np.int64)
        b_hi = np.clip(np.floor((hi + eps) * scale[:, None]), 0, n - 1).astype(np.int64)
        bits = ((np.int64(1) << (b_hi + 1)) - 1) ^ ((np.int64(1) << b_lo) - 1)
        mask = np.bitwise_or.reduce(np.where(live, bits, 0), axis=1)
        mask = np.where(packed, (np.int64(1) << n) - 1, mask)
        self.vec("sieve")[: kn.N_CODES] = mask.astype(np.float64)
        self.vec("sieve")[kn.N_CODES] = 0.0
        self.vec("sieve_scale")[: kn.N_CODES] = scale
        self.vec("sieve_scale")[kn.N_CODES] = 0.0

    # ------------------------------------------------------------------ storage

    @property
    def capacity(self) -> int:
        """Rows in the family table (in use or free)."""
        return self.FI.shape[0]

    def ensure_capacity(self, new_rows: int) -> None:
        """Grow the family table and the logs so this month cannot run out of room."""
        n_free = int(self.M[kn.M_NFREE])
        if n_free < new_rows:
            old = self.capacity
            new = max(2 * old, old + new_rows)
            fi = _filled((new, kn.N_FI), kn.FAMILY_COLUMNS, order="F")
            fi[:old] = self.FI
            ci = _filled((new, kn.K, kn.N_CI), kn.CHILD_COLUMNS)
            ci[:old] = self.CI
            self.FI, self.CI = fi, ci
            free = np.empty(new, dtype=np.int64)
            free[: new - old] = np.arange(new - 1, old - 1, -1)
            free[new - old : new - old + n_free] = self.free[:n_free]
            self.free = free
            self.M[kn.M_NFREE] = n_free + new - old
            self.Q = np.zeros(new, dtype=np.int64)
            u = np.zeros((4, new), dtype=np.uint32)
            u[:, :old] = self.U
            self.U = u
            if self._next_fid is None and self.IDX.size < 2 * new:  # set-up: ids follow the rows
                idx = np.full(2 * new, -1, dtype=np.int32)
                idx[: self.IDX.size] = self.IDX
                self.IDX = idx
                self.M[kn.M_N_IDS] = idx.size
        if self.M[kn.M_LOGS]:
            # room for several months like the last one (events per month vary little; a month
            # that still runs out stops with an error rather than losing entries)
            for name, used in (("LE", kn.M_NEP), ("LJ", kn.M_NJ)):
                log = getattr(self, name)
                n = int(self.M[used])
                last = min(self._log_used.get(name, n), n)  # a new journey chunk restarts at 0
                self._log_used[name] = n
                room = max(8192, 6 * (n - last), new_rows // 2)
                if n + room > log.shape[0]:
                    grown = np.zeros((max(2 * log.shape[0], n + room), log.shape[1]), dtype=log.dtype)
                    if name == "LJ":
                        self._lj_done.append(log[:n])
                        self.M[used] = 0
                        self._log_used[name] = 0
                    else:
                        grown[:n] = log[:n]
                    setattr(self, name, grown)

    # ------------------------------------------------------------------ the month

    def step(self, t: int, target_children: float) -> None:
        """Run month ``t`` for every family, then tally the stocks."""
        self.M[kn.FL : kn.LP] = 0
        P = self.PV
        P[kn.P_PRESSURE] = self.pressure_factor()
        P[kn.P_EH_PLACES] = self.eh_places
        pop = self.sc.population
        P[kn.P_UASC_LAMBDA] = pop.uasc_starts_per_10k * self.uasc_multiplier * target_children / 10_000 / 12
        # moving: each family free to move (children at home, none in care) moves away with chance
        # ``P_MOVE_P`` by its own draw; as many arrive on average, their number the area's draw
        P[kn.P_ARRIVALS] = P[kn.P_MOVE_P] * float(self.tallies[kn.T_MOVERS])
        self._identity_blocks(target_children)
        births = max(0.0, target_children - self.n_children) + self.n_children / kn.AGE_18
        self.ensure_capacity(
            int(births * 1.5) + int(P[kn.P_ARRIVALS] * 2) + 64 + int(P[kn.P_UASC_LAMBDA] * 4) + 16
        )
        self.refresh_bound()
        n, hidden, with_lac = kn.step_month(
            *self.args, t, float(target_children), self.tallies, self.scratch, self.U
        )
        if self.M[kn.M_OVERFLOW]:
            raise RuntimeError("internal: family table or log ran out of room in a month")
        self.n_children, self.hidden, self.families_with_lac = int(n), float(hidden), int(with_lac)

    def _identity_blocks(self, target: float) -> None:
        """Reserve this month's ids for births, families moving in and unaccompanied children.

        The blocks are sized from the population path only (never from what levers did), so the j-th
        arrival of a month has the same id in every run with the same demography. A month with
        more arrivals than its block takes spill ids (unique, not shared: ``spilled_ids``).
        """
        M = self.M
        if self._next_fid is None:  # the first month: ids so far are the start's, in order
            self._next_fid, self._next_cid = int(M[kn.M_NEXT_FID]), int(M[kn.M_NEXT_CID])
            self._start_families, self._start_target = int(M[kn.M_NEXT_FID]), max(target, 1.0)
            self._last_target = target
        pop = self.sc.population
        # Block sizes are bookkeeping, not model parameters: the expected numbers (births: 18th
        # birthdays, growth, and 5e-4 of children a month for adoptions, guardianship and moves,
        # an assumption) with a margin of 20% + 4 SD + 8. A month over its block takes spill ids,
        # which change no result, only whether those arrivals are paired across runs.
        e_births = target / kn.AGE_18 + max(0.0, target - self._last_target) + 5e-4 * target
        e_arrive = self.PV[kn.P_MOVE_P] * self._start_families * target / self._start_target
        e_uasc = pop.uasc_starts_per_10k * target / 10_000 / 12
        self._last_target = target
        e_new = e_births * (1.0 - pop.births_to_existing_families)  # births that start a family
        nb, nbf, na, nu = (
            math.ceil(1.2 * e + 4.0 * math.sqrt(e) + 8) for e in (e_births, e_new, e_arrive, e_uasc)
        )
        f, c = self._next_fid, self._next_cid
        M[kn.M_BIRTH_FID], M[kn.M_ARRIVE_FID], M[kn.M_UASC_FID] = f, f + nbf, f + nbf + na
        M[kn.M_BIRTH_CID], M[kn.M_ARRIVE_CID], M[kn.M_UASC_CID] = c, c + nb, c + nb + na * kn.K
        M[kn.M_BIRTH_N], M[kn.M_BIRTH_FN], M[kn.M_ARRIVE_N], M[kn.M_UASC_N] = nb, nbf, na, nu
        self._next_fid, self._next_cid = f + nbf + na + nu, c + nb + na * kn.K + nu
        if self._next_fid >= kn.SPILL_FID or self._next_cid >= kn.SPILL_CID:
            raise RuntimeError("internal: the run needs more family or child ids than the engine holds")
        if self._next_fid > self.IDX.size:
            grown = np.full(max(2 * self.IDX.size, self._next_fid), -1, dtype=np.int32)
            grown[: self.IDX.size] = self.IDX
            self.IDX = grown
        M[kn.M_N_IDS] = self._next_fid

    @property
    def spilled_ids(self) -> int:
        """Arrivals so far whose family ids came from the spill (beyond their month's block)."""
        return int(self.M[kn.M_SPILL_FID] - kn.SPILL_FID)

    def tally(self, t: int) -> None:
        """Refresh stocks (children at home by code, families, care by decile)."""
        n, hidden, with_lac = kn.tally(*self.args, self.tallies, t)
        self.n_children, self.hidden, self.families_with_lac = int(n), float(hidden), int(with_lac)

    def stocks(self) -> np.ndarray:
        """Children by State (UNIVERSAL..LAC) now, from the last tally."""
        out = np.empty(kn.N_AT_HOME + 1)
        self.cube.reshape(kn.N_AT_HOME, -1).sum(axis=1, out=out[: kn.N_AT_HOME])
        out[kn.N_AT_HOME] = self.lac_place.sum()
        return out

    @property
    def n_eh_families(self) -> int:
        """Families receiving early help now."""
        return int(self.M[kn.M_NEH])

    @property
    def keep_logs(self) -> bool:
        """Whether episode and journey logs are kept."""
        return bool(self.M[kn.M_LOGS])

    def episodes(self) -> dict[str, np.ndarray]:
        """The episode log so far, as columns (``end_month`` -1 while open)."""
        n = int(self.M[kn.M_NEP])
        return {k: self.LE[:n, i] for i, k in enumerate(kn.EPISODE_COLUMNS)}

    def journeys(self) -> dict[str, np.ndarray]:
        """The family journey log so far, as columns."""
        n = int(self.M[kn.M_NJ])
        log = np.concatenate([*self._lj_done, self.LJ[:n]]) if self._lj_done else self.LJ[:n]
        return {k: log[:, i] for i, k in enumerate(kn.JOURNEY_COLUMNS)}
