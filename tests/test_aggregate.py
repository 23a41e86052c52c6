"""The aggregate expected-value view agrees with the agent-based mean (issue 7).

The agent-based model is run for 20 years at ten times the typical LA (613,000 children,
so the noise is small) with 60 seeds; its mean stocks by state at 31 March are
compared, year by year, with the aggregate stock-flow view of the same scenario. The same is
done with prevention spend on (eight seeds), for the stocks and for the lever's effect on them.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulator.aggregate import run_aggregate
from simulator.schema import Scenario, load_scenario, with_overrides
from simulator.validation import AGREEMENT_TOLERANCE, WIDER_TOLERANCE, aggregate_vs_agent, agreement

#: Acceptance (issue 7): every stock within 2% of the agent-based mean every year, or within 3
#: standard errors of that mean where the noise is larger.
TOLERANCE = 0.02
STOCKS = [
    "universal",  # derived: child population less early help and children in need
    "early_help_31_march",
    "cin_plans_31_march",
    "cp_31_march",
    "lac_31_march",
    "families_with_child_in_care",
]  # at the end of March (no family with one moves away)
# Measured with these 60 seeds (python -m simulator.validation --aggregate --seeds $(seq 11 70)),
# 5 Dec 2026, 13:10, after the ways out of care were fitted to ages: largest gaps over 20 years
# universal 0.08%, early help -1.21%, CIN plans -1.64%, CP 1.29% (2026, 3.8 SE), looked after
# -1.07%, families with a child in care 2.48% (2040, 14.1 SE). On 6 Dec 2026, since a family's
# later entries to care lengthen its time with a child in care in the view too: universal 0.08%,
# early help -1.22%, CIN plans -1.66%, CP 1.32% (2025, 3.9 SE), looked after -1.16%, families
# with a child in care -1.28% (2033, 6.4 SE; +2.56% just before, past the 2.5% then allowed). With keyed
# draws before that fit (3 Dec 2026, e0b4a92): 0.07%, -1.33%, -1.33%, 1.16%, -0.80% and 2.17%.
# Thirty seeds were too few for a largest gap
# over 20 years against 2% where the steady gaps are 1.3-2%: seeds 11-40 gave CP -2.07% (2043)
# and seeds 41-70 -1.5%, by chance. Before keyed draws, seeds 11-40 gave families with a child in
# care 1.72% (docs/MODEL.md, "Agent-based mean vs the aggregate view"). Deprivation is in five
# groups of two deciles in the aggregate.
SEEDS = tuple(range(11, 71))
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
#: Levers on chosen families, in both views: each scenario (prevention_investment: £2m a year;
#: community_hubs: four hubs of 2,500 families; both for a typical LA) at the test's size, its
#: spend and catchments scaled to match (aggregate_vs_agent), ten years, eight seeds. Measured
#: with them (python -m simulator.validation --aggregate scenarios/<name>.toml --years 10 --seeds
#: $(seq 11 18)): docs/MODEL.md, "Levers in both views".
LEVER_SCENARIOS = ("prevention_investment", "community_hubs")
LEVER_SEEDS = tuple(range(11, 19))
LEVER_YEARS = 10
EFFECT_YEARS = slice(3, 10)  # 2028-2034: after prevention spend and hubs' trust have built up
#: With a lever, each stock's gap over the ten years, on average, within 2% or 3 standard errors
#: (measured: at most 1.04% for prevention, 0.55% for hubs). Not year by year: hubs' CP gap is
#: -3.9% in 2032 (-3.0% over 16 runs, docs/MODEL.md), where the view's hub families stay like the
#: rest of their group and the agent-based model's come to differ.


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """The comparison ``python -m simulator.validation --aggregate`` prints, on the test's seeds."""
    return aggregate_vs_agent(seeds=SEEDS)


@pytest.fixture(scope="module")
def paired(table) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    assert list(table["stock"].unique()) == STOCKS
    return _wide(table)


