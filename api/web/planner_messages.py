"""Texts of the planner's pages (merged into ``messages.MESSAGES``).

Planners are municipal staff at a desk: short labels, "je" in Dutch as colleagues say it, and
numbers always written out next to any colour.
"""

from __future__ import annotations


def _n(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


PLANNER_MESSAGES: dict[str, dict[str, str]] = {
    # Layout and navigation
    "planner.nav.label": _n("Planning", "Planning"),
    "planner.nav.overview": _n("Overzicht", "Overview"),
    "planner.nav.day": _n("Dagplanning", "Day plan"),
    "planner.nav.capacity": _n("Capaciteit", "Capacity"),
    "planner.nav.experts": _n("Medewerkers", "Experts"),
    "planner.nav.closures": _n("Sluitingsdagen", "Closure days"),
    "planner.nav.services": _n("Diensten", "Services"),
    "planner.nav.desk": _n("Balie en telefoon", "Desk and phone"),
    "planner.nav.calls": _n("Bellen", "Calls"),
    "planner.nav.kpis": _n("Cijfers", "KPIs"),
    "planner.card.capacity": _n(
        "Bezetting per medewerker en dag, avonden en weekenden.",
        "Utilisation per expert and day, evenings and weekends.",
    ),
    "planner.card.experts": _n(
        "Vaardigheden, vervoer, werktijden, pauzes, verlof en ziekte.",
        "Skills, travel, shifts, breaks, leave and sickness.",
    ),
    "planner.card.closures": _n(
        "Feestdagen en andere dagen zonder bezoeken.",
        "Public holidays and other days without visits.",
    ),
    "planner.card.services": _n(
        "Duur, vaardigheid, tijdvak, boekingstermijn en bewaartermijn.",
        "Duration, skill, window, booking horizon and retention.",
    ),
    "planner.card.desk": _n(
        "Een afspraak maken, verzetten of annuleren voor wie belt of langskomt.",
        "Book, move or cancel a visit for someone who calls or comes to the desk.",
    ),
    "planner.card.calls": _n(
        "Inwoners zonder e-mail die je moet bellen.",
        "Residents without e-mail you need to call.",
    ),
    "planner.card.kpis": _n(
        "Cijfers per week en hoe we ervoor staan naast andere gemeenten.",
        "Weekly figures and how we compare with other municipalities.",
    ),
    # Shared words
    "planner.save": _n("Opslaan", "Save"),
    "planner.yes": _n("Ja", "Yes"),
    "planner.no": _n("Nee", "No"),
    "planner.none": _n("Niemand", "Nobody"),
    "planner.closed": _n("Gesloten", "Closed"),
    "planner.inactive": _n("niet actief", "inactive"),
    "planner.hours": _n("{value} u", "{value} h"),
    "planner.hours_n": _n("{hours} uur", "{hours} hours"),
    "planner.minutes": _n("{minutes} min", "{minutes} min"),
    "planner.days_n": _n("{days} dagen", "{days} days"),
    "planner.delete": _n("Verwijderen", "Delete"),
    "planner.previous_period": _n("Vorige periode", "Previous period"),
    "planner.next_period": _n("Volgende periode", "Next period"),
    "planner.unplanned.badge": _n("Zonder plek", "No place"),
    "planner.weekday.0": _n("ma", "Mon"),
    "planner.weekday.1": _n("di", "Tue"),
    "planner.weekday.2": _n("wo", "Wed"),
    "planner.weekday.3": _n("do", "Thu"),
    "planner.weekday.4": _n("vr", "Fri"),
    "planner.weekday.5": _n("za", "Sat"),
    "planner.weekday.6": _n("zo", "Sun"),
    "planner.weekday.long.0": _n("maandag", "Monday"),
    "planner.weekday.long.1": _n("dinsdag", "Tuesday"),
    "planner.weekday.long.2": _n("woensdag", "Wednesday"),
    "planner.weekday.long.3": _n("donderdag", "Thursday"),
    "planner.weekday.long.4": _n("vrijdag", "Friday"),
    "planner.weekday.long.5": _n("zaterdag", "Saturday"),
    "planner.weekday.long.6": _n("zondag", "Sunday"),
    "planner.travel.bike": _n("Fiets", "Bike"),
    "planner.travel.car": _n("Auto", "Car"),
    "planner.travel.walk": _n("Lopend", "On foot"),
    # Table columns
    "planner.col.date": _n("Datum", "Date"),
    "planner.col.window": _n("Tijdvak", "Window"),
    "planner.col.expert": _n("Medewerker", "Expert"),
    "planner.col.experts": _n("Medewerkers", "Experts"),
    "planner.col.arrival": _n("Aankomst", "Arrival"),
    "planner.col.visits": _n("Bezoeken", "Visits"),
    "planner.col.utilisation": _n("Bezetting", "Utilisation"),
    "planner.col.available": _n("Beschikbaar", "Available"),
    "planner.col.booked": _n("Geboekt", "Booked"),
    "planner.col.travel": _n("Reizen", "Travel"),
    "planner.col.travel_min": _n("Reistijd (min)", "Travel (min)"),
    "planner.col.free": _n("Vrij", "Free"),
    "planner.col.unplanned": _n("Zonder plek", "No place"),
    "planner.col.at_risk": _n("In gevaar", "At risk"),
    "planner.col.evening": _n("Avond", "Evening"),
    "planner.col.weekend": _n("Weekend", "Weekend"),
    "planner.col.week": _n("Week", "Week"),
    "planner.col.actions": _n("Acties", "Actions"),
    # Form errors
    "planner.error.number": _n("Vul een heel getal in.", "Enter a whole number."),
    "planner.error.min": _n("Vul minstens {min} in.", "Enter at least {min}."),
    "planner.error.max": _n("Vul hoogstens {max} in.", "Enter at most {max}."),
    "planner.error.required": _n("Vul dit veld in.", "Fill in this field."),
    "planner.error.code": _n(
        "Gebruik kleine letters, cijfers en streepjes, zoals wmo-intake.",
        "Use lower-case letters, digits and dashes, like wmo-intake.",
    ),
    "planner.error.time": _n("Vul een tijd in, zoals 09:30.", "Enter a time, like 09:30."),
    "planner.error.date": _n("Vul een datum in.", "Enter a date."),
    "planner.error.check": _n(
        "Dit klopt niet: controleer de tijden en datums.",
        "This does not add up: check the times and dates.",
    ),
    # Access
    "planner.index.title": _n("Kies een gemeente", "Choose a municipality"),
    "planner.index.lead": _n(
        "Je bent beheerder: je kunt de planning van elke gemeente openen.",
        "You are an administrator: you can open every municipality's planning.",
    ),
    "planner.forbidden.title": _n("Geen toegang", "No access"),
    "planner.forbidden.lead": _n(
        "Deze pagina's zijn voor de planners van {name}.",
        "These pages are for the planners of {name}.",
    ),
    "planner.forbidden.lead_any": _n(
        "Deze pagina's zijn voor planners.", "These pages are for planners."
    ),
    "planner.forbidden.planner": _n(
        "Je bent aangemeld als planner van een andere gemeente.",
        "You are signed in as a planner of another municipality.",
    ),
    "planner.forbidden.expert": _n(
        "Je bent aangemeld als medewerker. Je route staat in de route-app.",
        "You are signed in as an expert. Your route is in the route app.",
    ),
    "planner.forbidden.home.planner": _n("Naar je eigen planning", "Go to your own planning"),
    "planner.forbidden.home.expert": _n("Naar mijn route", "Go to my route"),
    # Overview
    "planner.overview.title": _n("Overzicht", "Overview"),
    "planner.overview.lead": _n("Vandaag is het {date}.", "Today is {date}."),
    "planner.overview.at_risk.title": _n(
        "{count} afspraak/afspraken in gevaar", "{count} promise(s) at risk"
    ),
    "planner.overview.at_risk": _n(
        "Bij deze bezoeken ligt de verwachte aankomst na het beloofde tijdvak. Bel de inwoner "
        "of pas de dagplanning aan.",
        "For these visits the expected arrival lies after the promised window. Call the "
        "resident or change the day plan.",
    ),
    "planner.overview.at_risk.caption": _n("Afspraken in gevaar", "Promises at risk"),
    "planner.overview.safe.title": _n("Alle beloftes worden gehaald", "Every promise is kept"),
    "planner.overview.safe": _n(
        "Geen enkel bezoek van vandaag en de komende dagen loopt uit.",
        "No visit today or in the coming days is running late.",
    ),
    "planner.overview.unplanned.title": _n(
        "{count} bezoek(en) zonder plek in een route", "{count} visit(s) without a place"
    ),
    "planner.overview.unplanned": _n(
        "Niemand die werkt kan deze bezoeken binnen het tijdvak halen. De inwoners hebben "
        "bericht gekregen; bied een nieuwe tijd aan.",
        "Nobody who works can make these visits within their window. The residents have been "
        "told; offer them a new time.",
    ),
    "planner.overview.unplanned.caption": _n("Bezoeken zonder plek", "Visits without a place"),
    "planner.overview.calls.title": _n("{count} inwoner(s) bellen", "{count} resident(s) to call"),
    "planner.overview.calls": _n(
        "Zij hebben geen e-mailadres, of hun e-mail kwam niet aan.",
        "They have no e-mail address, or their e-mail did not arrive.",
    ),
    "planner.overview.calls.link": _n("Naar de belijst", "Go to the call list"),
    "planner.overview.days": _n("Vandaag en de komende dagen", "Today and the coming days"),
    "planner.overview.more": _n("Alles voor de planning", "Everything for planning"),
    # Calls
    "planner.calls.title": _n("Inwoners bellen", "Residents to call"),
    "planner.calls.lead": _n(
        "Deze inwoners bereikt geen e-mail, sms of brief, of hun bericht kwam niet aan. Bel de "
        "inwoner, lees het bericht voor en markeer het daarna als afgehandeld.",
        "No e-mail, text message or letter reaches these residents, or their message was not "
        "delivered. Call the resident, read the message out and then mark it as handled.",
    ),
    "planner.calls.none": _n("Er hoeft niemand gebeld te worden.", "Nobody needs a call."),
    "planner.calls.handled": _n(
        "Afgehandeld. Het bericht staat niet meer op de lijst.",
        "Handled. The message has left the list.",
    ),
    "planner.calls.created": _n("Sinds", "Since"),
    "planner.calls.why": _n("Waarom bellen", "Why call"),
    "planner.calls.no_email": _n("Geen e-mailadres", "No e-mail address"),
    "channel.email": _n("e-mail", "e-mail"),
    "channel.sms": _n("sms", "text message"),
    "channel.letter": _n("brief", "letter"),
    "channel.call": _n("telefoon", "phone"),
    "planner.calls.not_home": _n(
        "Niemand thuis: bel voor een nieuwe afspraak",
        "Nobody at home: call to make a new appointment",
    ),
    "planner.desk.post": _n(
        "Berichten per brief (ook zonder telefoon of e-mail)",
        "Messages by letter (also without phone or e-mail)",
    ),
    "planner.desk.letter": _n("Brief afdrukken (pdf)", "Print the letter (PDF)"),
    "planner.calls.no_channel": _n(
        "Geen mobiel nummer of e-mailadres", "No mobile number or e-mail address"
    ),
    "planner.calls.not_sent": _n(
        "Kan niet worden verstuurd ({channel} staat uit)", "Cannot be sent ({channel} is off)"
    ),
    "planner.calls.undeliverable": _n(
        "Bericht kwam niet aan ({channel})", "Message could not be delivered ({channel})"
    ),
    "planner.calls.delivery_failed": _n(
        "Bericht kon niet worden bezorgd ({channel})", "Message could not be delivered ({channel})"
    ),
    "planner.calls.call": _n("Bel {phone}", "Call {phone}"),
    "planner.calls.text": _n("Tekst om voor te lezen", "Text to read out"),
    "planner.calls.done": _n("Gebeld: afgehandeld", "Called: handled"),
    # Capacity
    "planner.capacity.title": _n("Capaciteit", "Capacity"),
    "planner.capacity.lead": _n(
        "Hoeveel van de werktijd al vol zit met bezoeken en reizen, per medewerker en dag.",
        "How much of the working time is already taken by visits and travel, per expert and day.",
    ),
    "planner.capacity.start": _n("Eerste dag", "First day"),
    "planner.capacity.days": _n("Aantal dagen", "Number of days"),
    "planner.capacity.days_n": _n("{days} dagen", "{days} days"),
    "planner.capacity.heatmap": _n("Bezetting per medewerker", "Utilisation per expert"),
    "planner.capacity.heatmap.lead": _n(
        "Elk vak toont de bezetting: geboekte bezoeken plus reistijd, gedeeld door de werktijd. "
        "Een streepje: werkt niet. Een uitroepteken: bezoeken zonder dienst.",
        "Each cell shows the utilisation: booked visits plus travel, divided by working time. "
        "A dash: not working. An exclamation mark: visits without a shift.",
    ),
    "planner.capacity.heatmap.caption": _n(
        "Bezetting per medewerker en dag, {first} tot en met {last}",
        "Utilisation per expert and day, {first} to {last}",
    ),
    "planner.capacity.legend": _n("Legenda", "Legend"),
    "planner.capacity.level.1": _n("minder dan 25%", "under 25%"),
    "planner.capacity.level.2": _n("25 tot 50%", "25 to 50%"),
    "planner.capacity.level.3": _n("50 tot 75%", "50 to 75%"),
    "planner.capacity.level.4": _n("75 tot 90%", "75 to 90%"),
    "planner.capacity.level.5": _n("90 tot en met 100%", "90 to 100%"),
    "planner.capacity.level.over": _n("meer dan 100%", "over 100%"),
    "planner.capacity.level.off": _n("werkt niet", "not working"),
    "planner.capacity.off": _n("werkt niet", "not working"),
    "planner.capacity.cell": _n(
        "{visits} bezoeken, {booked} geboekt, {travel} reizen, {available} beschikbaar",
        "{visits} visits, {booked} booked, {travel} travel, {available} available",
    ),
    "planner.capacity.no_shift": _n(
        "{visits} bezoeken zonder dienst", "{visits} visits without a shift"
    ),
    "planner.capacity.weeks": _n("Per week", "Per week"),
    "planner.capacity.week": _n("Week {week} ({first} – {last})", "Week {week} ({first} – {last})"),
    "planner.capacity.total": _n("Hele periode", "Whole period"),
    "planner.capacity.explain": _n(
        "Avond: het deel van de werktijd na 17.00 uur. Weekend: het deel op zaterdag en zondag.",
        "Evening: the share of working time after 17:00. Weekend: the share on Saturday and "
        "Sunday.",
    ),
    # Changes that touch booked visits
    "planner.change.expert": _n("de wijziging van {name}", "the change to {name}"),
    "planner.change.shift": _n(
        "het weghalen van een werktijd van {name}", "removing a shift of {name}"
    ),
    "planner.change.shift_added": _n(
        "een extra werktijd van {name}", "extra working hours of {name}"
    ),
    "planner.change.exception.sickness": _n(
        "de ziekmelding van {name}", "the sick report of {name}"
    ),
    "planner.change.exception.absence": _n("de afwezigheid van {name}", "the absence of {name}"),
    "planner.change.exception.extra": _n("de extra dienst van {name}", "the extra shift of {name}"),
    "planner.change.exception_removed": _n(
        "het weghalen van een extra dienst van {name}", "removing an extra shift of {name}"
    ),
    "planner.change.closure": _n("sluiten op {date}", "closing on {date}"),
    "planner.change.holidays": _n("de feestdagen van {year}", "the public holidays of {year}"),
    "planner.change.service": _n("de wijziging van {name}", "the change to {name}"),
    "planner.affected.title": _n(
        "Dit raakt {count} geboekte afspraak/afspraken", "This affects {count} booked visit(s)"
    ),
    "planner.affected.heading": _n(
        "Nog niet opgeslagen: {what} breekt beloftes", "Not saved yet: {what} breaks promises"
    ),
    "planner.affected.lead": _n(
        "Deze bezoeken passen dan niet meer in hun tijdvak.",
        "These visits would no longer fit their windows.",
    ),
    "planner.affected.caption": _n("Geraakte afspraken", "Affected visits"),
    "planner.affected.choose": _n("Wat wil je doen?", "What do you want to do?"),
    "planner.affected.replan.explain": _n(
        "Opslaan en herplannen: de bezoeken gaan waar het kan naar collega's, binnen hun "
        "tijdvak. Wat niet lukt, krijgt een bericht met nieuwe tijden en komt op je lijst.",
        "Save and re-plan: the visits move to colleagues where possible, within their windows. "
        "Those that cannot be kept get a message with new times and go on your list.",
    ),
    "planner.affected.replan": _n("Opslaan en herplannen", "Save and re-plan"),
    "planner.affected.cancel": _n("Niet opslaan", "Do not save"),
    "planner.outcome.saved": _n("Opgeslagen", "Saved"),
    "planner.outcome.untouched": _n(
        "Geen enkele geboekte afspraak is hierdoor veranderd.", "No booked visit was affected."
    ),
    "planner.outcome.replanned": _n(
        "{count} afspraak/afspraken zijn opnieuw ingepland. Hieronder staat wat er gebeurd is.",
        "{count} visit(s) were re-planned. What happened is below.",
    ),
    "planner.outcome.see_day": _n("Bekijk de dagplanning", "See the day plan"),
    "planner.outcome.moved": _n(
        "Verplaatst naar een collega ({count})", "Moved to a colleague ({count})"
    ),
    "planner.outcome.moved.none": _n("Geen.", "None."),
    "planner.outcome.moved_to": _n("{expert}, aankomst {arrival}", "{expert}, arrival {arrival}"),
    "planner.outcome.reason": _n("Waarom: {reason}", "Why: {reason}"),
    "planner.outcome.reason.absent": _n("de medewerker is afwezig", "the expert is absent"),
    "planner.outcome.reason.changed_day": _n(
        "past niet meer in de gewijzigde dag van de medewerker",
        "no longer fits the expert's changed day",
    ),
    "planner.outcome.reason.made_room": _n(
        "maakt plaats voor een bezoek van een afwezige collega",
        "makes room for a visit of an absent colleague",
    ),
    "planner.outcome.listed": _n("Kon niet doorgaan ({count})", "Could not be kept ({count})"),
    "planner.outcome.listed.lead": _n(
        "Deze inwoners hebben bericht gekregen. Bied een nieuwe tijd aan: de tijden hieronder "
        "zijn even voor hen vastgehouden.",
        "These residents have been told. Offer them a new time: the windows below are held for "
        "them for a short while.",
    ),
    "planner.outcome.listed.none": _n("Alles is gehouden.", "Everything was kept."),
    "planner.outcome.message": _n("Bericht", "Message"),
    "planner.outcome.by_email": _n("Verstuurd per e-mail", "Sent by e-mail"),
    "planner.outcome.by_phone": _n(
        "Geen e-mail: staat op de belijst", "No e-mail: on the call list"
    ),
    "planner.outcome.alternatives": _n(
        "Nieuwe tijden voor {reference}", "New times for {reference}"
    ),
    "planner.outcome.alternative": _n(
        "{window} (vastgehouden tot {until})", "{window} (held until {until})"
    ),
    "planner.outcome.move": _n("Verzet naar deze tijd", "Move to this time"),
    "planner.outcome.no_alternatives": _n(
        "Er zijn nu geen vrije tijden vastgehouden. Zoek nieuwe tijden via de balie.",
        "No free times are held right now. Find new times at the desk.",
    ),
    "planner.outcome.desk": _n("{reference} openen bij de balie", "Open {reference} at the desk"),
    "planner.outcome.calls": _n("Naar de belijst", "Go to the call list"),
    # Experts
    "planner.experts.title": _n("Medewerkers", "Experts"),
    "planner.experts.lead": _n(
        "Wie er op huisbezoek gaat, met welke vaardigheden en welk vervoer.",
        "Who makes home visits, with which skills and how they travel.",
    ),
    "planner.experts.new": _n("Nieuwe medewerker", "New expert"),
    "planner.experts.edit": _n("Gegevens", "Details"),
    "planner.experts.shifts": _n("Werktijden", "Working hours"),
    "planner.experts.exceptions": _n("Afwezigheid", "Absence"),
    "planner.experts.back": _n("Terug naar medewerkers", "Back to experts"),
    "planner.expert.edit_title": _n("{name} wijzigen", "Change {name}"),
    "planner.expert.name.missing": _n("Vul een naam in.", "Enter a name."),
    "planner.expert.skills": _n("Vaardigheden", "Skills"),
    "planner.expert.skills_other": _n("Andere vaardigheden", "Other skills"),
    "planner.expert.skills_other.help": _n(
        "Gescheiden door komma's, zoals wmo, schuldhulp.", "Separated by commas, like wmo, debt."
    ),
    "planner.expert.travel_mode": _n("Vervoer", "Travel mode"),
    "planner.expert.start": _n("Begint de dag bij", "Starts the day at"),
    "planner.expert.end": _n("Eindigt de dag bij", "Ends the day at"),
    "planner.expert.end.same": _n("Terug bij het begin", "Back at the start"),
    "planner.expert.end.other": _n("Een ander adres", "Another address"),
    "planner.expert.place_label": _n("Naam van de plek", "Name of the place"),
    "planner.expert.address.keep": _n(
        "Laat leeg om de huidige plek te houden.", "Leave empty to keep the current place."
    ),
    "planner.expert.address.missing": _n(
        "Vul een postcode en huisnummer in.", "Enter a postcode and house number."
    ),
    "planner.expert.max_visits": _n("Hoogstens bezoeken per dag", "Most visits per day"),
    "planner.expert.max_visits.help": _n("Leeg: geen grens.", "Empty: no limit."),
    "planner.expert.active": _n("Actief", "Active"),
    "planner.expert.active_label": _n("Actief: wordt ingepland", "Active: is planned"),
    "planner.expert.saved": _n("{name} is opgeslagen", "{name} has been saved"),
    "planner.expert.created": _n("{name} is toegevoegd", "{name} has been added"),
    # Shifts
    "planner.shifts.title": _n("Werktijden van {name}", "Working hours of {name}"),
    "planner.shifts.lead": _n(
        "Het vaste weekpatroon, met avond- en zaterdagdiensten en de lunchpauze.",
        "The weekly pattern, with evening and Saturday shifts and the lunch break.",
    ),
    "planner.shifts.first": _n(
        "Geef nu de vaste werktijden op: pas dan kan de medewerker worden ingepland.",
        "Now add the weekly shifts: only then can the expert be planned.",
    ),
    "planner.shifts.none": _n("Nog geen werktijden.", "No working hours yet."),
    "planner.shifts.add": _n("Werktijd toevoegen", "Add working hours"),
    "planner.shifts.back": _n(
        "Terug naar de werktijden van {name}", "Back to the working hours of {name}"
    ),
    "planner.shift.weekday": _n("Dag", "Day"),
    "planner.shift.times": _n("Tijden", "Times"),
    "planner.shift.start": _n("Begin", "Start"),
    "planner.shift.end": _n("Einde", "End"),
    "planner.shift.break": _n("Pauze", "Break"),
    "planner.shift.break.help": _n(
        "De pauze begint tussen de twee tijden; laat leeg voor geen pauze.",
        "The break starts between the two times; leave empty for no break.",
    ),
    "planner.shift.break_earliest": _n("Pauze vanaf", "Break from"),
    "planner.shift.break_latest": _n("Uiterlijk om", "At the latest"),
    "planner.shift.break_minutes": _n("Minuten", "Minutes"),
    "planner.shift.lunch": _n(
        "{minutes} min, begin tussen {earliest} en {latest}",
        "{minutes} min, starting between {earliest} and {latest}",
    ),
    "planner.shift.validity": _n("Geldig", "Valid"),
    "planner.shift.always": _n("Altijd", "Always"),
    "planner.shift.valid": _n("{first} tot en met {last}", "{first} to {last}"),
    "planner.shift.valid_from": _n("Geldig vanaf", "Valid from"),
    "planner.shift.valid_until": _n("Geldig tot en met", "Valid until"),
    "planner.shift.deleted": _n("Werktijd verwijderd", "Working hours deleted"),
    # Exceptions
    "planner.exceptions.title": _n("Afwezigheid van {name}", "Absence of {name}"),
    "planner.exceptions.lead": _n(
        "Verlof, ziekte en extra diensten vanaf vandaag.",
        "Leave, sickness and extra shifts from today on.",
    ),
    "planner.exceptions.none": _n("Niets gepland.", "Nothing planned."),
    "planner.exceptions.add": _n("Vastleggen", "Record"),
    "planner.exceptions.back": _n(
        "Terug naar de afwezigheid van {name}", "Back to the absence of {name}"
    ),
    "planner.exception.kind": _n("Soort", "Kind"),
    "planner.exception.sickness": _n("Ziek", "Sick"),
    "planner.exception.absence": _n("Afwezig (verlof, cursus)", "Absent (leave, training)"),
    "planner.exception.extra": _n("Extra dienst", "Extra shift"),
    "planner.exception.whole_day": _n("Hele dag", "Whole day"),
    "planner.exception.until": _n("Tot en met", "Until"),
    "planner.exception.until.help": _n(
        "Alleen voor hele dagen; leeg is één dag.", "Whole days only; empty is one day."
    ),
    "planner.exception.from_time": _n("Van", "From"),
    "planner.exception.to_time": _n("Tot", "To"),
    "planner.exception.times.help": _n(
        "Zonder tijden geldt afwezigheid voor de hele dag. Een extra dienst heeft altijd tijden.",
        "Without times an absence covers the whole day. An extra shift always has times.",
    ),
    "planner.exception.saved": _n("{kind}: {name}, {date}", "{kind}: {name}, {date}"),
    "planner.exception.deleted": _n("Verwijderd", "Deleted"),
    # Closure days
    "planner.closures.title": _n("Sluitingsdagen {year}", "Closure days {year}"),
    "planner.closures.lead": _n(
        "Op deze dagen komt niemand langs. Feestdagen staan er al in; je kunt ze aanpassen.",
        "Nobody visits on these days. Public holidays are filled in; you can change them.",
    ),
    "planner.closures.none": _n("Geen sluitingsdagen dit jaar.", "No closure days this year."),
    "planner.closures.holiday": _n("feestdag", "public holiday"),
    "planner.closures.name": _n("Naam", "Name"),
    "planner.closures.name_of": _n("Naam van {date}", "Name of {date}"),
    "planner.closures.rename": _n("Naam opslaan", "Save name"),
    "planner.closures.open": _n("Weer open", "Open again"),
    "planner.closures.prefill": _n(
        "Feestdagen van {year} invullen", "Fill in the holidays of {year}"
    ),
    "planner.closures.filled": _n("{count} feestdag(en) toegevoegd", "{count} holiday(s) added"),
    "planner.closures.add": _n("Sluitingsdag toevoegen", "Add a closure day"),
    "planner.closures.back": _n("Terug naar de sluitingsdagen", "Back to the closure days"),
    "planner.closure.name.missing": _n("Geef de dag een naam.", "Give the day a name."),
    "planner.closure.saved": _n("Gesloten op {date}", "Closed on {date}"),
    # Services
    "planner.services.title": _n("Diensten", "Services"),
    "planner.services.lead": _n(
        "Wat inwoners aan huis kunnen boeken, hoe lang het duurt en wie het mag doen.",
        "What residents can book at home, how long it takes and who may do it.",
    ),
    "planner.services.new": _n("Nieuwe dienst", "New service"),
    "planner.services.back": _n("Terug naar de diensten", "Back to the services"),
    "planner.service.edit_title": _n("Dienst {code} wijzigen", "Change service {code}"),
    "planner.service.code": _n("Code", "Code"),
    "planner.service.code.help": _n(
        "Vaste naam in links en gegevens, zoals wmo-intake. Niet meer te wijzigen.",
        "Permanent name in links and data, like wmo-intake. Cannot be changed later.",
    ),
    "planner.service.name_nl": _n("Naam (Nederlands)", "Name (Dutch)"),
    "planner.service.name_en": _n("Naam (Engels)", "Name (English)"),
    "planner.service.description_nl": _n("Omschrijving (Nederlands)", "Description (Dutch)"),
    "planner.service.description_en": _n("Omschrijving (Engels)", "Description (English)"),
    "planner.service.preparation_nl": _n(
        "Wat de inwoner klaarlegt (Nederlands)", "What the resident prepares (Dutch)"
    ),
    "planner.service.preparation_en": _n(
        "Wat de inwoner klaarlegt (Engels)", "What the resident prepares (English)"
    ),
    "planner.service.duration": _n("Duur", "Duration"),
    "planner.service.duration_minutes": _n("Duur (minuten)", "Duration (minutes)"),
    "planner.service.skill": _n("Vaardigheid", "Skill"),
    "planner.service.window": _n("Tijdvak", "Window"),
    "planner.service.window_minutes": _n("Tijdvak (minuten)", "Window (minutes)"),
    "planner.service.window.help": _n(
        "Hoe breed de belofte is: de medewerker komt binnen dit tijdvak.",
        "How wide the promise is: the expert arrives within this window.",
    ),
    "planner.service.horizon": _n("Boekbaar vooruit", "Bookable ahead"),
    "planner.service.horizon_days": _n("Boekbaar vooruit (dagen)", "Bookable ahead (days)"),
    "planner.service.lead_time": _n("Voorbereidingstijd", "Lead time"),
    "planner.service.lead_time_hours": _n("Voorbereidingstijd (uren)", "Lead time (hours)"),
    "planner.service.retention": _n("Bewaartermijn", "Retention"),
    "planner.service.retention_days": _n("Bewaartermijn (dagen)", "Retention (days)"),
    "planner.service.retention.help": _n(
        "Zo lang na het bezoek blijven naam en contactgegevens bewaard.",
        "How long after the visit the name and contact details are kept.",
    ),
    "planner.service.active": _n("Te boeken", "Bookable"),
    "planner.service.active_label": _n(
        "Inwoners kunnen deze dienst boeken", "Residents can book this service"
    ),
    "planner.service.saved": _n("{name} is opgeslagen", "{name} has been saved"),
    # Day plan
    "planner.day.title": _n("Dagplanning {date}", "Day plan {date}"),
    "planner.day.back": _n("Terug naar {date}", "Back to {date}"),
    "planner.day.summary": _n(
        "{experts} medewerkers, {visits} bezoeken, {travel} min reistijd",
        "{experts} experts, {visits} visits, {travel} min travel",
    ),
    "planner.day.applied.title": _n("Het voorstel is toegepast", "The proposal has been applied"),
    "planner.day.applied": _n(
        "De nieuwe routes staan klaar in de route-app van de medewerkers.",
        "The new routes are ready in the experts' route app.",
    ),
    "planner.day.at_risk": _n("Haalt tijdvak niet", "Misses the window"),
    "planner.day.at_risk.title": _n(
        "{count} bezoek(en) halen het tijdvak niet", "{count} visit(s) miss their window"
    ),
    "planner.day.at_risk.line": _n(
        "tijdvak {window}, verwachte aankomst {arrival}",
        "window {window}, expected arrival {arrival}",
    ),
    "planner.day.unplanned.title": _n(
        "{count} bezoek(en) zonder plek in een route", "{count} visit(s) without a place in a route"
    ),
    "planner.day.unplanned": _n(
        "Bied deze inwoners een nieuwe tijd aan via de balie.",
        "Offer these residents a new time at the desk.",
    ),
    "planner.day.actions": _n("Deze dag aanpassen", "Change this day"),
    "planner.day.optimise.lead": _n(
        "Laat de computer kortere routes zoeken. Je ziet eerst een vergelijking; er verandert "
        "pas iets als je het voorstel toepast.",
        "Let the computer find shorter routes. You see a comparison first; nothing changes "
        "until you apply the proposal.",
    ),
    "planner.day.optimise": _n("Routes optimaliseren", "Optimise the routes"),
    "planner.day.sick.lead": _n(
        "Is een medewerker ziek? Zijn bezoeken gaan waar het kan naar collega's.",
        "Is an expert sick? Their visits move to colleagues where possible.",
    ),
    "planner.day.sick.expert": _n("Medewerker", "Expert"),
    "planner.day.sick": _n("Ziek melden voor deze dag", "Report sick for this day"),
    "planner.day.timeline": _n("Tijdlijn", "Timeline"),
    "planner.day.timeline.lead": _n(
        "Per medewerker: de beloofde tijdvakken (dunne balk), de geplande bezoeken (genummerd), "
        "reistijd en pauzes. Dezelfde gegevens staan in de lijsten hieronder.",
        "Per expert: the promised windows (thin bar), the planned visits (numbered), travel "
        "and breaks. The same data is in the lists below.",
    ),
    "planner.day.key.window": _n("Beloofd tijdvak", "Promised window"),
    "planner.day.key.visit": _n("Bezoek", "Visit"),
    "planner.day.key.risk": _n("Haalt tijdvak niet", "Misses the window"),
    "planner.day.key.travel": _n("Reizen", "Travel"),
    "planner.day.key.break": _n("Pauze", "Break"),
    "planner.day.key.shift": _n("Werktijd", "Working hours"),
    "planner.day.shift": _n("Werktijd {times}", "Working hours {times}"),
    "planner.day.no_shift": _n("Werkt niet (meer) vandaag", "Not working (any more) today"),
    "planner.day.ends_late": _n("Eindigt na de dienst", "Ends after the shift"),
    "planner.day.break": _n("Pauze {times}", "Break {times}"),
    "planner.day.travel": _n("{minutes} min reizen", "{minutes} min travel"),
    "planner.day.travel_back": _n("{minutes} min terug", "{minutes} min back"),
    "planner.day.window_of": _n(
        "Tijdvak bezoek {number}: {times}", "Window of visit {number}: {times}"
    ),
    "planner.day.visit_title": _n(
        "Bezoek {number}: {times} (tijdvak {window}), {reference}, {status}",
        "Visit {number}: {times} (window {window}), {reference}, {status}",
    ),
    "planner.day.nobody": _n("Niemand werkt op deze dag.", "Nobody works on this day."),
    "planner.day.no_visits": _n("Geen bezoeken.", "No visits."),
    "planner.day.map": _n("Kaart", "Map"),
    "planner.day.map.note": _n(
        "De kaart is een hulpmiddel; alle bezoeken staan ook in de lijsten.",
        "The map is an aid; every visit is also in the lists.",
    ),
    "planner.day.map.label": _n(
        "Kaart met de routes van deze dag", "Map with the routes of this day"
    ),
    "planner.day.routes": _n("Routes per medewerker", "Routes per expert"),
    "planner.day.route_of": _n("Route van {name}", "Route of {name}"),
    # Proposal
    "planner.proposal.title": _n("Voorstel voor {date}", "Proposal for {date}"),
    "planner.proposal.improved.title": _n("Een betere planning gevonden", "A better plan found"),
    "planner.proposal.improved.plain": _n(
        "Vergelijk de cijfers en pas het voorstel toe als je het goed vindt.",
        "Compare the figures and apply the proposal if you agree.",
    ),
    "planner.proposal.improved": _n(
        "Ook {newly} bezoek(en) zonder plek krijgen er een.",
        "Also {newly} visit(s) without a place get one.",
    ),
    "planner.proposal.same.title": _n("Geen verbetering gevonden", "No improvement found"),
    "planner.proposal.same": _n(
        "De huidige planning is al zo goed als wat de computer vond. Toepassen zet de bezoeken "
        "vast in de routes.",
        "The current plan is as good as what the computer found. Applying fixes the visits in "
        "the routes.",
    ),
    "planner.proposal.applied": _n("Dit voorstel is toegepast.", "This proposal has been applied."),
    "planner.proposal.stale": _n(
        "Dit voorstel is verouderd: de dag is sindsdien veranderd.",
        "This proposal is out of date: the day has changed since.",
    ),
    "planner.proposal.conflict.title": _n("De dag is veranderd", "The day has changed"),
    "planner.proposal.conflict": _n(
        "Er is intussen iets geboekt, verzet of afgezegd. Er is niets veranderd. Optimaliseer "
        "opnieuw met de planning van nu.",
        "Something was booked, moved or cancelled meanwhile. Nothing has changed. Optimise "
        "again with the plan as it is now.",
    ),
    "planner.proposal.again": _n("Opnieuw optimaliseren", "Optimise again"),
    "planner.proposal.compare": _n("Nu en straks", "Now and after"),
    "planner.proposal.figure": _n("Cijfer", "Figure"),
    "planner.proposal.before": _n("Nu", "Now"),
    "planner.proposal.after": _n("Voorstel", "Proposal"),
    "planner.proposal.change": _n("Verschil", "Difference"),
    "planner.proposal.better": _n("beter", "better"),
    "planner.proposal.worse": _n("slechter", "worse"),
    "planner.proposal.metric.travel": _n("Reistijd", "Travel time"),
    "planner.proposal.metric.distance": _n("Afstand", "Distance"),
    "planner.proposal.metric.waiting": _n("Wachttijd", "Waiting"),
    "planner.proposal.metric.overtime": _n("Overuren", "Overtime"),
    "planner.proposal.metric.assigned": _n("Ingepland", "Planned"),
    "planner.proposal.metric.unassigned": _n("Zonder plek", "Without a place"),
    "planner.proposal.apply.lead": _n(
        "Toepassen zet de nieuwe routes vast; de tijdvakken van de inwoners blijven gelijk.",
        "Applying fixes the new routes; the residents' windows stay the same.",
    ),
    "planner.proposal.apply": _n("Voorstel toepassen", "Apply the proposal"),
    "planner.proposal.per_expert": _n("Per medewerker", "Per expert"),
    "planner.proposal.chart": _n(
        "Reistijd per medewerker, nu en in het voorstel",
        "Travel time per expert, now and in the proposal",
    ),
    "planner.proposal.chart.note": _n(
        "reistijd in minuten; de tabel hieronder heeft alle cijfers.",
        "travel in minutes; the table below has every figure.",
    ),
    "planner.proposal.waiting_min": _n("Wachttijd (min)", "Waiting (min)"),
    "planner.proposal.overtime_min": _n("Overuren (min)", "Overtime (min)"),
    "planner.proposal.end": _n("Klaar om", "Done at"),
    "planner.proposal.moves": _n(
        "Naar een andere medewerker ({count})", "To another expert ({count})"
    ),
    "planner.proposal.moves.none": _n(
        "Iedereen houdt zijn eigen bezoeken; alleen de volgorde verandert.",
        "Everyone keeps their own visits; only the order changes.",
    ),
    "planner.proposal.move": _n("van {source} naar {target}", "from {source} to {target}"),
    "planner.proposal.unassigned": _n(
        "Zonder plek in het voorstel ({count})", "Without a place in the proposal ({count})"
    ),
    # Desk
    "planner.desk.title": _n("Balie en telefoon", "Desk and phone"),
    "planner.desk.lead": _n(
        "Voor wie belt of langskomt: dezelfde tijden en regels als online. De afspraak wordt "
        "gemarkeerd als telefonisch of aan de balie gemaakt.",
        "For those who call or come to the desk: the same times and rules as online. The "
        "booking is marked as made by phone or at the desk.",
    ),
    "planner.desk.new": _n("Nieuwe afspraak", "New booking"),
    "planner.desk.service.choose": _n("Kies een dienst", "Choose a service"),
    "planner.desk.service.missing": _n("Kies een dienst.", "Choose a service."),
    "planner.desk.from": _n("Niet eerder dan", "Not before"),
    "planner.desk.from.help": _n(
        "Leeg: de eerste tijden die er zijn.", "Empty: the first times available."
    ),
    "planner.desk.lookup": _n("Afspraak opzoeken", "Look up a booking"),
    "planner.desk.lookup.help": _n(
        "Het afspraaknummer uit de bevestiging, zoals AH-7K2M9Q.",
        "The reference from the confirmation, like AH-7K2M9Q.",
    ),
    "planner.desk.lookup.submit": _n("Opzoeken", "Look up"),
    "planner.desk.reference.missing": _n("Vul een afspraaknummer in.", "Enter a reference."),
    "planner.desk.reference.unknown": _n(
        "Er is geen afspraak met dit nummer.", "There is no booking with this reference."
    ),
    "planner.desk.back": _n("Terug naar de balie", "Back to the desk"),
    "planner.desk.back_visit": _n("Terug naar {reference}", "Back to {reference}"),
    "planner.desk.windows.title": _n("Tijden voor de beller", "Times for the caller"),
    "planner.desk.none": _n(
        "Er zijn geen vrije tijden binnen de boekingstermijn. Probeer een andere dienst of "
        "later opnieuw.",
        "There are no free times within the booking horizon. Try another service or try again "
        "later.",
    ),
    "planner.desk.pick": _n("Kies een tijd", "Choose a time"),
    "planner.desk.citizen": _n("Gegevens van de inwoner", "The resident's details"),
    "planner.desk.contact.help": _n(
        "Een telefoonnummer of e-mailadres is nodig.", "A phone number or e-mail is needed."
    ),
    "planner.desk.contact.missing": _n(
        "Vul een telefoonnummer of e-mailadres in.", "Enter a phone number or e-mail address."
    ),
    "planner.desk.name.missing": _n("Vul de naam van de inwoner in.", "Enter the resident's name."),
    "planner.desk.channel": _n("Gemaakt via", "Made by"),
    "planner.desk.channel.phone": _n("Telefoon", "Phone"),
    "planner.desk.channel.desk": _n("Balie", "Desk"),
    "planner.desk.channel.online": _n("Online", "Online"),
    "planner.desk.book": _n("Afspraak maken", "Book"),
    "planner.desk.booked.title": _n("De afspraak is gemaakt", "The booking is made"),
    "planner.desk.booked.read_out": _n("Lees het afspraaknummer voor", "Read out the reference"),
    "planner.desk.manage": _n("Link om de afspraak te beheren", "Link to manage the booking"),
    "planner.desk.manage.by_email": _n(
        "De inwoner krijgt deze link ook per e-mail. We tonen hem maar één keer.",
        "The resident also gets this link by e-mail. We show it only once.",
    ),
    "planner.desk.manage.by_phone": _n(
        "Geen e-mail: geef deze link door of lees hem voor. We tonen hem maar één keer.",
        "No e-mail: pass this link on or read it out. We show it only once.",
    ),
    "planner.desk.open": _n("{reference} openen", "Open {reference}"),
    "planner.desk.next": _n("Volgende beller", "Next caller"),
    "planner.desk.visit.title": _n("Afspraak {reference}", "Booking {reference}"),
    "planner.desk.unplanned.title": _n("Deze afspraak heeft geen plek", "This visit has no place"),
    "planner.desk.unplanned": _n(
        "Door een verstoring kan niemand dit tijdvak halen. Zoek samen een nieuwe tijd.",
        "Because of a disruption nobody can make this window. Find a new time together.",
    ),
    "planner.desk.at_risk": _n(
        "De medewerker loopt uit en haalt dit tijdvak waarschijnlijk niet.",
        "The expert is running late and will probably miss this window.",
    ),
    "planner.desk.move": _n("Andere tijd zoeken", "Find another time"),
    "planner.desk.cancel": _n("Afspraak annuleren", "Cancel the booking"),
    "planner.desk.unchangeable": _n(
        "Deze afspraak kan niet meer worden verzet of geannuleerd.",
        "This booking can no longer be moved or cancelled.",
    ),
    "planner.desk.move.title": _n("{reference} verzetten", "Move {reference}"),
    "planner.desk.move.lead": _n(
        "Nu: {service}, {when}. Kies een nieuwe tijd; de oude komt dan vrij.",
        "Now: {service}, {when}. Choose a new time; the old one is then freed.",
    ),
    "planner.desk.move.submit": _n("Verzetten", "Move"),
    "planner.desk.moved": _n(
        "Verzet. De inwoner krijgt de nieuwe tijd.", "Moved. The resident gets the new time."
    ),
    "planner.desk.cancel.title": _n("{reference} annuleren?", "Cancel {reference}?"),
    "planner.desk.cancel.lead": _n(
        "De tijd komt meteen vrij voor anderen. De inwoner krijgt bericht.",
        "The time is free for others at once. The resident is told.",
    ),
    "planner.desk.cancel.yes": _n("Ja, annuleren", "Yes, cancel"),
    "planner.desk.cancel.no": _n("Nee, terug", "No, go back"),
    "planner.desk.cancelled": _n(
        "Geannuleerd. De inwoner krijgt bericht.", "Cancelled. The resident is told."
    ),
    # KPIs
    "planner.kpi.title": _n("Cijfers", "KPIs"),
    "planner.kpi.lead": _n(
        "Hoe snel inwoners terechtkunnen, wanneer we komen en hoe vol de dagen zitten, per week "
        "en naast de andere gemeenten.",
        "How soon residents can be helped, when we visit and how full the days are, per week "
        "and next to the other municipalities.",
    ),
    "planner.kpi.invalid.title": _n("Deze periode kan niet", "This period is not possible"),
    "planner.kpi.invalid": _n(
        "Kies een begin vóór het einde en hoogstens een jaar. We tonen de standaardperiode.",
        "Choose a start before the end and at most a year. We show the default period.",
    ),
    "planner.kpi.period.title": _n("Periode", "Period"),
    "planner.kpi.period": _n("{first} tot en met {last}", "{first} to {last}"),
    "planner.kpi.visits": _n("{visits} bezoeken", "{visits} visits"),
    "planner.kpi.preset": _n("Laatste {weeks} weken", "Last {weeks} weeks"),
    "planner.kpi.from": _n("Van", "From"),
    "planner.kpi.to": _n("Tot en met", "To"),
    "planner.kpi.csv": _n("Download als CSV", "Download as CSV"),
    "planner.kpi.contents": _n("In één oogopslag", "At a glance"),
    "planner.kpi.no_data": _n("geen gegevens", "no data"),
    "planner.kpi.unit.days": _n("{value} dagen", "{value} days"),
    "planner.kpi.unit.percent": _n("{value}%", "{value}%"),
    "planner.kpi.unit.min": _n("{value} min", "{value} min"),
    "planner.kpi.unit.visits": _n("{value} bezoeken", "{value} visits"),
    "planner.kpi.higher": _n("hoger is beter", "higher is better"),
    "planner.kpi.lower": _n("lager is beter", "lower is better"),
    "planner.kpi.made.searches": _n(
        "gemiddelde over {searches} zoekopdrachten", "average over {searches} searches"
    ),
    "planner.kpi.made.evening": _n("{part} van {visits} bezoeken", "{part} of {visits} visits"),
    "planner.kpi.made.travel": _n(
        "{minutes} min reizen, {visits} bezoeken", "{minutes} min travel, {visits} visits"
    ),
    "planner.kpi.made.days": _n(
        "{visits} bezoeken op {days} werkdagen", "{visits} visits on {days} working days"
    ),
    "planner.kpi.made.not_home": _n(
        "{part} van {visits} afgeronde bezoeken", "{part} of {visits} finished visits"
    ),
    "planner.kpi.made.utilisation": _n(
        "{booked} van {available} uur geboekt", "{booked} of {available} hours booked"
    ),
    "planner.kpi.week": _n("Week {week}", "Week {week}"),
    "planner.kpi.week_short": _n("wk {week}", "wk {week}"),
    "planner.kpi.week_title": _n(
        "Week {week} ({dates}): {value}", "Week {week} ({dates}): {value}"
    ),
    "planner.kpi.chart": _n("{label} per week", "{label} per week"),
    "planner.kpi.chart.note": _n(
        "Een streepje: geen gegevens die week. De tabel heeft dezelfde cijfers.",
        "A dash: no data that week. The table has the same figures.",
    ),
    "planner.kpi.table": _n("{label} per week", "{label} per week"),
    "planner.kpi.value": _n("Waarde", "Value"),
    "planner.kpi.peers": _n("Naast andere gemeenten", "Next to other municipalities"),
    "planner.kpi.peers.none": _n("Nog geen gegevens om te vergelijken.", "No data to compare yet."),
    "planner.kpi.rank": _n(
        "Plaats {rank} van {peers} gemeenten.", "Place {rank} of {peers} municipalities."
    ),
    "planner.kpi.rank.none": _n(
        "Wij hebben geen waarde; {peers} gemeenten wel.",
        "We have no value; {peers} municipalities do.",
    ),
    "planner.kpi.spread": _n(
        "Mediaan {median}; de middelste helft ligt tussen {q1} en {q3}.",
        "Median {median}; the middle half lies between {q1} and {q3}.",
    ),
    "planner.kpi.box": _n(
        "{label}: onze waarde naast de middelste helft van alle gemeenten",
        "{label}: our value next to the middle half of all municipalities",
    ),
    "planner.kpi.box.middle": _n("Middelste helft: {q1} – {q3}", "Middle half: {q1} – {q3}"),
    "planner.kpi.box.median": _n("Mediaan: {median}", "Median: {median}"),
    "planner.kpi.box.own": _n("Wij: {value}", "Us: {value}"),
    "planner.kpi.box.key.own": _n("wij", "us"),
    "planner.kpi.box.key.box": _n(
        "middelste helft van de gemeenten, met de mediaan",
        "middle half of the municipalities, with the median",
    ),
    "planner.kpi.anonymous": _n(
        "Andere gemeenten blijven anoniem: je ziet alleen je eigen plaats, de mediaan en de "
        "middelste helft.",
        "Other municipalities stay anonymous: you see only your own place, the median and the "
        "middle half.",
    ),
}
