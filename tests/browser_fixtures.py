"""Browser fixtures for the app's tests and benchmark: the whole app in a subprocess, headless Chromium.

Import the fixtures into a test module (``from browser_fixtures import app_server,
chromium``); ``tests/conftest.py`` is shared with other work and stays as it is.

- :func:`start_app` starts ``python -m simulator app --port N`` on 127.0.0.1 with its
  stderr captured to a file, and waits until it answers;
- :func:`launch_chromium` launches Debian's ``/usr/bin/chromium`` headless with the flags
  that keep it from calling home (shared/notes/solara-offline.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CSC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """A running app: its URL, process and captured logs."""

    url: str
    process: subprocess.Popen
    stderr_path: Path
    stdout_path: Path

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server (and so its worker processes)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_app(
    log_dir: Path, port: int | None = None, timeout: float = 240.0, env: dict[str, str] | None = None
) -> AppServer:
    """Start ``python -m simulator app`` on 127.0.0.1 and wait until the page answers."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    err, out = log_dir / "server.stderr.log", log_dir / "server.stdout.log"
    # the suite's other xdist worker keeps both cores busy: background workers at nice 19 would
    # get about 1.5% of a core and the expected change would not come (simulator.app.runs)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CSC_BACKGROUND_NICE": "0", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=out.open("w"),
        stderr=err.open("w"),
    )
    url = f"http://127.0.0.1:{port}/"
    server = AppServer(url, proc, err, out)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}:\n{server.stderr()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"app did not answer within {timeout:.0f} s:\n{server.stderr()[-3000:]}")


def launch_chromium(playwright, headless: bool = True):
    """Debian's Chromium, headless, without background networking."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=headless, args=CHROMIUM_ARGS)


def wait_for_result(page, after: int = 0, timeout: float = 120_000) -> int:
    """Wait until the page shows a result numbered above ``after``; return its number.

    Every chart is drawn by then, those out of view too (the app draws them when the browser is
    next idle: ``data-chart-pending`` marks one still to draw).
    """
    page.wait_for_function(
        """(after) => { const el = document.querySelector('.run-stamp');
             if (!el) return false; const m = el.textContent.match(/Result (\\d+)/);
             return m && parseInt(m[1]) > after && !document.querySelector('.run-busy')
               && !document.querySelector('[data-chart-pending]'); }""",
        arg=after,
        timeout=timeout,
        polling="raf",
    )
    return result_number(page)


def result_number(page) -> int:
    """The number of the result on screen (0 before the first)."""
    text = page.locator(".run-stamp").first.text_content() or ""
    import re

    m = re.search(r"Result (\d+)", text)
    return int(m.group(1)) if m else 0


def slider(page, path: str):
    """The focusable thumb of the lever slider for a scenario parameter."""
    return page.locator(f'[role="slider"][data-path="{path}"]').first


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[AppServer]:
    """The whole app, started as users start it, for the tests of one module."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    server = start_app(tmp_path_factory.mktemp("app-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """A headless Chromium (Playwright's sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()
