"""Routes and layout of the workshop app (``solara run simulator.app.main``).

Start it with ``python -m simulator app``. The layout carries the projector mode
(large type, high contrast) as a CSS class on the whole page.
"""

from __future__ import annotations

import solara

from simulator.app import state
from simulator.app.pages import explainer, workshop

CSS = """
.csc-app { color: #1a1a1a; }
.csc-app .lever-label { font-size: 0.95rem; }
.csc-projector, .csc-projector .v-application { font-size: 22px !important; color: #000 !important; }
.csc-projector .lever-label { font-size: 1.35rem !important; }
.csc-projector .lever-unit { font-size: 1.0rem !important; color: #000 !important; }
.csc-projector .v-label, .csc-projector .v-select__selection, .csc-projector input,
.csc-projector .v-btn__content, .csc-projector .run-stamp, .csc-projector .finance-note,
.csc-projector .v-expansion-panel-header, .csc-projector p, .csc-projector td, .csc-projector th
  { font-size: 1.25rem !important; color: #000 !important; }
.csc-projector .v-slider__track-fill { background-color: #000 !important; }
.csc-projector .v-slider__thumb { width: 22px; height: 22px; background-color: #000 !important; }
.csc-projector .v-toolbar { background: #000 !important; }
.csc-projector .v-toolbar .v-toolbar__title { font-size: 1.8rem !important; }
.run-stamp { font-family: monospace; }
/* England's sample fraction box sits under the area box: room for its label above it */
.csc-app .fraction-box { margin-top: 14px; }
.csc-projector .fraction-box { margin-top: 22px; }
/* a message quotes a setting's full name and value: it wraps inside its box, never past the panel */
.csc-app .v-alert, .csc-app .input-error { overflow-wrap: anywhere; word-break: break-word; }
.explainer-text strong { font-weight: 700 !important; }
.explainer-text table { border-collapse: collapse; }
.explainer-text td, .explainer-text th { border: 1px solid #999; padding: 4px 6px; vertical-align: top; }
.csc-projector .app-title { font-size: 2rem !important; }
/* on paper: one page of the scenario, its settings, the headline cards and the two key charts */
.print-only { display: none; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  body { zoom: 0.62; }
  .print-only { display: block !important; }
  /* body .csc-app first: Vuetify's own !important (d-flex) must not win on paper */
  body .csc-app .side-panel, body .csc-app .app-header, body .csc-app .downloads,
  body .csc-app .run-busy, body .csc-app .expected-stale, body .csc-app .start-hint,
  body .csc-app .money-headline,
  body .csc-app .expected-note, body .csc-app .run-stamp, body .csc-app .kept-runs, body .csc-app .keep-run,
  .results > :not(:first-child), .v-snack, .address-bar { display: none !important; }
  .workshop > :first-child { display: none !important; }
  .workshop > :last-child { max-width: 100% !important; flex: 1 1 100% !important; }
  .chart { break-inside: avoid; }
  .print-summary table { border-collapse: collapse; font-size: 11px; }
  .print-summary td, .print-summary th { border: 1px solid #999; padding: 2px 6px; }
}
/* projector: each slider across the panel, its number box below it (the thumb never covers it) */
.csc-projector .lever-row { flex-wrap: wrap !important; }
.csc-projector .lever-slider { flex: 1 1 100% !important; min-width: 100% !important; }
/* projector: no body text below 20 px (notes and details are set smaller in normal mode) */
.csc-projector .expected-note, .csc-projector .finance-note, .csc-projector .area-note,
.csc-projector .headline-card span, .csc-projector .preset-description, .csc-projector .start-hint,
.csc-projector .money-headline, .csc-projector .lever-unit, .csc-projector .lever-path-note,
.csc-projector .print-hint, .csc-projector .scenario-upload span, .csc-projector .input-error,
.csc-projector .v-slider__thumb-label span { font-size: max(20px, 1em) !important; }
.csc-projector .v-slider__thumb-label { width: 44px !important; height: 44px !important; }
/* projector: the room reads results, so the downloads and "keep" (normal mode) give the key chart
   their height */
.csc-projector .downloads, .csc-projector .keep-run { display: none !important; }
"""


@solara.component
def Layout(children: list = []) -> solara.Element:  # noqa: B006 - Solara's layout signature
    """App bar with the page links and the projector switch, then the page."""
    route_current, routes = solara.use_route()
    cls = ["csc-app"] + (["csc-projector"] if state.projector.value else [])
    solara.Style(CSS)
    with solara.Column(classes=cls, style={"padding": "0", "min-height": "100vh", "background": "#fff"}):
        with solara.Row(
            style={"padding": "4px 16px", "align-items": "center", "border-bottom": "2px solid #0072B2"},
            gap="8px",
            classes=["app-header"],
        ):
            solara.Text(
                "Children's social care: what if?",
                classes=["app-title"],
                style={"font-size": "1.4em", "font-weight": "bold", "margin-right": "24px"},
            )
            for route in routes:
                with solara.Link(solara.resolve_path(route)):
                    solara.Button(
                        route.label,
                        text=True,
                        color="primary" if route == route_current else None,
                        classes=[f"nav-{route.path or 'home'}"],
                    )
        with solara.Column(style={"padding": "8px 16px"}):
            solara.Column(children=children)


routes = [
    solara.Route(path="/", component=workshop.Page, label="Workshop", layout=Layout),
    solara.Route(path="explainer", component=explainer.Page, label="Explainer"),
]
