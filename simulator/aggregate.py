"""An aggregate expected-value view of the same model: a stock-flow (Markov) computation.

The agent-based model (:class:`simulator.model.CSCModel`) draws each family's month
at random. This module computes the *expected* month instead, from the same
parameters, packed by the same code (:class:`simulator.agents.services.Services`
builds the base rate table ``[state, need, event]``, the deprivation multipliers
and the scalar parameters; this module reads them). Heterogeneity is kept as
groups rather than individuals:

- families at home by service state (universal, early help, CIN, CP) x latent need (0-3) x
  deprivation group (two adjacent deciles; ``DECILES_PER_GROUP``) x history (no earlier
  involvement; earlier involvement; earlier involvement and a child in care now, whom the engine
  never moves away) x a clock x composition: children at home (1-6) and the oldest's age band
  (under 12, 12-17). The clock is, for universal/early help/CIN families, the months since the
  case last closed (re-referral within 12 months is likelier) and, for CP families, the months to
  the next review conference (plans end at reviews);
- children in care as cohorts by entry month, age band at entry, legal route and deprivation
  group, each with its planned exit (return home, adoption, special guardianship, turning 18)
  drawn from the same log-normal durations as the agent-based model, in expectation.

The monthly order is the kernel's: scheduled events (care exits, 18th birthdays,
plan reviews), then competing hazards (adverse events, recovery, referral,
identification for early help, closure, section 47 escalation, entry to care)
through the front door, then families moving, unaccompanied asylum-seeking
children arriving, and births that keep the child population on its path.
Capacity feedbacks (early help places, social work caseload pressure) and the
risk-aversion index act as in the agent-based model, with their mean-field values.

Levers on chosen families are held as shares of each group, whose chances of each event are
mixed over the families in and out of them (:func:`_lever_mix`): prevention spend (the early help
places it buys, and the families its universal part reaches, chosen each month as the policy
chooses them: high need first, then the most deprived; :func:`_prevention_reach`) and community
hubs (each catchment's families in its decile's group, topped up yearly and losing the families
that leave; its effect as trust builds; :func:`_hub_members`). A family in a lever is taken as
any family of its group: the agent-based model keeps a hub's families for years, and they come to
differ from their neighbours. The risk-aversion index path and shocks, the change to the existing
early help budget and the UASC path are in the view too. Troubled Families (families enrolled and followed
for months after) is not; ``meta["levers_not_modelled"]`` lists it when a scenario switches it on.

Families' life courses follow the engine's demography: a separate table holds families as chains
of their children's ages (for each number of children, the joint ages of each pair of
next-in-age siblings, by birth month), built from the start's family walk and moved on by births
and 18th birthdays exactly as the engine does, taking a child's younger siblings as independent of
its older ones given its age (exact for births that arrive at random; the number of families
and 18th birthdays then agree with a simulation of the engine's demography within 0.1-0.3%).
Each month it gives every composition's chance of losing its oldest to an 18th birthday (and
the band of the next oldest), of its oldest turning 12, and its expected teenagers (contextual
harm). Keeping the oldest's band in the groups keeps the link between a family's history
(earlier involvement, need raised by teenagers' contextual harm) and its leaving: older
families leave sooner (without it the aggregate kept 1-2% more high-need, previously known
families after 10-20 years).

Families with a child in care are followed as the engine's ``migration`` needs them (none of them
moves away): those with children at home by their history, those with no one at home as a count.
A family stops having a child in care when the last of the children who came into care together
leaves (their exits independent draws, as the kernel draws each child's plan).

Approximations (the agent-based model is the reference): a deprivation group's two deciles share
one multiplier of adverse events (their mean); within a composition a family's ages are
independent of its service history; children's ages are uniform over 0-17 for which child enters
care (and a child entering care leaves the family's band as it was); the care-leaver-parent flag
is folded into an average multiplier; a child returning home to brothers and sisters rejoins a
family with a child in care in the service state its own family would have reached meanwhile
(:func:`_family_path`, with the first month's rates), not its own family; a family's later entries to
care do not lengthen its time with a child in care.
Not in this view (NaN in its tables, ``NOT_COMPUTED_ANNUAL``): re-referrals within 12 months of
a family's last referral (its clock counts the months since a case closed) and hidden high need.
``tests/test_aggregate.py`` asserts how close the two views are.

Example:
    >>> from simulator.aggregate import run_aggregate
    >>> agg = run_aggregate(Scenario())
    >>> agg.annual[["year", "cin_31_march", "cp_31_march", "lac_31_march"]]
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from simulator.agents import kernel as kn
from simulator.agents.services import Services
from simulator.model import thin_probabilities
from simulator.policies.community_hubs import hub_deciles
from simulator.policies.community_hubs import trust as hub_trust
from simulator.recording import COUNTERS
from simulator.results import annual_from_monthly
from simulator.schema import Scenario, month_index, series_values
from simulator.states import (
    ADULT_AGE,
    AGE_BAND_EDGES,
    AGE_BANDS,
    HIGH_NEED,
    RECENT_CLOSURE,
    TEEN_AGE,
    Placement,
    State,
)

kn.guard_dependent_cache(__file__)  # compiled code below reads the kernel's layout constants

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
# the band of each age (months)
J_OF_AGE = np.searchsorted(np.asarray(J_EDGES), np.arange(ADULT_AGE + 1), side="right")
RECENT_STAGES = 3  # _family_path: stages of a recent closure, W_OLD months in all on average (the
# view's approximation of the kernel's exact 12 months, not a model parameter)
N_BANDS = len(AGE_BANDS)  # <1, 1-4, 5-9, 10-15, 16-17
BAND_EDGES = np.array(AGE_BAND_EDGES)
BAND_SHARE = np.diff(BAND_EDGES) / ADULT_AGE  # children's ages uniform over 0-17
BAND_PROW = np.array([0, 0, 1, 2, 3])  # placement-share row by age band at entry
N_REASONS = 4  # returned home, adopted, special guardianship, turned 18
RH, AD, SG, T18 = range(4)
HORIZON = ADULT_AGE + 1  # months ahead an exit can be planned (an infant stays at most 216)
# indices in the monthly counter vector (order of simulator.recording.COUNTERS)
_C = {name: i for i, name in enumerate(COUNTERS)}


# -- exit plans in expectation ---------------------------------------------------------------


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    v = np.vectorize(lambda z: 0.5 * (1.0 + erf(z / sqrt(2.0))))
    return v(x)


def duration_pmf(median: float, sigma: float, n: int) -> np.ndarray:
    """P(months = d) for d = 0..n-1 of ``max(1, round(median * exp(sigma * Z)))``.

    The last entry holds the tail (d >= n-1).
    """
    edges = np.log(np.maximum(np.arange(n) + 0.5, 1e-300)) - math.log(median)
    cdf = _norm_cdf(edges / sigma)
    pmf = np.zeros(n)
    pmf[1] = cdf[1]  # rounds to 0 or 1 -> 1
    pmf[2 : n - 1] = np.diff(cdf[1 : n - 1])
    pmf[n - 1] = 1.0 - cdf[n - 2]
    return pmf


def plan_probabilities(PV: np.ndarray, age: np.ndarray, route: int) -> np.ndarray:
    """Share of plans by kind for entrants aged ``age`` months (kernel ``plan_exit``).

    Returns an array (ages, 6): return home (short), return home (order),
    adoption, special guardianship, long-run return/SGO (under 10), stay to 18. As in the
    kernel, under 5 adoption comes before a return home (``p_rh <= 1 - p_ad``), and the
    kinds are drawn in order from one uniform number, so shares past 1 are cut.
    """
    age = np.asarray(age)
    out = np.zeros((age.size, 6))
    p_ad = np.where(age < 60, PV[kn.P_ADOPT_U5], 0.0)
    rh = PV[kn.V_RH + min(route, 2)]
    p_rh = np.where(age < 60, np.minimum(rh, 1.0 - p_ad), rh)
    c1 = np.clip(p_rh, 0.0, 1.0)
    c2 = np.clip(p_rh + p_ad, 0.0, 1.0)
    c3 = np.clip(p_rh + p_ad + PV[kn.P_SGO], 0.0, 1.0)
    out[:, 1 if route == kn.RT_ORDER else 0] = c1
    out[:, 2] = c2 - c1
    out[:, 3] = c3 - c2
    rest = 1.0 - c3
    out[:, 4] = np.where(age < 120, rest, 0.0)
    out[:, 5] = np.where(age < 120, 0.0, rest)
    return out


#: plan kind -> (median index in care.median_months, exit reason); kind 4 splits RH/SGO 50/50
_PLAN_MEDIAN = (0, 1, 2, 3, 4)


def _plan_pmfs(PV: np.ndarray, n: int) -> np.ndarray:
    sigma = PV[kn.P_SIGMA]
    return np.array([duration_pmf(PV[kn.V_MED + _PLAN_MEDIAN[k]], sigma, n) for k in range(5)])


_INFANT_ORDER = getattr(kn, "P_INFANT_ORDER", None)


def _care_key(PV: np.ndarray) -> tuple[float, ...]:
    """The parameters the exit plans depend on (a cache key)."""
    infant = PV[_INFANT_ORDER] if _INFANT_ORDER is not None else 0.0
    return (
        *PV[kn.V_RH : kn.V_RH + 3],
        *PV[kn.V_MED : kn.V_MED + 5],
        PV[kn.P_ADOPT_U5],
        PV[kn.P_SGO],
        PV[kn.P_SIGMA],
        infant,
    )


def _infant_orders(K: np.ndarray, share: float) -> np.ndarray:
    """Infants (under 1) entering other than in an emergency are mostly under care orders.

    Kernel ``admit``: a voluntary (s20) entry under age 1 becomes a care order with
    probability ``care.infant_care_order_share``, so its exit plan is a care order's.
    """
    K = K.copy()
    K[:12, 0] = (1.0 - share) * K[:12, 0] + share * K[:12, 1]
    return K


@functools.lru_cache(maxsize=256)
def _entry_kernel(key: tuple[float, ...]) -> np.ndarray:
    """Band-averaged exits of new entries (:func:`exit_kernel`) for a :func:`_care_key`."""
    return band_average(_infant_orders(exit_kernel(_key_pv(key)), key[11]))


@functools.lru_cache(maxsize=32)
def _start_kernel(key: tuple[float, ...]) -> np.ndarray:
    """Band-averaged exits of the starting stock (:func:`initial_exit_kernel`) for a :func:`_care_key`."""
    return band_average(_infant_orders(initial_exit_kernel(_key_pv(key)), key[11]))


def _kernels(key: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Both: exits of new entries and of the starting stock (used by ``simulator.calibrate``)."""
    return _entry_kernel(key), _start_kernel(key)


def _key_pv(key: tuple[float, ...]) -> np.ndarray:
    PV = np.zeros(kn.N_PV)
    PV[kn.V_RH : kn.V_RH + 3] = key[0:3]
    PV[kn.V_MED : kn.V_MED + 5] = key[3:8]
    PV[kn.P_ADOPT_U5], PV[kn.P_SGO], PV[kn.P_SIGMA] = key[8:11]
    return PV


def exit_kernel(PV: np.ndarray) -> np.ndarray:
    """Planned exits of a care entry: ``K[age_month, route, offset, reason]`` (routes s20, order, emergency).

    ``offset`` is months from entry to the exit (1..216); a plan that would run past
    the 18th birthday ends then, as turning 18.
    """
    ages = np.arange(216)
    pmfs = _plan_pmfs(PV, HORIZON + 1)  # (5, 218)
    K = np.zeros((216, 3, HORIZON, N_REASONS))
    for route in range(3):
        plans = plan_probabilities(PV, ages, route)
        for a in range(216):
            left = 216 - a  # months to the 18th birthday
            for kind in range(5):
                p = plans[a, kind]
                if p <= 0:
                    continue
                pmf = pmfs[kind]
                before = pmf[:left] * p  # months < left: exits as planned
                if kind == 4:
                    K[a, route, :left, RH] += 0.5 * before
                    K[a, route, :left, SG] += 0.5 * before
                else:
                    K[a, route, :left, (RH, RH, AD, SG)[kind]] += before
                K[a, route, left, T18] += p * pmf[left:].sum()
            K[a, route, left, T18] += plans[a, 5]
    return K


def initial_exit_kernel(PV: np.ndarray) -> np.ndarray:
    """Remaining time of children already in care at the start: ``R[age, route, offset, reason]``.

    Mirrors the kernel's equilibrium start (``admit`` with ``elapsed``): a virtual entry
    ``e ~ U{0..min(age, 180)}`` months ago, kept only if its plan outlasts ``e`` (the
    kernel redraws both until it does).
    """
    n = 400
    pmfs = _plan_pmfs(PV, n)
    cums = np.concatenate([np.zeros((5, 1)), np.cumsum(pmfs, axis=1)], axis=1)  # cums[k, j] = P(d < j)
    R = np.zeros((216, 3, HORIZON, N_REASONS))
    for route in range(3):
        for A in range(216):
            E = min(A, 180)
            left = 216 - A
            x = np.arange(1, left)
            acc = np.zeros((HORIZON, N_REASONS))
            # entry age A - e decides the plan: constant over e in [lo, hi]
            cuts = sorted({0, E + 1, *[A - c + 1 for c in (60, 120) if 0 < A - c + 1 <= E]})
            for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):  # e in lo..hi-1
                plans = plan_probabilities(PV, np.array([A - lo]), route)[0]
                for kind in range(5):
                    p = plans[kind]
                    if p <= 0:
                        continue
                    c = cums[kind]
                    # sum over e of P(d = e + x) = P(d < hi + x) - P(d < lo + x)
                    planned = p * (c[np.minimum(hi + x, n)] - c[np.minimum(lo + x, n)])
                    tail = p * ((hi - lo) - (c[np.minimum(np.arange(lo, hi) + left, n)]).sum())
                    if kind == 4:
                        acc[1:left, RH] += 0.5 * planned
                        acc[1:left, SG] += 0.5 * planned
                    else:
                        acc[1:left, (RH, RH, AD, SG)[kind]] += planned
                    acc[left, T18] += tail
                acc[left, T18] += plans[5] * (hi - lo)
            tot = acc.sum()
            if tot > 0:
                R[A, route] = acc / tot
    return R


