"""Families and their children, held as arrays: one row per family, six child slots.

A family is an agent: it has a deprivation decile, a latent need, a service
state, a history and up to :data:`MAX_CHILDREN` children with birth months and
their own care status. For speed the families are not one Python object each:
their attributes are columns of arrays (owned by
:class:`simulator.agents.services.Services`, stepped by the compiled rules in
:mod:`simulator.agents.kernel`). :class:`FamilyTable` gives named access to
them, and :class:`simulator.agents.family.Family` a Mesa ``Agent`` view of any
one family. Rows of families that leave are recycled; ids stay unique.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulator.agents import kernel as kn

if TYPE_CHECKING:
    from simulator.agents.services import Services

MAX_CHILDREN = kn.K
AGE_18 = kn.AGE_18
FLAG_PRIOR, FLAG_CARE_LEAVER_PARENT, FLAG_UASC = kn.FLAG_PRIOR, kn.FLAG_CLP, kn.FLAG_UASC
NO_MONTH = kn.NO_MONTH
N_NEED, N_DECILES, N_CODES, N_CELLS = kn.N_NEED, kn.N_DECILES, kn.N_CODES, kn.N_CELLS

_FAMILY = {name: i for i, name in enumerate(kn.FAMILY_COLUMNS)}
_CHILD = {name: i for i, name in enumerate(kn.CHILD_COLUMNS)}


class FamilyTable:
    """Named access to the family arrays (``table.need``, ``table.c_birth``...).

    Columns are numpy arrays of length ``capacity`` (families) or
    ``(capacity, MAX_CHILDREN)`` (children); a row holds a family when
    ``fam_id >= 0``, a slot a child when ``c_id >= 0``. Writes from policies
    must keep ``code`` in step with ``state``/``need`` (use :meth:`recode`).
    """

    def __init__(self, services: Services):
        self._sv = services

    def __getattr__(self, name: str) -> np.ndarray:
        if name in _FAMILY:
            return self._sv.FI[:, _FAMILY[name]]
        if name == "c_route":  # the route without the legal status bit (kernel ROUTE_S20_STATUS)
            x = self._sv.CI[:, :, kn.C_ROUTE]
            return np.where(x >= 0, x & kn.ROUTE_MASK, x)
        if name in _CHILD:
            return self._sv.CI[:, :, _CHILD[name]]
        if name == "lever":
            return self._sv.FI[:, kn.LEVER0 : kn.LEVER0 + kn.LEVER_CHANNELS]
        raise AttributeError(name)

    @property
    def capacity(self) -> int:
        """Rows in the table, in use or free."""
        return self._sv.capacity

    @property
    def in_use(self) -> np.ndarray:
        """Rows holding a family."""
        return self.fam_id >= 0

    def recode(self, rows: np.ndarray) -> None:
        """Refresh the hazard code after changing ``state`` or ``need`` of rows."""
        flags = self.flags[rows]
        bits = (flags & 3) + np.where(flags & kn.FLAG_RECENT, 4, 0)
        self.code[rows] = (
            (self.state[rows] * N_NEED + self.need[rows]) * N_DECILES + self.decile[rows]
        ) * 8 + bits

    def home_slots(self, rows: np.ndarray) -> np.ndarray:
        """Mask (len(rows), MAX_CHILDREN) of children present and living at home."""
        rows = np.asarray(rows)
        if (
            rows.dtype.kind in "iu"
            and rows.ndim == 1
            and rows.size > 1
            and rows[0] >= 0
            and rows[-1] - rows[0] + 1 == rows.size
            and np.all(np.diff(rows) == 1)
        ):
            rows = slice(int(rows[0]), int(rows[-1]) + 1)  # a run of rows (as at set-up): no gather
        return (self.c_id[rows] >= 0) & (self.c_lac[rows] == 0)

    def row_of(self, family_id: int) -> int:
        """Row of a family id, or -1 if the family is no longer in the area."""
        hits = np.flatnonzero(self.fam_id == family_id)
        return int(hits[0]) if hits.size else -1
