"""What the app offers: areas, presets and lever controls, read from the schema and ``scenarios/``.

Nothing here retypes a default, a unit or a bound: labels, units, ranges,
defaults, descriptions and sources come from :mod:`simulator.schema` (the
wolf_sheep weak spot in STYLE.md). The only numbers the app adds are the
*extent of a slider* for the few parameters the schema leaves open-ended (a
lever's spend has no upper bound in the schema, but a slider needs one); those
are in :data:`SLIDER_EXTENT` and scale with the area's child population.

Presets are every ``*.toml`` under ``scenarios/`` other than the areas; a preset is
applied as *its differences from the typical-LA baseline* on top of the chosen
area, so "prevention investment" can be tried in England or a calibrated LA.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from simulator import schema as _schema
from simulator.schema import MAX_HUBS, Scenario, ScenarioError, deep_merge, read_scenario_dict

#: The scenario validator's range for each value given over time (lever series), if it has them.
_SERIES_BOUNDS: dict[str, tuple[float, float, str]] = dict(getattr(_schema, "SERIES_BOUNDS", {}))

#: The parameters in the lever panel, by group (dotted paths into the scenario schema).
PANEL: dict[str, list[str]] = {
    "Prevention": [
        "levers.prevention.spend_per_year",
        "levers.prevention.baseline_capacity_change",
        "levers.prevention.early_help_share",
        "levers.prevention.adverse_reduction",
        "levers.prevention.months_to_effect",
    ],
    "Risk aversion": [
        "levers.risk_aversion.index_path",
        "risk_aversion.index",
    ],
    "Community hubs": [
        "levers.community_hubs.opening_dates",
        "levers.community_hubs.catchment_families",
        "levers.community_hubs.identification_boost",
        "levers.community_hubs.running_cost_per_hub",
    ],
    "Troubled Families": [
        "levers.troubled_families.places_per_year",
        "levers.troubled_families.care_entry_reduction",
        "levers.troubled_families.cost_per_family",
    ],
    "Population and risk": [
        "population.growth_per_year",
        "population.uasc_starts_per_10k",
        "need.deprivation_ratio_per_decile",
        "workforce.caseload_headroom",
        "front_door.rereferral_multiplier",
    ],
    "Run": [
        "run.years",
    ],
}

#: Slider extents for parameters the schema leaves unbounded, per 61,300 children (the typical
#: LA; scaled to the area). These are display ranges, not defaults: typing a value outside
#: them in the number box is allowed if the schema allows it.
SLIDER_EXTENT: dict[str, tuple[float, float, float]] = {
    "levers.prevention.spend_per_year": (0.0, 10_000_000.0, 250_000.0),
    "levers.prevention.baseline_capacity_change": (-1.0, 1.0, 0.05),
    "levers.risk_aversion.index_path": (0.5, 2.0, 0.05),
    "levers.community_hubs.opening_dates": (0.0, 12.0, 1.0),
    "levers.troubled_families.places_per_year": (0.0, 600.0, 20.0),
    "levers.prevention.cost_per_early_help_place": (500.0, 10_000.0, 100.0),
    "levers.prevention.cost_per_family_reached": (200.0, 5_000.0, 100.0),
    "levers.community_hubs.capital_cost_per_hub": (0.0, 2_000_000.0, 50_000.0),
    "levers.community_hubs.running_cost_per_hub": (0.0, 1_000_000.0, 25_000.0),
    "levers.troubled_families.cost_per_family": (0.0, 40_000.0, 500.0),
    "levers.community_hubs.catchment_families": (500.0, 10_000.0, 250.0),
}
#: Parameters whose slider extent scales with the area's children.
SCALES_WITH_AREA = {
    "levers.prevention.spend_per_year",
    "levers.troubled_families.places_per_year",
    "levers.community_hubs.opening_dates",
}
TYPICAL_LA_CHILDREN = Scenario().population.children
#: Levers whose amount is for the whole area: kept per child when the area changes (rescaled
#: by the ratio of the areas' children, rounded to 3 significant figures). Hubs stay as many:
#: each has its own catchment of families.
PER_CHILD = ("levers.prevention.spend_per_year", "levers.troubled_families.places_per_year")

#: Where the schema sets no upper bound, a typed value may go up to this many times the top of
#: the slider (which scales with the area). Beyond it lies nothing a workshop means, and the run
#: would spend the shared server's time on it; the command line takes any value the schema allows.
TYPED_BEYOND_SLIDER = 100.0

AREA_FILES = ("baseline.toml", "england.toml")
#: England is simulated on a sample for speed (the user can change it in the app).
ENGLAND_SAMPLE_FRACTION = 0.005


def scenarios_dir() -> Path:
    """The folder of scenario files: ``$CSC_SCENARIOS``, the source tree's, or ``./scenarios``."""
    env = os.environ.get("CSC_SCENARIOS")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[2] / "scenarios", Path.cwd() / "scenarios"]
    for path in candidates:
        if (path / "baseline.toml").exists():
            return path
    return candidates[-1]


