"""The room layout at 1280x720 (a projector), normal and projector mode, in headless Chromium.

Charts are drawn as SVG, so their text can be measured: no legend is paged (ECharts draws a
pager "1/2" for one that is), no text of a chart runs outside it or over another text, the key
chart and the lever in use are inside the viewport, and projector mode's body text is at least
20 px. Screenshots of each view are saved (their folder is printed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_fixtures import app_server, chromium, result_number, slider, wait_for_result  # noqa: F401

ROOM = {"width": 1280, "height": 720}
SPEND = "levers.prevention.spend_per_year"

#: Every text of every chart: its box, its chart's box, and whether two texts of a chart overlap.
MEASURE = """() => {
  const out = {pagers: [], outside: [], overlaps: [], charts: 0};
  for (const chart of document.querySelectorAll('.chart')) {
    const svg = chart.querySelector('svg');
    if (!svg) continue;
    out.charts += 1;
    const frame = svg.getBoundingClientRect();
    const name = chart.className;
    const boxes = [];
    for (const t of svg.querySelectorAll('text')) {
      const text = (t.textContent || '').trim();
      if (!text) continue;
      const b = t.getBoundingClientRect();
      if (b.width === 0) continue;
      if (/^\\d+\\/\\d+$/.test(text)) out.pagers.push(name + ': ' + text);
      if (b.left < frame.left - 1 || b.right > frame.right + 1 || b.top < frame.top - 1)
        out.outside.push(name + ': ' + text);
      boxes.push([text, b]);
    }
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [ta, a] = boxes[i], [tb, b] = boxes[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 2 && h > 2) out.overlaps.push(name + ': ' + ta + ' / ' + tb);
      }
  }
  return out;
}"""


#: Texts on the page (outside the charts' own drawing and the print-only summary) set below 20 px.
SMALL_TEXT = """() => { const out = [];
  const walker = document.createTreeWalker(document.querySelector('.csc-app'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const txt = walker.currentNode.textContent.trim();
    const el = walker.currentNode.parentElement;
    if (!txt || el.closest('svg') || el.closest('.print-only')) continue;
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden') continue;
    if (parseFloat(st.fontSize) < 20) out.push(st.fontSize + ': ' + txt.slice(0, 40));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("room-screenshots")
    print(f"\nscreenshots: {path}")
    return path


def _measure(page) -> dict:
    page.wait_for_timeout(500)  # let ECharts lay out
    return page.evaluate(MEASURE)


def _inside_viewport(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"], box["y"] + box["height"]


@pytest.mark.browser
def test_room_layout_at_1280x720_normal_and_projector(app_server, chromium, shots):  # noqa: F811
    context = chromium.new_context(viewport=ROOM)
    page = context.new_page()
    page.goto(app_server.url)
    n = wait_for_result(page, 0, timeout=240_000)
    # a first-time room sees where to start, not a flat line
    assert page.locator(".start-hint").count() == 1 and page.locator(".chart-expected").count() == 0
    assert page.locator(".headline-card").count() >= 4
    page.screenshot(path=str(shots / "room_01_start.png"))

    # move the spend lever (keyboard, released): the key chart and the lever stay on screen
    thumb = slider(page, SPEND)
    thumb.focus()
    page.keyboard.press("ArrowRight")
    n = wait_for_result(page, n)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".chart-expected svg").first.wait_for()
    page.wait_for_timeout(500)
    top, bottom = _inside_viewport(page, ".chart-expected")
    assert top >= 0 and bottom <= ROOM["height"], (top, bottom)
    top, bottom = _inside_viewport(page, f'[role="slider"][data-path="{SPEND}"]')
    assert top >= 0 and bottom <= ROOM["height"], (top, bottom)
    page.screenshot(path=str(shots / "room_02_lever_moved.png"))
    found = _measure(page)
    assert found["charts"] >= 8
    assert not found["pagers"], found["pagers"]
    assert not found["outside"], found["outside"]
    assert not found["overlaps"], found["overlaps"]
    page.screenshot(path=str(shots / "room_03_all_charts.png"), full_page=True)

    # on paper: one page with the scenario's settings, the cards and the key charts
    page.emulate_media(media="print")
    summary = page.locator(".print-summary")
    assert summary.is_visible() and "Spend per year" in summary.text_content()
    assert not page.locator(".side-panel").first.is_visible()
    assert page.locator(".chart-expected").is_visible() and page.locator(".headline-card").first.is_visible()
    pdf = page.pdf(path=str(shots / "room_summary.pdf"), landscape=True, format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1, pages
    page.emulate_media(media="screen")

    # projector mode: large type, charts still laid out, sliders wide enough to use
    page.get_by_text("Projector mode").click()
    page.wait_for_function("() => document.querySelectorAll('.chart svg').length >= 8")
    page.wait_for_timeout(1000)
    found = _measure(page)
    assert not found["pagers"], found["pagers"]
    assert not found["outside"], found["outside"]
    assert not found["overlaps"], found["overlaps"]
    body = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.expected-note')).fontSize)"
    )
    assert body >= 20, body
    small = page.evaluate(SMALL_TEXT)  # every text on screen outside the charts, not one note
    assert not small, small
    track = page.locator(".lever", has=page.locator(f'[data-path="{SPEND}"]')).locator(".v-slider").first
    width = track.bounding_box()["width"]
    assert width >= 180, width
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "room_04_projector.png"))
    page.screenshot(path=str(shots / "room_05_projector_all.png"), full_page=True)
    assert result_number(page) >= n
    context.close()


def _below(page, upper: str, lower: str) -> tuple[float, float]:
    """The bottom of ``upper``'s box and the top of ``lower``'s (both the first match)."""
    a = page.locator(upper).first.bounding_box()
    b = page.locator(lower).first.bounding_box()
    assert a is not None and b is not None, (upper, lower)
    return a["y"] + a["height"], b["y"]


@pytest.mark.browser
def test_england_sample_fraction_box_sits_under_the_area_box(app_server, chromium, shots):  # noqa: F811
    """England shows its sample fraction under the area box: the fraction's label clear of the
    area box, normal and projector mode."""
    context = chromium.new_context(viewport=ROOM)
    page = context.new_page()
    page.goto(app_server.url)
    n = wait_for_result(page, 0, timeout=240_000)
    page.locator(".area-picker input").first.click()
    page.keyboard.type("England")
    page.get_by_role("option", name="England").first.click()
    wait_for_result(page, n, timeout=240_000)
    page.locator(".fraction-box").first.wait_for()
    for mode in ("normal", "projector"):
        if mode == "projector":
            page.get_by_text("Projector mode").click()
            page.wait_for_timeout(1000)
            page.evaluate("window.scrollTo(0, 0)")
        bottom, top = _below(page, ".area-picker", ".fraction-box label")
        assert top >= bottom - 1, (mode, bottom, top)
        page.screenshot(path=str(shots / f"room_06_england_{mode}.png"))
    context.close()
