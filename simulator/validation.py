"""Validation: the 2006-2018 replay against the published series, and its summary.

The replay (``scenarios/history_2006_2018.toml``) starts England from the 31 March 2006
position and runs it forward with the recorded drivers only: child population growth,
the Baby P shock (November 2008), the cut to early help from 2010 and the rise in
unaccompanied asylum-seeking children from 2015. Practice at the
start is fitted to the two years before Baby P (:func:`fit_pre_shock`). No rate is set for
a particular year.
The result is compared, year by year, with the DfE series in
``shared/data/england_cla_time_series_1994_2018.csv`` (looked after at 31 March,
starts, ceases).

Run ``python -m simulator.validation`` to print the comparison (the docs' command).

References:
    Department for Education, *Children looked after in England including adoptions*
    (time series 1994-2018), Open Government Licence.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator import journeys
from simulator.processes import map_in_processes
from simulator.schema import SERIES_BOUNDS, Scenario, ScenarioError, load_scenario, series_values

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
HISTORY = SCENARIOS / "history_2006_2018.toml"
BASELINE = SCENARIOS / "baseline.toml"
MEASURES = {
    "Children looked after at 31 March": "lac_31_march",
    "Children starting to be looked after during the year": "lac_starts",
    "Children ceasing to be looked after during the year": "lac_ceases",
    "Children looked after at 31 March who were unaccompanied asylum-seeking children": "uasc_31_march",
    "Children looked after who were adopted during the year": "adoptions",
}
DEFAULT_SEEDS = list(range(1, 9))
#: The replay's share of families simulated on the command line (``--sample-fraction``).
DEFAULT_SAMPLE_FRACTION = 0.1
#: Acceptance (issue 7): stock within this share every year 2008-2018 ...
STOCK_TOLERANCE = 0.07
#: ... and the 2008-2018 rise within this many percentage points.
RISE_TOLERANCE_POINTS = 7.0


def published_series(path: str | Path | None = None) -> pd.DataFrame:
    """The DfE England series as one row per year (``year`` and the :data:`MEASURES` columns)."""
    raw = pd.read_csv(path or DATA / "england_cla_time_series_1994_2018.csv")
    raw = raw[raw["measure"].isin(MEASURES)]
    raw = raw.assign(number=pd.to_numeric(raw["number"], errors="coerce"))
    table = raw.pivot(index="year", columns="measure", values="number").rename(columns=MEASURES)
    return table.reset_index()[["year", *MEASURES.values()]]


#: Children's social care activity 2007-2018 (CIN census from 2009-10, the CPR3 return before):
#: ``simulator/data/england_cin_time_series_2007_2018.csv``, each figure with its source and grade
#: (H read from DfE's tables, M from DfE releases as reported; years with neither are left out).
#: With the children looked after under section 20 at 31 March (the CLA return, two years found),
#: and three ways out of care: adoptions (the CLA series), special guardianship and returns home
#: (the years found, as published reports quote them).
ACTIVITY = (
    "referrals",
    "section47_enquiries",
    "initial_cp_conferences",
    "cin_31_march",
    "cp_31_march",
    "cp_starts",
    "lac_voluntary_s20_31_march",
    "adoptions",
    "special_guardianship",
    "returned_home",
)


#: The looked-after series the replay is held to (CLA return, 1994-2018).
STOCK_COLUMNS = ("lac_31_march", "lac_starts", "lac_ceases")


def published_activity(path: str | Path | None = None) -> pd.DataFrame:
    """The published activity series, one row per year (``year`` and the :data:`ACTIVITY` columns)."""
    raw = pd.read_csv(path or DATA / "england_cin_time_series_2007_2018.csv")
    table = raw.pivot(index="year", columns="measure", values="number")
    adopted = published_series().set_index("year")["adoptions"]  # the CLA series, read once
    table["adoptions"] = adopted.reindex(table.index)
    return table.reindex(columns=list(ACTIVITY)).reset_index()


def activity_table(model: pd.DataFrame) -> pd.DataFrame:
    """The model's activity beside the published series (missing years empty), error in %."""
    out = model[["year", *ACTIVITY]].merge(
        published_activity(), on="year", how="left", suffixes=("_model", "_published")
    )
    for c in ACTIVITY:
        out[f"{c}_error_pct"] = 100.0 * (out[f"{c}_model"] / out[f"{c}_published"] - 1.0)
    return out[["year"] + [f"{c}_{k}" for c in ACTIVITY for k in ("model", "published", "error_pct")]]


