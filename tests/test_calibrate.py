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
    # Kent's ceases are not fitted within 10%: exit code 1 and why, as for City of London; the
    # closest fit is still written, and it does not assume that no unaccompanied children arrive
    assert proc.returncode == 1, proc.stderr
    assert "not within ±10%: lac_ceases -" in proc.stderr and f"was written to {out}" in proc.stderr
    assert "lac_starts" in proc.stdout and out.exists()
    assert load_scenario(out).population.uasc_starts_per_10k > 6.06  # England's rate per child
    assert "uasc_scale 0.000" not in proc.stdout and "warning: uasc_scale" not in proc.stderr
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


# -- --la: names as people write them; the chosen authority said ------------------------------------


@pytest.mark.parametrize(
    ("name", "official"),
    [
        ("Bristol", "Bristol, City of"),
        ("city of bristol", "Bristol, City of"),
        ("Herefordshire", "Herefordshire, County of"),
        ("St Helens", "St. Helens"),
        ("stockton on tees", "Stockton-on-Tees"),
        ("Brighton & Hove", "Brighton and Hove"),
        ("Brighton", "Brighton and Hove"),
        ("City of London", "City of London"),
        ("e06000023", "Bristol, City of"),
    ],
)
def test_a_name_that_picks_out_one_authority_is_taken(name, official) -> None:
    assert find_la(name)["la_name"] == official


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("Kingston", ["'Kingston upon Hull, City of'; 'Kingston upon Thames'"]),
        ("Cheshire", ["'Cheshire East'", "'Cheshire West and Chester'"]),
    ],
)
def test_a_name_that_matches_several_authorities_is_refused_with_them(name, candidates) -> None:
    with pytest.raises(ScenarioError) as err:
        find_la(name)
    (line,) = err.value.problems
    assert f"local authority {name!r} matches 2 authorities" in line
    assert all(c in line for c in candidates), line


def test_close_matches_are_quoted_and_apart_though_names_have_commas() -> None:
    with pytest.raises(ScenarioError) as err:
        find_la("Bristl")
    (line,) = err.value.problems
    assert "close matches: 'Bristol, City of'; " in line, line
    with pytest.raises(ScenarioError, match="unknown local authority 'London'"):
        find_la("London")  # not the City of London: a "City of" is dropped from what is typed only


def test_the_command_says_which_authority_a_name_was_taken_as(monkeypatch, capsys) -> None:
    from simulator.calibrate import Fit

    chosen = []

    def fit(row, **_):
        chosen.append(row["la_name"])
        return Fit(row["la_name"], row["la_code"], row["region"], {"population": {}}, {}, {}, {})

    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", fit)
    assert cli_main(["calibrate", "--la", "St Helens", "--quiet"]) == 0
    assert chosen == ["St. Helens"]
    assert capsys.readouterr().err == "note: --la 'St Helens' taken as 'St. Helens' (E08000013)\n"
    assert cli_main(["calibrate", "--la", "st.  helens", "--quiet"]) == 0  # the published name
    assert capsys.readouterr().err == ""


# -- a fit not within the tolerance; UASC arrivals assumed away -------------------------------------


def test_nothing_fitted_exits_one_and_says_why_even_quiet(capsys) -> None:
    assert cli_main(["calibrate", "--la", "City of London", "--quiet", "--check-agent", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("not within ±10%: no duration scale gives a positive starting stock"), err


def test_a_fit_with_no_uasc_arrivals_is_warned_of_with_why(tmp_path, monkeypatch, capsys) -> None:
    from simulator.calibrate import Fit

    fit = Fit(
        "Kent",
        "E10000016",
        "South East",
        {"population": {"children": 348_332, "uasc_starts_per_10k": 0.0}},
        {"entry_scale": 4.1, "uasc_scale": 0.0, "duration_scale": 0.1},
        {"lac_31_march": 1960.0, "lac_starts": 2741.0, "lac_ceases": 2735.0},
        {"lac_31_march": 1980.0, "lac_starts": 2684.0, "lac_ceases": 2333.0},
        reason="lac_ceases -15%: ceases are 1.4x the stock in a year",
        uasc_mode="none",
    )
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", lambda *a, **k: fit)
    out = tmp_path / "kent.toml"
    assert cli_main(["calibrate", "--la", "Kent", "--quiet", "--out", str(out)]) == 1
    warning, failed = capsys.readouterr().err.splitlines()
    assert warning.startswith("warning: uasc_scale 0.000: no unaccompanied asylum-seeking children arrive")
    assert (
        "at England's share of starts or rate per child the published figures could not be fitted" in warning
    )
    assert failed == f"not within ±10%: {fit.reason}; the closest fit found was written to {out}"
    assert "with none they could" in out.read_text()  # the scenario's evidence says it too


def _block(starts, ceases, stock):
    import numpy as np

    return lambda *a: {"starts": np.array(starts), "ceases": np.array(ceases), "stock": np.array(stock)}


def test_uasc_arrivals_are_assumed_away_only_when_that_alone_fits(monkeypatch) -> None:
    """England's share of starts is kept unless another assumption fits: Kent fitted with no
    arrivals, the most in England, because none of the three fitted and "none" missed least."""
    from simulator import calibrate as cal

    # one entry and one UASC arrival per unit scale; UASC and the starting stock never leave
    monkeypatch.setattr(cal, "_care_block", _block([1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]))
    *_, x_u, _, mode = cal._linear_fit(None, None, 0, S=10.0, A=1.0, C=1.0)  # only "none" fits
    assert (mode, x_u) == ("none", 0.0)
    monkeypatch.setattr(cal, "_care_block", _block([1.0, 1.0, 0.0], [1.0, 0.9, 0.0], [1.0, 1.0, 1.0]))
    err, _, x_e, x_u, _, mode = cal._linear_fit(None, None, 0, S=10.0, A=1.0, C=1.2)  # none fits
    assert (mode, x_u, x_e) == ("share", 0.5, 0.5) and err > cal.FITS  # not "none", 5 points closer


def test_the_batch_lists_names_apart_and_says_which_assume_no_arrivals(monkeypatch, capsys) -> None:
    from simulator.calibrate import DURATION_GRID

    df = pd.DataFrame(
        {
            "la_name": ["Bristol, City of", "Herefordshire, County of", "Leeds"],
            "has_data": [True, True, True],
            "ok": [True, True, True],
            "reason": ["", "", ""],
            "duration_scale": [DURATION_GRID[0], DURATION_GRID[0], 1.0],
            "uasc_scale": [0.0, 1.2, 1.2],
        }
    )
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_all", lambda **k: df)
    assert cli_main(["calibrate", "--all"]) == 0
    out = capsys.readouterr().out
    assert "range (a fit resting on an extreme): Bristol, City of; Herefordshire, County of\n" in out
    assert "warning: 1 fitted with no unaccompanied asylum-seeking children arriving" in out
    assert out.rstrip().endswith("could not be fitted): Bristol, City of")