def test_same_columns_as_agent_based_results() -> None:
    agg = run_aggregate(with_overrides(Scenario(), {"run": {"years": 2}}))
    from simulator.results import ANNUAL_COLUMNS

    assert set(ANNUAL_COLUMNS) <= set(agg.annual.columns)
    assert list(agg.annual["year"]) == [2025, 2026]
    assert len(agg.monthly) == 24
    # what this view does not compute is missing, not zero; everything else is a number
    from simulator.aggregate import NOT_COMPUTED_ANNUAL

    assert agg.annual[list(NOT_COMPUTED_ANNUAL)].isna().all().all()
    assert agg.monthly["re_referrals_within_12_months"].isna().all()
    rest = agg.annual[[c for c in ANNUAL_COLUMNS if c not in NOT_COMPUTED_ANNUAL]].select_dtypes("number")
    assert rest.notna().all().all()


def test_aggregate_is_deterministic_and_accounts() -> None:
    sc = with_overrides(Scenario(), {"run": {"years": 3}})
    a, b = run_aggregate(sc).monthly, run_aggregate(sc).monthly
    cols = ["children_UNIVERSAL", "children_EARLY_HELP", "children_CIN", "children_CP", "children_LAC"]
    np.testing.assert_array_equal(a[cols].to_numpy(), b[cols].to_numpy())
    # the child population follows its path; no negative stocks
    assert (a[cols].to_numpy() >= 0).all()
    np.testing.assert_allclose(a["child_population"], 61_300, rtol=1e-6)
    # care stock: last month's stock + starts - ceases
    names = ["UNIVERSAL", "EARLY_HELP", "CIN", "CP", "IN"]
    starts = sum(a[f"flow_{s}_LAC"] for s in names)
    ceases = sum(a[f"flow_LAC_{s}"] for s in ["UNIVERSAL", "EARLY_HELP", "CIN", "CP", "OUT"])
    change = a["children_LAC"].diff().iloc[1:]
    np.testing.assert_allclose(change, (starts - ceases).iloc[1:], rtol=1e-9, atol=1e-6)


def _wide(table: pd.DataFrame, years: int = 20) -> tuple[dict[str, np.ndarray], ...]:
    wide = {
        k: table.pivot(index="year", columns="stock", values=k)
        for k in ("agent_mean", "agent_se", "aggregate")
    }
    assert list(wide["aggregate"].index) == list(range(2025, 2025 + years))
    return tuple({c: wide[k][c].to_numpy() for c in STOCKS} for k in ("agent_mean", "agent_se", "aggregate"))


@pytest.fixture(scope="module", params=LEVER_SCENARIOS)
def lever(request) -> tuple[dict[str, np.ndarray], ...]:
    sc = load_scenario(SCENARIOS / f"{request.param}.toml")
    assert run_aggregate(sc).meta["levers_not_modelled"] == []
    return _wide(aggregate_vs_agent(sc, seeds=LEVER_SEEDS, years=LEVER_YEARS), LEVER_YEARS)