# -- areas and presets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A place to simulate: the typical LA, England, or a calibrated LA file."""

    key: str
    label: str
    path: Path
    sample_fraction: float | None = None  # None: the file's own
    #: An authority fitted when chosen (the calibration of ``python -m simulator calibrate``
    #: over ``path``, the typical-LA baseline); None for a scenario file of its own.
    la: str | None = None

    def data(self) -> dict[str, Any]:
        """The area's scenario dict (file chain merged, unvalidated; cached while the file is unchanged).

        Raises:
            ScenarioError: an authority whose published figures the model cannot fit within
                the calibration's tolerance (the reason is said).
        """
        if self.la is not None:
            return copy.deepcopy(_fitted(self.la, str(self.path), _mtime(self.path)))
        return copy.deepcopy(_read_cached(str(self.path), _mtime(self.path)))


@dataclass(frozen=True)
class Preset:
    """A scenario file offered as a starting point: its differences from the baseline."""

    key: str
    label: str
    path: Path | None
    description: str
    evidence: str
    overrides: Mapping[str, Any]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=256)
def _read_cached(path: str, _mtime_ns: int) -> dict[str, Any]:
    return read_scenario_dict(path)


@functools.lru_cache(maxsize=32)
def _fitted(la: str, base: str, _mtime_ns: int) -> dict[str, Any]:
    """An authority's scenario dict: the baseline with the calibration's overrides."""
    from simulator.calibrate import calibrate_la, la_table

    fit = calibrate_la(la, base=base, table=la_table())
    if not fit.ok:
        raise ScenarioError(
            [
                f"area = {fit.la}: its published figures are not fitted within the calibration's "
                f"10% ({fit.reason}); allowed: an authority the model fits"
            ],
            source=fit.la,
        )
    data = deep_merge(read_scenario_dict(base), _plain(fit.overrides))
    data["name"] = f"la/{_slug(fit.la)}"
    data["description"] = (
        f"{fit.la} ({fit.la_code}, {fit.region}): the typical-LA baseline fitted to the authority's "
        "published 2024 figures (children looked after, starts, ceases, child population)"
    )
    return data


