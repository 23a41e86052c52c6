"""The payback workbook a Section 151 officer can audit: live formulas that LibreOffice recalculates.

The workbook is written with formulas and no computed values; LibreOffice (headless) opens
each one, calculates, and saves a copy, whose values are read back with openpyxl and set
beside Python's appraisal: the NPV to the penny, payback (cash and discounted) to 1e-9 years,
and every column of the cash flow. One real appraisal (community hubs against the typical
LA, through the command) and hand-made cash flows that reach every branch of the payback
rule: paying back within the horizon, after year 30 (the long-term discount rate), from the
start, never, and nothing to pay back.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from simulator.cli import main
from simulator.finance import (
    BASES,
    SHEETS,
    PaybackReport,
    appraise,
    breakeven_year,
    unit_cost_table,
)
from simulator.finance.report import (
    CENTRAL_TITLE,
    LEVERS_TITLE,
    MEASURE_LABELS,
    TOTAL,
    cashflow_label,
    header_label,
    lever_settings,
    title_names,
    write_workbook,
)
from simulator.safe_io import plain_formula
from simulator.schema import Scenario, with_overrides
from tests.test_finance import _lines  # costs by line, as costs_by_line

ROOT = Path(__file__).resolve().parents[1]
HUBS = str(ROOT / "scenarios" / "community_hubs.toml")
BASE = str(ROOT / "scenarios" / "baseline.toml")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not on PATH (soffice): install libreoffice-calc-nogui to recalculate the workbook",
)

#: A fresh LibreOffice profile told to recalculate every formula of an .xlsx file on loading
#: (Tools > Options > Calc > Formula: "always"), whatever a user's own profile says.
RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""
MONEY = ("total_costs", "total_benefits", "pv_costs", "pv_benefits", "npv")


def recalculate(files: list[Path], folder: Path) -> dict[str, Path]:
    """Open each workbook in headless LibreOffice, recalculate and save a copy; name -> the copy."""
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    out = folder / "recalculated"
    cmd = [
        str(SOFFICE),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out),
        *map(str, files),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    copies = {f.stem: out / f.name for f in files}
    missing = [str(p) for p in copies.values() if not p.exists()]
    assert done.returncode == 0 and not missing, f"LibreOffice failed: {done.stdout}\n{done.stderr}"
    return copies


def _hand_made(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and scenario costs by line for one branch of the payback rule."""
    rng = np.random.default_rng(7)
    if name == "pays_back":  # 8 years; social work demand rises (counted in full in every view)
        n = 8
        place = 5_000 + rng.normal(0, 300, n)
        saved = np.r_[0.0, rng.uniform(800, 1_200, n - 1)]
        base = _lines(placements=list(place), social_work=[800.25] * n)
        scen = _lines(
            placements=list(place - saved),
            social_work=list(800.25 + rng.uniform(5, 15, n)),
            hubs=[1_234.5] + list(rng.uniform(90, 110, n - 1)),
        )
    elif name == "after_year_30":  # 35 years: the discounted payback falls under the 3.0% rate
        n = 35
        base = _lines(placements=[5_000.0] * n)
        scen = _lines(placements=[5_000.0] + [4_925.0] * (n - 1), hubs=[1_000.0] + [20.0] * (n - 1))
    elif name == "from_the_start":
        base = _lines(placements=[500.0, 500.0, 500.0])
        scen = _lines(placements=[450.0, 440.0, 430.0], programmes=[10.0, 10.0, 10.0])
    elif name == "never":
        base = _lines(placements=[100.0] * 5)
        scen = _lines(placements=[95.0] * 5, hubs=[200.0] + [20.0] * 4)
    else:  # "nothing": the scheme changes nothing
        base = scen = _lines(placements=[100.0] * 4, social_work=[10.0] * 4)
    return base, scen


HAND_MADE = ("pays_back", "after_year_30", "from_the_start", "never", "nothing")


