"""Finance: Green Book discounting, payback, NPV, costs by line, Monte Carlo, workbook.

Hand-computed cases first (the SALib habit: a known answer), then the pieces that
read run outputs, with hand-made tables and a cheap stand-in for the model where
only the statistics are under test.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from simulator.finance import (
    BUDGET_LINES,
    SHEETS,
    ModelRunner,
    activities,
    appraise,
    appraise_runs,
    breakeven_year,
    cashflow_sheet,
    costs_by_line,
    discount_factors,
    format_payback,
    monte_carlo,
    npv,
    payback_period,
    payback_report,
    scheme_grade,
    switching_values,
    tornado,
    unit_cost_table,
    uprating_factor,
    write_outputs,
)
from simulator.finance.costs import PLACEMENT_NAMES, WEEKS_PER_MONTH
from simulator.finance.report import FLOW_PREFIXES, cashflow_label, line_treatment
from simulator.schema import Scenario, ScenarioError, with_overrides

# -- Green Book discounting --------------------------------------------------------------------


def test_green_book_discount_factors():
    f = discount_factors(41)
    assert f[0] == 1.0
    assert round(f[10], 4) == 0.7089  # Green Book table: year 10
    assert round(f[30], 4) == 0.3563  # Green Book table: year 30
    assert f[31] == pytest.approx(f[30] / 1.03, rel=1e-12)  # 3.0% from year 31
    assert f[40] == pytest.approx(1.035**-30 * 1.03**-10, rel=1e-12)


# -- hand-computed cash flows ------------------------------------------------------------------


def test_payback_and_npv_of_hand_computed_flows():
    # invest 100 in year 0; save 60 in years 1 and 2
    assert payback_period([100, -60, -60]) == pytest.approx(2 + 40 / 60, abs=1e-12)
    expected_npv = -100 + 60 / 1.035 + 60 / 1.035**2
    assert npv([0, 60, 60], [100, 0, 0], discount_factors(3)) == pytest.approx(expected_npv, abs=1e-9)
    assert expected_npv == pytest.approx(13.981657, abs=1e-6)  # 57.971014 + 56.010643 - 100
    # discounted payback: -57.971... and -56.0106... repay 100
    d = np.array([100, -60 / 1.035, -60 / 1.035**2])
    assert payback_period(d) == pytest.approx(2 + (100 - 60 / 1.035) / (60 / 1.035**2), abs=1e-12)
    assert payback_period([-5, 1, 1]) == 0.0  # saves from the start
    assert math.isnan(payback_period([0, 0, 0]))  # nothing to pay back
    assert breakeven_year(2.5, 2024) == 2027 and breakeven_year(3.0, 2024) == 2027


def _lines(**cols: list[float]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    df = pd.DataFrame(
        {line: cols.get(line, [0.0] * n) for line in BUDGET_LINES},
        index=pd.Index(range(2025, 2025 + n), name="year"),
        dtype=float,
    )
    df["total"] = df.sum(axis=1)
    return df


def test_appraise_matches_hand_computation_gross_net_cashable():
    base = _lines(placements=[0, 100, 100], social_work=[10, 10, 10])
    scen = _lines(placements=[0, 40, 40], social_work=[10, 10, 10], programmes=[100, 0, 0])
    fin = with_overrides(
        Scenario(),
        {"finance": {"deadweight": 0.2, "optimism_bias": {"H": 0.1}, "cashable_share": {"placements": 0.5}}},
    ).finance
    a = appraise(base, scen, fin, grade="H", start_year=2024)
    cf = a.cashflow
    assert cf["investment"].tolist() == [100, 0, 0]
    assert cf["benefit_gross"].tolist() == [0, 60, 60]
    adj = 0.8 * 0.9
    assert cf["benefit_net"].tolist() == pytest.approx([0, 60 * adj, 60 * adj])
    assert cf["benefit_cashable"].tolist() == pytest.approx([0, 30 * adj, 30 * adj])
    assert a.payback("gross") == pytest.approx(2 + 40 / 60)
    net = 60 * adj  # 43.2 a year: repays 86.4 of 100 in two years
    assert math.isinf(a.payback("net"))
    assert a.npv("gross") == pytest.approx(-100 + 60 / 1.035 + 60 / 1.035**2)
    assert a.npv("net") == pytest.approx(-100 + net / 1.035 + net / 1.035**2)
    assert a.measures.loc["bcr", "gross"] == pytest.approx((60 / 1.035 + 60 / 1.035**2) / 100)
    assert a.measures.loc["roi", "gross"] == pytest.approx(a.measures.loc["bcr", "gross"] - 1)
    # extra social work demand (-20 a year) is not shrunk by deadweight, bias or cashable share
    scen2 = _lines(placements=[0, 40, 40], social_work=[10, 30, 30], programmes=[100, 0, 0])
    a2 = appraise(base, scen2, fin, grade="H", start_year=2024)
    assert a2.cashflow["benefit_gross"].tolist() == [0, 40, 40]
    assert a2.cashflow["benefit_net"].tolist() == pytest.approx([0, 60 * adj - 20, 60 * adj - 20])
    assert a2.cashflow["benefit_cashable"].tolist() == pytest.approx([0, 30 * adj - 20, 30 * adj - 20])


def test_seed_npvs_average_to_the_central_npv_when_a_line_saves_in_one_seed_and_costs_in_another():
    """The net view shrinks savings but counts extra demand in full, line by line, so it is not
    linear; with the central estimate's treatment of each line the seeds' NPVs average to it."""
    fin = with_overrides(Scenario(), {"finance": {"deadweight": 0.0, "optimism_bias": {"H": 0.4}}}).finance
    base = _lines(placements=[100, 100], social_work=[10, 10])
    seed_a = _lines(placements=[80, 80], social_work=[10, 10])  # placements save 40
    seed_b = _lines(placements=[115, 90], social_work=[10, 10])  # placements cost 5 (+15, -10)
    mean = (seed_a + seed_b) / 2  # placements 97.5, 85: save 17.5 over the horizon
    central = appraise(base, mean, fin, grade="H", start_year=2024)
    own = [appraise(base, x, fin, grade="H", start_year=2024) for x in (seed_a, seed_b)]
    assert np.mean([a.npv("gross") for a in own]) == pytest.approx(central.npv("gross"))
    # seed b adds demand on its own (-5 over the horizon): in full; the central estimate saves
    assert np.mean([a.npv("net") for a in own]) != pytest.approx(central.npv("net"))
    saves = line_treatment(central)
    assert saves["placements"] is True
    shared = [appraise(base, x, fin, grade="H", start_year=2024, saves=saves) for x in (seed_a, seed_b)]
    for b in ("gross", "net", "cashable"):
        assert np.mean([a.npv(b) for a in shared]) == pytest.approx(central.npv(b), abs=1e-9)
    # seed b under the central treatment: its placements (+15 then -10) shrunk like a saving
    assert shared[1].cashflow["benefit_net"].tolist() == pytest.approx([-15 * 0.6, 10 * 0.6])


def test_a_scheme_that_never_pays_back_says_so():
    horizon = 5
    flows = [100, -10, -10, -10, -10]
    years = payback_period(flows)
    assert math.isinf(years)
    text = format_payback(years, horizon, 2024)
    assert text == "does not pay back within the 5-year horizon"
    assert str(horizon) + ".0" not in text and "5 years" not in text
    # paying back and then falling behind again is not a payback
    assert math.isinf(payback_period([100, -150, 100]))
    base = _lines(placements=[100] * horizon)
    scen = _lines(placements=[95] * horizon, hubs=[200] + [20] * (horizon - 1))
    a = appraise(base, scen, Scenario().finance, grade="L")
    for basis in ("gross", "net", "cashable"):
        assert math.isinf(a.payback(basis)) and math.isinf(a.payback(basis, discounted=True))
        assert a.npv(basis) < 0


# -- costs from run outputs --------------------------------------------------------------------


def _fake_results(years: int = 2, start: int = 2024, policy: pd.DataFrame | None = None) -> SimpleNamespace:
    """Run outputs built by hand: 10 child-months of each activity a year, 100 early help places."""
    acts = ["referrals", "assessments", "section47_enquiries", "cin_child_months", "cp_child_months"] + [
        f"lac_{p}_child_months" for p in PLACEMENT_NAMES
    ]
    annual = pd.DataFrame({"year": range(start + 1, start + 1 + years), **{a: 10.0 for a in acts}})
    monthly = pd.DataFrame(
        {
            "month": range(12 * years),
            "reporting_year": [start + 1 + m // 12 for m in range(12 * years)],
            "early_help_places": 100.0,
        }
    )
    return SimpleNamespace(
        annual=annual,
        monthly=monthly,
        policy=policy if policy is not None else pd.DataFrame(),
        meta={"start_year": start},
    )


def test_costs_by_line_from_hand_made_outputs_and_policy_table():
    policy = pd.DataFrame(
        {
            "month": [0, 1, 12, 0, 13],
            "policy": [
                "community_hubs",
                "community_hubs",
                "community_hubs",
                "troubled_families",
                "troubled_families",
            ],
            "families_served": 0.0,
            "places": 0.0,
            "running_cost_gbp": [1000.0, 1000.0, 500.0, 200.0, 300.0],
            "capital_cost_gbp": [50_000.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    res = _fake_results(policy=policy)
    sc = Scenario()
    table = unit_cost_table(sc)
    lines = costs_by_line(activities(res), table, sc.finance)
    c = sc.costs
    # early help: 100 places x 12 months x £165 (2010-11) x 1.35
    assert lines.loc[2025, "early_help"] == pytest.approx(1200 * 165 * 1.35)
    weekly = sum(
        getattr(c, f"{p}_week").value * uprating_factor(getattr(c, f"{p}_week").price_year, sc.finance)
        for p in PLACEMENT_NAMES
    )
    assert lines.loc[2025, "placements"] == pytest.approx(10 * WEEKS_PER_MONTH * weekly)
    assert c.in_house_foster_week.price_year == "2013-14" and uprating_factor("2013-14", sc.finance) == 1.30
    social = 10 * (
        c.referral.value * 1.35
        + c.assessment.value * 1.35
        + c.section47_enquiry.value * 1.35
        + c.cin_child_month.value * 1.35
        + c.cp_child_month.value * 1.30
    )
    assert lines.loc[2025, "social_work"] == pytest.approx(social)
    assert lines.loc[2025, "hubs"] == 52_000.0 and lines.loc[2026, "hubs"] == 500.0
    assert lines.loc[2025, "programmes"] == 200.0 and lines.loc[2026, "programmes"] == 300.0
    assert lines.loc[2025, "total"] == pytest.approx(lines.loc[2025, list(BUDGET_LINES)].sum())
    # in 2013-14 prices everything is divided by the 2013-14 factor
    fin13 = with_overrides(sc, {"finance": {"base_price_year": "2013-14"}}).finance
    lines13 = costs_by_line(activities(res), table, fin13)
    assert lines13.loc[2025, "hubs"] == pytest.approx(52_000 / 1.30)


def test_unit_cost_table_has_source_and_price_year_for_every_cost():
    t = unit_cost_table(Scenario())
    assert t["source"].str.len().min() > 10
    assert t["price_year"].str.match(r"^\d{4}").all()
    assert (t["value_base_prices"] == t["value"] * t["uprating_factor"]).all()
    assert set(t.loc[t["used"], "budget_line"]) == {"early_help", "social_work", "placements"}


# -- bad input names the field -------------------------------------------------------------------


@pytest.mark.parametrize(
    "over, field",
    [
        ({"costs": {"referral": {"value": -5.0}}}, "costs.referral.value"),
        ({"finance": {"discount_rate": 0.25}}, "finance.discount_rate"),
        ({"finance": {"discount_rate": -0.01}}, "finance.discount_rate"),
        ({"finance": {"cashable_share": {"placements": 1.5}}}, "finance.cashable_share.placements"),
        ({"finance": {"cashable_share": {"transport": 0.5}}}, "finance.cashable_share"),
    ],
)
def test_bad_finance_input_names_the_field(over, field):
    with pytest.raises(ScenarioError) as err:
        with_overrides(Scenario(), over)
    assert len(err.value.problems) == 1
    assert field in err.value.problems[0]
    if "transport" in str(over):
        assert "'transport'" in err.value.problems[0] and "unknown budget line" in err.value.problems[0]


def test_missing_uprating_year_names_the_field():
    """Refused when the scenario is built (before any run: `run` took it and only `payback`
    refused it), and by the finance module for a scenario put together another way."""
    with pytest.raises(
        ScenarioError, match=r"costs\.referral\.price_year = '1999-00': finance.uprating has no"
    ):
        with_overrides(Scenario(), {"costs": {"referral": {"price_year": "1999-00"}}})
    with pytest.raises(ScenarioError, match=r"finance.base_price_year = '2031-32'"):
        with_overrides(Scenario(), {"finance": {"base_price_year": "2031-32"}})
    sc = Scenario.model_construct(**dict(Scenario()))  # unvalidated: the finance module's own check
    sc.costs.referral = sc.costs.referral.model_copy(update={"price_year": "1999-00"})
    with pytest.raises(ScenarioError, match=r"price_year = '1999-00'"):
        unit_cost_table(sc)


# -- paired seeds and uncertainty -------------------------------------------------------------------


def _hubs(base: Scenario, **lever: object) -> Scenario:
    return with_overrides(
        base,
        {"name": "hubs", "levers": {"community_hubs": {"opening_dates": ["2025-04", "2025-04"], **lever}}},
    )


def _stand_in(scenario: Scenario, seed: int) -> pd.DataFrame:
    """A cheap stand-in for the model: placements fall with the hubs' effect, plus seed noise."""
    res = _fake_results(years=scenario.run.years)
    act = activities(res)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 3.0, size=len(act))
    act["lac_childrens_home_child_months"] = 200.0 + noise
    hubs = scenario.levers.community_hubs
    if hubs.opening_dates:
        t = np.arange(len(act))
        effect = hubs.adverse_reduction / 0.12 * (1.5 + 0.5 * rng.standard_normal())
        act["lac_childrens_home_child_months"] -= np.where(t >= 1, 40.0 * effect, 0.0)
        act["policy:community_hubs:running"] = 300_000.0
        act["policy:community_hubs:capital"] = np.where(t == 0, 1_500_000.0, 0.0)
    return act


