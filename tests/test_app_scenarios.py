"""Scenarios in and out of the app: the scenario file (download, upload) and the link.

Component tests (no browser) run through an inline runner on a small population, as in
``test_app_components.py``; one browser test opens a link and uploads a bad file.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from pathlib import Path

import ipyvuetify as v
import pytest
from browser_fixtures import app_server, chromium, result_number, slider, wait_for_result  # noqa: F401

pytest.importorskip("solara")

import solara  # noqa: E402
import solara.server.starlette  # noqa: E402,F401 - reactive values are per session only under the server
from solara.server import kernel, kernel_context  # noqa: E402

from simulator.app import catalog, runs, scenario_io, state  # noqa: E402
from simulator.app.components.export import annual_csv  # noqa: E402
from simulator.app.pages import workshop  # noqa: E402
from simulator.schema import build_scenario, load_scenario, scenario_toml  # noqa: E402

SMALL = 3_000  # children: a 20-year run takes a fraction of a second
ROOT = Path(__file__).resolve().parents[1]
LEVER = "risk_aversion.index"
SPEND = "levers.prevention.spend_per_year"
HUBS = "levers.community_hubs.opening_dates"


@pytest.fixture(autouse=True)
def inline_runner(monkeypatch):
    """Run scenarios inline on a small population, with no paired runs (not under test here)."""
    real = runs.simulate

    def small(data, seed):
        data = dict(data)
        data["population"] = {**data["population"], "children": SMALL}
        data["run"] = {**data["run"], "sample_fraction": 1.0}  # England too: all of its small sample
        return real(data, seed)

    monkeypatch.setattr(runs, "simulate", small)
    monkeypatch.setattr(state, "request_bands", lambda *a, **k: None)
    monkeypatch.setattr(state, "prefetch_neighbours", lambda *a, **k: 0)
    runs.set_runner(runs.Runner(workers=0))
    yield
    runs.set_runner(None)


def new_session(name: str) -> kernel_context.VirtualKernelContext:
    return kernel_context.VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)


def _page(search: str | None = None):
    """The workshop page, opened at a link with ``search`` as its query string."""
    router = solara.routing.Router("/" + (f"?{search}" if search else ""), [])

    @solara.component
    def Opened():
        solara.routing.router_context.provide(router)
        workshop.Page()

    return solara.render(Opened(), handle_error=False)


def _settings() -> dict:
    snap = state._snapshot()
    return {**snap, "overrides": json.loads(json.dumps(snap["overrides"]))}


def _scenario_dump() -> dict:
    return state.outcome.value.scenario_scenario.model_dump(mode="json")


def _build_custom_session() -> None:
    """A preset, then levers (a number, a spend, hubs, a horizon) and a seed, all through the actions."""
    assert state.choose_preset("prevention_investment") is None
    assert state.set_lever(LEVER, 1.35)
    assert state.set_lever_text(SPEND, "1,250,000")
    assert state.set_lever_text("levers.community_hubs.catchment_families", "100")  # fits the small runs
    assert state.set_lever(HUBS, 2)
    assert state.set_lever_text("run.years", "8")
    assert state.set_seed_text("7")
    assert state.messages.value == []


# -- the scenario file ------------------------------------------------------------------------------------


def test_scenario_toml_round_trips_every_shipped_scenario(tmp_path):
    for path in sorted((ROOT / "scenarios").glob("*.toml")) + sorted((ROOT / "scenarios/la").glob("*.toml")):
        scenario = load_scenario(path)
        out = tmp_path / f"{path.stem}.toml"
        out.write_text(scenario_toml(scenario, "a comment"))
        again = load_scenario(out)  # from another folder: the file needs no base
        assert again.model_dump(exclude={"base"}) == scenario.model_dump(exclude={"base"}), path.name


def test_saved_file_loads_into_a_fresh_session_with_identical_tables(tmp_path):
    a, b = new_session("save-a"), new_session("save-b")
    with a:
        _, rc_a = _page()
        _build_custom_session()
        out = state.outcome.value
        assert out.scenario_scenario.name == "baseline-prevention_investment-custom"
        text = state.scenario_file(out)
        table_a, dump_a, settings_a = annual_csv(out), _scenario_dump(), _settings()
        buttons = [w for w in rc_a.find(v.Btn).widgets if "Scenario file (TOML)" in str(w.children)]
        assert len(buttons) == 1  # the download button
    assert text.startswith("# Saved from the workshop app: area ") and "seed 7" in text
    # the command line reads the file as the app ran it
    path = tmp_path / "saved.toml"
    path.write_text(text)
    assert load_scenario(path).model_dump(mode="json") == dump_a
    with b:
        _, rc_b = _page()
        first = state.outcome.value
        assert state.load_scenario_file("saved.toml", text.encode())
        assert state.outcome.value is not first and state.messages.value == []
        assert _scenario_dump() == dump_a
        assert annual_csv(state.outcome.value) == table_a  # byte for byte
        assert _settings()["area"] == settings_a["area"] and _settings()["preset"] == settings_a["preset"]
        assert state.seed.value == 7 and state.loaded_file.value == "saved.toml"
        slider = next(
            w
            for w in rc_b.find(v.Slider, class_="lever-slider").widgets
            if w.attributes["data-path"] == LEVER
        )
        assert slider.v_model == 1.35
    for ctx, rc in ((a, rc_a), (b, rc_b)):
        with ctx:
            rc.close()


def test_a_shipped_file_with_a_base_loads_as_the_command_line_reads_it():
    ctx = new_session("shipped")
    with ctx:
        _, rc = _page()
        data = (ROOT / "scenarios/prevention_investment.toml").read_bytes()  # base = "baseline.toml"
        assert state.load_scenario_file("prevention_investment.toml", data), state.messages.value
        want = load_scenario(ROOT / "scenarios/prevention_investment.toml")
        got = state.outcome.value.scenario_scenario
        skip = {"name", "description", "evidence", "base", "run"}
        assert got.model_dump(exclude=skip) == want.model_dump(exclude=skip)
        assert got.run.seed == want.run.seed and got.run.years == want.run.years
        rc.close()


BAD_FILES = {
    "unknown key": (b'name = "x"\n[levers.prevention]\nspend_per_yer = 1000000\n', "spend_per_yer"),
    "NaN": (b"[risk_aversion]\nindex = nan\n", "risk_aversion.index"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    "not TOML": (b"[run\nyears = 5\n", "not valid TOML"),
    "empty": (b"  \n", "empty"),
    "out of range": (b"[run]\nyears = 500\n", "run.years"),
    "bad base": (b'base = "../../etc/passwd"\n', "base"),
    "too large": (b"#" * 1_000_001, "bytes"),
}


def test_a_bad_file_shows_one_message_and_keeps_the_session():
    ctx = new_session("bad-files")
    with ctx:
        _, rc = _page()
        assert state.set_lever(LEVER, 1.2) and state.set_seed_text("9")
        kept = (_settings(), state.outcome.value)
        for case, (data, says) in BAD_FILES.items():
            assert state.load_scenario_file(f"{case}.toml", data) is False, case
            assert len(state.messages.value) == 1, (case, state.messages.value)
            line = state.messages.value[0]
            assert says in line and f"{case}.toml" in line and "csc-upload" not in line, (case, line)
            assert state.problem_field.value == scenario_io.FILE_FIELD
            assert (_settings(), state.outcome.value) == kept, case
            # shown once, beside the upload control
            alerts = [w for w in rc.find(v.Alert).widgets if catalog.in_words(line) in str(w.children)]
            assert len(alerts) == 1, case
        assert state.load_scenario_file("gone.toml", None) is False
        assert "did not send" in state.messages.value[0] and (_settings(), state.outcome.value) == kept
        rc.close()


# -- the link ---------------------------------------------------------------------------------------------


def test_link_round_trip_settings_to_query_to_settings():
    a, b = new_session("link-a"), new_session("link-b")
    with a:
        _, rc_a = _page()
        _build_custom_session()
        settings, query, dump = _settings(), state.link_query(peek=True), _scenario_dump()
        assert "preset=prevention_investment" in query and "seed=7" in query
        assert f"{LEVER}=1.35" in query and f"{HUBS}=2" in query and "area=" not in query
    with b:
        _, rc_b = _page(query)  # a new tab opened at the link
        assert _settings() == settings and state.messages.value == []
        assert _scenario_dump() == dump and state.link_query(peek=True) == query
    # England, with its sample fraction, and a value the panel does not show (after an upload)
    c = new_session("link-c")
    with c:
        _, rc_c = _page()
        state.choose_area("england")
        state.set_england_fraction_text("0.004")
        text = scenario_toml(state.current_scenario()).replace("[run]", "[run]\nstart_year = 2025", 1)
        assert state.load_scenario_file("england.toml", text.encode()), state.messages.value
        settings, query = _settings(), state.link_query(peek=True)
        assert "area=england" in query and "sample_fraction=0.004" in query and "run.start_year=2025" in query
    d = new_session("link-d")
    with d:
        _, rc_d = _page(query)
        assert _settings() == settings and state.messages.value == []
    for ctx, rc in ((a, rc_a), (b, rc_b), (c, rc_c), (d, rc_d)):
        with ctx:
            rc.close()


def test_a_bad_key_in_a_link_falls_back_for_that_key_only():
    good = {"seed": "5", LEVER: "1.5", SPEND: "2000000"}
    bad = {
        "area": "atlantis",
        "run.years": "nan",
        "levers.prevention.early_help_share": "7",  # out of the schema's range
        "levers.nope.x": "1",
        "run.seed": "3",
        HUBS: "1e9",
        "need.deprivation_ratio_per_decile": "NaN",
    }
    query = urllib.parse.urlencode({**good, **bad}) + "&seed=6"
    ctx = new_session("bad-link")
    with ctx:
        _, rc = _page(query)
        assert state.seed.value == 5
        assert catalog.get_path(state.overrides.value, LEVER) == 1.5
        assert catalog.get_path(state.overrides.value, SPEND) == 2_000_000.0
        assert state.area_key.value == "baseline" and state.outcome.value is not None
        lines = state.messages.value
        assert state.problem_field.value == scenario_io.LINK_FIELD
        assert len(lines) == len(bad) + 1, lines  # one per bad key, and the repeated seed
        for key in ("atlantis", "run.years", "early_help_share", "levers.nope.x", "run.seed", HUBS, "decile"):
            assert sum(key in line for line in lines) >= 1, (key, lines)
        assert not math.isnan(state.current_scenario().need.deprivation_ratio_per_decile)
        # the address now carries what was taken
        assert state.link_query(peek=True) == scenario_io.query_string(
            [("seed", "5"), (LEVER, "1.5"), (SPEND, "2000000.0")]
        )
        rc.close()


def test_an_empty_or_current_link_changes_nothing():
    ctx = new_session("same-link")
    with ctx:
        _, rc = _page()
        assert state.set_lever(LEVER, 1.1)
        kept = (_settings(), state.outcome.value)
        assert state.follow_link("") and state.follow_link(None)  # back from another page
        assert state.follow_link(state.link_query(peek=True))
        assert (_settings(), state.outcome.value) == kept and state.link_followed.value
        rc.close()


# -- in a browser --------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_link_sets_the_levers_and_a_bad_file_keeps_them(app_server, chromium, tmp_path):  # noqa: F811
    server = app_server
    context = chromium.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    query = scenario_io.query_string([("seed", "7"), (LEVER, "1.35"), (SPEND, "1250000.0")])
    page.goto(server.url + "?" + query)
    n = wait_for_result(page, 0)
    box = page.locator(".lever", has=page.locator(f'[data-path="{LEVER}"]')).locator(".lever-input input")
    assert box.input_value() == "1.35"
    assert slider(page, LEVER).get_attribute("aria-valuenow") == "1.35"
    spend = page.locator(".lever", has=page.locator(f'[data-path="{SPEND}"]')).locator(".lever-input input")
    assert spend.input_value() == "1,250,000"
    assert page.locator(".seed-box input").input_value() == "7"
    assert "custom" in page.locator(".run-stamp").text_content()
    assert page.evaluate("window.location.search") == "?" + query  # the address is the link
    # a bad file: one message beside the upload control, settings and results kept
    bad = tmp_path / "bad.toml"
    bad.write_text("[levers.prevention]\nspend_per_yer = 1\n")
    page.locator(".scenario-upload input[type=file]").set_input_files(str(bad))
    page.locator(".input-error", has_text="spend_per_yer").wait_for()
    assert page.locator(".input-error").count() == 1
    assert "bad.toml" in page.locator(".input-error").first.text_content()
    assert box.input_value() == "1.35" and page.locator(".seed-box input").input_value() == "7"
    assert result_number(page) == n
    context.close()
    log = server.stderr()
    assert "Traceback" not in log, log[-3000:]


# -- areas: every calibrated authority, levers kept per child ----------------------------------------


def test_every_calibrated_authority_can_be_chosen_and_is_fitted_when_chosen():
    from simulator.calibrate import la_table

    areas = {a.key: a for a in catalog.list_areas()}
    table = la_table()
    fitted = [a for a in areas.values() if a.la is not None]
    assert len(fitted) + 2 >= int(table["has_data"].sum())  # Kent and Leeds have files of their own
    bury = areas["la/bury"]
    assert "Bury" in bury.label and "North West" in bury.label
    data = bury.data()
    row = table.set_index("la_name").loc["Bury"]
    assert data["population"]["children"] == round(row["child_population"])
    assert data["start"]["lac_per_10k"] != catalog.get_path(areas["baseline"].data(), "start.lac_per_10k")
    scenario_toml(build_scenario(data))  # a fitted area saves as a scenario file


def test_area_switch_keeps_per_child_levers_per_child_and_says_so():
    ctx = new_session("area-switch")
    with ctx:
        _, rc = _page()
        state.set_lever(SPEND, 2_000_000.0)
        assert state.messages.value == []
        state.choose_area("la/bury")
        assert state.area_key.value == "la/bury" and state.messages.value == []
        children = catalog.get_path(catalog.list_areas()[0].data(), "population.children")
        bury = state.area(peek=True).data()["population"]["children"]
        spend = catalog.get_path(state.overrides.value, SPEND)
        assert spend == pytest.approx(2_000_000.0 * bury / children, rel=5e-3)
        assert "Kept per child" in state.area_note.value and "Bury" in state.area_note.value
        assert state.current_scenario().levers.prevention.spend_per_year == spend
        # an authority the calibration cannot fit is refused beside the area; the rest is kept
        before = _settings()
        state.choose_area("la/city_of_london")
        assert state.problem_field.value == "area" and "City of London" in " ".join(state.messages.value)
        assert _settings() == before
        rc.close()


def test_a_preset_for_the_typical_la_is_kept_per_child_in_another_area_and_says_so():
    """Prevention investment (£2m a year for 61,300 children) on Bury, then Kent: the spend is kept
    per child, in the scenario run and on the panel, with a note; Troubled Families' places too.
    A stale note from an earlier area change goes with a new preset."""
    ctx = new_session("preset-per-child")
    with ctx:
        _, rc = _page()
        typical = catalog.get_path(catalog.list_areas()[0].data(), "population.children")
        state.set_lever(SPEND, 1_000_000.0)
        state.choose_area("la/bury")
        assert "Kept per child" in state.area_note.value
        state.choose_preset("prevention_investment")
        assert state.messages.value == [] and state.overrides.value == {}
        bury = state.area(peek=True).data()["population"]["children"]
        spend = state.current_scenario().levers.prevention.spend_per_year
        assert spend == pytest.approx(2_000_000.0 * bury / typical, rel=5e-3)
        assert catalog.get_path(state.shown_values(), SPEND) == spend  # the panel shows what runs
        note = state.area_note.value
        assert (
            note.startswith("Preset Prevention investment is written for an area of 61,300")
            and "Bury" in note
        )
        assert "Kept per child for" not in note  # the earlier note went with the user's changes
        state.choose_area("la/kent")
        kent = state.area(peek=True).data()["population"]["children"]
        assert state.current_scenario().levers.prevention.spend_per_year == pytest.approx(
            2_000_000.0 * kent / typical, rel=5e-3
        )
        assert "Kent" in state.area_note.value
        state.choose_area("baseline")
        assert state.current_scenario().levers.prevention.spend_per_year == 2_000_000.0
        assert state.area_note.value == ""  # as written: nothing to say
        rc.close()
    # Troubled Families' places too (the catalog's rule; this module's runs are too small for them)
    tf = next(p for p in catalog.list_presets() if p.key == "troubled_families_continued")
    kent_area = next(a for a in catalog.list_areas() if a.key == "la/kent")
    changes, lines = catalog.preset_for(tf, kent_area)
    assert catalog.get_path(changes, "levers.troubled_families.places_per_year") == pytest.approx(
        400 * kent / typical, rel=5e-3
    )
    assert len(lines) == 1 and "400 ->" in lines[0]


def test_a_replay_of_another_period_is_not_offered_and_is_refused_by_name():
    """The 2006-2018 history starts in 2006; every area's baseline in 2024: never comparable."""
    assert "history_2006_2018" not in [p.key for p in catalog.list_presets()]
    ctx = new_session("preset-misfit")
    with ctx:
        _, rc = _page()
        before = _settings()
        state.choose_preset("history_2006_2018")
        assert state.problem_field.value == "preset" and state.preset_key.value == "none"
        assert "unknown preset" in " ".join(state.messages.value)
        assert _settings() == before
        rc.close()


