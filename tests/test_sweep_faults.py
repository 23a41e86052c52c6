"""Sweeps under faults: a bad --out, a full disk, kill -9 while writing, SIGINT and SIGTERM.

The signal tests start ``python -m simulator sweep`` in its own session, wait until at least
one run has finished (the progress bar on stderr), signal it, and then check that it stopped
within 2 seconds, that no process of its group is left, that ``--out`` is as it was, and that
the finished runs are in ``<out>.partial.parquet``.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from process_groups import ctrl_c_as_in_a_terminal, group_processes, wait_group_gone

from simulator import cli
from simulator.sweep import SweepStopped, parse_sweep, partial_path, read_partial_info, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline.toml").as_posix()
EARLIER = b"PAR1 the earlier results, which nothing may destroy PAR1"
STOP_WITHIN = 2.0  # seconds from the signal to the sweep's exit

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


def write_toml(folder: Path, years: int, children: int, points: int = 4, seeds: int = 2) -> Path:
    values = ", ".join(str(0.8 + 0.1 * i) for i in range(points))
    f = folder / "s.toml"
    f.write_text(
        f'scenario = "{BASELINE}"\n[seeds]\ncount = {seeds}\nentropy = 3\n'
        f'[overrides]\n"run.years" = {years}\n"population.children" = {children}\n'
        f'[grid]\n"risk_aversion.index" = [{values}]\n'
    )
    return f


YEARS = 5


def long_sweep(folder: Path) -> Path:
    """8 runs of a fraction of a second each: mid-flight when the first one has finished."""
    return write_toml(folder, years=YEARS, children=100_000)


def tiny_sweep(folder: Path) -> Path:
    return write_toml(folder, years=1, children=2000, points=1, seeds=1)


class Sweep:
    """``python -m simulator sweep`` in its own session, its stderr read as it comes."""

    def __init__(self, toml: Path, out: Path, engine: str, *extra: str) -> None:
        cmd = [
            sys.executable,
            "-m",
            "simulator",
            "sweep",
            str(toml),
            "--out",
            str(out),
            "--engine",
            engine,
            *(["--workers", "2"] if engine != "inprocess" else []),  # in-process: no workers
            *extra,
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        os.set_blocking(self.proc.stderr.fileno(), False)
        self.err = b""

    def read(self) -> str:
        self.err += self.proc.stderr.read() or b""
        return self.err.decode(errors="replace")

    def wait_for_runs(self, n: int = 1, timeout: float = 90.0) -> None:
        """Until the progress bar shows ``n`` runs done (a cold numba cache makes the first slow)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [int(m) for m in re.findall(r"\| *(\d+)/\d+ \[", self.read())]
            if done and max(done) >= n:
                return
            assert self.proc.poll() is None, f"sweep ended early:\n{self.read()}"
            time.sleep(0.05)
        raise AssertionError(f"no run finished in {timeout} s:\n{self.read()}")

    def stop(self, sig: int, group: bool = False) -> float:
        """Send ``sig`` (to the whole group, as a terminal's Ctrl-C does) and time the exit."""
        t0 = time.monotonic()
        (os.killpg if group else os.kill)(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"sweep still running {STOP_WITHIN} s after {signal.Signals(sig).name}")
        return time.monotonic() - t0

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in group_processes(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def sweep_process():
    started: list[Sweep] = []

    def start(*args, **kwargs) -> Sweep:
        s = Sweep(*args, **kwargs)
        started.append(s)
        return s

    yield start
    for s in started:
        s.cleanup()


def check_partial(out: Path, signame: str, total: int = 8) -> pd.DataFrame:
    part = partial_path(out)
    assert part.name == out.name.replace(".parquet", ".partial.parquet")
    df = pd.read_parquet(part)  # a valid Parquet file
    info = read_partial_info(part)
    assert info is not None and info["complete"] is False and info["stopped_by"] == signame
    finished = {tuple(x) for x in df[["point", "replicate"]].drop_duplicates().to_numpy().tolist()}
    missing = {tuple(m) for m in info["missing"]}
    assert len(finished) == info["runs_finished"] >= 1
    assert missing and not finished & missing
    assert len(finished) + len(missing) == info["runs_total"] == total
    assert len(df) == YEARS * len(finished)  # every reported year of every finished run
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".part")]  # no temporary file
    return df


# -- signals, one engine at a time ------------------------------------------------------------


