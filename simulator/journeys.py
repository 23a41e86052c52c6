"""Journeys: the shapes behind the totals, from the engine's episode log, beside DfE's figures.

Totals can match while the journeys behind them do not, and a sceptical analyst checks shapes
first. This report measures, over the baseline's later years (the first ``WARM_UP_YEARS`` give
plans and care episodes time to build their history):

- how long protection plans last when they end (DfE [CIN] table D7 bands);
- how many plans starting are a child's second or later plan (table D3);
- children's ages when they start to be looked after ([CLA]);
- why children leave care ([CLA], reason episode ceased, grouped as the model's end reasons);
- how long they had been looked after when they left (2013, from a published summary of the
  [CLA] release: the DfE table itself was not found in a readable form);
- adoptions: the mean time from entering care to the adoption order, and the mean age then
  ([CLA], as published summaries of the release give them; a mean's tolerance is in its own
  unit, months or years);
- placement stability: three or more placements in the year, and long-term stability ([CLA]);
- children looked after at 31 March by legal status: care order, placement order, voluntary
  (section 20) ([CLA]; from the annual table, so the expected-value view has it too).

Published figures, their tables and years are in ``simulator/data/journeys_england.csv``. Each row
says whether it was used to set a parameter (``calibration``), is kept out of fitting as an
independent check (``check``), or is shown for information only (``shown``: the D7 bands at three
months, which a model whose review conferences fall on whole months cannot split; their sum, to
six months, is compared). A row is within tolerance when the model's share is within
``tolerance_points`` percentage points of the published one.

Run ``python -m simulator.validation --journeys`` (the docs' command).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.schema import Scenario, load_scenario
from simulator.seeding import replicate_seeds
from simulator.states import AGE_BAND_EDGES, AGE_BANDS, LegalStatus

DATA = Path(__file__).parent / "data" / "journeys_england.csv"
#: Years of the run before the shapes are measured (history of plans and care builds up).
WARM_UP_YEARS = 5
#: DfE D7 bands of a protection plan's length in whole months (upper bounds, inclusive for the
#: first two, "more than 6 months but less than 1 year" and so on after).
CP_BANDS = {
    "up_to_3_months": (0, 3),
    "3_to_6_months": (4, 6),
    "up_to_6_months": (0, 6),
    "6_to_12_months": (7, 11),
    "1_to_2_years": (12, 23),
    "2_years_or_more": (24, 10**6),
}
#: The model's end reasons for care, as DfE's grouped reasons (``other`` has no model route yet).
CARE_REASONS = ("returned_home", "adopted", "special_guardianship", "turned_18", "other")
#: Lengths of care episodes ending (DfE: duration of the latest period of care), in months
#: [from, to): bands that a published summary gives (not a partition).
#: Inner edges of DfE's age bands, in years (under 1, 1-4, 5-9, 10-15, 16-17).
_YEAR_EDGES = np.asarray(AGE_BAND_EDGES[1:-1]) / 12
#: Legal status at the start of a care episode, as DfE reports it (the episodes' ``route``).
START_ROUTES = ("voluntary_s20", "care_order", "emergency")
CARE_DURATION_BANDS = {
    "under_2_weeks": (0.0, 0.5),
    "under_1_year": (0.0, 12.0),
    "5_to_10_years": (60.0, 120.0),
}


def published(path: str | Path = DATA) -> pd.DataFrame:
    """The published figures the report compares with, one row per measure, category and year."""
    return pd.read_csv(path)


def _months(ep: pd.DataFrame) -> pd.Series:
    return (ep["end_month"].astype(float) - ep["start_month"].astype(float)).astype(float)


def measure(
    episodes: pd.DataFrame, first_month: int, last_month: int, moves: pd.DataFrame | None = None
) -> dict[tuple[str, str], float]:
    """Shares of each (measure, category) from one run's episodes, over months [first, last).

    ``episodes`` is :attr:`simulator.results.Results.episodes` and ``moves`` the placement moves
    (:func:`simulator.agents.episodes.placement_moves_frame`; none if not given); months count
    from the first reported month.
    """
    if moves is None:
        moves = pd.DataFrame({"child_id": pd.Series(dtype="int64"), "month": pd.Series(dtype="int64")})
    out: dict[tuple[str, str], float] = {}
    ep = episodes
    ended = ep["end_month"].notna()
    end = ep["end_month"].astype(float)
    in_window = ended & (end >= first_month) & (end < last_month)
    # protection plans ending in the window, by length
    cp = ep[(ep["state"] == "CP") & in_window]
    d = _months(cp)
    for cat, (lo, hi) in CP_BANDS.items():
        out["cp_plan_duration", cat] = float(((d >= lo) & (d <= hi)).mean()) if len(cp) else np.nan
    # plans starting in the window that are the child's second or later (any earlier plan logged)
    cps = ep[ep["state"] == "CP"].sort_values(["child_id", "start_month"], kind="stable")
    earlier = cps.groupby("child_id").cumcount() > 0
    starting = (cps["start_month"] >= first_month) & (cps["start_month"] < last_month)
    out["cp_second_or_later", "second_or_later"] = float(earlier[starting].mean())
    # children starting care in the window (unaccompanied children included, as DfE counts them)
    lac = ep[ep["state"] == "LAC"]
    starts = lac[(lac["start_month"] >= first_month) & (lac["start_month"] < last_month)]
    _starting_care(out, starts)
    ceased = lac[in_window.loc[lac.index]]  # children leaving care in the window
    _leaving_care(out, ceased)
    # placement stability among children looked after at each 31 March in the window: placements
    # in the year (each care episode's placement at the start of the year or at entry, and one
    # more for each move), and long-term stability of under-16s looked after for 2.5 years or
    # more (the same placement for the last two years)
    three, long_term = [], []
    ages_31_march = np.zeros(len(AGE_BANDS))
    for march in range(first_month + 11, last_month, 12):
        open_at = (lac["start_month"] <= march) & (lac["end_month"].isna() | (end.loc[lac.index] > march))
        year = (lac["start_month"] <= march) & (lac["end_month"].isna() | (end.loc[lac.index] > march - 12))
        in_year = moves[(moves["month"] > march - 12) & (moves["month"] <= march)]
        per_child = lac[year].groupby("child_id").size().add(in_year.groupby("child_id").size(), fill_value=0)
        in_care = lac.loc[open_at, "child_id"]
        three.append(float((per_child.reindex(in_care).fillna(0) >= 3).mean()) if len(in_care) else np.nan)
        held = lac[open_at]
        age_now = held["age_at_start"] + (march - held["start_month"]) / 12
        # ages at 31 March by DfE's bands (a whole year at entry is taken at its middle)
        band_now = np.searchsorted(_YEAR_EDGES, age_now.to_numpy(dtype=float) + 0.5, side="right")
        ages_31_march += np.bincount(band_now, minlength=len(AGE_BANDS))
        long_stay = held[(march - held["start_month"] >= 30) & (age_now < 16)]
        if len(long_stay):
            last_move = moves[moves["month"] <= march].groupby("child_id")["month"].max()
            # a move is made at the start of its month (before that month's entries to care),
            # so a child who moved in month m has been there as long as one who entered in m - 1
            moved = last_move.reindex(long_stay["child_id"]).to_numpy(dtype=float) - 1
            since = np.fmax(long_stay["start_month"].to_numpy(dtype=float), moved)  # NaN: never moved
            long_term.append(float((march - since >= 24).mean()))
    total = ages_31_march.sum()
    for i, name in enumerate(AGE_BANDS):
        out["lac_age_31_march", name] = float(ages_31_march[i] / total) if total else np.nan
    out["lac_placement_stability", "three_or_more_placements_in_year"] = float(np.nanmean(three))
    out["lac_placement_stability", "same_placement_2_years_if_in_care_2_5_years_under_16"] = (
        float(np.mean(long_term)) if long_term else np.nan
    )
    return out


def _starting_care(out: dict[tuple[str, str], float], starts: pd.DataFrame) -> None:
    """Children starting care: by age band, and by legal status then."""
    band = np.searchsorted(_YEAR_EDGES, starts["age_at_start"], side="right")
    for i, name in enumerate(AGE_BANDS):
        out["lac_age_at_start", name] = float((band == i).mean()) if len(starts) else np.nan
    # ... and by their legal status at the start (DfE counts unaccompanied children under section 20)
    route = starts["route"].replace({"uasc": "voluntary_s20"})
    for name in START_ROUTES:
        out["lac_route_at_start", name] = float((route == name).mean()) if len(starts) else np.nan


def _leaving_care(out: dict[tuple[str, str], float], ceased: pd.DataFrame) -> None:
    """Children leaving care: by reason, by age then, by how long they stayed; adoptions' timing."""
    reasons = ceased["end_reason"].where(ceased["end_reason"].isin(CARE_REASONS[:-1]), "other")
    for name in CARE_REASONS:
        out["lac_reason_ceased", name] = float((reasons == name).mean())
    # ... by their age then (DfE's bands, with those leaving on the 18th birthday apart, whatever
    # the reason recorded)
    age_out = ceased["age_at_end"].to_numpy(dtype=float)
    band_out = np.searchsorted(_YEAR_EDGES, age_out, side="right")
    for i, name in enumerate(AGE_BANDS):
        out["lac_age_ceased", name] = (
            float(((band_out == i) & (age_out < 18)).mean()) if len(ceased) else np.nan
        )
    out["lac_age_ceased", "on_18th_birthday"] = float((age_out >= 18).mean()) if len(ceased) else np.nan
    # ... and by how long they had been looked after (whole months in the model)
    stay = _months(ceased)
    # adoptions: the time from entering care to the adoption order, and the child's age then (a
    # whole year at entry taken at its middle, as DfE's average of exact ages)
    adopted = (ceased["end_reason"] == "adopted").to_numpy()
    m = stay.to_numpy(dtype=float)[adopted]
    age = ceased["age_at_start"].to_numpy(dtype=float)[adopted] + 0.5 + m / 12
    out["lac_adoption", "mean_months_entry_to_adoption"] = float(m.mean()) if len(m) else np.nan
    out["lac_adoption", "mean_age_at_adoption_years"] = float(age.mean()) if len(m) else np.nan
    for cat, (lo, hi) in CARE_DURATION_BANDS.items():
        share = float(((stay >= lo) & (stay < hi)).mean()) if len(ceased) else np.nan
        out["lac_duration_ceased", cat] = share