def test_a_preset_written_for_another_size_or_period_says_why():
    history = catalog.Preset("history", "History", None, "", "", {"run": {"start_year": 2006}})
    national = catalog.Preset("national", "National", None, "", "", {"population": {"children": 11_100_000}})
    typical = next(a for a in catalog.list_areas() if a.key == "baseline")
    england = next(a for a in catalog.list_areas() if a.key == "england")
    assert "starts in 2006" in catalog.preset_misfit(history, england)
    why = catalog.preset_misfit(national, typical)
    assert "11,100,000 children" in why and "61,300" in why
    assert catalog.preset_misfit(national, england) == ""


def test_a_refused_pick_in_the_preset_box_shows_the_preset_in_force(monkeypatch):
    """The browser changes the box before the session decides; a refused pick is put back in the
    box (and the description below it stays the preset in force's)."""
    big = {"population": {"children": 11_100_000}}
    national = catalog.Preset("national", "National", None, "Written for all of England.", "", big)
    presets = [*catalog.list_presets(), national]
    monkeypatch.setattr(catalog, "list_presets", lambda *a, **k: presets)
    ctx = new_session("preset-box")
    with ctx:
        _, rc = _page()
        before = _settings()
        box = rc.find(v.Select, class_="preset-picker").widget
        box.v_model = "national"  # as the browser sends it
        assert state.problem_field.value == "preset"
        assert "11,100,000 children" in " ".join(state.messages.value)
        # a new box: the answer to the browser's own change in the same exchange never reaches it
        again = rc.find(v.Select, class_="preset-picker").widget
        assert again is not box and again.v_model == before["preset"] == "none"
        assert "Written for all of England" not in str([w.children for w in rc.find(v.Html).widgets])
        assert _settings() == before
        rc.close()
