"""``calibrate``: fit the model to a named local authority, or to every authority (batch).

Examples::

    python -m simulator calibrate --la "Kent" --out scenarios/la/kent.toml
    python -m simulator calibrate --la "Leeds" --figures my_leeds.toml --check-agent 3
    python -m simulator calibrate --all --table calibration_fit.csv

An existing ``--out`` scenario or ``--table`` is never replaced without ``--force`` (the check
comes before any fitting). Options that would be ignored or bent are refused up front:
``--table`` with ``--la``, ``--out`` with ``--all``, a path ending in a slash, ``--check-agent``
outside 0..1000, and a ``--base`` outside the folders a scenario at ``--out`` may be based on.

``--figures`` names a small TOML (or ``measure,value`` CSV) of the authority's own figures:
``cin_31_march``, ``cp_31_march``, ``referrals`` and ``[costs.NAME] value = ...``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import pandas as pd
from tqdm import tqdm

from simulator.calibrate import (
    BASELINE,
    TOLERANCE,
    calibrate_all,
    calibrate_la,
    check_scenario_out,
    la_table,
    read_user_figures,
)
from simulator.cli import UsageError
from simulator.safe_io import check_output_file, write_csv


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``calibrate``."""
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--la", help='local authority name or code as published, e.g. "Kent" or E10000016')
    who.add_argument("--all", action="store_true", help="calibrate every authority with data (batch)")
    p.add_argument("--out", default=None, help="write the calibrated scenario here (with --la)")
    p.add_argument("--table", default=None, help="write the table of fit errors here (CSV; with --all)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --out scenario or --table file (never the --base scenario)",
    )
    p.add_argument(
        "--figures",
        default=None,
        help="the authority's own figures: CIN, CP, referrals, unit costs (TOML or CSV)",
    )
    p.add_argument("--base", default=str(BASELINE), help="scenario the fit overrides (default: the baseline)")
    p.add_argument(
        "--check-agent",
        type=int,
        default=1,
        metavar="SEEDS",
        help="seeds of the agent-based check (0 to skip; with --la)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or report")


#: Most seeds of the agent-based check (each is a one-year run of the whole authority).
MAX_CHECK_AGENT = 1000


def _check_options(args: argparse.Namespace) -> None:
    """Refuse (exit code 2, one line) an option that would be ignored or mean something else."""
    if args.all and args.out is not None:
        raise UsageError(
            f"--out {args.out!r} with --all: --all writes no scenarios, only the table of fit errors; "
            "allowed: --out with --la, --table with --all"
        )
    if not args.all and args.table is not None:
        raise UsageError(
            f"--table {args.table!r} with --la: the table of fit errors is written by --all; "
            "allowed: --table with --all, --out (a scenario) with --la"
        )
    for flag, value in (("--out", args.out), ("--table", args.table)):
        if value is not None and str(value).endswith(("/", os.sep)):
            folder = str(value).rstrip("/" + os.sep) or "."
            example = f"{folder}/{'kent.toml' if flag == '--out' else 'fit.csv'}"
            raise UsageError(
                f"{flag} {value!r} ends with a slash (a folder); allowed: a file path, e.g. {example}"
            )
    if not 0 <= args.check_agent <= MAX_CHECK_AGENT:
        raise UsageError(
            f"--check-agent {args.check_agent}: allowed: a whole number of seeds of the agent-based check "
            f"from 0 (skip it) to {MAX_CHECK_AGENT}"
        )


def edge_warning(parameters: dict[str, float]) -> str:
    """A fitted duration scale at an end of its search range, said in words (or "")."""
    from simulator.calibrate import DURATION_GRID

    d = parameters.get("duration_scale")
    lo, hi = float(DURATION_GRID[0]), float(DURATION_GRID[-1])
    if d is None or not (math.isclose(d, lo) or math.isclose(d, hi)):
        return ""
    return (
        f"duration_scale {d:.3f} is at the {'lower' if math.isclose(d, lo) else 'upper'} end of its "
        f"range ({lo:g} to {hi:g}): every care duration is {d:.0%} of England's, so the fit rests "
        "on an extreme; check the run's first years against the authority's published figures"
    )


def _calibrate_all(args: argparse.Namespace) -> int:
    """``--all``: fit every authority, write the table, and say which fits fail or rest on an extreme."""
    table = la_table()
    with tqdm(
        total=len(table), desc="calibrating", unit="LA", disable=args.quiet, file=sys.stderr, delay=1.0
    ) as bar:
        df = calibrate_all(base=args.base, progress=bar.update)
    if args.table is not None:
        write_csv(args.table, df, index=False, float_format="%.4g")
    with_data = df[df["has_data"]]
    ok = int(with_data["ok"].sum())
    if not args.quiet:
        print(
            f"{ok} of {len(with_data)} authorities with data fitted within ±{TOLERANCE:.0%} "
            f"(looked after at 31 March, starts, ceases; aggregate view)"
            + (f"; table: {args.table}" if args.table else "")
        )
        at_edge = [r["la_name"] for _, r in df.iterrows() if edge_warning(dict(r))]
        if at_edge:
            print(
                f"warning: {len(at_edge)} fitted with the duration scale at an end of its range "
                f"(a fit resting on an extreme): {', '.join(at_edge)}"
            )
        rest = df[~df["ok"]]
        if len(rest):
            print("not fitted:")
            for _, r in rest.iterrows():
                print(f"  {r['la_name']}: {r['reason']}")
    return 0


def main(args: argparse.Namespace) -> int:
    """Fit, report the fit per target, and write the scenario (or the batch table)."""
    # options are checked before any fitting: none is ignored, none bent
    _check_options(args)
    # output paths are checked before any fitting: a scenario file is never replaced unasked
    if args.all and args.table is not None:
        check_output_file(args.table, args.force, what="--table")
    if not args.all and args.out is not None:
        check_scenario_out(args.out, args.base, args.force)
    if args.all:
        return _calibrate_all(args)
    user = read_user_figures(args.figures) if args.figures else None
    seeds = tuple(range(1, args.check_agent + 1))
    fit = calibrate_la(args.la, base=args.base, user=user, agent_seeds=seeds)
    if not args.quiet:
        against = "published 2024 and your figures" if user else "published 2024"
        print(f"{fit.la} ({fit.la_code}, {fit.region}): first simulated year vs {against}")
        with pd.option_context("display.width", 160):
            print(fit.report().round(1).to_string(index=False))
        if fit.parameters:
            print("fitted: " + ", ".join(f"{k} {v:.3f}" for k, v in fit.parameters.items()))
            edge = edge_warning(fit.parameters)
            if edge:
                print(f"warning: {edge}")
        if fit.reason:
            print(f"not within ±{TOLERANCE:.0%}: {fit.reason}")
    for miss in fit.user_misses():  # the council's own figures: said even with --quiet
        print(f"warning: {miss}", file=sys.stderr)
    if args.out is not None and fit.overrides:
        path = fit.write(args.out, base=args.base, force=args.force)
        if not args.quiet:
            print(f"wrote {path}")
    return 0 if fit.overrides else 1
