"""Serve the workshop app with Solara, offline (what ``python -m simulator app`` starts).

Solara's front-end files come from the ``solara-assets`` package (no CDN); Solara's telemetry
and version check are switched off so the server makes no request to the internet either.
Worker processes for the runs are started (and the engine compiled in them) before the server
answers.
"""

from __future__ import annotations

import os
import warnings

# Solara reads its settings when it is imported: set before the import below. No "This website
# runs on Solara" corner: it sits over the charts and prints on the one-page summary.
os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")

import click  # noqa: E402 - Solara's command line is a click command
from solara.__main__ import cli  # noqa: E402 - after the settings it reads


def serve(host: str, port: int, workers: int | None = None, open_browser: bool = False) -> int:
    """Run the server until it stops; returns the exit code."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    # reacton's faster tree walk: set by simulator.app (imported below), one place for both
    if workers is not None:
        os.environ["CSC_APP_WORKERS"] = str(workers)
    from simulator.app.runs import get_runner

    argv = [
        "run",
        "simulator.app.main",
        "--host",
        str(host),
        "--port",
        str(port),
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]
    # served over plain http on the workshop's own machine, Solara falls back to samesite=lax
    # cookies, as it should, and says so at length on every page load: not news to the room
    warnings.filterwarnings(
        "ignore", message="Cookies with samesite=none require https", category=UserWarning
    )
    try:
        print("Preparing the model (a first start compiles the engine: about a minute)...", flush=True)
        get_runner().warm()
        print(f"Workshop app: http://{host}:{port}  (Ctrl+C to stop)", flush=True)
        cli.main(args=argv, prog_name="solara", standalone_mode=False)
    except SystemExit as exc:  # click may exit
        return int(exc.code or 0)
    except (click.exceptions.Abort, KeyboardInterrupt):  # Ctrl+C: click turns it into Abort
        print("Workshop app stopped.", flush=True)
        return 130
    finally:
        get_runner().shutdown()
    return 0
