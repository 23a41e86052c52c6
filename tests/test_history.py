"""The 2006-2018 replay against the published England series (issues 7 and 19).

``scenarios/history_2006_2018.toml`` starts from the 31 March 2006 position with recorded
drivers only (no rate set for a particular year). The acceptance in issue 7 is the
looked-after stock within +-7% every year 2008-2018 and the 2008-2018 rise (+27% published)
within +-7 points; both are asserted. Measured (8 seeds at a 10% sample,
``python -m simulator.validation``, 6 Dec 2026, 10:25 UTC, with section 47 practice, conferences
and the family court's timetable in the replay): worst stock error -3.7% (2010), rise +31.3%
(before them: -6.1% in 2013, +25.7%). With four seeds the rise moved by about 2 points from one
set to another, so the test uses eight.
The flows: starts within 7% and ceases within 11% every year (mean errors 2.6% and 5.1%; were
6.7-7.0% and 8.4-9.7%). The activity behind them (issue 19): protection plans at 31 March rise
51% from 2008 to 2015 (published 70%; an expected failure at +6% until 6 Dec 2026) and section
47 enquiries and conferences follow the published rise. docs/MODEL.md has the table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.model import CSCModel
from simulator.schema import Scenario, load_scenario, with_overrides
from simulator.validation import HISTORY, published_series, replay, summarise


@pytest.fixture(scope="module")
def table():
    return replay(HISTORY, seeds=tuple(range(1, 9)), sample_fraction=0.1, activity=True)


def test_published_series_is_read() -> None:
    pub = published_series().set_index("year")
    assert pub.loc[2008, "lac_31_march"] == 59_360
    assert pub.loc[2018, "lac_31_march"] == 75_360
    assert pub.loc[2018, "lac_starts"] == 32_190
    assert round(100 * (75_360 / 59_360 - 1)) == 27


def test_replay_scenario_has_no_year_specific_rates() -> None:
    sc = load_scenario(HISTORY)
    assert sc.run.start_year == 2006 and sc.run.years == 12
    # the only yearly series are recorded drivers: UASC arrivals, the early help cut and newborns
    # in care proceedings (1,039 in 2007/08 to 2,447 in 2016/17, Broadhurst et al. 2018: the path
    # runs between their ratio and 1, never against an output of the model)
    assert len(sc.population.uasc_path) == 12
    birth = sc.care.removal_at_birth_path
    assert len(birth) == 12 and birth[1] == pytest.approx(1039 / 2447, abs=0.001) and birth[10] == 1.0
    assert all(a <= b for a, b in zip(birth[:-1], birth[1:], strict=True))
    # infants in proceedings after their first week, from the same report's shares (newborns 32% of
    # infant cases in 2007/08, 42% in 2016/17): 2,208 to 3,379 (acts only with the ratio set)
    later = sc.care.removal_after_birth_path
    assert len(later) == 12 and later[1] == pytest.approx((1039 * 68 / 32) / (2447 * 58 / 42), abs=0.001)
    assert later[10] == 1.0 and all(a <= b for a, b in zip(later[:-1], later[1:], strict=True))
    assert sc.care.adoption_path == 1.0
    # the ways out, from published counts: special guardianship orders two years on (3,520 children
    # in 2014-15 for the plans of 2012-13) plus 1,160 child arrangements orders, over 2024's 5,050;
    # and returns home (41% of leavers in 2006-07 against 26.3% in 2023-24 counted the same way)
    sgo, home = sc.care.special_guardianship_path, sc.care.return_home_path
    assert len(sgo) == 12 and sgo[6] == pytest.approx((3520 + 1160) / 5050, abs=0.01) and sgo[0] < 0.5
    assert len(home) == 12 and home[0] == pytest.approx(0.41 / 0.263, abs=0.01)
    assert all(a >= b for a, b in zip(home[:-1], home[1:], strict=True))  # falling towards 2024's
    # section 47 practice: England's enquiries per referral over 2023-24's (2010-11: 111,700 over
    # 604,400 referrals, against about 228,000 over 621,880), less what the risk index after Baby P
    # already does (its index ** 0.6, about 1.10 from 2009-10); before 2009-10, held at its value
    s47 = sc.front_door.section47_path
    today = 228_000 / 621_880
    assert len(s47) == 12 and s47[4] == pytest.approx(111_700 / 604_400 / today / 1.10**0.6, abs=0.01)
    assert s47[3] == pytest.approx(89_300 / 603_700 / today / 1.10**0.6, abs=0.01) and s47[0] == s47[3]
    assert all(a <= b for a, b in zip(s47[:-1], s47[1:], strict=True))
    # the court's timetable: weeks to a first disposal less 2024's 41 (MoJ): 49 in 2011, 30 in 2014
    court = sc.care.court_weeks_path
    assert len(court) == 12 and court[4] == 49 - 41 and court[7] == 30 - 41
    assert court[9] == pytest.approx(26.9 - 41)
    assert sc.levers.risk_aversion.index_path == 1.0
    assert [s.date for s in sc.levers.risk_aversion.shocks] == ["2008-11"]
    assert sc.levers.prevention.spend_per_year == 0.0
    # every other rate is the 2024 default, except the two practice settings fitted to the years
    # before Baby P
    default = Scenario()
    set_here = {
        ("risk_aversion", "index"),
        ("care", "adoption_share_under5"),
        ("front_door", "section47_path"),  # recorded drivers: section 47 practice ...
        ("care", "court_weeks_path"),  # ... and the family court's timetable
        ("care", "removal_at_birth_path"),  # the recorded driver above
        ("care", "removal_after_birth_path"),  # and its companion
        ("care", "special_guardianship_path"),  # the published ways out (below)
        ("care", "return_home_path"),
    }
    for section in ("need", "front_door", "early_help", "cin", "cp", "care", "workforce", "risk_aversion"):
        ours, theirs = getattr(sc, section).model_dump(), getattr(default, section).model_dump()
        changed = {(section, k) for k in ours if ours[k] != theirs[k]}
        assert changed <= set_here, changed - set_here


def test_adoption_path_drives_adoptions() -> None:
    """The adoption driver works: more adoptions when plans made at entry favour adoption."""

    def adoptions(path: float) -> float:
        sc = with_overrides(
            Scenario(),
            {
                "population": {"children": 613_000},
                "care": {"adoption_path": path},
                "run": {"years": 4, "record_episodes": False},
            },
        )
        m = CSCModel(sc, seed=5)
        m.run()
        return float(m.results().annual["adoptions"].iloc[2:].sum())

    base, drive = adoptions(1.0), adoptions(1.5)
    assert drive > 1.25 * base, (base, drive)


@pytest.mark.slow
def test_replay_reproduces_the_shape_of_history(table) -> None:
    """What the replay reproduces beyond the stock: the flows' level and the timing of the rise."""
    t = table.set_index("year")
    span = t.loc[2008:2018]
    # starts before Baby P are fitted (their mean, `python -m simulator.validation --fit-start`)
    assert abs(t.loc[2007:2008, "lac_starts_error_pct"].mean()) <= 3
    # flows: measured worst starts -6.7% (2014) and ceases -10.9% (2014), means 2.6% and 5.1%
    # (seeds 1-8, 6 Dec 2026, 10:25 UTC, with section 47 practice, conferences and the court's
    # timetable; before them -14.5%, -19.7%, 7.0% and 9.3%). The bounds are those of before, kept:
    # a change that lowers ceases in 2013-2016 again should show against them
    assert (span["lac_starts_error_pct"].abs() <= 18).all(), span["lac_starts_error_pct"].round(1).to_dict()
    assert span["lac_starts_error_pct"].abs().mean() <= 10
    assert (span["lac_ceases_error_pct"].abs() <= 22).all(), span["lac_ceases_error_pct"].round(1).to_dict()
    assert span["lac_ceases_error_pct"].abs().mean() <= 11
    # Baby P: starts rise by more than 10% from 2008 to 2010 (published +21%)
    assert t.loc[2010, "lac_starts_model"] > t.loc[2008, "lac_starts_model"] * 1.10
    # the stock rises after Baby P and keeps rising to 2018, as published
    assert t.loc[2010, "lac_31_march_model"] > t.loc[2008, "lac_31_march_model"] * 1.05
    assert t.loc[2018, "lac_31_march_model"] > t.loc[2012, "lac_31_march_model"]