def replay(
    scenario: Scenario | str | Path = HISTORY,
    *,
    seeds: Sequence[int] = (1,),
    sample_fraction: float | None = None,
    view: str = "agent",
    activity: bool = False,
) -> pd.DataFrame:
    """Run the replay and compare it with the published series, year by year.

    Args:
        scenario: the replay scenario (a file or a validated :class:`Scenario`).
        seeds: seeds of the agent-based runs (their mean is compared).
        sample_fraction: override ``run.sample_fraction`` (e.g. 0.05 for speed).
        view: ``"agent"`` (the agent-based model) or ``"aggregate"`` (the expected-value view).
        activity: also compare referrals, section 47 enquiries, CIN, CP, CP starts and children
            under section 20.

    Returns:
        One row per reported year: the model's and the published looked after at
        31 March, starts and ceases, and the model's error in % for each; with ``activity``, the
        same for referrals, section 47 enquiries, CIN and CP at 31 March and CP starts
        (:func:`activity_table`) after them.
    """
    if not isinstance(scenario, Scenario):
        over = {"run": {"sample_fraction": sample_fraction, "record_episodes": False}}
        if sample_fraction is None:
            del over["run"]["sample_fraction"]
        scenario = load_scenario(scenario, over)
    cols = list(STOCK_COLUMNS)
    kept = [*cols, *ACTIVITY] if activity else cols
    if view == "aggregate":
        from simulator.aggregate import run_aggregate

        model_table = run_aggregate(scenario).annual[["year", *kept]]
    elif view == "agent":
        from simulator.model import CSCModel

        runs = []
        for seed in seeds:
            m = CSCModel(scenario, seed=seed)
            m.run()
            runs.append(m.results().annual[["year", *kept]])
        model_table = pd.concat(runs).groupby("year", as_index=False).mean()
    else:
        raise ValueError(f"view = {view!r}: use 'agent' or 'aggregate'")
    pub = published_series()
    out = model_table.merge(pub, on="year", suffixes=("_model", "_published"))
    for c in cols:
        out[f"{c}_error_pct"] = 100.0 * (out[f"{c}_model"] / out[f"{c}_published"] - 1.0)
    order = ["year"] + [f"{c}_{k}" for c in cols for k in ("model", "published", "error_pct")]
    if activity:
        return out[order].merge(activity_table(model_table), on="year")
    return out[order]


def summarise(table: pd.DataFrame, first: int = 2008, last: int = 2018) -> dict[str, float | bool]:
    """The acceptance figures of a replay table: worst stock error and the rise over the period."""
    t = table.set_index("year")
    span = t.loc[first:last]
    worst = float(span["lac_31_march_error_pct"].abs().max())
    rise_model = 100.0 * (t.loc[last, "lac_31_march_model"] / t.loc[first, "lac_31_march_model"] - 1)
    rise_pub = 100.0 * (t.loc[last, "lac_31_march_published"] / t.loc[first, "lac_31_march_published"] - 1)
    return {
        "worst_stock_error_pct": worst,
        "worst_stock_error_year": int(span["lac_31_march_error_pct"].abs().idxmax()),
        "rise_model_pct": float(rise_model),
        "rise_published_pct": float(rise_pub),
        "stock_within_tolerance": bool(worst <= 100 * STOCK_TOLERANCE),
        "rise_within_tolerance": bool(abs(rise_model - rise_pub) <= RISE_TOLERANCE_POINTS),
        "mean_abs_starts_error_pct": float(span["lac_starts_error_pct"].abs().mean()),
        "mean_abs_ceases_error_pct": float(span["lac_ceases_error_pct"].abs().mean()),
    }


