"""``calibrate``: fit the model to a named local authority, or to every authority (batch).

Examples::

    python -m simulator calibrate --la "Kent" --out scenarios/la/kent.toml
    python -m simulator calibrate --la "Leeds" --figures my_leeds.toml --check-agent 3
    python -m simulator calibrate --all --table calibration_fit.csv

An existing ``--out`` scenario or ``--table`` is never replaced without ``--force`` (the check
comes before any fitting). Options that would be ignored or bent are refused up front:
``--table`` with ``--la``, ``--out`` with ``--all``, a path ending in a slash, ``--check-agent``
outside 0..1000, and a ``--base`` outside the folders a scenario at ``--out`` may be based on.

``--la`` takes a published name or code, or a name that picks out one authority once case,
punctuation and a suffix such as ", City of" are ignored ("Bristol", "St Helens"), whole or as its
first words ("Brighton"); the authority chosen is said (standard error). A name matching several
is refused with the candidates.

``--figures`` names a small TOML (or ``measure,value`` CSV) of the authority's own figures:
``cin_31_march``, ``cp_31_march``, ``referrals`` and ``[costs.NAME] value = ...``.

Exit codes (``--la``): 0 when looked-after children at 31 March, starts and ceases are all within
±10% of the published figures; 1 when they are not, whether nothing could be fitted (City of
London) or the closest fit found misses (Kent's ceases): the reason is said on standard error,
even with ``--quiet``, and ``--out`` still gets the closest fit, its evidence giving the errors;
2 for bad input. ``--all`` exits 0 once the table is made and lists the authorities not fitted.
A fit that assumes no unaccompanied asylum-seeking children arrive says so in a warning.
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
    find_la,
    la_table,
    read_user_figures,
)
from simulator.cli import UsageError
from simulator.safe_io import check_output_file, write_csv


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``calibrate``."""
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--la",
        help='local authority name or code as published, e.g. "Kent" or E10000016, or a name that '
        'matches one authority ("Bristol" for "Bristol, City of")',
    )
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
    p.epilog = (
        "exit codes with --la: 0 all three care figures fitted within ±10%; 1 not (the reason is "
        "said; --out still gets the closest fit); 2 bad input"
    )


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


def uasc_warning(parameters: dict[str, float]) -> str:
    """A fit that assumes no unaccompanied asylum-seeking children arrive, said with why (or "")."""
    x = parameters.get("uasc_scale")
    if x is None or math.isnan(x) or x > 0:
        return ""
    return (
        f"uasc_scale {x:.3f}: no unaccompanied asylum-seeking children arrive in the fitted scenario "
        "(population.uasc_starts_per_10k = 0), because at England's share of starts or rate per "
        "child the published figures could not be fitted and with none they could; arrivals by "
        "authority are not in the data, so check the authority's own before relying on the run"
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
                f"(a fit resting on an extreme): {'; '.join(at_edge)}"
            )
        no_uasc = [r["la_name"] for _, r in df.iterrows() if uasc_warning(dict(r))]
        if no_uasc:
            print(
                f"warning: {len(no_uasc)} fitted with no unaccompanied asylum-seeking children arriving "
                f"(at England's share or rate the figures could not be fitted): {'; '.join(no_uasc)}"
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
    return _calibrate_one(args)


def _calibrate_one(args: argparse.Namespace) -> int:
    """``--la``: fit one authority, report it, write the scenario; 1 when not within the tolerance."""
    user = read_user_figures(args.figures) if args.figures else None
    seeds = tuple(range(1, args.check_agent + 1))
    row = find_la(args.la)
    if " ".join(args.la.lower().split()) not in (row["la_name"].lower(), row["la_code"].lower()):
        print(f"note: --la {args.la!r} taken as {row['la_name']!r} ({row['la_code']})", file=sys.stderr)
    fit = calibrate_la(row, base=args.base, user=user, agent_seeds=seeds)
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
    # said even with --quiet: an assumption of no arrivals, the council's own figures missed
    for line in [uasc_warning(fit.parameters), *fit.user_misses()]:
        if line:
            print(f"warning: {line}", file=sys.stderr)
    path = None
    if args.out is not None and fit.overrides:
        path = fit.write(args.out, base=args.base, force=args.force)
        if not args.quiet:
            print(f"wrote {path}")
    failed = bool(fit.reason) or not fit.overrides
    if failed:  # exit code 1, said even with --quiet (as nothing fitted at all)
        written = f"; the closest fit found was written to {path}" if path else ""
        print(f"not within ±{TOLERANCE:.0%}: {fit.reason}{written}", file=sys.stderr)
    return 1 if failed else 0
