"""Journeys (issue 19): the shapes behind the totals beside DfE's published figures.

The report (``python -m simulator.validation --journeys``) runs the baseline for 15 years over 8
paired seeds and compares the later ten years' shapes with ``simulator/data/journeys_england.csv``.
Each row's tolerance is stated there; rows the model does not yet meet are listed below as
expected failures with the mechanism that is missing (strict: a row that starts to pass fails the
suite until it is moved out of the list).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import journeys
from simulator.schema import load_scenario

BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
#: The baseline with babies removed after birth (off by default; docs/MODEL.md says why).
AFTER_BIRTH = Path(__file__).parents[1] / "docs" / "experiments" / "removal_after_birth.toml"

#: (measure, category) -> the mechanism still missing, if any (an expected failure, strict).
#: Repeat plans were the last (issue 19): the step-down that fails, cin.stepdown_section47_multiplier.
NOT_YET: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return journeys.report(load_scenario(BASELINE))


def _rows():
    pub = journeys.published()
    for r in pub[pub["use"] != "shown"].itertuples(index=False):
        key = (r.measure, r.category)
        marks = [pytest.mark.xfail(strict=True, reason=f"issue 19: {NOT_YET[key]}")] if key in NOT_YET else []
        yield pytest.param(key, marks=marks, id=f"{r.measure}-{r.category}")


@pytest.mark.parametrize("key", list(_rows()))
def test_journey_shape_is_within_its_stated_tolerance(table, key):
    rows = table[(table["measure"] == key[0]) & (table["category"] == key[1]) & (table["use"] != "shown")]
    assert len(rows) == 1, rows  # one checked figure per measure and category; others are shown
    row = rows.iloc[0]
    # shares in percentage points; means (time to adoption, age then) in their own unit
    scale = journeys.scale(row["unit"])
    gap = abs(row["model"] - row["published"]) * scale
    assert gap == pytest.approx(row["gap"])
    assert gap <= row["tolerance_points"], (
        f"{key}: model {row['model'] * scale:.1f} vs published {row['published'] * scale:.1f} "
        f"({row['unit']}, {row['year']}), {gap:.1f} off; tolerance {row['tolerance_points']:g}"
    )


def test_shares_of_each_measure_add_up(table):
    # (not lac_age_ceased: three of DfE's bands only, so its shares need not add up to 1)
    for name in (
        "lac_age_at_start",
        "lac_route_at_start",
        "lac_age_31_march",
        "lac_reason_ceased",
        "lac_legal_status",
    ):
        assert table.loc[table["measure"] == name, "model"].sum() == pytest.approx(1.0)
    d7 = table[(table["measure"] == "cp_plan_duration") & (table["category"] != "up_to_6_months")]
    assert d7["model"].sum() == pytest.approx(1.0)  # the five D7 bands (not their sum to 6 months)


def test_measure_reads_a_known_episode_log():
    """Shares from a hand-made log: every number below can be counted by eye."""
    na = pd.NA
    ep = pd.DataFrame(
        {
            "child_id": [1, 1, 2, 3, 4, 5, 6, 7],
            "state": ["CP", "CP", "CP", "LAC", "LAC", "LAC", "LAC", "LAC"],
            "start_month": [0, 20, 5, 10, 12, 0, 15, 30],
            "end_month": pd.array([3, 30, 13, 14, na, 40, 16, 42], dtype="Int64"),
            "end_reason": [
                "stepped_down",
                "closed",
                "closed",
                "returned_home",
                "",
                "moved_away",
                "adopted",
                "other_exit",
            ],
            "age_at_start": [3, 4, 9, 0, 16, 7, 1, 17],
            "age_at_end": pd.array([3, 5, 9, 0, na, 10, 1, 18], dtype="Int64"),
            "route": ["", "", "", "care_order", "uasc", "emergency", "voluntary_s20", "voluntary_s20"],
        }
    )
    got = journeys.measure(ep, 0, 48)
    # plans of 3, 10 and 8 months: one within three months, two between six and twelve
    assert got["cp_plan_duration", "up_to_3_months"] == pytest.approx(1 / 3)
    assert got["cp_plan_duration", "6_to_12_months"] == pytest.approx(2 / 3)
    assert got["cp_plan_duration", "1_to_2_years"] == 0.0
    # child 1's second plan is one of the three plans starting
    assert got["cp_second_or_later", "second_or_later"] == pytest.approx(1 / 3)
    # five children started care: under 1, 16-17 (two), 5-9, 1-4
    for band, share in (("under_1", 0.2), ("1_to_4", 0.2), ("5_to_9", 0.2), ("16_to_17", 0.4)):
        assert got["lac_age_at_start", band] == pytest.approx(share)
    # ... under section 20 (the unaccompanied child counted there, as DfE does), an order, an emergency
    assert got["lac_route_at_start", "voluntary_s20"] == pytest.approx(3 / 5)
    assert got["lac_route_at_start", "care_order"] == pytest.approx(1 / 5)
    assert got["lac_route_at_start", "emergency"] == pytest.approx(1 / 5)
    # four left: returned home, adopted, and two by routes the model files as other
    assert got["lac_reason_ceased", "returned_home"] == pytest.approx(1 / 4)
    assert got["lac_reason_ceased", "other"] == pytest.approx(2 / 4)
    assert got["lac_reason_ceased", "turned_18"] == 0.0
    # ... aged 0, 10, 1 and 18: child 7 left on its 18th birthday, though not as turning 18
    for band, share in (("under_1", 1 / 4), ("1_to_4", 1 / 4), ("5_to_9", 0.0), ("10_to_15", 1 / 4)):
        assert got["lac_age_ceased", band] == pytest.approx(share), band
    assert got["lac_age_ceased", "16_to_17"] == 0.0  # child 7 counts on its birthday, not at 17
    assert got["lac_age_ceased", "on_18th_birthday"] == pytest.approx(1 / 4)
    # ... after 4, 40, 1 and 12 months: two under a year, none of 5-10 years, none under two weeks
    assert got["lac_duration_ceased", "under_1_year"] == pytest.approx(2 / 4)
    assert got["lac_duration_ceased", "5_to_10_years"] == 0.0
    assert got["lac_duration_ceased", "under_2_weeks"] == 0.0
    # in care at the 31 Marches (months 11, 23, 35, 47), a whole year at entry taken at its
    # middle: child 3 at month 11 (0.6), child 5 (7 at entry: 8.4, 9.4, 10.4, then out),
    # child 4 (16 at entry, from month 12: 17.4, 18.4, 19.4, counted in the top band) and
    # child 7 (17 at entry, from month 30: 17.9 at month 35)
    expected = {"under_1": 1 / 8, "1_to_4": 0.0, "5_to_9": 2 / 8, "10_to_15": 1 / 8, "16_to_17": 4 / 8}
    for band, share in expected.items():
        assert got["lac_age_31_march", band] == pytest.approx(share), band
    # at month 35 only child 5 (in care since 0, aged 7 then) is under 16 and in care 2.5 years+
    assert got["lac_placement_stability", "same_placement_2_years_if_in_care_2_5_years_under_16"] == 1.0
    assert not np.isnan(got["lac_placement_stability", "three_or_more_placements_in_year"])


def test_measure_counts_placements_from_known_moves():
    """Placement stability from a hand-made log of care episodes and moves (months from 0).

    At 31 March of the first year (month 11) four children are in care: child 1 (in since -30,
    moved at 2 and 7: three placements in the year), child 2 (in since -40, moves at 12: one),
    child 3 (entered at 3, moved at 4 and 11: three) and child 4 (in since -40, never moved).
    Under 16 and in care 2.5 years or more: children 1, 2 and 4; in one placement for two years:
    2 and 4. At the March two years on (month 35) all four are long stays, and child 2 has held
    the placement it moved to at the start of month 12 for exactly 24 months.
    """
    na = pd.NA
    ep = pd.DataFrame(
        {
            "child_id": [1, 2, 3, 4],
            "state": ["LAC"] * 4,
            "start_month": [-30, -40, 3, -40],
            "end_month": pd.array([na, na, na, na], dtype="Int64"),
            "end_reason": [""] * 4,
            "age_at_start": [5, 3, 8, 2],
            "age_at_end": pd.array([na] * 4, dtype="Int64"),
            "route": ["care_order"] * 4,
        }
    )
    moves = pd.DataFrame({"child_id": [1, 1, 2, 3, 3], "month": [2, 7, 12, 4, 11]})
    first = journeys.measure(ep, 0, 12, moves)
    assert first["lac_placement_stability", "three_or_more_placements_in_year"] == pytest.approx(2 / 4)
    assert first["lac_placement_stability", "same_placement_2_years_if_in_care_2_5_years_under_16"] == (
        pytest.approx(2 / 3)
    )
    late = journeys.measure(ep, 24, 36, moves)
    assert late["lac_placement_stability", "same_placement_2_years_if_in_care_2_5_years_under_16"] == 1.0
    assert late["lac_placement_stability", "three_or_more_placements_in_year"] == 0.0
    # the same log without its moves: one placement each, every long stay stable
    still = journeys.measure(ep, 0, 12)
    assert still["lac_placement_stability", "three_or_more_placements_in_year"] == 0.0
    assert still["lac_placement_stability", "same_placement_2_years_if_in_care_2_5_years_under_16"] == 1.0


def test_the_command_prints_the_report(capsys):
    from simulator.validation import main

    assert main(["--journeys", "--seeds", "3", "4", "--years", "7"]) == 0
    out = capsys.readouterr().out
    assert "cp_plan_duration" in out and "within tolerance:" in out


def test_too_few_years_is_refused_with_the_allowed_range():
    with pytest.raises(ValueError, match="years = 5; allowed: more than the 5 warm-up years"):
        journeys.report(load_scenario(BASELINE), years=5)


def test_the_command_refuses_too_few_years_without_a_traceback(capsys):
    from simulator.validation import main

    with pytest.raises(SystemExit) as exit_:
        main(["--journeys", "--years", "3"])
    assert exit_.value.code == 2
    assert "--years 3" in capsys.readouterr().err


# -- both views carry the new mechanisms ----------------------------------------------------------
#: Babies removed at birth and children starting care under one, per year: the view's expectation
#: against the engine's mean over these seeds at the agreement tests' size (613,000 children).
#: Thirty-two seeds (eight until 6 Dec 2026, when three standard errors of a year's removals at
#: birth were 7-13% of them, wider than the 5% asked): on seeds 11-18 the engine's fourth year
#: (112.9 removals, against 118-125 in the others) sat 8.6 below the view's 121.5, past both
#: arms; on the 24 seeds 19-42 every year is within 3.9 (3%).
BIRTH_SEEDS = tuple(range(11, 43))
BIRTH_YEARS = 5
INFANT_COLUMNS = ["removals_at_birth", "lac_starts_under_1", "lac_starts", "removals_after_birth"]


def _engine_annual(scenario, seed):
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    model = CSCModel(with_overrides(scenario, {"run": {"seed": seed}}))
    model.run()
    return model.results().annual[INFANT_COLUMNS].to_numpy(float)


@pytest.fixture(scope="module")
def infants():
    from simulator.aggregate import run_aggregate
    from simulator.processes import map_in_processes
    from simulator.schema import with_overrides

    sc = with_overrides(
        load_scenario(AFTER_BIRTH),
        {"population": {"children": 613_000}, "run": {"years": BIRTH_YEARS, "record_episodes": False}},
    )
    view = run_aggregate(sc).annual[INFANT_COLUMNS].to_numpy(float)
    runs = np.stack(map_in_processes(_engine_annual, [sc] * len(BIRTH_SEEDS), BIRTH_SEEDS))
    return view, runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(len(BIRTH_SEEDS))


def test_the_view_agrees_with_the_engine_on_babies_removed_at_birth(infants):
    view, mean, se = infants
    assert (mean[:, 0] > 0).all()
    gap = np.abs(mean[:, 0] - view[:, 0])
    # every year within 3 standard errors of the engine's mean, or within 5% of the view
    assert ((gap <= 3 * se[:, 0]) | (gap <= 0.05 * view[:, 0])).all(), (mean[:, 0], view[:, 0])


def test_the_view_agrees_with_the_engine_on_babies_removed_after_birth(infants):
    """Babies removed later in their first year, as planned at birth: the five years' total.

    Measured (8 seeds at 613,000 children): view 808, engine 784 (2.2 standard errors). The view
    has about 3% more: it does not let a family move away, or the baby enter care another way,
    before the removal is due (docs/MODEL.md, Known limits).
    """
    view, mean, se = infants
    assert (mean[:, 3] > 0).all()
    v, m = view[:, 3].sum(), mean[:, 3].sum()
    assert m <= v <= 1.05 * m + 3 * np.sqrt((se[:, 3] ** 2).sum()), (v, m)


def test_babies_removed_after_birth_come_at_the_ratio_set(infants):
    """``care.removal_after_birth_ratio`` (1.38) removals later in the year for each at birth, a
    little fewer where the chance at birth is so high that the two would pass 1 (measured: view
    1.34); fewer again in the engine, where some leave or enter care another way first (1.30)."""
    view, mean, _se = infants
    in_view = view[:, 3].sum() / view[:, 0].sum()
    assert 1.25 < in_view <= 1.38
    assert 1.15 < mean[:, 3].sum() / mean[:, 0].sum() < in_view


def test_the_views_infants_agree_with_the_engines(infants):
    """Children starting care under one, and those of them entering through the hazards.

    Measured (5 years at 613,000 children, seeds 11-26, 6 Dec 2026): all under-1 starts, view 1,563
    against the engine's 1,562 (1,348 and 1,346 on the baseline). The view took a family's infants
    as the area's share for its size, whatever its state, so families on plans, whose babies are
    often removed at or after birth, had too many at home and too many entered care through the
    hazards (1.23-1.26 times the engine's, 1.16 on the baseline); since 6 Dec 2026 each class of
    family (need, state, a child in care) has its own share (``care.class_care_tables``). Those
    entering through the hazards are now fewer in the view (0.82; 0.87 on the baseline): in the
    engine a baby waiting for a removal planned at birth may enter care first with a brother or
    sister, which the view counts as the removal (its removals after birth are 3.6% above). The
    test pins the total and the direction of the split.
    """
    view, mean, _se = infants
    total = view[:, 1].sum() / mean[:, 1].sum()
    assert abs(total - 1) < 0.03, total
    later_view = view[:, 1] - view[:, 0] - view[:, 3]
    later_engine = mean[:, 1] - mean[:, 0] - mean[:, 3]
    ratio = later_view.sum() / later_engine.sum()
    assert 0.7 < ratio < 0.97, ratio


def test_removal_at_and_after_birth_is_most_of_infant_entries(infants):
    """With removals after birth on, babies removed at or after birth are most, not all, of the
    children starting care under one; under-1s are a large group of entrants (DfE 2024: 15.8%)."""
    view, mean, _se = infants
    share = (mean[:, 0] + mean[:, 3]).sum() / mean[:, 1].sum()
    assert 0.6 < share < 0.95
    assert 0.12 < mean[:, 1].sum() / mean[:, 2].sum() < 0.25


#: Care ending another way (``care.other_exit_share`` for children starting care at 5 or over, on
#: the 18th birthday for many; ``care.uasc_other_exit_share`` for unaccompanied children; both on
#: by default): both views
#: must move alike; the measure is each year's exits that way and the stock at 31 March.
OTHER_EXITS: dict = {}


@pytest.fixture(scope="module")
def other_exits():
    from simulator.aggregate import run_aggregate
    from simulator.processes import map_in_processes
    from simulator.schema import with_overrides

    sc = with_overrides(
        load_scenario(BASELINE),
        {
            **OTHER_EXITS,
            "population": {"children": 613_000},
            "run": {"years": BIRTH_YEARS, "record_episodes": False},
        },
    )
    cols = ["left_care_otherwise", "lac_31_march"]
    view = run_aggregate(sc).annual[cols].to_numpy(float)
    runs = np.stack(
        map_in_processes(_engine_columns, [sc] * len(BIRTH_SEEDS), BIRTH_SEEDS, [cols] * len(BIRTH_SEEDS))
    )
    return view, runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(len(BIRTH_SEEDS))


def _engine_columns(scenario, seed, cols):
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    model = CSCModel(with_overrides(scenario, {"run": {"seed": seed}}))
    model.run()
    return model.results().annual[cols].to_numpy(float)


@pytest.mark.parametrize("column", [0, 1], ids=["left_care_otherwise", "lac_31_march"])
def test_the_view_agrees_with_the_engine_on_care_ending_another_way(other_exits, column):
    view, mean, se = other_exits
    assert (mean[:, 0] > 0).all()  # the route is used once it is switched on
    gap = np.abs(mean[:, column] - view[:, column])
    assert ((gap <= 3 * se[:, column]) | (gap <= 0.03 * view[:, column])).all(), (
        mean[:, column],
        view[:, column],
    )


def test_unaccompanied_children_leave_at_18_or_another_way():
    """The view's table of UASC exits is the engine's rule: each age's exits sum to one, none
    come after the 18th birthday, and with no other exits every child leaves at 18."""
    from simulator.aggregate.care import uasc_exit_table
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    sc = load_scenario(BASELINE)
    PV = CSCModel(with_overrides(sc, {"population": {"children": 2_000}}), seed=1).services.PV.copy()
    table = uasc_exit_table(PV)
    np.testing.assert_allclose(table.sum(axis=(1, 2)), 1.0, rtol=1e-12)
    for i in range(36):
        left = 216 - (180 + i)
        assert table[i, left + 1 :].sum() == 0.0 and table[i, left, 0] == 0.0
    share = sc.care.uasc_other_exit_share
    assert 0 < table[:, :, 0].sum(axis=1).mean() <= share
    from simulator.agents import kernel as kn

    PV[kn.P_UASC_OTHER] = 0.0
    off = uasc_exit_table(PV)
    assert off[:, :, 0].sum() == 0.0
    assert all(off[i, 216 - (180 + i), 1] == 1.0 for i in range(36))


def test_care_ending_another_way_is_refused_past_one_whole():
    from simulator.schema import ScenarioError

    with pytest.raises(ScenarioError, match=r"care.other_exit_share = .*allowed: a total of at most 1"):
        load_scenario(BASELINE, {"care": {"other_exit_share": 0.9}})


#: Placement moves: each year's moves and the children in children's homes at 31 March, the
#: view's expectation against the engine's mean (same size and seeds as above).
PLACEMENT_COLUMNS = [
    "placement_moves",
    "lac_childrens_home_31_march",
    "lac_31_march",
    "lac_care_order_31_march",
    "lac_placement_order_31_march",
    "lac_voluntary_s20_31_march",
    "lac_supported_accommodation_31_march",
]


#: Seeds for the placement and legal status comparisons: four times the others, as placement
#: orders are few (about 145 at this size, a standard deviation of about 8% between seeds). With
#: 16 seeds (11-26, until 6 Dec 2026) three standard errors of the engine's mean were about 5%,
#: the test's other arm, so the test could not tell a 5% gap from chance: on those seeds, after
#: the view followed new families' infants (6 Dec 2026), placement orders were within 1.2% in four
#: years and 5.4% above the engine in the fourth, where the engine's 138.5 sat 3.1 standard errors
#: below its other years (144-149); with these 32, within 2.3% every year. Since adoption's timeline
#: and the view's infants by class of family (6 Dec 2026, morning): within 3.5% (the fourth year).
PLACEMENT_SEEDS = tuple(range(11, 43))


@pytest.fixture(scope="module")
def placements():
    from simulator.aggregate import run_aggregate
    from simulator.processes import map_in_processes
    from simulator.schema import with_overrides

    sc = with_overrides(
        load_scenario(BASELINE),
        {"population": {"children": 613_000}, "run": {"years": BIRTH_YEARS, "record_episodes": False}},
    )
    view = run_aggregate(sc).annual[PLACEMENT_COLUMNS].to_numpy(float)
    n = len(PLACEMENT_SEEDS)
    runs = np.stack(map_in_processes(_engine_columns, [sc] * n, PLACEMENT_SEEDS, [PLACEMENT_COLUMNS] * n))
    return view, runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(n)


def test_the_view_agrees_with_the_engine_on_placement_moves(placements):
    """Each year's moves within 7% (measured: the view 5.9% above the engine in the first year,
    1.7-3.1% after). The view takes children leaving care from new and settled placements
    alike; in the engine those who leave soon after entering are mostly still in their first,
    new placement, so the view keeps a few more new placements, which break down more often
    (docs/MODEL.md, Known limits)."""
    view, mean, se = placements
    moves, lac = mean[:, 0], mean[:, 2]
    assert (moves > 0.2 * lac).all()  # moves are a real part of a year in care
    gap = np.abs(moves - view[:, 0])
    assert ((gap <= 3 * se[:, 0]) | (gap <= 0.07 * view[:, 0])).all(), (moves, view[:, 0])


def test_the_view_places_children_by_their_age_now_as_the_engine_does(placements):
    """Children's homes and supported accommodation at 31 March: the view within 10% of the engine
    every year (measured: -0.7% to -2.8% and -7.0% to +6.3% over five years, 32 seeds).

    A child who moves goes where children of its age now are placed, so children who entered
    young and move as teenagers step up to children's homes, and at 16 to supported
    accommodation. The view follows each child's age now as a path of stages through the rows of
    the placement shares (``care.placement_aging``); adoptions and special guardianship leave
    from the row a child entered on, those turning 18 from the top. Until 6 Dec 2026 it placed a child by its
    age at entry, and had 16-17% fewer children in both (typical LA, years 4-10, 8 seeds; the
    test then pinned that gap): the check could fail.
    """
    view, mean, se = placements
    for j in (1, PLACEMENT_COLUMNS.index("lac_supported_accommodation_31_march")):
        gap = np.abs(view[:, j] - mean[:, j])
        within = (gap <= 0.10 * mean[:, j]) | (gap <= 3 * se[:, j])
        assert within.all(), (PLACEMENT_COLUMNS[j], view[:, j], mean[:, j])


def _placement_mix(moves_per_year: float) -> tuple[pd.Series, float]:
    from simulator.finance.costs import activities, costs_by_line, unit_cost_table
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    sc = with_overrides(
        load_scenario(BASELINE),
        {
            "population": {"children": 122_600},
            "run": {"years": 6, "record_episodes": False, "seed": 3},
            "care": {"placement_moves_per_year": [moves_per_year] * 6},
        },
    )
    model = CSCModel(sc)
    model.run()
    res = model.results()
    a = res.annual
    homes = (a["lac_childrens_home_31_march"] + a["lac_supported_accommodation_31_march"]) / a["lac_31_march"]
    cost = costs_by_line(activities(res), unit_cost_table(sc), sc.finance)["placements"].sum()
    return homes, float(cost)


def test_moves_step_children_up_to_childrens_homes_and_their_cost_follows():
    """With no moves a child keeps the placement it entered with; with moves, children who
    entered young and are teenagers now move to where teenagers are placed. By the sixth year
    more of the children in care are in children's homes or supported accommodation (measured,
    seed 3: 18.4% against 14.3%), and the placement bill, priced month by month by each child's
    placement, rises (by 1.1% over the six years: the shift builds slowly)."""
    still, cost_still = _placement_mix(0.0)
    moving, cost_moving = _placement_mix(0.3)
    assert moving.iloc[-1] > still.iloc[-1] + 0.02, (still, moving)
    assert cost_moving > cost_still


# -- legal status -------------------------------------------------------------------------------


def test_legal_status_rule_reads_route_plan_and_age():
    from simulator.agents import kernel as kn

    rule = kn.legal_status_at_entry
    for reason in (kn.R_RETURNED_HOME, kn.R_ADOPTED, kn.R_SGO, kn.R_TURNED_18, kn.R_OTHER):
        for to_18 in (False, True):
            assert rule(kn.RT_ORDER, reason, 60, to_18) == kn.LS_ORDER
            assert rule(kn.RT_EMERGENCY, reason, 60, to_18) == kn.LS_ORDER
            assert rule(kn.RT_UASC, reason, 200, to_18) == kn.LS_S20
    # a voluntary entry planned to be permanent away from home goes to court; one going home does not
    assert rule(kn.RT_S20, kn.R_ADOPTED, 20, False) == kn.LS_ORDER
    assert rule(kn.RT_S20, kn.R_SGO, 100, False) == kn.LS_ORDER
    assert rule(kn.RT_S20, kn.R_RETURNED_HOME, 100, False) == kn.LS_S20
    assert rule(kn.RT_S20, kn.R_OTHER, 170, False) == kn.LS_S20
    # staying to 18: from under 16 under an order; entering at 16 or 17, accommodated under s20;
    # the same for a plan to leave another way that runs to the 18th birthday
    for reason in (kn.R_TURNED_18, kn.R_OTHER):
        assert rule(kn.RT_S20, reason, kn.AGE_16 - 1, True) == kn.LS_ORDER
        assert rule(kn.RT_S20, reason, kn.AGE_16, True) == kn.LS_S20


def test_placement_orders_are_the_children_whose_adoption_is_due_within_the_months_set():
    """Every month: the engine's placement orders equal the care episodes, from its own log, that
    end in adoption within ``care.placement_order_months``; the three statuses add up to the
    children in care."""
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    for months in (14, 5):
        sc = with_overrides(
            load_scenario(BASELINE),
            {
                "run": {"years": 6, "seed": 5, "record_episodes": True},
                "care": {"placement_order_months": months},
            },
        )
        model = CSCModel(sc)
        model.run()
        res = model.results()
        mon, ep = res.monthly, res.episodes
        lac = ep[ep["state"] == "LAC"]
        adopted = lac[lac["end_reason"] == "adopted"]
        end = adopted["end_month"].to_numpy(float)
        start = adopted["start_month"].to_numpy(float)
        # the log knows an adoption once it has happened: months whose window ends inside the run
        seen = mon[mon["month"] + months < len(mon)]
        expect = [int(((end > m) & (end <= m + months) & (start <= m)).sum()) for m in seen["month"]]
        got = (seen["lac_PLACEMENT_ORDER"] / model.scale).round().astype(int).tolist()
        assert got == expect
        assert sum(expect) > 0
        legal = mon[["lac_CARE_ORDER", "lac_PLACEMENT_ORDER", "lac_VOLUNTARY_S20"]]
        np.testing.assert_allclose(legal.sum(axis=1), mon["children_LAC"])
        assert (legal >= 0).all().all()


@pytest.mark.parametrize("c", (3, 4, 5), ids=["care_order", "placement_order", "voluntary_s20"])
def test_the_view_agrees_with_the_engine_on_legal_status(placements, c):
    """Children at 31 March under a care order, a placement order and section 20: each year's
    count within 3 standard errors of the engine's mean, or within 5% of the view."""
    view, mean, se = placements
    gap = np.abs(mean[:, c] - view[:, c])
    within = (gap <= 3 * se[:, c]) | (gap <= 0.05 * view[:, c])
    assert within.all(), (PLACEMENT_COLUMNS[c], mean[:, c], view[:, c])