def fit_pre_shock(
    scenario: Scenario | str | Path = HISTORY,
    *,
    seeds: Sequence[int] = tuple(range(1, 9)),
    sample_fraction: float = 0.1,
    iterations: int = 5,
) -> dict[str, float]:
    """Fit the replay's practice at the start to the two years before Baby P (2006-07, 2007-08).

    ``risk_aversion.index`` is set so mean care starts equal the published mean (23,605)
    and ``care.adoption_share_under5`` so mean adoptions equal theirs (3,255), by a few
    multiplicative (secant on the log) steps, each over ``seeds`` at ``sample_fraction``.
    Only the first two reported years are run, without the later drivers. This is the fit
    behind the values in ``scenarios/history_2006_2018.toml``; nothing after 2007-08 is used.
    """
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    base = load_scenario(scenario, {"run": {"sample_fraction": sample_fraction, "record_episodes": False}})
    years = [base.run.start_year + 1, base.run.start_year + 2]
    pub = published_series().set_index("year").loc[years]
    target_starts, target_adopt = float(pub["lac_starts"].mean()), float(pub["adoptions"].mean())
    # from the 2024 defaults, not the file's values, so the fit does not depend on what it wrote
    default = Scenario()
    index, share = default.risk_aversion.index, default.care.adoption_share_under5

    def first_two(series: Any) -> list[float]:
        return series_values(series, base.run.start_year, base.run.years)[:2]

    # every yearly series cut to its first two years (the schema's list of them, so a new one is
    # not missed), then the later drivers taken out
    cut: dict[str, Any] = {}
    for name in SERIES_BOUNDS:
        *path, field_name = name.split(".")
        owner, node = base, cut
        for part in path:
            owner, node = getattr(owner, part), node.setdefault(part, {})
        node[field_name] = first_two(getattr(owner, field_name))
    cut["levers"]["risk_aversion"]["shocks"] = []
    cut["levers"]["prevention"]["baseline_capacity_change"] = 0.0

    def run(index: float, share: float) -> tuple[float, float]:
        over = {**cut, "run": {"years": 2}, "risk_aversion": {"index": index}}
        over["care"] = {**cut["care"], "adoption_share_under5": share}
        sc = with_overrides(base, over)
        starts, adopt = [], []
        for seed in seeds:
            m = CSCModel(sc, seed=seed)
            m.run()
            a = m.results().annual
            starts.append(a["lac_starts"].mean())
            adopt.append(a["adoptions"].mean())
        return float(np.mean(starts)), float(np.mean(adopt))

    # care starts rise with the index about as index ** 1.5 (care and s47 elasticities of 1)
    for _ in range(iterations):
        starts, adopt = run(index, share)
        index *= (target_starts / starts) ** (1 / 1.5)
        share *= target_adopt / adopt
    starts, adopt = run(index, share)
    return {
        "risk_aversion.index": round(index, 3),
        "care.adoption_share_under5": round(share, 3),
        "starts_error_pct": 100 * (starts / target_starts - 1),
        "adoptions_error_pct": 100 * (adopt / target_adopt - 1),
    }


def shock_response(
    sizes: Sequence[float],
    scenario: Scenario | str | Path = HISTORY,
    *,
    seeds: Sequence[int] = tuple(range(1, 9)),
    sample_fraction: float = 0.05,
) -> pd.DataFrame:
    """Care starts with each Baby P shock size over the same run without it (paired seeds).

    The replay's shock size is derived, not fitted to the series: about +15% on all entries
    (the scenario file gives the reasoning). The index also raises referrals and s47 enquiries,
    so the size that gives +15% is found here by running the replay with and without it.

    Returns one row per size and reported year: ``ratio`` = mean starts with / without - 1.
    """
    base = load_scenario(scenario, {"run": {"sample_fraction": sample_fraction, "record_episodes": False}})
    from simulator.model import CSCModel
    from simulator.schema import with_overrides

    shocks = base.levers.risk_aversion.shocks

    def mean_starts(size: float | None) -> pd.Series:
        sh = [] if size is None else [{**s.model_dump(), "size": size} for s in shocks]
        sc = with_overrides(base, {"levers": {"risk_aversion": {"shocks": sh}}})
        runs = []
        for seed in seeds:
            m = CSCModel(sc, seed=seed)
            m.run()
            runs.append(m.results().annual.set_index("year")["lac_starts"])
        return sum(runs) / len(runs)

    without = mean_starts(None)
    rows = [
        {"size": size, "year": year, "ratio": with_ / without[year] - 1.0}
        for size in sizes
        for year, with_ in mean_starts(size).items()
    ]
    return pd.DataFrame(rows)


