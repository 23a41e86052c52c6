"""One month of hazards and the front door for every group (kernel ``family_pass``), rationing, clocks."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.care import CT_KIDS, CT_REST, _expand_care
from simulator.aggregate.groups import (
    C_INF,
    CIN,
    CP,
    EH,
    FASTMATH,
    LAC,
    NC,
    ND,
    NH,
    NN,
    NP,
    NS,
    NW,
    OUT,
    P_LAC,
    TL_ROOM,
    TL_UNMET,
    W_OLD,
    U,
    cp_slots,
    first_history,
    guard,
)
from simulator.states import (
    HIGH_NEED,
)

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


@njit(cache=True, fastmath=FASTMATH)
def _outcomes(PV, n):
    """Chances of the front door's and a section 47 enquiry's outcomes for need ``n``.

    Kernel ``front_door``: early help, CIN, section 47 (``tot``, their sum, scaled by ``sc`` to
    at most 1; the rest: no further action). Kernel ``section47``: an emergency entry to care,
    a conference (the rest: CIN or closed). Returns ``(p_eh, p_cin, p_s47, tot, sc, p_em, p_conf)``.
    """
    p_eh = PV[kn.V_EH_OUT + n]
    p_cin = PV[kn.V_CIN_OUT + n] * PV[kn.P_PRESSURE]
    p_s47 = PV[kn.V_S47_OUT + n] * kn.s47_multiplier(PV)
    tot = p_eh + p_cin + p_s47
    sc = 1.0 / tot if tot > 1.0 else 1.0
    p_em = kn.emergency_given_s47(PV, n)
    p_conf = min(kn.conference_given_s47(PV, n), 1.0 - p_em)
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


# Complexity (radon E40): one compiled pass over every group (state x need x deprivation x history
# x composition x recency), with the kernel's competing hazards and front-door outcomes inline.
# The shares that keep the clock are applied by _keep_clock, inlined at no cost. The front door and
# care entries stay inline: taken out as functions of one group (inlined, arrays passed), each
# cost about a quarter of the month's time more in refcounts (the whole split, 4x; 6 Dec 2026,
# benchmarks/README.md). tests/test_regression.py pins its tables.
@njit(cache=True, fastmath=FASTMATH)
def _month(F, F2, OFR, OFX, PV, ru, lv, wk, flows, cnt):
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
    A one-child family's child (under 12) is an infant with chance ``phi[0, s, d]`` in state s and
    group d, ``phi[1, s, d]`` with a child in care already (:func:`~simulator.aggregate.loop.
    _infant_shares`): its care entry goes to ``AE``'s slot ``C_INF``.
    ``PV``: the rules (a programme's stage has its own); ``ru``, ``lv``, ``wk``: the view's
    :class:`~simulator.aggregate.loop.Rules`, :class:`~simulator.aggregate.loop.LeverPaths` and
    :class:`~simulator.aggregate.loop.Work` (the month's teenagers, lever reach, hubs, infant
    shares and care tables; its care entries ``ENT``, ``AE``, ``AH``, ``FAMS``, ``FK`` and offers
    by state ``offk`` are added to). Returns the families offered early help.
    """
    offk, ENT, CT, teens, AE, AH = wk.offk, wk.ENT, wk.CT, wk.teens, wk.AE, wk.AH
    FAMS, FK, reached, hubs, hub_tot, phi = wk.FAMS, wk.FK, wk.reached, wk.hubs, wk.hub_tot, wk.phi
    dep_g, adv_mean, m_adv, m_id = ru.dep_g, ru.adv_mean, lv.m_adv, lv.m_id
    base = kn.V_BASE
    two = PV[kn.P_TWO_LEVEL]
    a_ref = PV[kn.P_ASSESSED]
    s20 = PV[kn.P_S20_SHARE]
    st_cin = PV[kn.P_CIN_STEPDOWN_EH]
    plan = PV[kn.P_PLAN_GIVEN_CONF]
    q_cin = PV[kn.P_CIN_AFTER_S47]
    w_first = cp_slots(PV)[2]  # a new plan's clock: its first review due
    late = PV[kn.P_CP_FIRST_LATE]  # ... or a month later for this share (kernel first_review_late)
    prior_adv = PV[kn.P_PRIOR_ADV]
    ch_rate = PV[kn.P_CH_RATE]
    ra_ref, ra_care = PV[kn.P_RA_REF], PV[kn.P_RA_CARE]
    reref, prior_ref = PV[kn.P_REREF_MULT], PV[kn.P_PRIOR_REF]
    # counters (COUNTERS 0, 2-6): referrals, assessments, section 47 enquiries, conferences,
    # emergency removals, adverse events
    k0 = k2 = k3 = k4 = k5 = k6 = 0.0
    offers = 0.0
    Msum = np.zeros((2, NC))
    last_total = np.full(2, -1.0)  # the last group's total rate and chance of any event, by recency
    last_p = np.zeros(2)
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
            r6 = PV[i0 + 6] * ra_care
            r5_r = (  # section 47 escalation by recency (not recent, recent)
                kn.section47_hazard(PV, PV[i0 + 5], s, False),
                kn.section47_hazard(PV, PV[i0 + 5], s, True),
            )
            for d in range(ND):
                dep = dep_g[d]
                for p in range(first_history(s), NP):
                    pk = max(p, 1)
                    origin = (2 if s == CP else (1 if s == CIN else 0)) + (3 if p == P_LAC else 0)
                    adv_p = r_adv * prior_adv if p >= 1 else r_adv
                    ref_p = ra_ref * prior_ref if p >= 1 else ra_ref
                    # the group's families by recency and composition, its clocks summed in order
                    Msum[:] = 0.0
                    for w in range(NW):
                        rw = 1 if s <= CIN and w < W_OLD else 0
                        for c in range(NC):
                            x = F[s, n, d, p, w, c]
                            if x > 0.0:
                                Msum[rw, c] += x
                    for c in range(NC):
                        h = c % NH
                        if h == 0:
                            continue
                        g = (s, n, d, p, c)
                        r0 = (adv_p + ch_rate * teens[c]) * dep if n < 3 else 0.0
                        # recency r: closed in the last 12 months (1) or not (0); CP: its clock
                        # is not a closure
                        for r in range(2 if s <= CIN else 1):
                            M = Msum[r, c]
                            if M <= 0.0:
                                OFR[0, s, n, d, p, r, c] = 0.0
                                OFR[1, s, n, d, p, r, c] = 0.0
                                continue
                            Mh = M * h
                            r2 = r2_0 * (ref_p * reref if r == 1 else ref_p)
                            r5 = r5_r[r]  # by recency
                            total = r0 + r1 + r2 + r3 + r4 + r5 + r6
                            if total <= 0.0:
                                stay = 1.0
                                scale = 0.0
                            else:
                                if total != last_total[r]:  # compositions alike (no teenager)
                                    last_total[r] = total  # share a total: one exponential
                                    last_p[r] = 1.0 - math.exp(-total / 12.0)
                                p_any = last_p[r]
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
                                F2[CP, n, d, pk, w_first, c] += u_conf * plan * M * (1.0 - late)
                                if late > 0.0:
                                    F2[CP, n, d, pk, w_first + 1, c] += u_conf * plan * M * late
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
                                if c == 1:  # one child under 12: an infant with chance phi
                                    fi = phi[1 if p == P_LAC else 0, s, d]
                                    AE[kn.RT_EMERGENCY, d, n, origin, C_INF] += u_em * M * fi
                                    AE[kn.RT_S20, d, n, origin, C_INF] += u6 * s20 * M * fi
                                    AE[kn.RT_ORDER, d, n, origin, C_INF] += u6 * (1.0 - s20) * M * fi
                                    Mx = M * (1.0 - fi)
                                else:
                                    Mx = M
                                AE[kn.RT_EMERGENCY, d, n, origin, c] += u_em * Mx
                                AE[kn.RT_S20, d, n, origin, c] += u6 * s20 * Mx
                                AE[kn.RT_ORDER, d, n, origin, c] += u6 * (1.0 - s20) * Mx
                                f4 += e_all * M * CT[0, c, CT_KIDS]
                            h_s = u6
                            h_2 = 0.0
                            if s <= EH:
                                f2 += u_em * M * CT[0, c, CT_REST]
                                h_2 = u_em
                            else:
                                h_s += u_em
                            OFR[0, s, n, d, p, r, c] = a_off
                            OFR[1, s, n, d, p, r, c] = ob
                            offers += a_off * M
                            _keep_clock(F, F2, AH, g, r, (c0, c1, c2, c3, c4, h_s, h_2))
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


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _keep_clock(F, F2, AH, g, r, shares):
    """The shares of a group that keep their clock, applied to each clock's families of recency r.

    ``shares``: staying (``c0``), need up one (``c1``) or two (``c2``), down one (``c3``), onto a
    CIN plan from universal services or early help with no step-down to count from (``c4``; kernel
    ``set_state``), a child into care with the family's state kept (``h_s``) or, an emergency,
    onto a CIN plan not stepped down (``h_2``): those two into ``AH`` (:func:`_expand_care`).
    """
    s, n, d, p, c = g
    c0, c1, c2, c3, c4, h_s, h_2 = shares
    n_up1 = min(3, n + 1)
    n_up2 = min(3, n + 2)
    n_dn = n - 1 if n > 0 else NN - 1
    pk = max(p, 1)
    w_lo = 0 if s == CP or r == 1 else W_OLD  # the clocks with this recency
    w_hi = W_OLD if s <= CIN and r == 1 else NW
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
            F2[CIN, n, d, pk, w if s == CIN else W_OLD, c] += x * c4
        if h_s != 0.0:
            AH[s, n, d, w, c] += x * h_s
        if h_2 != 0.0:
            AH[2, n, d, W_OLD, c] += x * h_2


