"""``python -m simulator payback``: the workbook, the charts, and clear errors for bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from simulator.cli import main
from simulator.finance import SHEETS
from simulator.finance.report import cashflow_label

ROOT = Path(__file__).resolve().parents[1]
HUBS = str(ROOT / "scenarios" / "community_hubs.toml")
BASE = str(ROOT / "scenarios" / "baseline.toml")


def test_payback_command_writes_workbook_and_charts(tmp_path, capsys):
    out = tmp_path / "hubs.xlsx"
    rc = main(
        [
            "payback",
            HUBS,
            "--baseline",
            BASE,
            "--years",
            "4",
            "--runs",
            "3",
            "--seed",
            "1",
            "--central-seeds",
            "1",
            "--sample-fraction",
            "0.5",
            "--quiet",
            "--xlsx",
            str(out),
        ]
    )
    assert rc == 0
    assert (tmp_path / "hubs_cumulative.png").exists() and (tmp_path / "hubs_tornado.png").exists()
    from PIL import Image  # matplotlib's own dependency

    for chart in ("hubs_cumulative.png", "hubs_tornado.png"):  # each chart says what it rests on
        text = Image.open(tmp_path / chart).text
        assert (
            "community_hubs against baseline · master seed 1 (1 central seeds) · 4 years"
            in text["Description"]
        )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS)
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["scenario file sha256"] == hashlib.sha256(Path(HUBS).read_bytes()).hexdigest()
    assert prov["baseline file sha256"] == hashlib.sha256(Path(BASE).read_bytes()).hexdigest()
    assert prov["master seed"] == 1 and prov["Monte Carlo runs"] == 3
    cash = list(wb["Cashflow"].iter_rows(values_only=True))
    header = cash[0]
    hubs = header.index(cashflow_label("scenario_hubs"))
    # four hubs: £500k capital each and £350k a year running while open (2024-25 prices);
    # the run covers April 2024 - March 2028: two hubs open 30 months (from 2025-10), two 24 (2026-04)
    assert sum(row[hubs] for row in cash[1:5]) == pytest.approx(
        4 * 500_000 + 350_000 * (2 * 30 + 2 * 24) / 12
    )
    assert (
        cash[5][0] == "Total"
        and cash[5][hubs] == f"=SUM({get_column_letter(hubs + 1)}2:{get_column_letter(hubs + 1)}5)"
    )
    assert capsys.readouterr().out == ""


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "extra, field",
    [
        (["--discount-rate", "0.25"], "finance.discount_rate"),
        (["--discount-rate", "-0.01"], "finance.discount_rate"),
        (["--cashable", "placements=1.5"], "finance.cashable_share.placements"),
        (["--cashable", "transport=0.5"], "unknown budget line 'transport'"),
        (["--within", "3"], "--within = 3: longer than the run (2 years); allowed: 1 to 2"),
    ],
)
def test_bad_input_gives_one_line_naming_the_field(extra, field, capsys):
    err = _error(["payback", HUBS, "--baseline", BASE, "--years", "2", "--runs", "0", *extra], capsys)
    assert field in err


def test_negative_unit_cost_in_a_scenario_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'name = "bad"\nbase = "{HUBS}"\n[costs.childrens_home_week]\nvalue = -10\n')
    err = _error(["payback", str(bad), "--baseline", BASE, "--years", "2", "--runs", "0"], capsys)
    assert "costs.childrens_home_week.value = -10" in err


def test_payback_within_a_default_longer_than_the_run_is_the_run(capsys):
    """finance.payback_horizon_years (5) over a 2-year run: the chance is given within 2 years, said."""
    rc = main(
        ["payback", HUBS, "--baseline", BASE, "--years", "2", "--runs", "2", "--central-seeds", "1"]
        + ["--no-sensitivity", "--sample-fraction", "0.3"]
    )
    out, err = capsys.readouterr()
    assert rc == 0
    assert "P(payback within 2 years)" in out and "within 5 years" not in out
    assert "finance.payback_horizon_years = 5 is longer than the run" in err


def test_the_baseline_against_itself_has_no_payback_chance_to_give(tmp_path, capsys):
    """No costs or savings: the chance of paying back is 'n/a', not 0%, on screen and in the
    workbook; and two Monte Carlo runs come with a caution (a new user's review, 6 Dec 2026)."""
    out_xlsx = tmp_path / "self.xlsx"
    rc = main(
        ["payback", BASE, "--baseline", BASE, "--years", "2", "--runs", "2", "--central-seeds", "1"]
        + ["--no-sensitivity", "--sample-fraction", "0.3", "--xlsx", str(out_xlsx)]
    )
    out, _ = capsys.readouterr()
    assert rc == 0
    assert "P(payback within 2 years) = n/a (no costs or savings)" in out and "= 0%" not in out
    assert "Caution: 2 Monte Carlo runs are too few for P10-P90" in out
    ws = openpyxl.load_workbook(out_xlsx)["Summary"]
    cells = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert cells["net (cash)"] == "n/a (no costs or savings)"
