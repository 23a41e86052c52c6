"""Each lever's effect, with a direction and a size; levers off give the baseline; bad input."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import CSCModel
from simulator.schema import ScenarioError
from tests.conftest import scenario

NO_LOGS = {"record_episodes": False}


def annual(sc, seed):
    model = CSCModel(sc, seed=seed)
    model.run()
    return model, model.results().annual.set_index("year").select_dtypes("number")


def test_troubled_families_treated_vs_matched_comparison():
    """Children entering care within 24 months: 25-40% lower than a matched untreated group."""
    sc = scenario(1_000_000, years=4, run=NO_LOGS, levers={"troubled_families": {"places_per_year": 6_000}})
    model, _ = annual(sc, 3)
    ev = model.policy("troubled_families").evaluation()
    assert ev["treated_families"] > 5_000 and ev["comparison_families"] > 5_000
    assert 0.25 <= ev["reduction"] <= 0.40


def test_risk_aversion_shock_raises_then_fades():
    """After a shock, s47 enquiries and care entries rise 20-50% in the year, near baseline in 5 years."""
    base = scenario(1_000_000, years=7, run=NO_LOGS)
    shock = scenario(
        1_000_000,
        years=7,
        run=NO_LOGS,
        levers={"risk_aversion": {"shocks": [{"date": "2025-04", "size": 0.4}]}},
    )
    _, a0 = annual(base, 5)
    _, a1 = annual(shock, 5)
    ratio = a1 / a0
    for col in ("section47_enquiries", "lac_starts"):
        assert 1.20 <= ratio.loc[2026, col] <= 1.50, (col, ratio[col].round(3).tolist())
        assert abs(ratio.loc[2031, col] - 1) < 0.10  # five years on
    assert ratio.loc[2025, "section47_enquiries"] == pytest.approx(1.0, abs=0.05)  # before the shock


def test_prevention_spend_lagged_monotone_diminishing():
    """CP and care entries fall with a lag, more with more spend, less per pound."""

    def entries(spend):
        total = 0
        for seed in (1, 2):
            sc = scenario(900_000, years=6, run=NO_LOGS, levers={"prevention": {"spend_per_year": spend}})
            _, a = annual(sc, seed)
            total = total + a["cp_starts"] + a["lac_starts"]
        return total

    e0, e1, e3 = entries(0.0), entries(100e6), entries(300e6)
    cut1 = 1 - e1.loc[2028:].sum() / e0.loc[2028:].sum()
    cut3 = 1 - e3.loc[2028:].sum() / e0.loc[2028:].sum()
    assert 0.02 < cut1 < cut3  # monotone in spend
    assert cut3 / 300 < cut1 / 100  # diminishing returns per pound
    early3 = 1 - e3.loc[2025] / e0.loc[2025]
    assert early3 < cut3 / 2  # little effect in the first year: a lag


def test_community_hubs_build_over_three_years():
    """Little effect in the first months, most of it by year three (trust builds)."""
    hubs = {"opening_dates": ["2025-04"] * 30, "catchment_families": 3_000}
    base = scenario(1_000_000, years=4, run=NO_LOGS)
    with_hubs = scenario(1_000_000, years=4, run=NO_LOGS, levers={"community_hubs": hubs})
    _, a0 = annual(base, 9)
    model, a1 = annual(with_hubs, 9)
    extra = a1["early_help_starts"] - a0["early_help_starts"]
    assert extra.loc[2028] > 0.1 * a0.loc[2028, "early_help_starts"]  # a real effect once trusted
    assert extra.loc[2026] < 0.35 * extra.loc[2028]  # the first year after opening: little of it
    trust = model.results().policy.groupby("reporting_year")["mean_trust"].last()
    assert trust.loc[2026] < 0.5 < trust.loc[2028]


def test_levers_switched_off_give_exactly_the_baseline():
    base = scenario(20_000, years=3)
    off = scenario(
        20_000,
        years=3,
        levers={
            "prevention": {"spend_per_year": 0.0, "baseline_capacity_change": 0.0},
            "risk_aversion": {"index_path": 1.0, "shocks": []},
            "community_hubs": {"opening_dates": []},
            "troubled_families": {"places_per_year": 0.0},
        },
    )
    _, a0 = annual(base, 4)
    _, a1 = annual(off, 4)
    assert a0.equals(a1)


def test_less_risk_aversion_without_early_help_leaves_harm():
    """Lowering risk aversion cuts statutory work but raises unmet high need."""
    base = scenario(600_000, years=4, run=NO_LOGS)
    lower = scenario(600_000, years=4, run=NO_LOGS, levers={"risk_aversion": {"index_path": 0.7}})
    _, a0 = annual(base, 8)
    _, a1 = annual(lower, 8)
    assert a1.loc[2028, "section47_enquiries"] < 0.85 * a0.loc[2028, "section47_enquiries"]
    assert a1.loc[2028, "unmet_high_need_31_march"] > 1.03 * a0.loc[2028, "unmet_high_need_31_march"]


@pytest.mark.parametrize(
    "levers,message",
    [
        ({"free_childcare": {"spend": 1}}, "unknown key 'levers.free_childcare'"),
        (
            {"prevention": {"spend_per_year": -1e6}},
            "levers.prevention.spend_per_year = -1000000.0: must be >= 0",
        ),
        ({"community_hubs": {"opening_dates": ["2023-06"]}}, "cannot open before the run starts"),
        ({"prevention": {"spend_per_year": [1e6, 2e6]}}, "has 2 values but run.years = 5"),
        ({"risk_aversion": {"shocks": [{"date": "2026-13"}]}}, "a date must be 'YYYY-MM'"),
        ({"community_hubs": {"opening_dates": ["2025-06"] * 64}}, "has 64 hubs; allowed: at most 63"),
    ],
)
def test_bad_lever_input_is_named(levers, message):
    with pytest.raises(ScenarioError) as err:
        scenario(10_000, years=5, levers=levers)
    assert any(message in line for line in err.value.problems), err.value.problems


def test_troubled_families_places_above_eligible_families():
    sc = scenario(10_000, years=2, levers={"troubled_families": {"places_per_year": 50_000}})
    with pytest.raises(ScenarioError) as err:
        CSCModel(sc, seed=1)
    assert "levers.troubled_families.places_per_year = 50000" in str(err.value)
    assert "eligible families" in str(err.value)


def test_policy_outputs_carry_costs():
    sc = scenario(
        61_300,
        years=3,
        run=NO_LOGS,
        levers={
            "community_hubs": {"opening_dates": ["2025-04", "2026-04"]},
            "troubled_families": {"places_per_year": 120},
        },
    )
    model, _ = annual(sc, 2)
    pol = model.results().policy
    hubs = pol[pol.policy == "community_hubs"].groupby("reporting_year")
    assert hubs.capital_cost_gbp.sum().tolist() == [0.0, 500_000.0, 500_000.0]
    assert hubs.running_cost_gbp.sum().tolist() == pytest.approx([0.0, 350_000.0, 700_000.0])
    tf = pol[pol.policy == "troubled_families"]
    assert tf.places.sum() == pytest.approx(360, abs=2)
    assert np.isclose(tf.running_cost_gbp.sum(), tf.places.sum() * 13_200)


def test_dated_steps_start_from_the_neutral_value():
    """A step from 2026 leaves 2025 at the lever's neutral value (1 for a multiplier, 0 for spend)."""
    from simulator.schema import series_values

    sc = scenario(
        10_000,
        years=3,
        levers={
            "risk_aversion": {"index_path": {"2026": 0.95}},
            "prevention": {"spend_per_year": {"2027": 1e6}},
        },
    )
    run = sc.run
    assert series_values(sc.levers.risk_aversion.index_path, run.start_year, 3) == [1.0, 0.95, 0.95]
    assert series_values(sc.levers.prevention.spend_per_year, run.start_year, 3) == [0.0, 0.0, 1e6]


