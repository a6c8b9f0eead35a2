"""Texts of the planner's rota pages (merged into :data:`api.web.messages.MESSAGES`)."""

from __future__ import annotations


def _n(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


ROTA_MESSAGES: dict[str, dict[str, str]] = {
    "planner.nav.rota": _n("Rooster", "Rota"),
    "planner.card.rota": _n(
        "Verwachte vraag per dagdeel, en een rooster dat die eerlijk dekt.",
        "Expected demand per part of day, and a rota that covers it fairly.",
    ),
    # KPI pages (issue 13): no rank without enough peers with enough data.
    "planner.kpi.rank.too_few": _n(
        "Geen plaats: daarvoor zijn minstens {needed} gemeenten met elk {visits} bezoeken of "
        "meer nodig (nu {comparable}).",
        "No rank: that needs at least {needed} municipalities with {visits} visits or more "
        "each (now {comparable}).",
    ),
    "rota.title": _n("Rooster en verwachte vraag", "Rota and expected demand"),
    "rota.lead": _n(
        "De verwachte vraag komt uit de afspraken, de zoekopdrachten zonder passende tijd en de "
        "wachtlijst van de afgelopen weken. Alles in uren werk van medewerkers.",
        "Expected demand comes from bookings, searches that found no suitable time and the "
        "waiting list of recent weeks. Everything in expert-hours.",
    ),
    "rota.chart": _n(
        "Verwachte vraag en capaciteit per week en dagdeel",
        "Expected demand and capacity per week and part of day",
    ),
    "rota.chart.note": _n("dezelfde cijfers staan in de tabel", "the table holds the same figures"),
    "rota.demand": _n("Verwachte vraag (uur)", "Expected demand (hours)"),
    "rota.capacity": _n("Capaciteit nu (uur)", "Capacity now (hours)"),
    "rota.week": _n("Week", "Week"),
    "rota.part": _n("Dagdeel", "Part of day"),
    "rota.part.morning": _n("ochtend", "morning"),
    "rota.part.afternoon": _n("middag", "afternoon"),
    "rota.part.evening": _n("avond", "evening"),
    "rota.part.saturday": _n("zaterdag", "Saturday"),
    "rota.backtest": _n(
        "Terugblik: de voorspelling zat gemiddeld {mae} uur per dagdeel naast de werkelijkheid "
        "(‘zelfde als vorige week’: {naive} uur), over {weeks} weken.",
        "Backtest: the forecast was off by {mae} hours per cell on average (‘same as last "
        "week’: {naive} hours), over {weeks} weeks.",
    ),
    "rota.backtest.none": _n(
        "Nog te weinig weken om de voorspelling te toetsen.",
        "Too few weeks yet to test the forecast.",
    ),
    "rota.propose": _n("Rooster voorstellen", "Propose a rota"),
    "rota.start": _n("Eerste dag", "First day"),
    "rota.weeks": _n("Aantal weken (2 tot 8)", "Number of weeks (2 to 8)"),
    "rota.proposal.title": _n("Roostervoorstel", "Rota proposal"),
    "rota.proposal.status": _n(
        "Status: {status}. {weeks} weken vanaf {start}.",
        "Status: {status}. {weeks} weeks from {start}.",
    ),
    "rota.status.open": _n("open", "open"),
    "rota.status.applied": _n("toegepast", "applied"),
    "rota.status.stale": _n(
        "verouderd (de capaciteit is sindsdien gewijzigd)", "stale (capacity changed since)"
    ),
    "rota.infeasible": _n(
        "Dit rooster kan niet: harde regels botsen", "This rota is impossible: hard rules clash"
    ),
    "rota.loosen": _n("Wat kan soepeler", "What to loosen"),
    "rota.coverage": _n("Gedekte vraag (uur)", "Demand covered (hours)"),
    "rota.before": _n("Nu", "Now"),
    "rota.after": _n("Voorstel", "Proposal"),
    "rota.fairness": _n("Verdeling van avonden en zaterdagen", "Spread of evenings and Saturdays"),
    "rota.fairness.lead": _n(
        "Verschil tussen wie de meeste en wie de minste avonden en zaterdagen werkt, de "
        "afgelopen 4 weken meegeteld.",
        "Difference between who works the most and the fewest evenings and Saturdays, the last "
        "4 weeks counted.",
    ),
    "rota.spread.evening": _n("Verschil in avonden", "Evening spread"),
    "rota.spread.saturday": _n("Verschil in zaterdagen", "Saturday spread"),
    "rota.expert": _n("Medewerker", "Expert"),
    "rota.hours": _n("Uren", "Hours"),
    "rota.evenings": _n("Avonden", "Evenings"),
    "rota.saturdays": _n("Zaterdagen", "Saturdays"),
    "rota.replan": _n(
        "{count} geboekte afspraak/afspraken passen niet meer en moeten opnieuw worden ingepland.",
        "{count} booked visit(s) no longer fit and must be re-planned.",
    ),
    "rota.apply": _n("Rooster toepassen", "Apply rota"),
    "rota.apply.confirm": _n(
        "Ik weet dat dit de diensten van alle medewerkers in deze weken vervangt.",
        "I understand this replaces every expert's shifts in these weeks.",
    ),
    "rota.apply.confirm.missing": _n(
        "Vink aan dat je het rooster wilt toepassen.", "Tick the box to apply the rota."
    ),
    "rota.applied": _n(
        "Rooster toegepast: {count} diensten geschreven.", "Rota applied: {count} shifts written."
    ),
    "rota.what": _n("het rooster toepassen", "applying the rota"),
    "rota.contract.link": _n("Contract", "Contract"),
    "rota.types.link": _n("Soorten diensten", "Shift types"),
    "rota.minimum.title": _n("Minimale bezetting", "Minimum cover"),
    "rota.minimum.lead": _n(
        "Zoveel medewerkers met een vaardigheid werken in elk geval in dat dagdeel (0 haalt de "
        "regel weg). Het rooster houdt zich hier altijd aan.",
        "At least this many experts with a skill work in that part of the day (0 removes the "
        "rule). The rota always keeps to it.",
    ),
    "rota.minimum.none": _n("Geen minimale bezetting ingesteld.", "No minimum cover set."),
    "rota.minimum.rule": _n(
        "{skill} in de {part}: minstens {experts}", "{skill} in the {part}: at least {experts}"
    ),
    "rota.minimum.skill": _n("Vaardigheid", "Skill"),
    "rota.minimum.experts": _n("Aantal medewerkers", "Number of experts"),
    "rota.minimum.save": _n("Minimum instellen", "Set minimum"),
    "rota.types.title": _n("Soorten diensten voor het rooster", "Shift types for the rota"),
    "rota.types.lead": _n(
        "Het rooster deelt medewerkers in op deze diensten, elk met een pauze.",
        "The rota assigns experts to these shifts, each with its break.",
    ),
    "rota.types.defaults": _n(
        "Nog geen eigen soorten: het rooster gebruikt deze standaarddiensten.",
        "No shift types of your own yet: the rota uses these defaults.",
    ),
    "rota.types.code": _n("Code (kleine letters)", "Code (lower case)"),
    "rota.types.name": _n("Naam", "Name"),
    "rota.types.times": _n("Tijden", "Times"),
    "rota.types.days": _n("Dagen", "Days"),
    "rota.types.hours": _n("Uren werk", "Working hours"),
    "rota.types.add": _n("Soort dienst toevoegen of wijzigen", "Add or change a shift type"),
    "rota.contract.title": _n(
        "Contract en voorkeuren van {name}", "Contract and preferences of {name}"
    ),
    "rota.contract.lead": _n(
        "Het rooster houdt zich aan de uren en limieten; voorkeuren volgt het waar het kan.",
        "The rota keeps to the hours and limits; it follows preferences where it can.",
    ),
    "rota.contract.default": _n(
        "Nog geen contract opgeslagen: dit zijn de uren van het weekpatroon.",
        "No contract saved yet: these are the weekly pattern's hours.",
    ),
    "rota.contract.hours": _n("Uren per week", "Hours per week"),
    "rota.contract.tolerance": _n(
        "Marge in uren (meer of minder)", "Tolerance in hours (more or less)"
    ),
    "rota.contract.evenings": _n("Hoogstens avonden per week", "Most evenings per week"),
    "rota.contract.saturdays": _n("Hoogstens zaterdagen per maand", "Most Saturdays per month"),
    "rota.contract.wish": _n("Avonden", "Evenings"),
    "rota.contract.wish.none": _n("Geen voorkeur", "No preference"),
    "rota.contract.wish.wants": _n("Werkt graag 's avonds", "Likes to work evenings"),
    "rota.contract.wish.cannot": _n("Kan niet 's avonds", "Cannot work evenings"),
    "rota.contract.day_off": _n("Liefst vrij op", "Prefers to be off on"),
    "rota.contract.day_off.none": _n("Geen voorkeur", "No preference"),
    "rota.contract.save": _n("Opslaan", "Save"),
    "rota.contract.saved": _n("Contract opgeslagen.", "Contract saved."),
}
