"""Downloads: the annual table (CSV), the finance workbook (Excel) and the scenario file (TOML).

The scenario file is the scenario on screen, self-contained: loaded again (in the app, or by the
command line) it runs the same (:mod:`simulator.app.scenario_io`). The table and workbook are
safe to open in a spreadsheet: text that would run as a formula (a scenario or preset named
``=HYPERLINK(...)``) gets a leading quote (:mod:`simulator.safe_io`).
"""

from __future__ import annotations

import re

import pandas as pd
import solara

from simulator.app import state
from simulator.app.finance_view import workbook_bytes
from simulator.app.state import Bands, Outcome, paired_money_for
from simulator.safe_io import neutralise_frame


def annual_csv(outcome: Outcome) -> str:
    """Baseline and scenario annual tables in one CSV, with a ``run`` column first."""
    frames = []
    for name, out in (("baseline", outcome.baseline), ("scenario", outcome.scenario)):
        df = out.annual.copy()
        df.insert(0, "run", name)
        frames.append(df)
    table = neutralise_frame(pd.concat(frames, ignore_index=True))
    return table.to_csv(index=False, float_format="%.6g")


def file_stem(name: str) -> str:
    """A scenario's name as part of a file name (no folders, no characters a file system refuses)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "scenario"


def finance_xlsx(outcome: Outcome, bands: Bands | None = None) -> bytes:
    """The finance workbook for what is on screen: the paired runs' figures once they are in."""
    view = outcome.finance
    return workbook_bytes(
        outcome.scenario_scenario,
        outcome.baseline,
        outcome.scenario,
        view,
        outcome.baseline_scenario,
        paired_money_for(outcome, bands),
    )


@solara.component
def Downloads(outcome: Outcome | None) -> solara.Element:
    """Buttons to download what is on screen (built when clicked, with the paired runs in by then).

    The buttons depend on the outcome only: the paired runs arriving do not redraw them.
    """
    if outcome is None:
        return solara.Div()
    name = file_stem(outcome.scenario_scenario.name)
    seed = outcome.scenario.meta.get("seed")
    with solara.Row(gap="8px", classes=["downloads"]):
        solara.FileDownload(
            lambda: annual_csv(outcome),
            filename=f"annual_{name}_seed{seed}.csv",
            label="Annual table (CSV)",
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: finance_xlsx(outcome, state.bands.peek()),
            filename=f"finance_{name}_seed{seed}.xlsx",
            label="Finance workbook (Excel)",
            mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        solara.FileDownload(
            lambda: state.scenario_file(outcome),
            filename=f"scenario_{name}_seed{seed}.toml",
            label="Scenario file (TOML)",
            mime_type="application/toml",
        )
