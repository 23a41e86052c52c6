"""An ECharts figure whose option travels as JSON text.

Solara's ``FigureEcharts`` passes the option as a nested dict; the renderer walks
every nested value of a component's arguments on each render (looking for child
elements), which costs hundreds of milliseconds with a dozen charts of 20 years of
data. As one string the option is compared and sent in one piece. The template is
Solara's own (``assets/echarts_json.vue``), loading ECharts from the locally served
assets (``solara-assets``), so it works with no internet.
"""

from __future__ import annotations

import json
from typing import Any

import ipyvuetify
import solara
import traitlets


class EchartsJsonWidget(ipyvuetify.VuetifyTemplate):
    """Solara's ECharts widget with the option as JSON text."""

    template_file = (__file__, "../assets/echarts_json.vue")

    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    responsive = traitlets.Bool(False).tag(sync=True)
    maps = traitlets.Any({}).tag(sync=True)
    option_json = traitlets.Unicode("{}").tag(sync=True)
    on_mouseover_enabled = traitlets.Bool(False).tag(sync=True)
    on_mouseout_enabled = traitlets.Bool(False).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        if not solara.settings.assets.proxy:
            return solara.settings.assets.cdn
        return None

    def vue_on_click(self, data: Any) -> None:
        """Clicks are not used."""

    def vue_on_mouseover(self, data: Any) -> None:
        """Hover events are not used."""

    def vue_on_mouseout(self, data: Any) -> None:
        """Hover events are not used."""


def option_json(option: dict[str, Any]) -> str:
    """An ECharts option as compact JSON."""
    return json.dumps(option, separators=(",", ":"), allow_nan=False, default=float)


@solara.component
def FigureEchartsJson(option: str, height: str = "330px") -> solara.Element:
    """An ECharts figure from an option already turned into JSON (:func:`option_json`)."""
    return EchartsJsonWidget.element(
        option_json=option, responsive=True, attributes={"style": f"height: {height}; width: 100%;"}
    )
