"""A scenario file in (upload), and the address bar kept to the settings in force (the link).

The download of the scenario file is with the other downloads (:mod:`.export`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, cast

import ipyvuetify as v
import solara
import traitlets
from ipyvuetify.extra import FileInput

from simulator.schema import MAX_FILE_BYTES

#: Keeps the page's address to the settings in force, without a new history entry per change
#: (``replaceState``), so the address bar is always a link to what is set and F5 reloads it.
#: Solara's own navigation (a page link) pushes a path without the query: it is put back then too.
_ADDRESS_TEMPLATE = """
<template><span class="address-bar" style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    this.page = window.location.pathname;  // another page of the app keeps its own address
    this.onRoute = () => this.apply();
    window.addEventListener("solara.router", this.onRoute);
    this.apply();
  },
  beforeDestroy() {
    window.removeEventListener("solara.router", this.onRoute);
  },
  watch: {
    query() { this.apply(); },
    active() { this.apply(); },
  },
  methods: {
    apply() {
      if (!this.active || window.location.pathname !== this.page) return;
      const url = new URL(window.location.href);
      url.search = this.query ? "?" + this.query : "";
      if (url.href !== window.location.href) {
        window.history.replaceState(window.history.state, "", url.href);
      }
    },
  },
};
</script>
"""


class AddressBarWidget(v.VuetifyTemplate):
    """Sets the page address's query string to ``query`` while ``active``."""

    template = traitlets.Unicode(_ADDRESS_TEMPLATE).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    active = traitlets.Bool(False).tag(sync=True)


@solara.component
def AddressBar(query: str, active: bool) -> solara.Element:
    """The page's address carries ``query`` (once ``active``: the link the page opened with was read)."""
    return AddressBarWidget.element(query=query, active=active)


@solara.component
def FilePicker(on_file: Callable[[str, bytes | None, int], Any]) -> solara.Element:
    """A file picker that sends the picked file to ``on_file(name, data, size)`` (read off the UI thread).

    A file larger than a scenario file can be is not sent (``data`` empty, ``size`` says why);
    ``data`` is None if the browser did not send the file. The picker is cleared after each
    file, so the same file can be picked again once mended.
    """
    info, set_info = solara.use_state(cast(list, []), key="picked-info")
    picked, set_picked = solara.use_state(cast(tuple | None, None), key="picked")
    picker = FileInput.element(
        multiple=False,
        accept=".toml,text/plain,application/toml",
        show_progress=False,
        on_file_info=set_info,
    )

    def wire() -> None:  # as solara.FileDrop: a new version for this file's chunks, then read them
        if not info:
            return
        real = cast(FileInput, solara.get_widget(picker))
        real.version += 1
        real.reset_stats()
        set_picked((real, real.get_files()))

    solara.use_effect(wire, [info])

    def read(cancel: threading.Event) -> None:
        if not picked or not picked[1]:
            return
        real, files = picked
        first = files[0]
        size = int(first.get("size", 0))
        data: bytes | None
        try:
            data = first["file_obj"].read() if size <= MAX_FILE_BYTES else b""
        except Exception:  # noqa: BLE001 - the browser did not send it (tab closed, timeout)
            data = None
        real.clear()
        on_file(str(first.get("name", "scenario.toml")), data, size)

    solara.use_thread(read, [picked], intrusive_cancel=False)
    return picker


@solara.component
def ScenarioUpload(on_file: Callable[[str, bytes | None, int], Any], loaded: str = "") -> solara.Element:
    """Load a scenario file (TOML): a file picker (:func:`FilePicker`) and the file loaded last."""
    with solara.Column(gap="0px", classes=["scenario-upload"]):
        solara.Text("Load a scenario file (.toml)", style={"font-size": "0.85em", "color": "#444"})
        FilePicker(on_file)
        if loaded:
            solara.Text(f"Loaded: {loaded}", classes=["scenario-loaded"], style={"font-size": "0.85em"})