def _plain(value: Any) -> Any:
    """Numbers as Python's own (numpy's do not go into a TOML file)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _slug(name: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


#: Seconds a look at the scenario folder stays fresh: the page asks for the areas several times a
#: redraw, and listing the folder each time cost about 5 ms of every redraw.
SIGNATURE_TTL = 2.0
_seen: dict[Path, tuple[float, tuple[tuple[str, int], ...]]] = {}


def _signature(folder: Path) -> tuple[tuple[str, int], ...]:
    """File names and modification times of the scenario files (to notice new presets).

    Looked up again at most every :data:`SIGNATURE_TTL` seconds.
    """
    now = time.monotonic()
    hit = _seen.get(folder)
    if hit is not None and now - hit[0] < SIGNATURE_TTL:
        return hit[1]
    files = list(folder.glob("*.toml")) + list((folder / "la").glob("*.toml"))
    sig = tuple(sorted((str(p), _mtime(p)) for p in files))
    _seen[folder] = (now, sig)
    return sig


def _title(stem: str) -> str:
    return stem.replace("_", " ").replace("-", " ").strip().capitalize()


def list_areas(folder: Path | None = None) -> list[Area]:
    """Typical LA, England (sampled) and each calibrated LA under ``scenarios/la/``."""
    folder = folder or scenarios_dir()
    return list(_areas(folder, _signature(folder)))


@functools.lru_cache(maxsize=8)
def _areas(folder: Path, _sig: tuple) -> tuple[Area, ...]:
    areas = [Area("baseline", "Typical local authority", folder / "baseline.toml")]
    if (folder / "england.toml").exists():
        areas.append(Area("england", "England (sampled)", folder / "england.toml", ENGLAND_SAMPLE_FRACTION))
    la = folder / "la"
    files = sorted(la.glob("*.toml")) if la.is_dir() else []
    for path in files:
        areas.append(Area(f"la/{path.stem}", _title(path.stem), path))
    # every other authority with published figures, fitted when chosen
    from simulator.calibrate import la_table

    table = la_table()
    named = {p.stem for p in files}
    for _, row in table[table["has_data"]].sort_values("la_name").iterrows():
        slug = _slug(str(row["la_name"]))
        if slug not in named:
            label = f"{row['la_name']} ({row['region']})"
            areas.append(Area(f"la/{slug}", label, folder / "baseline.toml", la=str(row["la_name"])))
    return tuple(areas)


def diff(data: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """The nested keys of ``data`` whose values differ from ``base``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            sub = diff(value, base[key])
            if sub:
                out[key] = sub
        elif key not in base or base[key] != value:
            out[key] = value
    return out


def list_presets(folder: Path | None = None) -> list[Preset]:
    """``None`` (the area as it is) plus every scenario file that is not an area."""
    folder = folder or scenarios_dir()
    return list(_presets(folder, _signature(folder)))


@functools.lru_cache(maxsize=8)
def _presets(folder: Path, _sig: tuple) -> tuple[Preset, ...]:
    base = read_scenario_dict(folder / "baseline.toml")
    presets = [
        Preset(
            "none",
            "No change (the area as it is)",
            None,
            "The chosen area with today's practice and no levers.",
            "",
            {},
        )
    ]
    start = base.get("run", {}).get("start_year")
    for path in sorted(folder.glob("*.toml")):
        if path.name in AREA_FILES:
            continue
        try:
            data = read_scenario_dict(path)
            text = tomllib.loads(path.read_text(encoding="utf-8"))
        except Exception:  # noqa: BLE001 - a broken file must not stop the app; it is skipped
            continue
        if data.get("run", {}).get("start_year", start) != start:
            # a replay of another period (the 2006-2018 history): no area's baseline starts where
            # it does, so no comparison in the app would mean anything (python -m simulator.validation)
            continue
        overrides = diff(
            {k: v for k, v in data.items() if k not in ("name", "description", "evidence", "base")}, base
        )
        overrides.get("run", {}).pop("seed", None)
        presets.append(
            Preset(
                path.stem,
                _title(str(text.get("name", path.stem))),
                path,
                str(data.get("description", "")).strip(),
                str(data.get("evidence", "")).strip(),
                overrides,
            )
        )
    return tuple(presets)


# -- the lever panel from the schema ---------------------------------------------------------------


