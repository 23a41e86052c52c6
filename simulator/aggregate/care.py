"""Children in care in expectation: exit plans, who enters care, their families, returns home."""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.groups import (
    AD,
    AGE_18,
    BAND_EDGES,
    BAND_PROW,
    C_INF,
    CIN,
    CP,
    FASTMATH,
    HORIZON,
    J_EDGES,
    LAC,
    N_BANDS,
    N_ORIGINS,
    N_REASONS,
    NA,
    NC,
    ND,
    NH,
    NJ,
    NN,
    NS,
    NW,
    OTH,
    P_LAC,
    RH,
    SG,
    T18,
    W_OLD,
    U,
    guard,
)

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


# -- exit plans in expectation ---------------------------------------------------------------


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    v = np.vectorize(lambda z: 0.5 * (1.0 + erf(z / sqrt(2.0))))
    return v(x)


def duration_pmf(median: float, sigma: float, n: int, shift: float = 0.0) -> np.ndarray:
    """P(months = d) for d = 0..n-1 of ``max(1, round(median * exp(sigma * Z) + shift))``.

    The last entry holds the tail (d >= n-1). ``shift``: months the court's timetable adds or
    saves (kernel ``plan_exit``).
    """
    edges = np.log(np.maximum(np.arange(n) + 0.5 - shift, 1e-300)) - math.log(median)
    cdf = _norm_cdf(edges / sigma)
    pmf = np.zeros(n)
    pmf[1] = cdf[1]  # rounds to 0 or 1 -> 1
    pmf[2 : n - 1] = np.diff(cdf[1 : n - 1])
    pmf[n - 1] = 1.0 - cdf[n - 2]
    return pmf


def plan_probabilities(PV: np.ndarray, age: np.ndarray, route: int) -> np.ndarray:
    """Share of plans by kind for entrants aged ``age`` months (kernel ``exit_plan_shares``).

    Returns an array (ages, N_KINDS): return home (short), return home (order), adoption,
    special guardianship, another way, long-run return/SGO (under 10), stay to 18. The shares
    are the kernel's own compiled rule, evaluated for each age.
    """
    age = np.asarray(age)
    out = np.zeros((age.size, N_KINDS))
    for i, a in enumerate(age):
        rh, ad, sgo, oth, longrun, stay = kn.exit_plan_shares(PV, int(a), route)
        out[i, 1 if route == kn.RT_ORDER else 0] = rh
        out[i, 2:] = ad, sgo, oth, longrun, stay
    return out


#: Kinds of plan: return home (s20/emergency), return home (order), adoption, special
#: guardianship, another way, long-run (half return home, half SGO), stay to 18 (no duration).
N_KINDS = 7
LONG_RUN, STAY = 5, 6
#: each timed kind's exit reason (the long-run kind splits RH/SGO 50/50)
_KIND_REASON = (RH, RH, AD, SG, OTH)


def _plan_pmfs(PV: np.ndarray, n: int) -> np.ndarray:
    """Duration pmfs of the six timed kinds (medians: ``care.median_months`` and the other exits')."""
    medians = (*PV[kn.V_MED : kn.V_MED + 4], PV[kn.P_OTHER_MEDIAN], PV[kn.V_MED + 4])
    # adoption has its own spread (kernel plan_exit); the long-run kind's reasons are RH and SG
    reasons = (*_KIND_REASON, RH)
    sigmas = [PV[kn.P_ADOPT_SIGMA] if r == AD else PV[kn.P_SIGMA] for r in reasons]
    # adoption and special guardianship plans wait on the court's timetable (kernel plan_exit)
    shifts = [PV[kn.P_COURT_SHIFT] if r in (AD, SG) else 0.0 for r in reasons]
    return np.array([duration_pmf(m, s, n, c) for m, s, c in zip(medians, sigmas, shifts, strict=True)])


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
        PV[kn.P_OTHER_EXIT],
        PV[kn.P_OTHER_MEDIAN],
        PV[kn.P_OTHER_MIN_AGE],
        PV[kn.P_ADOPT_SIGMA],
        PV[kn.P_ADOPT_INFANT],
        PV[kn.P_COURT_SHIFT],
    )


def _infant_orders(K: np.ndarray, share: float) -> np.ndarray:
    """Infants (under 1) entering other than in an emergency are mostly under care orders.

    Kernel ``admit``: a voluntary (s20) entry under age 1 becomes a care order with
    probability ``care.infant_care_order_share``, so its exit plan is a care order's.
    """
    K = K.copy()
    K[:12, 0] = (1.0 - share) * K[:12, 0] + share * K[:12, 1]
    return K


