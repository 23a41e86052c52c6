"""The workshop page: levers on the left, baseline and scenario results on the right.

Each part reads only the session values it shows, so a new result redraws the
charts without redrawing the lever panel, and a lever move redraws the panel
while the run is already under way.
"""

from __future__ import annotations

import solara

from simulator.app import catalog, state
from simulator.app.components import (
    AreaPicker,
    Downloads,
    ExpectedChange,
    LeverPanel,
    Messages,
    PresetPicker,
    Results,
    RunStamp,
    SeedBox,
    ViewOptions,
)


@solara.component
def Settings() -> solara.Element:
    """Area, preset, seed, messages and view options."""
    AreaPicker(catalog.list_areas(), state.area_key.value, state.choose_area, state.england_fraction.value,
               state.set_england_fraction_text)
    PresetPicker(catalog.list_presets(), state.preset_key.value, state.choose_preset)
    SeedBox(state.seed.value, state.set_seed_text)
    Messages(state.messages.value, state.dismiss_messages)
    ViewOptions(state.overlay.value, state.set_overlay, state.uncertainty.value, state.set_uncertainty,
                state.projector.value, state.set_projector, state.reset)


@solara.component
def Levers() -> solara.Element:
    """The lever panel for the chosen area, showing the values in force."""
    area = state.area()
    _ = (state.preset_key.value, state.overrides.value)  # redraw when these change
    defaults = area.data()
    children = float(catalog.get_path(defaults, "population.children", catalog.TYPICAL_LA_CHILDREN))
    LeverPanel(catalog.lever_panel(children), state.shown_values(), defaults, state.set_lever,
               state.set_lever_text, state.focus_lever)


@solara.component
def Stamp() -> solara.Element:
    """What is on screen, and the downloads."""
    with solara.Row(gap="16px", style={"align-items": "center", "flex-wrap": "wrap"}):
        RunStamp(state.outcome.value, state.status.value)
        Downloads(state.outcome.value)


@solara.component
def Charts() -> solara.Element:
    """The expected change, then every chart of the outcome on screen."""
    ExpectedChange(state.expected.value, state.outcome.value, state.projector.value)
    Results(state.outcome.value, state.bands.value, state.bands_status.value, state.overlay.value,
            state.projector.value, state.sankey_year.value, state.set_sankey_year,
            state.uncertainty.value)


@solara.component
def Page() -> solara.Element:
    """Live what-ifs: move a lever, the scenario re-runs (baseline cached) and the charts redraw."""
    solara.use_effect(state.start, [])
    with solara.Columns([1, 3], classes=["workshop"]):
        with solara.Column(gap="8px", classes=["side-panel"]):
            Settings()
            Levers()
        with solara.Column(gap="8px"):
            Stamp()
            Charts()
