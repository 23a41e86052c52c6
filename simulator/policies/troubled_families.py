"""The Troubled Families programme: intensive whole-family work.

Mechanism: each month, ``places_per_year / 12`` eligible families start
(families with multiple needs: need at or above ``eligibility_min_need`` with
earlier statutory involvement or three or more children). During the
intervention and for ``effect_months_after`` months the chance that a child
enters care is lower by ``care_entry_reduction``, and need falls faster while
in the programme. At each enrolment an equal number of eligible families not
offered the programme, matched on need and service state, is recorded as a
comparison group, so a run evaluates itself as the national evaluation did:
children entering care within 24 months, treated vs comparison
(:meth:`TroubledFamiliesPolicy.evaluation`).

Evidence: MHCLG national evaluation 2019/2022 (grade H): children going into
care 32% lower than a matched comparison at 19-24 months; £1.51 fiscal benefit
per £1 over five years. Cost: about £10,000 per family (DCLG, 2012 prices;
grade L), user-changeable, booked when a family starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.policies.programme import Programme, ProgrammePolicy, troubled_families_programme

if TYPE_CHECKING:
    from simulator.schema import Scenario

__all__ = ["TroubledFamiliesPolicy"]


class TroubledFamiliesPolicy(ProgrammePolicy):
    """Enrols eligible families, lowers their care entries, and keeps a matched comparison group.

    The programme itself is declared once (:func:`~simulator.policies.programme.
    troubled_families_programme`), and the expected-value view reads the same declaration.
    """

    name = "troubled_families"
    channel = 1
    mechanism = (
        "Whole-family keyworker support for families with multiple needs: fewer entries to care "
        "during and after the intervention; need falls faster."
    )
    evidence = (
        "MHCLG national evaluation 2019: children in care 32% lower than matched comparison at 19-24 months."
    )
    grade = "H"

    @staticmethod
    def programme_of(scenario: Scenario) -> Programme:
        """The scenario's Troubled Families programme (``levers.troubled_families``)."""
        return troubled_families_programme(scenario)