@dataclass(frozen=True)
class LeverSpec:
    """One control of the lever panel, described entirely by the schema.

    Attributes:
        path: dotted path into the scenario (``levers.prevention.spend_per_year``).
        label: a readable label made from the field name.
        group: panel group.
        unit: the schema's unit.
        description: the schema's description (one sentence).
        source: the schema's source of the default.
        grade: evidence grade (H, M, L, assumption).
        default: the schema's default.
        minimum: slider lower end (the schema's bound where it has one).
        maximum: slider upper end (the schema's bound where it has one).
        step: slider step.
        kind: ``int`` or ``float``.
        hard_min: the schema's lower bound (None if open).
        hard_max: the schema's upper bound (None if open).
        control: ``slider`` for a number; ``hubs`` for a count of hubs opening in the first year.
    """

    path: str
    label: str
    group: str
    unit: str
    description: str
    source: str
    grade: str
    default: float
    minimum: float
    maximum: float
    step: float
    kind: Literal["int", "float"]
    hard_min: float | None
    hard_max: float | None
    control: Literal["slider", "hubs"] = "slider"


def field_info(path: str) -> tuple[Any, type[BaseModel]]:
    """The pydantic ``FieldInfo`` of a dotted path and the section model that holds it."""
    model: type[BaseModel] = Scenario
    parts = path.split(".")
    for part in parts[:-1]:
        ann = model.model_fields[part].annotation
        assert isinstance(ann, type) and issubclass(ann, BaseModel), path
        model = ann
    return model.model_fields[parts[-1]], model


def _bounds(info: Any) -> tuple[float | None, float | None, bool]:
    lo = hi = None
    strict = False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            lo = float(meta.ge)
        if getattr(meta, "gt", None) is not None:
            lo, strict = float(meta.gt), True
        if getattr(meta, "le", None) is not None:
            hi = float(meta.le)
    return lo, hi, strict


def _nice_step(span: float, kind: str) -> float:
    if kind == "int":
        return float(max(1, round(span / 100)))
    raw = span / 100
    for step in (
        0.001,
        0.002,
        0.005,
        0.01,
        0.02,
        0.05,
        0.1,
        0.2,
        0.5,
        1,
        2,
        5,
        10,
        20,
        50,
        100,
        250,
        500,
        1000,
        2500,
        5000,
        10_000,
        25_000,
        50_000,
        100_000,
    ):
        if step >= raw:
            return float(step)
    return float(round(raw))


def label_of(path: str) -> str:
    """A readable label from the field name (``spend_per_year`` -> ``Spend per year``)."""
    special = {
        "levers.community_hubs.opening_dates": "Community hubs (opening at the start)",
        "levers.risk_aversion.index_path": "Change in risk aversion",
        "risk_aversion.index": "Risk aversion (starting index)",
        "population.uasc_starts_per_10k": "Unaccompanied children arriving, per 10,000 children",
    }
    if path in special:
        return special[path]
    name = path.split(".")[-1]
    name = re.sub(r"_per_10k$", " per 10,000", name)
    return _title(name.replace("_per_", " per "))


