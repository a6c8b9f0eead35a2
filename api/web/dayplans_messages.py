"""Texts of day plans on the planner's pages: continuity of care (a visit's own expert)."""

from __future__ import annotations


def _n(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


DAYPLANS_MESSAGES: dict[str, dict[str, str]] = {
    "planner.continuity.title": _n("Vaste medewerker voor een afspraak", "An expert for a visit"),
    "planner.continuity.lead": _n(
        "Kies wie een afspraak doet. Bij 'voorkeur' houdt de planning die medewerker als het kan. "
        "Bij 'verplicht' doet alleen die medewerker de afspraak. Kies 'geen' om dit weg te halen.",
        "Choose who does a visit. With 'preferred' the plan keeps that expert when it can. With "
        "'required' only that expert does the visit. Choose 'none' to remove it.",
    ),
    "planner.continuity.reference": _n("Afspraaknummer", "Visit reference"),
    "planner.continuity.expert": _n("Medewerker", "Expert"),
    "planner.continuity.none": _n("Geen (weghalen)", "None (remove)"),
    "planner.continuity.kind": _n("Soort", "Kind"),
    "planner.continuity.preferred": _n("Voorkeur", "Preferred"),
    "planner.continuity.required": _n("Verplicht", "Required"),
    "planner.continuity.save": _n("Opslaan", "Save"),
    "planner.continuity.saved": _n("Opgeslagen", "Saved"),
    "planner.continuity.saved.preferred": _n(
        "Afspraak {reference} gaat bij voorkeur naar {expert}.",
        "Visit {reference} goes to {expert} when possible.",
    ),
    "planner.continuity.saved.required": _n(
        "Afspraak {reference} gaat alleen naar {expert}.",
        "Visit {reference} goes to {expert} only.",
    ),
    "planner.continuity.saved.cleared": _n(
        "Afspraak {reference} heeft geen vaste medewerker meer.",
        "Visit {reference} no longer has an expert of its own.",
    ),
    "planner.continuity.saved.note": _n(
        "Een voorstel dat al klaarstond is nu verouderd. Optimaliseer de dag opnieuw.",
        "A proposal made before is now out of date. Optimise the day again.",
    ),
}
