"""Latency from lever release to redrawn charts in the workshop app, measured in a real browser.

Starts ``python -m simulator app`` (or uses ``--url``), opens it in headless Chromium,
and moves the prevention-spend lever one step at a time with the keyboard (each step a
new value, so nothing comes from the cache). For each step it times, from the key press,
until the page shows the new result and the browser has painted two frames after it
(``samples_s``: the charts in view are redrawn; the page is watched for changes, not polled).
Charts out of view are redrawn when the browser is next idle; ``every_chart_s`` times until
they are drawn too. Typical LA, 20 years, one seed (the app's defaults). Prints JSON.

By default the app runs the lever's next step up and down ahead of time while the
room talks (``--pause`` seconds between moves), as it does for a facilitator;
``--no-prefetch`` measures every move as a cold run of the engine.

Usage:
    .venv/bin/python benchmarks/bench_app_latency.py [--repeats 15] [--no-prefetch] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser_fixtures import launch_chromium, result_number, slider, start_app, wait_for_result  # noqa: E402

LEVER = "levers.prevention.spend_per_year"
PAINT = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
#: Resolves once the page shows a result numbered above ``after`` and nothing is updating. It
#: watches the page's changes (a MutationObserver) rather than polling: Playwright's polling on
#: every animation frame made the browser draw 60 frames a second while the engine ran (3-4 ms
#: of its main thread each, 20% of a core), work a room's browser does not do.
SHOWN = """(after) => { window.__shown = new Promise((resolve, reject) => {
  const done = () => { const el = document.querySelector('.run-stamp');
    if (!el) return false; const m = el.textContent.match(/Result (\\d+)/);
    return m && parseInt(m[1]) > after && !document.querySelector('.run-busy'); };
  if (done()) { resolve(true); return; }
  const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(true); } });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  setTimeout(() => { obs.disconnect(); reject(new Error('no result within 60 s')); }, 60000);
}); }"""


def measure(url: str, repeats: int, lever: str, key: str, pause: float) -> dict:
    """Move ``lever`` ``repeats`` times and time each redraw."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 720})  # a projector
        page.goto(url)
        n = wait_for_result(page, 0)
        thumb = slider(page, lever)
        thumb.focus()
        samples, engine, every = [], [], []
        for i in range(repeats + 1):
            time.sleep(pause)  # the facilitator talks; the workers are idle
            page.evaluate(SHOWN, n)  # watching before the key goes down
            t0 = time.perf_counter()
            page.keyboard.press(key)
            page.evaluate("() => window.__shown")
            page.evaluate(PAINT)
            dt = time.perf_counter() - t0
            # the charts out of view, drawn when the browser is next idle (not what the room sees)
            page.wait_for_function("() => !document.querySelector('[data-chart-pending]')", polling=10)
            page.evaluate(PAINT)
            dt_all = time.perf_counter() - t0
            n = result_number(page)
            stamp = page.locator(".run-stamp").text_content() or ""
            m = re.search(r"engine ([\d.]+) s", stamp)
            if i == 0:
                continue  # the first move warms the page's handlers
            samples.append(dt)
            every.append(dt_all)
            engine.append(float(m.group(1)) if m else float("nan"))
        value = thumb.get_attribute("aria-valuenow")
        browser.close()
    return {
        "samples_s": [round(x, 3) for x in samples],
        "every_chart_s": [round(x, 3) for x in every],
        "engine_s": engine,
        "final_value": value,
        "results_shown": n,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None, help="an app already running (default: start one)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--lever", default=LEVER)
    ap.add_argument("--key", default="ArrowRight")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between moves")
    ap.add_argument(
        "--no-prefetch",
        action="store_true",
        help="do not run the next lever step ahead of time (every move is a cold run)",
    )
    args = ap.parse_args()
    server = None
    url = args.url
    if url is None:
        server = start_app(
            Path(tempfile.mkdtemp(prefix="bench-app-")),
            env={
                "CSC_APP_PREFETCH": "0" if args.no_prefetch else "1",
                # the app as the README starts it: its background workers at nice 19 (the test
                # suite's fixture lowers that because xdist keeps both cores busy)
                "CSC_BACKGROUND_NICE": os.environ.get("CSC_BACKGROUND_NICE", "19"),
                "CSC_APP_TIMING": "1",
            },
        )
        url = server.url
    try:
        t = time.perf_counter()
        out = measure(url, args.repeats, args.lever, args.key, args.pause)
        s = sorted(out["samples_s"])
        report = {
            "benchmark": "app latency: lever release to redrawn charts (browser)",
            "area": "typical LA (scenarios/baseline.toml)",
            "years": 20,
            "seeds": 1,
            "lever": args.lever,
            "moves": len(s),
            "pause_between_moves_s": args.pause,
            "prefetch": None if args.url else not args.no_prefetch,
            "median_s": round(statistics.median(s), 3),
            "p10_s": round(s[max(0, int(0.1 * len(s)) - 1)], 3) if s else None,
            "p90_s": round(s[min(len(s) - 1, int(0.9 * len(s)))], 3) if s else None,
            "min_s": s[0] if s else None,
            "max_s": s[-1] if s else None,
            "engine_median_s": round(statistics.median(out["engine_s"]), 3),
            "every_chart_median_s": round(statistics.median(out["every_chart_s"]), 3),
            "target_s": 0.5,
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "wall_s": round(time.perf_counter() - t, 1),
            **out,
        }
        report["meets_target"] = report["median_s"] <= 0.5
        print(json.dumps(report, indent=2))
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
