"""``params``: every parameter with its default, unit, range, source and evidence grade."""

from __future__ import annotations

import argparse

import pandas as pd

from simulator.schema import parameter_table


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``params``."""
    p.add_argument("--markdown", action="store_true", help="print a Markdown table (for docs)")
    p.add_argument("--section", default=None, help="only parameters under this section, e.g. levers")


def _markdown(df: pd.DataFrame) -> str:
    """A GitHub Markdown table (no optional dependency: pandas' to_markdown needs tabulate)."""

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Print the parameter table read from the scenario schema."""
    df = pd.DataFrame(parameter_table())
    if args.section:
        sections = sorted({p.split(".")[0] for p in df["parameter"]})
        chosen = df["parameter"].str.startswith(args.section.rstrip(".") + ".") | (
            df["parameter"] == args.section
        )
        if not chosen.any():
            from simulator.cli import UsageError

            raise UsageError(
                f"--section {args.section!r}: no such section; allowed: a section or "
                f"dotted prefix such as {', '.join(sections)}"
            )
        df = df[chosen]
    if args.markdown:
        print(_markdown(df))
    else:
        print(_plain(df))
    return 0


def _plain(df: pd.DataFrame, width: int = 100) -> str:
    """One block a parameter, wrapped to ``width`` (a terminal): name = default, unit, grade, source."""
    import textwrap

    out = []
    for row in df.itertuples(index=False):
        out += textwrap.wrap(f"{row.parameter} = {row.default}", width, subsequent_indent=" " * 8)
        allowed = str(row.allowed).split("unit:")[0].rstrip("; ")  # the unit has its own line
        for label, text in (("unit", row.unit), ("allowed", allowed), ("grade", row.grade)):
            if text:
                pad = " " * (len(label) + 6)
                out += textwrap.wrap(str(text), width, initial_indent=f"    {label}: ", subsequent_indent=pad)
        if row.source:
            out += textwrap.wrap(
                str(row.source), width, initial_indent="    source: ", subsequent_indent=" " * 12
            )
    return "\n".join(out)