def test_identical_scenarios_with_paired_seeds_have_no_effect():
    base = with_overrides(Scenario(), {"run": {"years": 2, "record_episodes": False}})
    copy = with_overrides(base, {"name": "copy"})
    runner = ModelRunner()
    a = payback_report(copy, base, runs=0, seed=5, central_seeds=1, sensitivity=False, runner=runner).central
    assert runner.runs == 1  # the copy reuses the baseline's run: same parameters, same seed
    assert (a.cashflow["net_cost_gross"] == 0).all() and a.npv("net") == 0
    assert math.isnan(a.payback("net"))


def test_more_monte_carlo_runs_narrow_the_payback_interval():
    base = with_overrides(Scenario(), {"run": {"years": 10}})
    scheme = _hubs(base)
    assert scheme_grade(scheme, base) == "L"
    widths = {}
    for runs in (10, 80):
        mc = monte_carlo(scheme, base, runs=runs, seed=11, runner=ModelRunner(_stand_in), basis="gross")
        lo, hi = mc.payback_interval("gross")
        assert math.isfinite(hi)
        widths[runs] = hi - lo
    # the 90% interval of the median payback shrinks about as 1/sqrt(runs): sqrt(10/80) = 0.35;
    # tolerance: at least 40% narrower with 8x the runs
    assert widths[80] < 0.6 * widths[10]


