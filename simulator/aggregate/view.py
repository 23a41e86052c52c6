"""The expected-value view: set-up from a scenario, the monthly loop, and its tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from simulator.agents import kernel as kn
from simulator.agents.services import Services, yearly_parameters
from simulator.aggregate.care import (
    CLASS_START,
    N_CLASSES,
    N_NOW,
    NOW_ROW,
    UASC_CLASS,
    UASC_NOW,
    _care_key,
    _entry_kernels,
    _start_kernels,
    max_of_k,
    uasc_exits,
)
from simulator.aggregate.demography import _oldest, start_demography
from simulator.aggregate.groups import (
    AGE_18,
    BAND_PROW,
    BAND_SHARE,
    CIN,
    CP,
    DECILES_PER_GROUP,
    EH,
    HORIZON,
    HSZ,
    INFANT_MONTHS,
    J_EDGES,
    MAX_START,
    N_BANDS,
    N_REASONS,
    N_TL,
    NC,
    ND,
    NH,
    NJ,
    NN,
    NP,
    NS,
    NW,
    OTH,
    P_LAC,
    PAIR,
    RH,
    T18,
    TL_UNMET,
    W_OLD,
    U,
    guard,
)
from simulator.aggregate.levers import _risk_path, levers_not_modelled
from simulator.aggregate.loop import LeverPaths, Record, Rules, Stocks, _run_months, work_room
from simulator.aggregate.paths import _family_paths, _need_drift
from simulator.aggregate.programmes import programme_groups
from simulator.model import thin_probabilities
from simulator.policies.community_hubs import hub_deciles
from simulator.policies.community_hubs import trust as hub_trust
from simulator.policies.prevention import phase_change, phase_spend
from simulator.policies.programme import Programme, scenario_programmes
from simulator.recording import COUNTERS
from simulator.results import annual_from_monthly, monthly_frame
from simulator.schema import Scenario, month_index, series_values
from simulator.states import (
    AFTER_BIRTH_MONTHS,
    LegalStatus,
    Placement,
    State,
)

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


@dataclass
class AggregateResults:
    """Expected annual and monthly tables (column names as in :class:`simulator.results.Results`)."""

    annual: pd.DataFrame
    monthly: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _packing(scenario: Scenario) -> Services:
    """The agent-based model's own parameter packing, for this scenario (read-only use)."""
    stub = SimpleNamespace(scenario=scenario, key=(0, 0))
    return Services(stub, capacity=64)  # type: ignore[arg-type]