def _report(name: str) -> PaybackReport:
    base, scen = _hand_made(name)
    baseline = with_overrides(Scenario(), {"run": {"years": len(base)}})
    scheme = with_overrides(baseline, {"name": name, "finance": {"deadweight": 0.1}})
    central = appraise(base, scen, scheme.finance, grade="L", start_year=2024)
    return PaybackReport(
        scenario=scheme,
        baseline=baseline,
        central=central,
        unit_costs=unit_cost_table(scheme),
        monte_carlo=None,
        tornado=None,
        switching=None,
        central_seeds=[1],
        seed=1,
        within_years=5,
    )


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """name -> (report, the workbook as written, the workbook recalculated by LibreOffice)."""
    folder = tmp_path_factory.mktemp("audit")
    written: dict[str, tuple[PaybackReport, Path]] = {}
    # the real thing, through the command: community hubs against the typical LA
    from simulator.commands import payback

    real = payback.write_outputs

    def keep(report, xlsx, force=False):
        written["hubs"] = (report, Path(xlsx))
        return real(report, xlsx, force=force)

    with pytest.MonkeyPatch.context() as m:
        m.setattr("simulator.commands.payback.write_outputs", keep)
        argv = ["payback", HUBS, "--baseline", BASE, "--years", "4", "--runs", "2", "--seed", "1"]
        argv += ["--central-seeds", "2", "--sample-fraction", "0.5", "--no-sensitivity", "--quiet"]
        assert main([*argv, "--xlsx", str(folder / "hubs.xlsx")]) == 0
    for name in HAND_MADE:
        report = _report(name)
        written[name] = (report, write_workbook(report, folder / f"{name}.xlsx"))
    copies = recalculate([p for _, p in written.values()], folder)
    return {name: (report, path, copies[name]) for name, (report, path) in written.items()}


def _values(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path, data_only=True)


def _measure_rows(ws) -> dict[str, int]:
    """Row of each measure of the Summary's central estimate (found by its label in column A)."""
    labels = {cell.value: cell.row for cell in ws["A"] if isinstance(cell.value, str)}
    assert CENTRAL_TITLE in labels
    return {key: labels[label] for key, label in MEASURE_LABELS.items()}


def _check_payback(got, expected: float, horizon: int, what: str) -> None:
    if math.isnan(expected):
        assert str(got).startswith("n/a"), what
    elif math.isinf(expected):
        assert got == f"does not pay back within the {horizon}-year horizon", what
    else:
        assert isinstance(got, float | int), f"{what}: {got!r}"
        assert got == pytest.approx(expected, abs=1e-9), what


@pytest.mark.parametrize("name", ["hubs", *HAND_MADE])
def test_recalculated_npv_and_payback_equal_pythons(workbooks, name):
    report, _, copy = workbooks[name]
    a = report.central
    ws = _values(copy)["Summary"]
    rows = _measure_rows(ws)
    for j, basis in enumerate(BASES, start=2):

        def got(key: str, j: int = j) -> object:
            return ws.cell(row=rows[key], column=j).value

        for key in MONEY:
            assert got(key) == pytest.approx(a.measures.loc[key, basis], abs=0.005), (key, basis)
        for key in ("bcr", "roi"):
            expected = a.measures.loc[key, basis]
            if math.isnan(expected):
                assert got(key) == "n/a"
            else:
                assert got(key) == pytest.approx(expected, rel=1e-12, abs=1e-12), (key, basis)
        for discounted, prefix in ((False, ""), (True, "discounted_")):
            pb = a.payback(basis, discounted=discounted)
            _check_payback(got(f"{prefix}payback_years"), pb, a.horizon, f"{prefix}payback {basis}")
            year = breakeven_year(pb, a.start_year)
            assert got(f"{prefix}breakeven_year") == (year if year is not None else "none")


def test_the_hand_made_cases_reach_every_branch_of_the_payback_rule(workbooks):
    pb = {name: workbooks[name][0].central for name in HAND_MADE}
    finite = pb["pays_back"]
    assert all(0 < finite.payback(b, d) < finite.horizon for b in BASES for d in (False, True))
    assert finite.cashflow["avoided_social_work"].sum() < 0  # a line the scheme adds demand to
    assert 30 < pb["after_year_30"].payback("gross", discounted=True) < 35
    assert pb["from_the_start"].payback("net") == 0.0
    assert math.isinf(pb["never"].payback("net")) and math.isnan(pb["nothing"].payback("net"))
    hubs = workbooks["hubs"][0].central
    assert hubs.horizon == 4 and hubs.npv("net") < 0


@pytest.mark.parametrize("name", ["hubs", "pays_back", "after_year_30"])
def test_every_recalculated_cashflow_column_equals_pythons(workbooks, name):
    report, _, copy = workbooks[name]
    cf = report.central.cashflow
    rows = list(_values(copy)["Cashflow"].iter_rows(values_only=True))
    assert list(rows[0]) == [cashflow_label(c) for c in cf.columns]
    body, total = rows[1 : len(cf) + 1], rows[len(cf) + 1]
    assert total[0] == TOTAL
    for j, col in enumerate(cf.columns):
        got = [r[j] for r in body]
        tol = 1e-12 if col == "discount_factor" else 0.005
        assert got == pytest.approx(cf[col].tolist(), abs=tol), col
        if j > 0 and total[j] is not None:  # the flows' totals
            assert total[j] == pytest.approx(cf[col].sum(), abs=0.005), col


