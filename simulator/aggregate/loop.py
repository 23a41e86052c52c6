"""The monthly loop of the view (:func:`simulator.aggregate.view.run_aggregate`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.care import (
    CLASS_ROW,
    CT_WIDTH,
    N_PROWS_ALL,
    UASC_CLASS,
    _child_bands,
    _clear_flags,
    _return_home,
    _schedule_returns,
    class_care_tables,
    extend_holds,
    max_of_k,
    placement_aging,
    placement_entries,
    placement_exits,
    placement_moves,
)
from simulator.aggregate.demography import (
    _births,
    _births_due,
    _demography_dues,
    _later_removals,
    _moves,
    _new_families,
)
from simulator.aggregate.groups import (
    _C,
    AD,
    BAND_PROW,
    CIN,
    CP,
    DECILES_PER_GROUP,
    EH,
    FASTMATH,
    HORIZON,
    IN,
    INFANT_MONTHS,
    LAC,
    N_BANDS,
    N_ORIGINS,
    N_PAIRS,
    N_REASONS,
    N_TL,
    NA,
    NC,
    ND,
    NH,
    NJ,
    NN,
    NP,
    NS,
    NW,
    OTH,
    OUT,
    P_LAC,
    PAIR,
    RH,
    SG,
    T18,
    TL_ROOM,
    U,
    cp_top,
    guard,
)
from simulator.aggregate.levers import _families_by_group, _hub_members, _prevention_reach
from simulator.aggregate.month import _clocks, _dues, _month, _ration_apply, _ration_share
from simulator.aggregate.programmes import (
    _child_home_from_care,
    _enrol,
    _join_tagged,
    _keep_free,
    _stage_rules,
    _untagged,
)
from simulator.states import AFTER_BIRTH_MONTHS

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


# -- the whole run, compiled -----------------------------------------------------------------
_C_ADOPT, _C_SGO, _C_LEAVE, _C_RH = (
    _C["adoptions"],
    _C["special_guardianship"],
    _C["care_leavers"],
    _C["returned_home"],
)
_C_TURNED, _C_AWAY, _C_IN = _C["early_help_turned_away"], _C["moved_away"], _C["moved_in"]
_C_UASC, _C_BIRTHS = _C["uasc_starts"], _C["births"]
_C_BIRTH_RM, _C_INFANT = _C["removals_at_birth"], _C["lac_starts_under_1"]
_C_LATER_RM = _C["removals_after_birth"]
_C_OTHER, _C_MOVES = _C["left_care_otherwise"], _C["placement_moves"]


class Stocks(NamedTuple):
    """The view's state, changed in place month by month.

    ``FF[t % 2]`` holds month t's families at home (state, need, deprivation group, history,
    clock, composition) and ``FF[1 - t % 2]`` the next month's as the hazards move them. Families
    with a child in care are followed for kernel ``migration`` (none of them moves): those with no
    one left at home (``shells[kind, decile]``; not in ``FF``) and those with children at home
    (history ``P_LAC``). ``LOUT[month, kind, decile]``: such families due to have no child in
    care, each family when the last of the children who came into care together leaves (later
    entries of its other children are not followed), by kind: no one left at home then (0) or
    some (1; ``shells[1]`` holds those of them with no one at home now). ``PEND[month, reason,
    placement row]``: care exits planned; ``PEND_RH``: returns home by the family's need
    or state; ``DP, DR, DY``: the families' age chains (:mod:`~simulator.aggregate.demography`);
    ``now``: children in care, caseload, unaccompanied children in care, families with a child
    in care and children at home (``NOW_*``); ``S20P[month]``: exits planned of the children in
    care under section 20 but unaccompanied children (kernel ``legal_status_at_entry``), so
    those in care at the end of month t are ``S20P[t + 1:]``; ``LATER[month, state, group, need,
    history]``: babies to be removed that month, later in their first year, by their family at
    birth (:func:`~simulator.aggregate.demography._births`); ``NEWB[month % 12, need, group]``: the
    families that births started in the last twelve months, with the baby at home
    (:func:`_infant_shares`); ``births_due``: the month's births, which the age chains make at
    the start of the next month (:func:`~simulator.aggregate.demography._births_due`).
    """

    FF: np.ndarray
    DP: np.ndarray
    DR: np.ndarray
    DY: np.ndarray
    PEND: np.ndarray
    PEND_RH: np.ndarray
    LOUT: np.ndarray
    shells: np.ndarray
    lac_prow: np.ndarray
    lac_pl: np.ndarray
    S20P: np.ndarray
    LATER: np.ndarray
    NEWB: np.ndarray
    now: np.ndarray
    births_due: np.ndarray


NOW_LAC, NOW_CASELOAD, NOW_UASC, NOW_HELD = range(4)


class Rules(NamedTuple):
    """The area and the model's rules (read only, but for ``PV``'s pressures, set each month).

    ``elast``: the risk-aversion elasticities of referral, section 47 and care entry, then the
    caseload threshold elasticity; ``Kb2``, ``KbRH``: the care exit kernels by year; ``Q``: the
    need path of a family with no one at home; ``sel_w``: which child enters care; ``inf_path[group,
    x, need, state]``: where a family that a birth started is, x months on (:func:`_infant_shares`).
    """

    PV: np.ndarray
    dep_g: np.ndarray
    risk: np.ndarray
    elast: np.ndarray
    eh_factor: np.ndarray
    eh_places0: float
    capacity: float
    burn: int
    years: int
    target: float
    growth: float
    Kb2: np.ndarray
    KbS20: np.ndarray
    KbRH: np.ndarray
    Q: np.ndarray
    sel_w: np.ndarray
    adv_mean: float
    init_need: np.ndarray
    move_p: float
    existing_births: float
    uasc_exit: np.ndarray
    dec_sh: np.ndarray
    uasc_rate: float
    uasc_path: np.ndarray
    birth_path: np.ndarray
    later_path: np.ndarray
    s47_path: np.ndarray
    after_rh: int
    inf_path: np.ndarray


class LeverPaths(NamedTuple):
    """The levers on chosen families, month by month.

    ``eh_extra``: early help places bought by prevention spend, ``reach``: the families its
    universal part reaches (both per month; :func:`_prevention_reach` chooses them, ``m_adv`` and
    ``m_id`` are their multipliers). Community hubs (:func:`_hub_members`): month each opens, its
    decile and that decile's share of its group's families, its multipliers by month
    (``HUBM[t, i]``: adverse events, identification, re-referral) and the families in a catchment.
    """

    eh_extra: np.ndarray
    reach: np.ndarray
    m_adv: float
    m_id: float
    hub_open: np.ndarray
    hub_dec: np.ndarray
    hub_dsh: np.ndarray
    HUBM: np.ndarray
    catchment: float


class Record(NamedTuple):
    """What the view writes each month.

    Flows, counters, tallies (:func:`_count`), children in care (in all, by placement row and
    by legal status), early help places, care entries by age band and route, unaccompanied
    children's arrivals, families with a child in care.
    """

    FLOWS: np.ndarray
    CNT: np.ndarray
    TL: np.ndarray
    LAC_STOCK: np.ndarray
    LACP: np.ndarray
    LEGAL: np.ndarray
    PLACES: np.ndarray
    ENTLOG: np.ndarray
    UASCLOG: np.ndarray
    WITH_LAC: np.ndarray


class Work(NamedTuple):
    """The month's work room (see each phase for what it holds)."""

    OFR: np.ndarray
    OFX: np.ndarray
    ENT: np.ndarray
    AE: np.ndarray
    AH: np.ndarray
    keep: np.ndarray
    teens: np.ndarray
    band1: np.ndarray
    tl: np.ndarray
    p_old: np.ndarray
    p_oth: np.ndarray
    CT: np.ndarray
    offk: np.ndarray
    n_ex: np.ndarray
    ent_rh: np.ndarray
    FAMS: np.ndarray
    FK: np.ndarray
    mix: np.ndarray
    g: np.ndarray
    gone: np.ndarray
    reached: np.ndarray
    members: np.ndarray
    hubs: np.ndarray
    hub_tot: np.ndarray
    fams_g: np.ndarray
    fams_after: np.ndarray
    phi: np.ndarray
    born_kept: np.ndarray
    pair_skip: np.ndarray
    new_pairs: np.ndarray
    ranks: np.ndarray


