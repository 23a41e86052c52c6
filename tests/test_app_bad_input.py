"""Bad input in every box of the app, in a real browser: a message beside the field, nothing lost.

One server and one page for the module (see ``browser_fixtures``). Each case types one bad
value (``nan``, ``inf``, ``1e300``, ``-1``, text) into one lever box (every box), or the seed
box, and checks that a message beside that box names the field, the value and what is
allowed; that nothing runs; that the other settings (a changed lever, another lever, the
seed) and the results on screen (run stamp, money headline, chart) are as they were; then
puts the box back, which clears the message and runs nothing. A value the schema allows
(``-1`` for the capacity change) runs instead. One
case makes the model itself refuse a value (more Troubled Families places than the area
has eligible families): the value is put back and the results stay. The last test reads the
server's log: the expected warnings, and no traceback.
"""

from __future__ import annotations

import math
import re

import pytest
from browser_fixtures import app_server, chromium, result_number, wait_for_result  # noqa: F401

from simulator.app import catalog

pytestmark = pytest.mark.browser

SPECS = {s.path: s for s in catalog.lever_panel()}  # the typical LA, the page's first area
BAD = ["nan", "inf", "1e300", "-1", "abc"]
KEPT_LEVER, KEPT_VALUE = "risk_aversion.index", "1.2"  # a changed setting that must survive
OTHER_LEVER = "levers.prevention.spend_per_year"  # and an unchanged one (or run.years, if under test)


def _lever(page, path: str):
    return page.locator(".lever", has=page.locator(f'[data-path="{path}"]'))


def _box(page, path: str):
    return _lever(page, path).locator(".lever-input input")


def _allowed(path: str, text: str) -> bool:
    """Whether the value is one the box takes (then it runs instead of being refused)."""
    try:
        x = float(text)
    except ValueError:
        return False
    lo, hi = catalog.typed_range(SPECS[path])
    return math.isfinite(x) and lo <= x <= hi


def _names_value(msg: str, text: str) -> bool:
    forms = {text, repr(text)}
    try:
        x = float(text)
        forms |= {repr(x), f"{x:g}", str(int(x)) if math.isfinite(x) and x == int(x) else text}
    except ValueError:
        pass
    return any(f"= {f}" in msg for f in forms)


#: Everything a case reads, in one round trip: the message beside the lever under test (if any),
#: every message on the page, the results on screen and the other settings.
SCREEN_JS = """(path) => {
  const lever = (p) => [...document.querySelectorAll('.lever')]
      .find(l => l.querySelector(`[data-path="${p}"]`));
  const box = (p) => { const l = lever(p); return l ? l.querySelector('.lever-input input').value : null; };
  const text = (sel) => { const e = document.querySelector(sel); return e ? e.textContent : null; };
  const own = lever(path) ? lever(path).querySelector('.input-error') : null;
  return {message: own ? own.textContent : null,
          messages: document.querySelectorAll('.input-error').length,
          box: box(path),
          stamp: text('.run-stamp'), busy: !!document.querySelector('.run-busy'),
          headline: text('.money-headline'),
          chart: !!document.querySelector('.chart-states svg'),
          seed: document.querySelector('.seed-box input').value,
          others: ["KEPT", "OTHER", "run.years"].filter(p => p !== path).slice(0, 2).map(box)};
}""".replace("KEPT", KEPT_LEVER).replace("OTHER", OTHER_LEVER)


def _screen(page, path: str) -> dict:
    return page.evaluate(SCREEN_JS, path)


def _wait_screen(page, path: str, condition: str, timeout: float = 15_000) -> dict:
    """Wait until ``condition`` (JavaScript, on ``s`` = the screen) holds; return the screen."""
    js = f"(path) => {{ const s = ({SCREEN_JS})(path); return ({condition}) && s; }}"
    handle = page.wait_for_function(js, arg=path, timeout=timeout, polling=50)
    return handle.json_value()


def _kept(screen: dict) -> tuple:
    """What must not change when a value is refused: results on screen and the other settings."""
    return (screen["stamp"], screen["headline"], screen["chart"], screen["seed"], tuple(screen["others"]))