def _check(paired, stock: str, tol: float) -> None:
    mean, se, agg = paired
    allowed = np.maximum(tol * agg[stock], 3.0 * se[stock])
    gap = np.abs(mean[stock] - agg[stock])
    worst = int(np.argmax(gap / allowed))
    assert (gap <= allowed).all(), (
        f"{stock}: year {2025 + worst} agent-based mean {mean[stock][worst]:.0f} vs aggregate "
        f"{agg[stock][worst]:.0f} (allowed +-{allowed[worst]:.0f}: {tol:.1%} or 3 SE)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("stock", STOCKS)
def test_agent_based_mean_matches_aggregate(paired, stock: str) -> None:
    """The acceptance: 2% or 3 standard errors, every year, every stock (a stock held to a wider
    tolerance would be named, with its measured reason, at ``WIDER_TOLERANCE``: none now)."""
    _check(paired, stock, WIDER_TOLERANCE.get(stock, TOLERANCE))


@pytest.mark.slow
def test_levers_levels_match(lever) -> None:
    """With a lever on: each stock's mean gap over the years within 2% or 3 standard errors.

    The standard error of the mean gap is taken as the mean of the years' (an upper bound).
    """
    mean, se, agg = lever
    for stock in STOCKS:
        gap = np.mean(mean[stock] / agg[stock] - 1)
        allowed = max(TOLERANCE, 3 * np.mean(se[stock] / agg[stock]))
        assert abs(gap) <= allowed, f"{stock}: mean gap {gap:+.2%} (allowed +-{allowed:.2%})"


@pytest.mark.slow
@pytest.mark.parametrize(
    "stock", ["early_help_31_march", "cin_plans_31_march", "cp_31_march", "lac_31_march"]
)
def test_levers_effect_matches(paired, lever, stock: str) -> None:
    """A lever's effect (its scenario less the baseline, mean of 2028-2034) agrees in both views.

    Allowed: 3 standard errors of the agent-based effect, taken as the mean of the years'
    standard errors (an upper bound of the mean's: years are not perfectly correlated).
    For early help and CIN plans the effect is larger than that, so the check could tell the
    lever from none.
    """
    (m0, se0, a0), (m1, se1, a1) = paired, lever
    yrs = EFFECT_YEARS
    agent = (m1[stock][yrs] - m0[stock][yrs]).mean()
    aggregate = (a1[stock][yrs] - a0[stock][yrs]).mean()
    se = math.hypot(se0[stock][yrs].mean(), se1[stock][yrs].mean())
    assert abs(agent - aggregate) <= 3 * se, (
        f"{stock}: effect {agent:.0f} agent-based vs {aggregate:.0f} aggregate (allowed +-{3 * se:.0f})"
    )
    if stock in ("early_help_31_march", "cin_plans_31_march"):
        assert abs(aggregate) > 3 * se


@pytest.mark.slow
def test_agreement_summary_reports_the_acceptance(paired, table) -> None:
    """The summary printed by the command line says what the test above asserts."""
    assert AGREEMENT_TOLERANCE == TOLERANCE
    summary = agreement(table)
    mean, se, agg = paired
    for stock in STOCKS:
        diff = 100 * (mean[stock] / agg[stock] - 1)
        worst = int(np.argmax(np.abs(diff)))
        assert summary.loc[stock, "largest_gap_pct"] == pytest.approx(diff[worst])
        assert summary.loc[stock, "year"] == 2025 + worst
        tol = WIDER_TOLERANCE.get(stock, TOLERANCE)
        within = np.abs(mean[stock] - agg[stock]) <= np.maximum(tol * agg[stock], 3 * se[stock])
        assert summary.loc[stock, "within"] == bool(within.all())
    # a stricter acceptance fails where a gap is larger than it and than 3 standard errors (the
    # universal stock: a gap of about 0.08%, more than 10 standard errors)
    strict = agreement(table, tol=0.0001, wider={})
    assert not strict.loc["universal", "within"]


@pytest.mark.slow
def test_aggregate_view_responds_like_the_model_to_a_lever() -> None:
    """Risk aversion up 20%: more care entries in both views, by a similar share."""
    base = with_overrides(Scenario(), {"run": {"years": 3}})
    high = with_overrides(base, {"risk_aversion": {"index": 1.2}})
    a0, a1 = run_aggregate(base).annual, run_aggregate(high).annual
    rise = a1["lac_starts"].iloc[0] / a0["lac_starts"].iloc[0] - 1
    assert 0.15 < rise < 0.45


def test_every_lever_is_in_the_view() -> None:
    """Issue 18: every lever in both views; none is left out, Troubled Families included."""
    sc = with_overrides(
        Scenario(),
        {
            "run": {"years": 2},
            "levers": {
                "troubled_families": {"places_per_year": 400.0},
                "risk_aversion": {"shocks": [{"date": "2025-11"}]},
                "prevention": {"spend_per_year": 1e6},
                "community_hubs": {"opening_dates": ["2025-06"]},
            },
        },
    )
    assert run_aggregate(sc).meta["levers_not_modelled"] == []


#: Troubled Families in both views (issue 18): the typical LA, the programme's scenario (400
#: families a year), ten years, sixteen paired engine runs. Measured (4 Dec 2026): looked after at
#: 31 March, view -2.6 to -42.1 children over the ten years, engine -2.8 to -40.8 (SE 0.5-2.2).
TF_YEARS, TF_RUNS, TF_SEED = 10, 16, 11


@pytest.fixture(scope="module")
def troubled_families_effects() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The programme's effect by year in the view, and the engine's paired mean and its SE."""
    from simulator.compare import compare

    over = {"run": {"years": TF_YEARS, "record_episodes": False}}
    base = load_scenario(SCENARIOS / "baseline.toml", over)
    tf = load_scenario(SCENARIOS / "troubled_families_continued.toml", over)
    a0, a1 = run_aggregate(base).annual, run_aggregate(tf).annual
    view = a1.set_index("year").select_dtypes("number") - a0.set_index("year").select_dtypes("number")
    d = compare(base, tf, runs=TF_RUNS, seed=TF_SEED).differences
    return view, d


@pytest.mark.slow
def test_troubled_families_effect_agrees_with_the_engine(troubled_families_effects) -> None:
    """The programme's effect in the view agrees with the engine's within 3 standard errors.

    Looked after at 31 March and entries to care (what the programme acts on): every one of the
    ten years. Early help, CIN plans and protection plans at 31 March (knock-on effects, noisier):
    their mean over the ten years, its standard error taken as the mean of the years' (an upper
    bound). The effect on looked after is many standard errors from zero, so the check could tell
    the programme from none.
    """
    view, d = troubled_families_effects
    for measure in ("lac_31_march", "lac_starts"):
        w = d[d.measure == measure].set_index("year")
        gap = (view.loc[w.index, measure] - w.difference_mean).abs()
        worst = gap.idxmax()
        assert (gap <= 3 * w.difference_se).all(), (
            f"{measure} {worst}: view {view.loc[worst, measure]:.1f}, engine "
            f"{w.difference_mean[worst]:.1f} (allowed +-{3 * w.difference_se[worst]:.1f})"
        )
    lac = d[d.measure == "lac_31_march"].set_index("year")
    assert (lac.difference_mean.iloc[-3:] < -5 * lac.difference_se.iloc[-3:]).all()
    for measure in ("early_help_31_march", "cin_plans_31_march", "cp_31_march"):
        w = d[d.measure == measure].set_index("year")
        gap = view.loc[w.index, measure].mean() - w.difference_mean.mean()
        assert abs(gap) <= 3 * w.difference_se.mean(), f"{measure}: mean gap {gap:+.1f}"


def test_troubled_families_followed_within_the_families() -> None:
    """The programme's families are tagged groups within the view's families, never more than them,
    and a programme with no effect changes nothing."""
    from simulator.aggregate.programmes import programme_groups
    from simulator.policies.programme import scenario_programmes

    sc = with_overrides(
        Scenario(), {"run": {"years": 3}, "levers": {"troubled_families": {"places_per_year": 400}}}
    )
    T = sc.run.burn_in_months + 36
    tg = programme_groups(scenario_programmes(sc), sc, T, np.zeros(10), 8, 10)
    assert tg.TG.shape[0] == 7 and tg.starts[0, sc.run.burn_in_months] == pytest.approx(400 / 12)
    assert tg.mult[0, 6] == pytest.approx(0.68) and tg.mult[-1].tolist() == [1.0] * 8
    assert tg.first.tolist() == [0] and tg.done.tolist() == [6] and tg.nxt[2] == 3
    off = with_overrides(Scenario(), {"run": {"years": 3}})
    assert programme_groups(scenario_programmes(off), off, T, np.zeros(10), 8, 10).TG.shape[0] == 0
    # a stage shorter than three months: one group a month (exact), not three
    short = with_overrides(
        sc, {"levers": {"troubled_families": {"intervention_months": 1, "effect_months_after": 2}}}
    )
    tg = programme_groups(scenario_programmes(short), short, T, np.zeros(10), 8, 10)
    assert tg.exit_p.tolist() == [1.0, 1.0, 1.0, 0.0]
    # no effect: the programme's families behave like the rest, so the view's tables are unchanged
    # over ten years (children coming home from care join tagged families as they join any)
    none = with_overrides(
        Scenario(),
        {
            "run": {"years": 10},
            "levers": {
                "troubled_families": {
                    "places_per_year": 400,
                    "care_entry_reduction": 0.0,
                    "recovery_boost": 0.0,
                }
            },
        },
    )
    base = with_overrides(Scenario(), {"run": {"years": 10}})
    a, b = run_aggregate(base).annual, run_aggregate(none).annual
    cols = [
        "lac_31_march",
        "cp_31_march",
        "cin_plans_31_march",
        "early_help_31_march",
        "referrals",
        "lac_starts",
    ]
    np.testing.assert_allclose(b[cols].to_numpy(), a[cols].to_numpy(), rtol=1e-9)
    on = run_aggregate(sc).annual
    assert (on["lac_starts"] < a["lac_starts"].iloc[:3].to_numpy()).all()


def _packed_pv() -> np.ndarray:
    from simulator.aggregate import _packing

    return _packing(Scenario()).PV.copy()


def test_family_path_is_a_distribution_and_follows_plan_reviews() -> None:
    """The state a family with a child in care has reached when the child comes home."""
    from simulator import aggregate as ag
    from simulator.agents import kernel as kn

    PV = _packed_pv()
    dep = np.ones(ag.ND)
    S = ag._family_path(PV, dep, 1.0, 3)
    np.testing.assert_allclose(S.sum(axis=3), 1.0, atol=1e-12)
    np.testing.assert_array_equal(S[:, 0, :, 3], 1.0)  # on the plan when the child entered
    # higher need keeps a plan open longer (reviews end plans less often)
    assert (S[:, 12, 3, 3] > S[:, 12, 0, 3]).all()
    # with every hazard off, only the reviews move a family: still on a plan after x months with
    # chance (1 - end) ** (x / interval)
    PV[kn.V_BASE : kn.V_BASE + 4 * 4 * 7] = 0.0
    S = ag._family_path(PV, dep, 1.0, 3)
    x = np.arange(ag.HORIZON)
    for n in range(ag.NN):
        expect = (1.0 - PV[kn.V_CP_END + n]) ** (x / PV[kn.P_CP_INTERVAL])
        np.testing.assert_allclose(S[0, :, n, 3], expect, rtol=1e-9)
        # an ended plan steps down to CIN with the step-down share, the rest close
        ended = 1.0 - expect
        np.testing.assert_allclose(S[0, :, n, 2], ended * PV[kn.P_CP_STEPDOWN], rtol=1e-9, atol=1e-15)


def test_child_returning_home_reopens_a_closed_family_as_cin() -> None:
    """A child comes home to a family in the state it has reached; a closed case reopens as CIN."""
    from simulator import aggregate as ag

    F = np.zeros((ag.NS, ag.NN, ag.ND, ag.NP, ag.NW, ag.NC))
    F[0, 1, 0, ag.P_LAC, ag.W_OLD, 2] = 10.0  # universal, need 1, two children at home, a child in care
    F[3, 3, 0, ag.P_LAC, 0, 1] = 5.0  # on a protection plan, one child at home
    back = np.zeros((ag.ND, ag.NN, 3))
    back[0, 0, 1] = 4.0  # four children to universal families (state 0), from CIN at entry
    back[0, 3, 2] = 1.0  # one to a family on a plan
    flows = np.zeros((7, 7))
    kids_before = (F * (np.arange(ag.NC) % ag.NH)).sum()
    joined = np.zeros((ag.ND, 2, ag.NS))  # the shares of families joined (a programme's move alike)
    ag._return_home(F, back, 2, np.full(ag.NJ, 1.0 / ag.NJ), flows, joined)
    assert joined[0, 0, 0] == pytest.approx(0.4) and joined[0, 0, 3] == pytest.approx(0.2)
    assert np.count_nonzero(joined) == 2
    # four universal families now CIN with three children, need raised to 2
    assert F[2, 2, 0, ag.P_LAC, ag.W_OLD, 3] == pytest.approx(4.0)
    assert F[0, 1, 0, ag.P_LAC, ag.W_OLD, 2] == pytest.approx(6.0)
    # one family on a plan has a second child at home, need unchanged (3 >= 2)
    assert F[3, 3, 0, ag.P_LAC, 0, 2] == pytest.approx(1.0)
    assert (F * (np.arange(ag.NC) % ag.NH)).sum() == pytest.approx(kids_before + 5.0)
    assert flows[4, 0] == pytest.approx(4.0) and flows[4, 3] == pytest.approx(1.0)
    assert flows[4].sum() == pytest.approx(back.sum())
    assert flows[0, 2] == pytest.approx(4.0 * 3)  # the reopened families' children
    # no family with a child in care left in the state wanted: one with earlier involvement in
    # that state takes the child, before any other state
    F[3, 3, 0, ag.P_LAC] = 0.0
    F[3, 2, 0, 1, 0, 1] = 2.0  # on a plan, earlier involvement, one child at home
    F[2, 2, 0, 1, ag.W_OLD, 1] = 50.0  # many more on CIN
    flows[:] = 0.0
    back[:] = 0.0
    back[0, 3, 2] = 1.0
    ag._return_home(F, back, 2, np.full(ag.NJ, 1.0 / ag.NJ), flows, joined)
    assert joined[0, 1, 3] == pytest.approx(0.5) and np.count_nonzero(joined) == 1
    assert F[3, 2, 0, 1, 0, 2] == pytest.approx(1.0) and F[3, 2, 0, 1, 0, 1] == pytest.approx(1.0)
    assert F[2, 2, 0, 1, ag.W_OLD, 1] == 50.0
    assert flows[4, 3] == pytest.approx(1.0) and flows[4].sum() == pytest.approx(1.0)


def test_family_month_rows_are_distributions_and_a_plans_front_door_leads_to_cin() -> None:
    from simulator import aggregate as ag

    PV = _packed_pv()
    nr = 1 + ag.RECENT_STAGES
    for s in range(ag.NS):
        for r in range(nr):
            for n in range(ag.NN):
                out = np.zeros((ag.NS, nr, ag.NN))
                ag._family_month(out, PV, s, r, n, 1.0)
                assert out.min() >= 0.0
                assert out.sum() == pytest.approx(1.0, abs=1e-12)
    # a family on a plan referred to the front door and found to need CIN goes to CIN (as in
    # _month and the kernel): with only referral on, and every assessment a CIN outcome
    from simulator.agents import kernel as kn

    PV[kn.V_BASE : kn.V_BASE + 4 * 4 * 7] = 0.0
    PV[kn.V_BASE + (3 * 4 + 1) * 7 + 2] = 12.0 / (PV[kn.P_PRIOR_REF] * PV[kn.P_RA_REF])  # CP, need 1
    PV[kn.P_ASSESSED] = 1.0
    PV[kn.V_EH_OUT + 1] = PV[kn.V_S47_OUT + 1] = 0.0
    PV[kn.V_CIN_OUT + 1] = 1.0
    out = np.zeros((ag.NS, nr, ag.NN))
    ag._family_month(out, PV, 3, 0, 1, 1.0)
    assert out[2, 0, 1] == pytest.approx(1.0 - np.exp(-1.0))
    assert out[3, 0, 1] == pytest.approx(np.exp(-1.0))


def test_levers_with_no_effect_leave_the_aggregate_unchanged() -> None:
    """Hubs and prevention reach whose effects are zero: the mixes over families in and out of
    them come back to the baseline's numbers (their shares add up to one); with effects, not."""
    base = with_overrides(Scenario(), {"run": {"years": 4}})
    idle = {
        "levers": {
            "prevention": {
                "spend_per_year": 5e6,
                "early_help_share": 0.0,
                "adverse_reduction": 0.0,
                "identification_boost": 0.0,
            },
            "community_hubs": {
                "opening_dates": ["2025-06", "2025-06", "2026-01"],
                "adverse_reduction": 0.0,
                "identification_boost": 0.0,
                "rereferral_reduction": 0.0,
            },
        }
    }
    cols = ["early_help_31_march", "cin_31_march", "cp_31_march", "lac_31_march", "referrals"]
    a0 = run_aggregate(base).annual[cols].to_numpy()
    a1 = run_aggregate(with_overrides(base, idle)).annual[cols].to_numpy()
    np.testing.assert_allclose(a1, a0, rtol=1e-12)
    live = with_overrides(base, {"levers": {"community_hubs": {"opening_dates": ["2025-06"]}}})
    a2 = run_aggregate(live).annual[cols].to_numpy()
    assert a2[-1, 0] > a0[-1, 0] and a2[-1, 4] < a0[-1, 4]  # found earlier, fewer referrals