_STOCKS_31_MARCH = (
    "universal",
    "early_help_31_march",
    "cin_plans_31_march",
    "cp_31_march",
    "lac_31_march",
    "families_with_child_in_care",
)


def _at_31_march(res: Any) -> pd.DataFrame:
    """The stocks at 31 March, a row per reporting year (universal: not in early help or need)."""
    annual = res.annual.set_index("year")
    march = res.monthly[res.monthly["calendar_month"] == 3].set_index("reporting_year")
    annual["families_with_child_in_care"] = march["families_with_child_in_care"]
    annual["universal"] = annual["child_population"] - annual["early_help_31_march"] - annual["cin_31_march"]
    return annual[list(_STOCKS_31_MARCH)]


def _agent_at_31_march(scenario: Scenario, seed: int) -> np.ndarray:
    """One agent-based run's stocks at 31 March (a worker's task)."""
    from simulator.model import CSCModel

    model = CSCModel(scenario, seed=seed)
    model.run()
    return _at_31_march(model.results()).to_numpy()


def aggregate_vs_agent(
    scenario: Scenario | None = None,
    *,
    seeds: Sequence[int] = (11, 12, 13),
    children: int = 613_000,
    years: int = 20,
    workers: int | None = None,
) -> pd.DataFrame:
    """Agent-based mean vs the aggregate view: stocks by state at 31 March, year by year.

    The scenario is run at ``children`` children; prevention spend, community hubs' catchments and
    Troubled Families places are scaled with them (the same spend per child, the same share of
    families in a hub or the programme), so a lever does as much as in the scenario as written.

    Returns one row per year and stock with the agent-based mean, its standard error,
    the aggregate value and the difference in % (the figures of docs/MODEL.md). The stocks:
    children in universal services only (the child population less early help and children in
    need), early help, CIN plans, CP, looked after, and families with a child in care.
    The seeds' runs share ``workers`` processes (default: one per core).
    """
    from simulator.aggregate import run_aggregate
    from simulator.schema import with_overrides

    sc = scenario or Scenario()
    ratio = children / sc.population.children

    def scaled(series: Any) -> Any:  # a number, one per year, or dated steps
        if isinstance(series, list):
            return [v * ratio for v in series]
        return {k: v * ratio for k, v in series.items()} if isinstance(series, dict) else series * ratio

    lv = sc.levers
    tf_places = scaled(lv.troubled_families.places_per_year)
    levers: dict[str, Any] = {
        "prevention": {"spend_per_year": scaled(lv.prevention.spend_per_year)},
        "troubled_families": {"places_per_year": tf_places},
    }
    if lv.community_hubs.opening_dates:
        levers["community_hubs"] = {"catchment_families": round(lv.community_hubs.catchment_families * ratio)}
    sc = with_overrides(
        sc,
        {
            "population": {"children": children},
            "run": {"years": years, "record_episodes": False},
            "levers": levers,
        },
    )
    cols = list(_STOCKS_31_MARCH)
    agg = _at_31_march(run_aggregate(sc))
    runs = map_in_processes(_agent_at_31_march, [sc] * len(seeds), seeds, workers=workers)
    stack = np.stack(runs)
    mean = pd.DataFrame(stack.mean(axis=0), index=agg.index, columns=cols)
    se = pd.DataFrame(stack.std(axis=0, ddof=1) / np.sqrt(len(runs)), index=agg.index, columns=cols)
    rows = []
    for year in agg.index:
        for c in cols:
            rows.append(
                {
                    "year": year,
                    "stock": c,
                    "agent_mean": mean.loc[year, c],
                    "agent_se": se.loc[year, c],
                    "aggregate": agg.loc[year, c],
                    "difference_pct": 100 * (mean.loc[year, c] / agg.loc[year, c] - 1),
                }
            )
    return pd.DataFrame(rows)


