"""docs/MODEL.md lists every parameter from the schema (generated, never retyped)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from simulator.schema import parameter_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("make_model_card", DOCS / "make_model_card.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_section_is_current() -> None:
    text = (DOCS / "MODEL.md").read_text(encoding="utf-8")
    assert _generator().render(text) == text, "docs/MODEL.md is stale: run python docs/make_model_card.py"


def test_every_parameter_has_a_source_and_grade() -> None:
    text = (DOCS / "MODEL.md").read_text(encoding="utf-8")
    for row in parameter_table():
        assert f"`{row['parameter']}`" in text
        assert row["source"], row["parameter"]
