"""``compare``: a scenario against a baseline over paired seeds; per-year differences with intervals."""

from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from simulator.commands import scenario_from_args
from simulator.compare import compare
from simulator.results import __version__, settings_hash
from simulator.safe_io import atomic_dir, check_output_dir, neutralise_frame

HEADLINE = [
    "referrals",
    "section47_enquiries",
    "early_help_31_march",
    "cp_31_march",
    "cp_starts",
    "lac_31_march",
    "lac_starts",
    "unmet_high_need_31_march",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``compare``."""
    p.add_argument("baseline", help="baseline scenario TOML")
    p.add_argument("scenario", help="scenario TOML to compare with it")
    p.add_argument("--years", type=int, default=None, help="reporting years (default: the scenario's)")
    p.add_argument("--runs", type=int, default=10, help="paired runs (default 10)")
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="master seed the paired seeds are drawn from (default: the scenario's run.seed)",
    )
    p.add_argument(
        "--out", default=None, help="folder for differences.csv, runs.csv, run.json (new or empty)"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the contents of an --out folder that already holds files",
    )
    p.add_argument("--sample-fraction", type=float, default=None, help="simulate a share of families")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


#: Most paired runs asked for at once (a typical LA pair takes about half a second: 10,000 pairs
#: is over an hour; more is a typing slip, refused before anything is spent on it).
MAX_RUNS = 10_000


def main(args: argparse.Namespace) -> int:
    """Run the paired comparison and write the tables."""
    if not 1 <= args.runs <= MAX_RUNS:
        from simulator.cli import UsageError

        raise UsageError(f"--runs = {args.runs}: must be from 1 to {MAX_RUNS:,}")
    common = {"sample_fraction": args.sample_fraction, "record_episodes": False}
    base = scenario_from_args(args.baseline, args.years, None, **common)
    scen = scenario_from_args(args.scenario, args.years, None, **common)
    if args.out is not None:  # before any computing: a bad --out costs nothing
        check_output_dir(args.out, args.overwrite)
    seed = args.seed if args.seed is not None else scen.run.seed  # as payback
    with tqdm(
        total=2 * args.runs,
        desc=f"{scen.name} vs {base.name}",
        unit="run",
        delay=1.0,
        disable=args.quiet,
        file=sys.stderr,
    ) as bar:
        result = compare(base, scen, runs=args.runs, seed=seed, progress=bar.update)
    if args.out is not None:
        # one complete comparison or none: filled beside the folder, renamed into place
        with atomic_dir(args.out, args.overwrite) as tmp:
            stamp = {"scenario": scen.name, "baseline": base.name, "seed": seed, "version": __version__}
            for name, df in (("differences", result.differences), ("runs", result.runs)):
                df = df.assign(**stamp)  # every row says what it is, as a run's tables do
                neutralise_frame(df).to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
            (tmp / "run.json").write_text(
                json.dumps(
                    {
                        **stamp,
                        "runs": args.runs,
                        "paired_seeds": result.seeds,
                        "years": scen.run.years,
                        "sample_fraction": scen.run.sample_fraction,
                        "baseline_file": args.baseline,
                        "scenario_file": args.scenario,
                        "baseline_hash": settings_hash(base),
                        "scenario_hash": settings_hash(scen),
                        "rerun": f"python -m simulator compare {args.baseline} {args.scenario} --years "
                        f"{scen.run.years} --runs {args.runs} --seed {seed} --sample-fraction "
                        f"{scen.run.sample_fraction}",
                    },
                    indent=2,
                )
            )
    if not args.quiet:
        d = result.differences
        last = d[(d.year == d.year.max()) & d.measure.isin(HEADLINE)].set_index("measure").loc[HEADLINE]
        if args.runs > 1:
            head = f"{args.runs} paired runs (95% interval of the mean difference)"
            shown = ["baseline_mean", "scenario_mean", "difference_mean", "ci95_low", "ci95_high"]
        else:  # one run gives no interval (its columns in differences.csv are empty)
            head = "one paired run: no interval (--runs 2 or more gives one)"
            shown = ["baseline_mean", "scenario_mean", "difference_mean"]
        print(f"\n{scen.name} minus {base.name}, year ending March {int(d.year.max())}, {head}:")
        print(last[shown].round(1).to_string())
    return 0