def band_average(K: np.ndarray) -> np.ndarray:
    """Average an age-by-month kernel over the ages in each band (ages uniform within a band)."""
    return np.stack([K[BAND_EDGES[b] : BAND_EDGES[b + 1]].mean(axis=0) for b in range(N_BANDS)])


@njit(cache=True)
def entrant_bands_by_composition(sel_w, p_old, p_oth):
    """Age bands of the index child and of siblings entering care, by composition.

    ``p_old[c]``, ``p_oth[c]``: age bands of a family's oldest child at home and of its other
    children (taken as independent). The index child is picked in proportion to the selection
    weights (kernel ``enter_care``). Returns ``(index[c, band], sibling[c, band])``.
    """
    idx = np.zeros((NC, N_BANDS))
    sib = np.zeros((NC, N_BANDS))
    bands = np.zeros(NH, np.int64)
    for c in range(NC):
        h = c % NH
        if h == 0:
            continue
        for code in range(N_BANDS**h):
            x = code
            wgt = 1.0
            tot_w = 0.0
            for i in range(h):
                bands[i] = x % N_BANDS
                x //= N_BANDS
                wgt *= p_old[c, bands[i]] if i == 0 else p_oth[c, bands[i]]
                tot_w += sel_w[bands[i]]
            if wgt <= 0.0 or tot_w <= 0.0:
                continue
            for i in range(h):
                idx[c, bands[i]] += wgt * sel_w[bands[i]] / tot_w
        if h > 1:
            for b in range(N_BANDS):
                sib[c, b] = (p_old[c, b] + (h - 1) * p_oth[c, b] - idx[c, b]) / (h - 1)
    return idx, sib


@njit(cache=True)
def _child_bands(P, R, Y, t, pair, p_old, p_oth):
    """Age bands of the oldest child at home and of the others, by composition, at month ``t``.

    From the demography's chains: the oldest's age within its band, then each next younger
    child's age given the one before (the pair tables). Writes ``p_old[c]`` and ``p_oth[c]``.
    """
    band_of = np.zeros(NA, np.int64)
    for a in range(NA):
        for b in range(N_BANDS):
            if a >= BAND_EDGES[b]:
                band_of[a] = b
    cur = np.zeros(NA)
    nxt = np.zeros(NA)
    p_old[:] = 0.0
    p_oth[:] = 0.0
    for h in range(1, NH):
        for j in range(NJ):
            c = j * NH + h
            lo = J_EDGES[j - 1] + 1 if j > 0 else 0
            hi = J_EDGES[j] if j < NJ - 1 else AGE_18 - 1
            cur[:] = 0.0
            tot = 0.0
            for a in range(lo, hi + 1):
                ia = (t - a) % NA
                x = Y[1, ia] if h == 1 else R[pair[h, 0], ia]
                cur[a] = x
                p_old[c, band_of[a]] += x
                tot += x
            if tot <= 0.0:
                p_old[c, N_BANDS - 1 if j == NJ - 1 else 0] = 1.0
                p_oth[c, 0] = 1.0
                continue
            p_old[c] /= tot
            for r in range(h - 1):
                k = pair[h, r]
                nxt[:] = 0.0
                for a in range(NA):
                    if cur[a] <= 0.0:
                        continue
                    ia = (t - a) % NA
                    m = R[k, ia]
                    if m <= 0.0:
                        continue
                    f = cur[a] / m
                    for g in range(a + 1):
                        x = P[k, ia, g]
                        if x > 0.0:
                            nxt[a - g] += x * f
                for a in range(AGE_18):
                    p_oth[c, band_of[a]] += nxt[a]
                cur[:] = nxt
            tot = p_oth[c].sum()
            if tot > 0.0:
                p_oth[c] /= tot
            else:
                p_oth[c, 0] = 1.0


# -- the compiled month ----------------------------------------------------------------------


@njit(cache=True)
def _comb(n, k):
    x = 1
    for i in range(k):
        x = x * (n - i) // (i + 1)
    return x


@njit(cache=True)
def care_tables(sib, idx_b, sib_b):
    """Expected children entering care when a family of h children at home has an entry.

    Kernel ``enter_care``: an index child, and each other child at home with chance ``sib``.
    ``idx_b[c]``, ``sib_b[c]``: age bands of the index child and of a sibling, by composition.
    Returns ``CT[c, :]``: P(k enter) for k = 0..6, then entrants by age band when the family
    is emptied (5) and when children stay at home (5), the expected entrants, and the expected
    children left at home.
    """
    CT = np.zeros((NC, CT_WIDTH))
    for c in range(NC):
        h = c % NH
        for k in range(1, h + 1):
            pk = _comb(h - 1, k - 1) * sib ** (k - 1) * (1.0 - sib) ** (h - k)
            CT[c, k] = pk
            bands = pk * (idx_b[c] + (k - 1) * sib_b[c])
            if k == h:
                CT[c, CT_EMPTY : CT_EMPTY + N_BANDS] += bands
            else:
                CT[c, CT_STAY : CT_STAY + N_BANDS] += bands
            CT[c, CT_KIDS] += pk * k
            CT[c, CT_REST] += pk * (h - k)
    return CT


CT_EMPTY = NH
CT_STAY = CT_EMPTY + N_BANDS
CT_KIDS = CT_STAY + N_BANDS
CT_REST = CT_KIDS + 1
CT_WIDTH = CT_REST + 1


@njit(cache=True)
def _expand_care(F2, ENT, AE, AH, CT, FAMS, FK):
    """Spread the care entries gathered by :func:`_month` (in place).

    ``AE[route, decile, need, origin, composition]``: families with a care entry, by origin (CP or
    not, plus 2 for a family that already has a child in care); ``AH[state, need, decile, clock,
    composition]``: the same families by the state they keep with children left at home.
    Entrants by age band go to ``ENT``; the families left at home, with fewer children and a
    child in care, to ``F2``. ``FAMS[decile]`` counts the families that had no child in care
    before: ``FAMS[0]`` those with none left at home, ``FAMS[1]`` those with children at home;
    ``FAMS[2]`` counts families that had a child in care and now have no one at home.
    ``FK[kind, k]``: the families of ``FAMS[0]`` (kind 0) and ``FAMS[1]`` (1) by children entering.
    """
    for route in range(3):
        for d in range(ND):
            for n in range(NN):
                for oi in range(4):
                    # origin of the family's path while the child is away: no service (all
                    # children in care), or the service of the siblings still at home (CIN or CP)
                    o = 2 if oi % 2 == 1 else 1
                    for c in range(NC):
                        x = AE[route, d, n, oi, c]
                        if x == 0.0:
                            continue
                        h = c % NH
                        emptied = x * CT[c, h]
                        if oi < 2:
                            FAMS[0, d] += emptied
                            FAMS[1, d] += x - emptied
                            FK[0, h] += emptied
                            for k in range(1, h):
                                FK[1, k] += x * CT[c, k]
                        else:
                            FAMS[2, d] += emptied
                        for b in range(N_BANDS):
                            ENT[b, route, d, n, 0] += x * CT[c, CT_EMPTY + b]
                            ENT[b, route, d, n, o] += x * CT[c, CT_STAY + b]
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for w in range(NW):
                    for c in range(NC):
                        x = AH[s, n, d, w, c]
                        if x == 0.0:
                            continue
                        for k in range(1, c % NH):
                            F2[s, n, d, P_LAC, w, c - k] += x * CT[c, k]


@njit(cache=True)
def _outcomes(PV, n):
    """Chances of the front door's and a section 47 enquiry's outcomes for need ``n``.

    Kernel ``front_door``: early help, CIN, section 47 (``tot``, their sum, scaled by ``sc`` to
    at most 1; the rest: no further action). Kernel ``section47``: an emergency entry to care,
    a conference (the rest: CIN or closed). Returns ``(p_eh, p_cin, p_s47, tot, sc, p_em, p_conf)``.
    """
    p_eh = PV[kn.V_EH_OUT + n]
    p_cin = PV[kn.V_CIN_OUT + n] * PV[kn.P_PRESSURE]
    p_s47 = PV[kn.V_S47_OUT + n] * PV[kn.P_RA_S47]
    tot = p_eh + p_cin + p_s47
    sc = 1.0 / tot if tot > 1.0 else 1.0
    p_em = min(PV[kn.V_EMERG + n] * PV[kn.P_RA_CARE], 1.0)
    p_conf = min(PV[kn.V_CONF + n] * PV[kn.P_PRESSURE], 1.0 - p_em)
    return p_eh, p_cin, p_s47, tot, sc, p_em, p_conf


@njit(cache=True, inline="always")
def _lever_mix(r0, r1, r2, r3, r4, r5, r6, recent, q, m_adv, m_id, hubs, d, hub_tot):
    """A group's chances of staying and of each event this month, mixed over the levers' families.

    The month is linear in these chances, so a group whose families differ in their rates gets
    the mix of each kind's. Kinds: in no hub (share ``1 - hub_tot``) or in hub i of group ``d``
    (``hubs[i, 1]``), each reached by universal prevention (share ``q``) or not, independently
    (the kernel multiplies a family's rates by each lever it is in). Rates are yearly, as in
    :func:`_month`; ``recent``: a case closed in the last 12 months (hubs lower re-referral).
    Returns ``(stay, u0, ..., u6)``.
    """
    st = a0 = a1 = a2 = a3 = a4 = a5 = a6 = 0.0
    for k in range(-1, hubs.shape[0]):
        if k < 0:
            wh, ha, hi, hr = 1.0 - hub_tot, 1.0, 1.0, 1.0
        elif int(hubs[k, 0]) != d or hubs[k, 1] <= 0.0:
            continue
        else:
            wh, ha, hi, hr = hubs[k, 1], hubs[k, 2], hubs[k, 3], hubs[k, 4]
        if wh <= 0.0:
            continue
        x2 = r2 * hr if recent else r2
        for j in range(2):
            w = wh * (q if j == 1 else 1.0 - q)
            if w <= 0.0:
                continue
            x0 = r0 * ha * (m_adv if j == 1 else 1.0)
            x3 = r3 * hi * (m_id if j == 1 else 1.0)
            tot = x0 + r1 + x2 + x3 + r4 + r5 + r6
            if tot <= 0.0:
                st += w
                continue
            p_any = 1.0 - math.exp(-tot / 12.0)
            sc = w * p_any / tot
            st += w * (1.0 - p_any)
            a0 += x0 * sc
            a1 += r1 * sc
            a2 += x2 * sc
            a3 += x3 * sc
            a4 += r4 * sc
            a5 += r5 * sc
            a6 += r6 * sc
    return st, a0, a1, a2, a3, a4, a5, a6