#: Acceptance of the two views' agreement (issue 7): within 2% of the aggregate, or within 3
#: standard errors of the agent-based mean where the noise is larger, every year.
AGREEMENT_TOLERANCE = 0.02
#: Stocks held to a wider tolerance, each with its measured reason (none now). Families with a
#: child in care were held to 2.5% while the view let a family's later entries to care leave its
#: time with a child in care as it was; since they lengthen it, as in the engine (6 Dec 2026), the
#: largest gap is -1.28% (60 seeds, 11-70), within the 2% of every stock.
WIDER_TOLERANCE: dict[str, float] = {}


def agreement(
    table: pd.DataFrame, tol: float = AGREEMENT_TOLERANCE, wider: dict[str, float] | None = None
) -> pd.DataFrame:
    """Per stock of :func:`aggregate_vs_agent`: the largest gap, its year, and the acceptance.

    ``largest_gap_pct`` and ``year``: the largest absolute difference in %; ``standard_errors``:
    that gap in standard errors of the agent-based mean; ``within``: every year within ``tol`` of
    the aggregate or 3 standard errors.
    """
    wider = WIDER_TOLERANCE if wider is None else wider
    t = table.assign(gap=(table["agent_mean"] - table["aggregate"]).abs())
    stock_tol = t["stock"].map(lambda s: max(tol, wider.get(s, tol)))
    t["allowed"] = np.maximum(stock_tol * t["aggregate"], 3.0 * t["agent_se"])
    rows = []
    for stock, g in t.groupby("stock", sort=False):
        worst = g["difference_pct"].abs().idxmax()
        rows.append(
            {
                "stock": stock,
                "largest_gap_pct": g.loc[worst, "difference_pct"],
                "year": int(g.loc[worst, "year"]),
                "standard_errors": g.loc[worst, "gap"] / max(g.loc[worst, "agent_se"], 1e-12),
                "within": bool((g["gap"] <= g["allowed"]).all()),
            }
        )
    return pd.DataFrame(rows).set_index("stock")


#: The checks the command runs instead of the replay; one at a time.
CHECKS = ("--aggregate", "--journeys", "--shock-response", "--fit-start")
#: The replay, as messages name it.
REPLAY = "the replay (the default check)"
#: The settings each check reads (None: the replay). A setting a check does not read would be
#: silently ignored, so it is refused (:func:`_ignored_option`).
READS: dict[str | None, tuple[str, ...]] = {
    None: ("--scenario", "--seeds", "--sample-fraction", "--view"),
    "--aggregate": ("--seeds", "--years"),
    "--journeys": ("--seeds", "--years"),
    "--shock-response": (),
    "--fit-start": ("--scenario",),
}
#: The settings shared by the checks (their defaults are None, so a given one can be told apart).
SETTINGS = ("--scenario", "--seeds", "--sample-fraction", "--view", "--years")


def _given(args: argparse.Namespace, option: str) -> bool:
    """Whether ``option`` was on the command line (the checks' flags and the settings)."""
    return getattr(args, option.removeprefix("--").replace("-", "_")) not in (None, False)


