"""Texts of the pages for carers and needs: booking for someone else, needs, the look-up, the
waiting list and the desk's search (merged into :data:`api.web.messages.MESSAGES`)."""

from __future__ import annotations

CARERS_MESSAGES: dict[str, dict[str, str]] = {
    # For whom
    "for.legend": {"nl": "Voor wie maakt u de afspraak?", "en": "Who are you booking for?"},
    "for.self": {"nl": "Voor mijzelf", "en": "For myself"},
    "for.other": {
        "nl": "Voor iemand anders, bijvoorbeeld mijn vader, moeder of een cliënt",
        "en": "For someone else, for example my father, mother or a client",
    },
    "for.missing": {
        "nl": "Kies voor wie u de afspraak maakt.",
        "en": "Choose who you are booking for.",
    },
    # Needs
    "needs.legend": {
        "nl": "Moet de medewerker ergens rekening mee houden?",
        "en": "Should our expert take anything into account?",
    },
    "needs.hint": {
        "nl": "Kruis aan wat van toepassing is. Dit is niet verplicht.",
        "en": "Tick what applies. This is optional.",
    },
    "needs.language": {
        "nl": "Welke taal moet de tolk spreken?",
        "en": "Which language should the interpreter speak?",
    },
    "needs.language.choose": {"nl": "Kies een taal", "en": "Choose a language"},
    "needs.language.missing": {
        "nl": "Kies de taal die de tolk moet spreken.",
        "en": "Choose the language the interpreter should speak.",
    },
    "needs.text": {"nl": "Wat moeten we weten?", "en": "What should we know?"},
    "needs.text.missing": {
        "nl": "Beschrijf wat we moeten weten, of haal het vinkje weg.",
        "en": "Describe what we should know, or untick the box.",
    },
    "needs.none_for_language": {
        "nl": "Er is in deze periode geen medewerker vrij die deze taal spreekt. Bel ons gerust, "
        "dan regelen we een tolk.",
        "en": "No expert who speaks this language is free in this period. Feel free to call us "
        "and we will arrange an interpreter.",
    },
    "label.needs": {"nl": "Let op", "en": "Please note"},
    "label.contact": {"nl": "Contactpersoon", "en": "Contact person"},
    "label.visited": {"nl": "We bezoeken", "en": "We visit"},
    # Details for someone else
    "details.visited.title": {"nl": "Wie bezoeken we?", "en": "Who do we visit?"},
    "details.visited.name": {
        "nl": "Naam van de persoon die we bezoeken",
        "en": "Name of the person we visit",
    },
    "details.visited.phone": {
        "nl": "Telefoonnummer van deze persoon",
        "en": "This person's phone number",
    },
    "details.visited.phone_hint": {
        "nl": "Zodat de medewerker kan bellen als hij of zij later is.",
        "en": "So our expert can call if they are running late.",
    },
    "details.contact.title": {"nl": "Uw gegevens", "en": "Your details"},
    "details.contact.lead": {
        "nl": "We sturen de bevestiging en alle berichten over de afspraak naar u. Vul een "
        "telefoonnummer of een e-mailadres in, of allebei.",
        "en": "We send the confirmation and every message about the appointment to you. Enter "
        "a phone number or an email address, or both.",
    },
    "details.contact.name": {"nl": "Uw naam", "en": "Your name"},
    "details.contact.relation": {
        "nl": "Wat bent u van deze persoon?",
        "en": "How are you related to this person?",
    },
    "details.contact.relation.missing": {
        "nl": "Kies wat u van deze persoon bent.",
        "en": "Choose how you are related to this person.",
    },
    "details.contact.phone": {"nl": "Uw telefoonnummer", "en": "Your phone number"},
    "details.contact.email": {"nl": "Uw e-mailadres", "en": "Your email address"},
    "details.contact.missing": {
        "nl": "Vul uw telefoonnummer of e-mailadres in.",
        "en": "Enter your phone number or email address.",
    },
    "details.contact.name.missing": {"nl": "Vul uw naam in.", "en": "Enter your name."},
    "details.visited.name.missing": {
        "nl": "Vul de naam in van de persoon die we bezoeken.",
        "en": "Enter the name of the person we visit.",
    },
    "relation.choose": {"nl": "Kies", "en": "Choose"},
    "relation.partner": {"nl": "Partner", "en": "Partner"},
    "relation.child": {"nl": "Zoon of dochter", "en": "Son or daughter"},
    "relation.carer": {"nl": "Mantelzorger", "en": "Carer"},
    "relation.professional": {
        "nl": "Hulpverlener (bijvoorbeeld wijkverpleegkundige)",
        "en": "Professional (for example a district nurse)",
    },
    "relation.other": {"nl": "Iets anders", "en": "Something else"},
    # Messages in the data export
    "message.waiting_list_offer": {"nl": "Bericht: eerder moment vrij", "en": "Earlier time free"},
    "message.manage_link": {"nl": "Nieuwe link", "en": "New link"},
    # Look-up
    "start.have_booking_lookup": {
        "nl": "Link kwijt? Vraag een nieuwe link aan",
        "en": "Lost the link? Ask for a new one",
    },
    "lookup.title": {"nl": "Heeft u al een afspraak?", "en": "Already have an appointment?"},
    "lookup.lead": {
        "nl": "Bent u de link naar uw afspraak kwijt? Vul het afspraaknummer en het adres van het "
        "bezoek in. Als ze kloppen, sturen we een nieuwe link naar het e-mailadres of "
        "telefoonnummer dat bij ons bekend is.",
        "en": "Lost the link to your appointment? Enter the reference and the address of the "
        "visit. If they match, we send a new link to the email address or phone number we "
        "have.",
    },
    "lookup.reference": {"nl": "Afspraaknummer", "en": "Reference"},
    "lookup.reference_hint": {
        "nl": "Staat in uw bevestiging, bijvoorbeeld AH-7K2M-9QXC. Streepjes en hoofdletters "
        "mogen weg.",
        "en": "In your confirmation, for example AH-7K2M-9QXC. Dashes and capitals may be "
        "left out.",
    },
    "lookup.reference.missing": {
        "nl": "Vul het afspraaknummer in.",
        "en": "Enter the reference.",
    },
    "lookup.submit": {"nl": "Stuur mij een nieuwe link", "en": "Send me a new link"},
    "lookup.sent.title": {"nl": "Bekijk uw e-mail of telefoon", "en": "Check your email or phone"},
    "lookup.sent": {
        "nl": "Als de gegevens bij een afspraak horen, sturen we nu een nieuwe link. De oude link "
        "werkt dan niet meer. Niets ontvangen? Controleer het afspraaknummer, of bel ons.",
        "en": "If the details belong to an appointment, we are sending a new link now. The old "
        "link then stops working. Nothing received? Check the reference, or call us.",
    },
    "lookup.too_many.title": {"nl": "Even geduld", "en": "Please wait"},
    "lookup.too_many": {
        "nl": "U heeft dit te vaak geprobeerd. Probeer het later opnieuw, of bel ons.",
        "en": "You have tried this too often. Please try again later, or call us.",
    },
    "lookup.call": {
        "nl": "Liever bellen? Bel {phone}, dan zoeken we uw afspraak op.",
        "en": "Prefer to call? Phone {phone} and we will look up your appointment.",
    },
    # Waiting list (manage page)
    "waitlist.title": {"nl": "Liever eerder?", "en": "Sooner, if possible?"},
    "waitlist.text": {
        "nl": "Wilt u bericht als er een eerder moment vrijkomt? U krijgt dan hoogstens één "
        "bericht per dag, en hoogstens drie in totaal. Uw afspraak blijft staan tot u zelf een "
        "ander moment kiest.",
        "en": "Would you like a message when an earlier time frees up? You get at most one "
        "message a day, and at most three in all. Your appointment stays until you choose "
        "another time yourself.",
    },
    "waitlist.join": {"nl": "Ja, stuur mij bericht", "en": "Yes, let me know"},
    "waitlist.leave": {"nl": "Stop met deze berichten", "en": "Stop these messages"},
    "waitlist.on": {
        "nl": "U staat op de wachtlijst voor een eerder moment.",
        "en": "You are on the waiting list for an earlier time.",
    },
    "waitlist.see_earlier": {
        "nl": "Bekijk nu al eerdere tijden",
        "en": "See earlier times now",
    },
    "manage.notice.wachtlijst.title": {
        "nl": "U staat op de wachtlijst",
        "en": "You are on the waiting list",
    },
    "manage.notice.wachtlijst": {
        "nl": "We sturen u bericht als er een eerder moment vrijkomt.",
        "en": "We will let you know when an earlier time frees up.",
    },
    "manage.notice.geen-wachtlijst.title": {
        "nl": "U staat niet meer op de wachtlijst",
        "en": "You left the waiting list",
    },
    "manage.notice.geen-wachtlijst": {
        "nl": "U krijgt geen berichten meer over eerdere tijden.",
        "en": "You will get no more messages about earlier times.",
    },
    "earlier.title": {"nl": "Kies een eerder moment", "en": "Choose an earlier time"},
    "earlier.lead": {
        "nl": "Uw afspraak is nu op {when}. Deze tijden zijn eerder. Wie het eerst kiest, krijgt "
        "het: we houden een tijd niet voor u vast.",
        "en": "Your appointment is now on {when}. These times are earlier. First come, first "
        "served: we do not hold a time for you.",
    },
    "earlier.none.title": {"nl": "Nu geen eerder moment", "en": "No earlier time now"},
    "earlier.none": {
        "nl": "Er is op dit moment geen eerder moment vrij. Uw afspraak blijft staan.",
        "en": "There is no earlier time free at the moment. Your appointment stays.",
    },
    # Desk
    "planner.desk.find": {"nl": "Iemand zoeken", "en": "Find someone"},
    "planner.desk.find.lead": {
        "nl": "Zoek op één van: afspraaknummer, postcode met huisnummer, telefoonnummer of naam. "
        "Elke zoekvraag wordt vastgelegd.",
        "en": "Search by one of: reference, postcode with house number, phone number or name. "
        "Every search is recorded.",
    },
    "planner.desk.find.phone": {"nl": "Telefoonnummer", "en": "Phone number"},
    "planner.desk.find.name": {"nl": "Naam (of een deel)", "en": "Name (or part of it)"},
    "planner.desk.find.submit": {"nl": "Zoeken", "en": "Search"},
    "planner.desk.find.one": {
        "nl": "Vul één manier van zoeken in (postcode en huisnummer samen).",
        "en": "Fill in one way of searching (postcode and house number together).",
    },
    "planner.desk.find.results": {"nl": "Gevonden afspraken", "en": "Appointments found"},
    "planner.desk.find.none": {"nl": "Niets gevonden.", "en": "Nothing found."},
    "planner.desk.for": {"nl": "Belt de inwoner zelf?", "en": "Is the resident calling?"},
    "planner.desk.for.self": {"nl": "Ja, de inwoner zelf", "en": "Yes, the resident"},
    "planner.desk.for.other": {
        "nl": "Nee, iemand anders belt voor de inwoner",
        "en": "No, someone calls on the resident's behalf",
    },
    "planner.desk.contact": {"nl": "Contactpersoon (beller)", "en": "Contact person (caller)"},
    "planner.desk.later": {"nl": "Latere tijden", "en": "Later times"},
    "planner.col.needs": {"nl": "Let op", "en": "Please note"},
    "planner.kpi.waitlist.title": {"nl": "Wachtlijst", "en": "Waiting list"},
    "planner.kpi.waitlist.size": {
        "nl": "Wachten nu op een eerder moment",
        "en": "Waiting for an earlier time now",
    },
    "planner.kpi.waitlist.successes": {
        "nl": "Eerder geholpen in deze periode",
        "en": "Moved earlier in this period",
    },
}
