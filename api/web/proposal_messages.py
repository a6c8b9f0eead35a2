"""Texts of optimising a day (modes, queued jobs, the explained proposal) and of the route app's
"wait until" and "not home" steps (merged into ``messages.MESSAGES``)."""

from __future__ import annotations


def _n(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


PROPOSAL_MESSAGES: dict[str, dict[str, str]] = {
    # Modes
    "planner.mode.legend": _n("Hoe mag de computer schuiven?", "What may the computer change?"),
    "planner.mode.label": _n("Werkwijze", "Mode"),
    "planner.mode.balanced": _n("Gebalanceerd", "Balanced"),
    "planner.mode.balanced.hint": _n(
        "Een bezoek gaat alleen naar een andere medewerker als dat veel tijd scheelt.",
        "A visit goes to another expert only when that saves a lot of time.",
    ),
    "planner.mode.keep_experts": _n("Zelfde experts", "Same experts"),
    "planner.mode.keep_experts.hint": _n(
        "Iedereen houdt zijn eigen bezoeken; alleen volgorde en tijden veranderen.",
        "Everyone keeps their own visits; only order and times change.",
    ),
    "planner.mode.free": _n("Vrij", "Free"),
    "planner.mode.free.hint": _n(
        "De kortste werktijd, ook als veel bezoeken een andere medewerker krijgen.",
        "The shortest working time, even if many visits get another expert.",
    ),
    "planner.mode.again": _n("Opnieuw voorstellen", "Propose again"),
    # Jobs
    "planner.job.title": _n("Routes optimaliseren voor {date}", "Optimising the routes for {date}"),
    "planner.job.queued": _n("In de wachtrij. Het rekenen begint zo.", "Queued. It starts soon."),
    "planner.job.running": _n(
        "De computer rekent (hooguit {seconds} seconden).",
        "The computer is working (at most {seconds} seconds).",
    ),
    "planner.job.slow": _n(
        "Dit duurt langer dan normaal. Er moet een achtergrondproces draaien (aanhuis worker); "
        "vraag je beheerder als het niet opschiet.",
        "This takes longer than usual. A background process must be running (aanhuis worker); "
        "ask your administrator if nothing happens.",
    ),
    "planner.job.done": _n("Klaar. Het voorstel staat klaar.", "Done. The proposal is ready."),
    "planner.job.failed": _n("Het optimaliseren is mislukt.", "The optimisation failed."),
    "planner.job.progress": _n("Voortgang", "Progress"),
    "planner.job.leave": _n(
        "Je hoeft niet te wachten: het voorstel opent vanzelf. Je kunt ook weggaan en later "
        "terugkomen via de dagplanning.",
        "You need not wait: the proposal opens by itself. You can also leave and come back "
        "later from the day plan.",
    ),
    "planner.job.refresh": _n("Pagina vernieuwen", "Refresh the page"),
    "planner.job.failed.lead": _n(
        "Er is niets veranderd aan de planning. Probeer het opnieuw.",
        "Nothing has changed in the plan. Please try again.",
    ),
    "planner.jobs.title": _n("Optimalisaties van deze dag", "Optimisations of this day"),
    "planner.jobs.line": _n("{time} · {mode} · {status}", "{time} · {mode} · {status}"),
    "planner.jobs.status.queued": _n("in de wachtrij", "queued"),
    "planner.jobs.status.running": _n("bezig", "running"),
    "planner.jobs.status.done": _n("klaar", "done"),
    "planner.jobs.status.failed": _n("mislukt", "failed"),
    "planner.jobs.open": _n("Bekijk", "View"),
    # The proposal explained
    "planner.proposal.mode": _n("Werkwijze: {mode}", "Mode: {mode}"),
    "planner.proposal.metric.working": _n(
        "Werktijd (reizen + wachten)", "Working time (travel + waiting)"
    ),
    "planner.proposal.metric.balance": _n(
        "Verschil langste en kortste dag", "Longest minus shortest day"
    ),
    "planner.proposal.changes": _n("Wat verandert er ({count})", "What changes ({count})"),
    "planner.proposal.changes.summary": _n(
        "{moved} van de {visits} bezoeken gaan naar een andere medewerker. {retimed} bezoeken "
        "blijven bij dezelfde medewerker met een andere tijd of volgorde. {placed} bezoeken "
        "zonder plek krijgen er een.",
        "{moved} of the {visits} visits go to another expert. {retimed} visits stay with the "
        "same expert at another time or in another order. {placed} visits without a place get "
        "one.",
    ),
    "planner.proposal.changes.none": _n(
        "Het voorstel verandert niets aan wie waar komt en wanneer.",
        "The proposal changes nothing about who visits where and when.",
    ),
    "planner.change.moved": _n(
        "Bezoek {reference} gaat van {source} naar {target}; {before} → {after}",
        "Visit {reference} moves from {source} to {target}; {before} → {after}",
    ),
    "planner.change.placed": _n(
        "Bezoek {reference} krijgt een plek bij {target}; om {after}",
        "Visit {reference} gets a place with {target}; at {after}",
    ),
    "planner.change.retimed": _n(
        "Bezoek {reference} blijft bij {expert}; {before} → {after}",
        "Visit {reference} stays with {expert}; {before} → {after}",
    ),
    "planner.change.dropped": _n(
        "Bezoek {reference} van {expert} ({before}) heeft in het voorstel geen plek",
        "Visit {reference} of {expert} ({before}) has no place in the proposal",
    ),
    "planner.change.kind.moved": _n("Andere medewerker", "Other expert"),
    "planner.change.kind.placed": _n("Krijgt een plek", "Gets a place"),
    "planner.change.kind.retimed": _n("Andere tijd", "Other time"),
    "planner.change.kind.dropped": _n("Geen plek", "No place"),
    "planner.proposal.timelines": _n("Tijdlijn: nu en voorstel", "Timeline: now and proposal"),
    "planner.proposal.timeline.now": _n("Nu", "Now"),
    "planner.proposal.timeline.after": _n("Voorstel", "Proposal"),
    "planner.proposal.timeline.lead": _n(
        "Beide tijdlijnen hebben dezelfde uren, zodat je ze onder elkaar kunt vergelijken.",
        "Both timelines show the same hours, so you can compare them one below the other.",
    ),
    "planner.proposal.visit_title": _n(
        "Bezoek {number}, {times} (venster {window}), {reference}",
        "Visit {number}, {times} (window {window}), {reference}",
    ),
    "planner.proposal.maps": _n("Kaart: nu en voorstel", "Map: now and proposal"),
    "planner.proposal.map.now": _n("Routes nu", "Routes now"),
    "planner.proposal.map.after": _n("Routes in het voorstel", "Routes in the proposal"),
    "planner.proposal.routes": _n("Routes in het voorstel", "Routes in the proposal"),
    "planner.proposal.col.start": _n("Begin", "Start"),
    "planner.proposal.col.waiting": _n("Wachten (min)", "Waiting (min)"),
    "planner.proposal.col.changed": _n("Verandert", "Changes"),
    "planner.proposal.changed": _n("ja", "yes"),
    "planner.proposal.working_min": _n("Werktijd (min)", "Working (min)"),
    "planner.proposal.chart.working": _n(
        "Werktijd (reizen + wachten) per medewerker, nu en in het voorstel",
        "Working time (travel + waiting) per expert, now and in the proposal",
    ),
    "planner.proposal.chart.working.note": _n(
        "werktijd in minuten; de tabel hieronder heeft alle cijfers.",
        "working time in minutes; the table below has every figure.",
    ),
}

PROPOSAL_MESSAGES |= {
    # The route app: waiting for the window, and the confirm step of "not home"
    "expert.visit.wait": _n("Aanbellen", "Ring the bell"),
    "expert.visit.wait_until": _n("wacht tot {time}", "wait until {time}"),
    "expert.visit.wait_arrival": _n(
        "(je bent er om {time}, vóór het afgesproken tijdvak)",
        "(you arrive at {time}, before the agreed window)",
    ),
    "expert.not_home.title": _n(
        "Niemand thuis bij bezoek {number}?", "Nobody home at visit {number}?"
    ),
    "expert.not_home.lead": _n(
        "Weet je het zeker? Het bezoek is dan afgelopen. De inwoner krijgt een bericht met "
        "nieuwe momenten, en de planner ziet het bij Bellen.",
        "Are you sure? The visit then ends. The resident gets a message with new times, and "
        "the planner sees it under Calls.",
    ),
    "expert.not_home.note": _n("Notitie (niet verplicht)", "Note (optional)"),
    "expert.not_home.note.hint": _n(
        "Bijvoorbeeld: briefje in de bus gedaan. Schrijf geen gevoelige gegevens op.",
        "For example: left a note in the letterbox. Do not write down sensitive details.",
    ),
    "expert.not_home.confirm": _n("Ja, niemand thuis", "Yes, nobody home"),
    "expert.not_home.cancel": _n("Nee, terug", "No, go back"),
    "expert.not_home.back": _n("Terug naar je route", "Back to your route"),
    "expert.not_home.not_now.title": _n("Nu nog niet", "Not yet"),
    "expert.not_home.not_now": _n(
        "Je kunt “niet thuis” pas melden als je onderweg bent of er bent.",
        "You can report “not home” once you are on your way or there.",
    ),
    # The planner's call list: visits nobody was home for
    "planner.calls.not_home.title": _n("Niemand thuis ({count})", "Nobody home ({count})"),
    "planner.calls.not_home.lead": _n(
        "Bij deze bezoeken deed niemand open (de afgelopen 7 dagen). De inwoner kreeg een "
        "bericht met nieuwe momenten. Bel als er nog geen nieuwe afspraak is.",
        "Nobody opened the door at these visits (the last 7 days). The resident got a message "
        "with new times. Call if there is no new appointment yet.",
    ),
    "planner.calls.not_home.note": _n("Notitie van de medewerker", "The expert's note"),
    "planner.calls.not_home.book": _n(
        "Nieuwe afspraak maken voor {reference}", "Book a new visit for {reference}"
    ),
    "message.not_home": _n("Niet thuis: nieuwe afspraak", "Not home: new appointment"),
}