#: The view's exit reasons (``RH, AD, SG, T18, OTH``) as the kernel's end reasons.
_REASON_CODES = (kn.R_RETURNED_HOME, kn.R_ADOPTED, kn.R_SGO, kn.R_TURNED_18, kn.R_OTHER)
#: The reason recorded when a timed kind's plan outlasts childhood and ends on the 18th birthday:
#: the kernel's rule (``reason_at_18``) for the routes the kernels cover (not UASC); the long-run
#: kind's reasons (return home, SGO) turn 18.
_AT_18 = tuple(_REASON_CODES.index(kn.reason_at_18(_REASON_CODES[r], kn.RT_S20)) for r in (*_KIND_REASON, RH))


def stays_voluntary(ages: np.ndarray, to_18: bool = False) -> np.ndarray:
    """``mask[a, reason]``: a voluntary (s20) entry at age ``a`` months with this exit stays so.

    The kernel's own rule (``legal_status_at_entry``), for each age and reason, for exits before
    the 18th birthday or (``to_18``) on it.
    """
    return np.array(
        [
            [kn.legal_status_at_entry(kn.RT_S20, c, int(a), to_18) == kn.LS_S20 for c in _REASON_CODES]
            for a in ages
        ]
    )


def s20_part(K: np.ndarray, share: float) -> np.ndarray:
    """The voluntary route's exits that stay under section 20: ``(age, offset)``.

    From ``K[age, route, offset, reason]``, less the infants brought under an order at entry
    (:func:`_infant_orders`). An exit ``216 - age`` months on is on the 18th birthday.
    """
    ages = np.arange(K.shape[0])
    part = K[:, kn.RT_S20] * stays_voluntary(ages)[:, None, :]
    part[ages, 216 - ages] = K[ages, kn.RT_S20, 216 - ages] * stays_voluntary(ages, to_18=True)
    part[:12] *= 1.0 - share
    return part.sum(axis=2)