def _ignored_option(args: argparse.Namespace) -> str | None:
    """Options given together where one would be ignored, as a one-line message (None: none)."""
    checks = [c for c in CHECKS if _given(args, c)]
    if len(checks) > 1:
        return (
            f"{checks[0]} and {checks[1]} cannot go together: each is a separate check; "
            f"give one of {', '.join(CHECKS)}"
        )
    check = checks[0] if checks else None
    for option in SETTINGS:
        if _given(args, option) and option not in READS[check]:
            users = ([REPLAY] if option in READS[None] else []) + [c for c in CHECKS if option in READS[c]]
            *others, last = users
            either = f"{', '.join(others)} or {last}" if others else last
            return f"{option} cannot go with {check or REPLAY}: it would be ignored; {option} is for {either}"
    if check is None and args.view == "aggregate":
        for option in ("--seeds", "--sample-fraction"):
            if _given(args, option):
                return (
                    f"{option} cannot go with --view aggregate: it would be ignored (the "
                    f"expected-value view has no seeds and no sample); {option} is for --view agent"
                )
    return None


def _bounds(model: type[Any], name: str) -> dict[str, float]:
    """A schema field's bounds (``ge``, ``gt``, ``le``, ``lt`` that it has), from the schema itself."""
    out = {}
    for meta in model.model_fields[name].metadata:
        for key in ("ge", "gt", "le", "lt"):
            if getattr(meta, key, None) is not None:
                out[key] = float(getattr(meta, key))
    return out


def _bad_value(args: argparse.Namespace) -> str | None:
    """A setting out of its range, or a seed repeated, naming the option typed (None: all good)."""
    from simulator.schema import Run
    from simulator.seeding import MAX_SEED

    if args.years is not None:
        check = "--journeys" if args.journeys else "--aggregate"
        years = _bounds(Run, "years")
        low = journeys.WARM_UP_YEARS + 1 if args.journeys else years["ge"]
        if not low <= args.years <= years["le"]:
            why = f" (more than the {journeys.WARM_UP_YEARS} warm-up years)" if args.journeys else ""
            return f"--years {args.years}: with {check}, allowed: {low:g} to {years['le']:g}{why}"
    if args.sample_fraction is not None:
        share = _bounds(Run, "sample_fraction")
        if not share["gt"] < args.sample_fraction <= share["le"]:
            return (
                f"--sample-fraction {args.sample_fraction:g}: allowed: more than {share['gt']:g} "
                f"and at most {share['le']:g}"
            )
    seeds = args.seeds or []
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            return f"--seeds {seed}: allowed: whole numbers from 0 to {MAX_SEED}"
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        which = "seed" if len(repeated) == 1 else "seeds"
        return (
            f"--seeds {' '.join(map(str, seeds))}: {which} {', '.join(map(str, repeated))} repeated; "
            "allowed: different seeds (a repeat counts one run twice and understates the standard error)"
        )
    return None


def _fill_defaults(args: argparse.Namespace) -> None:
    """The settings not given, as each check's default (``None`` seeds: ``--journeys`` picks its own)."""
    args.scenario = args.scenario or str(HISTORY)
    if args.seeds is None and not args.journeys:
        args.seeds = DEFAULT_SEEDS
    args.sample_fraction = DEFAULT_SAMPLE_FRACTION if args.sample_fraction is None else args.sample_fraction
    args.view = args.view or "agent"
    if args.years is None:
        args.years = 15 if args.journeys else 20