# Complexity (radon E33): the scheduled events of the kernel (birthdays, plan reviews) over every
# group in one compiled pass, a branch per kind of due.
@njit(cache=True, fastmath=FASTMATH)
def _dues(F, flows, PV, Q, gone):
    """Birthdays (``Q[c, c']``: a family of composition c becomes c') and plan reviews (in place).

    Compositions (children at home, the oldest's band) change as the oldest turns 12 or 18;
    a family whose last child at home turns 18 leaves (``c'`` with no children); ``gone[decile]``
    counts those of them with a child in care.
    """
    left = np.zeros(NC)  # share of a composition's families that leave (no one left at home)
    lost = np.zeros(NC)  # children leaving home per family of a composition
    for c in range(NC):
        h = c % NH
        if h == 0:
            continue
        for c2 in range(NC):
            q = Q[c, c2]
            if q > 0.0:
                lost[c] += q * (h - c2 % NH)
                if c2 % NH == 0:
                    left[c] += q
    # where each composition's families come from this month, as (from, to, share): few, as Q is
    # nearly the identity; listed by c' then c, the order in which each cell's sources are summed
    src_c = np.empty(NC * NC, np.int64)
    src_to = np.empty(NC * NC, np.int64)
    src_q = np.empty(NC * NC)
    n_src = 0
    for c2 in range(NC):
        for c in range(NC):
            if c % NH != 0 and c2 % NH != 0 and Q[c, c2] > 0.0:
                src_c[n_src], src_to[n_src], src_q[n_src] = c, c2, Q[c, c2]
                n_src += 1
    Ff = F.reshape(-1)  # a row's cells by flat index: 6-D indexing here cost 8 us a month more
    row = np.zeros(NC)
    new = np.zeros(NC)
    for s in range(NS):
        kids_out = 0.0
        for n in range(NN):
            for d in range(ND):
                for p in range(first_history(s), NP):
                    for w in range(NW):
                        o = ((((s * NN + n) * ND + d) * NP + p) * NW + w) * NC  # the row's cells
                        any_mass = False
                        for c in range(NC):
                            x = Ff[o + c]
                            if x > 0.0 and c % NH != 0:
                                row[c] = x
                                any_mass = True
                            else:
                                row[c] = 0.0
                        if not any_mass:
                            continue
                        new[:] = 0.0
                        for k in range(n_src):
                            new[src_to[k]] += row[src_c[k]] * src_q[k]
                        for c2 in range(NC):
                            Ff[o + c2] = new[c2]
                        for c in range(NC):
                            m = row[c]
                            if m > 0.0:
                                kids_out += m * lost[c]
                                if p == P_LAC:  # the family leaves (or stays only for a child in care)
                                    gone[d] += m * left[c]
        flows[s, OUT] += kids_out
    # protection plans reviewed this month: those at their first review and those past it
    interval, due1, _new = cp_slots(PV)
    st = PV[kn.P_CP_STEPDOWN]
    for n in range(NN):
        for first in range(2):
            w0 = due1 if first else 0
            pe = kn.review_end_probability(PV, n, first == 1)
            for d in range(ND):
                for p in range(first_history(CP), NP):
                    for c in range(NC):
                        h = c % NH
                        m = F[CP, n, d, p, w0, c]
                        if h == 0 or m <= 0.0:
                            continue
                        F[CP, n, d, p, w0, c] = 0.0
                        F[CP, n, d, p, interval, c] += m * (1.0 - pe)
                        F[CIN, n, d, p, 0, c] += m * pe * st  # stepped down now (kernel set_state)
                        F[U, n, d, p, 0, c] += m * pe * (1.0 - st)
                        flows[CP, CIN] += m * pe * st * h
                        flows[CP, U] += m * pe * (1.0 - st) * h


