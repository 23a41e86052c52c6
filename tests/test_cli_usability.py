"""Command-line defects found by a user trial: help text, ignored options, repeated seeds, the
option a range error names, the sweep's last-year summary and ``--workers`` with one core.

The validation command's checks run before any model does: the tests that expect a refusal
replace :func:`simulator.validation._run` with one that fails the test, so a refusal that does
not happen shows as a failure rather than as a long run.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator import cli, validation
from simulator.sweep import summarise

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()


@pytest.fixture
def no_run(monkeypatch):
    """The validation command may parse its options but must not start a run."""

    def fail(args):
        raise AssertionError(f"the command ran with {args}; it should have refused its options")

    monkeypatch.setattr(validation, "_run", fail)


def refused(capsys, argv: list[str]) -> str:
    """The one line ``python -m simulator.validation ARGV`` prints as it exits with code 2."""
    with pytest.raises(SystemExit) as exit_:
        validation.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


# -- 1. help text of every option of python -m simulator.validation -------------------------------


def help_of(capsys, option: str) -> str:
    """The help text argparse prints for ``option`` (its lines joined), empty if it has none."""
    with pytest.raises(SystemExit) as exit_:
        validation.main(["--help"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option + " "))
    text = [lines[start].strip().split("  ", 1)[1] if "  " in lines[start].strip() else ""]
    for line in lines[start + 1 :]:
        if line.startswith("  -") or not line.strip():  # the next option, or the end
            break
        text.append(line.strip())
    return " ".join(t for t in text if t)


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("--scenario", ["history_2006_2018.toml", "--fit-start"]),
        ("--seeds", ["default: 1 to 8", "--journeys", "different"]),
        ("--sample-fraction", ["default 0.1", "share of families"]),
        ("--view", ["agent-based", "aggregate", "default"]),
    ],
)
def test_every_validation_option_has_help_with_its_default(capsys, option, says):
    text = help_of(capsys, option)
    for words in says:
        assert words in text, (option, text)


def test_the_defaults_the_help_states_are_the_ones_used(monkeypatch):
    """``--seeds`` (1 to 8), ``--sample-fraction`` (0.1), ``--view`` (agent), ``--scenario``."""
    seen = {}

    class Stop(Exception):
        pass

    def fake_replay(scenario, **kw):
        seen.update(kw, scenario=scenario)
        raise Stop

    monkeypatch.setattr(validation, "replay", fake_replay)
    with pytest.raises(Stop):
        validation.main([])
    assert seen["scenario"] == str(validation.HISTORY)
    assert list(seen["seeds"]) == list(range(1, 9))
    assert seen["sample_fraction"] == 0.1 and seen["view"] == "agent"


# -- 2. options that would be ignored are refused ----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--journeys", "--aggregate"], ["--aggregate and --journeys cannot go together", "give one of"]),
        (["--fit-start", "--shock-response", "0.1"], ["--shock-response and --fit-start"]),
        (["--journeys", "--sample-fraction", "0.1"], ["--sample-fraction cannot go with --journeys"]),
        (["--aggregate", "--view", "aggregate"], ["--view cannot go with --aggregate"]),
        (["--aggregate", "--scenario", BASELINE], ["--scenario cannot go with --aggregate", "--fit-start"]),
        (["--shock-response", "0.1", "--seeds", "1"], ["--seeds cannot go with --shock-response"]),
        (["--fit-start", "--seeds", "3"], ["--seeds cannot go with --fit-start"]),
        (["--years", "5"], ["--years cannot go with the replay", "--aggregate or --journeys"]),
        (["--view", "aggregate", "--seeds", "1", "2"], ["--seeds cannot go with --view aggregate"]),
        (["--view", "aggregate", "--sample-fraction", "0.2"], ["--sample-fraction cannot go with --view"]),
    ],
)
def test_options_that_would_be_ignored_are_refused(capsys, no_run, argv, names):
    line = refused(capsys, argv)
    for words in names:
        assert words in line, line
    assert "ignored" in line or "separate check" in line, line


@pytest.mark.parametrize(
    "argv",
    [
        ["--journeys", "--seeds", "3", "4", "--years", "6"],
        ["--aggregate", BASELINE, "--seeds", "11", "12", "--years", "2"],
        ["--fit-start", "--scenario", str(validation.HISTORY)],
        ["--view", "aggregate", "--scenario", str(validation.HISTORY)],
        ["--seeds", "1", "2", "--sample-fraction", "0.05", "--view", "agent"],
    ],
)
def test_options_a_check_reads_are_still_accepted(monkeypatch, argv):
    ran = []
    monkeypatch.setattr(validation, "_run", lambda args: ran.append(args) or 0)
    assert validation.main(argv) == 0
    assert len(ran) == 1


# -- 3. repeated seeds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--journeys", "--seeds", "1", "1"], "--seeds 1 1: seed 1 repeated"),
        (["--seeds", "3", "1", "3", "1", "2"], "seeds 1, 3 repeated"),
        (["--aggregate", "--seeds", "11", "11"], "seed 11 repeated"),
        (["--seeds", "-4"], "--seeds -4: allowed: whole numbers from 0"),
    ],
)
def test_repeated_or_negative_seeds_are_refused(capsys, no_run, argv, says):
    line = refused(capsys, argv)
    assert says in line, line
    if "repeated" in says:
        assert "allowed: different seeds" in line


def test_seeds_given_to_journeys_are_the_seeds_used(monkeypatch):
    """Before, ``--journeys --seeds 1 2 ... 8`` was taken for the default and replaced."""
    seen = {}

    def fake_report(scenario, seeds=None, years=15):
        seen.update(seeds=seeds, years=years)
        return "report"

    monkeypatch.setattr(validation.journeys, "report", fake_report)
    monkeypatch.setattr(validation.journeys, "print_report", lambda report: None)
    assert validation.main(["--journeys", "--seeds", *map(str, range(1, 9))]) == 0
    assert seen == {"seeds": list(range(1, 9)), "years": 15}
    assert validation.main(["--journeys", "--years", "50"]) == 0
    assert seen == {"seeds": None, "years": 50}  # None: the report's own 8 replicate seeds


# -- 4. --years out of range names --years -------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--journeys", "--years", "100"], "--years 100: with --journeys, allowed: 6 to 50"),
        (["--journeys", "--years", "3"], "--years 3: with --journeys, allowed: 6 to 50"),
        # 0 was taken as "not given" and the check ran 20 years
        (["--aggregate", "--years", "0"], "--years 0: with --aggregate, allowed: 1 to 50"),
        (["--aggregate", "--years", "51"], "--years 51: with --aggregate, allowed: 1 to 50"),
        (["--sample-fraction", "2"], "--sample-fraction 2: allowed: more than 0 and at most 1"),
        (["--sample-fraction", "0"], "--sample-fraction 0: allowed: more than 0 and at most 1"),
    ],
)
def test_a_value_out_of_range_names_the_option_typed(capsys, no_run, argv, says):
    line = refused(capsys, argv)
    assert says in line, line
    assert "run.years" not in line and "run.sample_fraction" not in line and ".toml" not in line


# -- 5. the sweep's summary: every point at its own last year -------------------------------------


def test_summary_reads_each_point_at_its_own_last_year():
    df = pd.DataFrame(
        {
            "point": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
            "replicate": [0, 0, 1, 1, 0, 0, 0, 1, 1, 1],
            "run.years": [2, 2, 2, 2, 3, 3, 3, 3, 3, 3],
            "year": [2025, 2026, 2025, 2026, 2025, 2026, 2027, 2025, 2026, 2027],
            "lac_31_march": [1.0, 10.0, 3.0, 30.0, 5.0, 6.0, 70.0, 7.0, 8.0, 90.0],
        }
    )
    s = summarise(df, ["run.years"], ["lac_31_march"])
    assert list(s["point"]) == [0, 1]
    assert list(s["year"]) == [2026, 2027]
    assert list(s["runs"]) == [2, 2]
    assert list(s["lac_31_march_mean"]) == [20.0, 80.0]


def test_sweep_over_run_years_shows_every_point(tmp_path, capsys):
    f = tmp_path / "years.toml"
    f.write_text(
        f'scenario = "{BASELINE}"\n[seeds]\ncount = 2\nentropy = 7\n'
        '[overrides]\n"run.burn_in_months" = 0\n"population.children" = 2000\n'
        '[grid]\n"run.years" = [1, 2]\n'
    )
    out = tmp_path / "r.parquet"
    assert cli.main(["sweep", str(f), "--out", str(out), "--engine", "inprocess"]) == 0
    text = capsys.readouterr().out
    assert "each point at its own last year" in text
    table = text[text.index("each point at its own last year") :].splitlines()[1:]
    head = table[0].split()
    assert head[:4] == ["point", "run.years", "year", "runs"]
    rows = [line.split()[:4] for line in table[1:]]
    last = pd.read_parquet(out).groupby("point")["year"].max()
    assert rows == [["0", "1", str(last[0]), "2"], ["1", "2", str(last[1]), "2"]]
    assert last[1] == last[0] + 1


# -- 6. --workers where there are no workers ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--engine", "inprocess", "--workers", "3"], "--workers 3 cannot go with --engine inprocess"),
        (["--engine", "inprocess", "--workers", "1"], "--workers 1 cannot go with --engine inprocess"),
        (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers 2 cannot go with --scheduler"),
    ],
)
def test_workers_without_workers_is_refused(tmp_path, capsys, options, says):
    f = tmp_path / "s.toml"
    f.write_text(f'scenario = "{BASELINE}"\n[seeds]\ncount = 1\n[overrides]\n"run.years" = 1\n')
    out = tmp_path / "r.parquet"
    assert cli.main(["sweep", str(f), "--out", str(out), *options, "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
    assert "--engine pool" in err[0]
    assert not out.exists()