@pytest.mark.parametrize("fraction", [1.0, 0.25])
def test_prevention_places_are_the_same_whatever_the_sample(fraction):
    """Extra early help places bought by the spend, in the results (scaled back up), are spend x
    early help share / cost per place, phased in, at any sample fraction (they were once counted
    at full size in a sample, so a 1-in-4 sample had four times the places)."""
    run = {**NO_LOGS, "sample_fraction": fraction}
    spend = 3_000_000.0
    base = CSCModel(scenario(61_300, years=2, run=run), seed=4)
    prev = CSCModel(
        scenario(61_300, years=2, run=run, levers={"prevention": {"spend_per_year": spend}}), seed=4
    )
    base.run()
    prev.run()
    col = "early_help_places"
    extra = (prev.results().monthly[col] - base.results().monthly[col]).to_numpy()
    lever = prev.scenario.levers.prevention
    full = spend * lever.early_help_share / lever.cost_per_early_help_place
    eff = 1.0 - (1.0 - 1.0 / lever.months_to_effect) ** np.arange(1, len(extra) + 1)  # smoothing
    np.testing.assert_allclose(extra, full * eff, rtol=1e-9)
    places = prev.results().policy.query("policy == 'prevention'")["places"].to_numpy()
    np.testing.assert_allclose(places, full * eff, rtol=1e-9)


def test_prevention_costs_build_up_with_the_services_and_stop_with_the_budget():
    """Spend in effect builds up towards the year's budget (recruiting: the budget is underspent
    meanwhile) and never passes it: when the money stops, the places and universal prevention it
    paid for stop the same month, in both views (policies.prevention.phase_spend)."""
    from simulator.aggregate.view import _prevention_paths
    from simulator.policies.prevention import phase_spend

    assert phase_spend(0.0, 12.0, 12) == 1.0 and phase_spend(11.9, 12.0, 12) < 12.0
    assert phase_spend(10.0, 0.0, 12) == 0.0 and phase_spend(10.0, 4.0, 12) == 4.0  # never above
    spend = {"2025": 2e6, "2027": 0.0}  # reporting years 2024-25 and 2025-26, then none
    sc = scenario(20_000, years=4, run=NO_LOGS, levers={"prevention": {"spend_per_year": spend}})
    model, a = annual(sc, 2)
    policy = model.results().policy
    prev = policy[policy["policy"] == "prevention"].groupby("reporting_year")
    universal = prev["running_cost_gbp"].sum()
    places = prev["places"].max()
    share = sc.levers.prevention.early_help_share
    assert 0 < universal.loc[2025] < universal.loc[2026] <= 2e6 * (1 - share)  # builds up, within budget
    assert universal.loc[2027:].sum() == 0.0 and places.loc[2027:].max() == 0.0  # stopped with the money
    assert places.loc[2026] > 0
    # the expected-value view phases the same rule: places bought fall to 0 with the budget
    _eh_factor, eh_extra, reach = _prevention_paths(sc, sc.run.burn_in_months + 12 * 4, None)
    burn = sc.run.burn_in_months
    assert eh_extra[burn + 12 : burn + 24].max() > 0 and eh_extra[burn + 24 :].max() == 0.0
    assert reach[burn + 24 :].max() == 0.0