@njit(cache=True, fastmath=FASTMATH)
def _ration_early_help(F2, F, OFR, OFX, offers, places, tl):
    """Early help offers taken while places last (the same share of every offer); returns it.

    The offers (:func:`_month`: ``offers`` families) are made to the month's starting groups
    ``F``; they join ``F2``. Also counts the families at home then (:func:`_count`, into ``tl``).
    """
    alpha = _ration_share(F2[EH].sum(), offers, places)
    _ration_apply(F2, F, OFR, OFX, alpha, tl)
    return alpha


@njit(cache=True, inline="always")
def _ration_share(in_early_help, offers, places):
    """The share of early help offers taken: all while places last (``in_early_help``: families there)."""
    room = places - in_early_help
    return 1.0 if offers <= 0.0 else min(max(room / offers, 0.0), 1.0)


@njit(cache=True, fastmath=FASTMATH)
def _ration_apply(F2, F, OFR, OFX, alpha, tl):
    """A share ``alpha`` of the offers made to ``F`` taken up, into ``F2``; the rest turned away.

    Counts the families at home in ``F2`` (:func:`_count`, into ``tl``).
    """
    tl[:] = 0.0
    col = np.zeros(NC)
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(first_history(s), NP):
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


@njit(cache=True, fastmath=FASTMATH)
def _clocks(F, tl, w_cp):
    """A month on (in place): months since closure (cap 12) and months to the next CP review.

    CP families' clocks run from 0 to ``w_cp`` at most (a new plan's slot,
    :func:`~simulator.aggregate.groups.cp_slots`). Counts the families at home as it goes
    (:func:`_count`, into ``tl``).
    """
    tl[:] = 0.0
    col = np.zeros(NC)
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(first_history(s), NP):
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
