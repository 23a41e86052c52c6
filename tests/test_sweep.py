"""The sweep runner: engines agree, seeds are independent and reproducible, bad files rejected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import cli
from simulator.schema import ScenarioError
from simulator.sweep import load_sweep, parse_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"

SMALL = {
    "name": "small",
    "scenario": "baseline.toml",
    "seeds": {"count": 2, "entropy": 7},
    "overrides": {"run.years": 1, "run.burn_in_months": 3, "population.children": 3000},
    "grid": {"risk_aversion.index": [0.8, 1.2]},
}


def small(**changes) -> dict:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in SMALL.items()}
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def sweep():
    return parse_sweep(small(), base_dir=SCENARIOS, source="small")


@pytest.fixture(scope="module")
def inprocess_table(sweep):
    return run_sweep(sweep, engine="inprocess", progress=False)


def test_table_is_tidy_and_stamped(sweep, inprocess_table):
    df = inprocess_table
    assert len(sweep) == 4
    assert len(df) == 4  # one reported year per run
    for col in (
        "sweep",
        "point",
        "replicate",
        "risk_aversion.index",
        "scenario",
        "seed",
        "version",
        "year",
        "lac_31_march",
    ):
        assert col in df.columns
    assert list(df["point"]) == [0, 0, 1, 1]
    assert list(df["risk_aversion.index"]) == [0.8, 0.8, 1.2, 1.2]
    # common random numbers: the same replicate seeds at every point
    assert list(df["seed"]) == sweep.seeds * 2


def test_dask_local_cluster_and_process_pool_give_identical_tables(sweep, inprocess_table):
    pool = run_sweep(sweep, engine="pool", workers=2, progress=False)
    dask = run_sweep(sweep, engine="dask", workers=2, progress=False)
    pd.testing.assert_frame_equal(pool, dask)
    pd.testing.assert_frame_equal(pool, inprocess_table)


def test_dask_scheduler_address_runs_the_same_tasks(sweep, inprocess_table):
    from dask.distributed import LocalCluster

    subset = [t for t in sweep.tasks() if t.point == 1]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        df = run_sweep(
            sweep, engine="dask", scheduler=cluster.scheduler_address, progress=False, tasks=subset
        )
    want = inprocess_table[inprocess_table["point"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(df, want)


def test_seeds_are_independent_and_reproducible(sweep, inprocess_table):
    again = parse_sweep(small(), base_dir=SCENARIOS, source="small")
    assert again.seeds == sweep.seeds
    more = parse_sweep(small(seeds={"count": 5, "entropy": 7}), base_dir=SCENARIOS)
    assert more.seeds[:2] == sweep.seeds  # spawned children: adding replicates keeps the first ones
    assert len(set(more.seeds)) == 5
    other = parse_sweep(small(seeds={"count": 2, "entropy": 8}), base_dir=SCENARIOS)
    assert not set(other.seeds) & set(sweep.seeds)
    assert all(0 <= s < 2**63 for s in more.seeds)
    # same seed, same table; different seeds, different runs
    pd.testing.assert_frame_equal(run_sweep(again, engine="inprocess", progress=False), inprocess_table)
    a, b = (
        g.drop(columns=["replicate", "seed"]).reset_index(drop=True)
        for _, g in inprocess_table[inprocess_table["point"] == 0].groupby("replicate")
    )
    assert not a.equals(b)


def test_sample_design_is_seeded_and_in_range():
    data = small(
        grid=None,
        sample={
            "n": 8,
            "method": "lhs",
            "ranges": {"risk_aversion.index": [0.8, 1.2], "run.burn_in_months": [0, 6]},
        },
    )
    del data["grid"]
    s1 = parse_sweep(data, base_dir=SCENARIOS)
    s2 = parse_sweep(data, base_dir=SCENARIOS)
    assert s1.points == s2.points
    x = np.array([p["risk_aversion.index"] for p in s1.points])
    assert ((x >= 0.8) & (x <= 1.2)).all()
    # Latin hypercube: one value in each eighth of the range
    assert sorted(np.floor((x - 0.8) / 0.4 * 8).astype(int)) == list(range(8))
    assert all(isinstance(p["run.burn_in_months"], int) for p in s1.points)


def test_example_sweep_file_loads():
    sw = load_sweep(SCENARIOS / "sweeps" / "example.toml")
    assert len(sw) >= 8 and sw.paths


def test_cli_writes_parquet(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text(
        f'scenario = "{(SCENARIOS / "baseline.toml").as_posix()}"\n'
        '[seeds]\ncount = 2\n[overrides]\n"run.years" = 1\n"run.burn_in_months" = 0\n'
        '"population.children" = 2000\n'
    )
    out = tmp_path / "r.parquet"
    assert cli.main(["sweep", str(f), "--out", str(out), "--engine", "inprocess", "--quiet"]) == 0
    df = pd.read_parquet(out)
    assert len(df) == 2 and df["sweep"].iloc[0] == "s" and df["seed"].nunique() == 2


BAD = [
    ('[grid]\n"levers.prevention.spend" = [1.0]\n', "is not a parameter"),
    ('[grid]\n"risk_aversion.index" = [1.0, -2.0]\n', "risk_aversion.index"),
    ('[grid]\n"run.seed" = [1, 2]\n', "cannot be swept"),
    ('[grid]\n"risk_aversion.index" = []\n', "non-empty list"),
    ('colour = "red"\n', "unknown key 'colour'"),
    ("[seeds]\ncount = 0\n", "seeds.count"),
    ('[overrides]\n"population.kids" = 3\n', "is not a parameter"),
    ('[grid]\n"risk_aversion.index" = [1.0]\n[sample]\nn = 2\n', "not both"),
    ('[sample]\nn = 3\n[sample.ranges]\n"risk_aversion.index" = [2.0, 1.0]\n', "low <= high"),
    ('table = "weekly"\n', "table"),
]


@pytest.mark.parametrize(("body", "message"), BAD)
def test_bad_sweep_files_exit_2_with_one_line(tmp_path, capsys, body, message):
    f = tmp_path / "bad.toml"
    f.write_text(f'scenario = "{(SCENARIOS / "baseline.toml").as_posix()}"\n' + body)
    code = cli.main(
        ["sweep", str(f), "--out", str(tmp_path / "r.parquet"), "--engine", "inprocess", "--quiet"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and message in err[0], err
    assert "Traceback" not in err[0]


def test_a_scenario_file_given_as_a_sweep_says_so(tmp_path, capsys):
    """A new user's mistake (review, 6 Dec 2026): the message names the odd key and what the file is."""
    code = cli.main(["sweep", str(SCENARIOS / "baseline.toml"), "--out", str(tmp_path / "r.parquet")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "unknown key 'evidence'" in err[0] and "looks like a scenario file" in err[0]
    assert "scenarios/sweeps/example.toml" in err[0] and not (tmp_path / "r.parquet").exists()


def test_missing_files_and_bad_options(tmp_path, capsys):
    assert cli.main(["sweep", str(tmp_path / "nope.toml"), "--out", "x.parquet"]) == 2
    f = tmp_path / "s.toml"
    f.write_text('scenario = "missing.toml"\n')
    assert cli.main(["sweep", str(f), "--out", str(tmp_path / "r.parquet")]) == 2
    f.write_text(f'scenario = "{(SCENARIOS / "baseline.toml").as_posix()}"\n')
    assert cli.main(["sweep", str(f), "--out", str(tmp_path / "r.csv")]) == 2
    assert (
        cli.main(
            [
                "sweep",
                str(f),
                "--out",
                str(tmp_path / "r.parquet"),
                "--engine",
                "pool",
                "--scheduler",
                "tcp://127.0.0.1:1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("error:") for line in err)


def test_parse_errors_are_scenario_errors():
    with pytest.raises(ScenarioError):
        parse_sweep(small(grid={"need.nothing": [1]}), base_dir=SCENARIOS)
