"""``run``: one scenario, one seed; writes annual, monthly, episode tables and run.json."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from simulator.commands import scenario_from_args
from simulator.model import CSCModel
from simulator.safe_io import check_output_dir

SUMMARY_COLUMNS = [
    "child_population",
    "referrals",
    "section47_enquiries",
    "early_help_31_march",
    "cin_31_march",
    "cp_31_march",
    "lac_31_march",
    "lac_starts",
    "lac_ceases",
    "unmet_high_need_31_march",
    "lac_per_10k",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``run``."""
    p.add_argument("scenario", help="scenario TOML file (e.g. scenarios/baseline.toml)")
    p.add_argument("--years", type=int, default=None, help="reporting years (default: the scenario's)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    p.add_argument(
        "--out",
        default=None,
        help="folder for annual.csv, monthly.csv, equity.csv, run.json, and episodes.csv and policy.csv "
        "when there are any (new or empty)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the contents of an --out folder that already holds files",
    )
    p.add_argument(
        "--sample-fraction",
        type=float,
        default=None,
        help="simulate this share of families and scale up (e.g. 0.1 for a quick England run)",
    )
    p.add_argument("--no-episodes", action="store_true", help="do not keep episode and journey logs")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def main(args: argparse.Namespace) -> int:
    """Run the scenario and write its outputs."""
    scenario = scenario_from_args(
        args.scenario,
        args.years,
        args.seed,
        sample_fraction=args.sample_fraction,
        record_episodes=False if args.no_episodes else None,
    )
    if args.out is not None:  # before any computing: a bad --out costs nothing
        check_output_dir(args.out, args.overwrite)
    t0 = time.perf_counter()
    model = CSCModel(scenario)
    with tqdm(
        total=model.total_months,
        desc=f"{scenario.name} (seed {model.seed})",
        unit="month",
        delay=1.0,
        disable=args.quiet,
        file=sys.stderr,
    ) as bar:
        model.run(progress=lambda _m: bar.update(1))
    results = model.results()
    wall = time.perf_counter() - t0
    if args.out is not None:
        paths = results.write(args.out, wall_time=wall, overwrite=args.overwrite)
        if not args.quiet:
            print(f"wrote {', '.join(str(p) for p in paths.values())}")
    if not args.quiet:
        table = results.annual.set_index("year")[SUMMARY_COLUMNS]
        print(
            f"\n{scenario.name}: seed {model.seed}, {len(table)} year{'s' if len(table) != 1 else ''}, "
            f"{wall:.2f} s "
            f"(children at 31 March; flows in the year ending 31 March)"
        )
        if len(table) <= 6:
            print(table.round(1).to_string())
        else:  # the first and last three years, the rest marked as left out
            lines = table.round(1).to_string().splitlines()
            kept = len(lines) - len(table)  # the header lines
            gap = f"... {len(table) - 6} years not shown (all in annual.csv with --out)"
            print("\n".join([*lines[: kept + 3], gap, *lines[-3:]]))
    return 0
