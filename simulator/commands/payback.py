r"""``payback``: costs, payback and NPV of a scenario against a baseline; Excel workbook and charts.

Example::

    python -m simulator payback scenarios/community_hubs.toml --baseline scenarios/baseline.toml \\
        --years 20 --runs 40 --seed 1 --xlsx out/hubs_payback.xlsx
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from tqdm import tqdm

from simulator.cli import UsageError
from simulator.commands import scenario_from_args
from simulator.commands.compare import MAX_RUNS
from simulator.finance import BASES, BUDGET_LINES, ModelRunner, format_payback, payback_report
from simulator.finance.appraisal import NO_FLOWS
from simulator.finance.report import check_outputs, settled, write_outputs
from simulator.schema import Scenario, ScenarioError, with_overrides


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``payback``."""
    p.add_argument("scenario", help="scenario TOML file (the scheme), e.g. scenarios/community_hubs.toml")
    p.add_argument(
        "--baseline", default=None, help="baseline TOML file (default: the scenario's 'base' file)"
    )
    p.add_argument(
        "--years", type=int, default=None, help="years appraised (default: the scenario's run.years)"
    )
    p.add_argument(
        "--runs",
        type=int,
        default=20,
        help="Monte Carlo runs, each a paired baseline/scenario run (default 20; 0 = none)",
    )
    p.add_argument("--seed", type=int, default=None, help="master seed (default: the scenario's run.seed)")
    p.add_argument("--xlsx", default=None, help="write the workbook here, with PNG charts beside it")
    p.add_argument(
        "--force", action="store_true", help="replace an existing workbook and its charts (--xlsx)"
    )
    p.add_argument(
        "--within",
        type=int,
        default=None,
        help="N in 'probability of paying back within N years' (default: finance.payback_horizon_years)",
    )
    p.add_argument(
        "--central-seeds",
        type=int,
        default=8,
        help="seeds averaged for the central estimate, tornado and switching values (default 8)",
    )
    p.add_argument(
        "--basis",
        choices=BASES,
        default="net",
        help="headline view for charts, tornado and switching values (default net)",
    )
    p.add_argument(
        "--discount-rate",
        type=float,
        default=None,
        help="real discount rate for years 0-30 (default: Green Book 3.5%%, as 0.035)",
    )
    p.add_argument(
        "--cashable",
        action="append",
        default=[],
        metavar="LINE=SHARE",
        help=f"cashable share of a budget line, repeatable ({', '.join(BUDGET_LINES)})",
    )
    p.add_argument(
        "--deadweight", type=float, default=None, help="share of the effect that would happen anyway"
    )
    p.add_argument(
        "--sample-fraction",
        type=float,
        default=None,
        help="simulate this share of families and scale up (quicker, noisier)",
    )
    p.add_argument("--no-sensitivity", action="store_true", help="skip the tornado and switching values")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _finance_overrides(args: argparse.Namespace) -> dict[str, Any]:
    fin: dict[str, Any] = {}
    if args.discount_rate is not None:
        fin["discount_rate"] = args.discount_rate
    if args.deadweight is not None:
        fin["deadweight"] = args.deadweight
    shares = {}
    for item in args.cashable:
        line, sep, value = item.partition("=")
        line = line.strip()
        if not sep:
            raise UsageError(f"--cashable {item!r}: write LINE=SHARE, e.g. placements=0.9")
        if line not in BUDGET_LINES:
            raise UsageError(
                f"--cashable: unknown budget line {line!r} (finance.cashable_share); allowed: "
                f"{', '.join(BUDGET_LINES)}"
            )
        try:
            shares[line] = float(value)
        except ValueError:
            raise UsageError(
                f"--cashable {line}={value!r}: the share must be a number between 0 and 1"
            ) from None
    if shares:
        fin["cashable_share"] = shares
    return fin


def _within(args: argparse.Namespace, scenario: Scenario) -> int | None:
    """N of "P(payback within N years)".

    ``--within``, refused past the run's end; else the scenario's horizon, cut to the run (with
    a note) when the run is shorter.
    """
    years = scenario.run.years
    within = args.within
    if within is not None and within > years:
        raise UsageError(
            f"--within = {within}: longer than the run ({years} years); allowed: 1 to {years} "
            "(or run more --years)"
        )
    if within is None and scenario.finance.payback_horizon_years > years:
        within = years
        if not args.quiet:
            print(
                f"note: finance.payback_horizon_years = {scenario.finance.payback_horizon_years} is longer "
                f"than the run; the chance of paying back is given within the run's {years} years",
                file=sys.stderr,
            )
    return within


