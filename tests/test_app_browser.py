"""The workshop app in a real browser: headless Chromium against ``python -m simulator app``.

One server for the module; the last test asserts that its log has no unhandled
exception across all of them. Screenshots go to a temporary folder (printed).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from browser_fixtures import app_server, chromium, result_number, slider, wait_for_result  # noqa: F401

pytestmark = pytest.mark.browser

LEVER = "risk_aversion.index"  # acts on the engine directly; the schema's step is 0.05
RISK_LABEL = "Risk aversion (starting index)"  # the panel's label of LEVER


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {path}")
    return path


def _external(requests: list[str]) -> list[str]:
    ok = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
    return [u for u in requests if not u.startswith(ok)]


def _open(chromium, url: str):  # noqa: F811 - the fixture's value
    context = chromium.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    wait_for_result(page, 0)
    return context, page, requests


def test_lever_preset_and_csv_download(app_server, chromium, shots, tmp_path):  # noqa: F811
    context, page, requests = _open(chromium, app_server.url)
    page.screenshot(path=str(shots / "01_opened.png"), full_page=True)
    n = result_number(page)
    before = page.locator(".chart-states").screenshot()
    stamp = page.locator(".run-stamp").text_content()

    # move a lever with the keyboard: one step to the right, released
    thumb = slider(page, LEVER)
    thumb.focus()
    page.keyboard.press("ArrowRight")
    n = wait_for_result(page, n)
    page.wait_for_timeout(300)  # let ECharts paint
    after = page.locator(".chart-states").screenshot()
    assert after != before, "the chart did not change after moving the lever"
    assert page.locator(".run-stamp").text_content() != stamp
    assert "custom" in page.locator(".run-stamp").text_content()
    assert thumb.get_attribute("aria-valuenow") == "1.05"
    page.screenshot(path=str(shots / "02_lever_moved.png"), full_page=True)

    # bad input in a number box: a message, and the lever keeps its value
    seed_box = page.locator(".seed-box input")
    seed_box.fill("not a seed")
    seed_box.press("Enter")
    page.locator(".input-error").first.wait_for()
    assert "run.seed" in page.locator(".input-error").first.text_content()
    assert thumb.get_attribute("aria-valuenow") == "1.05"
    assert result_number(page) == n
    # out of range in the lever's own box: the schema's bound in the message
    box = page.locator(".lever", has=page.locator(f'[data-path="{LEVER}"]')).locator(".lever-input input")
    box.fill("9")
    box.press("Enter")
    said = f"{RISK_LABEL} = 9.0"  # beside the control, by the lever's label (not its dotted path)
    page.get_by_text(said).wait_for()
    assert "3.0" in page.locator(".input-messages", has_text=said).text_content()
    assert thumb.get_attribute("aria-valuenow") == "1.05"
    assert result_number(page) == n
    page.screenshot(path=str(shots / "03_bad_input.png"), full_page=True)

    # pick a preset
    page.locator(".preset-picker").click()
    page.locator(".v-menu__content .v-list-item", has_text="Prevention investment").click()
    n = wait_for_result(page, n)
    assert "prevention_investment" in page.locator(".run-stamp").text_content()
    assert thumb.get_attribute("aria-valuenow") == "1", "a preset starts from its own settings"
    # the expected change (aggregate view) is drawn with the runs, and says what it is
    page.locator(".chart-expected svg").first.wait_for()
    assert "close to the average of many runs" in page.locator(".expected-note").text_content()
    page.screenshot(path=str(shots / "04_preset.png"), full_page=True)

    # download the annual table and check it
    with page.expect_download() as info:
        page.get_by_text("Annual table (CSV)").click()
    path = tmp_path / "annual.csv"
    info.value.save_as(path)
    df = pd.read_csv(path)
    assert set(df["run"]) == {"baseline", "scenario"}
    scen = df[df["run"] == "scenario"]
    assert len(scen) == 20 and scen["year"].tolist() == list(range(2025, 2045))
    assert scen["scenario"].iloc[0].startswith("baseline-prevention_investment")
    assert set(df["seed"]) == {42}
    for col in (
        "lac_31_march",
        "cp_31_march",
        "cin_31_march",
        "early_help_31_march",
        "lac_starts",
        "unmet_high_need_31_march",
    ):
        assert (df[col] >= 0).all() and df[col].sum() > 0, col

    # and the finance workbook opens
    with page.expect_download() as info:
        page.get_by_text("Finance workbook (Excel)").click()
    xlsx = tmp_path / "finance.xlsx"
    info.value.save_as(xlsx)
    sheets = pd.read_excel(io.BytesIO(xlsx.read_bytes()), sheet_name=None)
    assert len(sheets) >= 2

    # projector mode and the explainer page render
    page.locator(".projector-switch input").check(force=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "05_projector.png"), full_page=False)
    page.locator(".nav-explainer").first.click()
    page.get_by_text("The states children move through").wait_for()
    page.get_by_text("Evidence grades").wait_for()
    page.screenshot(path=str(shots / "06_explainer.png"), full_page=False)

    assert _external(requests) == [], "the page asked for something outside 127.0.0.1"
    context.close()


def test_two_sessions_do_not_share_levers_or_results(app_server, chromium, shots):  # noqa: F811
    ctx_a, a, req_a = _open(chromium, app_server.url)
    ctx_b, b, req_b = _open(chromium, app_server.url)
    stamp_b = b.locator(".run-stamp").text_content()
    n_a = result_number(a)
    thumb_a = slider(a, LEVER)
    thumb_a.focus()
    a.keyboard.press("ArrowLeft")
    n_a = wait_for_result(a, n_a)
    a.locator(".seed-box input").fill("7")
    a.locator(".seed-box input").press("Enter")
    wait_for_result(a, n_a)
    assert "seed 7" in a.locator(".run-stamp").text_content()
    assert thumb_a.get_attribute("aria-valuenow") == "0.95"
    b.wait_for_timeout(1000)
    assert b.locator(".run-stamp").text_content() == stamp_b
    assert slider(b, LEVER).get_attribute("aria-valuenow") == "1"
    assert b.locator(".seed-box input").input_value() == "42"
    assert re.search(r"seed 42", stamp_b)
    a.screenshot(path=str(shots / "07_session_a.png"), full_page=False)
    b.screenshot(path=str(shots / "08_session_b.png"), full_page=False)
    assert _external(req_a + req_b) == []
    ctx_a.close()
    ctx_b.close()


def test_no_unhandled_exception_in_server_log(app_server):  # noqa: F811
    log = app_server.stderr()
    bad = [
        line
        for line in log.splitlines()
        if re.search(r"Traceback|Exception|^ERROR|raised exception|Could not load URL", line)
    ]
    assert bad == [], "\n".join(bad[:20])
