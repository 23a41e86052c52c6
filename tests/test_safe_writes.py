"""Writes that cannot half-happen, and exports safe to open (issue 17).

Faults are real: a disk that fills up mid-write (a file-size limit and an injected ENOSPC), a
``kill -9`` mid-write, a read-only destination, an earlier run in the output folder, an existing
scenario file, a scenario named like a spreadsheet formula, and unusable paths given on the
command line. Each test states what the destination must hold afterwards.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from simulator import safe_io
from simulator.cli import build_parser, main
from simulator.safe_io import OutputError, neutralise, neutralise_frame, plain_formula, write_csv, write_with

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "baseline.toml")
HUBS = str(ROOT / "scenarios" / "community_hubs.toml")
EVIL = '=HYPERLINK("http://x","y")'
#: A one-year run of the typical LA at 5% of its families: about a second.
SMALL = ["--years", "1", "--seed", "3", "--sample-fraction", "0.05", "--quiet"]
#: A payback appraisal cut to the bone: no Monte Carlo, one central seed, no sensitivity.
SMALL_PAYBACK = [
    "--years",
    "2",
    "--runs",
    "0",
    "--central-seeds",
    "1",
    "--no-sensitivity",
    "--sample-fraction",
    "0.05",
    "--seed",
    "1",
    "--quiet",
]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import every command once, so timings below measure the checks, not imports."""
    build_parser()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def one_error_line(rc: int, capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def refuse_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every command's computing step fail the test: checks must come first."""

    def computing(*_a, **_k):
        raise AssertionError("computing started before the output path was checked")

    monkeypatch.setattr("simulator.commands.run.CSCModel", computing)
    monkeypatch.setattr("simulator.commands.compare.compare", computing)
    monkeypatch.setattr("simulator.commands.payback.payback_report", computing)
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", computing)
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_all", computing)


def evil_scenario(folder: Path, base: str = BASE) -> Path:
    path = folder / "evil.toml"
    path.write_text(f"name = '{EVIL}'\nbase = \"{base}\"\n")
    return path


# -- (1) a disk that fills up mid-write -----------------------------------------------------------


def test_file_size_limit_mid_write_leaves_the_earlier_run(tmp_path, capsys):
    """A real kernel refusal part-way through the tables (RLIMIT_FSIZE: EFBIG, as a full disk)."""
    out = tmp_path / "run"
    assert main(["run", BASE, *SMALL, "--out", str(out)]) == 0
    before = snapshot(out)
    assert {"annual.csv", "monthly.csv", "episodes.csv", "run.json"} <= set(before)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, hard))  # annual.csv alone is larger
    try:
        rc = main(["run", BASE, *SMALL, "--seed", "4", "--out", str(out), "--overwrite"])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    err = one_error_line(rc, capsys)
    assert "File too large" in err and "nothing was written" in err
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no half-written folder beside it


def _full_disk(real):
    """``DataFrame.to_csv`` that writes half its text and then finds the disk full."""

    def to_csv(self, path_or_buf=None, *args, **kwargs):
        text = real(self, None, *args, **kwargs)
        with open(path_or_buf, "w") as fh:
            fh.write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path_or_buf))

    return to_csv


