"""``app``: start the workshop app (Solara) on this machine, offline.

``python -m simulator app [--host 127.0.0.1] [--port 8765]`` serves the app on
localhost by default. Solara's front-end files come from the ``solara-assets``
package (no CDN); Solara's telemetry and version check are switched off so the
server makes no request to the internet either. Worker processes for the runs
are started (and the engine compiled in them) before the server answers.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``app``."""
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for simulation runs (default: cores, at most 2)",
    )
    p.add_argument("--open", action="store_true", help="open a browser tab")


#: Most worker processes ``--workers`` may ask for (the runs of one workshop need a few).
MAX_WORKERS = 64


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse a port outside 1-65535 or a worker count outside 1-:data:`MAX_WORKERS` (exit code 2)."""
    from simulator.cli import UsageError

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port = {args.port}: allowed: 1-65535 (a TCP port; the default is 8765)")
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers = {args.workers}: allowed: 1-{MAX_WORKERS} worker processes")


def main(args: argparse.Namespace) -> int:
    """Start the server; returns when it stops."""
    check_arguments(args)  # before anything starts
    try:
        from simulator.app.serve import serve
    except ImportError:
        print(
            "error: the app needs the 'app' extra: pip install 'csc-demand-simulator[app]'", file=sys.stderr
        )
        return 2
    return serve(args.host, args.port, workers=args.workers, open_browser=args.open)
