"""Helpers for tests that start a command in its own process group and stop it as a terminal does."""

from __future__ import annotations

import signal
import time
from pathlib import Path


def group_processes(pgid: int) -> list[int]:
    """Live processes (zombies excluded: they have ended) whose process group is ``pgid``."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.append(int(d.name))
    return found


def wait_group_gone(pgid: int, within: float = 1.5) -> list[int]:
    """The group's processes still alive after at most ``within`` seconds (empty once all ended)."""
    deadline = time.monotonic() + within
    while (left := group_processes(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def ctrl_c_as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: pytest-xdist's workers ignore SIGINT, and a child
    inherits an ignored signal (Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