def test_monte_carlo_is_reproducible_and_reports_percentiles():
    base = with_overrides(Scenario(), {"run": {"years": 8}})
    scheme = _hubs(base)
    a = monte_carlo(scheme, base, runs=12, seed=3, runner=ModelRunner(_stand_in))
    b = monte_carlo(scheme, base, runs=12, seed=3, runner=ModelRunner(_stand_in))
    pd.testing.assert_frame_equal(a.runs, b.runs)
    s = a.summary.set_index(["measure", "basis"])
    assert s.loc[("npv", "net"), "p10"] <= s.loc[("npv", "net"), "p50"] <= s.loc[("npv", "net"), "p90"]
    p = a.p_payback_within("gross")
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(np.mean(a.runs["payback_years_gross"] <= 5))
    assert a.runs["effect_multiplier_community_hubs"].between(0.5, 1.5).all()


def test_switching_values_and_tornado_on_a_known_scheme():
    base = with_overrides(Scenario(), {"run": {"years": 10}})
    scheme = _hubs(base)
    runner = ModelRunner(_stand_in)
    sw = switching_values(scheme, base, seeds=[1, 2], runner=runner, within_years=5, basis="net")
    sw = sw.set_index("quantity")["switching_value"]
    m = sw["effect-size multiplier for payback within N years"]
    assert 0 < m < 1  # the stand-in scheme pays back within 5 years with room to spare

    def payback_at(mult: float) -> float:
        return appraise_runs(
            scheme, base, [1, 2], runner, effect_multipliers={"community_hubs": mult}
        ).payback("net")

    assert payback_at(m) <= 5 < payback_at(m - 0.05)
    central = appraise_runs(scheme, base, [1, 2], runner)
    pv_b, pv_c = central.measures.loc["pv_benefits", "net"], central.measures.loc["pv_costs", "net"]
    assert sw["deadweight for NPV = 0"] == pytest.approx(1 - pv_c / pv_b)
    hub_x = sw["multiplier on programme and hub costs for NPV = 0"]
    assert appraise_runs(scheme, base, [1, 2], runner, policy_cost_multiplier=hub_x).npv(
        "net"
    ) == pytest.approx(0.0, abs=1.0)
    t = tornado(scheme, base, seeds=[1, 2], runner=runner)
    assert t["swing"].is_monotonic_decreasing
    eff = t.set_index("input").loc["effect size: community_hubs"]
    assert eff["npv_high"] > eff["npv_low"]
    assert t.attrs["npv_central"] == pytest.approx(central.npv("net"))