def work_room(n_hubs: int) -> Work:
    """A month's work room for a run with ``n_hubs`` community hubs."""
    return Work(
        OFR=np.zeros((2, NS, NN, ND, NP, 2, NC)),
        OFX=np.zeros((2, NN, ND, NP, NC)),
        ENT=np.zeros((N_BANDS, 3, ND, NN, 3)),
        AE=np.zeros((3, ND, NN, N_ORIGINS, NC)),
        AH=np.zeros((NS, NN, ND, NW, NC)),
        keep=np.zeros((NC, NC)),
        teens=np.zeros(NC),
        band1=np.zeros(NJ),
        tl=np.zeros(N_TL),
        p_old=np.zeros((NC, N_BANDS)),
        p_oth=np.zeros((NC, N_BANDS)),
        CT=np.zeros((NN * N_ORIGINS, NC, CT_WIDTH)),  # by need and origin (class_care_tables)
        offk=np.zeros(NS),
        n_ex=np.zeros(N_REASONS),
        ent_rh=np.zeros(ND * NN * 3),  # one month's returns home (_schedule_returns_home)
        FAMS=np.zeros((4, ND)),
        FK=np.zeros((3, NH)),
        mix=np.zeros((2, HORIZON)),
        g=np.zeros(HORIZON),
        gone=np.zeros(ND),
        reached=np.zeros((NN, ND)),
        members=np.zeros(n_hubs),  # families in each hub's catchment
        hubs=np.zeros((n_hubs, 5)),  # group, share of its families, multipliers (see _lever_mix)
        hub_tot=np.zeros(ND),
        fams_g=np.zeros(ND),
        fams_after=np.zeros(ND),
        phi=np.zeros((2, NS, ND)),  # one-child families' infant shares (_infant_shares)
        born_kept=np.zeros((INFANT_MONTHS, 2)),  # births to families with children, and those kept (_born)
        pair_skip=np.zeros((N_PAIRS, NA), np.bool_),  # the age chains' births (demography._birth_shares)
        new_pairs=np.zeros((NH, NA)),
        ranks=np.zeros((NH, NH, NA)),  # the chains' birthdays (demography._demography_dues)
    )