def test_formula_cells_are_formulas_in_the_written_file(workbooks):
    report, path, copy = workbooks["hubs"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    ws = wb["Summary"]
    rows = _measure_rows(ws)
    for key, r in rows.items():
        for j in range(2, 2 + len(BASES)):
            cell = ws.cell(row=r, column=j)
            assert cell.data_type == "f" and str(cell.value).startswith("="), (key, cell.coordinate)
    npv = ws.cell(row=rows["npv"], column=3).value  # net
    assert npv == f"=C{rows['pv_benefits']}-C{rows['pv_costs']}"
    assert "SUMPRODUCT(Cashflow!" in ws.cell(row=rows["pv_costs"], column=3).value
    cf = report.central.cashflow
    cash = wb["Cashflow"]
    header = [c.value for c in cash[1]]
    for j, col in enumerate(cf.columns, start=1):
        cells = [cash.cell(row=r, column=j) for r in range(2, len(cf) + 2)]
        is_input = col in ("year", "t") or col.startswith(("baseline_", "scenario_"))
        assert all((c.data_type == "f") != is_input for c in cells), header[j - 1]
    # the discount factors read the rates on Assumptions; the cumulative columns add up the flows
    df = cash.cell(row=3, column=list(cf.columns).index("discount_factor") + 1).value
    assert df.count("Assumptions!$B$") == 2 and "MIN(B3,30)" in df
    formulas = [c.value for s in wb for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert len(formulas) > 100 and all(plain_formula(f) for f in formulas)
    # openpyxl stores no values: the recalculated copy has one for every formula, and no errors
    values = _values(copy)
    for s in values:
        for row in s.iter_rows():
            for c in row:
                assert not (isinstance(c.value, str) and c.value.startswith(("#", "Err:"))), c.coordinate
    assert values["Summary"].cell(row=rows["npv"], column=3).value is not None


def test_money_has_pound_formats_and_headers_are_words(workbooks):
    _, path, _ = workbooks["hubs"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    rows = _measure_rows(ws)
    assert ws.cell(row=rows["npv"], column=2).number_format == "£#,##0"
    assert ws.cell(row=rows["payback_years"], column=2).number_format == "0.00"
    cash = wb["Cashflow"]
    header = [c.value for c in cash[1]]
    assert all("_" not in str(h) for h in header)
    j = header.index(cashflow_label("net_cost_net")) + 1
    assert cash.cell(row=2, column=j).number_format == "£#,##0"
    j = header.index("Discount factor") + 1
    assert cash.cell(row=2, column=j).number_format == "0.0000"
    # every table's headers are words (no snake_case), on every sheet
    bold = [c.value for s in wb for row in s.iter_rows() for c in row if c.font.bold and c.value]
    assert not [h for h in bold if isinstance(h, str) and "_" in h and " " not in h]


def test_title_names_the_scheme_and_baseline_in_words(workbooks):
    _, path, _ = workbooks["hubs"]
    title = openpyxl.load_workbook(path)["Summary"]["A1"].value
    assert title == "Invest-to-save appraisal: Community hubs against Baseline"
    # the app names its runs '<area>-<preset>' and '<area>-baseline'
    assert title_names("baseline-community_hubs", "baseline-baseline") == ("Community hubs", "Baseline", "")
    assert title_names("la/kent-none-custom", "la/kent-baseline") == ("Custom settings", "Baseline", "Kent")
    assert title_names("england-prevention_investment-custom", "england-baseline")[0] == (
        "Prevention investment (custom)"
    )


def test_levers_sheet_has_every_lever_setting_and_the_seeds(workbooks):
    report, path, _ = workbooks["hubs"]
    ws = openpyxl.load_workbook(path)["Levers"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == LEVERS_TITLE
    header = rows[1]
    assert header[:3] == ("Setting", "Value", "Baseline value")
    table = lever_settings(report.scenario, report.baseline)
    got = {r[0]: dict(zip(header, r, strict=False)) for r in rows[2 : 2 + len(table)]}
    # one row per field of the schema's levers section, with its unit and source
    from simulator.schema import parameter_table

    # (a list's element fields, e.g. levers.risk_aversion.shocks[].size, are in its row's value)
    params = {
        p["parameter"]: p
        for p in parameter_table()
        if p["parameter"].startswith("levers.") and "[]" not in p["parameter"]
    }
    assert set(params) <= set(got)
    for path_, p in params.items():
        assert (got[path_]["Unit"] or "") == p["unit"] and (got[path_]["Source"] or "") == p["source"]
    hubs = got["levers.community_hubs.opening_dates"]
    assert hubs["Value"] == '["2025-10", "2025-10", "2026-04", "2026-04"]' and hubs["Changed"] == "yes"
    assert got["levers.community_hubs.running_cost_per_hub"]["Value"] == 350_000
    fmt = {r[0].value: r[1].number_format for r in ws.iter_rows(min_row=3) if isinstance(r[0].value, str)}
    assert "£" in fmt["levers.community_hubs.running_cost_per_hub"]
    assert "£" not in fmt["levers.prevention.early_help_share"]
    assert "£" not in fmt["levers.prevention.months_to_effect"]
    # the runs it rests on: seeds as text, exactly
    cells = [c for r in rows for c in r if c is not None]
    for seed in report.central_seeds + report.monte_carlo.runs["seed"].tolist():
        assert str(seed) in cells


def test_levers_sheet_lists_other_changed_settings_and_formats_only_money_as_pounds():
    """A scenario that also changes the starting risk index: that row is on the Levers sheet; a
    share or a count is a plain number there, pounds only where the unit is pounds."""
    base = Scenario()
    scen = with_overrides(
        base, {"risk_aversion": {"index": 1.15}, "levers": {"prevention": {"spend_per_year": 1e6}}}
    )
    table = lever_settings(scen, base)
    other = table[~table["setting"].str.startswith("levers.")]
    assert other["setting"].tolist() == ["risk_aversion.index"]
    assert other.iloc[0]["value"] == 1.15 and other.iloc[0]["baseline value"] == 1.0
    assert other.iloc[0]["changed"] == "yes" and other.iloc[0]["source"]


def test_the_central_npv_rests_on_the_seeds_listed(workbooks):
    """The mean of the seed-by-seed NPVs (a live formula) is the Summary's central NPV, to the penny."""
    report, _, copy = workbooks["hubs"]
    assert len(report.central_by_seed) == 2
    ws = _values(copy)["Summary"]
    labels = {cell.value: cell.row for cell in ws["A"] if isinstance(cell.value, str)}
    mean_row = labels["Mean of the seeds' NPVs (equals the central NPV)"]
    diff_row = labels["Central NPV less that mean (zero to the penny)"]
    header = [c.value for c in ws[mean_row - len(report.central_by_seed) - 1]]
    for b in BASES:
        col = header.index(header_label(f"npv_{b}")) + 1
        seeds = report.central_by_seed[f"npv_{b}"].to_numpy(float)
        got = ws.cell(row=mean_row, column=col).value
        assert got == pytest.approx(seeds.mean(), abs=0.005), b
        assert got == pytest.approx(report.central.measures.loc["npv", b], abs=0.005), b
        assert ws.cell(row=diff_row, column=col).value == 0, b


def test_a_yearly_path_is_on_the_levers_sheet_as_numbers_by_year(tmp_path):
    """A lever set year by year is a row of text in the levers table; below it, the same path as
    numbers, one row per reporting year, pounds formatted as pounds, so an auditor can add it up."""
    from simulator.finance.report import payback_report, write_outputs
    from simulator.schema import load_scenario

    root = Path(__file__).resolve().parents[1]

    spend = {"2025": 1_000_000.0, "2027": 3_000_000.0}
    over = {"run": {"years": 3, "sample_fraction": 0.2}, "levers": {"prevention": {"spend_per_year": spend}}}
    sc = load_scenario(str(root / "scenarios" / "baseline.toml"), over)
    base = load_scenario(str(root / "scenarios" / "baseline.toml"), {"run": over["run"]})
    report = payback_report(sc, base, runs=0, central_seeds=1, sensitivity=False)
    write_outputs(report, tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["Levers"]
    rows = [[c for c in r] for r in ws.iter_rows()]
    title = next(
        i
        for i, r in enumerate(rows)
        if r[0].value == "Settings that change year by year (year ending 31 March)"
    )
    assert (
        rows[title + 1][0].value == "Year" and rows[title + 1][1].value == "levers.prevention.spend_per_year"
    )
    got = [(r[0].value, r[1].value, r[1].number_format) for r in rows[title + 2 : title + 5]]
    assert [g[:2] for g in got] == [(2025, 1_000_000.0), (2026, 1_000_000.0), (2027, 3_000_000.0)]
    assert all("£" in g[2] for g in got)
