"""The workshop page: levers on the left, baseline and scenario results on the right.

Each part reads only the session values it shows, so a new result redraws the
charts without redrawing the lever panel, and a lever move redraws the panel
while the run is already under way.
"""

from __future__ import annotations

import solara

from simulator.app import catalog, scenario_io, state
from simulator.app.components import (
    AddressBar,
    AreaPicker,
    Downloads,
    ExpectedChange,
    HeadlineCards,
    KeepButton,
    KeptRuns,
    LeverPanel,
    Messages,
    PresetPicker,
    PrintSummary,
    Results,
    RunStamp,
    ScenarioUpload,
    SeedBox,
    StartHint,
    ViewOptions,
)

#: Fields of the settings column; a message about any other field (a lever's) is shown in the panel.
SETTING_FIELDS = (
    "area",
    "run.sample_fraction",
    "preset",
    "kept",
    "run.seed",
    scenario_io.FILE_FIELD,
    scenario_io.LINK_FIELD,
)


@solara.component
def FieldMessages(fields: tuple[str, ...]) -> solara.Element:
    """The messages, if they are about one of ``fields`` (``""``: about no field in particular)."""
    field = state.problem_field.value
    lines = state.messages.value
    mine = field in fields or (
        "" in fields and field not in SETTING_FIELDS and catalog.lever_index().get(field) is None
    )
    Messages(lines if mine else [], state.dismiss_messages)


@solara.component
def Place() -> solara.Element:
    """Area and preset, first in the panel; a message beside the field it is about."""
    refused = state.refusals.value  # a refused pick is drawn afresh with the value in force
    AreaPicker(
        catalog.list_areas(),
        state.area_key.value,
        state.choose_area,
        state.england_fraction.value,
        state.set_england_fraction_text,
        revision=refused,
    )
    if state.area_note.value:
        solara.Text(state.area_note.value, classes=["area-note"])
    FieldMessages(("area", "run.sample_fraction"))
    PresetPicker(catalog.list_presets(), state.preset_key.value, state.choose_preset, revision=refused)
    FieldMessages(("preset",))


@solara.component
def Settings() -> solara.Element:
    """Seed, scenario file and view options, below the levers; messages beside their fields."""
    SeedBox(state.seed.value, state.set_seed_text)
    FieldMessages(("run.seed", ""))
    ScenarioUpload(state.load_scenario_file, state.loaded_file.value)
    FieldMessages((scenario_io.FILE_FIELD, scenario_io.LINK_FIELD))
    ViewOptions(
        state.overlay.value,
        state.set_overlay,
        state.uncertainty.value,
        state.set_uncertainty,
        state.projector.value,
        state.set_projector,
        state.reset,
    )
    solara.Text(
        "Print the page (Ctrl+P) for a one-page summary: the settings changed, the headline figures "
        "and the two key charts.",
        classes=["print-hint"],
        style={"font-size": "0.85em", "color": "#444"},
    )


@solara.component
def Levers() -> solara.Element:
    """The lever panel for the chosen area, showing the values in force."""
    area = state.area()
    _ = (state.preset_key.value, state.overrides.value)  # redraw when these change
    defaults = area.data()
    children = float(catalog.get_path(defaults, "population.children", catalog.TYPICAL_LA_CHILDREN))
    field, lines = state.problem_field.value, state.messages.value
    problems = {field: lines} if lines and catalog.lever_index().get(field) is not None else {}
    LeverPanel(
        catalog.lever_panel(children),
        state.shown_values(),
        defaults,
        state.set_lever,
        state.set_lever_text,
        state.focus_lever,
        problems,
        state.dismiss_messages,
        state.set_lever_year,
    )


@solara.component
def Stamp() -> solara.Element:
    """What is on screen, and the downloads."""
    with solara.Row(gap="16px", style={"align-items": "center", "flex-wrap": "wrap"}):
        RunStamp(state.outcome.value, state.status.value)
        Downloads(state.outcome.value)
        if state.outcome.value is not None:
            KeepButton(state.kept.value, state.keep_run)


@solara.component
def Kept() -> solara.Element:
    """Runs kept by name and two of them compared; a message beside them if an action failed."""
    if state.outcome.value is None:
        return
    KeptRuns(
        state.kept.value,
        state.compared.value,
        state.compare_runs,
        state.restore_run,
        state.forget_runs,
        state.projector.value,
    )
    FieldMessages(("kept",))


@solara.component
def Charts() -> solara.Element:
    """The expected change, then every chart of the outcome on screen.

    If drawing them fails, a message takes their place (no traceback on the page) and the error
    is logged; the next result, or a change of view, tries again.
    """
    error, clear = solara.use_exception()
    outcome, view = state.outcome.value, (state.overlay.value, state.projector.value)

    def retry() -> None:
        if error is not None:
            clear()

    solara.use_effect(retry, [id(outcome), *view])
    if error is not None:
        state.log.warning("drawing the results failed: %s", state.describe(error))
        solara.Error(
            f"The charts of this result could not be drawn ({state.describe(error)}). "
            "The settings are unchanged; change a setting to try again.",
            classes=["charts-error"],
        )
        return
    PrintSummary(outcome, state.area(peek=True).label)
    HeadlineCards(outcome, state.bands.value, state.projector.value)
    if state.preset_key.value == "none" and not state.overrides.value:
        StartHint()
    else:
        ExpectedChange(state.expected.value, outcome, state.projector.value, state.expected_wanted.value)
    Results(
        outcome,
        state.bands.value,
        state.bands_status.value,
        state.overlay.value,
        state.projector.value,
        state.sankey_year.value,
        state.set_sankey_year,
        state.uncertainty.value,
    )


@solara.component
def Link() -> solara.Element:
    """The page's address, kept to the settings in force: a link that reproduces them."""
    AddressBar(state.link_query(), state.link_followed.value)


@solara.component
def Page() -> solara.Element:
    """Live what-ifs: move a lever, the scenario re-runs (baseline cached) and the charts redraw.

    The page's link is read first: settings in its query string are set before the first run
    (:func:`simulator.app.state.follow_link`).
    """
    search = solara.use_router().search or ""

    def follow() -> None:  # an effect returns nothing (or its cleanup)
        state.follow_link(search)

    solara.use_effect(follow, [search])
    solara.use_effect(state.start, [])
    Link()
    with solara.Columns([1, 3], classes=["workshop"]):
        with solara.Column(gap="8px", classes=["side-panel"]):
            Place()
            Levers()
            Settings()
        with solara.Column(gap="8px"):
            Stamp()
            Charts()
            Kept()