def test_most_children_in_care_are_under_a_care_order_in_the_view(placements):
    """A voluntary agreement is the next largest status, placement orders the smallest."""
    view, _, _ = placements
    assert (view[:, 3] > 0.6 * view[:, 2]).all() and (view[:, 5] > view[:, 4]).all()


def test_removal_after_birth_month_reads_the_births_own_draw():
    """One uniform per birth: below the chance at birth, removed at birth; in the next band of width
    the later chance, removed in months 1-11 after birth, evenly; above, never."""
    from simulator.agents import kernel as kn
    from simulator.model import CSCModel

    p, q, t = 0.1, 0.138, 500
    assert kn.removal_after_birth_month(p, q, 0.05, t) == t
    months = [kn.removal_after_birth_month(p, q, p + q * (i + 0.5) / 110, t) - t for i in range(110)]
    assert sorted(set(months)) == list(range(1, 12)) and all(months.count(m) == 10 for m in range(1, 12))
    assert kn.removal_after_birth_month(p, q, p + q, t) == kn.FAR
    sc = load_scenario(AFTER_BIRTH)
    PV = CSCModel(sc, seed=1).services.PV.copy()
    at = kn.removal_at_birth_probability(PV, kn.CP, 3, True)
    assert at == pytest.approx(0.045 * 8.0 * 2.0)  # need 3, on a plan, a brother or sister in care
    later = kn.removal_after_birth_probability(PV, kn.CP, 3, True, at)
    assert later == pytest.approx(1.0 - at)  # 1.38 times as likely would pass 1: the two stay within 1
    low = kn.removal_at_birth_probability(PV, kn.CIN, 2, False)
    assert kn.removal_after_birth_probability(PV, kn.CIN, 2, False, low) == pytest.approx(1.38 * low)
    PV[kn.P_LATER_PATH] = 0.5  # the year's practice moves the later removals only
    assert kn.removal_after_birth_probability(PV, kn.CIN, 2, False, low) == pytest.approx(0.69 * low)
    assert kn.removal_at_birth_probability(PV, kn.CIN, 2, False) == low