def test_agreement_table_does_not_depend_on_the_number_of_workers() -> None:
    one = aggregate_vs_agent(seeds=(3, 4, 5), children=20_000, years=2, workers=1)
    two = aggregate_vs_agent(seeds=(3, 4, 5), children=20_000, years=2, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert one["agent_se"].gt(0).any()


def test_section47_practice_moves_enquiries_not_emergencies_in_both_views() -> None:
    """``front_door.section47_path`` at one half: about half the enquiries in both views, and the
    emergency removals (a child in immediate danger is removed whatever the practice) about as many.
    More of the enquiries made go to conference: ``0.5 ** -front_door.conference_practice_elasticity``
    times as many of them (kernel ``conference_given_s47``), in both views.

    The first year, before the fewer plans feed back into need; the engine over 8 paired seeds.
    """
    from simulator.model import CSCModel

    base = with_overrides(Scenario(), {"run": {"years": 2, "record_episodes": False}})
    half = with_overrides(base, {"front_door": {"section47_path": 0.5}})
    a0, a1 = run_aggregate(base).annual.iloc[0], run_aggregate(half).annual.iloc[0]
    assert a1["section47_enquiries"] / a0["section47_enquiries"] == pytest.approx(0.5, abs=0.06)
    assert a1["emergency_removals"] / a0["emergency_removals"] == pytest.approx(1.0, abs=0.08)
    assert a1["cp_starts"] < 0.75 * a0["cp_starts"]  # fewer enquiries, fewer conferences and plans

    def first_year(sc: Scenario) -> pd.Series:
        rows = []
        for seed in range(1, 9):
            m = CSCModel(sc, seed=seed)
            m.run()
            rows.append(m.results().annual.iloc[0])
        return pd.DataFrame(rows).drop(columns=["scenario", "view"], errors="ignore").mean(numeric_only=True)

    e0, e1 = first_year(base), first_year(half)
    # conferences per enquiry (emergencies take a few enquiries' outcomes, hence the tolerance)
    rise = 0.5**-base.front_door.conference_practice_elasticity
    for r0, r1 in ((a0, a1), (e0, e1)):
        share = [r["initial_cp_conferences"] / r["section47_enquiries"] for r in (r0, r1)]
        assert share[1] / share[0] == pytest.approx(rise, rel=0.05), (share, rise)
    assert e1["section47_enquiries"] / e0["section47_enquiries"] == pytest.approx(0.5, abs=0.06)
    assert e1["emergency_removals"] / e0["emergency_removals"] == pytest.approx(1.0, abs=0.15)
    assert e1["cp_starts"] < 0.75 * e0["cp_starts"]
    # the two views agree on the effect, not only on its direction
    ratio = (e1["cp_starts"] / e0["cp_starts"]) / (a1["cp_starts"] / a0["cp_starts"])
    assert ratio == pytest.approx(1.0, abs=0.08)


#: The ways out of care's tests: 613,000 children, three years, no logs.
_WAYS_OUT_BASE = with_overrides(
    Scenario(), {"population": {"children": 613_000}, "run": {"years": 3, "record_episodes": False}}
)


def _engine_mean(sc: Scenario, cols: list[str], seeds: range = range(1, 5)) -> pd.DataFrame:
    """The engine's annual ``cols``, averaged over paired ``seeds``."""
    from simulator.model import CSCModel

    rows = []
    for seed in seeds:
        m = CSCModel(sc, seed=seed)
        m.run()
        rows.append(m.results().annual[cols])
    return sum(rows) / len(rows)


def test_exit_plan_drivers_act_alike_in_both_views() -> None:
    """``care.return_home_path`` and ``care.special_guardianship_path`` change the plans made when
    care starts, and the starting stock's (made under the first year's practice), alike in both views.

    More returns home and half the special guardianship: each view's exits move the same way and by
    about as much (the engine over 4 paired seeds at 613,000 children).
    """
    base = _WAYS_OUT_BASE
    drive = with_overrides(base, {"care": {"return_home_path": 1.5, "special_guardianship_path": 0.5}})
    cols = ["returned_home", "special_guardianship", "lac_31_march"]
    e = _engine_mean(drive, cols) / _engine_mean(base, cols)
    a = run_aggregate(drive).annual[cols] / run_aggregate(base).annual[cols]
    # the first year's special guardianship comes mostly from the starting stock, whose plans
    # follow the first year's practice: it falls by about 30% at once (not a half: the long-run
    # route of young children with no plan ends under special guardianship in half its cases)
    assert a["special_guardianship"].iloc[0] < 0.8 and e["special_guardianship"].iloc[0] < 0.82
    assert (a["returned_home"] > 1.25).all() and (e["returned_home"] > 1.25).all()
    for c in cols:
        assert e[c].mean() == pytest.approx(a[c].mean(), abs=0.05), c
    assert a["lac_31_march"].iloc[-1] < 0.97 and e["lac_31_march"].iloc[-1] < 0.97  # fewer in care


def test_the_court_timetable_moves_adoption_and_special_guardianship_alike_in_both_views() -> None:
    """``care.court_weeks_path``: with proceedings 40 weeks shorter than 2024's, every adoption and
    special guardianship plan made from the first year is about nine months shorter, alike in both
    views (the engine over 4 paired seeds at 613,000 children).

    The plans are made when care starts (and the starting stock's under the first year's
    practice), so the orders come sooner: more of them over the first three years (measured, 6 Dec
    2026: adoptions +7.5% in the view and +5.0% in the engine, special guardianship +4.2% and
    +5.6%), then fewer children in care (-3.0% and -3.3% at the third 31 March). Returns home move
    by 1-2% only: the starting stock's plans, drawn among those that outlast their time so far,
    hold fewer of the shorter adoptions and more of the other plans.
    """
    base = _WAYS_OUT_BASE
    quick = with_overrides(base, {"care": {"court_weeks_path": -40.0}})
    cols = ["adoptions", "special_guardianship", "returned_home", "lac_31_march"]
    e = _engine_mean(quick, cols) / _engine_mean(base, cols)
    a = run_aggregate(quick).annual[cols] / run_aggregate(base).annual[cols]
    for ratios in (a, e):
        assert ratios["adoptions"].mean() > 1.03 and ratios["special_guardianship"].mean() > 1.02
        assert ratios["lac_31_march"].iloc[-1] < 0.985  # children leave sooner: fewer in care
        assert ratios["returned_home"].sub(1).abs().max() < 0.03  # the other ways out keep their time
    for c in cols:
        assert e[c].mean() == pytest.approx(a[c].mean(), abs=0.03), c


def test_a_raised_return_home_share_gives_way_to_the_other_plans() -> None:
    """At paths of 1 the packed shares are the schema's own. A return-home share raised past the
    room the other plans leave takes only that room (kernel ``exit_plan_shares``): the other
    plans keep their shares and the long stays give way."""
    from simulator.agents import kernel as kn
    from simulator.agents.services import Services, yearly_parameters

    sc = Scenario()
    yearly = yearly_parameters(sc)
    adopt, sgo = yearly.column(kn.P_ADOPT_U5), yearly.column(kn.P_SGO)
    home = np.column_stack([yearly.column(kn.V_RH + r) for r in range(3)])
    assert (adopt == sc.care.adoption_share_under5).all()
    assert (sgo == sc.care.special_guardianship_share).all()
    assert (home == np.asarray(sc.care.return_home_share)).all()
    big = with_overrides(sc, {"care": {"return_home_path": 4.0}})
    PV = Services(SimpleNamespace(scenario=big, key=(1, 2)), capacity=16).PV.copy()
    yearly_parameters(big).write(PV, 0)
    age_12 = 12 * 12.0  # months: old enough for the other exits
    rh, ad, g, oth, longrun, stay = kn.exit_plan_shares(PV, age_12, 0)
    assert (ad, g, oth) == (0.0, sc.care.special_guardianship_share, sc.care.other_exit_share)
    assert rh == pytest.approx(1.0 - g - oth) and longrun + stay == pytest.approx(0.0, abs=1e-12)
    young = 12.0 * sc.care.other_exit_min_age_years - 1  # too young for the other exits: more room
    rh_young, ad_young, *_ = kn.exit_plan_shares(PV, young, 0)
    assert rh_young == pytest.approx(min(4.0 * sc.care.return_home_share[0], 1.0 - g - ad_young))


def test_a_special_guardianship_path_is_checked_year_by_year() -> None:
    """With a special guardianship path the shares are checked for each year, so a scenario whose
    years each fit is accepted even where the largest adoption path with the base special
    guardianship share would not (and a path into the future is read by the year it acts in)."""
    sc = with_overrides(Scenario(), {"care": {"adoption_path": 2.5, "special_guardianship_path": 0.3}})
    assert sc.care.adoption_path == 2.5  # 0.60 + 0.042 <= 1 every year
    with pytest.raises(ValueError, match="in 2026"):  # 0.27 (other exits) + 0.2 x 4.5 > 1 in 2026 only
        with_overrides(
            Scenario(),
            {
                "care": {
                    "special_guardianship_share": 0.2,
                    "special_guardianship_path": {"2025": 1.0, "2026": 4.5},
                }
            },
        )
