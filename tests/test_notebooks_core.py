"""The notebooks run top to bottom (their own asserts check the numbers)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, parameters: str | None = None) -> nbformat.NotebookNode:
    """Run a notebook (its ``parameters`` cell replaced when given); no cell may raise."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if parameters is not None:
        cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(cells) == 1
        cells[0].source = parameters
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return nb


@pytest.mark.parametrize(
    "name",
    [
        "01_baseline_for_policy_teams.ipynb",
        "02_comparing_scenarios.ipynb",
        "04_calibrate_your_authority.ipynb",  # its asserts check the fit
    ],
)
def test_notebook_executes(name: str) -> None:
    execute(name)


def test_payback_notebook_runs() -> None:
    """notebooks/03_payback_for_finance.ipynb with a short horizon and few runs."""
    nb = execute(
        "03_payback_for_finance.ipynb", "YEARS = 8\nRUNS = 4\nCENTRAL_SEEDS = 1\nSEED = 7\nWITHIN = 5"
    )
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "['Summary', 'Assumptions', 'Levers', 'Cashflow', 'Sensitivity', 'Provenance']" in text
    assert "Net payback:" in text
