"""Pinned known answers: a refactor proves "results unchanged" by passing these.

The engine: five scenarios x two seeds, the SHA-256 of each run's annual table (byte for byte as
annual.csv). The expected-value view: its annual tables for the baseline and three levers, to
``assert_allclose`` at 1e-9. A change meant to move results re-pins them with
``tests/regression/pin.py`` and says why in its commit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.regression import pin

PINS = json.loads((pin.HERE / "engine.json").read_text())


@pytest.mark.parametrize("key", sorted(PINS["runs"]))
def test_engine_output_is_pinned(key):
    name, seed = key.split("/")
    table = pin.engine_table(name, int(seed))
    want = PINS["runs"][key]
    last = table.iloc[-1]
    # the headline figures first, so a failure says what moved, then every byte
    for h in pin.HEADLINES:
        assert float(last[h]) == pytest.approx(want[h], rel=1e-6), f"{key}: {h} moved"
    assert pin.digest(table) == want["sha256"], f"{key}: the annual table changed"


@pytest.mark.parametrize("name", pin.VIEW_SCENARIOS)
def test_view_output_is_pinned(name):
    want = pd.read_csv(pin.HERE / f"view_{name}.csv")
    got = pin.view_table(name)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-9, atol=1e-9)