def test_disk_full_mid_write_leaves_the_earlier_run(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", BASE, *SMALL, "--out", str(out)]) == 0
    before = snapshot(out)
    monkeypatch.setattr(pd.DataFrame, "to_csv", _full_disk(pd.DataFrame.to_csv))
    err = one_error_line(main(["run", BASE, *SMALL, "--out", str(out), "--overwrite"]), capsys)
    assert "No space left on device" in err
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_disk_full_mid_write_leaves_the_earlier_file(tmp_path, monkeypatch):
    dest = tmp_path / "table.csv"
    dest.write_text("a,b\n1,2\n")
    monkeypatch.setattr(pd.DataFrame, "to_csv", _full_disk(pd.DataFrame.to_csv))
    with pytest.raises(OutputError, match="No space left on device"):
        write_csv(dest, pd.DataFrame({"a": range(1000), "b": range(1000)}), index=False)
    assert dest.read_text() == "a,b\n1,2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


# -- (2) kill -9 mid-write ------------------------------------------------------------------------


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when_writing(proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Wait for the child's 'writing' line, then SIGKILL it (no clean-up code can run)."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if line.strip() != "writing":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the child never reached its write: {err[-2000:]}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_kill_during_a_file_write_leaves_the_earlier_file(tmp_path):
    dest = tmp_path / "big.csv"
    dest.write_text("earlier,complete\n1,2\n")
    proc = _start(
        """
        import sys, time
        from simulator.safe_io import write_with

        def writer(tmp):
            with open(tmp, "w") as fh:
                for i in range(10**8):
                    fh.write(f"{i},{'x' * 100}\\n")
                    if i == 20_000:  # about 2 MB on disk, then keep going slowly
                        fh.flush()
                        print("writing", flush=True)
                    if i > 20_000:
                        time.sleep(0.001)

        write_with(sys.argv[1], writer)
        """,
        str(dest),
    )
    _kill_when_writing(proc)
    assert dest.read_text() == "earlier,complete\n1,2\n"
    partial = [p for p in tmp_path.iterdir() if p.name != "big.csv"]
    # the killed write was real: its temporary file lies beside, hidden, never at the destination
    assert len(partial) == 1 and partial[0].name.startswith(".big.csv.") and partial[0].stat().st_size > 1e6


def test_kill_during_a_run_folder_write_leaves_the_earlier_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", BASE, *SMALL, "--out", str(out)]) == 0
    before = snapshot(out)
    proc = _start(
        """
        import sys, time
        import pandas as pd

        real = pd.DataFrame.to_csv

        def slow(self, *args, **kwargs):  # the first table is written, then the process stalls
            out = real(self, *args, **kwargs)
            print("writing", flush=True)
            time.sleep(120)
            return out

        pd.DataFrame.to_csv = slow
        from simulator.cli import main
        sys.exit(main(sys.argv[1:]))
        """,
        "run",
        BASE,
        *SMALL,
        "--seed",
        "4",
        "--no-episodes",
        "--out",
        str(out),
        "--overwrite",
    )
    _kill_when_writing(proc)
    assert snapshot(out) == before  # the earlier run, whole: no mix of old and new tables
    litter = [p for p in tmp_path.iterdir() if p.name != "run"]
    assert len(litter) == 1 and litter[0].name.startswith(".run.") and litter[0].is_dir()
    assert [p.name for p in litter[0].iterdir()] == ["annual.csv"]


# -- (3) a read-only destination -------------------------------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody may write in. Root ignores permission bits, so for root it is immutable."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode:
        pytest.skip(
            "running as root, which ignores a folder's permissions, and 'chattr +i' "
            "(an immutable folder) is not available here"
        )
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=False)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", BASE, "--out", "{ro}/run"],
        ["compare", BASE, HUBS, "--out", "{ro}/compare"],
        ["payback", HUBS, "--baseline", BASE, "--xlsx", "{ro}/hubs.xlsx"],
        ["calibrate", "--la", "Leeds", "--out", "{ro}/la/leeds.toml"],
        ["calibrate", "--all", "--table", "{ro}/fit.csv"],
    ],
)
def test_read_only_destination_fails_before_computing(read_only_dir, argv, capsys, monkeypatch):
    refuse_computing(monkeypatch)
    t0 = time.perf_counter()
    rc = main([a.format(ro=read_only_dir) for a in argv] + ["--quiet"])
    elapsed = time.perf_counter() - t0
    err = one_error_line(rc, capsys)
    assert "cannot write in" in err and str(read_only_dir) in err
    assert elapsed < 1.0
    assert list(read_only_dir.iterdir()) == []


# -- (4) a run folder holds one complete run -------------------------------------------------------


