"""The explainer page: each state and lever in plain language, with its evidence."""

from __future__ import annotations

import solara

from simulator.app import catalog
from simulator.app.components import Explainer


@solara.component
def Page() -> solara.Element:
    """States, levers and presets explained (text from the schema and the scenario files)."""
    Explainer(catalog.lever_panel(), catalog.list_presets())