def lever_spec(path: str, group: str = "", children: float | None = None) -> LeverSpec:
    """Describe one panel control from the schema (see :class:`LeverSpec`)."""
    info, _ = field_info(path)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    default = info.get_default(call_default_factory=True)
    control: Literal["slider", "hubs"] = "slider"
    if path == "levers.community_hubs.opening_dates":
        control, default, kind = "hubs", 0, "int"
        unit = "hubs, each opening in the run's first month (dates in a preset are kept in its file)"
        description = info.description or ""
        source = str(
            field_info("levers.community_hubs.months_to_half_trust")[0].json_schema_extra.get("source", "")
        )
        grade = "assumption"
    else:
        kind = "int" if info.annotation is int else "float"
        unit = str(extra.get("unit", ""))
        description = info.description or ""
        source = str(extra.get("source", ""))
        grade = str(extra.get("grade", ""))
    lo, hi, _strict = _bounds(info)
    hard_lo, hard_hi = lo, hi
    if path in SLIDER_EXTENT:
        e_lo, e_hi, step = SLIDER_EXTENT[path]
        step = float(round(step)) if kind == "int" else step
        if path in SCALES_WITH_AREA and children:
            factor = max(children / TYPICAL_LA_CHILDREN, 0.05)
            # a round step (1, 2, 2.5 or 5 times a power of ten) in any area, and an end on a step:
            # 500,000 a notch in Leeds, not 690,000
            step = max(1.0, _round_nice(step * factor)) if kind == "int" else _round_nice(step * factor)
            e_hi = math.ceil(_round_sig(e_hi * factor) / step - 1e-9) * step
        lo = e_lo if lo is None else max(lo, e_lo)
        hi = e_hi if hi is None else min(hi, e_hi)
    else:
        if lo is None:
            lo = 0.0
        if hi is None:
            hi = max(float(default) * 4, 1.0)
        step = _nice_step(hi - lo, kind)
    if path in _SERIES_BOUNDS:  # a value over time: the scenario validator's own range
        hard_lo, hard_hi = _SERIES_BOUNDS[path][0], _SERIES_BOUNDS[path][1]
    elif path in (
        "levers.prevention.spend_per_year",
        "levers.risk_aversion.index_path",
        "levers.troubled_families.places_per_year",
        "levers.prevention.baseline_capacity_change",
    ):
        # a schema without SERIES_BOUNDS: its validator's lower bounds for these series
        hard_lo = -1.0 if path == "levers.prevention.baseline_capacity_change" else 0.0
    return LeverSpec(
        path=path,
        label=label_of(path),
        group=group,
        unit=unit,
        description=description,
        source=source,
        grade=grade,
        default=float(default) if not isinstance(default, list | dict) else 0.0,
        minimum=float(lo),
        maximum=float(hi),
        step=float(step),
        kind=kind,
        hard_min=hard_lo,
        hard_max=hard_hi,
        control=control,
    )


def _round_nice(x: float) -> float:
    """``x`` to the nearest (in ratio) of 1, 2, 2.5 and 5 times a power of ten."""
    if x <= 0:
        return 0.0
    p = 10.0 ** math.floor(math.log10(x))
    best = min((1.0, 2.0, 2.5, 5.0, 10.0), key=lambda m: abs(math.log(x / (m * p))))
    return float(best * p)


def _round_sig(x: float) -> float:
    if x <= 0:
        return 0.0
    from math import floor, log10

    p = 10 ** (floor(log10(x)) - 1)
    return float(round(x / p) * p)


@functools.lru_cache(maxsize=64)
def lever_panel(children: float | None = None) -> tuple[LeverSpec, ...]:
    """Every control of the lever panel, in panel order, for an area of ``children``."""
    return tuple(lever_spec(path, group, children) for group, paths in PANEL.items() for path in paths)


@functools.lru_cache(maxsize=1)
def lever_index() -> dict[str, int]:
    """Position of each parameter in the lever panel, by path."""
    return {path: i for i, path in enumerate(p for paths in PANEL.values() for p in paths)}


def preset_for(preset: Preset, area: Area) -> tuple[dict[str, Any], list[str]]:
    """A preset's changes as they apply to ``area``, and a note line per lever rescaled.

    A preset that sets no child population of its own is written for the typical LA
    (``scenarios/baseline.toml``); its per-child levers (:data:`PER_CHILD`: prevention spend,
    Troubled Families places) are kept per child in a larger or smaller area, as a user's own
    changes are when the area changes (:func:`per_child`). Community hubs stay a count: each
    serves its own catchment.
    """
    return per_child(preset.overrides, *_preset_sizes(preset, area))


def _preset_sizes(preset: Preset, area: Area) -> tuple[float, float]:
    """Children in the area a preset is written for (the typical LA unless it says) and in ``area``."""
    own = float(get_path(preset.overrides, "population.children", TYPICAL_LA_CHILDREN))
    return own, float(get_path(area.data(), "population.children", TYPICAL_LA_CHILDREN))


def with_preset(area: Area, preset: Preset) -> dict[str, Any]:
    """The area's scenario dict with the preset's changes as they apply to it (:func:`preset_for`)."""
    return deep_merge(area.data(), preset_for(preset, area)[0])