@needs_proc
def test_sigterm_stops_a_pool_sweep_keeps_finished_runs_and_the_earlier_file(tmp_path, sweep_process):
    out = tmp_path / "results.parquet"
    out.write_bytes(EARLIER)
    s = sweep_process(long_sweep(tmp_path), out, "pool", "--force")
    s.wait_for_runs(1)
    workers = [p for p in group_processes(s.proc.pid) if p != s.proc.pid]
    assert len(workers) >= 2  # the pool's workers (and multiprocessing's resource tracker)
    took = s.stop(signal.SIGTERM)
    assert s.proc.returncode == 128 + signal.SIGTERM, s.read()
    assert wait_group_gone(s.proc.pid) == []
    assert out.read_bytes() == EARLIER
    check_partial(out, "SIGTERM")
    err = s.read()
    assert "stopped by SIGTERM" in err and "results.partial.parquet" in err and "Traceback" not in err
    print(f"pool SIGTERM: stopped in {took:.2f} s")


@needs_proc
def test_ctrl_c_to_the_process_group_stops_a_pool_sweep_without_tracebacks(tmp_path, sweep_process):
    out = tmp_path / "results.parquet"
    s = sweep_process(long_sweep(tmp_path), out, "pool")
    s.wait_for_runs(1)
    took = s.stop(signal.SIGINT, group=True)  # a terminal's Ctrl-C reaches the workers too
    assert s.proc.returncode == 128 + signal.SIGINT, s.read()
    assert wait_group_gone(s.proc.pid) == []
    assert not out.exists()
    check_partial(out, "SIGINT")
    err = s.read()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    print(f"pool SIGINT to the group: stopped in {took:.2f} s")


@needs_proc
def test_sigint_stops_an_inprocess_sweep(tmp_path, sweep_process):
    out = tmp_path / "results.parquet"
    s = sweep_process(long_sweep(tmp_path), out, "inprocess")
    s.wait_for_runs(1)
    took = s.stop(signal.SIGINT)
    assert s.proc.returncode == 128 + signal.SIGINT, s.read()
    assert not out.exists()
    check_partial(out, "SIGINT")
    assert wait_group_gone(s.proc.pid) == []
    print(f"inprocess SIGINT: stopped in {took:.2f} s")


@needs_proc
@pytest.mark.slow
def test_sigterm_stops_a_dask_sweep_and_its_local_cluster(tmp_path, sweep_process):
    out = tmp_path / "results.parquet"
    s = sweep_process(long_sweep(tmp_path), out, "dask")
    s.wait_for_runs(1)
    took = s.stop(signal.SIGTERM)
    assert s.proc.returncode == 128 + signal.SIGTERM, s.read()
    assert wait_group_gone(s.proc.pid) == []
    assert not out.exists()
    check_partial(out, "SIGTERM")
    assert "Traceback" not in s.read()
    print(f"dask SIGTERM: stopped in {took:.2f} s")


@needs_proc
def test_pool_workers_exit_when_the_sweep_is_killed_outright(tmp_path, sweep_process):
    s = sweep_process(long_sweep(tmp_path), tmp_path / "results.parquet", "pool")
    s.wait_for_runs(1)
    assert len(group_processes(s.proc.pid)) >= 3
    os.kill(s.proc.pid, signal.SIGKILL)  # no handler runs: the workers must notice by themselves
    s.proc.wait()
    assert wait_group_gone(s.proc.pid, within=2.0) == []
    assert not (tmp_path / "results.parquet").exists()


def test_sigterm_in_process_becomes_an_orderly_stop(monkeypatch):
    """SIGTERM raises in the main thread like Ctrl-C; the runs finished are kept, the rest listed."""
    import simulator.sweep as sweep_mod

    sweep = parse_sweep(
        {
            "scenario": BASELINE,
            "seeds": {"count": 2},
            "overrides": {"run.years": 1, "population.children": 2000},
            "grid": {"risk_aversion.index": [0.9, 1.1]},
        },
        source="t",
    )
    real, calls = sweep_mod.run_task, []

    def run_task(task):
        calls.append(task)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises here
        return real(task)

    monkeypatch.setattr(sweep_mod, "run_task", run_task)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SweepStopped) as info:
        run_sweep(sweep, engine="inprocess", progress=False)
    stopped = info.value
    assert stopped.signum == signal.SIGTERM and stopped.total == 4
    assert stopped.missing == [(1, 0), (1, 1)]
    assert sorted(stopped.done["point"]) == [0, 0] and sorted(stopped.done["replicate"]) == [0, 1]
    assert signal.getsignal(signal.SIGTERM) is before  # the earlier handler is back


# -- the output file --------------------------------------------------------------------------


def _no_run(*args, **kwargs):
    raise AssertionError("the sweep ran before --out was checked")


