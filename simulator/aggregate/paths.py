"""A family's expected path through services (for children returning home to brothers and sisters)."""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.groups import (
    CIN,
    CP,
    EH,
    FASTMATH,
    HORIZON,
    ND,
    NN,
    NS,
    RECENT_STAGES,
    W_OLD,
    U,
    guard,
)
from simulator.aggregate.month import _outcomes

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


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


def _family_paths(
    PV: np.ndarray,
    dep: np.ndarray,
    adv_mean: float,
    states: tuple[int, ...] = tuple(range(NS)),
    months: int = HORIZON,
) -> np.ndarray:
    """:func:`_family_path` from each of ``states`` (``[state, group, x, need, state']``), read-only.

    Cached: the same for every run of a scenario.
    """
    return _family_paths_cached(PV.tobytes(), dep.tobytes(), float(adv_mean), states, months)


@functools.lru_cache(maxsize=16)
def _family_paths_cached(
    pv: bytes, dep: bytes, adv_mean: float, states: tuple[int, ...], months: int
) -> np.ndarray:
    PV, dep_g = np.frombuffer(pv), np.frombuffer(dep)
    S = np.stack([_family_path(PV, dep_g, adv_mean, st, months) for st in states])
    S.setflags(write=False)
    return S


def _family_path(
    PV: np.ndarray, dep: np.ndarray, adv_mean: float, state: int, months: int = HORIZON
) -> np.ndarray:
    """Service state of a family with children at home while one of its children is in care.

    ``S[group, x, need, state']``: the chance that a family which was in ``state`` with ``need``
    when its child entered care (CIN or CP; any state for the start's children in care) is in
    ``state'`` ``x`` months on (``x < months``), when the child may come home. The family has
    earlier involvement and meets the month's competing hazards as in :func:`_month`
    (:func:`_family_month`), with the rates of the first month (its risk-aversion index; no
    caseload pressure), no contextual harm, and offers of early help taken. Its protection plan
    is reviewed as a monthly chance (``1 - (1 - end) ** (1 / interval)``, the first review
    included); a case closed to universal services is recent (re-referral likelier) for
    ``RECENT_STAGES`` stages of ``W_OLD`` months in all on average, in place of the kernel's
    ``W_OLD`` months exactly.
    """
    NR = 1 + RECENT_STAGES  # recency: 0 not recent, 1.. stages since a closure
    NF = NS * NR * NN
    st_cp, interval = PV[kn.P_CP_STEPDOWN], PV[kn.P_CP_INTERVAL]
    move_on = RECENT_STAGES / W_OLD  # monthly chance of the next recency stage
    S = np.zeros((ND, months, NN, NS))
    R = np.eye(NF)  # protection plans reviewed
    C = np.eye(NF)  # recency stages move on
    for r in range(NR):
        for n in range(NN):
            i = (3 * NR + r) * NN + n
            lam = 1.0 - (1.0 - PV[kn.V_CP_END + n]) ** (1.0 / interval)
            R[i, i] = 1.0 - lam
            R[i, (2 * NR + 1) * NN + n] = lam * st_cp  # stepped down: recent (kernel set_state)
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
        for x in range(months):
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

    # a family reaching CIN from universal services or early help has no step-down to count from
    # (kernel set_state): recency 0; a CIN family keeps its own
    r_cin = r if s == CIN else 0

    def section47(v: float) -> None:
        # an emergency entry: CIN unless on a plan
        if s == CP:
            out[CP, r, n] += v * p_em
        else:
            out[CIN, r_cin, n] += v * p_em
        out[CP, r, n] += v * p_conf * (plan if s != CP else 1.0)
        if s != CP:
            out[CIN, r_cin, n] += v * p_conf * (1.0 - plan)
        rest = v * (1.0 - p_em - p_conf)
        if s <= EH:
            out[CIN, 0, n] += rest * q47
            out[s, r, n] += rest * (1.0 - q47)
        else:
            out[s, r, n] += rest

    rt = PV[kn.V_BASE + (s * 4 + n) * 7 : kn.V_BASE + (s * 4 + n + 1) * 7].copy()
    rt[kn.ADVERSE] = rt[kn.ADVERSE] * adv_mult * PV[kn.P_PRIOR_ADV] if n < 3 else 0.0
    rt[2] *= PV[kn.P_RA_REF] * PV[kn.P_PRIOR_REF] * (PV[kn.P_REREF_MULT] if r > 0 else 1.0)
    rt[5] = kn.section47_hazard(PV, rt[5], s, r > 0)
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
    out[CIN, r_cin, n] += ua * p_cin * sc  # (from a protection plan too, as _month)
    out[EH if s == U else s, r, n] += ua * p_eh * sc
    out[EH, r, n] += u[3]  # identified for early help
    if s == EH:  # the case closes
        out[U, 1, n] += u[4]
    elif s == CIN:
        out[EH, r, n] += u[4] * st_cin
        out[U, 1, n] += u[4] * (1.0 - st_cin)
    section47(u[5])


@njit(cache=True, fastmath=FASTMATH)
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