def preset_note(preset: Preset, area: Area) -> str:
    """What a preset written for another size of area became here ("" if nothing changed)."""
    own, here = _preset_sizes(preset, area)
    lines = per_child(preset.overrides, own, here)[1]  # as preset_for, with the sizes to say
    if not lines:
        return ""
    return (
        f"Preset {preset.label} is written for an area of {own:,.0f} children; kept per child for "
        f"{area.label} ({here:,.0f} children): " + "; ".join(lines)
    )


def preset_misfit(preset: Preset, area: Area) -> str:
    """Why a preset written for another size of area does not fit this one ("" if it does).

    A preset that sets its own child population (a history of England, say) is refused on an
    area more than twice as large or less than half as large: its levers and starting stocks are
    in the other area's numbers, and the comparison with this area's baseline would mean nothing.
    """
    own_start = get_path(preset.overrides, "run.start_year")
    here_start = get_path(area.data(), "run.start_year")
    if own_start is not None and here_start is not None and int(own_start) != int(here_start):
        return (
            f"preset = {preset.key}: starts in {int(own_start)}, {area.label}'s baseline in "
            f"{int(here_start)}, so the two cannot be compared; allowed: a preset that starts where "
            "the baseline does"
        )
    own = get_path(preset.overrides, "population.children")
    if own is None:
        return ""
    here = float(get_path(area.data(), "population.children", TYPICAL_LA_CHILDREN))
    if 0.5 <= float(own) / here <= 2.0:
        return ""
    return (
        f"preset = {preset.key}: written for an area of {float(own):,.0f} children; {area.label} has "
        f"{here:,.0f}, so its figures would be compared with another area's baseline; allowed: an "
        "area of about that size (e.g. England for a national preset)"
    )


def some(keys: list[str], most: int = 6) -> str:
    """Keys for a message: all of them, or the first few and how many there are."""
    if len(keys) <= most:
        return ", ".join(keys)
    return f"{', '.join(keys[:most])}... ({len(keys)} in all: la/ and the authority's name in lower case)"


def rescale(value: Any, ratio: float) -> Any:
    """A lever's value (a number, one per year, or dated steps) times ``ratio``, to 3 figures."""
    if isinstance(value, Mapping):
        return {k: rescale(v, ratio) for k, v in value.items()}
    if isinstance(value, list):
        return [rescale(v, ratio) for v in value]
    x = float(value) * ratio
    return 0.0 if x == 0 else float(f"{x:.3g}")


def per_child(
    user: Mapping[str, Any], old_children: float, new_children: float
) -> tuple[dict[str, Any], list[str]]:
    """The user's changes for an area of ``new_children``: per-child levers kept per child.

    Returns the changes and one line per rescaled lever (what it was, what it is now).
    """
    ratio = new_children / old_children
    out, notes = dict(user), []
    for path in PER_CHILD:
        old = get_path(user, path)
        if old is None or ratio == 1.0:
            continue
        new = rescale(old, ratio)
        out = set_path(out, path, new)
        notes.append(f"{label_of(path)}: {_shown(old)} -> {_shown(new)}")
    return out, notes


def _shown(value: Any) -> str:
    """A value for a note: numbers to 3 significant figures, with thousands separators."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        if len(value) > 4:  # a yearly path: its ends, not every year
            return f"{_shown(value[0])}, {_shown(value[1])} ... {_shown(value[-1])} ({len(value)} years)"
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    x = float(f"{float(value):.3g}")
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


# -- reading and writing values by dotted path -----------------------------------------------------


def get_path(data: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at a dotted path of a nested dict (``default`` if missing)."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def set_path(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of a nested dict with the value at a dotted path replaced."""
    head, _, rest = path.partition(".")
    out = dict(data)
    if not rest:
        out[head] = value
    else:
        out[head] = set_path(out.get(head, {}) if isinstance(out.get(head), Mapping) else {}, rest, value)
    return out


