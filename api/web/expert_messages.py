"""Texts of the sign-in page and the expert's route app (merged into ``messages.MESSAGES``).

Experts are municipal staff on the road: short labels, "je" in Dutch as colleagues say it.
"""

from __future__ import annotations

EXPERT_MESSAGES: dict[str, dict[str, str]] = {
    # Sign in / out
    "login.title": {"nl": "Aanmelden", "en": "Sign in"},
    "login.lead": {
        "nl": "Voor medewerkers en planners. Plak de toegangscode die je van je beheerder kreeg.",
        "en": "For experts and planners. Paste the access code your administrator gave you.",
    },
    "login.token": {"nl": "Toegangscode", "en": "Access code"},
    "login.token.missing": {"nl": "Vul je toegangscode in.", "en": "Enter your access code."},
    "login.token.invalid": {
        "nl": "Deze toegangscode werkt niet. Controleer hem of vraag een nieuwe aan.",
        "en": "This access code does not work. Check it or ask for a new one.",
    },
    "login.submit": {"nl": "Aanmelden", "en": "Sign in"},
    "login.logout": {"nl": "Afmelden", "en": "Sign out"},
    "login.not_expert.title": {"nl": "Geen route", "en": "No route"},
    "login.not_expert": {
        "nl": "Je bent aangemeld, maar niet als medewerker met een route.",
        "en": "You are signed in, but not as an expert with a route.",
    },
    # The day
    "expert.title": {"nl": "Mijn route", "en": "My route"},
    "expert.title.day": {"nl": "Route van {date}", "en": "Route for {date}"},
    "expert.summary": {
        "nl": "{visits} bezoeken, {travel} min reistijd.",
        "en": "{visits} visits, {travel} min travel.",
    },
    "expert.summary.shift": {"nl": "Dienst {times}.", "en": "Shift {times}."},
    "expert.no_shift": {"nl": "Je werkt deze dag niet.", "en": "You do not work on this day."},
    "expert.no_visits": {
        "nl": "Er staan geen bezoeken voor je gepland.",
        "en": "No visits are planned for you.",
    },
    "expert.plan.final.label": {"nl": "Definitief.", "en": "Final."},
    "expert.plan.final": {
        "nl": "Dit is je route. Alleen uitval of ziekte verandert hem nog; dat zie je dan hier.",
        "en": "This is your route. Only an absence or disruption changes it now; you will see "
        "that here.",
    },
    "expert.plan.draft.label": {"nl": "Concept.", "en": "Draft."},
    "expert.plan.draft": {
        "nl": "De planning kan deze route nog veranderen tot {moment}; dan wordt hij definitief.",
        "en": "Planning may still change this route until {moment}; then it is final.",
    },
    "expert.route_changed.title": {"nl": "Je route is gewijzigd", "en": "Your route has changed"},
    "expert.route_changed": {
        "nl": "Een herplanning heeft deze route gewijzigd op {moment}. Bekijk je bezoeken, de "
        "volgorde en de tijden opnieuw.",
        "en": "A re-plan changed this route on {moment}. Check your visits, their order and the "
        "times again.",
    },
    "expert.at_risk.title": {"nl": "Je loopt uit", "en": "You are running late"},
    "expert.at_risk": {
        "nl": "{count} bezoek(en) halen het afgesproken tijdvak niet meer. De planner ziet dit "
        "ook.",
        "en": "{count} visit(s) can no longer be reached within the promised window. The planner "
        "sees this too.",
    },
    "expert.changed.title": {"nl": "Status bijgewerkt", "en": "Status updated"},
    "expert.changed": {
        "nl": "Bezoek {number}, {address}: {status}.",
        "en": "Visit {number}, {address}: {status}.",
    },
    "expert.refused.title": {"nl": "Dit lukt niet", "en": "This did not work"},
    # Date switcher
    "expert.days": {"nl": "Andere dag", "en": "Another day"},
    "expert.previous": {"nl": "Vorige dag", "en": "Previous day"},
    "expert.today": {"nl": "Vandaag", "en": "Today"},
    "expert.next": {"nl": "Volgende dag", "en": "Next day"},
    "expert.pick_date": {"nl": "Datum", "en": "Date"},
    "expert.show": {"nl": "Toon", "en": "Show"},
    # Stops
    "expert.stops": {"nl": "Bezoeken", "en": "Visits"},
    "expert.start": {"nl": "Vertrek {place}", "en": "Leave {place}"},
    "expert.end": {"nl": "Terug bij {place}", "en": "Back at {place}"},
    "expert.break": {"nl": "Pauze", "en": "Break"},
    "expert.break.minutes": {"nl": "{minutes} minuten", "en": "{minutes} minutes"},
    "expert.visit.heading": {"nl": "Bezoek {number}", "en": "Visit {number}"},
    "expert.visit.arrival": {"nl": "Aankomst", "en": "Arrival"},
    "expert.visit.window": {"nl": "Afgesproken tijdvak", "en": "Promised window"},
    "expert.visit.address": {"nl": "Adres", "en": "Address"},
    "expert.visit.service": {"nl": "Dienst", "en": "Service"},
    "expert.visit.duration": {"nl": "{minutes} minuten", "en": "{minutes} minutes"},
    "expert.visit.travel": {"nl": "Reistijd", "en": "Travel"},
    "expert.visit.travel_minutes": {"nl": "{minutes} min", "en": "{minutes} min"},
    "expert.visit.notes": {"nl": "Notities", "en": "Notes"},
    "expert.visit.contact": {"nl": "Contactpersoon", "en": "Contact person"},
    "expert.visit.needs": {"nl": "Let op", "en": "Please note"},
    "expert.visit.citizen": {"nl": "Inwoner", "en": "Resident"},
    "expert.visit.phone": {"nl": "Telefoon", "en": "Phone"},
    "expert.visit.done_at": {"nl": "Klaar om {time}", "en": "Done at {time}"},
    "expert.visit.at_risk": {"nl": "Haalt tijdvak niet", "en": "Misses the window"},
    "expert.visit.navigate": {"nl": "Navigeer", "en": "Navigate"},
    "expert.visit.navigate_label": {
        "nl": "Navigeer naar bezoek {number}, {address}",
        "en": "Navigate to visit {number}, {address}",
    },
    "expert.visit.osm": {"nl": "Route op OpenStreetMap", "en": "Route on OpenStreetMap"},
    "expert.visit.geo": {"nl": "Andere kaart-app", "en": "Other map app"},
    "expert.visit.status": {"nl": "Status", "en": "Status"},
    "expert.visit.actions": {"nl": "Status van bezoek {number}", "en": "Status of visit {number}"},
    "expert.status.booked": {"nl": "Gepland", "en": "Planned"},
    "expert.status.planned": {"nl": "Gepland", "en": "Planned"},
    "expert.status.on_the_way": {"nl": "Onderweg", "en": "On the way"},
    "expert.status.arrived": {"nl": "Aangekomen", "en": "Arrived"},
    "expert.status.completed": {"nl": "Afgerond", "en": "Completed"},
    "expert.status.not_home": {"nl": "Niet thuis", "en": "Not at home"},
    "expert.status.cancelled": {"nl": "Geannuleerd", "en": "Cancelled"},
    "expert.action.on_the_way": {"nl": "Ik ben onderweg", "en": "On my way"},
    "expert.action.arrived": {"nl": "Ik ben er", "en": "I have arrived"},
    "expert.action.completed": {"nl": "Afgerond", "en": "Completed"},
    "expert.action.not_home": {"nl": "Niet thuis", "en": "Not at home"},
    # Map
    "expert.map": {"nl": "Kaart van de dag", "en": "Map of the day"},
    "expert.map.note": {
        "nl": "De kaart is een hulpmiddel; alle bezoeken staan hierboven.",
        "en": "The map is an aid; every visit is listed above.",
    },
    "expert.map.label": {
        "nl": "Kaart met de bezoeken van deze dag in volgorde",
        "en": "Map with this day's visits in order",
    },
    # Calendar feed
    "expert.calendar": {"nl": "Agenda-abonnement", "en": "Calendar subscription"},
    "expert.calendar.link": {"nl": "Agenda-abonnement", "en": "Calendar subscription"},
    "expert.calendar.lead": {
        "nl": "Zet je bezoeken in je eigen agenda-app. De link is geheim: wie hem heeft, ziet je "
        "bezoeken. Er staan geen namen of telefoonnummers in.",
        "en": "Show your visits in your own calendar app. The link is secret: whoever has it sees "
        "your visits. It holds no names or phone numbers.",
    },
    "expert.calendar.active": {
        "nl": "Je hebt al een agenda-link. We tonen hem maar één keer. Kwijt? Maak een nieuwe; "
        "de oude werkt dan niet meer.",
        "en": "You already have a calendar link. We show it only once. Lost it? Make a new one; "
        "the old one then stops working.",
    },
    "expert.calendar.create": {"nl": "Agenda-link maken", "en": "Make a calendar link"},
    "expert.calendar.rotate": {"nl": "Nieuwe agenda-link maken", "en": "Make a new calendar link"},
    "expert.calendar.made.title": {
        "nl": "Je nieuwe agenda-link",
        "en": "Your new calendar link",
    },
    "expert.calendar.made": {
        "nl": "Kopieer hem nu: we tonen hem maar één keer. Een eerdere link werkt niet meer.",
        "en": "Copy it now: we show it only once. Any earlier link no longer works.",
    },
    "expert.calendar.url": {"nl": "Link voor je agenda-app", "en": "Link for your calendar app"},
    "expert.calendar.subscribe": {
        "nl": "Abonneren in je agenda-app",
        "en": "Subscribe in your calendar app",
    },
    "expert.calendar.back": {"nl": "Terug naar mijn route", "en": "Back to my route"},
}