def _settle(page) -> None:
    """Wait until the paired runs behind the headline are all in (it stops changing)."""
    page.wait_for_function(
        """() => { const h = document.querySelector('.money-headline');
             return h && /\\d+ paired runs/.test(h.textContent) && !h.textContent.includes('refining')
               && !h.textContent.includes('1 run only') && !document.querySelector('.run-busy'); }""",
        timeout=300_000,
        polling=250,
    )


@pytest.fixture(scope="module")
def app_page(app_server, chromium):  # noqa: F811 - the fixtures' values
    context = chromium.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    page.goto(app_server.url)
    n = wait_for_result(page, 0, timeout=300_000)  # generous: the machine may be shared
    for panel in page.locator(".lever-panel .v-expansion-panel").all():  # open every group
        if "v-expansion-panel--active" not in (panel.get_attribute("class") or ""):
            panel.locator(".v-expansion-panel-header").click()
    box = _box(page, KEPT_LEVER)
    box.fill(KEPT_VALUE)
    box.press("Enter")
    wait_for_result(page, n, timeout=300_000)
    _settle(page)
    yield page
    context.close()


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("path", list(SPECS))
def test_bad_value_in_a_lever_box(app_page, path, text):
    page = app_page
    box = _box(page, path)
    before = _screen(page, path)
    assert before["message"] is None and before["chart"], before
    box.fill(text)
    box.press("Enter")
    if _allowed(path, text):  # the schema allows it: it runs, and the box is put back after
        n = wait_for_result(page, result_number(page))
        assert _screen(page, path)["messages"] == 0
        box.fill(before["box"])
        box.press("Enter")
        wait_for_result(page, n)
        _settle(page)
        return
    now = _wait_screen(page, path, "s.message")
    msg = now["message"]
    # beside the control the lever is named by its label (the session's log keeps the path)
    assert msg.startswith(f"{SPECS[path].label} = ") and _names_value(msg, text), msg
    assert "allowed" in msg or "must be" in msg, f"the message says what is allowed: {msg}"
    assert now["messages"] == 1, "one message, beside the field"
    assert now["box"] == text, "the typed text stays in the box, marked, for correcting"
    assert _kept(now) == _kept(before), "a setting or the results on screen changed"
    assert not now["busy"], "nothing runs"
    # put the box back: its value in force clears the message and runs nothing
    box.fill(before["box"])
    box.press("Enter")
    after = _wait_screen(page, path, "s.messages === 0")
    assert _kept(after) == _kept(before) and after["box"] == before["box"]


@pytest.mark.parametrize("text", BAD)
def test_bad_value_in_the_seed_box(app_page, text):
    page = app_page
    box = page.locator(".seed-box input")
    before = _screen(page, "")
    box.fill(text)
    box.press("Enter")
    now = _wait_screen(page, "", "s.messages > 0")
    msg = page.locator(".input-error").first.text_content() or ""
    assert "run.seed" in msg and "allowed" in msg, msg
    assert _kept(now)[:3] == _kept(before)[:3] and now["others"] == before["others"]
    box.fill(before["seed"])
    box.press("Enter")
    after = _wait_screen(page, "", "s.messages === 0")
    assert _kept(after) == _kept(before)


def test_a_value_the_model_refuses_is_put_back_and_the_results_stay(app_page):
    """Within the schema's range, but more places than the area has eligible families: the run
    fails in the worker; the box shows the value in force again, with the model's message."""
    page = app_page
    path = "levers.troubled_families.places_per_year"
    before = _screen(page, path)
    box = _box(page, path)
    box.fill("60000")
    box.press("Enter")
    now = _wait_screen(page, path, f"s.message && s.box === {before['box']!r} && !s.busy", timeout=60_000)
    msg = now["message"]
    assert "eligible families" in msg and "60000" in msg and "allowed" in msg, msg
    assert _kept(now) == _kept(before)
    _lever(page, path).get_by_text("Dismiss").click()
    _wait_screen(page, path, "s.messages === 0")


def test_the_server_log_has_the_expected_warnings_and_no_traceback(app_server):  # noqa: F811
    log = app_server.stderr()
    assert "Traceback" not in log, log[-3000:]
    bad = [
        line
        for line in log.splitlines()
        if re.search(r"Exception|^ERROR|raised exception|Could not load URL", line)
    ]
    assert bad == [], "\n".join(bad[:20])
    assert "run failed (levers.troubled_families.places_per_year)" in log, log[-3000:]
