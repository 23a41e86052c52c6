"""Levers on chosen families as shares of groups: prevention's reach and community hubs."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.aggregate.groups import DECILES_PER_GROUP, FASTMATH, NC, ND, NN, NP, NS, NW, guard
from simulator.schema import Scenario, month_index, series_values

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
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


def levers_not_modelled(scenario: Scenario) -> list[str]:
    """Levers switched on in ``scenario`` that the aggregate view leaves out: none now.

    Prevention spend and community hubs are mixed into their groups (:func:`_prevention_reach`,
    :func:`_hub_members`); Troubled Families' families are followed as tagged groups
    (:mod:`simulator.aggregate.programmes`). Kept so that a lever added to the engine before the
    view names itself here, and the app says so.
    """
    del scenario
    return []


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
        m0 = burn_in + month_index(shock.date, sc.run.start_year, "shock")
        for m in range(max(m0, 0), total_months):
            idx[m] *= 1.0 + shock.size * 0.5 ** ((m - m0) / (12.0 * shock.half_life_years))
    return idx