def legal_status_shares(annual: pd.DataFrame, first_year: int) -> dict[tuple[str, str], float]:
    """Shares of children looked after at 31 March by legal status.

    Mean over the annual table's rows from ``first_year`` (an index: the years after the warm-up).
    """
    a = annual.iloc[first_year:]
    total = a["lac_31_march"].where(a["lac_31_march"] > 0)
    return {
        ("lac_legal_status", s.name.lower()): float((a[f"lac_{s.name.lower()}_31_march"] / total).mean())
        for s in LegalStatus
    }


def measured_run(scenario: Scenario, seed: int) -> tuple[dict[tuple[str, str], float], pd.DataFrame]:
    """One engine run's measures (the report's, by measure and category) and its annual table."""
    from simulator.model import CSCModel  # the engine, only when a report is run
    from simulator.schema import with_overrides

    model = CSCModel(with_overrides(scenario, {"run": {"seed": seed, "record_episodes": True}}))
    model.run()
    from simulator.agents.episodes import placement_moves_frame

    moves = placement_moves_frame(model)
    results = model.results()
    out = measure(results.episodes, WARM_UP_YEARS * 12, scenario.run.years * 12, moves)
    return out | legal_status_shares(results.annual, WARM_UP_YEARS), results.annual


def report(
    scenario: Scenario | str | Path,
    seeds: Sequence[int] | None = None,
    years: int = 15,
) -> pd.DataFrame:
    """The model's shares beside the published ones, for each measure and category.

    Columns: measure, category, model (mean over the seeds), model_se (standard error over
    seeds), published, year, tolerance_points, use, within (model within tolerance; empty for
    rows shown only), source.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, {"run": {"years": years}})
    if sc.run.years != years:
        from simulator.schema import with_overrides

        sc = with_overrides(sc, {"run": {"years": years}})
    if years <= WARM_UP_YEARS:
        raise ValueError(f"years = {years}; allowed: more than the {WARM_UP_YEARS} warm-up years")
    seeds = list(seeds) if seeds is not None else replicate_seeds(sc.run.seed, 8)
    runs = pd.DataFrame([measured_run(sc, s)[0] for s in seeds])
    pub = published()
    rows = []
    for r in pub.itertuples(index=False):
        col = runs[(r.measure, r.category)]
        model = float(col.mean())
        se = float(col.std(ddof=1) / np.sqrt(len(col))) if len(col) > 1 else np.nan
        tol = float(r.tolerance_points) if pd.notna(r.tolerance_points) else np.nan
        gap = abs(model - r.value) * scale(r.unit)
        within = "" if np.isnan(tol) else bool(gap <= tol)
        rows.append(
            {
                "measure": r.measure,
                "category": r.category,
                "model": model,
                "model_se": se,
                "published": float(r.value),
                "year": int(r.year),
                "unit": r.unit,
                "gap": gap,
                "tolerance_points": tol,
                "use": r.use,
                "within": within,
                "source": r.source,
            }
        )
    return pd.DataFrame(rows)


def scale(unit: str) -> float:
    """The factor that puts a row's values in its tolerance's unit.

    Shares read in percentage points (100); means (months, years) as they are (1).
    """
    return 1.0 if str(unit).startswith("mean ") else 100.0


def print_report(table: pd.DataFrame) -> None:
    """The report as the command prints it: shares in %, tolerance in points, a verdict per row."""
    pct = table["unit"].map(scale)
    show = table.assign(
        model=(pct * table["model"]).round(1),
        published=(pct * table["published"]).round(1),
        model_se=(pct * table["model_se"]).round(1),
        verdict=["shown" if w == "" else ("within" if w else "OUTSIDE") for w in table["within"]],
    )[["measure", "category", "model", "model_se", "published", "year", "tolerance_points", "use", "verdict"]]
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(
            "shares in %, model mean over seeds (standard error); tolerance in percentage points "
            "(means: in their own unit, months or years)"
        )
        print(show.to_string(index=False))
    checks = table[table["within"] != ""]
    print(f"within tolerance: {int(checks['within'].astype(bool).sum())} of {len(checks)}")
