"""Calibration to a named local authority (issue 7).

Acceptance: for at least 90% of the authorities with data, looked-after stock, starts and
ceases within +-10% after fitting (aggregate view, all of them), with the rest listed with
reasons; a few authorities checked with the agent-based model.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from simulator.calibrate import TOLERANCE, calibrate_all, calibrate_la, find_la, la_table, read_user_figures
from simulator.cli import main as cli_main
from simulator.schema import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_la_table_has_every_authority() -> None:
    t = la_table()
    assert len(t) == 155
    kent = find_la("kent", t)
    assert kent["la_code"] == "E10000016" and kent["child_population"] == 348_332
    assert kent["lac_31_march"] == 1960 and kent["lac_starts"] == 2741 and kent["lac_ceases"] == 2735
    # suppressed figures (authorities reorganised in 2023) and no children looked after
    assert set(t.loc[~t["has_data"], "la_name"]) == {"Cumbria", "Northamptonshire", "Isles of Scilly"}


def test_unknown_la_is_one_line_with_close_matches(capsys) -> None:
    with pytest.raises(ScenarioError) as err:
        find_la("Kentt")
    assert "Kent" in str(err.value)
    code = cli_main(["calibrate", "--la", "Sheffeld", "--quiet"])
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "Sheffield" in lines[0]


def test_user_figures_are_checked(tmp_path: Path) -> None:
    good = tmp_path / "figs.toml"
    good.write_text(
        "cin_31_march = 2100\ncp_31_march = 260\nreferrals = 3500\n"
        '[costs.referral]\nvalue = 150.0\nprice_year = "2024-25"\n'
    )
    assert read_user_figures(good)["referrals"] == 3500
    bad = tmp_path / "bad.toml"
    bad.write_text("cin = 5\nreferrals = -1\n")
    with pytest.raises(ScenarioError) as err:
        read_user_figures(bad)
    assert "unknown figure 'cin'" in str(err.value) and "referrals = -1" in str(err.value)


def test_calibrate_one_la_writes_a_scenario_that_reproduces_it(tmp_path: Path) -> None:
    out = tmp_path / "la" / "leeds.toml"
    fit = calibrate_la("Leeds", agent_seeds=(1, 2))
    path = fit.write(out)
    data = tomllib.loads(path.read_text())
    assert data["base"].endswith("baseline.toml") and "population" in data and "start" in data
    sc = load_scenario(path)
    assert sc.population.children == int(round(find_la("Leeds")["child_population"]))
    errors = fit.errors()
    for k in ("lac_31_march", "lac_starts", "lac_ceases"):
        assert abs(errors[k]) <= TOLERANCE, (k, errors[k])
    # the agent-based model, run from the written scenario, agrees with the fit
    agent = fit.errors("agent")
    for k in ("lac_31_march", "lac_starts", "lac_ceases"):
        assert abs(agent[k]) <= 0.15, (k, agent[k])


def test_user_figures_enter_the_fit() -> None:
    row = find_la("Leeds")
    n = row["child_population"]
    user = {
        "cin_31_march": 330.0 * n / 1e4,
        "cp_31_march": 45.0 * n / 1e4,
        "referrals": 600.0 * n / 1e4,
        "costs": {"referral": {"value": 150.0}},
    }
    fit = calibrate_la(row, user=user)
    assert fit.overrides["start"]["cp_per_10k"] == pytest.approx(45.0, rel=1e-3)
    assert fit.overrides["costs"]["referral"]["value"] == 150.0
    assert abs(fit.errors()["referrals"]) < 0.05


def test_command_writes_kent(tmp_path: Path) -> None:
    out = tmp_path / "kent.toml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "calibrate",
            "--la",
            "Kent",
            "--out",
            str(out),
            "--check-agent",
            "0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "lac_starts" in proc.stdout and out.exists()
    load_scenario(out)
    # Kent's durations fit at the floor of their range: said, not hidden behind "within 10%"
    assert "warning: duration_scale 0.100 is at the lower end of its range" in proc.stdout


@pytest.mark.slow
def test_batch_fits_nine_in_ten_authorities(tmp_path: Path) -> None:
    df = calibrate_all()
    with_data = df[df["has_data"]]
    assert len(with_data) == 152
    share = with_data["ok"].mean()
    assert share >= 0.90, with_data.loc[~with_data["ok"], ["la_name", "reason"]].to_string()
    # every authority not fitted says why
    assert (df.loc[~df["ok"], "reason"].str.len() > 10).all()
    ok = with_data[with_data["ok"]]
    for k in ("lac_31_march", "lac_starts", "lac_ceases"):
        assert (ok[f"{k}_error_pct"].abs() <= 100 * TOLERANCE).all()


def test_batch_table_does_not_depend_on_the_number_of_workers() -> None:
    names = ["Kent", "Leeds", "Rutland"]
    one = calibrate_all(names=names, workers=1)
    two = calibrate_all(names=names, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert sorted(one["la_name"]) == sorted(names) and one["ok"].any()


def test_the_councils_own_figures_missed_are_said_not_passed_over(tmp_path, capsys):
    """``--figures``: a figure of the council's own that the first year misses beyond the tolerance
    gets a warning naming it, its value, the model's and why (CIN and CP set the start only)."""
    from simulator.calibrate import Fit
    from simulator.cli import main

    fit = Fit(
        "X",
        "E0",
        "R",
        {},
        {},
        {"lac_31_march": 100.0, "cin_31_march": 500.0, "referrals": 900.0},
        {"lac_31_march": 101.0, "cin_31_march": 600.0, "referrals": 930.0},
    )
    (miss,) = fit.user_misses()  # referrals +3.3% is within; the care stock is not the user's
    assert miss.startswith("your cin_31_march = 500: the model's first year is 600 (+20%")
    assert "starting position" in miss
    figures = tmp_path / "leeds.toml"
    figures.write_text("cin_31_march = 1000\n")  # far below anything Leeds' rates give
    assert (
        main(["calibrate", "--la", "Leeds", "--figures", str(figures), "--check-agent", "0", "--quiet"]) == 0
    )
    err = capsys.readouterr().err
    assert "warning: your cin_31_march = 1,000" in err
