"""Bad input: exit code 2, one line naming the field, the value and what is allowed; no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

BASELINE = str(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")


@pytest.mark.parametrize(
    "content,expected",
    [
        ("[population]\nchildern = 5\n", "unknown key 'population.childern'"),
        ('[population]\nchildren = "many"\n', "population.children = 'many'"),
        (
            "[population]\nchildren = 5\n",
            "population.children = 5: Input should be greater than or equal to 100",
        ),
        ("[care]\nsibling_join_probability = 1.5\n", "allowed: >= 0.0 and <= 1.0"),
        ("[run\n", "not valid TOML"),
        # NaN and infinity are refused by the schema itself (they pass every range check otherwise)
        (
            "[levers.prevention]\nspend_per_year = nan\n",
            "levers.prevention.spend_per_year = nan: Input should be a finite number",
        ),
        (
            "[levers.prevention]\nspend_per_year = inf\n",
            "levers.prevention.spend_per_year = inf: Input should be a finite number",
        ),
        ("[risk_aversion]\nindex = nan\n", "risk_aversion.index = nan: Input should be a finite number"),
        ("[costs.referral]\nvalue = -inf\n", "costs.referral.value = -inf: Input should be a finite number"),
        # a list too short for its field: one line, not one per missing value
        (
            "[need]\nadverse_rates_per_year = [0.04, 0.04]\n",
            "need.adverse_rates_per_year = [0.04, 0.04]: 4 values needed, 2 given",
        ),
        # every yearly series is checked: one value a year, in range
        (
            "[front_door]\nsection47_path = [1.0, 0.5]\n",
            "front_door.section47_path has 2 values but run.years = 20",
        ),
        ("[front_door]\nsection47_path = -1\n", "front_door.section47_path = -1.0: must be >= 0"),
        (
            "[care]\nremoval_at_birth_path = [1.0, 0.5]\n",
            "care.removal_at_birth_path has 2 values but run.years = 20",
        ),
        (
            "[care]\nadoption_path = 5.0\n",
            "care.adoption_path = 5 with care.adoption_share_under5 = 0.241 gives an adoption share above 1; "
            "allowed: path values up to 4.15",
        ),
    ],
)
def test_bad_scenario_file(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    assert main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


def test_missing_file(capsys):
    assert main(["run", "no/such/file.toml", "--quiet"]) == 2
    assert "file not found: no/such/file.toml" in capsys.readouterr().err


def test_no_traceback_from_the_real_command(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[run]\nyears = 0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "run.years = 0" in proc.stderr and ">= 1" in proc.stderr


@pytest.mark.parametrize("argv", [["--aggregate", "{path}"], ["--scenario", "{path}"]])
def test_validation_command_names_a_bad_scenario(tmp_path, capsys, argv):
    """``python -m simulator.validation`` with a wrong scenario file: the message, exit code 2."""
    from simulator.validation import main as validation_main

    path = tmp_path / "bad.toml"
    path.write_text("[population]\nchildern = 5\n")
    assert validation_main([a.format(path=path) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown key 'population.childern'" in err[0]


def test_params_names_an_unknown_section(capsys):
    assert main(["params", "--section", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'nosuch'" in err[0] and "levers" in err[0]


def test_params_markdown_is_a_table_without_optional_packages(capsys):
    assert main(["params", "--section", "levers.community_hubs", "--markdown"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| parameter |") and out[1].startswith("|---|")
    assert any("levers.community_hubs.catchment_families" in line for line in out[2:])


def test_a_closed_pipe_is_not_a_traceback():
    """``python -m simulator params | head -1``: the reader leaves early; no traceback, exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "params"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("levers.risk_aversion", "index_path", "{}", "at least 1 item"),
        ("population", "uasc_path", "[]", "at least 1 item"),
        ("levers.prevention", "spend_per_year", "{}", "at least 1 item"),
    ],
)
def test_an_empty_path_is_refused_not_read_as_zero(tmp_path, capsys, section, key, value, message):
    """An empty list or table of dated steps once meant zero (no enquiries at all): refused."""
    path = tmp_path / "s.toml"
    path.write_text(f'base = "{BASELINE}"\n[{section}]\n{key} = {value}\n')
    assert main(["run", str(path), "--years", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{section}.{key}" in err[0] and message in err[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "{b}", "{k}", "--years", "1", "--runs", "1"],
        ["payback", "{h}", "--baseline", "{k}", "--years", "1", "--runs", "0"],
    ],
)
def test_a_baseline_from_another_area_is_refused(capsys, tmp_path, argv):
    root = Path(BASELINE).parent
    args = [a.format(b=BASELINE, k=root / "la" / "kent.toml", h=root / "community_hubs.toml") for a in argv]
    if args[0] == "payback":  # payback --quiet must write somewhere (refused before anything else)
        args += ["--xlsx", str(tmp_path / "p.xlsx")]
    assert main([*args, "--quiet"]) == 2
    assert not (tmp_path / "p.xlsx").exists()
    err = capsys.readouterr().err
    assert "population.children differs" in err and "Traceback" not in err


