"""Plain-language explainer of each state and lever, with its evidence (from the schema)."""

from __future__ import annotations

from collections.abc import Sequence

import markdown
import solara

from simulator.app.catalog import LeverSpec, Preset, field_info
from simulator.schema import Levers

#: What each state means, in a sentence (the model's states; see simulator/states.py).
STATES = {
    "Universal": "No targeted service: schools, health visitors and GPs only. Families here may still "
    "have high need that nobody has identified (counted as unmet or hidden need).",
    "Early help": "Non-statutory family support agreed with the family (e.g. a family support worker), "
    "offered directly or after a referral is stepped down.",
    "Child in need (CIN)": "A social work plan under section 17 of the Children Act 1989. The DfE's count "
    "of 'children in need at 31 March' also includes protection plans and care.",
    "Protection plan (CP)": "A child protection plan after a section 47 enquiry and an initial conference "
    "found the child at risk of significant harm; reviewed at conferences.",
    "Looked after (LAC)": "In the local authority's care: by agreement (section 20), by court order, or "
    "after an emergency; placed in foster care, a children's home or elsewhere; "
    "leaves by return home, adoption, special guardianship or turning 18.",
    "Unmet high need": "Families at high or acute need who receive no service: a scenario that cuts care "
    "numbers by leaving need unmet shows here as harm, not success.",
}


def Text(md: str) -> solara.Element:
    """Markdown rendered on the server to HTML (``solara.Markdown`` would fetch KaTeX from a CDN)."""
    return solara.HTML(
        tag="div", unsafe_innerHTML=markdown.markdown(md, extensions=["tables"]), classes=["explainer-text"]
    )


def _lever_sections() -> list[tuple[str, str]]:
    """Each lever's summary (schema), mechanism and evidence (its policy class)."""
    try:
        from simulator.policies import LEVERS

        policies = {cls.name: cls for cls in LEVERS}
    except ImportError:  # levers not built yet
        policies = {}
    out = []
    for name, info in Levers.model_fields.items():
        model = info.annotation
        text = (model.__doc__ or "").strip()
        cls = policies.get(name)
        if cls is not None and cls.mechanism:
            text += f" *How it works:* {cls.mechanism}"
        if cls is not None and cls.evidence:
            text += f" *Evidence:* {cls.evidence}"
        out.append((name.replace("_", " ").capitalize(), text))
    return out


@solara.component
def Explainer(specs: Sequence[LeverSpec], presets: Sequence[Preset]) -> solara.Element:
    """States, levers (mechanism, unit, default, source, evidence grade) and presets."""
    with solara.Column(classes=["explainer"], style={"max-width": "1100px"}):
        Text("## The states children move through")
        for title, text in STATES.items():
            Text(f"**{title}.** {text}")
        Text("## The levers")
        for title, doc in _lever_sections():
            Text(f"**{title}.** {doc}")
        Text(
            "Evidence grades: **H** high, **M** medium, **L** low (shared/calibration); "
            "*assumption* where no published figure exists."
        )
        groups: dict[str, list[LeverSpec]] = {}
        for spec in specs:
            groups.setdefault(spec.group, []).append(spec)
        for group, items in groups.items():
            Text(f"### {group}")
            rows = [
                "| Parameter | What it does | Unit | Default | Evidence | Grade |",
                "|---|---|---|---|---|---|",
            ]
            for s in items:
                default = field_info(s.path)[0].get_default(call_default_factory=True)
                row = f"| {s.label} | {s.description} | {s.unit} | {default} | {s.source} | {s.grade} |"
                rows.append(row.replace("\n", " "))
            Text("\n".join(rows))
        Text("## Presets")
        for p in presets:
            if p.path is None:
                continue
            Text(f"**{p.label}** (`{p.path.name}`). {p.description}\n\n*Evidence:* {p.evidence}")