# Complexity (radon F45): one compiled pass over every group (state x need x deprivation x history x
# composition x recency), with the kernel's competing hazards and front-door outcomes inline; its
# two dozen array arguments are the view's state. It is split when that state becomes one
# structure and the view a package by concept (issue 18, open); until then a split would only
# pass the same arrays again. tests/test_regression.py pins its tables.
@njit(cache=True)
def _month(
    F,
    F2,
    OFR,
    OFX,
    offk,
    flows,
    cnt,
    ENT,
    PV,
    dep_g,
    CT,
    adv_mean,
    teens,
    AE,
    AH,
    FAMS,
    FK,
    reached,
    m_adv,
    m_id,
    hubs,
    hub_tot,
):
    """Hazards and the front door for every group (into ``F2``); early help offers held apart.

    The month is linear in the groups' families, and a group's outcomes depend on its clock only
    through a recent closure (and which clock an outcome lands on). So for each (state, need,
    decile, earlier involvement, composition) and recency (closed in the last 12 months or not)
    the shares are worked out once: those that keep the family's clock (staying, need one up, two
    up, one down, and on a CIN plan with earlier involvement) applied to each clock's families,
    the others (closures, new plans, care entries, counts) to all the group's families at once.
    Section 47 enquiries from the front door and from a CIN plan have the same outcomes, so they
    are taken together (kernel ``section47``); so are the routes into care (kernel
    ``enter_care``: an emergency from an enquiry, otherwise section 20 or a court order). Counts
    and flows are summed in local variables and written once.

    Early help offers wait for the month's places (:func:`_ration_early_help`), kept as shares of
    each group's families rather than spread over its clocks here: ``OFR[0, s, n, d, p, r, c]``
    offered early help (taken up: early help, same clock), ``OFR[1, ...]`` the same offers turned
    away (the family stays as it is; a universal family's offer from the front door likewise), by
    recency ``r`` as above (CP: all clocks in ``r`` 0). Offers made to whole groups:
    ``OFX[0, n, d, p, c]`` CP families offered early help (clock: none recent), ``OFX[1, ...]``
    CIN closures stepping down to early help, universal if turned away (clock 0).
    Levers on chosen families (:func:`_lever_mix`): universal prevention reaches ``reached[n, d]``
    of the universal and early help families of need n and group d (their adverse events times
    ``m_adv``, identification for early help times ``m_id``); community hub i holds
    ``hubs[i, 1]`` of group ``hubs[i, 0]``'s families (``hub_tot[d]`` in all), with its multipliers
    of adverse events, identification and re-referral in ``hubs[i, 2:5]``.
    Returns the families offered early help.
    """
    base = kn.V_BASE
    two = PV[kn.P_TWO_LEVEL]
    a_ref = PV[kn.P_ASSESSED]
    s20 = PV[kn.P_S20_SHARE]
    st_cin = PV[kn.P_CIN_STEPDOWN_EH]
    plan = PV[kn.P_PLAN_GIVEN_CONF]
    q_cin = PV[kn.P_CIN_AFTER_S47]
    w_first = int(PV[kn.P_CP_FIRST_REVIEW])
    prior_adv = PV[kn.P_PRIOR_ADV]
    ch_rate = PV[kn.P_CH_RATE]
    ra_ref, ra_s47, ra_care = PV[kn.P_RA_REF], PV[kn.P_RA_S47], PV[kn.P_RA_CARE]
    reref, prior_ref = PV[kn.P_REREF_MULT], PV[kn.P_PRIOR_REF]
    # counters (COUNTERS 0, 2-6): referrals, assessments, section 47 enquiries, conferences,
    # emergency removals, adverse events
    k0 = k2 = k3 = k4 = k5 = k6 = 0.0
    offers = 0.0
    for s in range(NS):
        f0 = f2 = f3 = f4 = 0.0  # flows from state s to universal, CIN, CP and care
        ok = 0.0  # children of the families offered early help
        for n in range(NN):
            p_eh, p_cin, p_s47, tot, sc, p_em, p_conf = _outcomes(PV, n)
            p_rest = 1.0 - p_em - p_conf
            # the state and need's yearly rates (kernel ``exact_rates``); adverse events and
            # referrals vary by group below
            i0 = base + (s * 4 + n) * 7
            r_adv = PV[i0] * adv_mean
            r1, r2_0, r3, r4 = PV[i0 + 1], PV[i0 + 2], PV[i0 + 3], PV[i0 + 4]
            r5, r6 = PV[i0 + 5] * ra_s47, PV[i0 + 6] * ra_care
            n_up1 = min(3, n + 1)
            n_up2 = min(3, n + 2)
            n_dn = n - 1 if n > 0 else NN - 1
            for d in range(ND):
                dep = dep_g[d]
                for p in range(NP):
                    pk = max(p, 1)
                    origin = (1 if s == CP else 0) + (2 if p == P_LAC else 0)
                    adv_p = r_adv * prior_adv if p >= 1 else r_adv
                    ref_p = ra_ref * prior_ref if p >= 1 else ra_ref
                    for c in range(NC):
                        h = c % NH
                        if h == 0:
                            continue
                        r0 = (adv_p + ch_rate * teens[c]) * dep if n < 3 else 0.0
                        for r in range(2 if s <= CIN else 1):  # CP: its clock is not a closure
                            # clocks with this recency: closed in the last 12 months (r 1) or not
                            w_lo = 0 if s == CP or r == 1 else W_OLD
                            w_hi = W_OLD if s <= CIN and r == 1 else NW
                            M = 0.0
                            for w in range(w_lo, w_hi):
                                x = F[s, n, d, p, w, c]
                                if x > 0.0:
                                    M += x
                            if M <= 0.0:
                                OFR[0, s, n, d, p, r, c] = 0.0
                                OFR[1, s, n, d, p, r, c] = 0.0
                                continue
                            Mh = M * h
                            r2 = r2_0 * (ref_p * reref if r == 1 else ref_p)
                            total = r0 + r1 + r2 + r3 + r4 + r5 + r6
                            if total <= 0.0:
                                stay = 1.0
                                scale = 0.0
                            else:
                                p_any = 1.0 - math.exp(-total / 12.0)
                                stay = 1.0 - p_any
                                scale = p_any / total  # chance of each event this month per rate
                            u0, u1, u2, u3 = r0 * scale, r1 * scale, r2 * scale, r3 * scale
                            u4, u5, u6 = r4 * scale, r5 * scale, r6 * scale
                            q = reached[n, d] if s <= EH else 0.0
                            if q > 0.0 or hub_tot[d] > 0.0:
                                stay, u0, u1, u2, u3, u4, u5, u6 = _lever_mix(
                                    r0, r1, r2, r3, r4, r5, r6, r == 1, q, m_adv, m_id, hubs, d, hub_tot[d]
                                )
                            # shares that keep the clock: stay, need up one, up two, down one, to CIN
                            c0 = stay
                            c1 = u0 * (1.0 - two)  # adverse event: need rises one or two levels
                            c2 = u0 * two
                            c3 = u1  # recovery
                            c4 = 0.0
                            k6 += u0 * M
                            a_off = 0.0  # offered early help (taken up: early help, same clock)
                            ob = 0.0  # offered early help, staying as it is if turned away
                            # referral (or escalation from early help): the front door
                            k0 += u2 * Mh
                            c0 += u2 * (1.0 - a_ref)
                            ua = u2 * a_ref
                            k2 += ua * Mh
                            uc = ua * p_cin * sc
                            f2 += uc * Mh
                            if s <= CIN:
                                c4 += uc
                            else:  # from a plan: months since closure are none recent
                                F2[CIN, n, d, pk, W_OLD, c] += uc * M
                            ue = ua * p_eh * sc
                            if s == U:
                                a_off += ue
                                ob += ue
                                ok += ue * Mh
                            else:
                                c0 += ue
                            c0 += ua * max(0.0, 1.0 - tot * sc)
                            # section 47 enquiries, from the front door and from a CIN plan
                            v = ua * p_s47 * sc + u5
                            k3 += v * Mh
                            u_em = v * p_em
                            k5 += u_em * M
                            u_conf = v * p_conf
                            k4 += u_conf * Mh
                            # plan: to CP with the first review due (a family on a plan keeps its
                            # review date); conference without a plan: CIN (unless already CP)
                            if s != CP:
                                f3 += u_conf * plan * Mh
                                F2[CP, n, d, pk, w_first, c] += u_conf * plan * M
                                if s != CIN:
                                    f2 += u_conf * (1.0 - plan) * Mh
                                c4 += u_conf * (1.0 - plan)
                            else:
                                c0 += u_conf
                            u_rest = v * p_rest
                            if s <= EH:
                                f2 += u_rest * q_cin * Mh
                                c4 += u_rest * q_cin
                                c0 += u_rest * (1.0 - q_cin)
                            else:
                                c0 += u_rest
                            # identified for early help directly
                            if s <= CIN:
                                a_off += u3
                            else:
                                OFX[0, n, d, p, c] += u3 * M
                                offers += u3 * M
                            ob += u3
                            ok += u3 * Mh
                            # case closes
                            if s == EH:
                                f0 += u4 * Mh
                                F2[U, n, d, p, 0, c] += u4 * M
                            elif s == CIN:
                                a_off += u4 * st_cin
                                OFX[1, n, d, p, c] += u4 * st_cin * M
                                ok += u4 * st_cin * Mh
                                f0 += u4 * (1.0 - st_cin) * Mh
                                F2[U, n, d, p, 0, c] += u4 * (1.0 - st_cin) * M
                            # a child enters care: in an emergency after an enquiry (a family not
                            # on a plan is then on a CIN plan), or by section 20 or a court order
                            e_all = u_em + u6
                            if e_all > 0.0:
                                AE[kn.RT_EMERGENCY, d, n, origin, c] += u_em * M
                                AE[kn.RT_S20, d, n, origin, c] += u6 * s20 * M
                                AE[kn.RT_ORDER, d, n, origin, c] += u6 * (1.0 - s20) * M
                                f4 += e_all * M * CT[c, CT_KIDS]
                            h_s = u6
                            h_2 = 0.0
                            if s <= EH:
                                f2 += u_em * M * CT[c, CT_REST]
                                h_2 = u_em
                            else:
                                h_s += u_em
                            OFR[0, s, n, d, p, r, c] = a_off
                            OFR[1, s, n, d, p, r, c] = ob
                            offers += a_off * M
                            # the shares that keep the clock, applied to each clock's families
                            for w in range(w_lo, w_hi):
                                x = F[s, n, d, p, w, c]
                                if x <= 0.0:
                                    continue
                                F2[s, n, d, p, w, c] += x * c0
                                if c1 != 0.0 or c2 != 0.0:
                                    F2[s, n_up1, d, p, w, c] += x * c1
                                    F2[s, n_up2, d, p, w, c] += x * c2
                                if c3 != 0.0:
                                    F2[s, n_dn, d, p, w, c] += x * c3
                                if c4 != 0.0:
                                    F2[CIN, n, d, pk, w, c] += x * c4
                                if h_s != 0.0:
                                    AH[s, n, d, w, c] += x * h_s
                                if h_2 != 0.0:
                                    AH[2, n, d, w, c] += x * h_2
        flows[s, U] += f0
        flows[s, CIN] += f2
        flows[s, CP] += f3
        flows[s, LAC] += f4
        offk[s] += ok
    cnt[kn.C_REFERRALS] += k0
    cnt[kn.C_ASSESS] += k2
    cnt[kn.C_S47] += k3
    cnt[kn.C_ICPC] += k4
    cnt[kn.C_EMERGENCY] += k5
    cnt[kn.C_ADVERSE] += k6
    _expand_care(F2, ENT, AE, AH, CT, FAMS, FK)
    return offers


# Complexity (radon D27): the scheduled events of the kernel (birthdays, plan reviews) over every
# group in one compiled pass, a branch per kind of due.
@njit(cache=True)
def _dues(F, flows, PV, Q, gone):
    """Birthdays (``Q[c, c']``: a family of composition c becomes c') and plan reviews (in place).

    Compositions (children at home, the oldest's band) change as the oldest turns 12 or 18;
    a family whose last child at home turns 18 leaves (``c'`` with no children); ``gone[decile]``
    counts those of them with a child in care.
    """
    out = F
    # the compositions each composition's families come from this month (few: Q is nearly the
    # identity), so each cell is written once, its sources summed in the order of c
    frm = np.zeros((NC, NC), np.int64)
    nfrm = np.zeros(NC, np.int64)
    left = np.zeros(NC)  # share of a composition's families that leave (no one left at home)
    lost = np.zeros(NC)  # children leaving home per family of a composition
    for c in range(NC):
        h = c % NH
        if h == 0:
            continue
        for c2 in range(NC):
            q = Q[c, c2]
            if q > 0.0:
                h2 = c2 % NH
                lost[c] += q * (h - h2)
                if h2 == 0:
                    left[c] += q
                else:
                    frm[c2, nfrm[c2]] = c
                    nfrm[c2] += 1
    row = np.zeros(NC)
    for s in range(NS):
        kids_out = 0.0
        for n in range(NN):
            for d in range(ND):
                for p in range(1 if s >= CIN else 0, NP):  # families on a plan have earlier involvement
                    for w in range(NW):
                        any_mass = False
                        for c in range(NC):
                            x = F[s, n, d, p, w, c]
                            if x > 0.0 and c % NH != 0:
                                row[c] = x
                                any_mass = True
                            else:
                                row[c] = 0.0
                        if not any_mass:
                            continue
                        for c2 in range(NC):
                            v = 0.0
                            for i in range(nfrm[c2]):
                                c = frm[c2, i]
                                v += row[c] * Q[c, c2]
                            F[s, n, d, p, w, c2] = v
                        for c in range(NC):
                            m = row[c]
                            if m > 0.0:
                                kids_out += m * lost[c]
                                if p == P_LAC:  # the family leaves (or stays only for a child in care)
                                    gone[d] += m * left[c]
        flows[s, OUT] += kids_out
    # protection plans reviewed this month
    interval = int(PV[kn.P_CP_INTERVAL])
    for n in range(NN):
        pe = PV[kn.V_CP_END + n]
        st = PV[kn.P_CP_STEPDOWN]
        for d in range(ND):
            for p in range(NP):
                for c in range(NC):
                    h = c % NH
                    m = out[CP, n, d, p, 0, c]
                    if h == 0 or m <= 0.0:
                        continue
                    out[CP, n, d, p, 0, c] = 0.0
                    out[CP, n, d, p, interval, c] += m * (1.0 - pe)
                    out[CIN, n, d, p, W_OLD, c] += m * pe * st
                    out[U, n, d, p, 0, c] += m * pe * (1.0 - st)
                    flows[CP, CIN] += m * pe * st * h
                    flows[CP, U] += m * pe * (1.0 - st) * h
    return out


@njit(cache=True)
def _return_home(F, back, after_rh, band1, flows):
    """Children returning home (``back[decile, need or state, origin]``) rejoin their families (in place).

    A child whose brothers and sisters all went into care (origin 0, by the family's need) comes
    back to a family with no one else at home: it opens as CIN (kernel ``care_exit``), its age
    band as a one-child family's (``band1``); the kernel books it from care to universal
    services, then to CIN. Otherwise (origins 1 and 2: siblings at home, by the state the family
    has reached meanwhile, :func:`_family_path`) the child joins a family in that state with
    children at home and a child in care (history ``P_LAC``; failing those, one with earlier
    involvement in that state; failing those, it opens as CIN), one more child at home, its need
    raised to at least ``after_rh``; a family in universal services or early help reopens as CIN
    (kernel ``care_exit``).
    """
    for d in range(ND):
        for n in range(NN):
            x = back[d, n, 0]
            if x <= 0.0:
                continue
            for j in range(NJ):
                F[CIN, max(n, after_rh), d, 1, W_OLD, j * NH + 1] += x * band1[j]
            flows[LAC, U] += x
            flows[U, CIN] += x
    left = np.zeros(NS)
    for d in range(ND):
        for s in range(NS - 1, -1, -1):  # CP first: a family reopened as CIN is not moved again
            want = back[d, s, 1] + back[d, s, 2]
            left[s] = want - _join(F, flows, d, P_LAC, s, want, after_rh) if want > 0.0 else 0.0
        rest = 0.0
        for s in range(NS - 1, -1, -1):  # failing those, families with earlier involvement
            if left[s] > 0.0:
                rest += left[s] - _join(F, flows, d, 1, s, left[s], after_rh)
        if rest > 0.0:  # and failing those, a family of its own
            F[CIN, after_rh, d, 1, W_OLD, 1] += rest
            flows[LAC, CIN] += rest