def test_pairs_over_different_years_are_refused_before_running(tmp_path, capsys):
    other = tmp_path / "other.toml"
    other.write_text(f'base = "{BASELINE}"\n[run]\nstart_year = 2030\n')
    assert main(["compare", BASELINE, str(other), "--years", "1", "--runs", "1", "--quiet"]) == 2
    assert "run.start_year differs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "{b}", "{b}", "--seed", "-1"], "master seed = -1"),
        (["compare", "{b}", "{b}", "--runs", "1000000000"], "from 1 to 10,000"),
        (["payback", "{b}", "--runs", "1000000000"], "from 0 to 10,000"),
        (["payback", "{b}", "--central-seeds", "1000000000"], "from 1 to 10,000"),
    ],
)
def test_seeds_and_run_counts_are_checked_up_front(capsys, argv, message):
    assert main([*(a.format(b=BASELINE) for a in argv), "--years", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_full_standard_output_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "simulator", "params"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "No space left on device" in proc.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "a\\nb"\n', "name must be 1-80 characters on one line"),
        ('name = "   "\n', "not blank"),
        ('[run]\nyears = "ten"\n', "run.years = 'ten': Input should be a valid integer"),
    ],
)
def test_names_are_one_line_and_options_do_not_hide_a_bad_file(tmp_path, capsys, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert main(["run", str(path), "--years", "1", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "from --years" not in err[0]


@pytest.mark.parametrize(
    "module,args",
    [
        ("simulator", []),
        *[("simulator", [c]) for c in ("run", "compare", "payback", "sweep", "calibrate", "app", "params")],
        ("simulator.validation", []),
    ],
)
def test_every_command_prints_its_help(module, args):
    """``--help`` prints the usage and exits 0 (a stray ``%`` in a help text makes argparse raise)."""
    r = subprocess.run(
        [sys.executable, "-m", module, *args, "--help"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("usage:"), r.stdout[:200]
    assert "Traceback" not in r.stderr


def test_the_readme_python_example_runs():
    """The README's "From Python" block runs as written (over 3 years here, to be quick)."""
    import re

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"From Python:\n\n```python\n(.*?)```", text, re.S)
    assert block, "the README has no 'From Python' block"
    code = block.group(1).replace(
        'load_scenario("scenarios/baseline.toml")', 'load_scenario(BASELINE, {"run": {"years": 3}})'
    )
    assert "BASELINE" in code, "the example no longer loads scenarios/baseline.toml"
    env = {"BASELINE": BASELINE}
    exec(compile(code, "README.md", "exec"), env)  # noqa: S102 - our own documentation
    assert len(env["model"].family(env["fid"]).journey()) > 0


@pytest.mark.parametrize(
    "argv, text",
    [
        (
            ["run", BASELINE, "--seed", "abc"],
            "argument --seed: invalid int value: 'abc'; allowed: a whole number",
        ),
        (
            ["run", BASELINE, "--years", "2.5"],
            "argument --years: invalid int value: '2.5'; allowed: a whole number",
        ),
        (["compare", BASELINE], "the following arguments are required"),
        (["nosuch"], "invalid choice: 'nosuch'"),
    ],
)
def test_argument_errors_are_one_line(argv, text, capsys):
    """argparse's own errors: one line (no usage block), exit 2, pointing at --help."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert text in err and "--help" in err


def test_a_scenario_typed_by_name_suggests_its_file(capsys):
    assert main(["run", "baseline", "--years", "2"]) == 2
    err = capsys.readouterr().err
    assert "file not found: baseline (did you mean" in err and "scenarios/baseline.toml?)" in err
    assert main(["run", "no_such_scenario", "--years", "2"]) == 2
    assert "did you mean" not in capsys.readouterr().err


def test_params_lists_unit_costs_and_finance_settings_and_fits_a_terminal(capsys):
    """Every unit cost (with its price year and source) and every finance setting is listed, and
    the plain listing fits 100 columns."""
    from simulator.schema import Costs, Finance

    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    for name in Costs.model_fields:
        assert f"costs.{name} = " in out
    for name in Finance.model_fields:
        assert f"finance.{name} = " in out
    assert main(["params", "--section", "costs.referral"]) == 0
    block = capsys.readouterr().out
    assert "costs.referral = 117.0" in block and "2009-10 prices" in block and "GMCA" in block
