"""Ctrl+C in the terminal stops the workshop app quietly: one line, no traceback, no process left.

A terminal sends SIGINT to the whole process group: the server and its worker processes. Found
by hand (6 Dec 2026): each worker printed a KeyboardInterrupt traceback and the server click's
``Abort``; the workers now leave the signal to the server, which stops them (held back from
them while they start, before their initializer runs: a fresh-clone CI run caught that window).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser_fixtures import ROOT, free_port
from process_groups import ctrl_c_as_in_a_terminal, group_processes, wait_group_gone

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


@pytest.mark.parametrize("when", ["workers_starting", "page_answers"])
def test_ctrl_c_stops_the_app_and_its_workers_without_a_traceback(tmp_path, when):
    """Ctrl+C while the workers are still starting (importing the model: a fresh-clone CI run
    caught tracebacks there), or once the page answers."""
    port = free_port()
    out = (tmp_path / "server.log").open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CSC_BACKGROUND_NICE": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=ctrl_c_as_in_a_terminal,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            if when == "workers_starting":
                if len(group_processes(proc.pid)) > 1:  # a worker has been started
                    break
                time.sleep(0.01)
                continue
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        assert len(group_processes(proc.pid)) > 1, "the app should have worker processes"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C, as a terminal sends it
        assert proc.wait(timeout=30) == 130
        assert wait_group_gone(proc.pid, within=5.0) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()
    log = (tmp_path / "server.log").read_text()
    last = log.strip().splitlines()[-1]
    assert last in ("Workshop app stopped.", "interrupted"), log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log and "Abort" not in log, log
