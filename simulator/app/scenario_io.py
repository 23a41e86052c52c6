"""Scenarios in and out of the app: a scenario file to save and load, and a link to share.

The session's settings (:data:`simulator.app.state.Snapshot`: area, preset, the user's changes,
seed, England's sample fraction) are turned into

- a **scenario file** (TOML): the scenario on screen, self-contained (every value that differs
  from the schema's default, no ``base``; :func:`simulator.schema.scenario_toml`), so the command
  line runs it as the app did. Its ``name`` is the app's (``area-preset``, ``-custom`` if the user
  changed something), which is how the app finds the area and preset again on upload;
- a **link**: the page's query string, ``?area=la/kent&seed=7&risk_aversion.index=1.4``: the
  area, preset, sample fraction and seed where they are not the defaults, then every value the
  user changed, by dotted path (a number as typed in its box, hubs as their count, anything else
  as JSON).

Nothing read here is trusted: an uploaded file goes through the command line's loader
(:func:`simulator.schema.read_scenario_dict`, one line per problem) and the schema; a link's
values go through the lever boxes' own checks (:func:`simulator.app.catalog.lever_number`) and
then the schema, key by key (in :func:`simulator.app.state.follow_link`).
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from simulator.app import catalog
from simulator.schema import (
    MAX_FILE_BYTES,
    Scenario,
    ScenarioError,
    build_scenario,
    differences,
    read_scenario_dict,
    scenario_toml,
)

#: Query keys of the settings that are not scenario values.
AREA, PRESET, SEED, FRACTION = "area", "preset", "seed", "sample_fraction"
#: Scenario values a link or file does not set as changes: the seed and sample fraction have keys
#: of their own, the app never records episodes, and metadata is the app's.
NOT_CHANGES = ("run.seed", "run.sample_fraction", "run.record_episodes")
METADATA = ("name", "description", "evidence", "base")
#: Longest query string read (characters) and most keys: a link holds a few changed levers; a
#: longer one is a mistake or an attack and is refused before anything is parsed.
MAX_QUERY_CHARS = 16_000
MAX_QUERY_KEYS = 200
#: Where the messages about a file and a link are shown (:data:`simulator.app.state.problem_field`).
FILE_FIELD, LINK_FIELD = "scenario-file", "link"


def scenario_name(area_key: str, preset_key: str, custom: bool) -> str:
    """The name the app gives a scenario: ``area-preset``, with ``-custom`` for the user's changes."""
    return f"{area_key}-{preset_key}" + ("-custom" if custom else "")


def origin_of(name: str) -> tuple[catalog.Area, catalog.Preset, bool] | None:
    """The area and preset an app-made name stands for, and whether it says ``-custom`` (else None)."""
    for area in catalog.list_areas():
        for preset in catalog.list_presets():
            for custom in (False, True):
                if name == scenario_name(area.key, preset.key, custom):
                    return area, preset, custom
    return None


# -- the scenario file -------------------------------------------------------------------------------


def file_text(scenario: Scenario) -> str:
    """The scenario file of a scenario on screen: a header saying where it came from, then TOML."""
    origin = origin_of(scenario.name)
    where = (
        f'area "{origin[0].label}" ({origin[0].key}), preset "{origin[1].label}" ({origin[1].key})'
        if origin
        else f"scenario {scenario.name!r}"
    )
    comment = (
        f"Saved from the workshop app: {where}, seed {scenario.run.seed}.\n"
        "Every value below differs from the schema's default (simulator/schema.py); all others are\n"
        "the defaults. Load it in the app ('Load a scenario file') or run it from the command line:\n"
        "python -m simulator run FILE"
    )
    return scenario_toml(scenario, comment)


def _clean(problems: list[str], folder: Path) -> list[str]:
    """Problems without the temporary folder an upload was read from."""
    for form in {str(folder), str(folder.resolve())}:
        problems = [p.replace(form + "/", "").replace(form, ".") for p in problems]
    return problems


