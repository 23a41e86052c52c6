"""Families' life courses: births, 18th birthdays and moves, as the engine's demography."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.groups import (
    AGE_18,
    CP,
    FASTMATH,
    IN,
    J_EDGES,
    J_OF_AGE,
    LAC,
    MAX_START,
    N_PAIRS,
    NA,
    NC,
    ND,
    NH,
    NJ,
    NN,
    NP,
    NS,
    NW,
    OUT,
    P_LAC,
    PAIR,
    TEEN,
    W_OLD,
    U,
    first_history,
    guard,
)
from simulator.aggregate.month import _count, _count_compositions
from simulator.states import AFTER_BIRTH_MONTHS

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


# Complexity (radon D21): moving away and in over every group, a branch per history (families
# with a child in care never move, as in the kernel).
@njit(cache=True, fastmath=FASTMATH)
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
                for p in range(first_history(s), NP):
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
                for p in range(first_history(s), P_LAC):
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


@njit(cache=True, fastmath=FASTMATH)
def _births(F, flows, frac, PV, ENT, FAMS, FK, again, LATER, t, book):
    """A share ``frac`` of families with room gain a newborn (in place); returns (births, removed, later).

    Some newborns are removed at birth (kernel ``removal_at_birth_probability``, by the family's
    state, need and whether a child is in care now): the family keeps its composition and now
    has a child in care (history ``P_LAC``); the baby enters care under a care order, into
    ``ENT`` (under 1, by group, need and origin: 1 a family not on a protection plan, 2 one on a
    plan; a family in universal services or early help is booked as CIN, the state the kernel
    gives it when the baby comes home), and a family with no child in care before is followed
    until the baby leaves (``FAMS[1]``, ``FK[1, 1]``); one with a child in care already is
    counted in ``again[d]`` (:func:`~simulator.aggregate.care.extend_holds`).

    Others are removed later in their first year (kernel ``removal_after_birth_probability``):
    booked (if ``book``: not for a programme's families, counted in ``F`` already) into ``LATER``
    for each of the months after birth (:func:`_later_removals` enters them), by the family's
    state, group, need and history at birth. Until then the family keeps its composition (the
    view does not follow which family holds the baby); the baby counts among the children at
    home in that state (``loop._babies_waiting``).
    """
    born = 0.0
    removed = 0.0
    later = 0.0
    order = kn.RT_ORDER
    share = 1.0 / AFTER_BIRTH_MONTHS
    for s in range(NS):
        born_s = 0.0
        out_s = 0.0
        for n in range(NN):
            for p in range(first_history(s), NP):
                q = kn.removal_at_birth_probability(PV, s, n, p == P_LAC)
                q2 = kn.removal_after_birth_probability(PV, s, n, p == P_LAC, q)
                for d in range(ND):
                    # the group's babies removed at birth and later: booked once, not cell by cell
                    r_d = r2_d = 0.0
                    for w in range(NW):
                        for c in range(NC - 1, -1, -1):  # downwards: a family grown is not grown again
                            if not 1 <= c % NH <= NH - 2:
                                continue
                            g = F[s, n, d, p, w, c] * frac
                            if g > 0.0:
                                r = g * q
                                r2 = g * q2
                                F[s, n, d, p, w, c] -= g
                                F[s, n, d, p, w, c + 1] += g - r - r2
                                F[s, n, d, P_LAC, w, c] += r
                                F[s, n, d, p, w, c] += r2
                                born_s += g
                                r_d += r
                                r2_d += r2
                    if r2_d > 0.0 and book:
                        later += r2_d
                        for o in range(1, AFTER_BIRTH_MONTHS + 1):
                            LATER[t + o, s, d, n, p] += r2_d * share
                    if r_d > 0.0:
                        out_s += r_d
                        ENT[0, order, d, n, 2 if s == CP else 1] += r_d
                        if p != P_LAC:
                            FAMS[1, d] += r_d
                            FK[1, 1] += r_d
                        else:
                            again[d] += r_d
        flows[IN, s] += born_s
        flows[s, LAC] += out_s
        born += born_s
        removed += out_s
    return born, removed, later


@njit(cache=True, fastmath=FASTMATH)
def _new_families(F, flows, new, init_need, dec_sh, PV, ENT, FAMS, FK, LATER, t, newb):
    """``new`` births start families in universal services (in place); returns (removed, later).

    ``newb[need, group]`` gains the families started with the baby at home (their infants are
    followed: :func:`~simulator.aggregate.loop._infant_shares`).

    A family's need and group are drawn as a new family's (kernel ``take_row``); a baby removed
    at birth leaves its family with no one at home (origin 0, by need; ``FAMS[0]``, ``FK[0, 1]``).
    One to be removed later in its first year is booked into ``LATER`` (state ``NS``: a new
    family), its family not among the families at home meanwhile.
    """
    removed = 0.0
    later = 0.0
    order = kn.RT_ORDER
    share = 1.0 / AFTER_BIRTH_MONTHS
    for n in range(NN):
        q = kn.removal_at_birth_probability(PV, U, n, False)
        q2 = kn.removal_after_birth_probability(PV, U, n, False, q)
        for d in range(ND):
            x = new * init_need[n] * dec_sh[d]
            r = x * q
            r2 = x * q2
            F[U, n, d, 0, W_OLD, 1] += x - r - r2
            newb[n, d] += x - r - r2
            if r2 > 0.0:
                later += r2
                for o in range(1, AFTER_BIRTH_MONTHS + 1):
                    LATER[t + o, NS, d, n, 0] += r2 * share
            if r > 0.0:
                ENT[0, order, d, n, 0] += r
                FAMS[0, d] += r
                FK[0, 1] += r
                removed += r
    flows[IN, U] += new
    flows[U, LAC] += removed
    return removed, later


@njit(cache=True, fastmath=FASTMATH)
def _later_removals(LATER_t, F, TG, flows, ENT, FAMS, FK, again):
    """Babies removed this month, later in their first year, as planned at birth; returns how many.

    Booked as removals at birth are (:func:`_births`, :func:`_new_families`), by the family's
    state, group, need and history at birth (``LATER_t[s, d, n, p]``; ``s == NS``: a family the
    birth started, left with no one at home). A family with no child in care before now has one:
    as many families of its state, need and group move to history ``P_LAC``, taken evenly from
    those with its history (the view does not follow the family itself), and a programme's
    families (``TG``, within ``F``) alike.
    """
    order = kn.RT_ORDER
    out = 0.0
    for s in range(NS + 1):
        for d in range(ND):
            for n in range(NN):
                for p in range(NP):
                    x = LATER_t[s, d, n, p]
                    if x == 0.0:
                        continue
                    out += x
                    flows[U if s == NS else s, LAC] += x
                    if s == NS:
                        ENT[0, order, d, n, 0] += x
                        FAMS[0, d] += x
                        FK[0, 1] += x
                        continue
                    ENT[0, order, d, n, 2 if s == CP else 1] += x
                    if p == P_LAC:
                        again[d] += x
                        continue
                    FAMS[1, d] += x
                    FK[1, 1] += x
                    total = 0.0
                    for w in range(NW):
                        for c in range(NC):
                            total += F[s, n, d, p, w, c]
                    if total > 0.0:
                        share = min(x, total) / total
                        _to_history(F, s, n, d, p, share)
                        for k in range(TG.shape[0]):
                            _to_history(TG[k], s, n, d, p, share)
    return out


@njit(cache=True, inline="always")
def _to_history(F, s, n, d, p, share):
    """A share of the families of state s, need n, group d and history p moved to history ``P_LAC``.

    Element by element: numba compiles the same in-place array expressions over two axes to a
    much slower loop, with an array allocated each time.
    """
    for w in range(NW):
        for c in range(NC):
            m = share * F[s, n, d, p, w, c]
            F[s, n, d, p, w, c] -= m
            F[s, n, d, P_LAC, w, c] += m


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
def _oldest(R, Y, t, h, pair, lo, hi):
    """Families of h children whose oldest is aged ``lo``..``hi`` months at month ``t``."""
    x = 0.0
    for a in range(lo, hi + 1):
        ia = (t - a) % NA
        x += Y[1, ia] if h == 1 else R[pair[h, 0], ia]
    return x


# Complexity (radon D25): every composition's birthdays in one compiled pass (pairs of
# next-in-age siblings by birth month), with last month's births into the same rows; the branches
# are the cases of the kernel's demography.
@njit(cache=True, fastmath=FASTMATH)
def _demography_dues(P, R, Y, t, Q, teens, band1, pair, due, skip, xn, C):
    """Last month's births, then birthdays at month ``t`` (in place), and what they mean for each composition.

    ``due``: births of month ``t - 1`` not yet made in the chains (``due[0]`` 1, ``due[1]``
    babies at home, ``due[2]`` the share of them born to families with children:
    :func:`_births_due`); made here, row by row as the birthdays reach each row, so that a
    month's pass over the pair tables does both (the tables are 5.6 MB: each pass streams them).
    ``skip``, ``xn`` and ``C`` are work room.

    Writes ``Q[c, c']`` (a family of composition c, children at home and the oldest's band, becomes
    c': the oldest turns 12, or turns 18 and leaves) and ``teens[c]`` (expected children aged
    12-17 at home after the birthdays). ``Y[1]`` holds one-child families.
    Writes ``band1[j]``: one-child families by their child's band.

    The families whose oldest turns 18 lose that child, and their other children move up a rank
    with their younger siblings: ``C[h, r, a]`` holds such families of h children by the age ``a``
    of their child of rank r. The rows are taken oldest first, all ranks of a row at once: a
    rank's families at age ``a`` come from the rank above at ages ``a`` and older, all done by then.
    """
    tb = t - 1
    births = due[0] > 0.0
    frac = 0.0
    if births:
        frac = _birth_shares(R, Y, tb, due[1], due[2], pair, skip, xn)
        due[0] = 0.0
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
    active = np.zeros(NH, np.bool_)  # sizes with families whose oldest turns 18
    C[:] = 0.0
    row18 = (t - AGE_18) % NA
    for a in range(AGE_18, -1, -1):  # oldest first
        ia = (t - a) % NA
        if births:
            _births_row(P, ia, tb, frac, pair, skip, xn)
        for h in range(NH - 1, 1, -1):
            if a == AGE_18:  # the oldest turn 18: their next children's ages
                k0 = pair[h, 0]
                tot = 0.0
                for g in range(NA):
                    x = P[k0, row18, g]
                    if x > 0.0:
                        C[h, 1, AGE_18 - g] = x
                        tot += x
                        shrink[h, J_OF_AGE[AGE_18 - g]] += x
                    P[k0, row18, g] = 0.0
                R[k0, row18] = 0.0
                active[h] = tot > 0.0
            if not active[h]:
                continue
            # the families' other children move up one rank, with their younger siblings
            for r in range(1, h - 1):
                ca = C[h, r, a]
                if ca <= 0.0:
                    continue
                kr = pair[h, r]
                k_up = pair[h - 1, r - 1]
                m = R[kr, ia]
                if m <= 0.0:
                    continue
                f = min(1.0, ca / m)
                for g in range(a + 1):
                    x = P[kr, ia, g] * f
                    P[kr, ia, g] -= x
                    P[k_up, ia, g] += x
                    C[h, r + 1, a - g] += x
                R[kr, ia] -= f * m
                R[k_up, ia] += f * m
    # the youngest's age in the families that shrank
    for h in range(NH - 1, 1, -1):
        if not active[h]:
            continue
        for a in range(NA):
            x = C[h, h - 1, a]
            if x > 0.0:
                ia = (t - a) % NA
                Y[h, ia] = max(Y[h, ia] - x, 0.0)
                Y[h - 1, ia] += x
    left1 = Y[1, row18]
    # any mass left at 18 (children born the same month) leaves with its family
    for h in range(1, NH):
        Y[h, row18] = 0.0
    for k in range(P.shape[0]):
        R[k, row18] = 0.0
        for g in range(NA):
            P[k, row18, g] = 0.0
    _composition_moves(Q, nj, up, shrink, left1)
    _teens_and_infants(R, Y, t, pair, teens, band1)


@njit(cache=True, fastmath=FASTMATH)
def _composition_moves(Q, nj, up, shrink, left1):
    """``Q[c, c']`` from the month's birthdays (:func:`_demography_dues`).

    ``nj[h, j]``: families of h children by the oldest's band last month; ``up[h, j]``: those whose
    oldest reaches the next band; ``shrink[h, j]``: those whose oldest turned 18, by the new
    oldest's band; ``left1``: one-child families whose child turned 18.
    """
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


@njit(cache=True, fastmath=FASTMATH)
def _teens_and_infants(R, Y, t, pair, teens, band1):
    """``teens[c]``: children aged 12-17 at home per family; ``band1[j]``: one-child families by band.

    Teenagers are at home only in families whose oldest is one (after the month's birthdays).
    """
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


@njit(cache=True, inline="always")
def _births_due(due, born, existing):
    """``born`` babies at home this month (``existing`` of them to families with children), for the chains.

    :func:`_demography_dues` makes them next month, before the birthdays, in the same pass.
    """
    due[0] = 1.0
    due[1] = born
    due[2] = existing


@njit(cache=True, fastmath=FASTMATH)
def _birth_shares(R, Y, t, born, existing, pair, skip, xn):
    """``born`` births at month ``t`` in the chains' row sums and youngest ages (in place); returns the share.

    As the engine places them: a share ``existing`` go to families of 1-5 children (each such
    family gains a newborn with the same chance ``frac``, returned; its row ``t`` modulo 217);
    the rest start new families. The pair tables follow row by row (:func:`_births_row`, from
    ``skip[pair, row]``: the pairs with no families, and ``xn[h, row]``: the new pairs of a
    family of h children's youngest and the newborn).
    """
    elig = 0.0
    for h in range(1, NH - 1):  # families with room for another child
        for a in range(NA):
            elig += Y[h, a]
    frac = min(1.0, existing * born / max(elig, 1e-9))
    new = born - frac * elig
    row0 = t % NA
    g1 = 1.0 - frac
    # a family's pairs move from its size's tables to the next size's; the largest size first,
    # so a pair moved is not moved again
    for ia in range(NA):
        for h in range(NH - 2, 1, -1):
            for r in range(h - 1):
                k = pair[h, r]
                skip[k, ia] = R[k, ia] <= 0.0
                if skip[k, ia]:
                    continue
                k2 = pair[h + 1, r]
                R[k2, ia] += R[k, ia] * frac
                R[k, ia] *= g1
    # the former youngest and the newborn: a new pair (after the moves above, as its table's own
    # pairs have moved on already)
    xn[:] = 0.0
    for h in range(NH - 2, 0, -1):
        nxt = pair[h + 1, h - 1]
        moved = 0.0
        for a in range(AGE_18):
            ia = (t - a) % NA
            x = Y[h, ia] * frac
            if x > 0.0:
                xn[h, ia] = x
                R[nxt, ia] += x
                Y[h, ia] -= x
                moved += x
        Y[h + 1, row0] += moved
    Y[1, row0] += new
    return frac


@njit(cache=True, inline="always")
def _births_row(P, ia, t, frac, pair, skip, xn):
    """Births of month ``t`` in row ``ia`` of the pair tables (:func:`_birth_shares`, in place)."""
    g1 = 1.0 - frac
    age = (t - ia) % NA
    for h in range(NH - 2, 1, -1):
        for r in range(h - 1):
            k = pair[h, r]
            if skip[k, ia]:
                continue
            k2 = pair[h + 1, r]
            for g in range(age + 1):  # the gap is at most the older child's age
                x = P[k, ia, g]
                P[k2, ia, g] += x * frac
                P[k, ia, g] = x * g1
    if age < AGE_18:
        for h in range(NH - 2, 0, -1):
            x = xn[h, ia]
            if x > 0.0:
                P[pair[h + 1, h - 1], ia, age] += x
