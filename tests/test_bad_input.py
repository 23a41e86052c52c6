"""Bad input never crashes: exit code 2, one line naming the field, the value and what is allowed.

Issue 17 ("Nothing lost, nothing crashes"). Every command (run, compare, payback, sweep, calibrate,
app, params) and every kind of input file (scenario TOML, sweep TOML, figures CSV and TOML) is
given input it must refuse before any run starts: values beyond the schema's bounds, combinations
that cannot be true, files that cannot be read. Hypothesis draws out-of-range values from the
schema's own bounds, and arbitrary bytes as files. The first cases are in tests/test_cli_errors.py,
tests/test_sweep.py and tests/test_payback_cli.py; none is repeated here.
"""

from __future__ import annotations

import math
import os
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from simulator.calibrate import read_user_figures
from simulator.cli import main
from simulator.schema import (
    MAX_FILE_BYTES,
    SERIES_BOUNDS,
    Scenario,
    ScenarioError,
    build_scenario,
    read_scenario_dict,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = str(SCENARIOS / "baseline.toml")
HUBS = str(SCENARIOS / "community_hubs.toml")


def refused(
    argv: list[str], capsys: pytest.CaptureFixture[str], *expected: str, lines: int | None = 1
) -> str:
    """Run the command line: exit code 2, no traceback, every expected text on stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    if lines is not None:
        assert len(err.strip().splitlines()) == lines, err
    return err


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- scenario files: bounds on every number -------------------------------------------------------

BOUNDS = [
    (
        "[levers.prevention]\nspend_per_year = 1e300\n",
        "levers.prevention.spend_per_year = 1e+300",
        "<= 1e+10",
    ),
    ('[levers.prevention]\nspend_per_year = { "2030" = 1e300 }\n', "spend_per_year = 1e+300", "£10bn"),
    ("[levers.prevention]\nspend_per_year = [2e10]\n", "spend_per_year = 20000000000.0", "<= 1e+10"),
    ("[levers.prevention]\nbaseline_capacity_change = 11\n", "baseline_capacity_change = 11.0", "<= 10"),
    ("[levers.prevention]\nbaseline_capacity_change = -1.5\n", "baseline_capacity_change = -1.5", ">= -1"),
    (
        "[levers.prevention]\ncost_per_early_help_place = 1e300\n",
        "cost_per_early_help_place = 1e+300",
        "<= 10000000",
    ),
    ("[levers.prevention]\ncost_per_family_reached = 0\n", "cost_per_family_reached = 0", "> 0"),
    ("[levers.risk_aversion]\nindex_path = 11\n", "levers.risk_aversion.index_path = 11.0", "<= 10"),
    ("[population]\nuasc_path = 21\n", "population.uasc_path = 21.0", "<= 20"),
    ("[care]\nadoption_share_under5 = 0\nadoption_path = 25\n", "care.adoption_path = 25.0", "<= 20"),
    ("[levers.troubled_families]\nplaces_per_year = 1e8\n", "places_per_year = 100000000.0", "<= 1e+07"),
    ("[levers.troubled_families]\ncost_per_family = 1e300\n", "cost_per_family = 1e+300", "<= 10000000"),
    (
        '[levers.community_hubs]\nopening_dates = ["2025-04"]\ncapital_cost_per_hub = 1e9\n',
        "capital_cost_per_hub = 1000000000.0",
        "<= 100000000",
    ),
    (
        '[levers.community_hubs]\nopening_dates = ["2025-04"]\nrunning_cost_per_hub = 1e8\n',
        "running_cost_per_hub = 100000000.0",
        "<= 10000000",
    ),
    (
        "[costs.childrens_home_week]\nvalue = 1e6\n",
        "costs.childrens_home_week.value = 1e+06",
        "up to 191,791 per week",
    ),
    ("[costs.cin_child_month]\nvalue = 1e6\n", "costs.cin_child_month.value = 1e+06", "per month"),
    ("[costs.referral]\nvalue = 1e300\n", "costs.referral.value = 1e+300", "<= 10000000"),
    ("[care]\nmedian_months = [3, 15, 24, 24, 1e9]\n", "care.median_months[4] = 1000000000.0", "<= 1200"),
    ("[care]\nmedian_months = [0, 15, 24, 24, 108]\n", "care.median_months[0] = 0", "> 0"),
    ("[population]\nchildren = 1_000_000_000\n", "population.children = 1000000000", "<= 20000000"),
    ("[population]\nchildren = 1e300\n", "population.children = 1e+300", "<= 20000000"),
    ("[run]\nstart_year = 99999\n", "run.start_year = 99999", "<= 2100"),
    ("[run]\nseed = -1\n", "run.seed = -1", ">= 0"),
    ("[run]\nburn_in_months = 100000\n", "run.burn_in_months = 100000", "<= 240"),
    ("[care]\nreturn_home_share = [1.5, 0.1, 0.1]\n", "care.return_home_share[0] = 1.5", "<= 1.0"),
    (
        "[front_door]\nreferral_rates_per_year = [0, 0, 0, 1e9]\n",
        "front_door.referral_rates_per_year[3]",
        "<= 50.0",
    ),
    ('[finance]\nuprating = { "2024-25" = 1e300 }\n', "finance.uprating.2024-25 = 1e+300", "at most 10"),
    (
        "[levers.risk_aversion]\nshocks = [" + ", ".join(['{ date = "2026-01" }'] * 51) + "]\n",
        "levers.risk_aversion.shocks has 51 shocks",
        "at most 50",
    ),
    (
        '[[levers.risk_aversion.shocks]]\ndate = "1800-01"\n',
        "shocks[0].date = '1800-01'",
        "more than 100 years",
    ),
    ('[levers.community_hubs]\nopening_dates = ["2999-01"]\n', "opening_dates[0] = '2999-01'", "2124-03"),
    ('[levers.prevention]\nspend_per_year = { "99999" = 1e6 }\n', "has a step at '99999'", "to 2124"),
    ('[levers.prevention]\nspend_per_year = { "2200" = 1e6 }\n', "has a step at '2200'", "to 2124"),
    ("[run]\nburn_in_months = true\n", "run.burn_in_months = True", "true or false"),
    ("[care]\nreturn_home_share = [true, 0.1, 0.1]\n", "care.return_home_share", "true or false"),
    ('[run]\nseed = "' + "9" * 5000 + '"\n', "run.seed = '999", "characters)"),
]


@pytest.mark.parametrize(("content", "field", "allowed"), BOUNDS, ids=[b[1][:40] for b in BOUNDS])
def test_a_number_beyond_its_bound_is_named(tmp_path, capsys, content, field, allowed):
    path = write(tmp_path, "bad.toml", content)
    refused(["run", str(path), "--years", "1", "--quiet"], capsys, field, allowed)


# -- scenario files: values that cannot be true together ------------------------------------------

CROSS = [
    # care exit shares adding up to 3: a return home would never be planned
    (
        "[care]\nreturn_home_share = [1.0, 1.0, 1.0]\nspecial_guardianship_share = 1.0\n",
        "care.return_home_share[0] + care.special_guardianship_share = 1 + 1 = 2",
    ),
    ("[care]\nspecial_guardianship_share = 0.8\n", "special_guardianship_share <= 0.673 here"),
    (
        "[care]\nspecial_guardianship_share = 0.66\n",
        "special_guardianship_share <= 0.403 or other_exit_share <= 0.013 here",
    ),
    (
        "[care]\nadoption_share_under5 = 0.9\n",
        "care.adoption_share_under5 x care.adoption_path + care.special_guardianship_share = 0.9 x 1 + 0.14",
    ),
    ("[care]\nadoption_path = 4.0\n", "adoption_share_under5 x adoption_path <= 0.86 here"),
    (
        "[care]\nspecial_guardianship_path = 4.5\nother_exit_share = 0.4\n",
        "special_guardianship_path <= 4.286 that year",
    ),
    (  # with the other exits of children of 5 or over
        "[care]\nspecial_guardianship_path = 4.0\nother_exit_share = 0.45\n",
        "care.other_exit_share + care.special_guardianship_share x care.special_guardianship_path "
        "= 0.45 + 0.56",
    ),
    ("[care]\nreturn_home_path = 6\n", "care.return_home_path"),
    ("[care]\nselection_weights_by_age = [0, 0, 0, 0, 0]\n", "care.selection_weights_by_age"),
    ("[care]\nroute_shares = [0.5, 0.5, 0.5]\n", "care.route_shares row 0 must sum to 1"),
    ("[care]\nuasc_placement_shares = [0, 0, 0, 0, 0, 0]\n", "care.uasc_placement_shares row 0"),
    (
        "[front_door]\ncin_outcome = [0.9, 0.9, 0.9, 0.9]\n",
        "front_door.early_help_outcome[0] + front_door.cin_outcome[0] + front_door.section47_outcome[0]",
    ),
    ("[front_door]\nsection47_outcome = [0.5, 0.5, 0.5, 0.9]\n", "front_door.section47_outcome[1]"),
    (
        "[front_door]\nconference_given_s47 = [0.5, 0.5, 0.5, 0.99]\n",
        "front_door.emergency_care_given_s47[3] + front_door.conference_given_s47[3] = 0.02268 + 0.99",
    ),
    # a protection-plan rate above the children-in-need rate that includes it
    ("[start]\ncp_per_10k = 400\n", "start.cp_per_10k + start.lac_per_10k + start.uasc_per_10k = 400"),
    ("[start]\ncin_per_10k = 50\n", "is above start.cin_per_10k = 50"),
    ("[need]\ninitial_need_shares = [0.5, 0.1, 0.1, 0.1]\n", "need.initial_need_shares"),
    (
        "[population]\ndecile_shares = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2]\n",
        "population.decile_shares must sum to 1",
    ),
    ("[population]\nchildren_per_family_shares = [0, 0, 0, 0]\n", "children_per_family_shares"),
    # hub catchments far larger than the area
    (
        '[levers.community_hubs]\nopening_dates = ["2025-04", "2025-04", "2025-04", "2025-04"]\n'
        "catchment_families = 100000\n",
        "levers.community_hubs.catchment_families = 100000 for 4 hub(s) needs 400,000 families",
    ),
    (
        '[levers.community_hubs]\nopening_dates = ["2025-04", "2025-04"]\ndeciles = [1, 1]\n'
        "catchment_families = 3000\n",
        "in decile 1 (levers.community_hubs.deciles) needs 6,000 families",
    ),
    (
        '[population]\nchildren = 2000\n[levers.community_hubs]\nopening_dates = ["2025-04"]\n',
        "catchment_families = 2500 for 1 hub(s)",
    ),
    ('[levers.community_hubs]\nopening_dates = ["2025-04"]\ndeciles = [1, 2]\n', "2 entries for 1 hubs"),
    ('[levers.community_hubs]\nopening_dates = ["2025-04"]\ndeciles = [11]\n', "deciles run 1-10"),
    # a sample of a billionth reported a billion children
    ("[run]\nsample_fraction = 1e-9\n", "run.sample_fraction = 1e-09 would simulate 0 families"),
    ("[run]\nsample_fraction = 0.01\n", "run.sample_fraction >= 0.0288 here, or 1"),
    ("[population]\nchildren = 1000\n[run]\nsample_fraction = 0.5\n", "fewer than 1,000 families"),
]


@pytest.mark.parametrize(("content", "message"), CROSS, ids=[c[1][:40] for c in CROSS])
def test_values_that_cannot_be_true_together_are_named(tmp_path, capsys, content, message):
    path = write(tmp_path, "bad.toml", content)
    refused(["run", str(path), "--years", "1", "--quiet"], capsys, message)


TYPES = [
    ('[levers.prevention]\nspend_per_year = "lots"\n', "levers.prevention.spend_per_year = 'lots'"),
    ('[levers.community_hubs]\nopening_dates = "2025-04"\n', "opening_dates = '2025-04'"),
    ("[levers.community_hubs]\nopening_dates = [1e300]\n", "opening_dates[0] = 1e+300"),
    ('name = ""\n', "name must be 1-80 characters"),
    ("base = 5\n", "base = 5: must be a file name"),
    ("[levers.childcare]\nspend = 1\n", "unknown key 'levers.childcare'"),
    ("run = 5\n", "run = 5"),
    ('[finance]\ncashable_share = { "hubs" = true }\n', "finance.cashable_share = {...}: true or false"),
    ('[costs.referral]\nprice_year = "last year"\n', "costs.referral.price_year = 'last year'"),
]


@pytest.mark.parametrize(("content", "message"), TYPES, ids=[t[1][:40] for t in TYPES])
def test_wrong_types_are_named(tmp_path, capsys, content, message):
    path = write(tmp_path, "bad.toml", content)
    refused(["run", str(path), "--years", "1", "--quiet"], capsys, message)


# -- scenario files that cannot be read ---------------------------------------------------------

FILES = [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file, not text"),
    ("[run]\nyears = 2\n".encode("utf-16"), "is UTF-16 text; save the scenario file as UTF-8"),
    ('name = "caf\xe9"\n'.encode("latin-1"), "is not UTF-8 text: byte 0xe9 on line 1"),
    (b"", "is empty"),
    (b"  \n\n\t\n", "is empty"),
    (b"[run]\nyears = 2\nyears = 3\n", "duplicate key 'run.years', on lines 2 and 3"),
    (
        b"[run]\nyears = 2\n[care]\nsibling_join_probability = 0.3\n[run]\nseed = 1\n",
        "table [run] declared twice, on lines 1 and 5",
    ),
    (b'name = "a"\n"name" = "b"\n', "duplicate key 'name', on lines 1 and 2"),
    (
        b'description = """\nx = 1\nx = 2\n"""\n[population]\nchildren = 5000\nchildren = 6000\n',
        "duplicate key 'population.children', on lines 6 and 7",
    ),
    (b"[run]\nyears = = 2\n", "not valid TOML"),
    (b"x" * (MAX_FILE_BYTES + 1), "bytes; a scenario file is a few kilobytes"),
]


@pytest.mark.parametrize(("content", "message"), FILES, ids=[f[1][:30] for f in FILES])
def test_a_scenario_file_that_cannot_be_read(tmp_path, capsys, content, message):
    path = write(tmp_path, "bad.toml", content)
    refused(["run", str(path), "--years", "1", "--quiet"], capsys, message, str(path))


def test_a_folder_given_as_a_scenario(capsys):
    refused(
        ["run", str(SCENARIOS / "la"), "--quiet"], capsys, "is a folder, not a scenario file", "kent.toml"
    )


@pytest.mark.parametrize("name", ["/dev/null", "bad\0name.toml"])
def test_not_a_regular_file_or_name(capsys, name):
    refused(["run", name, "--quiet"], capsys, "error:")


def test_a_pipe_given_as_a_scenario(tmp_path, capsys):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    refused(["run", str(fifo), "--quiet"], capsys, "is not a regular file")


BASES = [
    ('base = "../../../../../../etc/hosts.toml"\n', "outside this scenario's folder tree"),
    ('base = "/etc/passwd"\n', "base = '/etc/passwd' is /etc/passwd, outside"),
    ('base = "bad.toml"\n', "the base chain loops (bad.toml -> bad.toml)"),
    ('base = "other.toml"\n', "the base chain loops (bad.toml -> other.toml -> bad.toml)"),
    ('base = "nothere.toml"\n', "base = 'nothere.toml': file not found"),
    ('base = "notes.txt"\n', "base = 'notes.txt': must name a .toml scenario file"),
    ('base = "binary.toml"\n', "binary.toml: is a binary file"),
    ('base = ["baseline.toml"]\n', "must be a file name"),
    ('base = "deep/deeper/x.toml"\n', "file not found"),
]


@pytest.mark.parametrize(("content", "message"), BASES, ids=[b[1][:40] for b in BASES])
def test_a_base_chain_that_leaves_its_tree_or_loops(tmp_path, capsys, content, message):
    write(tmp_path, "other.toml", 'base = "bad.toml"\n')
    write(tmp_path, "notes.txt", "[run]\nyears = 2\n")
    write(tmp_path, "binary.toml", b"\x00\x01\x02")
    path = write(tmp_path, "bad.toml", content)
    refused(["run", str(path), "--years", "1", "--quiet"], capsys, message)


def test_a_base_inside_the_tree_and_the_shipped_scenarios_still_load(tmp_path):
    (tmp_path / "scenarios" / "la").mkdir(parents=True)
    write(tmp_path / "scenarios", "mine.toml", f'base = "{BASELINE}"\n[run]\nyears = 3\n')
    la = write(
        tmp_path / "scenarios" / "la", "x.toml", 'base = "../mine.toml"\n[population]\nchildren = 9000\n'
    )
    data = read_scenario_dict(la)
    assert data["run"]["years"] == 3 and data["population"]["children"] == 9000


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(ROOT).as_posix() for p in SCENARIOS.rglob("*.toml") if p.parent.name != "sweeps"),
)
def test_every_shipped_scenario_still_loads(path):
    from simulator.schema import load_scenario

    assert load_scenario(ROOT / path).name


# -- command-line options --------------------------------------------------------------------------

OPTIONS = [
    (["run", BASELINE, "--years", "0"], "run.years = 0 (from --years)"),
    (["run", BASELINE, "--years", "1000"], "run.years = 1000 (from --years)"),
    (["run", BASELINE, "--seed", "-5"], "run.seed = -5 (from --seed)"),
    (["run", BASELINE, "--sample-fraction", "1e-9"], "run.sample_fraction = 1e-09 (from --sample-fraction)"),
    (["run", BASELINE, "--sample-fraction", "2"], "run.sample_fraction = 2.0 (from --sample-fraction)"),
    (["run", BASELINE, "--sample-fraction", "nan"], "Input should be a finite number"),
    (["compare", BASELINE, str(SCENARIOS), "--runs", "1"], "is a folder"),
    (["compare", BASELINE, HUBS, "--runs", "0"], "--runs = 0"),
    (["compare", BASELINE, HUBS, "--years", "0"], "(from --years)"),
    (["compare", BASELINE, HUBS, "--sample-fraction", "1e-6"], "(from --sample-fraction)"),
    (["payback", HUBS, "--runs", "-1"], "--runs = -1"),
    (["payback", HUBS, "--central-seeds", "0"], "--central-seeds = 0"),
    (["payback", HUBS, "--within", "0"], "--within = 0"),
    (["payback", HUBS, "--quiet"], "--quiet without --xlsx: nothing would be shown or written"),
    (["payback", HUBS, "--cashable", "placements"], "write LINE=SHARE"),
    (["payback", HUBS, "--cashable", "placements=lots"], "--cashable placements='lots'"),
    (["payback", HUBS, "--deadweight", "2", "--runs", "0"], "finance.deadweight = 2.0"),
    (["payback", HUBS, "--discount-rate", "inf", "--runs", "0"], "finance.discount_rate = inf"),
    (["payback", BASELINE, "--runs", "0"], "--baseline is needed"),
    (["payback", HUBS, "--baseline", str(SCENARIOS / "la"), "--runs", "0"], "is a folder"),
    (["payback", HUBS, "--sample-fraction", "0", "--runs", "0"], "run.sample_fraction = 0.0"),
    (["app", "--port", "99999"], "--port = 99999: allowed: 1-65535"),
    (["app", "--port", "0"], "--port = 0"),
    (["app", "--port", "-1"], "--port = -1"),
    (["app", "--port", "65536"], "--port = 65536"),
    (["app", "--workers", "0"], "--workers = 0: allowed: 1-64"),
    (["app", "--workers", "1000"], "--workers = 1000"),
]


@pytest.mark.parametrize(("argv", "message"), OPTIONS, ids=[" ".join(a[:1] + a[2:])[:50] for a, _ in OPTIONS])
def test_a_bad_option_is_named(capsys, argv, message):
    refused(argv, capsys, message)


ARGPARSE = [
    ([], "COMMAND"),
    (["simulate"], "invalid choice"),
    (["run"], "scenario"),
    (["run", BASELINE, "--years", "ten"], "--years"),
    (["run", BASELINE, "--seed", "1.5"], "--seed"),
    (["run", BASELINE, "--sample-fraction", "half"], "--sample-fraction"),
    (["compare", BASELINE], "scenario"),
    (["payback", HUBS, "--basis", "bogus"], "--basis"),
    (["sweep", "x.toml"], "--out"),
    (["sweep", "x.toml", "--out", "x.parquet", "--engine", "bogus"], "--engine"),
    (["calibrate"], "--la"),
    (["calibrate", "--la", "Kent", "--all"], "not allowed with"),
    (["calibrate", "--la", "Kent", "--check-agent", "two"], "--check-agent"),
    (["app", "--port", "http"], "--port"),
    (["app", "--workers", "many"], "--workers"),
    (["params", "--bogus"], "--bogus"),
    (["params", "--section"], "--section"),
]


@pytest.mark.parametrize(("argv", "message"), ARGPARSE, ids=[" ".join(a)[:40] or "none" for a, _ in ARGPARSE])
def test_argparse_errors_exit_2_without_a_traceback(capsys, argv, message):
    refused(argv, capsys, message, lines=None)


# -- sweep files ------------------------------------------------------------------------------------

SWEEPS = [
    (
        f'scenario = "{BASELINE}"\n[grid]\n"levers.prevention.spend_per_year" = [0.0, 1e300]\n',
        "levers.prevention.spend_per_year = 1e+300: must be <= 1e+10",
    ),
    (f'scenario = "{BASELINE}"\n[overrides]\n"run.sample_fraction" = 1e-9\n', "run.sample_fraction = 1e-09"),
    (
        f'scenario = "{BASELINE}"\n[grid]\n"care.special_guardianship_share" = [0.1, 0.9]\n',
        "care.special_guardianship_share",
    ),
    (f'scenario = "{BASELINE}"\n[seeds]\ncount = 1\nentropy = -1\n', "seeds.entropy = -1"),
    (f'scenario = "{BASELINE}"\n[seeds]\nnumber = 3\n', "unknown key 'seeds.number'"),
    (f'scenario = "{BASELINE}"\n[sample]\nn = 0\n', "sample.n = 0"),
    (f'scenario = "{BASELINE}"\n[sample]\nn = 2\nmethod = "sobol"\n', "sample.method = 'sobol'"),
    (f'scenario = "{BASELINE}"\nname = ""\n', "name = ''"),
    ('scenario = "../../../../../../etc/passwd"\n', "error:"),
    ('scenario = "binary.toml"\n', "is a binary file"),
    ('scenario = "."\n', "is a folder"),
    ("scenario = 5\n", "scenario = 5"),
    ("# nothing but a comment\n", "scenario = None"),
]


@pytest.mark.parametrize(("content", "message"), SWEEPS, ids=[s[1][:40] for s in SWEEPS])
def test_a_bad_sweep_file(tmp_path, capsys, content, message):
    write(tmp_path, "binary.toml", b"\x00\x01")
    path = write(tmp_path, "sweep.toml", content)
    refused(
        ["sweep", str(path), "--out", str(tmp_path / "r.parquet"), "--engine", "inprocess", "--quiet"],
        capsys,
        message,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02", "is a binary file"),
        (b'name = "caf\xe9"\n', "is not UTF-8"),
        (None, "is a folder"),
        (b"", "is empty"),
        (b'scenario = "a.toml"\nscenario = "b.toml"\n', "duplicate key 'scenario', on lines 1 and 2"),
    ],
)
def test_a_sweep_file_that_cannot_be_read(tmp_path, capsys, content, message):
    path = tmp_path / "sweep.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    refused(["sweep", str(path), "--out", str(tmp_path / "r.parquet"), "--quiet"], capsys, message)


def test_sweep_workers_must_be_positive(tmp_path, capsys):
    path = write(tmp_path, "sweep.toml", f'scenario = "{BASELINE}"\n')
    refused(
        ["sweep", str(path), "--out", str(tmp_path / "r.parquet"), "--workers", "0"], capsys, "--workers = 0"
    )


# -- calibrate --figures: CSV and TOML ----------------------------------------------------------------

FIGURES_CSV = [
    (b"", "is empty"),
    (b"measure,value\n", "has no figures"),
    (b"measure,amount\ncin_31_march,2100\n", "the first line must name the columns measure,value"),
    (b"cin_31_march,2100\n", "the first line must name the columns measure,value"),
    (b"measure,value\ncin_31_march,lots\n", "line 2: cin_31_march = 'lots': must be a number"),
    (b"measure,value\ncin_31_march,\n", "line 2: cin_31_march = '': must be a number"),
    (b"measure,value\ncin_31_march,nan\n", "cin_31_march = nan"),
    (b"measure,value\ncp_31_march,inf\n", "cp_31_march = inf"),
    (b"measure,value\nreferrals,-5\n", "referrals = -5.0: allowed: a number from 0"),
    (b"measure,value\nreferrals,1e300\n", "referrals = 1e+300: allowed: a number from 0 to 20,000,000"),
    (
        b"measure,value\nreferrals,3500\nreferrals,3600\n",
        "line 3: referrals is given twice (first on line 2)",
    ),
    (b"measure,value\ncin,2100\n", "unknown figure 'cin'"),
    (b"measure,value\ncosts.taxis,100\n", "unknown unit cost 'costs.taxis'"),
    (b"measure,value\ncosts.referral,1e300\n", "costs.referral.value = 1e+300"),
    (b"measure,value\ncin_31_march\n", "line 2: 1 column(s) where the header has 2"),
    (b'measure,value\ncin_31_march,"2100\n', "not a valid CSV: unexpected end of data"),
    (b'measure,value\ncin_31_march,"21"00\n', "not a valid CSV"),
    (b"measure,value\n,2100\n", "line 2: the measure is empty"),
    (b"measure,value\ncin_31_march,100\ncp_31_march,200\n", "cp_31_march = 200 is above cin_31_march = 100"),
    (b"\x00\x01\x02\x03", "is a binary file"),
    (b"measure,value\ncin_31_march,2100\xff\n", "is not UTF-8 text: byte 0xff on line 2"),
]


@pytest.mark.parametrize(("content", "message"), FIGURES_CSV, ids=[f[1][:40] for f in FIGURES_CSV])
def test_a_bad_figures_csv(tmp_path, capsys, content, message):
    path = write(tmp_path, "figures.csv", content)
    refused(
        ["calibrate", "--la", "Kent", "--figures", str(path), "--quiet"],
        capsys,
        message,
        str(path),
        lines=None,
    )


FIGURES_TOML = [
    (b"cin_31_march = \n", "not valid TOML"),
    (b"cin_31_march = 2100\ncin_31_march = 2200\n", "duplicate key 'cin_31_march', on lines 1 and 2"),
    (b'cin_31_march = "2100"\n', "cin_31_march = '2100': must be a number"),
    (b"cin_31_march = true\n", "cin_31_march = True: must be a number"),
    (b"cin_31_march = nan\n", "cin_31_march = nan"),
    (b"costs = 5\n", "costs: give [costs.NAME] tables"),
    (b'[costs.referral]\nprice_year = "2024-25"\n', "costs.referral: give a table with value"),
    (b"[costs.referral]\nvalue = 1e300\n", "costs.referral.value = 1e+300"),
    (b"[costs.referral]\nvalue = 100\nvalu = 5\n", "unknown key 'costs.referral.valu'"),
    (b'[costs.referral]\nvalue = "cheap"\n', "costs.referral.value = 'cheap': must be a number"),
]


@pytest.mark.parametrize(("content", "message"), FIGURES_TOML, ids=[f[1][:40] for f in FIGURES_TOML])
def test_a_bad_figures_toml(tmp_path, capsys, content, message):
    path = write(tmp_path, "figures.toml", content)
    refused(["calibrate", "--la", "Kent", "--figures", str(path), "--quiet"], capsys, message, lines=None)


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_figures_file_missing_or_a_folder(tmp_path, capsys, kind):
    path = tmp_path / "figures.csv"
    if kind == "folder":
        path.mkdir()
    refused(
        ["calibrate", "--la", "Kent", "--figures", str(path), "--quiet"],
        capsys,
        "file not found" if kind == "missing" else "is a folder",
    )


# -- hypothesis: out-of-range values drawn from the schema's own bounds -----------------------------


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None, bool]:
    lo = hi = None
    strict = False
    for m in metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, strict = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
    return lo, hi, strict


def _numeric_fields() -> list[tuple[str, type, float | None, float | None, bool]]:
    """Every number of the schema: (dotted path, int or float, low, high, low is exclusive).

    Elements of tuples appear as ``path.i`` (the path pydantic reports).
    """
    out = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann, path = info.annotation, f"{prefix}{name}"
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{path}.")
            elif ann in (int, float):
                out.append((path, ann, *_bounds(list(info.metadata))))
            elif typing.get_origin(ann) is tuple:
                for i, el in enumerate(typing.get_args(ann)):
                    if typing.get_origin(el) is typing.Annotated:
                        base, *extra = typing.get_args(el)
                        out.append((f"{path}.{i}", base, *_bounds([m for e in extra for m in e.metadata])))

    walk(Scenario, "")
    # unit costs are sub-tables of costs: their value is bounded by UnitCost
    return out


NUMERIC = _numeric_fields()


def test_every_number_in_the_schema_has_finite_bounds():
    """A bound on every number (issue 17): scalars and tuple elements here, series in SERIES_BOUNDS."""
    unbounded = [path for path, _, lo, hi, _ in NUMERIC if lo is None or hi is None]
    assert not unbounded, unbounded
    assert len(NUMERIC) > 150


def _as_written(path: str) -> str:
    """``"care.median_months.4"`` as the messages write it: ``"care.median_months[4]"``."""
    from simulator.schema import loc_path

    return loc_path([int(p) if p.isdigit() else p for p in path.split(".")])


def _nested(path: str, value: Any) -> dict[str, Any]:
    """``"care.median_months.4", 5`` -> ``{"care": {"median_months": [defaults with 5 at 4]}}``."""
    parts = path.split(".")
    if parts[-1].isdigit():
        owner: Any = Scenario()
        for p in parts[:-1]:
            owner = getattr(owner, p)
        vector = list(owner)
        vector[int(parts[-1])] = value
        parts, value = parts[:-1], vector
    for p in reversed(parts):
        value = {p: value}
    return value


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[str, Any]:
    """A field and a value beyond one of its bounds (a number just past it, far past, or huge)."""
    path, kind, lo, hi, strict = draw(st.sampled_from(NUMERIC))
    above = draw(st.booleans()) if lo is not None and hi is not None else hi is not None
    if kind is int:
        value = (
            draw(st.integers(int(hi) + 1, int(hi) + 10**12) | st.just(10**30))
            if above
            else draw(st.integers(int(lo) - 10**12, int(lo) - 1))
        )
    else:
        span = max(abs(hi if above else lo), 1.0)
        if above:
            value = draw(st.floats(hi, hi + 1e6 * span).filter(lambda x: x > hi) | st.just(1e300))
        else:
            value = draw(
                st.floats(lo - 1e6 * span, lo).filter(lambda x: x < lo or (strict and x == lo))
                | st.just(-1e300)
            )
    return path, value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(out_of_range())
def test_hypothesis_out_of_range_values_name_their_field(case):
    path, value = case
    with pytest.raises(ScenarioError) as err:
        build_scenario(_nested(path, value))
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(f"{_as_written(path)} = "), (path, value, err.value.problems)


@st.composite
def series_out_of_range(draw: st.DrawFn) -> tuple[str, Any, float]:
    """A lever or driver over time with one value beyond its range, as a number, a list or steps."""
    name = draw(st.sampled_from(sorted(SERIES_BOUNDS)))
    lo, hi, _ = SERIES_BOUNDS[name]
    bad = draw(st.floats(hi, 1e300, exclude_min=True) | st.floats(-1e300, lo, exclude_max=True))
    form = draw(st.sampled_from(["number", "list", "steps"]))
    value: Any = {"number": bad, "list": [bad] * 2, "steps": {"2026": bad}}[form]
    return name, value, bad


@settings(max_examples=150, deadline=None)
@given(series_out_of_range())
def test_hypothesis_series_beyond_their_range_name_their_field(case):
    name, value, bad = case
    data = _nested(name, value)
    data["run"] = {"years": 2}
    with pytest.raises(ScenarioError) as err:
        build_scenario(data)
    line = err.value.problems[0]
    assert line.startswith(f"{name} = ") and ("must be <=" in line or "must be >=" in line), line


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(out_of_range())
def test_hypothesis_out_of_range_values_through_the_command_line(tmp_path_factory, capsys, case):
    path, value = case
    assume(path != "run.years")  # --years 1 would replace it
    *table, key = path.split(".")
    if key.isdigit():
        vector = _nested(path, value)
        for p in path.split(".")[:-1]:
            vector = vector[p]
        *table, key = path.split(".")[:-1]
        value = vector
    text = (f"[{'.'.join(table)}]\n" if table else "") + f"{key} = {_toml(value)}\n"
    file = write(tmp_path_factory.mktemp("h"), "bad.toml", text)
    refused(["run", str(file), "--years", "1", "--quiet"], capsys, f"{_as_written(path)} = ")


def _toml(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return str(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_hypothesis_any_bytes_as_a_scenario_load_or_refuse(tmp_path_factory, content):
    """Whatever a file holds, reading it gives a scenario or a ScenarioError, never another exception."""
    path = tmp_path_factory.mktemp("f") / "any.toml"
    path.write_bytes(content)
    try:
        build_scenario(read_scenario_dict(path), source=str(path))
    except ScenarioError as err:
        assert err.problems and all("\n" not in p for p in err.problems)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "measure",
                    "value",
                    "cin_31_march",
                    "referrals",
                    "1e3",
                    "-1",
                    "nan",
                    "",
                    '"',
                    "costs.referral",
                    "x,y",
                ]
            ),
            max_size=4,
        ),
        max_size=5,
    )
)
def test_hypothesis_any_figures_csv_reads_or_refuses(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("c") / "figures.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    try:
        read_user_figures(path)
    except ScenarioError as err:
        assert err.problems and all("\n" not in p for p in err.problems)


# -- red-team: huge counts are refused before anything is allocated -------------------------------------

_LIST_100 = "[" + ", ".join(str(i) for i in range(100)) + "]"
HUGE_SWEEPS = [
    (
        f'scenario = "{BASELINE}"\n[seeds]\ncount = 1000000000\n',
        ["seeds.count = 1000000000", "from 1 to 100,000"],
    ),
    (
        f'scenario = "{BASELINE}"\n[sample]\nn = 1000000000\n'
        '[sample.ranges]\n"risk_aversion.index" = [0.8, 1.2]\n',
        ["sample.n = 1000000000", "from 1 to 1,000,000"],
    ),
    (
        f'scenario = "{BASELINE}"\n[grid]\n"risk_aversion.index" = {_LIST_100}\n'
        f'"population.children" = {_LIST_100}\n"run.years" = {_LIST_100}\n'
        f'"levers.prevention.spend_per_year" = {_LIST_100}\n',
        ["grid: 100 x 100 x 100 x 100 = 100,000,000 combinations", "at most 1,000,000 points"],
    ),
    (
        f'scenario = "{BASELINE}"\n[seeds]\ncount = 10000\n[grid]\n'
        f'"risk_aversion.index" = {_LIST_100}\n"population.children" = {_LIST_100}\n',
        ["10,000 points x seeds.count = 10,000 is 100,000,000 runs", "at most 1,000,000 runs"],
    ),
    (
        f'scenario = "{BASELINE}"\n[seeds]\ncount = 2\nentropy = 99999999999999999999\n',
        ["seeds.entropy = 99999999999999999999", f"from 0 to {2**63 - 1}"],
    ),
]


@pytest.mark.parametrize(("content", "messages"), HUGE_SWEEPS, ids=[h[1][0][:30] for h in HUGE_SWEEPS])
def test_huge_sweep_counts_are_refused_before_allocating(tmp_path, capsys, content, messages):
    path = write(tmp_path, "sweep.toml", content)
    refused(
        ["sweep", str(path), "--out", str(tmp_path / "r.parquet"), "--engine", "inprocess", "--quiet"],
        capsys,
        str(path),
        *messages,
    )


# -- red-team: calibrate options that were ignored, bent or unbounded ------------------------------------


def _no_fit(*args, **kwargs):
    raise AssertionError("calibrate computed before refusing an option")


@pytest.mark.parametrize(
    ("argv", "messages"),
    [
        (["--la", "Kent", "--check-agent", "1000000000"], ["--check-agent 1000000000", "from 0", "to 1000"]),
        (["--la", "Kent", "--check-agent", "-1"], ["--check-agent -1", "from 0", "to 1000"]),
        (["--la", "Kent", "--table", "fit.csv"], ["--table 'fit.csv' with --la", "allowed"]),
        (["--all", "--out", "x.toml"], ["--out 'x.toml' with --all", "allowed"]),
        (
            ["--la", "Kent", "--out", "newdir/"],
            ["--out 'newdir/' ends with a slash", "e.g. newdir/kent.toml"],
        ),
        (["--all", "--table", "newdir/"], ["--table 'newdir/' ends with a slash", "allowed: a file path"]),
    ],
)
def test_calibrate_refuses_ignored_or_bent_options_up_front(tmp_path, monkeypatch, capsys, argv, messages):
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", _no_fit)
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_all", _no_fit)
    monkeypatch.setattr("simulator.commands.calibrate.la_table", _no_fit)
    monkeypatch.chdir(tmp_path)
    refused(["calibrate", *argv, "--quiet"], capsys, *messages)
    assert list(tmp_path.iterdir()) == []  # nothing written, no file named newdir


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        (
            b"measure,value\ncin_31_march,12,345\n",
            ["line 2: 3 fields where the header has 2", "thousands separators", "drop the commas"],
        ),
        (b"measure,value,value\ncin_31_march,12,3\n", ["line 1", "'value' twice", "each column once"]),
        (
            b"measure,value,note\ncin_31_march,12,hand count,extra\n",
            ["line 2: 4 fields where the header has 3"],
        ),
    ],
)
def test_figures_csv_extra_fields_and_duplicate_columns_are_refused(tmp_path, capsys, content, messages):
    path = write(tmp_path, "figures.csv", content)
    refused(["calibrate", "--la", "Kent", "--figures", str(path), "--quiet"], capsys, str(path), *messages)


def test_figures_csv_extra_columns_in_the_header_are_still_allowed(tmp_path):
    path = write(tmp_path, "figures.csv", b"measure,value,note\ncin_31_march,12345,from the LA\n")
    assert read_user_figures(path) == {"cin_31_march": 12345.0}


def test_a_bad_price_year_in_figures_names_the_figures_file(tmp_path, capsys):
    path = write(tmp_path, "figures.toml", b'[costs.referral]\nvalue = 500\nprice_year = "20x4"\n')
    err = refused(
        ["calibrate", "--la", "Kent", "--figures", str(path), "--quiet"],
        capsys,
        f"error: {path}: costs.referral.price_year = '20x4'",
    )
    assert "baseline" not in err


def test_calibrate_refuses_a_base_the_written_scenario_could_not_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", _no_fit)
    (tmp_path / "otherbase").mkdir()
    base = write(tmp_path / "otherbase", "b.toml", Path(BASELINE).read_bytes())
    out = tmp_path / "la" / "kent.toml"
    out.parent.mkdir()
    refused(
        ["calibrate", "--la", "Kent", "--base", str(base), "--out", str(out), "--quiet"],
        capsys,
        f"--base {str(base)!r} is outside",
        f"--out in {base.parent} or a folder above it",
    )
    assert not out.exists()


def test_a_base_the_written_scenario_can_name_is_accepted(tmp_path):
    from simulator.calibrate import check_base_reachable

    (tmp_path / "otherbase").mkdir()
    base = write(tmp_path / "otherbase", "b.toml", Path(BASELINE).read_bytes())
    check_base_reachable(tmp_path / "kent.toml", base)  # a folder above the base
    check_base_reachable(tmp_path / "otherbase" / "kent.toml", base)  # beside it
    check_base_reachable(tmp_path / "kent.toml", BASELINE)  # the shipped scenarios
    (tmp_path / "x.toml").write_text(f'base = "{Path(os.path.relpath(base, tmp_path)).as_posix()}"\n')
    read_scenario_dict(tmp_path / "x.toml")  # what `run` reads


def test_a_wrong_key_in_a_shock_names_the_shocks_own_keys_and_params_lists_them(capsys):
    """An element of a list of sections (a shock) is checked against its own keys, and the
    parameter table lists every setting, the lists of shocks and hub dates included."""
    from simulator.schema import load_scenario, parameter_table

    with pytest.raises(ScenarioError) as err:
        load_scenario(
            BASELINE, {"levers": {"risk_aversion": {"shocks": [{"month": "2026-01", "size": 0.2}]}}}
        )
    text = "\n".join(err.value.problems)
    assert (
        "unknown key 'levers.risk_aversion.shocks[0].month'; allowed here: date, half_life_years, size"
        in text
    )
    with pytest.raises(ScenarioError, match=r"shocks\[0\].size = 9: .*allowed: >= 0.0 and <= 3.0"):
        load_scenario(BASELINE, {"levers": {"risk_aversion": {"shocks": [{"date": "2026-01", "size": 9}]}}})
    rows = {r["parameter"]: r for r in parameter_table()}
    for name in (
        "levers.risk_aversion.shocks",
        "levers.community_hubs.opening_dates",
        "levers.community_hubs.deciles",
    ):
        assert rows[name]["default"] == [] and rows[name]["source"], name
    assert rows["levers.risk_aversion.shocks[].size"]["allowed"].startswith(">= 0.0 and <= 3.0")
    assert main(["params", "--section", "levers.community_hubs"]) == 0
    assert "levers.community_hubs.opening_dates = []" in capsys.readouterr().out
