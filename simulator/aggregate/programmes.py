"""Programmes that follow the families they enrol: Troubled Families in the view.

Kernel policy ``troubled_families`` (``simulator/policies/troubled_families.py``): each month
``places_per_year / 12`` eligible families start (need at or above ``eligibility_min_need``, with
earlier statutory involvement or three or more children), each with an equal matched comparison
family, and neither is eligible again. A family in the programme has its care-entry hazard times
``1 - care_entry_reduction`` and its recovery hazard times ``1 + recovery_boost`` for
``intervention_months``; then the care-entry effect alone for ``effect_months_after``.

The view cannot mix these families into their groups the way it mixes prevention's reach and the
hubs' catchments (shares of a group chosen at random each month, :func:`~simulator.aggregate.month.
_lever_mix`): enrolled families stay enrolled as their need and service state change. So they are
followed as **tagged groups**, arrays shaped like the families at home (``F``), kind by kind:

- ``TAG_IN`` (``IN_STAGES`` stages): in the programme;
- ``TAG_AFTER`` (``AFTER_STAGES`` stages): after it, the care-entry effect lasting;
- ``TAG_DONE``: done, or in the comparison group: like any family, but not eligible again.

Each kind runs the same month as every family (:func:`~simulator.aggregate.month._month`, with its
own hazard multipliers); the untagged families are ``F`` less the tagged ones. The engine's fixed
durations become stages of equal mean length (an Erlang path: the view's approximation, not a
model parameter): a family leaves a stage with chance ``stages / months`` a month.
Demography applies to the tagged groups as to all families (birthdays, births, moves, the end of
a care episode), so the tagged groups stay within ``F`` cell by cell.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulator.agents import kernel as kn
from simulator.aggregate.groups import NC, ND, NH, NN, NP, NS, NW, P_LAC, guard
from simulator.schema import Scenario, series_values

guard(__file__)  # compiled code below reads the kernel's layout and this package's rules

#: Stages of each kind: the engine's fixed durations as Erlang paths (the view's approximation).
IN_STAGES, AFTER_STAGES = 3, 3


class Tagged(NamedTuple):
    """Families a programme follows, as groups shaped like ``F`` (one per stage, then done).

    ``TG[k]``: this month's families of stage ``k``, ``TG2[k]`` the next month's as the hazards
    move them; ``U``: the untagged families (work room). ``mult[k, hazard]``: each stage's hazard
    multipliers; ``exit_p[k]``: its monthly chance of moving to stage ``k + 1`` (the last stage,
    done, keeps its families). ``starts[t]``: families starting in month t; ``min_need``: the
    lowest need that is eligible. The rest is work room: each stage's rules (``PVK``), early
    help offers (``OFRK``, ``OFXK``), and outputs nobody reads (the tagged families are counted
    within ``F``): ``flows``, ``tl``, ``gone``; ``qd``: the share of families with a child in care
    whose child has left care, by decile (:func:`~simulator.aggregate.care._clear_flags`).
    """

    TG: np.ndarray
    TG2: np.ndarray
    U: np.ndarray
    mult: np.ndarray
    exit_p: np.ndarray
    starts: np.ndarray
    min_need: int
    PVK: np.ndarray
    OFRK: np.ndarray
    OFXK: np.ndarray
    flows: np.ndarray
    tl: np.ndarray
    gone: np.ndarray
    qd: np.ndarray


def troubled_families(sc: Scenario, T: int, PV: np.ndarray, n_flow: int, n_tl: int) -> Tagged:
    """The Troubled Families programme's tagged groups for a run of ``T`` months (none if off)."""
    tf = sc.levers.troubled_families
    burn, years = sc.run.burn_in_months, sc.run.years
    places = series_values(tf.places_per_year, sc.run.start_year, years)
    starts = np.zeros(T)
    for m in range(burn, T):
        starts[m] = places[min((m - burn) // 12, years - 1)] / 12
    on = bool((starts > 0).any())
    K = IN_STAGES + AFTER_STAGES + 1 if on else 0
    mult = np.ones((K, kn.N_HAZARDS))
    exit_p = np.zeros(K)
    for k in range(K - 1):
        mult[k, kn.CARE] = 1.0 - tf.care_entry_reduction
        if k < IN_STAGES:
            mult[k, kn.RECOVER] = 1.0 + tf.recovery_boost
            exit_p[k] = min(1.0, IN_STAGES / tf.intervention_months)
        else:  # no lasting effect: its stages are passed at once
            exit_p[k] = min(1.0, AFTER_STAGES / tf.effect_months_after) if tf.effect_months_after else 1.0
    shape = (K, NS, NN, ND, NP, NW, NC)
    return Tagged(
        TG=np.zeros(shape),
        TG2=np.zeros(shape),
        U=np.zeros((NS, NN, ND, NP, NW, NC)) if on else np.zeros((0, NN, ND, NP, NW, NC)),
        mult=mult,
        exit_p=exit_p,
        starts=starts if on else np.zeros(0),
        min_need=int(tf.eligibility_min_need),
        PVK=np.zeros((K, PV.shape[0])),
        OFRK=np.zeros((K, 2, NS, NN, ND, NP, 2, NC)),
        OFXK=np.zeros((K, 2, NN, ND, NP, NC)),
        flows=np.zeros((n_flow, n_flow)),
        tl=np.zeros(n_tl),
        gone=np.zeros(ND),
        qd=np.zeros(ND),
    )


@njit(cache=True)
def _untagged(F, TG, U):
    """``U``: the families of ``F`` in no tagged group (never below zero)."""
    U[:] = F
    for k in range(TG.shape[0]):
        U -= TG[k]
    np.maximum(U, 0.0, U)


@njit(cache=True)
def _enrol(t, F, tg):
    """Start of month t: stages move on; this month's families start, with as many compared.

    Kernel ``TroubledFamiliesPolicy.start_month``: the month's starts (at most half the eligible
    families, the other half being their comparison group) are drawn from the eligible families
    in no group, the same share of each kind of family (the comparison is matched on need and
    service state, so it is the same share again).
    """
    TG = tg.TG
    K = TG.shape[0]
    if K == 0:
        return
    for k in range(K - 2, -1, -1):  # later stages first, so a family moves one stage a month
        q = tg.exit_p[k]
        if q > 0.0:
            moved = TG[k] * q
            TG[k] -= moved
            TG[k + 1] += moved
    n = tg.starts[t]
    if n <= 0.0:
        return
    U = tg.U
    _untagged(F, TG, U)
    elig = 0.0
    for s in range(NS):
        for nn in range(tg.min_need, NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            h = c % NH
                            if h > 0 and (p >= 1 or h >= 3):
                                elig += U[s, nn, d, p, w, c]
    if elig <= 0.0:
        return
    share = min(n, elig / 2.0) / elig
    done = K - 1
    for s in range(NS):
        for nn in range(tg.min_need, NN):
            for d in range(ND):
                for p in range(NP):
                    for w in range(NW):
                        for c in range(NC):
                            h = c % NH
                            if h > 0 and (p >= 1 or h >= 3):
                                x = U[s, nn, d, p, w, c] * share
                                TG[0, s, nn, d, p, w, c] += x
                                TG[done, s, nn, d, p, w, c] += x


@njit(cache=True)
def _stage_rules(PV, mult, out):
    """``out``: the month's rules ``PV`` with a stage's multipliers on every state's and need's hazards."""
    out[:] = PV
    for s in range(NS):
        for n in range(NN):
            i0 = kn.V_BASE + (s * NN + n) * kn.N_HAZARDS
            for e in range(kn.N_HAZARDS):
                out[i0 + e] *= mult[e]


@njit(cache=True)
def _keep_free(T, keep):
    """Families free to move (no child in care: history below ``P_LAC``) times ``keep`` (in place)."""
    for s in range(NS):
        for n in range(NN):
            for d in range(ND):
                for p in range(P_LAC):
                    T[s, n, d, p] *= keep


@njit(cache=True)
def _child_home_from_care(T, qd):
    """A share ``qd[decile]`` of families with a child in care have it no longer (history 1; in place)."""
    for d in range(ND):
        q = qd[d]
        if q <= 0.0:
            continue
        for s in range(NS):
            for n in range(NN):
                m = T[s, n, d, P_LAC] * q
                T[s, n, d, P_LAC] -= m
                T[s, n, d, 1] += m
