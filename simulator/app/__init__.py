"""The workshop app: live what-ifs in the browser (Solara), side by side, offline.

The app is a package in Solara's portal layout (STYLE.md):

- :mod:`simulator.app.main` holds the routes and the layout (``solara run simulator.app.main``,
  or ``python -m simulator app``);
- :mod:`simulator.app.pages` one module per page, each exporting ``Page``;
- :mod:`simulator.app.components` the pieces the pages are built from (data flows down,
  events flow up through ``on_<event>`` callbacks);
- :mod:`simulator.app.state` the per-session reactive values and the actions that change them;
- :mod:`simulator.app.catalog` areas, presets and the lever panel, read from the scenario
  schema and ``scenarios/`` (no default is retyped here);
- :mod:`simulator.app.runs` running scenarios off the UI thread in worker processes, with a
  cache of results (the baseline is computed once per area, seed and horizon);
- :mod:`simulator.app.finance_view` the one adapter to :mod:`simulator.finance`;
- :mod:`simulator.app.charts` ECharts options built from the results (the chart library's
  JavaScript ships with ``solara-assets``, so the page works with no internet), drawn by
  :mod:`simulator.app.components.echarts` (the option travels as JSON text: fast redraws).

Latency: a lever move re-runs only the scenario (the baseline is cached); the lever's
next step up and down are run ahead of time while workers are idle (``CSC_APP_PREFETCH=0``
turns this off); ``CSC_APP_TIMING=1`` prints where the time goes. See
``benchmarks/bench_app_latency.py``.

Redraws use reacton's tree walk that skips unchanged parts of the page (``REACTON_FAST=1``,
set here unless the environment says otherwise, so the served app and the component tests
render alike; ``REACTON_FAST=0`` turns it off): with ``benchmarks/bench_app_latency.py
--no-prefetch`` it is worth about 0.2 s a lever move.

The model never imports this package; this package imports the model. Importing
``simulator.app`` itself is cheap: Solara is imported only by the UI modules.
"""

import os

# reacton (Solara's renderer) walks the whole element tree on every change unless this is set;
# it is read at each render, so setting it before the first page renders is enough
os.environ.setdefault("REACTON_FAST", "1")