def test_babies_removed_after_birth_enter_care_under_one_under_an_order():
    from simulator.model import CSCModel

    sc = load_scenario(AFTER_BIRTH, {"run": {"years": 4}})
    model = CSCModel(sc, seed=3)
    model.run()
    res = model.results()
    a = res.annual
    later = a["removals_after_birth"].sum()
    assert later > 20
    assert a["lac_starts_under_1"].sum() >= a["removals_at_birth"].sum() + later
    ep = res.episodes
    infants = ep[(ep["state"] == "LAC") & (ep["start_month"] >= 0) & (ep["age_at_start"] == 0)]
    assert (infants["route"] == "care_order").sum() >= a["removals_at_birth"].sum() + later
    off = sc.model_copy(deep=True)
    off.care.removal_after_birth_ratio = 0.0
    m0 = CSCModel(off, seed=3)
    m0.run()
    assert m0.results().annual["removals_after_birth"].sum() == 0


def test_adoption_has_its_own_spread_in_both_views():
    """``care.adoption_duration_spread`` narrows adoption's times alone: in the view's duration
    pmfs (adoption against special guardianship, both with a 24-month median) and in the engine's
    episodes (the spread of log months of adoptions against that of special guardianship)."""
    from simulator.aggregate.care import _plan_pmfs
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    sc = with_overrides(
        load_scenario(BASELINE),
        {"care": {"adoption_duration_spread": 0.5}, "run": {"years": 8, "seed": 4, "record_episodes": True}},
    )
    model = CSCModel(sc)
    pmfs = _plan_pmfs(model.services.PV, 400)
    months = np.log(np.maximum(np.arange(400), 0.5))

    def log_sd(p):
        mean = (p * months).sum()
        return float(np.sqrt((p * (months - mean) ** 2).sum()))

    assert log_sd(pmfs[2]) < 0.6 < 1.2 < log_sd(pmfs[3])  # adoption 0.5, SGO care.duration_spread
    model.run()
    ep = model.results().episodes
    done = ep[(ep["state"] == "LAC") & (ep["start_month"] >= 0) & ep["end_month"].notna()]
    stay = np.log((done["end_month"].astype(float) - done["start_month"]).clip(lower=1))
    adopted, sgo = stay[done["end_reason"] == "adopted"], stay[done["end_reason"] == "special_guardianship"]
    assert len(adopted) > 50 and len(sgo) > 50
    # (episodes that started and ended within the run: both truncated, SGO's long tail the more)
    assert adopted.std() < 0.75 and sgo.std() > adopted.std() + 0.2, (adopted.std(), sgo.std())