@njit(cache=True, inline="always")
def _join(F, flows, d, p, s, want, after_rh):
    """``want`` children join families of group d, history p and state s with room (in place).

    The same share of each such family gains one child at home, its need raised to at least
    ``after_rh``; universal and early help families reopen as CIN. Returns the children placed.
    """
    total = 0.0
    for n in range(NN):
        for w in range(NW):
            for c in range(NC):
                if 1 <= c % NH <= NH - 2:
                    total += F[s, n, d, p, w, c]
    if total <= 0.0:
        return 0.0
    frac = min(1.0, want / total)
    s2 = max(s, 2)
    for n in range(NN - 1, -1, -1):  # downwards: a family moved is not moved again
        n2 = max(n, after_rh)
        for w in range(NW):
            for c in range(NC - 1, -1, -1):
                if 1 <= c % NH <= NH - 2:
                    m = F[s, n, d, p, w, c] * frac
                    if m == 0.0:
                        continue
                    F[s, n, d, p, w, c] -= m
                    F[s2, n2, d, p, w, c + 1] += m
                    flows[LAC, s] += m
                    if s2 != s:
                        flows[s, CIN] += m * (c % NH + 1)
    return frac * total


@njit(cache=True)
def max_of_k(pmf, wk, out):
    """``out[x]``: P(the last of k children leaves at offset x), k weighted by ``wk[k]``.

    The children's exits are independent draws from ``pmf`` (normalised here), as the
    kernel draws each child's plan at entry. ``out`` is all zeros when nothing entered.
    """
    out[:] = 0.0
    tot = 0.0
    for x in range(pmf.shape[0]):
        tot += pmf[x]
    wt = 0.0
    for k in range(wk.shape[0]):
        wt += wk[k]
    if tot <= 0.0 or wt <= 0.0:
        return
    cdf = 0.0
    for x in range(pmf.shape[0]):
        prev = cdf
        cdf = min(1.0, cdf + pmf[x] / tot)
        for k in range(1, wk.shape[0]):
            if wk[k] > 0.0:
                out[x] += wk[k] / wt * (cdf**k - prev**k)


@njit(cache=True)
def _clear_flags(F, due, shells):
    """Families whose child has left care no longer have one (in place).

    ``due[0, decile]``: families that had no one left at home when the child entered care,
    taken from ``shells[0]``; ``due[1, decile]``: families that had children at home then, taken
    from those at home now (history ``P_LAC``, which move to history 1) and from ``shells[1]``,
    such families with no one at home now, in the same share.
    """
    for d in range(ND):
        if due[0, d] > 0.0 and shells[0, d] > 0.0:
            shells[0, d] *= 1.0 - min(1.0, due[0, d] / shells[0, d])
        if due[1, d] <= 0.0:
            continue
        total = shells[1, d]
        for s in range(NS):
            for n in range(NN):
                for w in range(NW):
                    for c in range(NC):
                        total += F[s, n, d, P_LAC, w, c]
        if total <= 0.0:
            continue
        q = min(1.0, due[1, d] / total)
        shells[1, d] *= 1.0 - q
        for s in range(NS):
            for n in range(NN):
                for w in range(NW):
                    for c in range(NC):
                        m = F[s, n, d, P_LAC, w, c] * q
                        F[s, n, d, P_LAC, w, c] -= m
                        F[s, n, d, 1, w, c] += m


@njit(cache=True)
def _ration_early_help(F2, F, OFR, OFX, offers, places, tl):
    """Early help offers taken while places last (the same share of every offer); returns it.

    The offers (:func:`_month`: ``offers`` families) are made to the month's starting groups
    ``F``; they join ``F2``. Also counts the families at home then (:func:`_count`, into ``tl``).
    """
    room = places - F2[EH].sum()
    alpha = 1.0 if offers <= 0.0 else min(max(room / offers, 0.0), 1.0)
    tl[:] = 0.0
    col = np.zeros(NC)
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        r = 1 if w < W_OLD else 0  # recency of the clock (CP: r 0)
                        rs = 0 if s == CP else r
                        for c in range(NC):
                            x = F2[s, n, d, p, w, c]
                            # turned away: the family as it was (a CIN closure: universal, clock 0)
                            ob = F[s, n, d, p, w, c] * OFR[1, s, n, d, p, rs, c]
                            if s == U and w == 0:
                                ob += OFX[1, n, d, p, c]
                            o = 0.0
                            if s == EH:  # offers taken: early help, each from its state's groups
                                o = (
                                    F[U, n, d, p, w, c] * OFR[0, U, n, d, p, r, c]
                                    + F[EH, n, d, p, w, c] * OFR[0, EH, n, d, p, r, c]
                                    + F[CIN, n, d, p, w, c] * OFR[0, CIN, n, d, p, r, c]
                                )
                                if w == W_OLD:
                                    o += OFX[0, n, d, p, c]
                            if o != 0.0 or ob != 0.0:
                                x += o * alpha + ob * (1.0 - alpha)
                                F2[s, n, d, p, w, c] = x
                            col[c] += x
            _count_compositions(tl, col, s, n)
    return alpha


@njit(cache=True, inline="always")
def _count(out, x, s, n, c):
    """Counts of families at home (in ``out``): ``x`` families of state s, need n, composition c.

    Children (``out[0:4]``) and families (``out[4:8]``) by state; children in universal services
    with need 2-3 (``out[8]``); families with room for another child (``out[9]``).
    """
    h = c % NH
    out[s] += x * h
    out[NS + s] += x
    if s == U and n >= HIGH_NEED:
        out[TL_UNMET] += x * h
    if 1 <= h <= NH - 2:
        out[TL_ROOM] += x


@njit(cache=True, inline="always")
def _count_compositions(out, col, s, n):
    """:func:`_count` the families of state s and need n by composition (``col[c]``); zeroes ``col``.

    The passes over the groups sum families by composition first (cheaper than counting each).
    """
    for c in range(NC):
        if col[c] != 0.0:
            _count(out, col[c], s, n, c)
            col[c] = 0.0


# Complexity (radon D21): moving away and in over every group, a branch per history (families
# with a child in care never move, as in the kernel).
@njit(cache=True)
def _moves(F, flows, share, init_need, tl):
    """A ``share`` of the families free to move move away; as many like them move in (in place).

    Kernel ``MOVE`` hazard and ``arrivals``: the movers are families with children at home and
    no child in care (history ``P_LAC`` stays), each with the same monthly chance; the arrivals
    copy the decile and the children of a family drawn from all those with children at home. The
    tally ``tl`` (:func:`_count`) is kept up to date. Returns ``(children in, families with a
    child in care at home, families that moved away)``.
    """
    by_dc = np.zeros((ND, NC))
    free = 0.0
    held = 0.0
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            x = F[s, n, d, p, w, c]
                            if x == 0.0:
                                continue
                            by_dc[d, c] += x
                            if p == P_LAC:
                                held += x
                            else:
                                free += x
    col = np.zeros(NC)  # movers by composition, for the tally
    for s in range(NS):
        kids_out = 0.0
        for n in range(NN):
            for d in range(ND):
                for p in range(P_LAC):
                    for w in range(NW):
                        for c in range(NC):
                            x = F[s, n, d, p, w, c]
                            if x == 0.0:
                                continue
                            out = x * share
                            col[c] -= out
                            F[s, n, d, p, w, c] = x - out
            for c in range(NC):
                kids_out -= col[c] * (c % NH)
            _count_compositions(tl, col, s, n)
        flows[s, OUT] += kids_out
    scale = share * free / max(free + held, 1e-9)  # arrivals: as many families as left
    moved_in = 0.0
    for d in range(ND):
        for c in range(NC):
            x = by_dc[d, c] * scale
            if x == 0.0:
                continue
            for n in range(NN):
                F[U, n, d, 0, W_OLD, c] += init_need[n] * x
                _count(tl, init_need[n] * x, 0, n, c)
            moved_in += x * (c % NH)
    flows[IN, U] += moved_in
    return moved_in, held, share * free


@njit(cache=True)
def _births(F, flows, frac):
    """A share ``frac`` of families with room gain a newborn (in place); returns the births."""
    born = 0.0
    for s in range(NS):
        born_s = 0.0
        for n in range(NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC - 1, -1, -1):  # downwards: a family grown is not grown again
                            if not 1 <= c % NH <= NH - 2:
                                continue
                            g = F[s, n, d, p, w, c] * frac
                            if g > 0.0:
                                F[s, n, d, p, w, c] -= g
                                F[s, n, d, p, w, c + 1] += g
                                born_s += g
        flows[IN, s] += born_s
        born += born_s
    return born


@njit(cache=True)
def _prevention_reach(F, reach, reached):
    """Shares of families universal prevention reaches, by need and group (``reached[n, d]``).

    Kernel policy ``prevention``: ``reach`` families at home in universal services or early help
    with emerging or high need (1-2), high need first, then the most deprived (group 0 first);
    within a group, any family alike (a group's two deciles share its reach).
    """
    reached[:] = 0.0
    left = reach
    if left <= 0.0:
        return
    for n in (2, 1):
        for d in range(ND):
            m = 0.0
            for s in range(2):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            m += F[s, n, d, p, w, c]
            if m <= 0.0:
                continue
            take = min(left, m)
            reached[n, d] = take / m
            left -= take
            if left <= 0.0:
                return


@njit(cache=True)
def _families_by_group(F, out):
    """Families at home by deprivation group (``out[d]``)."""
    out[:] = 0.0
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                x = 0.0
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            x += F[s, n, d, p, w, c]
                out[d] += x


@njit(cache=True)
def _hub_members(t, hub_open, hub_dec, hub_dsh, HUBM, catchment, fams_g, members, hubs, hub_tot):
    """Community hubs at month ``t``: catchments topped up, shares and multipliers (in place).

    Kernel policy ``community_hubs``: at opening and each year after, a hub's catchment is brought
    up to ``catchment`` families with families of its decile in no other hub (drawn at random, so
    the same share of every kind of family); between top-ups it loses the families that leave
    (:func:`_run_months`). ``hub_dsh[i]``: hub i's decile's share of its group's families.
    """
    hub_tot[:] = 0.0
    for i in range(hub_open.shape[0]):
        g = hub_dec[i] // DECILES_PER_GROUP
        hubs[i, 0] = g
        hubs[i, 1] = 0.0
        if t < hub_open[i]:
            continue
        if (t - hub_open[i]) % 12 == 0:
            taken = 0.0
            for j in range(hub_open.shape[0]):
                if hub_dec[j] == hub_dec[i]:
                    taken += members[j]
            free = fams_g[g] * hub_dsh[i] - taken
            add = min(catchment - members[i], free)
            if add > 0.0:
                members[i] += add
        share = members[i] / fams_g[g] if fams_g[g] > 0.0 else 0.0
        share = min(share, 1.0 - hub_tot[g])
        hubs[i, 1] = share
        hubs[i, 2] = HUBM[t, i, 0]
        hubs[i, 3] = HUBM[t, i, 1]
        hubs[i, 4] = HUBM[t, i, 2]
        hub_tot[g] += share


@njit(cache=True)
def _clocks(F, tl, w_cp):
    """A month on (in place): months since closure (cap 12) and months to the next CP review.

    CP families' clocks run from 0 to ``w_cp`` at most (the longer of the first review and the
    review interval). Counts the families at home as it goes (:func:`_count`, into ``tl``).
    """
    tl[:] = 0.0
    col = np.zeros(NC)
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(1 if s >= CIN else 0, NP):  # families on a plan have earlier involvement
                    if s < CP:
                        for c in range(NC):
                            x = F[s, n, d, p, W_OLD, c] + F[s, n, d, p, W_OLD - 1, c]
                            F[s, n, d, p, W_OLD, c] = x
                            col[c] += x
                        for w in range(W_OLD - 1, 0, -1):
                            for c in range(NC):
                                x = F[s, n, d, p, w - 1, c]
                                F[s, n, d, p, w, c] = x
                                col[c] += x
                        for c in range(NC):
                            F[s, n, d, p, 0, c] = 0.0
                    else:
                        for w in range(w_cp):
                            for c in range(NC):
                                x = F[s, n, d, p, w + 1, c]
                                F[s, n, d, p, w, c] = x
                                col[c] += x
                        for c in range(NC):
                            F[s, n, d, p, w_cp, c] = 0.0
            _count_compositions(tl, col, s, n)


@njit(cache=True)
def _schedule_returns(PEND_RH, t, ent_rh, Q):
    """Returns home due ``x`` months on (``ent_rh[x, group, need, origin]``), into ``PEND_RH[t + x]``.

    They are booked by the family's need then if no one was left at home (origin 0: ``Q[0]``,
    its need path meanwhile, :func:`_need_drift`), otherwise by the service state the family has
    reached (origins 1 and 2, from CIN and from a protection plan: :func:`_family_path`). The
    axis ``m`` is need for origin 0 and state for the others (both four). The children entered
    during this month's hazards and come home among the scheduled events at the start of month
    ``t + x``, so each path is taken ``x - 1`` months on.
    """
    for o in range(3):
        for d in range(ND):
            for x in range(ent_rh.shape[0]):
                between = max(x - 1, 0)
                for n in range(NN):
                    v = ent_rh[x, d, n, o]
                    if v == 0.0:
                        continue
                    for m in range(NN):
                        PEND_RH[t + x, d, m, o] += v * Q[o, d, between, n, m]


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


