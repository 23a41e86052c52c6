"""``params``: every parameter with its default, unit, range, source and evidence grade."""

from __future__ import annotations

import argparse

import pandas as pd

from simulator.schema import parameter_table


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``params``."""
    p.add_argument("--markdown", action="store_true", help="print a Markdown table (for docs)")
    p.add_argument("--section", default=None, help="only parameters under this section, e.g. levers")


def main(args: argparse.Namespace) -> int:
    """Print the parameter table read from the scenario schema."""
    df = pd.DataFrame(parameter_table())
    if args.section:
        df = df[df["parameter"].str.startswith(args.section)]
    if args.markdown:
        print(df.to_markdown(index=False) if hasattr(df, "to_markdown") else df.to_string(index=False))
    else:
        with pd.option_context("display.max_colwidth", 70, "display.width", 200):
            print(df[["parameter", "default", "unit", "grade", "source"]].to_string(index=False))
    return 0