# -- workbook ----------------------------------------------------------------------------------------


def test_workbook_reads_back_with_five_sheets_and_cashflow_totals(tmp_path):
    base = with_overrides(Scenario(), {"run": {"years": 8}})
    scheme = _hubs(base)
    report = payback_report(scheme, base, runs=6, seed=2, central_seeds=2, runner=ModelRunner(_stand_in))
    paths = write_outputs(report, tmp_path / "hubs.xlsx")
    assert paths["cumulative"].stat().st_size > 10_000 and paths["tornado"].stat().st_size > 10_000
    wb = openpyxl.load_workbook(paths["workbook"])
    assert wb.sheetnames == list(SHEETS)
    ws = wb["Cashflow"]
    rows = list(ws.iter_rows(values_only=True))
    cf = report.central.cashflow
    n = len(cf)
    header, body, total = rows[0], rows[1 : n + 1], rows[n + 1]
    assert list(header) == [cashflow_label(c) for c in cf.columns]
    assert list(cashflow_sheet(report).columns) == list(cf.columns) and total[0] == "Total"
    # the two runs' costs are values; every derived column and the totals are formulas (their
    # values, recalculated by LibreOffice, are checked in tests/test_workbook_audit.py)
    for j, col in enumerate(cf.columns):
        letter = get_column_letter(j + 1)
        if col.startswith(("baseline_", "scenario_")):
            assert [r[j] for r in body] == pytest.approx(cf[col].tolist())
        elif col not in ("year", "t"):
            assert all(str(r[j]).startswith("=") for r in body), col
        if col.startswith(FLOW_PREFIXES):
            assert total[j] == f"=SUM({letter}2:{letter}{n + 1})"
    assert cf["scenario_hubs"].sum() == pytest.approx(1_500_000 * 1 + 300_000 * 8)
    # Assumptions: every unit cost with its source and price year
    text = [c for row in wb["Assumptions"].iter_rows(values_only=True) for c in row if c is not None]
    for item, row in report.unit_costs.iterrows():
        assert item in text and row["source"] in text
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r[0]}
    # the central seeds are the master seed's replicate seeds (the one recipe): 2, then a child
    from simulator.seeding import replicate_seeds

    assert prov["master seed"] == 2 and prov["central seeds"] == ", ".join(map(str, replicate_seeds(2, 2)))
    summary = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert "gross" in summary and "net" in summary
    assert any(str(c).startswith("Central estimate seed by seed") for c in summary)
    by_seed = report.central_by_seed
    assert by_seed["seed"].tolist() == replicate_seeds(2, 2)
    assert by_seed.attrs["npv_se"] == pytest.approx(by_seed["npv_net"].std(ddof=1) / np.sqrt(2))