@njit(cache=True, fastmath=FASTMATH)
def _run_months(st, ru, lv, rec, wk, tg):
    """The monthly loop of :func:`run_aggregate`: the kernel's month, phase by phase, in its order.

    ``st`` (:class:`Stocks`) changes in place; ``ru`` (:class:`Rules`) and ``lv``
    (:class:`LeverPaths`) are read; ``rec`` (:class:`Record`) is written month by month; ``wk``
    (:class:`Work`) is the month's work room; ``tg``
    (:class:`~simulator.aggregate.programmes.Tagged`): the families a programme follows, within
    ``st.FF``, changed in place as the families are.
    """
    for t in range(rec.FLOWS.shape[0]):
        _levers_now(t, st, ru, lv, wk, tg)
        _scheduled(t, st, ru, lv, wk, rec, tg)
        _hazards(t, st, ru, lv, wk, rec, tg)
        _care_entries(t, st, ru, wk, rec)
        _moving(t, st, ru, lv, wk, rec, tg)
        _unaccompanied(t, st, ru, rec)
        _born(t, st, ru, wk, rec, tg)
        _close_month(t, st, ru, wk, rec, tg)


@njit(cache=True, fastmath=FASTMATH)
def _year(t, ru):
    """The index of month t's reported year (for yearly paths; the burn-in counts as year 0)."""
    return min(max(t - ru.burn, 0) // 12, ru.years - 1)


@njit(cache=True, fastmath=FASTMATH)
def _target_children(t, ru):
    """The area's child population on its path at month t (population growth from the first year)."""
    return ru.target * (1.0 + ru.growth) ** (max(t - ru.burn, 0) / 12)


@njit(cache=True, fastmath=FASTMATH)
def _levers_now(t, st, ru, lv, wk, tg):
    """0. The month's risk aversion, caseload pressure and yearly practice; the families levers reach."""
    PV = ru.PV
    r_idx = ru.risk[t]
    PV[kn.P_RA_REF] = r_idx ** ru.elast[0]
    PV[kn.P_RA_S47] = r_idx ** ru.elast[1]
    PV[kn.P_S47_PATH] = ru.s47_path[_year(t, ru)]  # the year's section 47 practice
    PV[kn.P_BIRTH_PATH] = ru.birth_path[_year(t, ru)]  # the year's pre-birth practice
    PV[kn.P_LATER_PATH] = ru.later_path[_year(t, ru)]
    PV[kn.P_RA_CARE] = r_idx ** ru.elast[2]
    over = max(0.0, st.now[NOW_CASELOAD] / ru.capacity - 1.0)
    PV[kn.P_PRESSURE] = 1.0 / (1.0 + ru.elast[3] * over)
    F = st.FF[t % 2]
    # the families universal prevention reaches this month (policies' start_month)
    _prevention_reach(F, lv.reach[t], wk.reached)
    if lv.hub_open.shape[0] > 0:
        _families_by_group(F, wk.fams_g)
        _hub_members(
            t,
            lv.hub_open,
            lv.hub_dec,
            lv.hub_dsh,
            lv.HUBM,
            lv.catchment,
            wk.fams_g,
            wk.members,
            wk.hubs,
            wk.hub_tot,
        )
    _enrol(t, F, tg)  # a programme's stages move on and its families start


@njit(cache=True, fastmath=FASTMATH)
def _scheduled(t, st, ru, lv, wk, rec, tg):
    """1. Scheduled events: care exits, 18th birthdays, plan reviews; returns home; flags cleared."""
    flows, cnt, n_ex = rec.FLOWS[t], rec.CNT[t], wk.n_ex
    n_ex[:] = 0.0
    # leaving care by entry row; of them, turning 18, and adopted or under special guardianship
    gone, gone18, gone_young = np.zeros(N_PROWS_ALL), np.zeros(N_PROWS_ALL), np.zeros(N_PROWS_ALL)
    for k in range(N_REASONS):
        for pr in range(N_PROWS_ALL):
            x = st.PEND[t, k, pr]
            n_ex[k] += x
            gone[pr] += x
            if k == T18:
                gone18[pr] += x
            elif k == AD or k == SG:
                gone_young[pr] += x
            st.lac_prow[pr] -= x
            if pr == CLASS_ROW[UASC_CLASS]:  # unaccompanied children's row
                st.now[NOW_UASC] -= x
    placement_exits(st.lac_pl, gone, gone18, gone_young)
    placement_aging(st.lac_pl)  # a month older: some reach the next row of the placement shares
    cnt[_C_MOVES] += placement_moves(ru.PV, st.lac_pl)  # children staying move as kernel process_due
    st.now[NOW_LAC] -= n_ex.sum()
    cnt[_C_ADOPT] += n_ex[AD]
    cnt[_C_SGO] += n_ex[SG]
    cnt[_C_LEAVE] += n_ex[T18]
    cnt[_C_RH] += n_ex[RH]
    cnt[_C_OTHER] += n_ex[OTH]
    flows[LAC, OUT] += n_ex[AD] + n_ex[SG] + n_ex[T18] + n_ex[OTH]
    due, skip, new_pairs, ranks = st.births_due, wk.pair_skip, wk.new_pairs, wk.ranks
    _demography_dues(st.DP, st.DR, st.DY, t, wk.keep, wk.teens, wk.band1, PAIR, due, skip, new_pairs, ranks)
    if t % 12 == 0:  # which children enter care: their ages by composition, once a year
        _child_bands(st.DP, st.DR, st.DY, t, PAIR, wk.p_old, wk.p_oth)
        births, kept = wk.born_kept[:, 0].sum(), wk.born_kept[:, 1].sum()  # the last twelve months
        kept_share = kept / births if births > 0 else 1.0
        class_care_tables(ru.PV, ru.sel_w, wk.p_old, wk.p_oth, wk.phi, kept_share, wk.CT)
    F = st.FF[t % 2]
    wk.gone[:] = 0.0
    _dues(F, flows, ru.PV, wk.keep, wk.gone)
    tg.flows[:] = 0.0
    for k in range(tg.TG.shape[0]):  # a programme's families have their birthdays and reviews too
        _dues(tg.TG[k], tg.flows, ru.PV, wk.keep, tg.gone)
    n_hubs = lv.hub_open.shape[0]
    if n_hubs > 0:  # catchments lose the families whose last child at home turned 18
        _families_by_group(F, wk.fams_after)
        for i in range(n_hubs):
            hg = lv.hub_dec[i] // DECILES_PER_GROUP
            if wk.fams_g[hg] > 0.0:
                wk.members[i] *= wk.fams_after[hg] / wk.fams_g[hg]
    for d in range(ND):  # families with a child in care whose last child at home turned 18
        st.shells[1, d] += wk.gone[d]
    _return_home(F, st.PEND_RH[t], ru.after_rh, wk.band1, flows, tg.joined)
    for k in range(tg.TG.shape[0]):  # children home from care join a programme's families alike
        _join_tagged(tg.TG[k], tg.joined, ru.after_rh, tg.flows)
    _clear_flags(F, st.LOUT[t], st.shells, tg.qd)
    for k in range(tg.TG.shape[0]):
        _child_home_from_care(tg.TG[k], tg.qd)


@njit(cache=True, fastmath=FASTMATH)
def _hazards(t, st, ru, lv, wk, rec, tg):
    """2. Hazards and the front door (into next month's families), then early help rationed.

    A programme's families (``tg``) run the same month with their stage's multipliers, each
    stage into its own next month, sharing the month's counts, care entries and early help
    places with the rest (the untagged families, ``F`` less the tagged groups).
    """
    flows, cnt = rec.FLOWS[t], rec.CNT[t]
    F, F2 = st.FF[t % 2], st.FF[1 - t % 2]
    _infant_shares(t, F, st.NEWB, ru.inf_path, wk.phi)
    F2[:] = 0.0
    wk.OFX[:] = 0.0
    wk.ENT[:] = 0.0
    wk.AE[:] = 0.0
    wk.AH[:] = 0.0
    wk.offk[:] = 0.0
    wk.FAMS[:] = 0.0
    wk.FK[:] = 0.0
    src = F
    tag_offers = tag_eh = 0.0
    if tg.TG.shape[0] > 0:
        _untagged(F, tg.TG, tg.U)
        src = tg.U
        for k in range(tg.TG.shape[0]):
            _stage_rules(ru.PV, tg.mult[k], tg.PVK[k])
            tg.TG2[k][:] = 0.0
            tg.OFXK[k][:] = 0.0
            TG, TG2, PVK = tg.TG[k], tg.TG2[k], tg.PVK[k]
            tag_offers += _month(TG, TG2, tg.OFRK[k], tg.OFXK[k], PVK, ru, lv, wk, flows, cnt)
            tag_eh += TG2[EH].sum()
            wk.AE[:] = 0.0  # spread into this stage's families by _month's end
            wk.AH[:] = 0.0
    offers = _month(src, F2, wk.OFR, wk.OFX, ru.PV, ru, lv, wk, flows, cnt)
    places = ru.eh_places0 * ru.eh_factor[t] + lv.eh_extra[t]
    alpha = _ration_share(F2[EH].sum() + tag_eh, offers + tag_offers, places)
    for k in range(tg.TG.shape[0]):
        _ration_apply(tg.TG2[k], tg.TG[k], tg.OFRK[k], tg.OFXK[k], alpha, tg.tl)
        _add_into(F2, tg.TG2[k])
        tg.TG[k][:] = tg.TG2[k]
    _ration_apply(F2, src, wk.OFR, wk.OFX, alpha, wk.tl)
    offk = wk.offk
    flows[U, EH] += offk[U] * alpha
    flows[CIN, EH] += offk[CIN] * alpha
    flows[CIN, U] += offk[CIN] * (1.0 - alpha)  # step-downs turned away close
    cnt[_C_TURNED] += offk.sum() * (1.0 - alpha)
    rec.PLACES[t] = places


@njit(cache=True, fastmath=FASTMATH)
def _add_into(A, B):
    """``A += B`` element by element (an in-place array expression over six axes is much slower)."""
    a, b = A.reshape(-1), B.reshape(-1)
    for i in range(a.size):
        a[i] += b[i]


@njit(cache=True, fastmath=FASTMATH)
def _infant_shares(t, F, NEWB, inf_path, phi):
    """Of the one-child families (the child under 12) in each state and group, the share with an infant.

    Such a family's child is an infant only in the first year of a family a birth started
    (a birth into a family with children makes two). Those families start in universal services
    and take months to reach a plan, so few of the one-child families on plans, from which most
    children enter care, have an infant: the engine follows each family; the view, without the
    child's age in its groups, follows the families started in each of the last eleven months
    (``NEWB``) along the path a family of their need would take (``inf_path``: the kernel's
    hazards, with no earlier involvement). Writes ``phi[0, state, group]`` (at most 1; families
    leaving meanwhile, by a move, a birth or an entry to care, are not taken off). The start's own
    infants are not among them, so the share is low in the first eleven months, which the
    burn-in (``run.burn_in_months``, 12 by default) keeps out of the reported years.
    """
    inf = np.zeros((NS, ND))
    for x in range(1, INFANT_MONTHS):  # started x months ago: x - 1 months of hazards since
        row = NEWB[(t - x) % INFANT_MONTHS]
        for n in range(NN):
            for d in range(ND):
                v = row[n, d]
                if v > 0.0:
                    for s in range(NS):
                        inf[s, d] += v * inf_path[d, x - 1, n, s]
    for s in range(NS):
        for d in range(ND):
            D = 0.0
            for n in range(NN):
                for p in range(P_LAC):
                    for w in range(NW):
                        D += F[s, n, d, p, w, 1]
            phi[0, s, d] = min(1.0, inf[s, d] / D) if D > 0.0 else 0.0


@njit(cache=True, fastmath=FASTMATH)
def _care_entries(t, st, ru, wk, rec):
    """The month's care entries: their exits scheduled, their families followed, returns home."""
    _schedule_exits(t, st, ru, wk, rec)
    _follow_families(t, st, wk)
    _schedule_returns_home(t, st, ru, wk)


@njit(cache=True, fastmath=FASTMATH)
def _schedule_exits(t, st, ru, wk, rec):
    """Children entering care this month, by age band and route; their planned exits.

    Also the mix of exit times of the entrants from families left with no one at home
    (``mix[0]``) and from families with children at home (``mix[1]``).
    """
    year_i = _year(t, ru)
    ENT, mix = wk.ENT, wk.mix
    mix[:] = 0.0
    for d in range(ND):
        st.shells[0, d] += wk.FAMS[0, d]
        st.shells[1, d] += wk.FAMS[2, d]
    for b in range(N_BANDS):
        prow = BAND_PROW[b]
        for r in range(3):
            e_emptied, e_stay = 0.0, 0.0  # this band and route's entrants, by kind of family
            for d in range(ND):
                for n in range(NN):
                    e_emptied += ENT[b, r, d, n, 0]
                    e_stay += ENT[b, r, d, n, 1] + ENT[b, r, d, n, 2]
            e_r = e_emptied + e_stay
            rec.ENTLOG[t, b, r] += e_r  # (called again for the month's removals at birth)
            if b == 0:
                rec.CNT[t, _C_INFANT] += e_r
            if e_r == 0.0:
                continue  # none to book (most cells of the second pass, a month's removals at birth)
            st.now[NOW_LAC] += e_r
            st.lac_prow[prow] += e_r
            placement_entries(ru.PV, st.lac_pl, b, e_r)
            if r == kn.RT_S20:  # those who stay under section 20 (kernel legal_status_at_entry)
                for x in range(HORIZON):
                    st.S20P[t + x] += ru.KbS20[year_i, b, x] * e_r
            for x in range(HORIZON):
                k_all = 0.0
                for k in range(N_REASONS):
                    kv = ru.Kb2[year_i, b, r, x * N_REASONS + k]
                    if kv == 0.0:
                        continue
                    k_all += kv
                    st.PEND[t + x, k, prow] += kv * e_r
                mix[0, x] += k_all * e_emptied
                mix[1, x] += k_all * e_stay


@njit(cache=True, fastmath=FASTMATH)
def _follow_families(t, st, wk):
    """New families with a child in care: none once the last of those who entered together leaves.

    Each child's exit is drawn from the month's mix of entrants (:func:`_schedule_exits`). A
    family with a child in care already that has more enter keeps one until the later of the two
    (:func:`~simulator.aggregate.care.extend_holds`; their exits from the month's whole mix).
    """
    g, mix = wk.g, wk.mix
    for i in range(2):
        max_of_k(mix[i], wk.FK[i], g)
        for x in range(HORIZON):
            if g[x] == 0.0:
                continue
            for d in range(ND):
                st.LOUT[t + x, i, d] += g[x] * wk.FAMS[i, d]
    if wk.FAMS[3].sum() > 0.0:
        max_of_k(mix[0] + mix[1], wk.FK[2], g)
        extend_holds(st.LOUT, t, wk.FAMS[3], g)


@njit(cache=True, fastmath=FASTMATH)
def _schedule_returns_home(t, st, ru, wk):
    """Returns home: the family's need (origin 0) or state (1, 2) when the child comes back.

    Month by month of the horizon, the entrants of each (band, route) times its chance of coming
    home then, summed by (group, need, origin) in ``wk.ent_rh`` and booked at once.
    """
    year_i = _year(t, ru)
    ent_f = wk.ENT.reshape((N_BANDS * 3, ND * NN * 3))  # (band, route) by (group, need, origin)
    # the arrays taken out once and no slices below: each would count a reference to its array
    rh, KbRH, PEND_RH, Q = wk.ent_rh, ru.KbRH, st.PEND_RH, ru.Q
    rh_g = rh.reshape((ND, NN, 3))
    brs = np.empty(N_BANDS * 3, np.int64)  # the (band, route)s with entrants (a month's babies: few)
    nb = 0
    for br in range(N_BANDS * 3):
        for i in range(ND * NN * 3):
            if ent_f[br, i] != 0.0:
                brs[nb] = br
                nb += 1
                break
    for x in range(HORIZON if nb > 0 else 0):
        rh[:] = 0.0
        any_due = False
        for j in range(nb):
            br = brs[j]
            k = KbRH[year_i, br, x]
            if k == 0.0:
                continue
            any_due = True
            for i in range(ND * NN * 3):
                rh[i] += k * ent_f[br, i]
        if any_due:
            _schedule_returns(PEND_RH, t + x, x, rh_g, Q)


@njit(cache=True, fastmath=FASTMATH)
def _moving(t, st, ru, lv, wk, rec, tg):
    """3. Families moving: as many move in as move away (``tl``: the families at home now)."""
    flows, cnt, tl = rec.FLOWS[t], rec.CNT[t], wk.tl
    F = st.FF[1 - t % 2]
    home_fams = tl[NS : 2 * NS].sum()
    out0 = flows[U, OUT] + flows[EH, OUT] + flows[CIN, OUT] + flows[CP, OUT]
    moved_in, held, n_move = _moves(F, flows, ru.move_p, ru.init_need, tl)
    for k in range(tg.TG.shape[0]):  # a programme's families move away like the rest (none move in)
        _keep_free(tg.TG[k], 1.0 - ru.move_p)
    st.now[NOW_HELD] = held
    n_hubs = lv.hub_open.shape[0]
    if n_hubs > 0:  # ... and those whose children all entered care, and those moving away
        away = min(1.0, n_move / max(home_fams, 1e-9))
        for i in range(n_hubs):
            hg = lv.hub_dec[i] // DECILES_PER_GROUP
            fa = wk.fams_after[hg]
            emptied = wk.FAMS[0, hg] / fa if fa > 0.0 else 0.0
            wk.members[i] *= max(0.0, 1.0 - emptied) * (1.0 - away)
    cnt[_C_AWAY] += flows[U, OUT] + flows[EH, OUT] + flows[CIN, OUT] + flows[CP, OUT] - out0
    cnt[_C_IN] += moved_in


@njit(cache=True, fastmath=FASTMATH)
def _unaccompanied(t, st, ru, rec):
    """4. Unaccompanied asylum-seeking children straight into care, leaving at 18 or another way.

    Their exits by months after arriving (another way, turning 18): ``care.uasc_exits``.
    """
    lam = ru.uasc_rate * _target_children(t, ru) / 10_000 / 12 * ru.uasc_path[_year(t, ru)]
    for o in range(37):
        for k in range(2):
            u = ru.uasc_exit[o, k]
            if u > 0.0:
                r = OTH if k == 0 else T18
                st.PEND[t + o, r, 4] += lam * u
    st.now[NOW_LAC] += lam
    rec.UASCLOG[t] = lam
    st.lac_prow[4] += lam
    placement_entries(ru.PV, st.lac_pl, UASC_CLASS, lam)
    st.now[NOW_UASC] += lam
    rec.CNT[t, _C_UASC] += lam
    rec.FLOWS[t, IN, LAC] += lam


@njit(cache=True, fastmath=FASTMATH)
def _born(t, st, ru, wk, rec, tg):
    """5. Births keep the child population on its path (the tally ``tl`` kept up to date by the moves).

    Babies removed at birth, and those removed this month later in their first year as planned
    at birth (``st.LATER``), enter care now: their exits, families and returns home are booked as
    the month's other care entries are (:func:`_care_entries`, on the month's work room, which
    the hazards' entries are done with). Babies awaiting removal count among the area's children
    (:func:`_babies_waiting`).
    """
    tl = wk.tl
    wk.ENT[:] = 0.0
    wk.FAMS[:] = 0.0
    wk.FK[:] = 0.0
    again = np.zeros(ND)
    flows = rec.FLOWS[t]
    st.NEWB[t % INFANT_MONTHS] = 0.0
    later_now = _later_removals(st.LATER[t], st.FF[1 - t % 2], tg.TG, flows, wk.ENT, wk.FAMS, wk.FK, again)
    rec.CNT[t, _C_LATER_RM] += later_now
    waiting = np.zeros(NS)
    _babies_waiting(t, st, waiting)
    gap = _target_children(t, ru) - (tl[:NS].sum() + st.now[NOW_LAC] + later_now + waiting.sum())
    born = max(gap, 0.0)
    rec.CNT[t, _C_BIRTHS] += born
    removed = removed_new = 0.0
    wk.born_kept[t % INFANT_MONTHS] = 0.0
    if born > 0:
        F = st.FF[1 - t % 2]
        elig = tl[TL_ROOM]
        frac = min(1.0, ru.existing_births * born / max(elig, 1e-9))
        to_existing, removed, later = _births(
            F, flows, frac, ru.PV, wk.ENT, wk.FAMS, wk.FK, again, st.LATER, t, True
        )
        wk.born_kept[t % INFANT_MONTHS] = to_existing, to_existing - removed - later
        if tg.TG.shape[0] > 0:  # newborns in a programme's families (counted in F already)
            ent, fams, fk = np.zeros_like(wk.ENT), np.zeros_like(wk.FAMS), np.zeros_like(wk.FK)
            for k in range(tg.TG.shape[0]):  # (their babies removed later are booked from F's)
                _births(tg.TG[k], tg.flows, frac, ru.PV, ent, fams, fk, np.zeros(ND), st.LATER, t, False)
        new = born - to_existing
        removed_new, later_new = _new_families(
            F,
            flows,
            new,
            ru.init_need,
            ru.dec_sh,
            ru.PV,
            wk.ENT,
            wk.FAMS,
            wk.FK,
            st.LATER,
            t,
            st.NEWB[t % INFANT_MONTHS],
        )
        # the ages of the children at home: newborns removed at birth, or to be removed later,
        # are not among them
        home = born - removed - removed_new - later - later_new
        existing = (ru.existing_births * born - removed - later) / home if home > 0.0 else 0.0
        _births_due(st.births_due, home, existing)  # into the age chains with next month's birthdays
        rec.CNT[t, _C_BIRTH_RM] += removed + removed_new
    if removed + removed_new + later_now > 0.0:
        _care_entries(t, st, ru, wk, rec)
        # a baby's exits, any reason (under 1, care order)
        year_i = _year(t, ru)
        pmf = np.zeros(HORIZON)
        for x in range(HORIZON):
            for k in range(N_REASONS):
                pmf[x] += ru.Kb2[year_i, 0, kn.RT_ORDER, x * N_REASONS + k]
        extend_holds(st.LOUT, t, again, pmf)


@njit(cache=True, fastmath=FASTMATH)
def _close_month(t, st, ru, wk, rec, tg):
    """6. Clocks: months since closure (cap 12), months to the next CP review; 7. the record."""
    PV, tl, now = ru.PV, wk.tl, st.now
    w_cp = cp_top(PV)  # CP clocks: 0..w_cp
    _clocks(st.FF[1 - t % 2], tl, w_cp)
    for k in range(tg.TG.shape[0]):
        _clocks(tg.TG[k], tg.tl, w_cp)
    rec.TL[t] = tl
    _babies_waiting(t, st, rec.TL[t])  # at home in their family's state, as in the engine
    now[NOW_CASELOAD] = rec.TL[t, CIN] + rec.TL[t, CP] + now[NOW_LAC]
    rec.LAC_STOCK[t] = now[NOW_LAC]
    rec.WITH_LAC[t] = now[NOW_HELD] + st.shells.sum() + now[NOW_UASC]
    rec.LACP[t] = st.lac_pl.sum(axis=3).sum(axis=1).sum(axis=0)
    _legal_status(t, st, ru, rec)


@njit(cache=True, fastmath=FASTMATH)
def _babies_waiting(t, st, counts):
    """Add to the children at home by state (``counts[:NS]``) the babies to be removed after month t.

    They are at home in the engine, in their family's state; the view books them apart from the
    families (:func:`~simulator.aggregate.demography._births`), in the state at birth (a family
    the birth started: universal services).
    """
    for x in range(t + 1, min(t + AFTER_BIRTH_MONTHS + 1, st.LATER.shape[0])):
        for s in range(NS + 1):
            counts[U if s == NS else s] += st.LATER[x, s].sum()


@njit(cache=True, fastmath=FASTMATH)
def _legal_status(t, st, ru, rec):
    """Children in care at the month's end by legal status (order of ``LegalStatus``).

    As the engine (``Services.legal_status``): under a placement order, the children whose
    adoption is due within ``care.placement_order_months`` (kernel ``placement_orders``); under
    section 20, those the rule keeps there (their exits still due) and unaccompanied children;
    the rest under a care order.
    """
    po = 0.0
    for x in range(1, int(ru.PV[kn.P_PO_MONTHS]) + 1):
        po += st.PEND[t + x, AD].sum()
    s20 = st.S20P[t + 1 :].sum() + st.now[NOW_UASC]
    rec.LEGAL[t, kn.LS_ORDER] = st.now[NOW_LAC] - po - s20
    rec.LEGAL[t, kn.LS_PO] = po
    rec.LEGAL[t, kn.LS_S20] = s20