@functools.lru_cache(maxsize=256)
def _entry_kernels(key: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Band-averaged exits of new entries (:func:`exit_kernel`) for a :func:`_care_key`.

    With the part of them that stays under section 20 (:func:`s20_part`).
    """
    K = exit_kernel(_key_pv(key))
    return band_average(_infant_orders(K, key[11])), band_average(s20_part(K, key[11]))


@functools.lru_cache(maxsize=32)
def _start_kernels(key: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The same for the starting stock (:func:`initial_exit_kernel`).

    Its legal status is set by its age at the start.
    """
    R = initial_exit_kernel(_key_pv(key))
    return band_average(_infant_orders(R, key[11])), band_average(s20_part(R, key[11]))


def _entry_kernel(key: tuple[float, ...]) -> np.ndarray:
    """Band-averaged exits of new entries for a :func:`_care_key`."""
    return _entry_kernels(key)[0]


def _start_kernel(key: tuple[float, ...]) -> np.ndarray:
    """Band-averaged exits of the starting stock for a :func:`_care_key`."""
    return _start_kernels(key)[0]


def _kernels(key: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Both: exits of new entries and of the starting stock (used by ``simulator.calibrate``)."""
    return _entry_kernel(key), _start_kernel(key)


def _key_pv(key: tuple[float, ...]) -> np.ndarray:
    PV = np.zeros(kn.N_PV)
    PV[kn.V_RH : kn.V_RH + 3] = key[0:3]
    PV[kn.V_MED : kn.V_MED + 5] = key[3:8]
    PV[kn.P_ADOPT_U5], PV[kn.P_SGO], PV[kn.P_SIGMA] = key[8:11]
    PV[kn.P_OTHER_EXIT], PV[kn.P_OTHER_MEDIAN], PV[kn.P_OTHER_MIN_AGE] = key[12:15]
    PV[kn.P_ADOPT_SIGMA] = key[15]
    PV[kn.P_ADOPT_INFANT] = key[16]
    PV[kn.P_COURT_SHIFT] = key[17]
    return PV


def exit_kernel(PV: np.ndarray) -> np.ndarray:
    """Planned exits of a care entry: ``K[age_month, route, offset, reason]`` (routes s20, order, emergency).

    ``offset`` is months from entry to the exit (1..216); a plan that would run past
    the 18th birthday ends then, as turning 18 (a plan to leave another way keeps its reason).
    """
    ages = np.arange(216)
    pmfs = _plan_pmfs(PV, HORIZON + 1)  # (6, 218)
    K = np.zeros((216, 3, HORIZON, N_REASONS))
    for route in range(3):
        plans = plan_probabilities(PV, ages, route)
        for a in range(216):
            left = 216 - a  # months to the 18th birthday
            for kind in range(STAY):
                p = plans[a, kind]
                if p <= 0:
                    continue
                pmf = pmfs[kind]
                before = pmf[:left] * p  # months < left: exits as planned
                if kind == LONG_RUN:
                    K[a, route, :left, RH] += 0.5 * before
                    K[a, route, :left, SG] += 0.5 * before
                else:
                    K[a, route, :left, _KIND_REASON[kind]] += before
                K[a, route, left, _AT_18[kind]] += p * pmf[left:].sum()
            K[a, route, left, T18] += plans[a, STAY]
    return K


def initial_exit_kernel(PV: np.ndarray) -> np.ndarray:
    """Remaining time of children already in care at the start: ``R[age, route, offset, reason]``.

    Mirrors the kernel's equilibrium start (``admit`` with ``elapsed``): a virtual entry
    ``e ~ U{0..min(age, 180)}`` months ago, kept only if its plan outlasts ``e`` (the
    kernel redraws both until it does).
    """
    n = 400
    pmfs = _plan_pmfs(PV, n)
    cums = np.concatenate([np.zeros((STAY, 1)), np.cumsum(pmfs, axis=1)], axis=1)  # cums[k, j] = P(d < j)
    R = np.zeros((216, 3, HORIZON, N_REASONS))
    for route in range(3):
        for A in range(216):
            E = min(A, 180)
            left = 216 - A
            x = np.arange(1, left)
            acc = np.zeros((HORIZON, N_REASONS))
            # entry age A - e decides the plan (kernel exit_plan_shares: a baby's adoption share,
            # adoption under 5, the long-run routes under 10, and the youngest age for an exit
            # another way): constant over e in [lo, hi]
            thr = math.ceil(PV[kn.P_OTHER_MIN_AGE])
            edges = (kn.AGE_1, kn.AGE_5, kn.AGE_10, thr)
            cuts = sorted({0, E + 1, *[A - c + 1 for c in edges if 0 < A - c + 1 <= E]})
            for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):  # e in lo..hi-1
                plans = plan_probabilities(PV, np.array([A - lo]), route)[0]
                for kind in range(STAY):
                    p = plans[kind]
                    if p <= 0:
                        continue
                    c = cums[kind]
                    # sum over e of P(d = e + x) = P(d < hi + x) - P(d < lo + x)
                    planned = p * (c[np.minimum(hi + x, n)] - c[np.minimum(lo + x, n)])
                    tail = p * ((hi - lo) - (c[np.minimum(np.arange(lo, hi) + left, n)]).sum())
                    if kind == LONG_RUN:
                        acc[1:left, RH] += 0.5 * planned
                        acc[1:left, SG] += 0.5 * planned
                    else:
                        acc[1:left, _KIND_REASON[kind]] += planned
                    acc[left, _AT_18[kind]] += tail
                acc[left, T18] += plans[STAY] * (hi - lo)
            tot = acc.sum()
            if tot > 0:
                R[A, route] = acc / tot
    return R


def uasc_exit_table(PV: np.ndarray) -> np.ndarray:
    """Exits of an unaccompanied child arriving at 15y0m-17y11m: ``U[age - 180, offset, 0 or 1]``.

    Index 0 of the last axis: leaving another way ``offset`` months after arriving (kernel
    ``exit_plan_shares`` for the UASC route, ``care.uasc_other_exit_share``, after
    ``care.uasc_other_exit_median_months``); 1: turning 18. Each age's row sums to 1.
    """
    pmf = duration_pmf(PV[kn.P_UASC_MEDIAN], PV[kn.P_SIGMA], HORIZON + 1)
    U = np.zeros((36, 37, 2))
    for i in range(36):
        a = 180 + i
        left = 216 - a
        _rh, _ad, _sgo, oth, _lr, stay = kn.exit_plan_shares(PV, a, kn.RT_UASC)
        U[i, :left, 0] = oth * pmf[:left]
        U[i, left, 1] = stay + oth * pmf[left:].sum()
    return U


def uasc_exits(PV: np.ndarray, age_shares: np.ndarray | None = None) -> np.ndarray:
    """Exits of unaccompanied children by months after arriving: ``X[offset, 0 or 1]`` (sums to 1).

    ``age_shares`` (``population.uasc_age_shares``: aged 15, 16, 17) spreads arrivals evenly over
    the months of each year of age; ``None``: evenly over 15y0m-17y11m, as the starting stock.
    The last axis as :func:`uasc_exit_table`: another way, turning 18.
    """
    if age_shares is None:
        weights = np.full(36, 1.0 / 36)
    else:
        weights = np.repeat(np.asarray(age_shares, dtype=float), 12) / 12
    return np.tensordot(weights, uasc_exit_table(PV), axes=1)


def band_average(K: np.ndarray) -> np.ndarray:
    """Average an age-by-month kernel over the ages in each band (ages uniform within a band)."""
    return np.stack([K[BAND_EDGES[b] : BAND_EDGES[b + 1]].mean(axis=0) for b in range(N_BANDS)])


_FACT = np.array([float(math.factorial(i)) for i in range(NH + 1)])
assert N_BANDS == 5, "entrant_bands_by_composition enumerates five age bands"


@njit(cache=True, fastmath=FASTMATH)
def entrant_bands_by_composition(sel_w, p_old, p_oth):
    """Age bands of the index child and of siblings entering care, by composition.

    ``p_old[c]``, ``p_oth[c]``: age bands of a family's oldest child at home and of its other
    children (taken as independent). The index child is picked in proportion to the selection
    weights (kernel ``enter_care``). Returns ``(index[c, band], sibling[c, band])``. The others'
    bands are taken as how many fall in each band (multinomial), not in order: 126 cases for five
    others, not 3,125.
    """
    idx = np.zeros((NC, N_BANDS))
    sib = np.zeros((NC, N_BANDS))
    k = np.zeros(N_BANDS, np.int64)
    for c in range(NC):
        h = c % NH
        if h == 0:
            continue
        m = h - 1  # the others
        for o in range(N_BANDS):
            po = p_old[c, o]
            if po <= 0.0:
                continue
            for k0 in range(m + 1):
                for k1 in range(m - k0 + 1):
                    for k2 in range(m - k0 - k1 + 1):
                        for k3 in range(m - k0 - k1 - k2 + 1):
                            k[0], k[1], k[2], k[3] = k0, k1, k2, k3
                            k[4] = m - k0 - k1 - k2 - k3
                            wgt = po * _FACT[m]
                            tot_w = sel_w[o]
                            for b in range(N_BANDS):
                                wgt *= p_oth[c, b] ** k[b] / _FACT[k[b]]
                                tot_w += k[b] * sel_w[b]
                            if wgt <= 0.0 or tot_w <= 0.0:
                                continue
                            for b in range(N_BANDS):
                                kb = k[b] + (1 if b == o else 0)
                                if kb > 0:
                                    idx[c, b] += wgt * kb * sel_w[b] / tot_w
        if h > 1:
            for b in range(N_BANDS):
                sib[c, b] = (p_old[c, b] + (h - 1) * p_oth[c, b] - idx[c, b]) / (h - 1)
    return idx, sib


@njit(cache=True, fastmath=FASTMATH)
def class_care_tables(PV, sel_w, p_old, p_oth, phi, kept, CT):
    """:func:`care_tables` for each class of family with a care entry: ``CT[need * N_ORIGINS + origin]``.

    A family's infants are its babies not removed at or after birth (kernel
    ``removal_at_birth_probability``, ``removal_after_birth_probability``: by the family's state,
    need and whether a child is in care now), so families whose babies are often removed have
    fewer of them at home than the area's families of their size (the age chains' shares,
    ``p_oth``, of babies kept ``kept`` of the time): each class's share of infants among the
    younger children is ``p_oth``'s times its own babies kept over ``kept``. Origins as
    ``_expand_care`` (state U/EH, CIN, CP; plus 3 with a child in care now); a U/EH family's
    babies are removed as a universal family's. The counts of entrants are the same in every class.
    """
    scaled = np.empty_like(p_oth)
    last_r = -1.0
    for n in range(NN):
        for oi in range(N_ORIGINS):
            cls = n * N_ORIGINS + oi
            s = CP if oi % 3 == 2 else (CIN if oi % 3 == 1 else U)
            lac = oi >= 3
            q = kn.removal_at_birth_probability(PV, s, n, lac)
            r = (1.0 - q - kn.removal_after_birth_probability(PV, s, n, lac, q)) / kept
            if cls > 0 and r == last_r:
                CT[cls] = CT[cls - 1]
                continue
            last_r = r
            for c in range(NC):
                p0 = p_oth[c, 0]
                p0n = min(p0 * r, 1.0)
                f = (1.0 - p0n) / (1.0 - p0) if p0 < 1.0 else 0.0
                scaled[c, 0] = p0n
                for b in range(1, N_BANDS):
                    scaled[c, b] = p_oth[c, b] * f
            idx_b, sib_b = entrant_bands_by_composition(sel_w, p_old, scaled)
            CT[cls] = care_tables(PV[kn.P_SIB_JOIN], idx_b, sib_b)
            split_infants(CT[cls], p_old, phi)


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
def _comb(n, k):
    x = 1
    for i in range(k):
        x = x * (n - i) // (i + 1)
    return x


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
def split_infants(CT, p_old, phi):
    """One-child families (the child under 12) as two rows of ``CT``: an infant, and a child of 1-11.

    Row ``C_INF`` has the infant, row 1 the older child (the bands of ``p_old[1]`` but the first,
    rescaled). Writes ``phi[1]``: the infant share among all one-child families under 12 (the one
    the view used for every such family before), kept for those with a child in care already.
    """
    p0 = p_old[1, 0]
    CT[C_INF, :] = CT[1, :]
    for b in range(N_BANDS):
        CT[C_INF, CT_EMPTY + b] = 1.0 if b == 0 else 0.0
        if p0 < 1.0:
            CT[1, CT_EMPTY + b] = 0.0 if b == 0 else p_old[1, b] / (1.0 - p0)
    phi[1, :, :] = p0


@njit(cache=True, fastmath=FASTMATH)
def _expand_care(F2, ENT, AE, AH, CT, FAMS, FK):
    """Spread the care entries gathered by :func:`_month` (in place).

    ``AE[route, decile, need, origin, composition]``: families with a care entry, by origin (their
    state: U or EH, CIN, CP; plus 3 for a family that already has a child in care; ``CT`` by need
    and origin: :func:`class_care_tables`); ``AH[state, need, decile, clock,
    composition]``: the same families by the state they keep with children left at home.
    Entrants by age band go to ``ENT``; the families left at home, with fewer children and a
    child in care, to ``F2``. ``FAMS[decile]`` counts the families that had no child in care
    before: ``FAMS[0]`` those with none left at home, ``FAMS[1]`` those with children at home;
    ``FAMS[2]`` counts families that had a child in care and now have no one at home, and
    ``FAMS[3]`` all the families that had a child in care (their hold lengthened:
    :func:`extend_holds`). ``FK[kind, k]``: the families of ``FAMS[0]`` (kind 0), ``FAMS[1]`` (1)
    and ``FAMS[3]`` (2) by children entering.
    """
    for route in range(3):
        for d in range(ND):
            for n in range(NN):
                for oi in range(N_ORIGINS):
                    # origin of the family's path while the child is away: no service (all
                    # children in care), or the service of the siblings still at home (CIN or CP)
                    o = 2 if oi % 3 == 2 else 1
                    T = CT[n * N_ORIGINS + oi]
                    for c in range(NC):
                        x = AE[route, d, n, oi, c]
                        if x == 0.0:
                            continue
                        h = 1 if c == C_INF else c % NH
                        emptied = x * T[c, h]
                        if oi < 3:
                            FAMS[0, d] += emptied
                            FAMS[1, d] += x - emptied
                            FK[0, h] += emptied
                            for k in range(1, h):
                                FK[1, k] += x * T[c, k]
                        else:  # a family that has a child in care already keeps one longer
                            FAMS[2, d] += emptied
                            FAMS[3, d] += x
                            for k in range(1, h + 1):
                                FK[2, k] += x * T[c, k]
                        for b in range(N_BANDS):
                            ENT[b, route, d, n, 0] += x * T[c, CT_EMPTY + b]
                            ENT[b, route, d, n, o] += x * T[c, CT_STAY + b]
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for w in range(NW):
                    for c in range(NC):
                        x = AH[s, n, d, w, c]
                        if x == 0.0:
                            continue
                        for k in range(1, c % NH):
                            F2[s, n, d, P_LAC, w, c - k] += x * CT[0, c, k]


@njit(cache=True, fastmath=FASTMATH)
def _return_home(F, back, after_rh, band1, flows, joined):
    """Children returning home (``back[decile, need or state, origin]``) rejoin their families (in place).

    A child whose brothers and sisters all went into care (origin 0, by the family's need) comes
    back to a family with no one else at home: it opens as CIN (kernel ``care_exit``), its age
    band as a one-child family's (``band1``); the kernel books it from care to universal
    services, then to CIN. Otherwise (origins 1 and 2: siblings at home, by the state the family
    has reached meanwhile, :func:`_family_path`) the child joins a family in that state with
    children at home and a child in care (history ``P_LAC``; failing those, one with earlier
    involvement in that state; failing those, it opens as CIN), one more child at home, its need
    raised to at least ``after_rh``; a family in universal services or early help reopens as CIN
    (kernel ``care_exit``). ``joined[decile, pass, state]``: the share of such families each
    child joined, in the first pass (history ``P_LAC``) and the second (history 1), written so
    that a programme's families can be moved alike (:func:`join_share`).
    """
    joined[:] = 0.0
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
            left[s] = want - _join(F, flows, d, P_LAC, s, want, after_rh, joined[d, 0]) if want > 0.0 else 0.0
        rest = 0.0
        for s in range(NS - 1, -1, -1):  # failing those, families with earlier involvement
            if left[s] > 0.0:
                rest += left[s] - _join(F, flows, d, 1, s, left[s], after_rh, joined[d, 1])
        if rest > 0.0:  # and failing those, a family of its own
            F[CIN, after_rh, d, 1, W_OLD, 1] += rest
            flows[LAC, CIN] += rest


@njit(cache=True, inline="always")
def _join(F, flows, d, p, s, want, after_rh, share):
    """``want`` children join families of group d, history p and state s with room (in place).

    The same share of each such family (``share[s]``, written) gains one child at home
    (:func:`join_share`). Returns the children placed.
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
    share[s] = frac
    join_share(F, flows, d, p, s, frac, after_rh)
    return frac * total


@njit(cache=True, fastmath=FASTMATH)
def join_share(F, flows, d, p, s, frac, after_rh):
    """A share ``frac`` of the families of group d, history p and state s with room gain a child.

    Its need is raised to at least ``after_rh``; universal and early help families reopen as CIN
    (in place).
    """
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
                    # reopened as CIN: not a step-down, no recency (kernel set_state)
                    F[s2, n2, d, p, w if s2 == s else W_OLD, c + 1] += m
                    flows[LAC, s] += m
                    if s2 != s:
                        flows[s, CIN] += m * (c % NH + 1)


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
def _clear_flags(F, due, shells, qd):
    """Families whose child has left care no longer have one (in place).

    ``due[0, decile]``: families that had no one left at home when the child entered care,
    taken from ``shells[0]``; ``due[1, decile]``: families that had children at home then, taken
    from those at home now (history ``P_LAC``, which move to history 1) and from ``shells[1]``,
    such families with no one at home now, in the same share (``qd[decile]``, written).
    """
    qd[:] = 0.0
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
        qd[d] = q
        shells[1, d] *= 1.0 - q
        clear_share(F, d, q)


@njit(cache=True, fastmath=FASTMATH)
def clear_share(F, d, q):
    """A share ``q`` of group d's families with a child in care have it no longer (history 1; in place)."""
    for s in range(NS):
        for n in range(NN):
            for w in range(NW):
                for c in range(NC):
                    m = F[s, n, d, P_LAC, w, c] * q
                    F[s, n, d, P_LAC, w, c] -= m
                    F[s, n, d, 1, w, c] += m


@njit(cache=True, fastmath=FASTMATH)
def extend_holds(LOUT, t, again, pmf):
    """Families with a child in care that have another child enter keep one longer (in place).

    The new entrant is a baby removed at birth or a child entering through the month's hazards.
    Such a family keeps a child in care until the later of its earlier children's exits (its
    release pending in ``LOUT[:, 1, d]``) and the new entrants' (``pmf[x]``: the last of them
    leaves ``x`` months on), taken as independent: ``again[d]`` of group d's pending releases
    move to the later of the two (kernel: a family counts while any child is in care).
    """
    H = pmf.shape[0]
    for d in range(ND):
        r = again[d]
        if r <= 0.0:
            continue
        total = 0.0
        for x in range(1, H):
            total += LOUT[t + x, 1, d]
        if total <= 0.0:
            continue
        share = min(1.0, r / total)
        c_old = 0.0
        c_new = 0.0
        prev = 0.0
        for x in range(1, H):
            old = LOUT[t + x, 1, d]
            c_old += old / total
            c_new += pmf[x]
            cur = c_old * c_new
            LOUT[t + x, 1, d] = old * (1.0 - share) + share * total * (cur - prev)
            prev = cur


@njit(cache=True, fastmath=FASTMATH)
def _schedule_returns(PEND_RH, month, x, ent, Q):
    """Returns home due ``x`` months on (``ent[group, need, origin]``), into ``PEND_RH[month, group, m, o]``.

    ``month`` is ``t + x``; ``o`` the origin. They are booked by the family's need then if no one was left at
    home (origin 0: ``Q[0]``, its need path meanwhile, :func:`_need_drift`), otherwise by the
    service state the family has reached (origins 1 and 2, from CIN and from a protection plan:
    :func:`_family_path`). The axis ``m`` is need for origin 0 and state for the others (both
    four). The children entered during this month's hazards and come home among the scheduled
    events at the start of month ``t + x``, so each path is taken ``x - 1`` months on.
    """
    between = max(x - 1, 0)
    for o in range(3):
        for d in range(ND):
            for n in range(NN):
                v = ent[d, n, o]
                if v == 0.0:
                    continue
                for m in range(NN):
                    PEND_RH[month, d, m, o] += v * Q[o, d, between, n, m]


# -- placements while in care ----------------------------------------------------------------


#: Classes of children in care for their placements: the age band at entry (0-4), then
#: unaccompanied children (:data:`UASC_CLASS`); ``CLASS_ROW``: the row of the placement shares each
#: enters on (kernel ``placement_row``: four age rows, then unaccompanied children).
UASC_CLASS = N_BANDS
N_CLASSES = N_BANDS + 1
CLASS_ROW = np.array([*BAND_PROW, 4])
#: Ages (months) at which each of the four age rows of the placement shares starts and ends.
_ROW_LO = np.array([BAND_EDGES[list(BAND_PROW).index(r)] for r in range(4)], dtype=float)
_ROW_HI = np.append(_ROW_LO[1:], float(AGE_18))
#: Stages of each of the three lower age rows: a child's age now as a path of ``AGE_STAGES``
#: equal steps through each row (the view's approximation of growing older, as the programmes'
#: stages are Erlang paths), then the top row (16-17) and unaccompanied children's row.
AGE_STAGES = 8  # assumption: of 1, 4 and 8 stages, 8 agreed best with the engine (docs/MODEL.md)
N_NOW = 3 * AGE_STAGES + 2
TOP_NOW, UASC_NOW = 3 * AGE_STAGES, 3 * AGE_STAGES + 1
N_PROWS_ALL = 5  # the four age rows and unaccompanied children's
#: ``NOW_ROW[now]``: the row of the placement shares a stage belongs to.
NOW_ROW = np.array([*(r for r in range(3) for _ in range(AGE_STAGES)), 3, 4])
#: ``AGE_UP[now]``: monthly chance of the next stage (none from the top row or for unaccompanied
#: children).
AGE_UP = np.array(
    [1.0 - math.exp(-AGE_STAGES / (_ROW_HI[r] - _ROW_LO[r])) for r in range(3) for _ in range(AGE_STAGES)]
    + [0.0, 0.0]
)


def _class_start() -> np.ndarray:
    """``CLASS_START[class]``: the stage a child of a class starts care on.

    Ages at entry taken as even across the band: the stage leaving as many steps to the next row
    as the mean months left in it (a child who enters at 10-15 has on average 36.5 months to 16:
    two steps of 18).
    """
    out = np.zeros(N_CLASSES, dtype=np.int64)
    for b in range(N_BANDS):
        row = int(BAND_PROW[b])
        if row == 3:
            out[b] = TOP_NOW
            continue
        step = (_ROW_HI[row] - _ROW_LO[row]) / AGE_STAGES
        left = _ROW_HI[row] - 0.5 * (BAND_EDGES[b] + BAND_EDGES[b + 1])
        out[b] = row * AGE_STAGES + AGE_STAGES - min(AGE_STAGES, max(1, round(left / step)))
    out[UASC_CLASS] = UASC_NOW
    return out


CLASS_START = _class_start()


@njit(cache=True, fastmath=FASTMATH)
def placement_entries(PV, lac_pl, cls, n):
    """``n`` children of class ``cls`` start care: their first placements (in place).

    ``lac_pl[class, stage, placement, settled]``: children in care by class (age band at entry, or
    unaccompanied), the stage of their age now (:data:`NOW_ROW`: the view knows a child's age band
    at entry, not its age now; the engine places a child who moves by its age now), their
    placement, and whether it is new (0) or settled (1), which changes its chance of breaking down
    (:func:`kernel.placement_move_probability`).
    """
    now = CLASS_START[cls]
    row = NOW_ROW[now]
    for p in range(lac_pl.shape[2]):
        lac_pl[cls, now, p, 0] += n * kn.placement_share(PV, row, p)


@njit(cache=True, fastmath=FASTMATH)
def placement_aging(lac_pl):
    """A month older: children in care move on a stage of their age (:data:`AGE_UP`), in place."""
    for now in range(TOP_NOW - 1, -1, -1):  # the top first: one stage a month at most
        q = AGE_UP[now]
        for cls in range(N_BANDS):  # unaccompanied children keep their own row
            for p in range(lac_pl.shape[2]):
                for st in range(2):
                    x = lac_pl[cls, now, p, st] * q
                    if x != 0.0:
                        lac_pl[cls, now, p, st] -= x
                        lac_pl[cls, now + 1, p, st] += x


@njit(cache=True, fastmath=FASTMATH)
def _leave_from(lac_pl, pr, lo, hi, n):
    """Up to ``n`` children of entry row ``pr`` leave stages ``[lo, hi)`` in proportion (in place).

    Returns how many left.
    """
    if n <= 0.0:
        return 0.0
    m = 0.0
    for cls in range(N_CLASSES):
        if CLASS_ROW[cls] == pr:
            for now in range(lo, hi):
                m += lac_pl[cls, now].sum()
    if m <= 0.0:
        return 0.0
    f = min(1.0, n / m)
    for cls in range(N_CLASSES):
        if CLASS_ROW[cls] == pr:
            for now in range(lo, hi):
                for p in range(lac_pl.shape[2]):
                    for st in range(2):
                        lac_pl[cls, now, p, st] *= 1.0 - f
    return f * m


@njit(cache=True, fastmath=FASTMATH)
def placement_exits(lac_pl, gone, gone18, gone_young):
    """Children leaving care by the row they entered on, ``gone[row]`` (in place).

    Of them, ``gone18[row]`` turn 18 and leave from the top age row (16-17); ``gone_young[row]`` are
    adopted or leave under special guardianship, which comes early in a stay, and leave from the
    stages of the age row they entered on first. Where the view's ageing has too few in those
    stages, the rest of them, and the children leaving another way, leave each class, stage and
    placement in proportion to it.
    """
    for pr in range(N_PROWS_ALL):
        if gone[pr] <= 0.0:
            continue
        top = TOP_NOW if pr < 4 else UASC_NOW
        taken = _leave_from(lac_pl, pr, top, top + 1, gone18[pr])
        if pr < 3:  # (the top row and unaccompanied children's have one stage, taken above)
            taken += _leave_from(lac_pl, pr, pr * AGE_STAGES, (pr + 1) * AGE_STAGES, gone_young[pr])
        _leave_from(lac_pl, pr, 0, N_NOW, gone[pr] - taken)


@njit(cache=True, fastmath=FASTMATH)
def placement_moves(PV, lac_pl):
    """The month's placement moves, the expectation of :func:`kernel.placement_move` (in place).

    New placements break down at their chance, and of those that do not, a share settles
    (:func:`kernel.months_to_next_move`); a child who moves starts a new placement where children
    of its age now are placed (its stage's row, :func:`placement_aging`). Returns the children who
    moved.
    """
    n_cls, n_rows, n_pl = lac_pl.shape[0], lac_pl.shape[1], lac_pl.shape[2]
    settle = kn.placement_settle_probability(PV)
    moved_in = np.zeros((n_cls, n_rows, n_pl))
    moved = 0.0
    for cls in range(n_cls):
        for now in range(n_rows):
            for p in range(n_pl):
                for settled in range(2):
                    x = lac_pl[cls, now, p, settled]
                    if x <= 0.0:
                        continue
                    q = x * kn.placement_move_probability(PV, p, settled == 0)
                    for to in range(n_pl):
                        moved_in[cls, now, to] += q * kn.move_destination_share(PV, NOW_ROW[now], to)
                    lac_pl[cls, now, p, settled] -= q
                    moved += q
                stay_new = lac_pl[cls, now, p, 0] * settle
                lac_pl[cls, now, p, 0] -= stay_new
                lac_pl[cls, now, p, 1] += stay_new
    for cls in range(n_cls):
        for now in range(n_rows):
            for p in range(n_pl):
                lac_pl[cls, now, p, 0] += moved_in[cls, now, p]
    return moved