@pytest.mark.slow
def test_replay_meets_the_acceptance(table) -> None:
    """Issue 7: the stock within +-7% every year 2008-2018 and the rise within +-7 points."""
    s = summarise(table)
    assert s["stock_within_tolerance"], s
    assert s["rise_within_tolerance"], s


def test_replay_expected_values_meet_the_acceptance() -> None:
    """The aggregate (expected-value) view of the same replay meets it too, with no sampling noise.

    Measured (``python -m simulator.validation --view aggregate``, 6 Dec 2026, 10:35 UTC, with
    section 47 practice, conferences and the court's timetable in the replay): worst stock error
    -4.5% (2010), rise +32.7% (published +27.0%). Before (5 Dec): -5.9% (2013), +28.1%.
    """
    s = summarise(replay(HISTORY, view="aggregate"))
    assert s["stock_within_tolerance"], s
    assert s["rise_within_tolerance"], s


def test_activity_is_compared_with_the_published_series(table) -> None:
    t = table.set_index("year")
    # the published series as read (CPR3 2008, CIN census 2015 and 2018)
    assert t.loc[2008, "cp_31_march_published"] == 29_200
    assert t.loc[2015, "cp_31_march_published"] == 49_690
    assert t.loc[2018, "section47_enquiries_published"] == 198_090
    # figures not published here stay empty rather than made up
    assert pd.isna(t.loc[2007, "cin_31_march_published"])
    assert (t["referrals_model"] > 0).all() and (t["cp_31_march_model"] > 0).all()
    # three ways out of care beside the published counts found (adoptions from the CLA series)
    assert t.loc[2015, "adoptions_published"] == 5_360
    assert t.loc[2007, "special_guardianship_published"] == 750
    assert t.loc[2015, "returned_home_published"] == 10_620
    assert pd.isna(t.loc[2009, "returned_home_published"])