def _prevention_paths(
    sc: Scenario, T: int, early_help_places_factor: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prevention by month: the existing early help places' factor, the places bought, the reach.

    ``early_help_places_factor`` (by month, burn-in included) replaces the factor of
    ``levers.prevention.baseline_capacity_change`` when given.
    """
    burn = sc.run.burn_in_months
    prev = sc.levers.prevention
    lag = max(prev.months_to_effect, 1)

    def phased(series: Any, step: Callable[[float, float, int], float]) -> np.ndarray:
        """A yearly lever series by month, phased in by the lever's ``step`` (0 in the burn-in)."""
        values = series_values(series, sc.run.start_year, sc.run.years)
        out, eff = np.zeros(T), 0.0
        for m in range(burn, T):
            eff = step(eff, values[min((m - burn) // 12, sc.run.years - 1)], lag)
            out[m] = eff
        return out

    if early_help_places_factor is None:  # the change to the existing early help budget
        eh_factor = np.maximum(0.0, 1.0 + phased(prev.baseline_capacity_change, phase_change))
    else:
        eh_factor = np.asarray(early_help_places_factor, dtype=float)
    # extra spend: the early help places it buys and the families its universal part reaches
    spend = phased(prev.spend_per_year, phase_spend)
    eh_extra = spend * prev.early_help_share / prev.cost_per_early_help_place
    reach = spend * (1.0 - prev.early_help_share) / prev.cost_per_family_reached
    return eh_factor, eh_extra, reach


def _care_kernels(sc: Scenario, PV: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], ...]:
    """Kernels of care exits: the starting stock's, and each year's for children entering care.

    Returns the start's kernel ``(band, route, offset, reason)`` and its voluntary part that stays
    under section 20 ``(band, offset)``; and by year the entrants' exits ``(band, route, offset x
    reason)``, the same voluntary part ``(band, offset)`` and their returns home ``(band x route,
    offset)``.
    """
    # exit plans follow each year's drivers (adoption, return home, special guardianship;
    # model.step); the starting stock's were made under the first year's practice
    yearly = yearly_parameters(sc)
    PV0 = PV.copy()
    yearly.write(PV0, 0)
    Rb, Rs20 = _start_kernels(_care_key(PV0))  # the starting stock's exits
    Kb2_y, KbS20_y, KbRH_y = [], [], []
    for y in range(sc.run.years):
        PVy = PV.copy()
        yearly.write(PVy, y)
        Kb, Ks20 = _entry_kernels(_care_key(PVy))
        Kb2_y.append(Kb.reshape(N_BANDS, 3, HORIZON * N_REASONS))
        KbS20_y.append(Ks20)
        KbRH_y.append(Kb[..., RH].reshape(N_BANDS * 3, HORIZON))
    return Rb, Rs20, Kb2_y, KbS20_y, KbRH_y


def _hub_paths(
    sc: Scenario, T: int, F: np.ndarray, dec10: np.ndarray, dec_sh: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Community hubs (policies/community_hubs.py): where, when, and their effect as trust builds.

    Returns each hub's opening month and decile, that decile's share of its group's families, and
    its multipliers by month (adverse events, identification, re-referral).
    """
    burn = sc.run.burn_in_months
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
    return hub_open, hub_dec, hub_dsh, HUBM


def _monthly_table(sc: Scenario, record: Record, risk: np.ndarray, capacity: float) -> pd.DataFrame:
    """The view's monthly table (the engine's columns) from its record, reported months only."""
    FLOWS, CNT, TL, LAC_STOCK, LACP, LEGAL, PLACES, _, _, with_lac = record
    T, burn = FLOWS.shape[0], sc.run.burn_in_months
    cols = _monthly_columns()
    ci = {c: i for i, c in enumerate(cols)}
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
    for pl in Placement:
        if pl != Placement.NONE:
            rows[:, ci[f"lac_{pl.name}"]] = LACP[:, int(pl)]
    for ls in LegalStatus:
        rows[:, ci[f"lac_{ls.name}"]] = LEGAL[:, int(ls)]
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
    return monthly_frame(rows[m >= 0], cols)


# Complexity (radon E32): the starting position in expectation (model._populate: families by need,
# deprivation and composition, the services' stocks picked from them, children in care thinned
# from each family, their planned exits and returns home), in the order the engine builds it.
# Its lever paths, care kernels and tables are functions of their own; the start is the next to
# go (issue 18, open).
def run_aggregate(
    scenario: Scenario | None = None,
    *,
    risk_index: np.ndarray | None = None,
    early_help_places_factor: np.ndarray | None = None,
    annual: bool = True,
    programmes: Sequence[Programme] = (),
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
        programmes: declared programmes run beside the scenario's own levers (the engine's
            ``CSCModel(..., programmes=...)`` runs the same declarations).

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
    eh_factor, eh_extra, reach = _prevention_paths(sc, T, early_help_places_factor)
    uasc_path = series_values(pop.uasc_path, sc.run.start_year, sc.run.years)
    yearly = yearly_parameters(sc)  # the engine's reading of the dated drivers
    birth_path = yearly.column(kn.P_BIRTH_PATH)
    later_path = yearly.column(kn.P_LATER_PATH)
    s47_path = yearly.column(kn.P_S47_PATH)

    Rb, Rs20, Kb2_y, KbS20_y, KbRH_y = _care_kernels(sc, PV)
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
    PEND = np.zeros((T + HORIZON + 2, N_REASONS, 5))  # exits due by month, reason, placement row
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
    PV0[kn.P_S47_PATH] = s47_path[0]
    paths = _family_paths(PV0, dep_g, adv_mean)
    # where a family a birth started is, months on: the same hazards, with no earlier involvement
    PV_new = PV0.copy()
    PV_new[[kn.P_PRIOR_ADV, kn.P_PRIOR_REF]] = 1.0
    inf_path = _family_paths(PV_new, dep_g, adv_mean, (U,), INFANT_MONTHS)[0].copy()  # (loop._infant_shares)
    Q = np.concatenate([_need_drift(PV, dep_g, adv_mean)[None], paths[2:]])
    # the start's children in care with brothers and sisters at home: their families' states now
    at_home = F[:, :, :, P_LAC].sum(axis=(3, 4))  # state, need, group
    total = at_home.sum(axis=0)
    mix = np.where(total > 0, at_home / np.maximum(total, 1e-300), np.eye(NS)[:, 2, None, None])  # none: CIN
    Q_start = np.einsum("snd,sdxnm->dxnm", mix, paths)
    PEND_RH = np.zeros((T + HORIZON + 2, ND, NN, 3))  # returns home: month, group, need or state, origin
    start_mix = np.zeros(HORIZON)  # the starting stock's exits, any child
    LOUT = np.zeros((T + HORIZON + 2, 2, ND))  # families due to have no child in care (_run_months)
    S20P = np.zeros(T + HORIZON + 2)  # exits due of children under section 20 (Stocks)
    for b in range(N_BANDS):
        S20P[:HORIZON] += route_sh[kn.RT_S20] * lac_bd[b].sum() * Rs20[b]
        sched = np.einsum("r,rxk->xk", route_sh, Rb[b])  # offset, reason
        PEND[:HORIZON, :, BAND_PROW[b]] += sched * lac_bd[b].sum()
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
    # UASC in care at the start: aged 15y0m-17y11m, as if just arrived (kernel bulk_uasc):
    # leaving at 18 or another way
    start_exit = uasc_exits(PV)
    for o in range(37):
        for k, r in ((0, OTH), (1, T18)):
            if start_exit[o, k] > 0.0:
                PEND[o, r, 4] += uasc_stock * start_exit[o, k]
    lac = float(lac_bd.sum() + uasc_stock)
    lac_prow = np.zeros(5)
    for b in range(N_BANDS):
        lac_prow[BAND_PROW[b]] += lac_bd[b].sum()
    lac_prow[4] += uasc_stock
    # in care at the start: the placement they were given, past its first (kernel admit), but
    # unaccompanied children, who start as if just arrived (kernel bulk_uasc)
    # (care.placement_entries: by age band, placed by the row of their age now)
    lac_pl = np.zeros((N_CLASSES, N_NOW, kn.N_PLACEMENTS, 2))
    for b in range(N_BANDS):
        now = CLASS_START[b]
        for p in range(kn.N_PLACEMENTS):
            lac_pl[b, now, p, 1] = lac_bd[b].sum() * kn.placement_share(PV, NOW_ROW[now], p)
    for p in range(kn.N_PLACEMENTS):
        lac_pl[UASC_CLASS, UASC_NOW, p, 0] = uasc_stock * kn.placement_share(PV, 4, p)
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
    after_rh = int(care.after_return_home_need)

    FLOWS = np.zeros((T, len(_FLOW), len(_FLOW)))
    CNT = np.zeros((T, len(COUNTERS)))
    TL = np.zeros((T, N_TL))
    LAC_STOCK = np.zeros(T)
    LACP = np.zeros((T, kn.N_PLACEMENTS))  # children in care by placement
    LEGAL = np.zeros((T, len(LegalStatus)))  # children in care by legal status
    PLACES = np.zeros(T)
    entries_log = np.zeros((T, N_BANDS, 3))  # care entries (not UASC) by month, age band, route
    uasc_log = np.zeros(T)
    with_lac = np.zeros(T)
    shells = np.stack([held_d[0], np.zeros(ND)])  # families with no one at home (see _run_months)
    hubs = sc.levers.community_hubs
    hub_open, hub_dec, hub_dsh, HUBM = _hub_paths(sc, T, F, dec10, dec_sh)
    stocks = Stocks(
        FF=np.stack([F, np.zeros_like(F)]),
        DP=DP,
        DR=DR,
        DY=DY,
        PEND=PEND,
        PEND_RH=PEND_RH,
        LOUT=LOUT,
        shells=shells,
        lac_prow=lac_prow,
        lac_pl=lac_pl,
        S20P=S20P,
        # babies to be removed later in their first year: month, state at birth (NS: a new
        # family), group, need, history (demography._births)
        LATER=np.zeros((T + AFTER_BIRTH_MONTHS + 2, NS + 1, ND, NN, NP)),
        NEWB=np.zeros((INFANT_MONTHS, NN, ND)),  # families births started, by month (loop._infant_shares)
        now=np.array([lac, caseload, uasc_in_care, 0.0], dtype=float),
        births_due=np.zeros(3),  # births the age chains make next month (demography._births_due)
    )
    rules = Rules(
        PV=PV,
        dep_g=dep_g,
        risk=np.ascontiguousarray(risk, dtype=float),
        elast=elast,
        eh_factor=np.ascontiguousarray(eh_factor, dtype=float),
        eh_places0=float(eh_places0),
        capacity=float(capacity),
        burn=int(burn),
        years=int(sc.run.years),
        target=float(target),
        growth=float(pop.growth_per_year),
        Kb2=np.stack(Kb2_y),
        KbS20=np.stack(KbS20_y),
        KbRH=np.stack(KbRH_y),
        Q=Q,
        sel_w=sel_w,
        adv_mean=float(adv_mean),
        init_need=init_need,
        move_p=float(move_p),
        existing_births=float(existing_births),
        uasc_exit=uasc_exits(PV, pop.uasc_age_shares),
        dec_sh=np.ascontiguousarray(dec_sh),
        uasc_rate=float(pop.uasc_starts_per_10k),
        uasc_path=np.asarray(uasc_path, dtype=float),
        birth_path=np.asarray(birth_path, dtype=float),
        later_path=np.asarray(later_path, dtype=float),
        s47_path=np.asarray(s47_path, dtype=float),
        after_rh=int(after_rh),
        inf_path=inf_path,
    )
    levers = LeverPaths(
        eh_extra=eh_extra,
        reach=reach,
        m_adv=1.0 - prev.adverse_reduction,
        m_id=1.0 + prev.identification_boost,
        hub_open=hub_open,
        hub_dec=hub_dec,
        hub_dsh=hub_dsh,
        HUBM=HUBM,
        catchment=float(hubs.catchment_families),
    )
    record = Record(FLOWS, CNT, TL, LAC_STOCK, LACP, LEGAL, PLACES, entries_log, uasc_log, with_lac)
    tagged = programme_groups([*scenario_programmes(sc), *programmes], sc, T, PV, len(_FLOW), N_TL)
    _run_months(stocks, rules, levers, record, work_room(len(hub_open)), tagged)
    monthly = _monthly_table(sc, record, risk, capacity)
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