def test_run_folder_is_refused_then_replaced_whole(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert main(["run", BASE, *SMALL, "--out", str(out)]) == 0
    before = snapshot(out)
    assert "episodes.csv" in before
    refused = ["run", BASE, *SMALL, "--no-episodes", "--out", str(out)]
    with monkeypatch.context() as m:
        refuse_computing(m)
        err = one_error_line(main(refused), capsys)
    assert "already holds files" in err and "--overwrite" in err
    assert snapshot(out) == before
    assert main([*refused, "--overwrite"]) == 0
    # only the new run's files: the earlier episodes.csv does not survive beside the new tables
    assert sorted(p.name for p in out.iterdir()) == ["annual.csv", "equity.csv", "monthly.csv", "run.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_overwrite_replaces_only_a_results_folder(tmp_path, capsys, monkeypatch):
    """--overwrite never deletes an input: the current folder, one with folders, one holding the
    run's own scenario file, a symbolic link: each refused, each left as it was."""
    refuse_computing(monkeypatch)
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    err = one_error_line(main(["run", BASE, "--quiet", "--out", ".", "--overwrite"]), capsys)
    assert "not a results folder (notes.txt)" in err
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    err = one_error_line(main(["run", BASE, "--quiet", "--out", str(project), "--overwrite"]), capsys)
    assert "not a results folder (src)" in err
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(BASE, inputs / "my_scenario.toml")
    (inputs / "annual.csv").write_text("year\n")
    (inputs / "run.json").write_text("{}")
    err = one_error_line(
        main(["run", str(inputs / "my_scenario.toml"), "--quiet", "--out", str(inputs), "--overwrite"]),
        capsys,
    )
    assert "not a results folder (my_scenario.toml)" in err
    link = tmp_path / "link"
    link.symlink_to(project)
    err = one_error_line(main(["run", BASE, "--quiet", "--out", str(link), "--overwrite"]), capsys)
    assert "symbolic link" in err
    assert (tmp_path / "notes.txt").read_text() == "mine" and (project / "src").is_dir()
    assert (inputs / "my_scenario.toml").read_bytes() == Path(BASE).read_bytes() and link.is_symlink()


def test_force_never_replaces_a_device_or_pipe(tmp_path, capsys, monkeypatch):
    refuse_computing(monkeypatch)
    fifo = tmp_path / "results.parquet"
    os.mkfifo(fifo)
    sweep = tmp_path / "s.toml"
    sweep.write_text(f'scenario = "{BASE}"\n')
    err = one_error_line(main(["sweep", str(sweep), "--out", str(fifo), "--force"]), capsys)
    assert "device, pipe or socket" in err and stat.S_ISFIFO(fifo.stat().st_mode)
    err = one_error_line(main(["run", BASE, "--quiet", "--out", "/dev/null", "--overwrite"]), capsys)
    assert "device, pipe or socket" in err


def test_an_output_name_too_long_is_one_line(tmp_path, capsys, monkeypatch):
    refuse_computing(monkeypatch)
    err = one_error_line(main(["run", BASE, "--quiet", "--out", str(tmp_path / ("x" * 300))]), capsys)
    assert "name too long" in err.lower()


# -- (5) a scenario file is never replaced without --force ------------------------------------------


def test_calibrate_never_replaces_a_scenario_without_force(tmp_path, capsys, monkeypatch):
    refuse_computing(monkeypatch)
    mine = tmp_path / "leeds.toml"
    shutil.copy(BASE, mine)
    before = mine.read_bytes()
    err = one_error_line(main(["calibrate", "--la", "Leeds", "--out", str(mine)]), capsys)
    assert "exists" in err and "--force" in err
    assert mine.read_bytes() == before
    # the example of the issue, on the real baseline: refused before any fitting
    baseline = Path(BASE).read_bytes()
    err = one_error_line(main(["calibrate", "--la", "Leeds", "--out", BASE]), capsys)
    assert Path(BASE).read_bytes() == baseline
    # not even --force replaces the scenario the fit is based on (it would be based on itself)
    err = one_error_line(main(["calibrate", "--la", "Leeds", "--out", BASE, "--force"]), capsys)
    assert "the scenario the fit overrides" in err and Path(BASE).read_bytes() == baseline
    table = tmp_path / "fit.csv"
    table.write_text("earlier\n")
    one_error_line(main(["calibrate", "--all", "--table", str(table)]), capsys)
    assert table.read_text() == "earlier\n"


def test_calibrate_with_force_replaces_the_scenario_whole(tmp_path, monkeypatch):
    from simulator.calibrate import Fit, load_scenario

    fit = Fit(
        la="Kent",
        la_code="E10000016",
        region="South East",
        overrides={"population": {"children": 348_332}},
        parameters={"entry_scale": 1.1, "duration_scale": 0.9, "uasc_scale": 1.0},
        targets={"lac_31_march": 1960.0},
        aggregate={"lac_31_march": 1961.0},
    )
    monkeypatch.setattr("simulator.commands.calibrate.calibrate_la", lambda *a, **k: fit)  # the fit is slow
    out = tmp_path / "kent.toml"
    out.write_text("# an earlier fit\n")
    assert main(["calibrate", "--la", "Kent", "--quiet", "--out", str(out), "--force"]) == 0
    text = out.read_text()
    assert text.startswith("# Kent") and "an earlier fit" not in text
    assert load_scenario(out).population.children == 348_332
    assert [p.name for p in tmp_path.iterdir()] == ["kent.toml"]


# -- (6) exports safe to open in a spreadsheet -----------------------------------------------------


def test_neutralise_quotes_formula_text_and_leaves_numbers():
    for text in ("=1+2", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", EVIL):
        assert neutralise(text) == "'" + text
    for value in ("plain", "a=b", -1, 2.5, None, "", "'=already"):
        assert neutralise(value) == value
    df = pd.DataFrame({"n": [-1.5, 2.0], "s": [EVIL, "ok"], "c": pd.Categorical(["-a", "b"])})
    out = neutralise_frame(df)
    assert out["n"].tolist() == [-1.5, 2.0] and out["n"].dtype == float
    assert out["s"].tolist() == ["'" + EVIL, "ok"] and out["c"].tolist() == ["'-a", "b"]
    assert df["s"].iloc[0] == EVIL  # the caller's frame is not changed


def test_run_tables_neutralise_a_formula_scenario_name(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(evil_scenario(tmp_path)), *SMALL, "--out", str(out)]) == 0
    for name in ("annual", "monthly", "episodes", "equity"):
        with open(out / f"{name}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and all(r["scenario"] == "'" + EVIL for r in rows), name
    annual = pd.read_csv(out / "annual.csv")
    assert annual["year"].dtype.kind == "i" and annual["referrals"].dtype.kind in "if"  # numbers stay numbers


@pytest.fixture(scope="module")
def evil_payback(tmp_path_factory):
    """One payback run of a scenario named like a formula, through the command; its report kept."""
    folder = tmp_path_factory.mktemp("payback")
    kept = {}
    from simulator.commands import payback

    real = payback.write_outputs

    def keep(report, xlsx, force=False):
        kept["report"] = report
        return real(report, xlsx, force=force)

    with pytest.MonkeyPatch.context() as m:
        m.setattr("simulator.commands.payback.write_outputs", keep)
        xlsx = folder / "evil.xlsx"
        rc = main(
            [
                "payback",
                str(evil_scenario(folder, HUBS)),
                "--baseline",
                BASE,
                *SMALL_PAYBACK,
                "--xlsx",
                str(xlsx),
            ]
        )
    assert rc == 0
    return xlsx, kept["report"]


def test_payback_workbook_holds_no_formula_but_its_own(evil_payback):
    xlsx, _ = evil_payback
    wb = openpyxl.load_workbook(xlsx)
    cells = [(ws.title, c) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    formulas = [(t, c) for t, c in cells if c.data_type == "f"]
    # the workbook's own formulas (cash flow, NPV, payback) are there, all plain arithmetic over
    # its own cells, on the sheets that compute; the scenario's formula-like name is text
    assert formulas and {t for t, _ in formulas} == {"Summary", "Assumptions", "Cashflow"}
    assert all(plain_formula(c.value) and "HYPERLINK" not in c.value.upper() for _, c in formulas)
    assert not [c.value for _, c in cells if c.data_type != "f" and str(c.value).startswith("=")]
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["scenario"] == "'" + EVIL
    assert isinstance(prov["master seed"], int)  # numbers stay numbers


# -- the workbook and its charts: refused, replaced with --force, whole or not at all ----------------


def test_payback_refuses_an_existing_workbook_before_computing(evil_payback, capsys, monkeypatch):
    xlsx, _ = evil_payback
    before = snapshot(xlsx.parent)
    refuse_computing(monkeypatch)
    err = one_error_line(main(["payback", HUBS, "--baseline", BASE, "--xlsx", str(xlsx)]), capsys)
    assert "exists" in err and "--force" in err
    assert snapshot(xlsx.parent) == before


def test_disk_full_while_saving_the_workbook_leaves_the_earlier_outputs(evil_payback, monkeypatch):
    from simulator.finance import write_outputs

    xlsx, report = evil_payback
    before = snapshot(xlsx.parent)

    def full_disk(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(filename))

    monkeypatch.setattr(openpyxl.Workbook, "save", full_disk)
    with pytest.raises(OutputError, match="No space left on device"):
        write_outputs(report, xlsx, force=True)
    assert snapshot(xlsx.parent) == before  # workbook and chart as they were; no temporary files


# -- (7) output paths checked before computing -----------------------------------------------------


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["run", BASE, "--out", "{file}"], "is a file; allowed: a folder"),
        (["run", BASE, "--out", "{file}/run"], "is a file, not a folder"),
        (["run", BASE, "--out", ""], "empty path"),
        (["compare", BASE, HUBS, "--out", "{file}"], "is a file; allowed: a folder"),
        (["compare", BASE, HUBS, "--out", ""], "empty path"),
        (["payback", HUBS, "--baseline", BASE, "--xlsx", "{folder}"], "is a folder; allowed: a file path"),
        (["payback", HUBS, "--baseline", BASE, "--xlsx", "{file}/hubs.xlsx"], "is a file, not a folder"),
        (["payback", HUBS, "--baseline", BASE, "--xlsx", ""], "empty path"),
        (["calibrate", "--la", "Leeds", "--out", "{file}/leeds.toml"], "is a file, not a folder"),
        (["calibrate", "--la", "Leeds", "--out", ""], "empty path"),
        (["calibrate", "--all", "--table", "{folder}"], "is a folder; allowed: a file path"),
    ],
)
def test_unusable_output_path_fails_before_computing(tmp_path, argv, expected, capsys, monkeypatch):
    refuse_computing(monkeypatch)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_folder").mkdir()
    argv = [a.format(file=tmp_path / "a_file", folder=tmp_path / "a_folder") for a in argv]
    t0 = time.perf_counter()
    rc = main([*argv, "--quiet"])
    elapsed = time.perf_counter() - t0
    err = one_error_line(rc, capsys)
    assert expected in err
    assert elapsed < 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "a_folder"]


