"""Rules and levers declared once, read by both views (issue 18).

A toy lever added by declaration alone (a :class:`~simulator.policies.programme.Programme`, no
engine or view code) and a toy hazard added to the rules' table
(:data:`simulator.rules.HAZARD_RATES`) each move the engine and the expected-value view alike:
each effect (mean of years 2-6, typical LA) within 3 standard errors of the engine's paired mean
over 12 runs. Measured (4 Dec 2026), engine (SE) / view: the toy programme, early help +68.3
(3.4) / +68.9, CIN plans -7.6 (1.4) / -7.5, referrals -11.9 (1.5) / -12.1; the toy hazard,
early help +182.6 (15.9) / +182.9, CIN plans -335.3 (7.9) / -339.7, referrals +310.5 (6.7) /
+319.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator import rules
from simulator.aggregate import run_aggregate
from simulator.model import CSCModel
from simulator.policies.programme import Programme, Stage
from simulator.rules import HazardRate
from simulator.schema import Scenario, with_overrides
from simulator.seeding import replicate_seeds
from simulator.states import Hazard, State

YEARS, RUNS = 6, 12
SCENARIO = with_overrides(Scenario(), {"run": {"years": YEARS, "record_episodes": False}})
MEASURES = ("early_help_31_march", "cin_plans_31_march", "referrals")


def _engine(**kw) -> list[pd.DataFrame]:
    out = []
    for seed in replicate_seeds(5, RUNS):
        model = CSCModel(SCENARIO, seed=seed, **kw)
        model.run()
        out.append(model.results().annual.set_index("year"))
    return out


def _agree(
    base: list[pd.DataFrame], toy: list[pd.DataFrame], view0: pd.DataFrame, view1: pd.DataFrame
) -> dict:
    """Each measure's mean effect over years 2 on: the engine's (paired) and its SE, and the view's."""
    out = {}
    for m in MEASURES:
        d = np.array([(t[m] - b[m]).to_numpy()[1:].mean() for b, t in zip(base, toy, strict=True)])
        view = (view1.set_index("year")[m] - view0.set_index("year")[m]).to_numpy()[1:].mean()
        out[m] = (d.mean(), d.std(ddof=1) / np.sqrt(d.size), view)
    return out


def _check(effects: dict, signs: dict[str, int]) -> None:
    for m, sign in signs.items():
        engine, se, view = effects[m]
        assert sign * engine > 3 * se, f"{m}: the engine does not respond ({engine:+.1f}, SE {se:.1f})"
        assert sign * view > 0, f"{m}: the view does not respond ({view:+.1f})"
        assert abs(view - engine) <= 3 * se, f"{m}: view {view:+.1f} vs engine {engine:+.1f} (SE {se:.1f})"


@pytest.fixture(scope="module")
def baseline() -> tuple[list[pd.DataFrame], pd.DataFrame]:
    return _engine(), run_aggregate(SCENARIO).annual


@pytest.mark.slow
def test_a_toy_programme_declared_alone_moves_both_views(baseline) -> None:
    """600 families a year with emerging need or more get six months of outreach: found for early
    help four times as often, half the adverse events. Declared here and nowhere else."""
    toy = Programme(
        name="toy_outreach",
        channel=0,
        starts_per_year=(600.0,) * YEARS,
        min_need=1,
        history_or_three=False,
        stages=(Stage(6, {Hazard.IDENTIFY: 4.0, Hazard.ADVERSE: 0.5}),),
    )
    base, view0 = baseline
    effects = _agree(base, _engine(programmes=[toy]), view0, run_aggregate(SCENARIO, programmes=[toy]).annual)
    _check(effects, {"early_help_31_march": 1, "cin_plans_31_march": -1, "referrals": -1})


@pytest.mark.slow
def test_a_toy_hazard_declared_in_the_rules_moves_both_views(baseline, monkeypatch) -> None:
    """Families on a CIN plan found for early help (stepping down) at 0.6 a year from emerging
    need up: one row added to the rules' table, nothing else."""
    toy = HazardRate(State.CIN, Hazard.IDENTIFY, lambda sc: [0.0, 0.6, 0.6, 0.6], "toy")
    monkeypatch.setattr(rules, "HAZARD_RATES", (*rules.HAZARD_RATES, toy))
    base, view0 = baseline
    effects = _agree(base, _engine(), view0, run_aggregate(SCENARIO).annual)
    _check(effects, {"early_help_31_march": 1, "cin_plans_31_march": -1, "referrals": 1})


def test_the_rules_table_checks_its_rows() -> None:
    bad = HazardRate(State.CP, Hazard.CLOSE, lambda sc: [0.1, 0.2], "two values")
    with pytest.raises(ValueError, match="CP CLOSE: 2 values; allowed: one per need level"):
        rules.base_rates(Scenario(), (*rules.HAZARD_RATES, bad))
    r = rules.base_rates(Scenario())
    assert r[State.EARLY_HELP, 2, Hazard.CLOSE] == Scenario().early_help.closure_rates_per_year[2]
    assert r[State.CP, 3, Hazard.ADVERSE] == 0.0 and r[State.UNIVERSAL, 0, Hazard.RECOVER] == 0.0


def test_two_levers_on_one_channel_are_refused() -> None:
    """A declared programme on the channel of a lever the scenario switches on is refused by name."""
    toy = Programme(
        "toy", channel=1, starts_per_year=(50.0,), min_need=2, stages=(Stage(6, {Hazard.CARE: 0.5}),)
    )
    sc = with_overrides(SCENARIO, {"levers": {"troubled_families": {"places_per_year": 100}}})
    with pytest.raises(ValueError, match=r"troubled_families \(channel 1\), toy \(channel 1\)"):
        CSCModel(sc, seed=1, programmes=[toy])
    # a programme with no starts is not built at all (a lever at zero runs the baseline)
    idle = Programme("idle", channel=1, starts_per_year=(0.0,), min_need=2, stages=())
    assert [p.name for p in CSCModel(sc, seed=1, programmes=[idle]).policies] == ["troubled_families"]