@njit(cache=True)
def _walk_pairs(max_size, pair):
    """Families built at the start, by enumeration: adjacent pairs of their sorted ages.

    Kernel ``populate``: the first child's age is uniform over 0..215 months; each next child is
    12-48 months older or younger than the last (the walk continues unfolded), its age folded
    back into 0..215. Returns ``(P, V1)`` at month 0 (rows are birth months modulo 217), each
    family size with total mass 1.
    """
    P = np.zeros((N_PAIRS, NA, NA))
    V1 = np.zeros(NA)
    n_steps = 74
    ages = np.zeros(max_size, np.int64)
    for a0 in range(AGE_18):
        V1[(NA - a0) % NA] += 1.0 / AGE_18
    for h in range(2, max_size + 1):
        total = n_steps ** (h - 1)
        w = 1.0 / AGE_18 / total
        for a0 in range(AGE_18):
            for code in range(total):
                x = a0
                ages[0] = a0
                c = code
                for j in range(1, h):
                    k = c % n_steps
                    c //= n_steps
                    step = 12 + k // 2
                    x += step if k % 2 == 0 else -step
                    a = abs(x) % (2 * AGE_18)
                    if a >= AGE_18:
                        a = 2 * AGE_18 - 1 - a
                    # insert, keeping ages[0..j] sorted oldest first
                    i = j
                    while i > 0 and ages[i - 1] < a:
                        ages[i] = ages[i - 1]
                        i -= 1
                    ages[i] = a
                for r in range(h - 1):
                    P[pair[h, r], (NA - ages[r]) % NA, ages[r] - ages[r + 1]] += w
    return P, V1


@functools.lru_cache(maxsize=1)
def _start_pairs() -> tuple[np.ndarray, np.ndarray]:
    """:func:`_walk_pairs`, kept on disk next to the compiled code (the enumeration takes seconds).

    The file is named by a hash of this module's and the kernel's source, so any change to
    either recomputes it.
    """
    src = Path(__file__).read_bytes() + Path(kn.__file__).read_bytes()
    cache = Path(__file__).parent / "__pycache__"
    path = cache / f"aggregate.start-pairs.{hashlib.sha256(src).hexdigest()[:16]}.npz"
    try:
        with np.load(path) as z:
            P = np.zeros((N_PAIRS, NA, NA))
            P[z["slots"]] = z["pairs"]
            return P, z["v1"]
    except (OSError, KeyError, ValueError):
        pass
    P, V1 = _walk_pairs(MAX_START, PAIR)
    try:
        slots = np.flatnonzero(P.reshape(N_PAIRS, -1).any(axis=1))
        for old in cache.glob("aggregate.start-pairs.*.npz"):
            old.unlink()
        np.savez_compressed(path, slots=slots, pairs=P[slots], v1=V1)
    except OSError:  # a read-only install: computed each time instead
        pass
    return P, V1


def start_demography(shares: np.ndarray, n_fam: float) -> tuple[np.ndarray, ...]:
    """The start's families (``n_fam`` of them, sizes by ``shares``) as age chains at month 0.

    Returns ``(P, R, Y, V1)``: pair tables, their row sums (the older child's age), the youngest's
    age by family size, and one-child families; rows are birth months modulo 217.
    """
    shares = np.asarray(shares, dtype=float)
    shares = shares / shares.sum() * n_fam
    P0, V0 = _start_pairs()
    P = np.zeros_like(P0)
    for h in range(2, MAX_START + 1):
        for r in range(h - 1):
            P[PAIR[h, r]] = P0[PAIR[h, r]] * shares[h - 1]
    V1 = V0 * shares[0]
    R = P.sum(axis=2)
    Y = np.zeros((NH, NA))
    Y[1] = V1
    shift = (np.arange(NA)[:, None] + np.arange(NA)[None, :]) % NA  # younger child: older row + gap
    for h in range(2, NH):
        Y[h] = np.bincount(shift.ravel(), weights=P[PAIR[h, h - 2]].ravel(), minlength=NA)
    return P, R, Y, V1


@njit(cache=True)
def _oldest(R, Y, t, h, pair, lo, hi):
    """Families of h children whose oldest is aged ``lo``..``hi`` months at month ``t``."""
    x = 0.0
    for a in range(lo, hi + 1):
        ia = (t - a) % NA
        x += Y[1, ia] if h == 1 else R[pair[h, 0], ia]
    return x


# Complexity (radon E35): every composition's birthdays in one compiled pass (pairs of
# next-in-age siblings by birth month); the branches are the cases of the kernel's demography.
@njit(cache=True)
def _demography_dues(P, R, Y, t, Q, teens, band1, pair):
    """Birthdays at month ``t`` (in place) and what they mean for a family of each composition.

    Writes ``Q[c, c']`` (a family of composition c, children at home and the oldest's band, becomes
    c': the oldest turns 12, or turns 18 and leaves) and ``teens[c]`` (expected children aged
    12-17 at home after the birthdays). ``Y[1]`` holds one-child families.
    Writes ``band1[j]``: one-child families by their child's band.
    """
    Q[:] = 0.0
    nj = np.zeros((NH, NJ))  # families by the oldest's band last month
    up = np.zeros((NH, NJ))  # ... whose oldest reaches the next band this month
    for h in range(1, NH):
        for j in range(NJ):
            lo = J_EDGES[j - 1] + 1 if j > 0 else 0
            hi = J_EDGES[j] if j < NJ - 1 else AGE_18
            nj[h, j] = _oldest(R, Y, t, h, pair, lo, hi)
            if j < NJ - 1:
                up[h, j] = _oldest(R, Y, t, h, pair, hi, hi)
    shrink = np.zeros((NH, NJ))  # families that lost their oldest, by the new oldest's band
    c = np.zeros(NA)
    c2 = np.zeros(NA)
    row18 = (t - AGE_18) % NA
    for h in range(NH - 1, 1, -1):
        k0 = pair[h, 0]
        c[:] = 0.0
        tot = 0.0
        for g in range(NA):
            x = P[k0, row18, g]
            if x > 0.0:
                c[AGE_18 - g] = x
                tot += x
                shrink[h, J_OF_AGE[AGE_18 - g]] += x
            P[k0, row18, g] = 0.0
        R[k0, row18] = 0.0
        if tot <= 0.0:
            continue
        # the families' other children move up one rank, with their younger siblings
        for r in range(1, h - 1):
            kr = pair[h, r]
            kn = pair[h - 1, r - 1]
            c2[:] = 0.0
            for a in range(NA):
                if c[a] <= 0.0:
                    continue
                ia = (t - a) % NA
                m = R[kr, ia]
                if m <= 0.0:
                    continue
                f = min(1.0, c[a] / m)
                for g in range(a + 1):
                    x = P[kr, ia, g] * f
                    P[kr, ia, g] -= x
                    P[kn, ia, g] += x
                    c2[a - g] += x
                R[kr, ia] -= f * m
                R[kn, ia] += f * m
            c[:] = c2
        # c: the youngest's age in the families that shrank
        for a in range(NA):
            if c[a] > 0.0:
                ia = (t - a) % NA
                Y[h, ia] = max(Y[h, ia] - c[a], 0.0)
                Y[h - 1, ia] += c[a]
    left1 = Y[1, row18]
    # any mass left at 18 (children born the same month) leaves with its family
    for h in range(1, NH):
        Y[h, row18] = 0.0
    for k in range(P.shape[0]):
        R[k, row18] = 0.0
        for g in range(NA):
            P[k, row18, g] = 0.0
    for h in range(1, NH):
        for j in range(NJ - 1):
            c0 = j * NH + h
            Q[c0, c0] = 1.0
            if nj[h, j] > 0.0:
                q = up[h, j] / nj[h, j]
                Q[c0, c0 + NH] = q
                Q[c0, c0] = 1.0 - q
        c1 = (NJ - 1) * NH + h  # only the top band turns 18
        n1 = nj[h, NJ - 1]
        Q[c1, c1] = 1.0
        if n1 > 0.0:
            if h == 1:
                q = min(left1 / n1, 1.0)
                Q[c1, 0] = q
                Q[c1, c1] = 1.0 - q
            else:
                rest = 1.0
                for j in range(NJ):
                    q = shrink[h, j] / n1
                    Q[c1, j * NH + h - 1] = q
                    rest -= q
                Q[c1, c1] = max(rest, 0.0)
    # teenagers at home: only in families whose oldest is one
    for h in range(1, NH):
        x = 0.0
        for a in range(TEEN, AGE_18):
            ia = (t - a) % NA
            x += Y[h, ia]
            for r in range(h - 1):
                x += R[pair[h, r], ia]
        n = _oldest(R, Y, t, h, pair, TEEN, AGE_18)
        for j in range(NJ - 1):
            teens[j * NH + h] = 0.0
        teens[(NJ - 1) * NH + h] = x / n if n > 0.0 else 1.0
    n = Y[1].sum()
    for j in range(NJ):
        lo = J_EDGES[j - 1] if j > 0 else 0
        hi = J_EDGES[j] - 1 if j < NJ - 1 else AGE_18
        band1[j] = _oldest(R, Y, t, 1, pair, lo, hi) / n if n > 0.0 else 1.0 / NJ


@njit(cache=True)
def _demography_births(P, R, Y, t, born, existing, pair):
    """``born`` births at month ``t`` (in place), as the engine places them.

    A share ``existing`` of them go to families of 1-5 children (each such family gains a newborn
    with the same chance, its row ``t`` modulo 217); the rest start new families.
    """
    elig = 0.0
    for h in range(1, NH - 1):  # families with room for another child
        for a in range(NA):
            elig += Y[h, a]
    frac = min(1.0, existing * born / max(elig, 1e-9))
    new = born - frac * elig
    row0 = t % NA
    g1 = 1.0 - frac
    # a family's pairs move from its size's tables to the next size's, row by row of all the
    # tables (a row stays in cache); the largest size first, so a pair moved is not moved again
    for ia in range(NA):
        n_gap = (t - ia) % NA + 1  # the gap is at most the older child's age
        for h in range(NH - 2, 1, -1):
            for r in range(h - 1):
                k = pair[h, r]
                if R[k, ia] <= 0.0:
                    continue
                k2 = pair[h + 1, r]
                R[k2, ia] += R[k, ia] * frac
                R[k, ia] *= g1
                for g in range(n_gap):
                    x = P[k, ia, g]
                    P[k2, ia, g] += x * frac
                    P[k, ia, g] = x * g1
    # the former youngest and the newborn: a new pair (after the moves above, as its table's own
    # pairs have moved on already)
    for h in range(NH - 2, 0, -1):
        nxt = pair[h + 1, h - 1]
        moved = 0.0
        for a in range(AGE_18):
            ia = (t - a) % NA
            x = Y[h, ia] * frac
            if x > 0.0:
                P[nxt, ia, a] += x
                R[nxt, ia] += x
                Y[h, ia] -= x
                moved += x
        Y[h + 1, row0] += moved
    Y[1, row0] += new


# -- the whole run, compiled -----------------------------------------------------------------
_C_ADOPT, _C_SGO, _C_LEAVE, _C_RH = (
    _C["adoptions"],
    _C["special_guardianship"],
    _C["care_leavers"],
    _C["returned_home"],
)
_C_TURNED, _C_AWAY, _C_IN = _C["early_help_turned_away"], _C["moved_away"], _C["moved_in"]
_C_UASC, _C_BIRTHS = _C["uasc_starts"], _C["births"]