def drop_path(data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """A copy of a nested dict without the key at a dotted path (empty tables removed)."""
    head, _, rest = path.partition(".")
    out = dict(data)
    if head not in out:
        return out
    if not rest:
        out.pop(head)
    elif isinstance(out[head], Mapping):
        sub = drop_path(out[head], rest)
        if sub:
            out[head] = sub
        else:
            out.pop(head)
    return out


def is_path(spec: LeverSpec, data: Mapping[str, Any]) -> bool:
    """True if the value in force changes over the years (a list or dated steps)."""
    value = get_path(data, spec.path)
    if spec.control == "hubs":
        return len(set(map(str, value or []))) > 1
    return (
        isinstance(value, list | Mapping)
        and len({float(v) for v in (value.values() if isinstance(value, Mapping) else value)}) > 1
    )


def yearly(spec: LeverSpec) -> bool:
    """Whether the schema lets this control's parameter change from year to year (a path)."""
    return spec.path in _SERIES_BOUNDS and spec.control == "slider"


def year_values(spec: LeverSpec, data: Mapping[str, Any]) -> tuple[list[int], list[float]]:
    """The reporting years of a scenario dict's run and the control's value in each."""
    from simulator.schema import series_values

    start = int(get_path(data, "run.start_year", field_info("run.start_year")[0].get_default()))
    years = int(get_path(data, "run.years", field_info("run.years")[0].get_default()))
    value = get_path(data, spec.path)
    value = spec.default if value is None else value
    return [start + 1 + i for i in range(years)], series_values(value, start, years)


def control_value(spec: LeverSpec, data: Mapping[str, Any]) -> float:
    """The number a control shows for a scenario dict (a lever series shows its first value)."""
    value = get_path(data, spec.path)
    if spec.control == "hubs":
        return float(len(value or []))
    if value is None:
        return spec.default
    if isinstance(value, list):
        return float(value[0]) if value else spec.default
    if isinstance(value, Mapping):
        return float(next(iter(value.values()), spec.default))
    return float(value)


def settings_in_use(scenario: Scenario, baseline: Scenario) -> list[tuple[str, str, str]]:
    """What the scenario sets differently from its baseline: (path, label, value with unit).

    Read from the schema (labels, units); the run's own name and settings are left out.
    """
    from simulator.schema import differences

    diff = differences(Scenario, scenario.model_dump(mode="json"), baseline.model_dump(mode="json"))
    out = []
    for path, value in _flatten_dotted(diff):
        if path.split(".")[0] in ("name", "description", "evidence", "run", "base"):
            continue
        try:
            unit = short_unit(str((field_info(path)[0].json_schema_extra or {}).get("unit", "")))
        except (AssertionError, KeyError):
            unit = ""
        group = next((g for g, paths in PANEL.items() if path in paths), "")
        label = f"{group}: {label_of(path)}" if group else label_of(path)
        out.append((path, label, f"{_shown(value)}{' ' + unit if unit else ''}"))
    return out


def _flatten_dotted(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and not str(next(iter(value))).isdigit():
            items += _flatten_dotted(value, path + ".")
        else:
            items.append((path, value))
    return items


def short_unit(unit: str) -> str:
    """The first clause of a schema unit (the rest is in the explainer)."""
    return unit.split(";")[0].strip()


def typed_range(spec: LeverSpec) -> tuple[float, float]:
    """The values a control's number box takes: the schema's bounds, else the app's own.

    The lower end is the schema's (0 where it has none); the upper end is the schema's, the
    schema's most hubs (:data:`simulator.schema.MAX_HUBS`) for the hubs box, or
    :data:`TYPED_BEYOND_SLIDER` times the slider's top where the schema sets none.
    """
    if spec.control == "hubs":
        return 0.0, float(MAX_HUBS)
    lo = spec.hard_min if spec.hard_min is not None else min(spec.minimum, 0.0)
    hi = spec.hard_max if spec.hard_max is not None else spec.maximum * TYPED_BEYOND_SLIDER
    return float(lo), float(hi)


def _allowed(spec: LeverSpec) -> str:
    lo, hi = typed_range(spec)
    whole = spec.kind == "int" or spec.control == "hubs"
    what = "a whole number" if whole else "a number"
    unit = short_unit(spec.unit)
    return f"allowed: {what} from {_plain_number(lo)} to {_plain_number(hi)}" + (f" ({unit})" if unit else "")


def _plain_number(x: float) -> str:
    """A bound as a councillor reads it: 10,000,000,000, not 1e+10; 0.05, not 5e-02."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


def shown_text(raw: Any, limit: int = 40) -> str:
    """A value as a message shows it: text quoted, and cut short if long."""
    if not isinstance(raw, str):
        return str(raw)
    return repr(raw) if len(raw) <= limit else repr(raw[:limit]) + f"... ({len(raw):,} characters)"


def lever_number(spec: LeverSpec, raw: Any) -> float:
    """A typed text or a control's value as the number a control sets, checked before any work.

    Text may carry thousands separators and a pound sign. The checks are the ones the schema
    cannot make before the scenario is built (a finite number, a whole number, the hubs box's
    count, the app's upper end for open-ended parameters: :func:`typed_range`); the schema's own
    bounds are left to the schema, whose messages name them.

    Raises:
        ValueError: one line naming the field, the value and what is allowed.
    """
    name = f"{spec.path} = {shown_text(raw)}: '{spec.label}'"
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{name} needs a number; {_allowed(spec)}")
    try:
        value = (
            float(str(raw).replace(",", "").replace("£", "").strip()) if isinstance(raw, str) else float(raw)
        )
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} needs a number; {_allowed(spec)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} needs a finite number; {_allowed(spec)}")
    lo, hi = typed_range(spec)
    whole = spec.kind == "int" or spec.control == "hubs"
    if whole and value != int(value):
        raise ValueError(f"{name} needs a whole number; {_allowed(spec)}")
    schema_bounded_lo = spec.hard_min is not None and spec.control != "hubs"
    schema_bounded_hi = spec.hard_max is not None and spec.control != "hubs"
    # out of the schema's own bounds: the schema's message names them (and costs nothing);
    # a whole number too large for the model, or beyond the app's own end, is refused here
    if value > hi and (not schema_bounded_hi or (whole and abs(value) > 2**31 - 1)):
        raise ValueError(f"{name} is out of range; {_allowed(spec)}")
    if value < lo and (not schema_bounded_lo or (whole and abs(value) > 2**31 - 1)):
        raise ValueError(f"{name} is out of range; {_allowed(spec)}")
    return value


def plain_message(spec: LeverSpec, text: str) -> str:
    """A message about a lever as its panel shows it: named by the lever's label, not its path.

    ``levers.prevention.spend_per_year = abc: 'Prevention spend' needs a number; ...`` reads
    ``Prevention spend = abc: needs a number; ...`` beside the control (the path stays in the log
    and in the scenario file's messages, where there is no label beside it).
    """
    head = f"{spec.path} = "
    if text.startswith(head):
        rest = text[len(head) :].replace(f": '{spec.label}' ", ": ", 1)
        return f"{spec.label} = {rest}"
    if text.startswith(spec.path):
        return spec.label + text[len(spec.path) :]
    return text.replace(spec.path, f"'{spec.label}'")


def in_words(text: str) -> str:
    """A message for the page: every lever's path in it named by the lever's label instead.

    As :func:`plain_message` does for one lever; longer paths first, so none is cut by a shorter.
    """
    for spec in sorted(lever_panel(), key=lambda x: len(x.path), reverse=True):
        if spec.path in text:
            text = plain_message(spec, text)
    return text


def override_for(spec: LeverSpec, value: float, start_year: int) -> Any:
    """The scenario value a control sets (a count of hubs becomes their opening dates)."""
    if spec.control == "hubs":
        return [f"{start_year}-04"] * int(round(value))  # April start_year: the run's first month
    return int(round(value)) if spec.kind == "int" else float(value)