def test_the_replay_follows_the_published_ways_out_of_care(table) -> None:
    """Special guardianship and returns home follow their dated drivers (``care.special_guardianship_path``
    and ``care.return_home_path`` in the replay, each from published counts).

    Measured (``python -m simulator.validation``, seeds 1-8 at 10%, 5 Dec 2026, 12:50, load about 1):
    special guardianship 1,896 in 2007 against 750 (the starting stock's plans follow the first
    year's practice, two years early), then -9.4% (2014), -9.3% (2015), -5.7% (2017); returns home
    -21.1% in 2007 and in 2015. Before the drivers were in the replay: 3,286 against 750, and
    returns home -36% in 2015."""
    t = table.set_index("year")
    sgo = t["special_guardianship_model"]
    assert sgo[2015] > 1.5 * sgo[2007]  # published: 4.7 times
    for year in (2014, 2015, 2017):
        assert abs(t.loc[year, "special_guardianship_error_pct"]) <= 12, year
    assert (
        t.loc[2015, "returned_home_error_pct"] >= -25
    )  # -15.3% on 6 Dec 2026, 10:25 (section 47 practice, conferences, the court; -24.7% before)


def test_the_replay_first_year_returns_home(table) -> None:
    """Returns home in 2007 within 25% of the published 10,270 (the bound of the test above).

    Measured (seeds 1-8 at 10%, 6 Dec 2026, with adoption's timeline and the ways out fitted
    again): -24.5% (2015: -24.7%); -24.1% (2015: -15.3%) with section 47 practice, conferences and
    the court's timetable (6 Dec 2026, 10:25 UTC). It was an expected failure at -26.2% from
    babies removed after birth (6 Dec 2026) until then: the CIN and CP entry rates times 0.9 that
    hold the starts take short stays that end at home."""
    assert table.set_index("year").loc[2007, "returned_home_error_pct"] >= -25


def test_protection_plans_follow_the_published_rise(table) -> None:
    """Published: plans at 31 March +70% from 2008 to 2015; the model's must rise at least half as much.

    Measured (seeds 1-8 at 10%, 6 Dec 2026, with section 47 practice and the court's timetable in
    the replay): +46% (27,225 to 39,874); +6% before (an expected failure until then). The plans
    stay 12-27% below the published numbers from 2009 (docs/MODEL.md)."""
    t = table.set_index("year")
    published = t.loc[2015, "cp_31_march_published"] / t.loc[2008, "cp_31_march_published"] - 1
    model = t.loc[2015, "cp_31_march_model"] / t.loc[2008, "cp_31_march_model"] - 1
    assert model >= published / 2, (model, published)
    # and keep rising to 2018, as published (53,790)
    assert t.loc[2018, "cp_31_march_model"] > t.loc[2015, "cp_31_march_model"]


def test_section_47_enquiries_follow_the_published_rise(table) -> None:
    """Enquiries rose 77% from 2010-11 to 2017-18 (111,700 to 198,090). The replay's practice path
    is England's enquiries per referral, so this checks the model's referrals and the path together:
    each published year within 25% (measured 10-23% high, 6 Dec 2026) and the rise at least half
    the published one (measured +65%)."""
    t = table.set_index("year")
    err = t.loc[2011:2018, "section47_enquiries_error_pct"]
    assert err.abs().max() <= 25, err.round(1).to_dict()
    s47 = t["section47_enquiries_model"], t["section47_enquiries_published"]
    model, published = (x[2018] / x[2011] - 1 for x in s47)
    assert model >= published / 2, (model, published)


def test_section_20_before_the_2015_judgments_is_the_known_gap(table) -> None:
    """Children under section 20 at 31 March: the replay carries the published years (2015 and
    2017) and falls short of them, as docs/MODEL.md says (no driver for the long use of voluntary
    accommodation before the 2015 judgments). Pinned so that a change to either shows: the
    expected-value view had 58% and 39% below; the model's share of the stock stays in the range
    of today's rule, and the published fall from 2015 to 2017 is not reproduced."""
    t = table.set_index("year")
    assert t.loc[2015, "lac_voluntary_s20_31_march_published"] == 19_350
    assert t.loc[2017, "lac_voluntary_s20_31_march_published"] == 16_470
    err = t.loc[[2015, 2017], "lac_voluntary_s20_31_march_error_pct"]
    assert (err < -25).all() and (err > -75).all(), err
    share = t["lac_voluntary_s20_31_march_model"] / t["lac_31_march_model"]
    assert share.between(0.08, 0.25).all(), share
    assert t.loc[2017, "lac_voluntary_s20_31_march_model"] > t.loc[2015, "lac_voluntary_s20_31_march_model"]