# Complexity (radon F43): the compiled month loop (demography, dues, hazards, early help
# rationing, care cohorts, moves, births, recording) over the view's arrays, kept as one loop so
# numba compiles it once; split with _month when the view's state is one structure (issue 18).
@njit(cache=True)
def _run_months(
    F,
    DP,
    DR,
    DY,
    PEND,
    PEND_RH,
    LOUT,
    shells,
    PV,
    dep_g,
    risk,
    elast,
    eh_factor,
    eh_places0,
    capacity,
    caseload,
    lac,
    lac_prow,
    uasc_in_care,
    burn,
    years,
    target,
    growth,
    Kb2,
    KbRH,
    Q,
    sel_w,
    adv_mean,
    init_need,
    move_p,
    existing_births,
    uasc_age,
    dec_sh,
    uasc_rate,
    uasc_path,
    after_rh,
    eh_extra,
    reach,
    m_adv,
    m_id,
    hub_open,
    hub_dec,
    hub_dsh,
    HUBM,
    catchment,
    FLOWS,
    CNT,
    TL,
    LAC_STOCK,
    LACP,
    PLACES,
    ENTLOG,
    UASCLOG,
    WITH_LAC,
):
    """The monthly loop of :func:`run_aggregate` (``F`` and the pending tables in place).

    Families with a child in care are followed for kernel ``migration`` (none of them moves):
    those with no one left at home (``shells[kind, decile]``; not in ``F``) and those with children
    at home (history ``P_LAC`` in ``F``). ``LOUT[month, kind, decile]``: such families due to have
    no child in care, each family when the last of the children who came into care together
    leaves (later entries of its other children are not followed), by kind: no one left at home
    then (0) or some (1; ``shells[1]`` holds those of them with no one at home now).

    ``elast``: the risk-aversion elasticities of referral, section 47 and care entry, then the
    caseload threshold elasticity. ``eh_extra``: early help places bought by prevention spend,
    ``reach``: the families its universal part reaches (both per month; :func:`_prevention_reach`
    chooses them, ``m_adv`` and ``m_id`` are their multipliers). Community hubs
    (:func:`_hub_members`): month each opens, its decile and that decile's share of its group's
    families, its multipliers by month (``HUBM[t, i]``: adverse events, identification,
    re-referral) and the families in a catchment. Writes per month the flows,
    counters, tallies (:func:`_count`), children in care (in all and by placement row), early help
    places, care entries by age band and route, and unaccompanied children's arrivals.
    """
    T = FLOWS.shape[0]
    F2 = np.zeros_like(F)
    OFR = np.zeros((2, NS, NN, ND, NP, 2, NC))
    OFX = np.zeros((2, NN, ND, NP, NC))
    ENT = np.zeros((N_BANDS, 3, ND, NN, 3))
    AE = np.zeros((3, ND, NN, 4, NC))
    AH = np.zeros((NS, NN, ND, NW, NC))
    keep = np.zeros((NC, NC))
    teens = np.zeros(NC)
    band1 = np.zeros(NJ)
    tl = np.zeros(N_TL)
    p_old = np.zeros((NC, N_BANDS))
    p_oth = np.zeros((NC, N_BANDS))
    CT = np.zeros((NC, CT_WIDTH))
    offk = np.zeros(4)
    n_ex = np.zeros(N_REASONS)
    ent_brd = np.zeros((N_BANDS, 3, ND))
    ent_rh = np.zeros((HORIZON, ND, NN, 3))
    FAMS = np.zeros((3, ND))
    ent_c = np.zeros((N_BANDS, 3, ND, 2))
    FK = np.zeros((2, NH))
    mix = np.zeros((2, HORIZON))
    g = np.zeros(HORIZON)
    gone = np.zeros(ND)
    reached = np.zeros((NN, ND))
    n_hubs = hub_open.shape[0]
    members = np.zeros(n_hubs)  # families in each hub's catchment
    hubs = np.zeros((n_hubs, 5))  # group, share of its families, multipliers (see _lever_mix)
    hub_tot = np.zeros(ND)
    fams_g = np.zeros(ND)
    fams_after = np.zeros(ND)
    sib = PV[kn.P_SIB_JOIN]
    w_cp = max(int(PV[kn.P_CP_FIRST_REVIEW]), int(PV[kn.P_CP_INTERVAL]))  # CP clocks: 0..w_cp
    for t in range(T):
        flows = FLOWS[t]
        cnt = CNT[t]
        r_idx = risk[t]
        PV[kn.P_RA_REF] = r_idx ** elast[0]
        PV[kn.P_RA_S47] = r_idx ** elast[1]
        PV[kn.P_RA_CARE] = r_idx ** elast[2]
        over = max(0.0, caseload / capacity - 1.0)
        PV[kn.P_PRESSURE] = 1.0 / (1.0 + elast[3] * over)
        months_in = max(t - burn, 0)
        year_i = min(months_in // 12, years - 1)
        target_t = target * (1.0 + growth) ** (months_in / 12)
        # 0. levers: the families universal prevention reaches this month (policies' start_month)
        _prevention_reach(F, reach[t], reached)
        if n_hubs > 0:
            _families_by_group(F, fams_g)
            _hub_members(t, hub_open, hub_dec, hub_dsh, HUBM, catchment, fams_g, members, hubs, hub_tot)
        # 1. scheduled events: care exits, 18th birthdays, plan reviews
        n_ex[:] = 0.0
        for k in range(N_REASONS):
            for d in range(ND):
                for pr in range(5):
                    x = PEND[t, k, d, pr]
                    n_ex[k] += x
                    lac_prow[pr] -= x
                    if pr == 4:
                        uasc_in_care -= x
        lac -= n_ex.sum()
        cnt[_C_ADOPT] += n_ex[AD]
        cnt[_C_SGO] += n_ex[SG]
        cnt[_C_LEAVE] += n_ex[T18]
        cnt[_C_RH] += n_ex[RH]
        flows[LAC, OUT] += n_ex[AD] + n_ex[SG] + n_ex[T18]
        _demography_dues(DP, DR, DY, t, keep, teens, band1, PAIR)
        if t % 12 == 0:  # which children enter care: their ages by composition, once a year
            _child_bands(DP, DR, DY, t, PAIR, p_old, p_oth)
            idx_b, sib_b = entrant_bands_by_composition(sel_w, p_old, p_oth)
            CT = care_tables(sib, idx_b, sib_b)
        gone[:] = 0.0
        _dues(F, flows, PV, keep, gone)
        if n_hubs > 0:  # catchments lose the families whose last child at home turned 18
            _families_by_group(F, fams_after)
            for i in range(n_hubs):
                hg = hub_dec[i] // DECILES_PER_GROUP
                if fams_g[hg] > 0.0:
                    members[i] *= fams_after[hg] / fams_g[hg]
        for d in range(ND):  # families with a child in care whose last child at home turned 18
            shells[1, d] += gone[d]
        _return_home(F, PEND_RH[t], after_rh, band1, flows)
        _clear_flags(F, LOUT[t], shells)
        # 2. hazards and the front door
        F2[:] = 0.0
        OFX[:] = 0.0
        ENT[:] = 0.0
        AE[:] = 0.0
        AH[:] = 0.0
        offk[:] = 0.0
        FAMS[:] = 0.0
        FK[:] = 0.0
        offers = _month(
            F,
            F2,
            OFR,
            OFX,
            offk,
            flows,
            cnt,
            ENT,
            PV,
            dep_g,
            CT,
            adv_mean,
            teens,
            AE,
            AH,
            FAMS,
            FK,
            reached,
            m_adv,
            m_id,
            hubs,
            hub_tot,
        )
        places = eh_places0 * eh_factor[t] + eh_extra[t]
        alpha = _ration_early_help(F2, F, OFR, OFX, offers, places, tl)
        flows[U, EH] += offk[U] * alpha
        flows[CIN, EH] += offk[CIN] * alpha
        flows[CIN, U] += offk[CIN] * (1.0 - alpha)  # step-downs turned away close
        cnt[_C_TURNED] += offk.sum() * (1.0 - alpha)
        F, F2 = F2, F
        # care entries this month: schedule their exits
        ent_brd[:] = 0.0
        ent_c[:] = 0.0
        mix[:] = 0.0
        n_ent = 0.0
        for b in range(N_BANDS):
            for r in range(3):
                for d in range(ND):
                    for n in range(NN):
                        ent_c[b, r, d, 0] += ENT[b, r, d, n, 0]
                        ent_c[b, r, d, 1] += ENT[b, r, d, n, 1] + ENT[b, r, d, n, 2]
                    ent_brd[b, r, d] = ent_c[b, r, d, 0] + ent_c[b, r, d, 1]
                    ENTLOG[t, b, r] += ent_brd[b, r, d]
                n_ent += ENTLOG[t, b, r]
        lac += n_ent
        for d in range(ND):
            shells[0, d] += FAMS[0, d]
            shells[1, d] += FAMS[2, d]
        for b in range(N_BANDS):
            prow = BAND_PROW[b]
            for r in range(3):
                for d in range(ND):
                    e = ent_brd[b, r, d]
                    if e == 0.0:
                        continue
                    lac_prow[prow] += e
                e_emptied, e_stay = 0.0, 0.0  # this band and route's entrants, by kind of family
                for d in range(ND):
                    e_emptied += ent_c[b, r, d, 0]
                    e_stay += ent_c[b, r, d, 1]
                for x in range(HORIZON):
                    k_all = 0.0
                    for k in range(N_REASONS):
                        kv = Kb2[year_i, b, r, x * N_REASONS + k]
                        if kv == 0.0:
                            continue
                        k_all += kv
                        for d in range(ND):
                            PEND[t + x, k, d, prow] += kv * ent_brd[b, r, d]
                    mix[0, x] += k_all * e_emptied
                    mix[1, x] += k_all * e_stay
        # new families with a child in care: no child in care once the last of those who
        # entered together has left (each child's exit drawn from the month's mix of entrants)
        for i in range(2):
            max_of_k(mix[i], FK[i], g)
            for x in range(HORIZON):
                if g[x] == 0.0:
                    continue
                for d in range(ND):
                    LOUT[t + x, i, d] += g[x] * FAMS[i, d]
        # returns home: the family's need (origin 0) or state (1, 2) when the child comes back
        ent_rh[:] = 0.0
        ent_f = ENT.reshape((N_BANDS * 3, ND * NN * 3))  # (band, route) by (group, need, origin)
        rh_f = ent_rh.reshape((HORIZON, ND * NN * 3))
        for br in range(N_BANDS * 3):
            row = ent_f[br]
            for x in range(HORIZON):
                k = KbRH[year_i, br, x]
                if k == 0.0:
                    continue
                rh_x = rh_f[x]
                for i in range(ND * NN * 3):
                    rh_x[i] += k * row[i]
        _schedule_returns(PEND_RH, t, ent_rh, Q)
        # 3. families moving: as many move in as move away (``tl``: the families at home now)
        home_fams = tl[NS : 2 * NS].sum()
        out0 = flows[U, OUT] + flows[EH, OUT] + flows[CIN, OUT] + flows[CP, OUT]
        moved_in, held, n_move = _moves(F, flows, move_p, init_need, tl)
        if n_hubs > 0:  # ... and those whose children all entered care, and those moving away
            away = min(1.0, n_move / max(home_fams, 1e-9))
            for i in range(n_hubs):
                hg = hub_dec[i] // DECILES_PER_GROUP
                emptied = FAMS[0, hg] / fams_after[hg] if fams_after[hg] > 0.0 else 0.0
                members[i] *= max(0.0, 1.0 - emptied) * (1.0 - away)
        cnt[_C_AWAY] += flows[U, OUT] + flows[EH, OUT] + flows[CIN, OUT] + flows[CP, OUT] - out0
        cnt[_C_IN] += moved_in
        # 4. unaccompanied asylum-seeking children straight into care, leaving at 18
        lam = uasc_rate * target_t / 10_000 / 12 * uasc_path[year_i]
        for yi in range(3):
            for j in range(12):
                a = (15 + yi) * 12 + j
                for d in range(ND):
                    PEND[t + 216 - a, T18, d, 4] += lam * uasc_age[yi] / 12 * dec_sh[d]
        lac += lam
        UASCLOG[t] = lam
        lac_prow[4] += lam
        uasc_in_care += lam
        cnt[_C_UASC] += lam
        flows[IN, LAC] += lam
        # 5. births keep the child population on its path
        # (the tally ``tl`` was kept up to date by the moves)
        gap = target_t - (tl[:NS].sum() + lac)
        born = max(gap, 0.0)
        cnt[_C_BIRTHS] += born
        if born > 0:
            elig = tl[TL_ROOM]
            frac = min(1.0, existing_births * born / max(elig, 1e-9))
            new = born - _births(F, flows, frac)
            _demography_births(DP, DR, DY, t, born, existing_births, PAIR)
            for n in range(NN):
                for d in range(ND):
                    F[U, n, d, 0, W_OLD, 1] += new * init_need[n] * dec_sh[d]
            flows[IN, U] += new
        # 6. clocks: months since closure (cap 12); months to the next CP review
        _clocks(F, tl, w_cp)
        # 7. record
        caseload = tl[CIN] + tl[CP] + lac
        TL[t] = tl
        LAC_STOCK[t] = lac
        WITH_LAC[t] = held + shells.sum() + uasc_in_care
        LACP[t] = lac_prow
        PLACES[t] = places
    return caseload


# -- set-up ----------------------------------------------------------------------------------


def _need_drift(PV: np.ndarray, dep: np.ndarray, adv_mean: float) -> np.ndarray:
    """Need of a family with no child at home, ``x`` months on: ``Q[group, x, from, to]``.

    A family whose children are all in care meets no service (kernel ``exact_rates``
    zeroes its referral and later hazards): its need moves only by adverse events and
    recovery, as a universal family with earlier involvement.
    """
    Q = np.zeros((ND, HORIZON, NN, NN))
    two = PV[kn.P_TWO_LEVEL]
    for d in range(ND):
        P = np.zeros((NN, NN))
        for n in range(NN):
            adv = PV[kn.V_BASE + n * 7 + kn.ADVERSE] * adv_mean * PV[kn.P_PRIOR_ADV] * dep[d]
            adv = adv if n < 3 else 0.0
            rec = PV[kn.V_BASE + n * 7 + kn.RECOVER]
            tot = adv + rec
            p_any = 1.0 - math.exp(-tot / 12.0) if tot > 0 else 0.0
            P[n, n] += 1.0 - p_any
            if tot > 0:
                P[n, min(3, n + 1)] += p_any * adv / tot * (1 - two)
                P[n, min(3, n + 2)] += p_any * adv / tot * two
                if rec > 0:
                    P[n, n - 1] += p_any * rec / tot
        _powers(P, Q[d])
    return Q


def _family_paths(PV: np.ndarray, dep: np.ndarray, adv_mean: float) -> np.ndarray:
    """:func:`_family_path` from each state (``[state, group, x, need, state']``), read-only.

    Cached: the same for every run of a scenario.
    """
    return _family_paths_cached(PV.tobytes(), dep.tobytes(), float(adv_mean))


@functools.lru_cache(maxsize=16)
def _family_paths_cached(pv: bytes, dep: bytes, adv_mean: float) -> np.ndarray:
    PV, dep_g = np.frombuffer(pv), np.frombuffer(dep)
    S = np.stack([_family_path(PV, dep_g, adv_mean, st) for st in range(NS)])
    S.setflags(write=False)
    return S


def _family_path(PV: np.ndarray, dep: np.ndarray, adv_mean: float, state: int) -> np.ndarray:
    """Service state of a family with children at home while one of its children is in care.

    ``S[group, x, need, state']``: the chance that a family which was in ``state`` with ``need``
    when its child entered care (CIN or CP; any state for the start's children in care) is in
    ``state'`` ``x`` months on, when the child may come home. The family has earlier involvement
    and meets the month's competing hazards as in :func:`_month` (:func:`_family_month`), with
    the rates of the first month (its risk-aversion index; no caseload pressure), no contextual
    harm, and offers of early help taken. Its protection plan is reviewed as a monthly chance
    (``1 - (1 - end) ** (1 / interval)``, the first review included); a case closed to universal
    services is recent (re-referral likelier) for ``RECENT_STAGES`` stages of ``W_OLD`` months in
    all on average, in place of the kernel's ``W_OLD`` months exactly.
    """
    NR = 1 + RECENT_STAGES  # recency: 0 not recent, 1.. stages since a closure
    NF = NS * NR * NN
    st_cp, interval = PV[kn.P_CP_STEPDOWN], PV[kn.P_CP_INTERVAL]
    move_on = RECENT_STAGES / W_OLD  # monthly chance of the next recency stage
    S = np.zeros((ND, HORIZON, NN, NS))
    R = np.eye(NF)  # protection plans reviewed
    C = np.eye(NF)  # recency stages move on
    for r in range(NR):
        for n in range(NN):
            i = (3 * NR + r) * NN + n
            lam = 1.0 - (1.0 - PV[kn.V_CP_END + n]) ** (1.0 / interval)
            R[i, i] = 1.0 - lam
            R[i, (2 * NR + r) * NN + n] = lam * st_cp
            R[i, (0 * NR + 1) * NN + n] = lam * (1.0 - st_cp)
            if r > 0:
                for s in range(NS):
                    i = (s * NR + r) * NN + n
                    C[i, i] = 1.0 - move_on
                    C[i, (s * NR + (r + 1) % NR) * NN + n] = move_on
    for d in range(ND):
        P = np.zeros((NS, NR, NN, NS, NR, NN))  # one month's hazards
        for s in range(NS):
            for r in range(NR):
                for n in range(NN):
                    _family_month(P[s, r, n], PV, s, r, n, dep[d] * adv_mean)
        month = R @ P.reshape(NF, NF) @ C
        v = np.zeros((NN, NF))
        for n in range(NN):
            v[n, (state * NR) * NN + n] = 1.0
        for x in range(HORIZON):
            S[d, x] = v.reshape(NN, NS, NR * NN).sum(axis=2)
            v = v @ month
    return S


def _family_month(out: np.ndarray, PV: np.ndarray, s: int, r: int, n: int, adv_mult: float) -> None:
    """One month of a family of state s, recency r (0: none) and need n: ``out[s', r', n']`` shares.

    The kernel's competing hazards for a family with earlier involvement and children at home
    (as :func:`_month`): adverse events, recovery, referral and the front door, identification for
    early help, closure (to universal services: recency 1), section 47 and its outcomes; another
    child entering care leaves the family as it is; offers of early help are taken.
    """
    two, a_ref, st_cin = PV[kn.P_TWO_LEVEL], PV[kn.P_ASSESSED], PV[kn.P_CIN_STEPDOWN_EH]
    plan, q47 = PV[kn.P_PLAN_GIVEN_CONF], PV[kn.P_CIN_AFTER_S47]
    p_eh, p_cin, p_s47, tot, sc, p_em, p_conf = _outcomes(PV, n)

    def section47(v: float) -> None:
        out[s if s == CP else CIN, r, n] += v * p_em  # an emergency entry: CIN unless on a plan
        out[CP, r, n] += v * p_conf * (plan if s != CP else 1.0)
        if s != CP:
            out[CIN, r, n] += v * p_conf * (1.0 - plan)
        rest = v * (1.0 - p_em - p_conf)
        if s <= EH:
            out[CIN, r, n] += rest * q47
            out[s, r, n] += rest * (1.0 - q47)
        else:
            out[s, r, n] += rest

    rt = PV[kn.V_BASE + (s * 4 + n) * 7 : kn.V_BASE + (s * 4 + n + 1) * 7].copy()
    rt[kn.ADVERSE] = rt[kn.ADVERSE] * adv_mult * PV[kn.P_PRIOR_ADV] if n < 3 else 0.0
    rt[2] *= PV[kn.P_RA_REF] * PV[kn.P_PRIOR_REF] * (PV[kn.P_REREF_MULT] if r > 0 else 1.0)
    rt[5] *= PV[kn.P_RA_S47]
    rt[6] *= PV[kn.P_RA_CARE]
    total = rt.sum()
    p_any = 1.0 - math.exp(-total / 12.0) if total > 0 else 0.0
    u = rt * (p_any / total) if total > 0 else rt * 0.0
    out[s, r, n] += 1.0 - p_any + u[6]
    out[s, r, min(3, n + 1)] += u[0] * (1.0 - two)
    out[s, r, min(3, n + 2)] += u[0] * two
    out[s, r, max(n - 1, 0)] += u[1]
    ua = u[2] * a_ref
    out[s, r, n] += u[2] * (1.0 - a_ref) + ua * max(0.0, 1.0 - tot * sc)
    section47(ua * p_s47 * sc)
    out[CIN, r, n] += ua * p_cin * sc  # (from a protection plan too, as _month)
    out[EH if s == U else s, r, n] += ua * p_eh * sc
    out[EH, r, n] += u[3]  # identified for early help
    if s == EH:  # the case closes
        out[U, 1, n] += u[4]
    elif s == CIN:
        out[EH, r, n] += u[4] * st_cin
        out[U, 1, n] += u[4] * (1.0 - st_cin)
    section47(u[5])


@njit(cache=True)
def _powers(P, out):
    """``out[x] = P ** x`` (matrix powers) for x = 0..len(out)-1."""
    out[0] = np.eye(P.shape[0])
    for x in range(1, out.shape[0]):
        for i in range(P.shape[0]):
            for j in range(P.shape[0]):
                v = 0.0
                for k in range(P.shape[0]):
                    v += out[x - 1, i, k] * P[k, j]
                out[x, i, j] = v


@dataclass
class AggregateResults:
    """Expected annual and monthly tables (column names as in :class:`simulator.results.Results`)."""

    annual: pd.DataFrame
    monthly: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def levers_not_modelled(scenario: Scenario) -> list[str]:
    """Levers switched on in ``scenario`` that the aggregate view leaves out.

    Troubled Families: it enrols families and follows each for months after (the view has no
    place to keep them). Prevention spend and community hubs are in the view.
    """
    lv = scenario.levers
    out = []
    y0, n = scenario.run.start_year, scenario.run.years
    if any(v != 0 for v in series_values(lv.troubled_families.places_per_year, y0, n)):
        out.append("levers.troubled_families")
    return out


def _packing(scenario: Scenario) -> Services:
    """The agent-based model's own parameter packing, for this scenario (read-only use)."""
    stub = SimpleNamespace(scenario=scenario, key=(0, 0))
    return Services(stub, capacity=64)  # type: ignore[arg-type]


def _risk_path(scenario: Scenario, total_months: int, burn_in: int) -> np.ndarray:
    """Risk-aversion index by month: the scenario's index, its yearly path and any shocks."""
    sc = scenario
    idx = np.full(total_months, float(sc.risk_aversion.index))
    lv = getattr(sc, "levers", None)
    if lv is None:
        return idx
    years = sc.run.years
    path = series_values(lv.risk_aversion.index_path, sc.run.start_year, years)
    for m in range(burn_in, total_months):
        idx[m] *= path[min((m - burn_in) // 12, years - 1)]
    for shock in lv.risk_aversion.shocks:
        from simulator.schema import month_index

        m0 = burn_in + month_index(shock.date, sc.run.start_year, "shock")
        for m in range(max(m0, 0), total_months):
            idx[m] *= 1.0 + shock.size * 0.5 ** ((m - m0) / (12.0 * shock.half_life_years))
    return idx


# Complexity (radon F43): the view's set-up (the engine's packed parameters, lever paths,
# starting groups and cohorts, the demography table) and its tables; to be split into the
# package's set-up and recording modules with the state structure (issue 18, open).
def run_aggregate(
    scenario: Scenario | None = None,
    *,
    risk_index: np.ndarray | None = None,
    early_help_places_factor: np.ndarray | None = None,
    annual: bool = True,
) -> AggregateResults:
    """Compute the expected run of a scenario (no randomness).

    Args:
        scenario: the validated scenario (defaults: the typical LA).
        risk_index: optional risk-aversion index per month (burn-in included);
            default: ``risk_aversion.index`` with ``levers.risk_aversion`` path and shocks.
        early_help_places_factor: optional multiplier on the starting early help places
            per month (burn-in included); default: 1 plus
            ``levers.prevention.baseline_capacity_change`` by year, phased in as the lever does.
        annual: also build the annual table (skip for speed when only months are needed).

    Returns:
        :class:`AggregateResults` with ``annual`` and ``monthly`` tables (counts at the
        scenario's full size, like the agent-based results after scaling up).
    """
    sc = scenario if scenario is not None else Scenario()
    sv = _packing(sc)
    PV = sv.PV.copy()
    pop, start, care = sc.population, sc.start, sc.care
    burn = sc.run.burn_in_months
    T = burn + 12 * sc.run.years
    risk = _risk_path(sc, T, burn) if risk_index is None else np.asarray(risk_index, dtype=float)
    prev = sc.levers.prevention
    lag = max(prev.months_to_effect, 1)

    def phased(series: Any) -> np.ndarray:
        """A yearly lever series by month, phased in as the lever phases it.

        policies/prevention.py: exponential smoothing over months_to_effect from the first
        reported month; 0 in the burn-in.
        """
        values = series_values(series, sc.run.start_year, sc.run.years)
        out, eff = np.zeros(T), 0.0
        for m in range(burn, T):
            eff += (values[min((m - burn) // 12, sc.run.years - 1)] - eff) / lag
            out[m] = eff
        return out

    if early_help_places_factor is None:  # the change to the existing early help budget
        eh_factor = np.maximum(0.0, 1.0 + phased(prev.baseline_capacity_change))
    else:
        eh_factor = np.asarray(early_help_places_factor, dtype=float)
    # extra spend: the early help places it buys and the families its universal part reaches
    spend = phased(prev.spend_per_year)
    eh_extra = spend * prev.early_help_share / prev.cost_per_early_help_place
    reach = spend * (1.0 - prev.early_help_share) / prev.cost_per_family_reached
    uasc_path = series_values(pop.uasc_path, sc.run.start_year, sc.run.years)

    # ---- kernels of care exits and of which children enter care
    Rb = _start_kernel(_care_key(PV))  # (band, route, offset, reason): the starting stock's exits
    # exit plans drawn at entry follow the year's adoption share (care.adoption_path; model.step)
    adopt_path = series_values(care.adoption_path, sc.run.start_year, sc.run.years)
    Kb2_y, KbRH_y = [], []
    for y in range(sc.run.years):
        PVy = PV.copy()
        PVy[kn.P_ADOPT_U5] = care.adoption_share_under5 * adopt_path[y]
        Kb = _entry_kernel(_care_key(PVy))
        Kb2_y.append(Kb.reshape(N_BANDS, 3, HORIZON * N_REASONS))
        KbRH_y.append(Kb[..., RH].reshape(N_BANDS * 3, HORIZON))
    sel_w = np.asarray(care.selection_weights_by_age, dtype=float)

    # ---- the starting position (model._populate, in expectation)
    target = float(pop.children)
    uasc_stock = start.uasc_per_10k * target / 10_000
    resident = max(1.0, target - uasc_stock)
    shares = np.asarray(pop.children_per_family_shares, dtype=float)
    shares = shares / shares.sum()
    mean_size = float(np.dot(np.arange(1, 5), shares))
    n_fam = resident / mean_size
    dec10 = np.asarray(pop.decile_shares, dtype=float)
    need_w = np.asarray(sc.need.initial_need_shares)[None, :] * sv.dep_mult[:, None] ** np.arange(4)
    need_given_dec = need_w / need_w.sum(axis=1, keepdims=True)

    # deprivation groups of DECILES_PER_GROUP adjacent deciles: the start's families are the
    # deciles' own, added up; the group's multiplier of adverse events is its deciles' mean,
    # weighted by their shares (a step of deprivation_ratio_per_decile between deciles is ~13%, so
    # a group's deciles differ by ~6% either side of it; the agent-based agreement was unchanged)
    def by_group(x: np.ndarray) -> np.ndarray:  # deciles on the last axis, added up by group
        return x.reshape(*x.shape[:-1], ND, DECILES_PER_GROUP).sum(axis=-1)

    dec_sh = by_group(dec10)
    dep_plain = by_group(sv.dep_mult) / DECILES_PER_GROUP  # a group with no families
    dep_g = np.where(dec_sh > 0, by_group(dec10 * sv.dep_mult) / np.maximum(dec_sh, 1e-300), dep_plain)
    DP, DR, DY, _ = start_demography(shares, n_fam)  # families as chains of their children's ages
    G10 = np.zeros((4, NC, 10))  # families by need, composition, decile (universal)
    for h in range(1, MAX_START + 1):
        for j in range(NJ):  # the oldest's band (at month -1)
            lo = J_EDGES[j - 1] + 1 if j > 0 else 0
            hi = J_EDGES[j] if j < NJ - 1 else AGE_18
            sh = _oldest(DR, DY, 0, h, PAIR, lo, hi) / DY[h].sum()
            G10[:, j * NH + h, :] = n_fam * shares[h - 1] * sh * need_given_dec.T * dec10[None, :]
    G = by_group(G10).transpose(0, 2, 1)  # families by need, deprivation group, composition
    per = 1 / 10_000
    cin_plans = max(start.cin_per_10k - start.cp_per_10k - start.lac_per_10k - start.uasc_per_10k, 0.0)
    want = {
        3: start.cp_per_10k * per * resident,
        2: cin_plans * per * resident,
        1: sc.early_help.initial_share_of_social_care * start.cin_per_10k * per * resident,
    }
    need_pick = {3: (0.05, 0.3, 3.0, 12.0), 2: (0.1, 1.0, 6.0, 6.0), 1: (0.1, 3.0, 3.0, 1.0)}
    sizes = HSZ
    # earlier statutory involvement at its long-run prevalence by need (model._populate)
    prior_share = np.asarray(getattr(sc.need, "initial_prior_share_by_need", (0.0,) * NN), dtype=float)
    free = G.copy()
    F = np.zeros((NS, NN, ND, NP, NW, NC))
    for s in (CP, CIN, EH):
        totals = (free * sizes).sum(axis=(1, 2))
        q = thin_probabilities(np.asarray(need_pick[s]), totals, want[s])
        picked = free * q[:, None, None]
        free = free - picked
        if s == CP:
            # plans running at the start are at any point of their review cycle (model._populate)
            k = sc.cp.review_interval_months
            for c in range(1, k + 1):
                F[s, :, :, 1, c, :] = picked / k
        elif s == CIN:
            F[s, :, :, 1, W_OLD, :] = picked
        else:
            F[s, :, :, 1, W_OLD, :] = picked * prior_share[:, None, None]
            F[s, :, :, 0, W_OLD, :] = picked * (1.0 - prior_share[:, None, None])
    F[U, :, :, 1, W_OLD, :] = free * prior_share[:, None, None]
    F[U, :, :, 0, W_OLD, :] = free * (1.0 - prior_share[:, None, None])
    # children in care at the start: picked by age band x need among children at home
    kids_by_need = (F * sizes).sum(axis=(0, 2, 3, 4, 5))
    totals_bn = np.outer(BAND_SHARE, kids_by_need).ravel()
    lac_w = np.outer([0.6, 0.9, 0.9, 1.5, 2.2], [0.02, 0.3, 3.0, 6.0]).ravel()
    qbn = thin_probabilities(lac_w, totals_bn, start.lac_per_10k * per * resident).reshape(N_BANDS, 4)
    q_need = (BAND_SHARE[:, None] * qbn).sum(axis=0)  # chance a child at home is picked, by need
    kids_nd = (F * sizes).sum(axis=(0, 3, 4, 5))  # by need, decile
    # binomial thinning of each family's children; emptied families leave the home stocks
    F0 = np.zeros_like(F)
    held_d = np.zeros((2, ND))  # families with a child in care: none left at home (0), some (1)
    held_kids = np.zeros((2, ND))  # ... and their children in care (returns home: see below)
    held_k = np.zeros((2, NH))  # ... by their children in care
    for c in range(NC):
        h = HSZ[c]
        for j in range(h + 1):
            pj = np.array([math.comb(h, j) * q**j * (1 - q) ** (h - j) for q in q_need])  # by need
            moved = F[..., c] * pj[None, :, None, None, None]
            if j == 0:
                F0[..., c] += moved
                continue
            held_d[0 if h == j else 1] += moved.sum(axis=(0, 1, 3, 4))
            held_kids[0 if h == j else 1] += j * moved.sum(axis=(0, 1, 3, 4))
            held_k[0 if h == j else 1, j] += moved.sum()
            if h > j:  # a child admitted marks the family as known, with a child in care
                F0[:, :, :, P_LAC, :, c - j] += moved.sum(axis=3)
    F = F0
    # the care stock at the start: remaining time of each child's (virtual) episode
    route_sh = np.asarray(care.route_shares, dtype=float)
    PEND = np.zeros((T + HORIZON + 2, N_REASONS, ND, 5))  # exits due by month, reason, decile, placement row
    lac_bdn = qbn[:, :, None] * BAND_SHARE[:, None, None] * kids_nd[None, :, :]  # band, need, decile
    lac_bd = lac_bdn.sum(axis=1)
    adv_mean = 1.0 + pop.care_leaver_parent_share * (sc.need.care_leaver_parent_multiplier - 1.0)
    # need paths of families with no one at home (origin 0), state paths of those with children at
    # home, from CIN (1) or a protection plan (2) (:func:`_schedule_returns`)
    ra = sc.risk_aversion
    elast = np.array(
        [
            ra.referral_elasticity,
            ra.section47_elasticity,
            ra.care_elasticity,
            sc.workforce.threshold_elasticity,
        ],
        dtype=float,
    )
    PV0 = PV.copy()  # the families' paths take the first month's risk-aversion index
    PV0[[kn.P_RA_REF, kn.P_RA_S47, kn.P_RA_CARE]] = risk[0] ** elast[:3]
    paths = _family_paths(PV0, dep_g, adv_mean)
    Q = np.concatenate([_need_drift(PV, dep_g, adv_mean)[None], paths[2:]])
    # the start's children in care with brothers and sisters at home: their families' states now
    at_home = F[:, :, :, P_LAC].sum(axis=(3, 4))  # state, need, group
    total = at_home.sum(axis=0)
    mix = np.where(total > 0, at_home / np.maximum(total, 1e-300), np.eye(NS)[:, 2, None, None])  # none: CIN
    Q_start = np.einsum("snd,sdxnm->dxnm", mix, paths)
    PEND_RH = np.zeros((T + HORIZON + 2, ND, NN, 3))  # returns home: month, group, need or state, origin
    start_mix = np.zeros(HORIZON)  # the starting stock's exits, any child
    LOUT = np.zeros((T + HORIZON + 2, 2, ND))  # families due to have no child in care (_run_months)
    for b in range(N_BANDS):
        sched = np.einsum("r,rxk->xk", route_sh, Rb[b])  # offset, reason
        PEND[:HORIZON, :, :, BAND_PROW[b]] += sched[:, :, None] * lac_bd[b][None, None, :]
        # each family's children in care leave with one of them, taken from the stock's bands
        start_mix += sched.sum(axis=1) * lac_bd[b].sum()
        rh = np.einsum("x,nd,dxnm->xdm", sched[:, RH], lac_bdn[b], Q[0])  # by need
        rh_home = np.einsum("x,nd,dxnm->xdm", sched[:, RH], lac_bdn[b], Q_start)  # by state
        away = held_kids[0] / np.maximum(held_kids.sum(axis=0), 1e-300)  # by decile: no one at home
        PEND_RH[:HORIZON, :, :, 0] += rh * away[None, :, None]
        PEND_RH[:HORIZON, :, :, 1] += rh_home * (1.0 - away)[None, :, None]
    g = np.zeros(HORIZON)
    for i in range(2):  # each family's children in care at the start leave independently
        max_of_k(start_mix, held_k[i], g)
        LOUT[:HORIZON, i] += g[:, None] * held_d[i][None, :]
    # UASC in care at the start: aged 15y0m-17y11m, leaving at 18
    ages = 180 + np.arange(36)
    for a in ages:
        PEND[216 - a, T18, :, 4] += uasc_stock / 36 * dec_sh
    lac = float(lac_bd.sum() + uasc_stock)
    lac_prow = np.zeros(5)
    for b in range(N_BANDS):
        lac_prow[BAND_PROW[b]] += lac_bd[b].sum()
    lac_prow[4] += uasc_stock
    uasc_in_care = uasc_stock

    # capacities sized to the starting position
    kids = (F * sizes).sum(axis=(1, 2, 3, 4, 5))
    eh_fams0 = F[EH].sum()
    eh_places0 = eh_fams0 * sc.early_help.places_headroom
    statutory = kids[2] + kids[3] + lac
    capacity = statutory * sc.workforce.caseload_headroom
    caseload = statutory

    start_stocks = {
        "UNIVERSAL": kids[0],
        "EARLY_HELP": kids[1],
        "CIN": kids[2],
        "CP": kids[3],
        "LAC": lac,
        "early_help_families": eh_fams0,
    }

    # ---- constants of the month
    init_need = np.asarray(sc.need.initial_need_shares, dtype=float)
    move_p = PV[kn.P_MOVE_P]
    existing_births = PV[kn.P_EXISTING_BIRTH_SHARE]
    place = np.vstack([np.asarray(care.placement_shares_by_age), care.uasc_placement_shares])
    uasc_age = np.asarray(pop.uasc_age_shares, dtype=float)
    after_rh = int(care.after_return_home_need)

    cols = _monthly_columns()
    ci = {c: i for i, c in enumerate(cols)}
    FLOWS = np.zeros((T, 7, 7))
    CNT = np.zeros((T, len(COUNTERS)))
    TL = np.zeros((T, N_TL))
    LAC_STOCK = np.zeros(T)
    LACP = np.zeros((T, 5))
    PLACES = np.zeros(T)
    entries_log = np.zeros((T, N_BANDS, 3))  # care entries (not UASC) by month, age band, route
    uasc_log = np.zeros(T)
    with_lac = np.zeros(T)
    shells = np.stack([held_d[0], np.zeros(ND)])  # families with no one at home (see _run_months)
    # community hubs (policies/community_hubs.py): where, when, and their effect as trust builds
    hubs = sc.levers.community_hubs
    y0 = sc.run.start_year
    hub_open = np.array(
        [
            burn + month_index(dt, y0, f"levers.community_hubs.opening_dates[{i}]")
            for i, dt in enumerate(hubs.opening_dates)
        ],
        dtype=np.int64,
    )
    # families at home by decile at the start (a group's families split by its deciles' shares)
    fams_dec = np.repeat(F.sum(axis=(0, 1, 3, 4, 5)) / np.maximum(dec_sh, 1e-300), DECILES_PER_GROUP) * dec10
    if hubs.deciles:
        hub_dec = np.array([d - 1 for d in hubs.deciles], dtype=np.int64)
    else:
        hub_dec = np.array(hub_deciles(fams_dec, len(hub_open), hubs.catchment_families), dtype=np.int64)
    hub_dsh = dec10[hub_dec] / np.maximum(dec_sh[hub_dec // DECILES_PER_GROUP], 1e-300)
    HUBM = np.zeros((T, len(hub_open), 3))
    for i, t0 in enumerate(hub_open):
        for t in range(t0, T):
            tr = hub_trust(t - t0, hubs.months_to_half_trust)
            HUBM[t, i] = (
                1.0 - hubs.adverse_reduction * tr,
                1.0 + hubs.identification_boost * tr,
                1.0 - hubs.rereferral_reduction * tr,
            )
    _run_months(
        F,
        DP,
        DR,
        DY,
        PEND,
        PEND_RH,
        LOUT,
        shells,
        PV,
        dep_g,
        np.ascontiguousarray(risk, dtype=float),
        elast,
        np.ascontiguousarray(eh_factor, dtype=float),
        float(eh_places0),
        float(capacity),
        float(caseload),
        float(lac),
        lac_prow,
        float(uasc_in_care),
        burn,
        sc.run.years,
        target,
        float(pop.growth_per_year),
        np.stack(Kb2_y),
        np.stack(KbRH_y),
        Q,
        sel_w,
        float(adv_mean),
        init_need,
        float(move_p),
        float(existing_births),
        uasc_age,
        np.ascontiguousarray(dec_sh),
        float(pop.uasc_starts_per_10k),
        np.asarray(uasc_path, dtype=float),
        after_rh,
        eh_extra,
        reach,
        1.0 - prev.adverse_reduction,
        1.0 + prev.identification_boost,
        hub_open,
        hub_dec,
        hub_dsh,
        HUBM,
        float(hubs.catchment_families),
        FLOWS,
        CNT,
        TL,
        LAC_STOCK,
        LACP,
        PLACES,
        entries_log,
        uasc_log,
        with_lac,
    )
    # 7. record
    rows = np.zeros((T, len(cols)))
    m = np.arange(T) - burn
    rows[:, ci["month"]] = m
    rows[:, ci["reporting_year"]] = np.where(m >= 0, sc.run.start_year + 1 + m // 12, -1)
    rows[:, ci["calendar_month"]] = (3 + m) % 12 + 1
    rows[:, ci["child_population"]] = TL[:, :NS].sum(axis=1) + LAC_STOCK
    rows[:, ci["families"]] = TL[:, NS : 2 * NS].sum(axis=1)
    for s_ in State:
        rows[:, ci[f"children_{s_.name}"]] = LAC_STOCK if s_ == State.LAC else TL[:, int(s_)]
        if s_ != State.LAC:
            rows[:, ci[f"families_{s_.name}"]] = TL[:, NS + int(s_)]
    rows[:, ci["unmet_high_need"]] = TL[:, TL_UNMET]
    rows[:, ci["families_with_child_in_care"]] = with_lac
    place_stock = LACP @ place
    for pl in Placement:
        if pl != Placement.NONE:
            rows[:, ci[f"lac_{pl.name}"]] = place_stock[:, int(pl)]
    rows[:, [ci[name] for name in COUNTERS]] = CNT
    # not in this view (NaN, never a zero): hidden need (no record of when a family was last
    # referred) and re-referrals within 12 months of the last referral (the clock here is
    # the months since a case closed)
    rows[:, ci["hidden_high_need"]] = np.nan
    rows[:, ci["re_referrals_within_12_months"]] = np.nan
    rows[:, [ci[f"flow_{a}_{b}"] for a in _FLOW for b in _FLOW]] = FLOWS.reshape(T, len(_FLOW) ** 2)
    rows[:, ci["risk_index"]] = risk[:T]
    rows[:, ci["early_help_places"]] = PLACES
    rows[:, ci["caseload_pressure"]] = (TL[:, CIN] + TL[:, CP] + LAC_STOCK) / capacity
    monthly = pd.DataFrame(rows, columns=cols)
    monthly = monthly[monthly["month"] >= 0].reset_index(drop=True)
    monthly = monthly.astype({"month": int, "reporting_year": int, "calendar_month": int})
    annual_t = annual_from_monthly(monthly) if annual else pd.DataFrame()
    if annual:  # a year's sum of NaN months would read as none
        annual_t[list(NOT_COMPUTED_ANNUAL)] = np.nan
    meta = {
        "scenario": sc.name,
        "view": "aggregate",
        "start_year": sc.run.start_year,
        "years": sc.run.years,
        "levers_not_modelled": levers_not_modelled(sc),
        "start_stocks": start_stocks,
        "care_entries": entries_log,
        "uasc_entries": uasc_log,
        "start_lac_by_band": lac_bd.sum(axis=1),
        "start_uasc": uasc_stock,
        "route_shares": route_sh,
    }
    for df in (annual_t, monthly):
        if not df.empty:
            df["scenario"] = sc.name
            df["view"] = "aggregate"
    return AggregateResults(annual_t, monthly, meta)


_FLOW = [s.name for s in State] + ["IN", "OUT"]
NOT_COMPUTED_ANNUAL = ("re_referrals_within_12_months", "re_referral_rate", "hidden_high_need_31_march")


def _monthly_columns() -> list[str]:
    from simulator.model import CSCModel

    return CSCModel.monthly_columns()
