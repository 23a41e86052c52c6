"""The Mesa model: families moving through early help, CIN, CP and care, month by month.

:class:`CSCModel` owns the families (:class:`~simulator.agents.families.FamilyTable`),
the services they meet (:class:`~simulator.agents.services.Services`), the
policies (levers) in force, the run's random key (``self.key``, from the seed: every draw in
the model is addressed by who it is for, the month and what it decides, under this key; see
:mod:`simulator.agents.keyed`) and the collection of results (a Mesa
``DataCollector`` with one reporter per monthly column, named from
:class:`~simulator.states.State`). ``step()`` only orchestrates.

Example:
    >>> from simulator import CSCModel, Scenario
    >>> model = CSCModel(Scenario(), seed=1)
    >>> model.run()  # burn-in, then ``run.years`` reporting years
    >>> model.results().annual.head()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np

from simulator.agents import kernel as kn
from simulator.agents import keyed
from simulator.agents.families import N_CELLS, N_DECILES, N_NEED, FamilyTable
from simulator.agents.family import Family
from simulator.agents.services import ROW_BLOCKS, Services, numpy_huge_pages, record_row, yearly_parameters
from simulator.policies import Policy, build_policies
from simulator.policies.programme import Programme, declared
from simulator.recording import COUNTERS, FLOW_NAMES
from simulator.results import Results
from simulator.schema import Scenario, series_values
from simulator.seeding import handle_seed
from simulator.states import HIGH_NEED, LegalStatus, Placement, State

FLOW_COLUMNS = [f"flow_{a}_{b}" for a in FLOW_NAMES for b in FLOW_NAMES]
#: The monthly table's columns in named blocks, in the order of ``services.ROW_BLOCKS``
#: (:meth:`CSCModel._record` writes each block whole, from its start in :data:`_BLOCK_AT`).
_BLOCK_COLUMNS: dict[str, list[str]] = {
    "head": ["month", "reporting_year", "calendar_month", "child_population", "families"],
    "children": [f"children_{s.name}" for s in State],
    "families": [f"families_{s.name}" for s in State if s != State.LAC],
    "needs": ["families_with_child_in_care", "unmet_high_need", "hidden_high_need"],
    "placements": [f"lac_{p.name}" for p in Placement if p != Placement.NONE],
    "legal": [f"lac_{s.name}" for s in LegalStatus],
    "counters": list(COUNTERS),
    "flows": FLOW_COLUMNS,
    "pressures": ["risk_index", "early_help_places", "caseload_pressure"],
}
assert set(_BLOCK_COLUMNS) == set(ROW_BLOCKS), "services.ROW_BLOCKS and the blocks named here differ"
MONTHLY_BLOCKS: tuple[tuple[str, list[str]], ...] = tuple((b, _BLOCK_COLUMNS[b]) for b in ROW_BLOCKS)
_BLOCK_AT = np.cumsum([0] + [len(names) for _, names in MONTHLY_BLOCKS[:-1]]).astype(np.int64)


def _thin(
    u: np.ndarray, group: np.ndarray, weights: Sequence[float] | np.ndarray, size: np.ndarray, want: float
) -> np.ndarray:
    """Pick items independently with probability ``min(1, c * weights[group])``.

    ``u`` holds each item's own uniform (keyed by its id, so the pick is order-free).
    ``c`` is set so that the picked items' ``size`` adds up to ``want`` on average: a fast
    O(n) weighted sample. Items fall into a few groups (need level, age band), so the search
    for ``c`` runs on the group totals.
    """
    totals = np.bincount(group, weights=size, minlength=len(weights))
    return u < thin_probabilities(weights, totals, want)[group]


def thin_probabilities(weights: Sequence[float] | np.ndarray, totals: np.ndarray, want: float) -> np.ndarray:
    """Per-group pick probabilities ``min(1, c * weight)``, ``c`` set so ``sum(p * totals) = want``.

    Shared by the model's start (:func:`_thin`) and the aggregate view, so both pick the
    same starting stocks.
    """
    weights = np.asarray(weights, dtype=float)
    if want <= 0 or np.dot(weights, totals) <= 0:
        return np.zeros_like(weights)
    lo, hi = 0.0, 1.0 / max(float(weights[weights > 0].min()), 1e-12)
    for _ in range(60):  # bisection: some probabilities saturate at 1
        mid = 0.5 * (lo + hi)
        if np.dot(np.minimum(1.0, mid * weights), totals) < want:
            lo = mid
        else:
            hi = mid
    return np.minimum(1.0, hi * weights)


class CSCModel(mesa.Model):
    """Children's social care demand model for one area (an LA or England).

    Args:
        scenario: the validated scenario (defaults: the typical LA).
        seed: seed for the model's generators; defaults to ``scenario.run.seed``.
            Passing both ``seed`` and ``rng`` is an error (Mesa's rule).
        rng: a numpy ``Generator`` or seed-like to use instead of ``seed`` (the run's key is
            then drawn from it).
        policies: lever objects; by default built from ``scenario`` by
            :func:`simulator.policies.build_policies`.
        programmes: declared programmes (:class:`simulator.policies.programme.Programme`) run
            after those levers; the expected-value view's ``run_aggregate(..., programmes=...)``
            runs the same declarations.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        rng: Any = None,
        policies: Sequence[Policy] | None = None,
        programmes: Sequence[Programme] = (),
    ):
        scenario = scenario if scenario is not None else Scenario()
        if seed is None and rng is None:
            seed = scenario.run.seed
        if seed is not None:
            seed = handle_seed(seed)  # a seed typed in a box arrives as text: "42" != 42 for numpy
        super().__init__(seed=seed, rng=rng)
        self.scenario = scenario
        self.seed = seed
        #: The run's random key (two 32-bit words): every draw of the engine, the set-up and the
        #: levers is addressed under it (:mod:`simulator.agents.keyed`).
        self.key = keyed.key_words(seed if seed is not None else int(self.rng.integers(2**63)))
        self.month = 0
        self.burn_in = scenario.run.burn_in_months
        self.scale = 1.0 / scenario.run.sample_fraction
        self.target_children = scenario.population.children * scenario.run.sample_fraction
        self.services = Services(self, capacity=int(self.target_children / 1.6 * 1.12) + 256)
        self.families = FamilyTable(self.services)
        self._uasc_path = series_values(
            scenario.population.uasc_path, scenario.run.start_year, scenario.run.years
        )
        self._yearly = yearly_parameters(scenario)  # the dated drivers, year by year
        self.equity_rows: list[dict[str, Any]] = []
        self.policy_rows: list[dict[str, Any]] = []
        columns = self.monthly_columns()
        self._col = {name: i for i, name in enumerate(columns)}
        self._monthly = np.zeros((self.total_months, len(columns)))
        self._yearly.write(self.services.PV, 0)  # the starting stock's plans: year 1's practice
        with numpy_huge_pages(False):  # the set-up's temporaries (the tables keep huge pages)
            self._populate()
        if policies is None:
            policies = build_policies(self)
        self.policies = [*policies, *(declared(p)(self) for p in programmes if p.active)]
        channels = [p.channel for p in self.policies if p.channel is not None]
        if len(set(channels)) < len(channels):
            names = [f"{p.name} (channel {p.channel})" for p in self.policies if p.channel is not None]
            raise ValueError(f"levers share a lever channel: {', '.join(names)}; each needs its own")
        for policy in self.policies:
            policy.setup(self)

    # ------------------------------------------------------------------ columns

    @staticmethod
    def monthly_columns() -> list[str]:
        """Names of the monthly reporters, from the State enum and the counters."""
        return [name for _block, names in MONTHLY_BLOCKS for name in names]

    # ------------------------------------------------------------------ set-up

    def _populate(self) -> None:
        """Families, children and the published 2024 stocks of each service."""
        sc, f, sv = self.scenario, self.families, self.services

        def draws(ids: np.ndarray, k: int, purpose: int = keyed.P_START) -> np.ndarray:
            """The ``k``-th set-up uniform of each family (or child) id."""
            return keyed.uniforms(self.key, ids, keyed.SETUP_MONTH - 1 - k, purpose)

        pop = sc.population
        target = self.target_children
        start = sc.start
        uasc_stock = int(round(start.uasc_per_10k * target / 10_000))
        resident_target = max(1, int(round(target)) - uasc_stock)
        # families and children (ages, deprivation; deprived families start with more need)
        mean_size = float(np.dot(np.arange(1, 5), pop.children_per_family_shares))
        sv.ensure_capacity(int(resident_target / mean_size * 1.05) + uasc_stock + 256)
        need_w = np.asarray(sc.need.initial_need_shares)[None, :] * sv.dep_mult[:, None] ** np.arange(N_NEED)
        need_cum = np.cumsum(need_w / need_w.sum(axis=1, keepdims=True), axis=1)
        size_cum = np.cumsum(pop.children_per_family_shares) / np.sum(pop.children_per_family_shares)
        kn.populate(*sv.args, 0, resident_target, size_cum, need_cum)
        rows = np.flatnonzero(f.fam_id >= 0)
        # history: earlier statutory involvement at its long-run prevalence for each need level
        fids = f.fam_id[rows]
        prior = draws(fids, 0) < np.asarray(sc.need.initial_prior_share_by_need)[f.need[rows]]
        f.flags[rows[prior]] |= kn.FLAG_PRIOR
        f.recode(rows[prior])
        # starting stocks: families picked by need for CP, CIN and early help
        resident = int(f.n_kids[rows].sum())
        need_w = {
            State.CP: (0.05, 0.3, 3.0, 12.0),
            State.CIN: (0.1, 1.0, 6.0, 6.0),
            State.EARLY_HELP: (0.1, 3.0, 3.0, 1.0),
        }
        per_child = 1 / 10_000
        cin_plans = (
            start.cin_per_10k - start.cp_per_10k - start.lac_per_10k - start.uasc_per_10k
        ) * per_child
        want = {
            State.CP: start.cp_per_10k * per_child * resident,
            State.CIN: max(cin_plans, 0.0) * resident,
            State.EARLY_HELP: sc.early_help.initial_share_of_social_care
            * start.cin_per_10k
            * per_child
            * resident,
        }
        free = np.ones(rows.size, dtype=bool)
        n_home = f.n_home[rows].astype(np.float64)
        need = f.need[rows]
        for k, state in enumerate((State.CP, State.CIN, State.EARLY_HELP)):
            group = np.where(free, need, N_NEED)  # families already picked form a group of weight 0
            take = np.flatnonzero(
                _thin(draws(fids, 1 + k), group, (*need_w[state], 0.0), n_home, want[state])
            )
            free[take] = False
            kn.bulk_set_state(*sv.args, 0, rows[take], int(state), 0)
            if state == State.CP:
                # plans already running at the start are at any point of their review cycle
                interval = sc.cp.review_interval_months
                f.review[rows[take]] = 1 + np.minimum(
                    (draws(fids[take], 4) * interval).astype(np.int64), interval - 1
                )
                f.next_due[rows[take]] = np.minimum(f.next_due[rows[take]], f.review[rows[take]])
                f.flags[rows[take]] |= kn.FLAG_REVIEWED  # past their first review
        # children in care at the start: from families with high need, older than entrants
        lac_want = start.lac_per_10k * per_child * resident
        r_i, s_i = np.nonzero(f.home_slots(rows))
        age = -f.c_birth[rows[r_i], s_i]
        band = np.searchsorted([12, 60, 120, 192], age, side="right")
        group = band * N_NEED + f.need[rows[r_i]]
        weights = np.outer([0.6, 0.9, 0.9, 1.5, 2.2], [0.02, 0.3, 3.0, 6.0]).ravel()
        cids = f.c_id[rows[r_i], s_i]
        pick = np.flatnonzero(
            _thin(draws(cids, 0, keyed.P_START_CARE), group, weights, np.ones(group.size), lac_want)
        )
        route = np.searchsorted(
            np.cumsum(sc.care.route_shares), draws(cids[pick], 1, keyed.P_START_CARE) * 0.999999
        )
        kn.bulk_admit(*sv.args, 0, rows[r_i[pick]], s_i[pick].astype(np.int64), route.astype(np.int64), True)
        if uasc_stock:
            ages = (draws(np.arange(uasc_stock), 0, keyed.P_UASC) * 36).astype(np.int64)
            birth = -(15 * 12 + np.minimum(ages, 35)).astype(np.int64)
            kn.bulk_uasc(*sv.args, 0, birth)
        # capacity: early help places and social work caseload, sized to the starting position
        sv.tally(0)
        stocks = sv.stocks()
        sv.eh_places = sv.n_eh_families * sc.early_help.places_headroom
        self.base_eh_places = sv.eh_places
        statutory = stocks[State.CIN] + stocks[State.CP] + stocks[State.LAC]
        sv.caseload_capacity = statutory * sc.workforce.caseload_headroom
        sv.caseload = statutory

    # ------------------------------------------------------------------ stepping

    @property
    def reporting(self) -> bool:
        """True once the burn-in is over."""
        return self.month >= self.burn_in

    @property
    def total_months(self) -> int:
        """Months the full run takes (burn-in plus reporting years)."""
        return self.burn_in + 12 * self.scenario.run.years

    def step(self) -> None:
        """Advance one month: levers update, then every family's month (compiled), then record."""
        sv, sc = self.services, self.scenario
        sv.set_risk_index(sc.risk_aversion.index)
        sv.eh_places = self.base_eh_places
        for policy in self.policies:
            policy.start_month(self)
        months_in = max(self.month - self.burn_in, 0)
        year_i = min(months_in // 12, sc.run.years - 1)
        target = self.target_children * (1.0 + sc.population.growth_per_year) ** (months_in / 12)
        sv.uasc_multiplier = self._uasc_path[year_i]
        self._yearly.write(sv.PV, year_i)  # the year's practice: exit plans, pre-birth, section 47
        sv.step(self.month, target)
        for policy in self.policies:
            policy.end_month(self)
        self._record()
        self.month += 1

    def run(self, progress: Any = None) -> None:
        """Run the burn-in and every reporting month; ``progress`` is called with each month."""
        while self.month < self.total_months:
            self.step()
            if progress is not None:
                progress(self.month)

    # ------------------------------------------------------------------ recording

    def _record(self) -> None:
        sv = self.services
        m = self.month - self.burn_in
        year = self.scenario.run.start_year + 1 + m // 12 if m >= 0 else -1
        # the row's blocks (MONTHLY_BLOCKS) in one compiled call; the caseload is read back
        sv.caseload = record_row(
            self._monthly[self.month],
            _BLOCK_AT,
            sv.tallies,
            sv.M,
            self.month,
            sv.PV[kn.P_PO_MONTHS],
            float(m),
            float(year),
            float((3 + m) % 12 + 1),
            float(sv.families_with_lac),
            float(sv.hidden),
            float(sv.risk_index),
            float(sv.eh_places),
            float(sv.caseload_capacity),
        )
        if m >= 0:
            if m % 12 == 11:
                self._record_equity(sv.cube[:N_CELLS].reshape(kn.N_AT_HOME, N_NEED, N_DECILES), year)
            for policy in self.policies:
                out = policy.monthly_outputs(self)
                if out:
                    self.policy_rows.append(
                        {"month": m, "reporting_year": year, "policy": policy.name, **out}
                    )

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's collector of children by state in each reported month (named from ``State``).

        The engine keeps the whole monthly table in one array (:meth:`monthly_table`, read by
        :meth:`results`); the collector is filled from it when asked for, so collecting costs the
        monthly step nothing (Mesa's ``collect`` deep-copies each value, 7 ms of a 0.25 s run).
        """
        columns = {f"children_{s.name}": self._col[f"children_{s.name}"] for s in State}
        collector = mesa.DataCollector(
            model_reporters={name: (lambda m, i=i: m._monthly[m.month - 1, i]) for name, i in columns.items()}
        )
        reported = self._monthly[self.burn_in : max(self.month, self.burn_in)]
        for name, i in columns.items():
            collector.model_vars[name] = reported[:, i].tolist()
        return collector

    def monthly_table(self) -> np.ndarray:
        """Rows recorded so far (one per month, columns :meth:`monthly_columns`)."""
        return self._monthly[: self.month]

    def _record_equity(self, cube: np.ndarray, year: int) -> None:
        """Stocks by deprivation quintile at 31 March (the equity picture)."""
        lac_by_decile = self.services.lac_dec
        lac_uasc = self.services.uasc_lac_dec
        home_by_decile = cube.sum(axis=(0, 1))
        for q in range(5):
            d = slice(2 * q, 2 * q + 2)
            self.equity_rows.append(
                {
                    "year": year,
                    "deprivation_quintile": q + 1,
                    "children": float(home_by_decile[d].sum() + lac_by_decile[d].sum()),
                    "early_help": float(cube[State.EARLY_HELP, :, d].sum()),
                    "cin": float(cube[State.CIN, :, d].sum()),
                    "cp": float(cube[State.CP, :, d].sum()),
                    "lac": float(lac_by_decile[d].sum() - lac_uasc[d].sum()),
                    "unmet_high_need": float(cube[State.UNIVERSAL, HIGH_NEED:, d].sum()),
                }
            )

    # ------------------------------------------------------------------ outputs

    def results(self) -> Results:
        """Tidy DataFrames of this run (annual, monthly, episodes, equity), stamped."""
        return Results.from_model(self)

    def release(self) -> None:
        """Free the run's family and log arrays now; tables taken from :meth:`results` stay.

        A model is in reference cycles (Mesa's ``Model`` keeps bound methods of itself, and the
        services point back at the model), so its arrays otherwise wait for Python's cyclic
        garbage collector. A process that runs model after model (the app's workers, paired
        comparisons, sweeps) then holds several runs' arrays at once, and each new run touches
        fresh memory, which is slow on a virtual machine. After this the model cannot step, and
        its episodes and families are gone.
        """
        self.services = None  # type: ignore[assignment]
        self.families = None  # type: ignore[assignment]

    def policy(self, name: str) -> Policy:
        """The lever called ``name`` in this run (e.g. ``"troubled_families"``)."""
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(f"lever {name!r} is not switched on in scenario {self.scenario.name!r}")

    def family(self, family_id: int) -> Family:
        """A Mesa ``Agent`` view of one family: attributes now and its journey so far."""
        return Family(self, family_id)

    def family_ids(self, state: State | None = None) -> np.ndarray:
        """Ids of families in the area now, optionally only those with a child in ``state``."""
        f = self.families
        mask = f.fam_id >= 0
        if state == State.LAC:
            mask &= f.n_lac > 0
        elif state is not None:
            mask &= (f.state == state) & (f.n_home > 0)
        return f.fam_id[mask]