@pytest.mark.parametrize("case", ["exists", "folder", "parent_is_file", "unwritable"])
def test_out_is_checked_before_any_run(tmp_path, monkeypatch, capsys, case):
    monkeypatch.setattr("simulator.commands.sweep.run_sweep", _no_run)
    toml = tiny_sweep(tmp_path)
    out = tmp_path / "r.parquet"
    if case == "exists":
        out.write_bytes(EARLIER)
        message = "exists"
    elif case == "folder":
        out = tmp_path / "d.parquet"
        out.mkdir()
        message = "is a folder"
    elif case == "parent_is_file":
        (tmp_path / "f").write_text("")
        out = tmp_path / "f" / "r.parquet"
        message = "is a file"
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere")
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        out = locked / "r.parquet"
        message = "permission denied"
    code = cli.main(["sweep", str(toml), "--out", str(out), "--engine", "inprocess", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0], err
    if case == "exists":
        assert out.read_bytes() == EARLIER


def test_force_replaces_the_earlier_file_whole(tmp_path):
    toml = tiny_sweep(tmp_path)
    out = tmp_path / "r.parquet"
    out.write_bytes(EARLIER)
    assert (
        cli.main(["sweep", str(toml), "--out", str(out), "--engine", "inprocess", "--quiet", "--force"]) == 0
    )
    assert len(pd.read_parquet(out)) == 1
    assert read_partial_info(out) is None  # a complete sweep
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.parquet", "s.toml"]


def test_full_disk_while_writing_leaves_the_earlier_file(tmp_path, monkeypatch, capsys):
    toml = tiny_sweep(tmp_path)
    out = tmp_path / "r.parquet"
    out.write_bytes(EARLIER)
    written = []

    def full_disk(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1" + b"\0" * 4096)  # part of a file, then the disk is full
        written.append(Path(where))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))

    monkeypatch.setattr(pq, "write_table", full_disk)
    code = cli.main(["sweep", str(toml), "--out", str(out), "--engine", "inprocess", "--quiet", "--force"])
    err = capsys.readouterr().err.strip().splitlines()
    assert written and written[0] != out  # written beside, not over, the earlier file
    assert code == 2
    assert len(err) == 1 and "No space left on device" in err[0] and "Traceback" not in err[0], err
    assert out.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.parquet", "s.toml"]  # no temp file


KILL_WHILE_WRITING = """
import sys, time
import pyarrow as pa
import pyarrow.parquet as pq

real = pq.write_table

def half_then_hang(table, where, **kwargs):
    sink = pa.BufferOutputStream()
    real(table, sink, **kwargs)
    data = sink.getvalue().to_pybytes()
    with open(where, "wb") as fh:
        fh.write(data[: len(data) // 2])
        fh.flush()
    print("HALF", where, flush=True)
    time.sleep(60)

pq.write_table = half_then_hang
from simulator import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_kill_9_while_writing_leaves_the_earlier_file(tmp_path):
    toml = tiny_sweep(tmp_path)
    out = tmp_path / "r.parquet"
    out.write_bytes(EARLIER)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(KILL_WHILE_WRITING),
            "sweep",
            str(toml),
            "--out",
            str(out),
            "--engine",
            "inprocess",
            "--quiet",
            "--force",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("HALF"), proc.stderr.read().decode()
        half = Path(line.split(maxsplit=1)[1].strip())
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert half != out and half.parent == out.parent and half.name.startswith(".")
    assert out.read_bytes() == EARLIER  # the destination never held the half-written file
    # what a kill -9 cannot clean up is a hidden temporary file, not a corrupt results file
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["r.parquet", "s.toml"]


def test_a_stopped_sweep_never_replaces_an_earlier_partial_file(tmp_path, capsys):
    """A second and third stop write results.partial-2.parquet and -3; the console names each."""
    from simulator.commands.sweep import _stopped

    sweep = parse_sweep({"scenario": BASELINE, "overrides": {"run.years": 1}}, source="t")
    out = tmp_path / "results.parquet"
    earlier = partial_path(out)
    earlier.write_bytes(EARLIER)
    done = pd.DataFrame({"sweep": ["t"], "point": [0], "replicate": [0], "year": [1]})
    stopped = SweepStopped(signal.SIGINT, done, [(0, 1)], 2)
    assert _stopped(stopped, sweep, str(out)) == 130
    err = capsys.readouterr().err
    second = tmp_path / "results.partial-2.parquet"
    assert f"kept them in {second}" in err and f"{earlier} exists and was left as it was" in err
    assert _stopped(stopped, sweep, str(out)) == 130
    third = tmp_path / "results.partial-3.parquet"
    assert f"kept them in {third}" in capsys.readouterr().err
    assert earlier.read_bytes() == EARLIER
    for part in (second, third):
        assert read_partial_info(part)["missing"] == [[0, 1]]
        assert pd.read_parquet(part)["point"].tolist() == [0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "results.partial-2.parquet",
        "results.partial-3.parquet",
        "results.partial.parquet",
    ]
