"""The classic Mesa reference: one ``mesa.Agent`` per family, stepped with ``shuffle_do("step")``.

This is the yardstick the project's engine is measured against (speed) and
checked against (the same stock trajectories in distribution,
``tests/test_classic_reference.py``). It ports the engine's family rules
(:mod:`simulator.agents.kernel`) to plain Python, one object per family and per
child, with no arrays, no compilation and no two-stage draw: every family draws
its competing hazards every month.

The shared core rules (what both implement, identically):

- scheduled events: care episodes end as planned at entry (return home,
  adoption, special guardianship, 18th birthday); children at home turn 18 and
  leave; protection plans are reviewed (first review, then every interval);
- hazards, competing, per family per month from its state, need, deprivation,
  history (prior involvement, care-leaver parent, recent closure) and
  teenagers at home: adverse event (need rises one or two levels), recovery,
  referral, early help identification, closure (step-down to early help),
  section 47 enquiry, entry to care;
- the front door: assessment, then no further action, early help (places
  permitting), a CIN plan or a section 47 enquiry; enquiries lead to
  emergency removal, an initial conference and a protection plan, or CIN;
- entry to care: an index child picked by age, siblings join; placement by
  age; exit plan drawn at entry;
- capacity: the early help places and the caseload pressure on thresholds;
- births keeping the child population at its target (just over half to
  families with children at home, the rest start new families).

Not in the shared core (switched off in the engine by scenario overrides, see
:data:`CORE_OVERRIDES`): families moving in and out, new unaccompanied
asylum-seeking children, population growth, and the policy levers (all off by
default). The starting population is the engine's own set-up for the same
scenario and seed (copied into agents), so both start from identical families.

Run it alone::

    .venv/bin/python benchmarks/classic_mesa.py --children 20000 --months 12 --seed 1
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import mesa
import numpy as np

from simulator.agents import kernel as kn
from simulator.model import CSCModel
from simulator.schema import Scenario, load_scenario, with_overrides
from simulator.states import RECENT_CLOSURE, TEEN_AGE, State

#: Scenario overrides that reduce the engine to the shared core rules.
CORE_OVERRIDES: dict[str, Any] = {
    "population": {"move_rate_per_year": 0.0, "uasc_starts_per_10k": 0.0, "growth_per_year": 0.0},
    "run": {"burn_in_months": 0, "record_episodes": False},
}

U, EH, CIN, CP, LAC = kn.U, kn.EH, kn.CIN, kn.CP, kn.LAC
STATE_NAMES = tuple(s.name for s in State)


def core_scenario(scenario: Scenario | None = None, **run: Any) -> Scenario:
    """The scenario (default: the baseline file) reduced to the shared core rules."""
    if scenario is None:
        scenario = load_scenario("scenarios/baseline.toml")
    over = {k: dict(v) for k, v in CORE_OVERRIDES.items()}
    over["run"].update(run)
    return with_overrides(scenario, over)


class Child:
    """One child: birth month, and while looked after the placement and exit plan."""

    __slots__ = ("birth", "lac", "place", "exit", "exit_reason", "route", "move")

    def __init__(self, birth: int):
        self.birth = birth
        self.lac = False
        self.place = -1
        self.exit = kn.FAR
        self.exit_reason = 0
        self.route = -1
        self.move = kn.FAR


class FamilyAgent(mesa.Agent):
    """A family: deprivation decile, latent need, service state, history and children."""

    def __init__(self, model: ClassicModel, decile: int, need: int, flags: int):
        super().__init__(model)
        self.decile = decile
        self.need = need
        self.state = U
        self.flags = flags
        self.closed = kn.NO_MONTH
        self.last_ref = kn.NO_MONTH
        self.review = kn.FAR
        self.children: list[Child] = []
        self.alive = True

    # -- counts ------------------------------------------------------------------------------

    @property
    def n_home(self) -> int:
        """Children living at home."""
        return sum(1 for c in self.children if not c.lac)

    # -- the month ---------------------------------------------------------------------------

    def step(self) -> None:
        """Scheduled events, then one competing-hazards draw, then the event if any."""
        m = self.model
        t = m.t
        for c in list(self.children):
            if not self.alive:
                return
            if c.lac:
                if c.exit <= t:
                    self.care_exit(c)
                elif c.move <= t:
                    self.placement_move(c)
            elif c.exit <= t:  # a baby removed after birth, as planned at its birth
                self.admit(c, kn.RT_ORDER)
                if self.n_home == 0:
                    self.set_state(U)
            elif c.birth + kn.AGE_18 <= t:
                self.age_out(c)
        if not self.alive:
            return
        if self.state == CP and self.review <= t:
            self.cp_review()
        rates, teens = self.rates()
        total = sum(rates)
        if total <= 0.0:
            return
        rnd = m.random.random
        if rnd() >= 1.0 - math.exp(-total / 12.0):
            return
        x = rnd() * total
        event = 6
        acc = 0.0
        for e, r in enumerate(rates):
            acc += r
            if x < acc:
                event = e
                break
        self.hazard_event(event, rates, teens)

    def rates(self) -> tuple[list[float], int]:
        """Annual rates of the seven hazards, and teenagers at home."""
        m = self.model
        t = m.t
        st, need = self.state, self.need
        rates = list(m.base[st][need])
        teens = sum(1 for c in self.children if not c.lac and t - c.birth >= TEEN_AGE)
        dep = m.dep[self.decile]
        adv = rates[kn.ADVERSE]
        if self.flags & kn.FLAG_CLP:
            adv *= m.p["clp_mult"]
        if self.flags & kn.FLAG_PRIOR:
            adv *= m.p["prior_adv"]
        rates[kn.ADVERSE] = (adv + m.p["ch_rate"] * teens) * dep if need < 3 else 0.0
        ref = m.p["ra_ref"]
        recent = t - self.closed < RECENT_CLOSURE
        if recent:
            ref *= m.p["reref_mult"]
        if self.flags & kn.FLAG_PRIOR:
            ref *= m.p["prior_ref"]
        rates[kn.REFER] *= ref
        rates[kn.S47] *= m.p["ra_s47"]
        if recent and st == CIN:  # stepped down from a protection plan in the last 12 months
            rates[kn.S47] *= m.p["stepdown_s47"]
        rates[kn.CARE] *= m.p["ra_care"]
        if self.n_home == 0:
            for e in range(kn.REFER, 7):
                rates[e] = 0.0
        return rates, teens

    def hazard_event(self, event: int, rates: list[float], teens: int) -> None:
        """Carry out one hazard event."""
        m = self.model
        rnd = m.random.random
        if event == kn.ADVERSE:
            jump = 2 if rnd() < m.p["two_level"] else 1
            self.need = min(3, self.need + jump)
            m.count["adverse"] += 1
        elif event == kn.RECOVER:
            self.need -= 1
        elif event == kn.REFER:
            self.front_door()
        elif event == kn.IDENTIFY:
            self.offer_early_help(-1)
        elif event == kn.CLOSE:
            if self.state == EH:
                self.set_state(U)
            elif self.state == CIN:
                if rnd() < m.p["cin_stepdown_eh"]:
                    self.offer_early_help(U)
                else:
                    self.set_state(U)
        elif event == kn.S47:
            self.section47()
        elif event == kn.CARE:
            self.enter_care(kn.RT_S20 if rnd() < m.p["s20_share"] else kn.RT_ORDER)

    # -- services ----------------------------------------------------------------------------

    def set_state(self, new: int, stepped_down: bool = False) -> None:
        """Move the children at home to ``new``."""
        old = self.state
        if old == new:
            return
        m = self.model
        if new == EH:
            m.n_eh += 1
        if old == EH:
            m.n_eh -= 1
        self.state = new
        if new in (CIN, CP):
            self.flags |= kn.FLAG_PRIOR
        if new == U or (new == CIN and stepped_down):  # closed, or stepped down at a review
            self.closed = m.t
        elif new == CIN:  # opened from universal services or early help: no step-down to count from
            self.closed = kn.NO_MONTH
        if new == CP:
            late = kn.first_review_late(m.PV, m.random.random())  # the engine's own rule
            self.review = m.t + int(m.p["cp_first_review"]) + (1 if late else 0)
            self.flags &= ~kn.FLAG_REVIEWED

    def offer_early_help(self, fallback: int) -> None:
        """Early help while places last; otherwise turned away (to ``fallback`` if >= 0)."""
        m = self.model
        if self.n_home == 0:
            return
        if m.n_eh < m.eh_places:
            self.set_state(EH)
        else:
            m.count["eh_turned_away"] += self.n_home
            if fallback >= 0:
                self.set_state(fallback)

    def front_door(self) -> None:
        """A referral: counted, assessed, and an outcome decided."""
        m = self.model
        rnd = m.random.random
        n = self.n_home
        m.count["referrals"] += n
        self.last_ref = m.t
        if rnd() >= m.p["assessed"]:
            return
        m.count["assessments"] += n
        need = self.need
        p_eh = m.eh_out[need]
        p_cin = m.cin_out[need] * m.pressure
        p_s47 = m.s47_out[need] * m.p["ra_s47"]
        total = p_eh + p_cin + p_s47
        scale = 1.0 / total if total > 1.0 else 1.0
        u = rnd()
        if u < p_s47 * scale:
            self.section47()
        elif u < (p_s47 + p_cin) * scale:
            self.set_state(CIN)
        elif u < total * scale and self.state == U:
            self.offer_early_help(-1)

    def section47(self) -> None:
        """Enquiry: emergency removal, conference and plan, continued CIN, or no further action."""
        m = self.model
        rnd = m.random.random
        m.count["s47"] += self.n_home
        need = self.need
        p_em = m.emerg[need] * m.p["ra_care"]
        p_conf = p_em + m.conf[need] * m.pressure
        u, v = rnd(), rnd()
        if u < p_em:
            self.enter_care(kn.RT_EMERGENCY)
            if self.alive and self.n_home > 0 and self.state != CP:
                self.set_state(CIN)
        elif u < p_conf:
            if v < m.p["plan_given_conf"]:
                self.set_state(CP)
            elif self.state != CP:
                self.set_state(CIN)
        elif v < m.p["cin_after_s47"] and self.state <= EH:
            self.set_state(CIN)

    def cp_review(self) -> None:
        """A review conference: the plan ends (step down to CIN, or close) or continues."""
        m = self.model
        rnd = m.random.random
        first = not self.flags & kn.FLAG_REVIEWED
        if rnd() < kn.review_end_probability(m.PV, self.need, first):  # the engine's own rule
            if rnd() < m.p["cp_stepdown"]:
                self.set_state(CIN, stepped_down=True)
            else:
                self.set_state(U)
        else:
            self.flags |= kn.FLAG_REVIEWED
            self.review = m.t + int(m.p["cp_interval"])

    # -- care --------------------------------------------------------------------------------

    def enter_care(self, route: int) -> None:
        """An index child (weighted by age) and perhaps siblings enter care."""
        m = self.model
        rnd = m.random.random
        home = [c for c in self.children if not c.lac]
        if not home:
            return
        weights = [m.sel_w[kn.age_band(m.t - c.birth)] for c in home]
        x = rnd() * sum(weights)
        acc = 0.0
        pick = home[-1]
        for c, w in zip(home, weights, strict=True):
            acc += w
            if x < acc:
                pick = c
                break
        for c in home:
            if c is pick or rnd() < m.p["sib_join"]:
                self.admit(c, route)
        if self.n_home == 0:
            self.set_state(U)

    def admit(self, c: Child, route: int) -> None:
        """Child ``c`` starts to be looked after: placement and exit plan decided now."""
        m = self.model
        t = m.t
        age = t - c.birth
        if (
            route == kn.RT_S20
            and age < kn.AGE_1
            and m.p["infant_order"] > 0
            and m.random.random() < m.p["infant_order"]
        ):
            route = kn.RT_ORDER  # newborns are mostly removed through care proceedings
        m.count["lac_starts"] += 1
        c.lac = True
        self.flags |= kn.FLAG_PRIOR
        # placement row: by age band at entry (under 5, 5-9, 10-15, 16-17), then unaccompanied children
        prow = 4 if route == kn.RT_UASC else sum(age >= edge for edge in (kn.AGE_5, kn.AGE_10, kn.AGE_16))
        c.place = m.draw(m.place_cum[prow])
        c.route = route
        birthday = c.birth + kn.AGE_18
        reason, months = m.plan_exit(age, route)
        if reason == kn.R_TURNED_18:
            exit_month = birthday
        else:
            exit_month = t + months
            if exit_month >= birthday:
                exit_month, reason = birthday, kn.R_TURNED_18
        c.exit = max(exit_month, t + 1)
        c.exit_reason = reason
        c.move = t + m.months_to_move(c.place, True)

    def placement_move(self, c: Child) -> None:
        """Child ``c`` in care moves to another placement (the engine's rules: kernel placement_move)."""
        m = self.model
        prow = kn.placement_row(m.t - c.birth, c.route)
        c.place = m.draw(m.place_cum[prow])  # where children of its age are placed
        m.count["placement_moves"] += 1
        c.move = m.t + m.months_to_move(c.place, True)

    def care_exit(self, c: Child) -> None:
        """A care episode ends as planned at entry."""
        m = self.model
        reason = c.exit_reason
        c.lac = False
        c.place = -1
        c.exit = kn.FAR  # at home: no removal planned
        m.count["lac_ceases"] += 1
        if reason == kn.R_RETURNED_HOME:
            if self.need < m.p["after_rh_need"]:
                self.need = int(m.p["after_rh_need"])
            if self.state <= EH:
                self.set_state(CIN)
        else:
            self.remove_child(c)

    def age_out(self, c: Child) -> None:
        """A child at home turns 18 and leaves children's services."""
        c.lac = True  # not at home any more while leaving
        if self.n_home == 0 and self.state != U:
            self.set_state(U)
        self.remove_child(c)

    def remove_child(self, c: Child) -> None:
        """A child leaves the area's children; a family with none left leaves the model."""
        self.children.remove(c)
        if not self.children:
            if self.state == EH:
                self.model.n_eh -= 1
            self.alive = False
            self.remove()


class ClassicModel(mesa.Model):
    """The shared core rules with one Mesa agent per family.

    Args:
        scenario: a scenario already reduced by :func:`core_scenario`.
        seed: seed of the set-up (the engine's, for the same starting families) and of
            this model's own generators.
    """

    def __init__(self, scenario: Scenario, seed: int):
        super().__init__(seed=seed)
        self.t = 0
        engine = CSCModel(scenario, seed=seed)  # the starting population, identical to the engine's
        sv = engine.services
        self._read_parameters(engine)
        fi, ci = sv.FI, sv.CI
        for row in np.flatnonzero(fi[:, kn.FAM_ID] >= 0):
            f = FamilyAgent(self, int(fi[row, kn.DECILE]), int(fi[row, kn.NEED]), int(fi[row, kn.FLAGS]))
            f.state = int(fi[row, kn.STATE])
            f.closed = int(fi[row, kn.CLOSED])
            f.last_ref = int(fi[row, kn.LAST_REF])
            f.review = int(fi[row, kn.REVIEW])
            for k in range(kn.K):
                if ci[row, k, kn.C_ID] >= 0:
                    c = Child(int(ci[row, k, kn.C_BIRTH]))
                    if ci[row, k, kn.C_LAC]:
                        c.lac = True
                        c.place = int(ci[row, k, kn.C_PLACE])
                        c.exit = int(ci[row, k, kn.C_EXIT])
                        c.exit_reason = int(ci[row, k, kn.C_EXIT_REASON])
                        c.route = int(ci[row, k, kn.C_ROUTE]) & kn.ROUTE_MASK
                        c.move = int(ci[row, k, kn.C_MOVE])
                    f.children.append(c)
        self.n_eh = sum(1 for f in self.agents if f.state == EH and f.n_home > 0)
        self.eh_places = float(engine.base_eh_places)
        self.caseload_capacity = float(sv.caseload_capacity)
        self.caseload = float(sv.caseload)
        self.target_children = float(engine.target_children)
        self.months = engine.total_months
        self.pressure = 1.0
        self.count: dict[str, int] = {}
        self.rows: list[dict[str, float]] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={
                f"children_{name}": (lambda m, s=s: m.stocks()[s]) for s, name in enumerate(STATE_NAMES)
            }
        )

    def _read_parameters(self, engine: CSCModel) -> None:
        """Parameter values from the scenario, as the engine packed them (no levers)."""
        sv = engine.services
        P = sv.PV
        self.PV = P.copy()  # for the rules the engine declares as functions of its parameters

        def vec(name: str) -> list[float]:
            return [float(x) for x in sv.vec(name)]

        self.p = {
            "two_level": P[kn.P_TWO_LEVEL],
            "ch_rate": P[kn.P_CH_RATE],
            "clp_mult": P[kn.P_CLP_MULT],
            "prior_adv": P[kn.P_PRIOR_ADV],
            "reref_mult": P[kn.P_REREF_MULT],
            "stepdown_s47": P[kn.P_STEPDOWN_S47],
            "prior_ref": P[kn.P_PRIOR_REF],
            "assessed": P[kn.P_ASSESSED],
            "plan_given_conf": P[kn.P_PLAN_GIVEN_CONF],
            "cin_after_s47": P[kn.P_CIN_AFTER_S47],
            "cin_stepdown_eh": P[kn.P_CIN_STEPDOWN_EH],
            "cp_first_review": P[kn.P_CP_FIRST_REVIEW],
            "cp_interval": P[kn.P_CP_INTERVAL],
            "cp_stepdown": P[kn.P_CP_STEPDOWN],
            "sib_join": P[kn.P_SIB_JOIN],
            "adopt_u5": P[kn.P_ADOPT_U5],
            "sgo": P[kn.P_SGO],
            "sigma": P[kn.P_SIGMA],
            "after_rh_need": P[kn.P_AFTER_RH_NEED],
            "ra_ref": P[kn.P_RA_REF],
            "ra_s47": P[kn.P_RA_S47],
            "ra_care": P[kn.P_RA_CARE],
            "s20_share": P[kn.P_S20_SHARE],
            "existing_birth_share": P[kn.P_EXISTING_BIRTH_SHARE],
            "clp_share": P[kn.P_CLP_SHARE],
            # added to the engine while this reference was written: absent in older kernels
            "infant_order": P[kn.P_INFANT_ORDER] if hasattr(kn, "P_INFANT_ORDER") else 0.0,
        }
        self.p = {k: float(v) for k, v in self.p.items()}
        base = vec("base")
        self.base = [[base[(s * 4 + n) * 7 : (s * 4 + n) * 7 + 7] for n in range(4)] for s in range(4)]
        self.dep = vec("dep")
        self.eh_out, self.cin_out, self.s47_out = vec("eh_out"), vec("cin_out"), vec("s47_out")
        self.conf, self.emerg, self.cp_end = vec("conf"), vec("emerg"), vec("cp_end")
        self.sel_w, self.rh, self.med = vec("sel_w"), vec("rh"), vec("med")
        pc = vec("place_cum")
        self.place_cum = [pc[6 * i : 6 * i + 6] for i in range(5)]
        self.decile_cum, self.need_cum = vec("decile_cum"), vec("need_cum")
        self.workforce_elasticity = float(engine.scenario.workforce.threshold_elasticity)

    # -- helpers -----------------------------------------------------------------------------

    def draw(self, cum: list[float]) -> int:
        """Index drawn from a cumulative distribution."""
        u = self.random.random()
        for i, c in enumerate(cum):
            if u < c:
                return i
        return len(cum) - 1

    def _geometric(self, q: float) -> int:
        if q <= 0.0:
            return kn.FAR
        if q >= 1.0:
            return 1
        return min(kn.FAR, 1 + int(math.log(1.0 - self.random.random()) / math.log(1.0 - q)))

    def months_to_move(self, place: int, new: bool) -> int:
        """Months to a child's next placement move (the engine's rules: kernel months_to_next_move)."""
        settled_q = kn.placement_move_probability(self.PV, place, False)
        if not new:
            return self._geometric(settled_q)
        breakdown = self._geometric(kn.placement_move_probability(self.PV, place, True))
        settled = self._geometric(kn.placement_settle_probability(self.PV))
        return breakdown if breakdown <= settled else settled + self._geometric(settled_q)

    def plan_exit(self, age: int, route: int) -> tuple[int, int]:
        """How and when a care episode starting at ``age`` (months) will end."""
        rnd = self.random.random
        u = rnd()
        rh, ad, sgo, oth, longrun, _stay = kn.exit_plan_shares(self.PV, age, route)  # the engine's rule
        reason, m, court = kn.R_TURNED_18, 0.0, 0.0  # court: months the court's timetable adds or saves
        if u < rh:
            reason = kn.R_RETURNED_HOME
            m = self.med[1] if route == kn.RT_ORDER else self.med[0]
        elif u < rh + ad:
            reason, m, court = kn.R_ADOPTED, self.med[2], self.PV[kn.P_COURT_SHIFT]
        elif u < rh + ad + sgo:
            reason, m, court = kn.R_SGO, self.med[3], self.PV[kn.P_COURT_SHIFT]
        elif u < rh + ad + sgo + oth:
            reason, m = kn.R_OTHER, self.PV[kn.P_OTHER_MEDIAN]
        elif u < rh + ad + sgo + oth + longrun:
            reason = kn.R_RETURNED_HOME if rnd() < 0.5 else kn.R_SGO
            m = self.med[4]
        months = 0
        if reason != kn.R_TURNED_18:
            months = max(1, int(round(m * math.exp(self.p["sigma"] * self.random.gauss(0.0, 1.0)) + court)))
        return reason, months

    def stocks(self) -> list[int]:
        """Children by state now: at home by their family's state, and looked after."""
        out = [0, 0, 0, 0, 0]
        for f in self.agents:
            for c in f.children:
                out[LAC if c.lac else f.state] += 1
        return out

    def new_family(self) -> FamilyAgent:
        """A new family in universal services (decile, need, care-leaver parent drawn)."""
        rnd = self.random.random
        decile = self.draw(self.decile_cum)
        need = self.draw(self.need_cum)
        flags = kn.FLAG_CLP if rnd() < self.p["clp_share"] else 0
        f = FamilyAgent(self, decile, need, flags)
        f.closed = kn.NO_MONTH
        return f

    # -- the month ---------------------------------------------------------------------------

    def step(self) -> None:
        """One month: every family in random order, then births, then record."""
        over = max(0.0, self.caseload / self.caseload_capacity - 1.0)
        self.pressure = 1.0 / (1.0 + self.workforce_elasticity * over)
        self.count = dict.fromkeys(
            (
                "referrals",
                "assessments",
                "s47",
                "lac_starts",
                "lac_ceases",
                "adverse",
                "eh_turned_away",
                "births",
                "placement_moves",
            ),
            0,
        )
        self.agents.shuffle_do("step")
        self.births()
        stocks = self.stocks()
        self.caseload = float(stocks[CIN] + stocks[CP] + stocks[LAC])
        row = {
            "month": self.t,
            **{f"children_{n}": stocks[s] for s, n in enumerate(STATE_NAMES)},
            **self.count,
        }
        self.rows.append(row)
        self.datacollector.collect(self)
        self.t += 1

    def births(self) -> None:
        """Births keep the child population at its target."""
        n_kids = sum(len(f.children) for f in self.agents)
        gap = self.target_children - n_kids
        n = int(self.rng.poisson(gap)) if gap > 0 else 0
        families = list(self.agents)
        rnd = self.random.random
        for _ in range(n):
            fam = None
            if rnd() < self.p["existing_birth_share"]:
                for _try in range(8):
                    f = families[int(rnd() * len(families))]
                    if f.alive and f.n_home > 0 and len(f.children) < kn.K and not f.flags & kn.FLAG_UASC:
                        fam = f
                        break
            if fam is None:
                fam = self.new_family()
            baby = Child(self.t)
            fam.children.append(baby)
            self.count["births"] += 1
            # a pre-birth assessment may end in removal at or after birth (the engine's own rules)
            sibling_in_care = any(c.lac for c in fam.children)
            p = kn.removal_at_birth_probability(self.PV, fam.state, fam.need, sibling_in_care)
            p_later = kn.removal_after_birth_probability(self.PV, fam.state, fam.need, sibling_in_care, p)
            when = kn.removal_after_birth_month(p, p_later, rnd(), self.t)
            if when == self.t:
                fam.admit(baby, kn.RT_ORDER)
            else:  # later in its first year, or never (FAR)
                baby.exit = when

    def run(self, months: int | None = None) -> None:
        """Run ``months`` months (default: the scenario's burn-in plus reporting years)."""
        for _ in range(self.months if months is None else months):
            self.step()


def main() -> None:
    """Run the reference once and print one JSON line (speed and final stocks)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sc = with_overrides(core_scenario(), {"population": {"children": args.children}})
    t0 = time.perf_counter()
    model = ClassicModel(sc, seed=args.seed)
    t1 = time.perf_counter()
    families = len(model.agents)
    model.run(args.months)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "bench": "classic_mesa",
                "children": args.children,
                "families": families,
                "months": args.months,
                "seed": args.seed,
                "setup_s": round(t1 - t0, 3),
                "run_s": round(t2 - t1, 3),
                "family_months_per_s": round(families * args.months / (t2 - t1)),
                "final": model.rows[-1],
            }
        )
    )


if __name__ == "__main__":
    main()