def test_babies_adoption_share_is_the_infant_factor_times_within_the_others_room():
    """``care.adoption_infant_factor``: a baby's adoption share is the 1-4s' times the factor, at
    most what special guardianship leaves; one rule, read by the engine and by the view by month
    of age."""
    from simulator.agents import kernel as kn
    from simulator.aggregate.care import plan_probabilities
    from simulator.model import CSCModel

    sc = load_scenario(BASELINE, {"care": {"adoption_infant_factor": 1.5}})
    PV = CSCModel(sc, seed=1).services.PV.copy()
    share, sgo = sc.care.adoption_share_under5, sc.care.special_guardianship_share
    assert kn.exit_plan_shares(PV, 6, kn.RT_ORDER)[1] == pytest.approx(1.5 * share)  # a baby
    assert kn.exit_plan_shares(PV, 30, kn.RT_ORDER)[1] == pytest.approx(share)  # aged 2
    assert kn.exit_plan_shares(PV, 70, kn.RT_ORDER)[1] == 0.0  # aged 5: no adoption plan
    PV[kn.P_ADOPT_INFANT] = 5.0  # would pass the room special guardianship leaves
    assert kn.exit_plan_shares(PV, 6, kn.RT_ORDER)[1] == pytest.approx(1.0 - sgo)
    view = plan_probabilities(PV, np.array([6, 30]), kn.RT_ORDER)
    assert view[0, 2] == pytest.approx(1.0 - sgo) and view[1, 2] == pytest.approx(share)
    assert view.sum(axis=1) == pytest.approx(1.0)
