"""Programmes that follow the families they enrol (Troubled Families, any declared programme).

A programme is declared once (:class:`simulator.policies.programme.Programme`) and the engine
runs the same declaration (:class:`~simulator.policies.programme.ProgrammePolicy`): each month
``starts_per_year / 12`` eligible families start, each with an equal matched comparison family,
and neither is eligible again; a family's hazards are multiplied stage by stage.

The view cannot mix these families into their groups the way it mixes prevention's reach and the
hubs' catchments (shares of a group chosen at random each month, :func:`~simulator.aggregate.month.
_lever_mix`): enrolled families stay enrolled as their need and service state change. So they are
followed as **tagged groups**, arrays shaped like the families at home (``F``), kind by kind:

- each declared stage as ``SUB_STAGES`` groups of equal mean length (the engine's fixed duration
  as an Erlang path: the view's approximation, not a model parameter; a family leaves a group
  with chance ``SUB_STAGES / months`` a month; a stage shorter than ``SUB_STAGES`` months has one
  group a month, exact);
- then one group of families done, or in the comparison group: like any family, but not
  eligible again.

Each group runs the same month as every family (:func:`~simulator.aggregate.month._month`, with
its stage's multipliers); the untagged families are ``F`` less the tagged ones. Several
programmes are followed side by side; a family is taken to be in one at most.
Demography and care apply to the tagged groups as to all families (birthdays, births, moves, a
child coming home from care, the end of a care episode), the same share of each kind of family,
so the tagged groups stay within ``F`` cell by cell (``tests/test_aggregate.py``: a programme
with no effect leaves every table as the baseline's).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.care import clear_share, join_share
from simulator.aggregate.groups import FASTMATH, NC, ND, NH, NN, NP, NS, NW, P_LAC, guard
from simulator.policies.programme import Programme
from simulator.schema import Scenario

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules

#: Groups per declared stage: the engine's fixed durations as Erlang paths (the view's approximation;
#: Troubled Families' effect on looked after in year 10 is -38.3 children with one group a stage,
#: -42.1 with three, -42.7 with four; the engine's -40.8, SE 2.2: docs/MODEL.md).
SUB_STAGES = 3


class Tagged(NamedTuple):
    """Families programmes follow, as groups shaped like ``F`` (see the module's docstring).

    ``TG[k]``: this month's families of group ``k``, ``TG2[k]`` the next month's as the hazards
    move them; ``U``: the untagged families (work room). ``mult[k, effect]``: each group's
    multipliers (the hazards, then re-referral after a closure); ``exit_p[k]``: its monthly chance
    of moving to group ``nxt[k]`` (a done group keeps its families). By programme ``i``:
    ``starts[i, t]`` families starting in month t, ``min_need[i]``, ``hist3[i]`` (eligible only
    with earlier involvement or three or more children), its first group ``first[i]`` and its
    done group ``done[i]``. The rest is work room: each group's rules (``PVK``), early help
    offers (``OFRK``, ``OFXK``), and outputs nobody reads (the tagged families are counted
    within ``F``): ``flows``, ``tl``, ``gone``; ``qd``: the share of families with a child in care
    whose child has left care, by decile (:func:`~simulator.aggregate.care._clear_flags`);
    ``joined``: the share of families a child coming home from care joined
    (:func:`~simulator.aggregate.care._return_home`).
    """

    TG: np.ndarray
    TG2: np.ndarray
    U: np.ndarray
    mult: np.ndarray
    exit_p: np.ndarray
    nxt: np.ndarray
    starts: np.ndarray
    min_need: np.ndarray
    hist3: np.ndarray
    first: np.ndarray
    done: np.ndarray
    PVK: np.ndarray
    OFRK: np.ndarray
    OFXK: np.ndarray
    flows: np.ndarray
    tl: np.ndarray
    gone: np.ndarray
    qd: np.ndarray
    joined: np.ndarray


def programme_groups(
    programmes: list[Programme], sc: Scenario, T: int, PV: np.ndarray, n_flow: int, n_tl: int
) -> Tagged:
    """The tagged groups of ``programmes`` (those with any starts) for a run of ``T`` months."""
    burn = sc.run.burn_in_months
    progs = [p for p in programmes if p.active]
    mult, exit_p, nxt, first, done = [], [], [], [], []
    starts = np.zeros((len(progs), T))
    for i, pr in enumerate(progs):
        per_year = pr.starts_per_year
        for m in range(burn, T):
            starts[i, m] = per_year[min((m - burn) // 12, len(per_year) - 1)] / 12
        rows = pr.multipliers()
        first.append(len(mult))
        for k, stage in enumerate(pr.stages):
            if stage.months <= 0:
                continue
            n_sub = min(SUB_STAGES, stage.months)
            for _ in range(n_sub):
                mult.append(rows[k])
                exit_p.append(n_sub / stage.months)
                nxt.append(len(mult))  # the next group (the done group after the last)
        done.append(len(mult))
        mult.append(np.ones(kn.N_LEVER_EFFECTS))
        exit_p.append(0.0)
        nxt.append(len(mult) - 1)
    K = len(mult)
    shape = (K, NS, NN, ND, NP, NW, NC)
    return Tagged(
        TG=np.zeros(shape),
        TG2=np.zeros(shape),
        U=np.zeros((NS if K else 0, NN, ND, NP, NW, NC)),
        mult=np.array(mult, dtype=float).reshape(K, kn.N_LEVER_EFFECTS),
        exit_p=np.array(exit_p, dtype=float),
        nxt=np.array(nxt, dtype=np.int64),
        starts=starts,
        min_need=np.array([p.min_need for p in progs], dtype=np.int64),
        hist3=np.array([p.history_or_three for p in progs], dtype=np.bool_),
        first=np.array(first, dtype=np.int64),
        done=np.array(done, dtype=np.int64),
        PVK=np.zeros((K, PV.shape[0])),
        OFRK=np.zeros((K, 2, NS, NN, ND, NP, 2, NC)),
        OFXK=np.zeros((K, 2, NN, ND, NP, NC)),
        flows=np.zeros((n_flow, n_flow)),
        tl=np.zeros(n_tl),
        gone=np.zeros(ND),
        qd=np.zeros(ND),
        joined=np.zeros((ND, 2, NS)),
    )


@njit(cache=True, fastmath=FASTMATH)
def _untagged(F, TG, U):
    """``U``: the families of ``F`` in no tagged group (never below zero).

    Element by element over the flattened arrays: numba compiles an in-place array expression
    over six axes (``U -= TG[k]``) to a loop about a dozen times slower.
    """
    K = TG.shape[0]
    f, u, g = F.reshape(-1), U.reshape(-1), TG.reshape(K, -1)
    for i in range(f.size):
        x = f[i]
        for k in range(K):
            x -= g[k, i]
        u[i] = max(x, 0.0)


@njit(cache=True, fastmath=FASTMATH)
def _enrol(t, F, tg):
    """Start of month t: groups move on; each programme's families start, with as many compared.

    Engine ``ProgrammePolicy.start_month``: the month's starts (at most half the eligible
    families, the other half being their comparison group) are drawn from the eligible families
    in no group, the same share of each kind of family (the comparison is matched on need and
    service state, so it is the same share again).
    """
    TG = tg.TG
    K = TG.shape[0]
    if K == 0:
        return
    G = TG.reshape(K, -1)  # flattened (see _untagged)
    for k in range(K - 1, -1, -1):  # later groups first, so a family moves one group a month
        q = tg.exit_p[k]
        if q > 0.0:
            j = tg.nxt[k]
            for i in range(G.shape[1]):
                moved = G[k, i] * q
                G[k, i] -= moved
                G[j, i] += moved
    for i in range(tg.starts.shape[0]):
        n = tg.starts[i, t]
        if n > 0.0:
            _start(F, tg, i, n)


@njit(cache=True, fastmath=FASTMATH)
def _eligible(nn, p, h, min_need, hist3):
    """Whether families of need ``nn``, history ``p`` and ``h`` children at home are eligible."""
    return h > 0 and nn >= min_need and (not hist3 or p >= 1 or h >= 3)


@njit(cache=True, fastmath=FASTMATH)
def _start(F, tg, i, n):
    """``n`` families start programme ``i``, and as many are compared (see :func:`_enrol`)."""
    _untagged(F, tg.TG, tg.U)
    elig = _eligible_cells(tg, i, 0.0)
    if elig > 0.0:
        _eligible_cells(tg, i, min(n, elig / 2.0) / elig)


@njit(cache=True, fastmath=FASTMATH)
def _eligible_cells(tg, i, share):
    """The untagged families eligible for programme ``i``.

    If ``share`` > 0, that share of them starts (into its first group) and as many are compared
    (into its done group).
    """
    TG, U = tg.TG, tg.U
    lo, hist3, g0, gd = tg.min_need[i], tg.hist3[i], tg.first[i], tg.done[i]
    elig = 0.0
    for s in range(NS):
        for nn in range(lo, NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            if _eligible(nn, p, c % NH, lo, hist3):
                                x = U[s, nn, d, p, w, c]
                                elig += x
                                if share > 0.0:
                                    TG[g0, s, nn, d, p, w, c] += x * share
                                    TG[gd, s, nn, d, p, w, c] += x * share
    return elig


@njit(cache=True, fastmath=FASTMATH)
def _stage_rules(PV, mult, out):
    """``out``: the month's rules ``PV`` times a group's multipliers.

    Every state's and need's hazards, then re-referral after a closure.
    """
    out[:] = PV
    for s in range(NS):
        for n in range(NN):
            i0 = kn.V_BASE + (s * NN + n) * kn.N_HAZARDS
            for e in range(kn.N_HAZARDS):
                out[i0 + e] *= mult[e]
    out[kn.P_CH_RATE] *= mult[kn.ADVERSE]  # contextual harm to teenagers is an adverse event too
    out[kn.P_REREF_MULT] *= mult[kn.REREFERRAL]


@njit(cache=True, fastmath=FASTMATH)
def _keep_free(T, keep):
    """Families free to move (no child in care: history below ``P_LAC``) times ``keep`` (in place)."""
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(P_LAC):
                    for w in range(NW):
                        for c in range(NC):
                            T[s, n, d, p, w, c] *= keep


@njit(cache=True, fastmath=FASTMATH)
def _child_home_from_care(T, qd):
    """A share ``qd[decile]`` of families with a child in care have it no longer (history 1; in place)."""
    for d in range(ND):
        if qd[d] > 0.0:
            clear_share(T, d, qd[d])


@njit(cache=True, fastmath=FASTMATH)
def _join_tagged(T, joined, after_rh, flows):
    """Children coming home from care join a programme's families as they join all families.

    The same share of each kind of family, in the same order (:func:`~simulator.aggregate.care.
    _return_home`: history ``P_LAC`` first, then history 1; within each, protection plans first).
    """
    for d in range(ND):
        for pi in range(2):
            p = P_LAC if pi == 0 else 1
            for s in range(NS - 1, -1, -1):
                frac = joined[d, pi, s]
                if frac > 0.0:
                    join_share(T, flows, d, p, s, frac, after_rh)