def main(argv: Sequence[str] | None = None) -> int:
    """Print the replay comparison and its summary (or, with ``--aggregate``, the two views)."""
    from simulator.cli import OneLineParser

    p = OneLineParser(prog="python -m simulator.validation", description=__doc__.splitlines()[0])
    p.add_argument(
        "--scenario",
        default=None,
        help="the replay's scenario file (default: scenarios/history_2006_2018.toml); with "
        "--fit-start, the scenario whose start is fitted",
    )
    p.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        metavar="SEED",
        help="seeds of the agent-based runs, all different; their mean is compared (default: "
        f"{DEFAULT_SEEDS[0]} to {DEFAULT_SEEDS[-1]}; with --journeys, 8 replicate seeds of the "
        "scenario's run.seed)",
    )
    p.add_argument(
        "--sample-fraction",
        type=float,
        default=None,
        metavar="FRACTION",
        help="share of families the replay simulates, counts scaled back up (default "
        f"{DEFAULT_SAMPLE_FRACTION:g}; 1: every family)",
    )
    p.add_argument(
        "--view",
        choices=["agent", "aggregate"],
        default=None,
        help="the replay from the agent-based model (default: the mean over --seeds) or from the "
        "expected-value aggregate view (no seeds, no sample)",
    )
    p.add_argument(
        "--aggregate",
        nargs="?",
        const=str(BASELINE),
        metavar="SCENARIO",
        help="instead: agent-based mean vs aggregate view for a scenario (default: the "
        "baseline) at 613,000 children, prevention spend and hub catchments scaled with them",
    )
    p.add_argument(
        "--years",
        type=int,
        default=None,
        help="with --aggregate (default 20) or --journeys (15): years to run",
    )
    p.add_argument(
        "--shock-response",
        type=float,
        nargs="+",
        metavar="SIZE",
        help="instead: care starts with each Baby P shock size over the replay without it "
        "(8 paired seeds; the mean over 2009-10 to 2012-13 is the figure in the scenario file)",
    )
    p.add_argument(
        "--journeys",
        nargs="?",
        const=str(BASELINE),
        metavar="SCENARIO",
        help="instead: the shapes behind the totals (plan lengths, repeat plans, age at entry to "
        "care, reasons for leaving, placement stability) beside DfE's figures, from --years "
        "(default 15) of the scenario (default: the baseline) over 8 paired seeds",
    )
    p.add_argument(
        "--fit-start",
        action="store_true",
        help="instead: fit the replay's risk index and adoption share to the two years before "
        "Baby P (8 seeds at 10%%)",
    )
    args = p.parse_args(argv)
    problem = _ignored_option(args) or _bad_value(args)
    if problem:
        p.error(problem)
    _fill_defaults(args)
    try:
        return _run(args)
    except ScenarioError as err:  # a wrong scenario file: the message, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.fit_start:
        for key, value in fit_pre_shock(args.scenario).items():
            print(f"{key}: {value:.3f}")
        return 0
    if args.shock_response:
        t = shock_response(args.shock_response)
        wide = t.pivot(index="year", columns="size", values="ratio")
        print("care starts with the shock / without - 1, % (mean of 8 paired seeds)")
        print((100 * wide).round(1).to_string())
        print("mean 2010-2013 %:", (100 * wide.loc[2010:2013].mean()).round(1).to_dict())
        return 0
    if args.journeys:
        journeys.print_report(journeys.report(args.journeys, seeds=args.seeds, years=args.years))
        return 0
    if args.aggregate:
        t = aggregate_vs_agent(load_scenario(args.aggregate), seeds=args.seeds, years=args.years)
        wide = t.pivot(index="year", columns="stock", values="difference_pct").round(1)
        print("agent-based mean / aggregate - 1, % (stocks at 31 March)")
        print(wide.to_string())
        wider = ", ".join(f"{k} {v:.1%}" for k, v in WIDER_TOLERANCE.items())
        print(
            f"largest differences, and every year within {AGREEMENT_TOLERANCE:.0%}"
            + (f" ({wider})" if wider else "")
            + " or 3 standard errors:"
        )
        print(agreement(t).round(2).to_string())
        return 0
    table = replay(
        args.scenario, seeds=args.seeds, sample_fraction=args.sample_fraction, view=args.view, activity=True
    )
    lac = ["year"] + [f"{c}_{k}" for c in STOCK_COLUMNS for k in ("model", "published", "error_pct")]
    with pd.option_context("display.width", 250):
        print(table[lac].round(1).to_string(index=False))
        print(
            "\nactivity against the CIN census (and the CPR3 return before 2010; empty: not published here)"
        )
        for c in ACTIVITY:
            print(
                table[["year", f"{c}_model", f"{c}_published", f"{c}_error_pct"]]
                .round(1)
                .to_string(index=False)
            )
    for key, value in summarise(table).items():
        print(f"{key}: {np.round(value, 1) if isinstance(value, float) else value}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
