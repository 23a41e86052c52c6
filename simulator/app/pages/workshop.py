"""The workshop page: levers on the left, baseline and scenario results on the right."""

from __future__ import annotations

import solara

from simulator.app import catalog, state
from simulator.app.components import (AreaPicker, Downloads, LeverPanel, Messages, PresetPicker, Results,
                                      RunStamp, SeedBox, ViewOptions)


@solara.component
def Page() -> solara.Element:
    """Live what-ifs: move a lever, the scenario re-runs (baseline cached) and the charts redraw."""
    solara.use_effect(state.start, [])
    areas = catalog.list_areas()
    presets = catalog.list_presets()
    shown = state.shown_values()
    area = state.area()
    children = float(catalog.get_path(area.data(), "population.children", catalog.TYPICAL_LA_CHILDREN))
    specs = catalog.lever_panel(children)
    defaults = area.data()
    with solara.Columns([1, 3], classes=["workshop"]):
        with solara.Column(gap="8px", classes=["side-panel"]):
            AreaPicker(areas, state.area_key.value, state.choose_area, state.england_fraction.value,
                       state.set_england_fraction_text)
            PresetPicker(presets, state.preset_key.value, state.choose_preset)
            SeedBox(state.seed.value, state.set_seed_text)
            Messages(state.messages.value, state.dismiss_messages)
            ViewOptions(state.overlay.value, state.set_overlay, state.uncertainty.value, state.set_uncertainty,
                        state.projector.value, state.set_projector, state.reset)
            LeverPanel(specs, shown, defaults, state.set_lever, state.set_lever_text)
        with solara.Column(gap="8px"):
            with solara.Row(gap="16px", style={"align-items": "center", "flex-wrap": "wrap"}):
                RunStamp(state.outcome.value, state.status.value, state.runs_shown.value)
                Downloads(state.outcome.value)
            Results(state.outcome.value, state.bands.value, state.bands_status.value, state.overlay.value,
                    state.projector.value, state.sankey_year.value, state.set_sankey_year)