def read_upload(name: str, data: bytes, size: int | None = None) -> Scenario:
    """Validate an uploaded scenario file with the command line's loader and the schema.

    The file is read as if it lay in the app's scenarios folder, so a ``base`` names a shipped
    scenario (``base = "baseline.toml"``) as it would beside them.

    Args:
        name: the file's name on the user's machine.
        data: its bytes.
        size: its size as the browser reported it (a file too large is not sent, ``data`` empty).

    Raises:
        ScenarioError: one line per problem (the loader's and the schema's own), ``source`` the
            file's name.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(name)).stem).strip("._")[:60] or "scenario"
    size = len(data) if size is None else max(int(size), len(data))
    if size > MAX_FILE_BYTES:  # read_text says the same, but without the file sent or written
        raise ScenarioError(
            [
                f"is {size:,} bytes; a scenario file is a few kilobytes of text (allowed: up to "
                f"{MAX_FILE_BYTES:,} bytes)"
            ],
            source=str(name),
        )
    with tempfile.TemporaryDirectory(prefix="csc-upload-") as tmp:
        folder = Path(tmp)
        shipped = catalog.scenarios_dir()
        target = folder / f"{stem}.toml"
        for path in shipped.iterdir() if shipped.is_dir() else ():
            if (path.suffix == ".toml" or path.name == "la") and path.name != target.name:
                try:
                    (folder / path.name).symlink_to(path)
                except OSError:  # no links here: a base is then not found, and says so
                    break
        target.write_bytes(data)
        try:
            return build_scenario(read_scenario_dict(target), source=str(name))
        except ScenarioError as err:
            raise ScenarioError(_clean(list(err.problems), folder), source=str(name)) from None


def settings_from(
    scenario: Scenario,
    current: Mapping[str, Any],
    compose: Callable[..., tuple[Scenario, Scenario]],
) -> dict[str, Any]:
    """The session settings that show a scenario: its area, preset, changes, seed and sample.

    The area and preset are those the scenario's name stands for (:func:`origin_of`); a file
    made elsewhere keeps the session's area and starts from no preset. The user's changes are
    every value that differs from the area and preset as they are, so the app runs exactly the
    file's scenario.

    Args:
        scenario: a validated scenario (:func:`read_upload`).
        current: the session's settings (a :data:`simulator.app.state.Snapshot`).
        compose: :func:`simulator.app.state.compose`.
    """
    origin = origin_of(scenario.name)
    if origin is None:
        area = next((a for a in catalog.list_areas() if a.key == current["area"]), catalog.list_areas()[0])
        preset, custom = catalog.list_presets()[0], True
    else:
        area, preset, custom = origin
    fraction = scenario.run.sample_fraction if area.sample_fraction is not None else current["fraction"]
    seed = int(scenario.run.seed)
    _, plain = compose(area, preset, {}, seed, fraction)
    user = differences(Scenario, scenario.model_dump(mode="json"), plain.model_dump(mode="json"))
    for key in METADATA:
        user.pop(key, None)
    for path in NOT_CHANGES:
        if path != "run.sample_fraction" or area.sample_fraction is not None:
            user = catalog.drop_path(user, path)
    if custom and not user:
        # saved as "-custom" with values that are the preset's own (a lever moved and put back):
        # a change to the value in force keeps the name, and so the tables, as they were
        user = {"run": {"years": int(plain.run.years)}}
    return {"area": area.key, "preset": preset.key, "overrides": user, "seed": seed, "fraction": fraction}


# -- the link ----------------------------------------------------------------------------------------------


def leaves(
    data: Mapping[str, Any], model: type[BaseModel] = Scenario, prefix: str = ""
) -> list[tuple[str, Any]]:
    """The values of a nested dict of changes by dotted path, down to the schema's fields."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        info = model.model_fields.get(key)
        ann = info.annotation if info is not None else None
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(ann, type) and issubclass(ann, BaseModel):
            out += leaves(value, ann, f"{path}.")
        else:
            out.append((path, value))
    return out


def encode(spec: catalog.LeverSpec | None, value: Any, start_year: int) -> str:
    """A value as a link writes it: hubs opening at the start as their count, anything else as JSON."""
    if spec is not None and spec.control == "hubs" and isinstance(value, list):
        if value == catalog.override_for(spec, len(value), start_year):
            return str(len(value))
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number a scenario takes")


def decode(path: str, text: str, spec: catalog.LeverSpec | None, start_year: int) -> Any:
    """A link's value for a dotted path, checked as its box checks typed text.

    Raises:
        ValueError: one line naming the field, the value and what is allowed.
    """
    if path in NOT_CHANGES or path.split(".")[0] in METADATA:
        raise ValueError(f"{path} = {catalog.shown_text(text)}: not a setting a link changes")
    try:
        catalog.field_info(path)
    except (KeyError, AssertionError):
        raise ValueError(
            f"{path} = {catalog.shown_text(text)}: unknown setting (not a parameter of the scenario)"
        ) from None
    if spec is not None and not text.lstrip().startswith(("[", "{", '"')):
        return catalog.override_for(spec, catalog.lever_number(spec, text), start_year)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        if "not a number" in str(err):
            raise ValueError(f"{path} = {catalog.shown_text(text)}: {err}") from None
        return text  # bare text (a date, say): the schema judges it


def query_string(pairs: list[tuple[str, str]]) -> str:
    """Key-value pairs as a query string (dotted paths, slashes and JSON's brackets kept readable)."""
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="/,:[]")


def parse_query(query: str) -> tuple[dict[str, str], list[str]]:
    """A link's query string as keys and values, and the problems of its form (too long, repeated keys)."""
    query = (query or "").lstrip("?")
    if len(query) > MAX_QUERY_CHARS:
        return {}, [f"the link's settings are {len(query):,} characters long (allowed: {MAX_QUERY_CHARS:,})"]
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_QUERY_KEYS)
    except ValueError:
        return {}, [f"the link has more than {MAX_QUERY_KEYS} settings"]
    out: dict[str, str] = {}
    problems = []
    for key, value in pairs:
        if key in out:
            problems.append(f"{key}: given twice in the link; the first value is used")
            continue
        out[key] = value
    return out, problems
