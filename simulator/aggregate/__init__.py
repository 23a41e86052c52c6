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
early help budget and the UASC path are in the view too. Troubled Families' families, enrolled and
followed for months after, are tagged groups that run the month beside the rest
(:mod:`simulator.aggregate.programmes`); ``meta["levers_not_modelled"]`` would name a lever the view
leaves out (none now).

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
independent of its service history, but for one-child families' infants, who are followed by the
path through services of the families births started (:func:`~simulator.aggregate.loop.
_infant_shares`); which child enters care follows the ages of such families, not of that family
(and a child entering care leaves the family's band as it was); the care-leaver-parent flag
is folded into an average multiplier; a child returning home to brothers and sisters rejoins a
family with a child in care in the service state its own family would have reached meanwhile
(:func:`_family_path`, with the first month's rates), not its own family; a family's later entries to
care lengthen its time with a child in care, the newcomers' exits taken from the month's mix of
entrants (:func:`~simulator.aggregate.care.extend_holds`).
Not in this view (NaN in its tables, ``NOT_COMPUTED_ANNUAL``): re-referrals within 12 months of
a family's last referral (its clock counts the months since a case closed) and hidden high need.
``tests/test_aggregate.py`` asserts how close the two views are.

Example:
    >>> from simulator.aggregate import run_aggregate
    >>> agg = run_aggregate(Scenario())
    >>> agg.annual[["year", "cin_31_march", "cp_31_march", "lac_31_march"]]

The view is a package by concept: :mod:`~simulator.aggregate.groups` (the arrays' dimensions),
:mod:`~simulator.aggregate.care`, :mod:`~simulator.aggregate.month`,
:mod:`~simulator.aggregate.demography`, :mod:`~simulator.aggregate.levers`,
:mod:`~simulator.aggregate.paths`, :mod:`~simulator.aggregate.loop` (the monthly loop) and
:mod:`~simulator.aggregate.view` (set-up and tables). What other modules use is named here.
"""

from simulator.agents import kernel as kn
from simulator.aggregate.care import (
    _care_key,
    _child_bands,
    _kernels,
    _return_home,
    duration_pmf,
    exit_kernel,
    initial_exit_kernel,
    plan_probabilities,
)
from simulator.aggregate.demography import _births_due, _demography_dues, start_demography
from simulator.aggregate.groups import (
    HORIZON,
    N_BANDS,
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
    P_LAC,
    PAIR,
    RECENT_STAGES,
    W_OLD,
)
from simulator.aggregate.levers import levers_not_modelled
from simulator.aggregate.paths import _family_month, _family_path
from simulator.aggregate.view import NOT_COMPUTED_ANNUAL, AggregateResults, _packing, run_aggregate

__all__ = [
    "kn",
    "HORIZON",
    "NC",
    "ND",
    "NH",
    "NA",
    "NJ",
    "N_PAIRS",
    "NN",
    "NP",
    "NS",
    "NW",
    "N_BANDS",
    "PAIR",
    "P_LAC",
    "RECENT_STAGES",
    "W_OLD",
    "duration_pmf",
    "plan_probabilities",
    "exit_kernel",
    "initial_exit_kernel",
    "_care_key",
    "_kernels",
    "_return_home",
    "_child_bands",
    "start_demography",
    "_births_due",
    "_demography_dues",
    "levers_not_modelled",
    "_family_month",
    "_family_path",
    "AggregateResults",
    "NOT_COMPUTED_ANNUAL",
    "_packing",
    "run_aggregate",
]