def test_write_with_an_error_in_the_writer_leaves_nothing(tmp_path):
    """Not only OS errors: any failure part-way leaves no file and no temporary file."""
    dest = tmp_path / "out.txt"

    def writer(tmp):
        tmp.write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_with(dest, writer)
    assert list(tmp_path.iterdir()) == []
    assert safe_io.write_text(dest, "whole").read_text() == "whole"


def test_compare_takes_the_scenarios_seed_and_its_record_reruns_it(tmp_path):
    """Like payback, compare's master seed is the scenario's ``run.seed`` unless ``--seed`` is
    given; every table row is stamped, and run.json's ``rerun`` line gives the same bytes."""
    import json
    import shlex

    scen = tmp_path / "hubs_seed7.toml"
    scen.write_text(f'name = "hubs_seed7"\nbase = "{HUBS}"\n[run]\nseed = 7\n')
    args = ["compare", BASE, str(scen), "--years", "1", "--runs", "2", "--sample-fraction", "0.2", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    record = json.loads((tmp_path / "a" / "run.json").read_text())
    assert record["seed"] == 7 and record["years"] == 1 and record["sample_fraction"] == 0.2
    assert len(record["scenario_hash"]) == 16 and record["scenario_hash"] != record["baseline_hash"]
    diff = pd.read_csv(tmp_path / "a" / "differences.csv")
    assert (diff["seed"] == 7).all() and (diff["scenario"] == "hubs_seed7").all()
    assert (diff["version"] == record["version"]).all()
    rerun = shlex.split(record["rerun"])[3:]  # after "python -m simulator"
    assert main([*rerun, "--quiet", "--out", str(tmp_path / "b")]) == 0
    for name in ("differences.csv", "runs.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert main([*args, "--seed", "8", "--out", str(tmp_path / "c")]) == 0
    assert json.loads((tmp_path / "c" / "run.json").read_text())["seed"] == 8