def main(args: argparse.Namespace) -> int:
    """Appraise the scenario against the baseline and write the workbook."""
    if not 0 <= args.runs <= MAX_RUNS:
        raise UsageError(f"--runs = {args.runs}: must be from 0 to {MAX_RUNS:,}")
    if not 1 <= args.central_seeds <= MAX_RUNS:
        raise UsageError(f"--central-seeds = {args.central_seeds}: must be from 1 to {MAX_RUNS:,}")
    if args.within is not None and args.within < 1:
        raise UsageError(f"--within = {args.within}: must be at least 1 year")
    if args.quiet and args.xlsx is None:  # the appraisal would be worked out and shown nowhere
        raise UsageError(
            "--quiet without --xlsx: nothing would be shown or written; give --xlsx FILE or drop --quiet"
        )
    run_over = {"sample_fraction": args.sample_fraction, "record_episodes": False}
    scenario = scenario_from_args(args.scenario, args.years, args.seed, **run_over)
    base_path = args.baseline
    if base_path is None:
        if not scenario.base:
            raise UsageError("--baseline is needed: the scenario file names no 'base'")
        from pathlib import Path

        base_path = str(Path(args.scenario).parent / scenario.base)
    baseline = scenario_from_args(base_path, args.years, args.seed, **run_over)
    fin = _finance_overrides(args)
    if fin:
        scenario = with_overrides(scenario, {"finance": fin})
    within = _within(args, scenario)
    seed = args.seed if args.seed is not None else scenario.run.seed
    if args.xlsx is not None:  # before any computing: a bad --xlsx costs nothing
        check_outputs(args.xlsx, args.force)
        if not str(args.xlsx).lower().endswith(".xlsx"):
            raise UsageError(f"--xlsx {args.xlsx!r}: the workbook file must end in .xlsx")
    # a count, not a bar: how many runs the switching values need depends on what the first
    # ones show (a bisection that stops early), so no total known in advance would hold
    with tqdm(
        total=None,
        desc=f"payback {scenario.name}",
        unit=" runs",
        delay=1.0,
        disable=args.quiet,
        file=sys.stderr,
    ) as bar:
        runner = ModelRunner(progress=bar.update)
        report = payback_report(
            scenario,
            baseline,
            runs=args.runs,
            seed=seed,
            within_years=within,
            central_seeds=args.central_seeds,
            sensitivity=not args.no_sensitivity,
            basis=args.basis,
            runner=runner,
            scenario_path=args.scenario,
            baseline_path=base_path,
            command=["python -m simulator payback", *sys.argv[2:]],
        )
    paths = write_outputs(report, args.xlsx, force=args.force) if args.xlsx is not None else {}
    if not args.quiet:
        _print_summary(report)
        for p in paths.values():
            print(f"wrote {p}")
    return 0


def _print_summary(report: Any) -> None:
    a, h = report.central, report.central.horizon
    print(
        f"\n{report.scenario.name} against {report.baseline.name}: {h} years, "
        f"{report.scenario.finance.base_price_year} prices, evidence grade {a.grade}"
    )
    table = report.summary_table().set_index("measure")
    for col in table.columns:
        table[col] = [f"{v:,.2f}" if isinstance(v, float) else v for v in table[col]]
    print(table.to_string())
    bs = report.central_by_seed
    if bs is not None and len(bs) > 1:
        print(
            f"Central estimate: mean of {len(bs)} paired seeds; standard error of the mean NPV "
            f"({report.basis}) = {bs.attrs['npv_se']:,.0f}"
        )
        if not settled(report):
            print(
                "Caution: the central NPV is within two standard errors of zero; add seeds (--central-seeds)."
            )
    mc = report.monte_carlo
    if mc is not None:
        s = mc.summary.set_index(["measure", "basis"])
        b = report.basis
        npv = s.loc[("npv", b)]
        pb = s.loc[("payback_years", b)]
        print(
            f"Monte Carlo ({len(mc.runs)} runs, {b}): NPV P10/P50/P90 = {npv.p10:,.0f} / {npv.p50:,.0f} / "
            f"{npv.p90:,.0f}; payback P10/P50/P90 = "
            + " / ".join(format_payback(pb[q], h) for q in ("p10", "p50", "p90"))
            + f"; P(payback within {mc.within_years} years) = {_share(mc.p_payback_within(b))}"
        )
        if len(mc.runs) < 5:
            print(f"Caution: {len(mc.runs)} Monte Carlo runs are too few for P10-P90; add --runs.")


def _share(p: float) -> str:
    """A share as a percentage, or :data:`NO_FLOWS` where no run has a payback to count."""
    return NO_FLOWS if math.isnan(p) else f"{p:.0%}"


__all__ = ["ScenarioError", "add_arguments", "main"]
