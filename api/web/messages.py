"""The message catalogue of the web pages: ``key → {"nl": …, "en": …}``.

Plain language (B1), short sentences, "u" in Dutch. Placeholders are ``{name}`` (str.format).
A test checks that every key has both languages with the same placeholders and that every key
used in a template or page module exists here. Keys are grouped by page; shared ones first.
"""

from __future__ import annotations

from api.web.audit_messages import AUDIT_MESSAGES
from api.web.carers_messages import CARERS_MESSAGES
from api.web.dayplans_messages import DAYPLANS_MESSAGES
from api.web.expert_messages import EXPERT_MESSAGES
from api.web.planner_messages import PLANNER_MESSAGES
from api.web.proposal_messages import PROPOSAL_MESSAGES
from api.web.rota_messages import ROTA_MESSAGES

MESSAGES: dict[str, dict[str, str]] = {
    # Layout
    "layout.product": {"nl": "Afspraak aan huis", "en": "Appointment at home"},
    "layout.skip": {"nl": "Direct naar de inhoud", "en": "Skip to main content"},
    "layout.language_nav": {"nl": "Taal", "en": "Language"},
    "layout.switch.en": {"nl": "English", "en": "English"},
    "layout.switch.nl": {"nl": "Nederlands", "en": "Nederlands"},
    "layout.footer.questions": {"nl": "Vragen?", "en": "Questions?"},
    "layout.footer.call": {"nl": "Bel ons:", "en": "Call us:"},
    "layout.footer.mail": {"nl": "Mail ons:", "en": "Email us:"},
    "layout.footer.website": {"nl": "Naar de website van {name}", "en": "Go to the {name} website"},
    "layout.footer.product": {
        "nl": "Huisbezoeken van uw gemeente, op een moment dat u past.",
        "en": "Home visits by your municipality, at a time that suits you.",
    },
    # Navigation
    "nav.back_services": {"nl": "Terug naar de diensten", "en": "Back to the services"},
    "nav.back_address": {"nl": "Ander adres opgeven", "en": "Enter another address"},
    "nav.back_booking": {"nl": "Terug naar uw afspraak", "en": "Back to your appointment"},
    "step.of": {"nl": "Stap {step} van {total}", "en": "Step {step} of {total}"},
    # Forms
    "form.optional": {"nl": "niet verplicht", "en": "optional"},
    "form.error_summary": {"nl": "Er is iets niet goed ingevuld", "en": "There is a problem"},
    "form.error_prefix": {"nl": "Fout: ", "en": "Error: "},
    "form.error_title_prefix": {"nl": "Fout: ", "en": "Error: "},
    "error.one_line": {
        "nl": "Gebruik hier één regel tekst, zonder regeleinden of tabs.",
        "en": "Use one line of text here, without line breaks or tabs.",
    },
    "error.too_long": {
        "nl": "Gebruik hier niet meer dan {max} tekens.",
        "en": "Use no more than {max} characters here.",
    },
    "error.postcode.missing": {"nl": "Vul uw postcode in.", "en": "Enter your postcode."},
    "error.postcode.invalid": {
        "nl": "Vul een postcode in met 4 cijfers en 2 letters, zoals 3511 AB.",
        "en": "Enter a postcode of 4 digits and 2 letters, like 3511 AB.",
    },
    "error.house_number.missing": {
        "nl": "Vul uw huisnummer in.",
        "en": "Enter your house number.",
    },
    "error.house_number.invalid": {
        "nl": "Vul alleen het nummer in, zoals 12. Een letter of toevoeging kan in het veld "
        "eronder.",
        "en": "Enter the number only, like 12. A letter or addition goes in the field below.",
    },
    "error.addition.invalid": {
        "nl": "Gebruik voor de toevoeging alleen letters en cijfers, zoals A of 2.",
        "en": "Use only letters and digits for the addition, like A or 2.",
    },
    "error.address.unknown": {
        "nl": "We kunnen dit adres niet vinden. Controleer de postcode en het huisnummer.",
        "en": "We cannot find this address. Check the postcode and house number.",
    },
    "error.address.outside.title": {
        "nl": "Dit adres ligt buiten de gemeente",
        "en": "This address is outside the municipality",
    },
    "error.address.outside": {
        "nl": "{name} komt alleen langs bij adressen in de gemeente. Woont u ergens anders? "
        "Neem dan contact op met uw eigen gemeente.",
        "en": "{name} only visits addresses in the municipality. Do you live elsewhere? "
        "Please contact your own municipality.",
    },
    "error.window.missing": {"nl": "Kies een tijd.", "en": "Choose a time."},
    "error.name.missing": {"nl": "Vul uw naam in.", "en": "Enter your name."},
    "error.phone.invalid": {
        "nl": "Vul een telefoonnummer in van 10 cijfers, zoals 06 12345678.",
        "en": "Enter a phone number of 10 digits, like 06 12345678.",
    },
    "error.email.invalid": {
        "nl": "Vul een e-mailadres in zoals naam@voorbeeld.nl.",
        "en": "Enter an email address like name@example.com.",
    },
    "error.contact.missing": {
        "nl": "Vul een telefoonnummer of een e-mailadres in, zodat we u kunnen bereiken.",
        "en": "Enter a phone number or an email address, so we can reach you.",
    },
    # Error pages
    "error.page.start": {
        "nl": "Naar de startpagina van {name}",
        "en": "Go to the {name} start page",
    },
    "error.page.home": {"nl": "Naar de startpagina", "en": "Go to the start page"},
    "error.page.not_found.title": {"nl": "Niet gevonden", "en": "Not found"},
    "error.page.not_found": {
        "nl": "Controleer het adres van de pagina, of begin opnieuw.",
        "en": "Check the address of the page, or start again.",
    },
    "error.page.link.title": {"nl": "Deze link werkt niet", "en": "This link does not work"},
    "error.page.link": {
        "nl": "Gebruik de link uit uw bevestiging. Kopieer de hele link, ook het deel na het "
        "vraagteken.",
        "en": "Use the link from your confirmation. Copy the whole link, including the part after "
        "the question mark.",
    },
    "error.page.expired.title": {"nl": "Deze tijd is verlopen", "en": "This time has expired"},
    "error.page.expired": {
        "nl": "Zoek opnieuw naar tijden.",
        "en": "Please look for times again.",
    },
    "error.page.taken.title": {
        "nl": "Deze tijd is niet meer vrij",
        "en": "This time is no longer available",
    },
    "error.page.taken": {"nl": "Kies een andere tijd.", "en": "Please choose another time."},
    "error.page.conflict.title": {
        "nl": "Dit kan nu niet meer",
        "en": "This is no longer possible",
    },
    "error.page.conflict": {
        "nl": "Neem contact met ons op als u hulp nodig heeft.",
        "en": "Please contact us if you need help.",
    },
    "error.page.busy.title": {"nl": "Even geduld", "en": "Please wait"},
    "error.page.busy": {
        "nl": "Er kwamen te veel verzoeken van uw adres. Probeer het over een tijdje opnieuw.",
        "en": "Too many requests came from your address. Please try again in a while.",
    },
    "error.page.generic.title": {"nl": "Dit lukt niet", "en": "This did not work"},
    "error.page.generic": {
        "nl": "Probeer het opnieuw, of neem contact met ons op.",
        "en": "Please try again, or contact us.",
    },
    "error.page.csrf.title": {
        "nl": "Uw formulier is verlopen",
        "en": "Your form has expired",
    },
    "error.page.csrf": {
        "nl": "Voor uw veiligheid konden we dit formulier niet verwerken. Ga terug, laad de "
        "pagina opnieuw en probeer het nog eens. Sta cookies van deze website toe.",
        "en": "For your safety we could not process this form. Go back, reload the page and try "
        "again. Please allow cookies from this website.",
    },
    # Home
    "home.title": {"nl": "Afspraak aan huis", "en": "Appointment at home"},
    "home.lead": {
        "nl": "Kunt u niet naar het gemeentehuis komen? Dan komt een medewerker van de gemeente "
        "bij u thuis.",
        "en": "Can you not come to the town hall? Then someone from the municipality visits you "
        "at home.",
    },
    "home.choose": {"nl": "Kies uw gemeente", "en": "Choose your municipality"},
    "home.none": {
        "nl": "Er zijn nog geen gemeenten aangesloten.",
        "en": "No municipalities have joined yet.",
    },
    # Start
    "start.title": {"nl": "Afspraak aan huis maken", "en": "Book a visit at home"},
    "start.lead": {
        "nl": "Een medewerker van {name} komt bij u thuis. U kiest zelf een tijd, ook 's avonds "
        "of op zaterdag als dat kan.",
        "en": "Someone from {name} visits you at home. You choose the time, also in the evening "
        "or on Saturday where possible.",
    },
    "start.choose": {"nl": "Waarvoor wilt u een afspraak?", "en": "What is the visit for?"},
    "start.duration": {
        "nl": "Duurt ongeveer {minutes} minuten.",
        "en": "Takes about {minutes} minutes.",
    },
    "start.none": {
        "nl": "Er zijn op dit moment geen diensten aan huis.",
        "en": "There are no home services at the moment.",
    },
    "start.have_booking": {"nl": "Heeft u al een afspraak?", "en": "Already have an appointment?"},
    "start.have_booking_text": {
        "nl": "Gebruik de link in uw bevestiging om uw afspraak te bekijken, te verzetten of af "
        "te zeggen.",
        "en": "Use the link in your confirmation to view, move or cancel your appointment.",
    },
    # Address
    "address.title": {"nl": "Waar komen we langs?", "en": "Where should we visit?"},
    "address.lead": {"nl": "U maakt een afspraak voor: {service}.", "en": "Your visit: {service}."},
    "address.postcode": {"nl": "Postcode", "en": "Postcode"},
    "address.postcode_hint": {"nl": "Bijvoorbeeld 3511 AB", "en": "For example 3511 AB"},
    "address.house_number": {"nl": "Huisnummer", "en": "House number"},
    "address.addition": {"nl": "Toevoeging", "en": "Addition"},
    "address.addition_hint": {
        "nl": "Bijvoorbeeld A of 2 hoog",
        "en": "For example A or 2",
    },
    "address.submit": {"nl": "Tijden zoeken", "en": "Find times"},
    "address.call_us": {
        "nl": "Bel ons gerust op {phone}, dan zoeken we samen een oplossing.",
        "en": "Feel free to call us on {phone}; we will find a solution together.",
    },
    # Windows
    "windows.title": {"nl": "Kies een tijd", "en": "Choose a time"},
    "windows.lead": {"nl": "{service} op {address}.", "en": "{service} at {address}."},
    "windows.explain": {
        "nl": "De medewerker komt aan binnen de tijd die u kiest en blijft ongeveer {minutes} "
        "minuten. U kunt {hold} minuten lang uit deze tijden kiezen. We zetten niets voor u "
        "vast: als u de afspraak maakt, kijken we opnieuw of de tijd nog vrij is.",
        "en": "Our expert arrives within the time you choose and stays about {minutes} minutes. "
        "You can choose from these times for {hold} minutes. Nothing is reserved for you: when "
        "you book, we check again that the time is still free.",
    },
    "windows.submit": {"nl": "Verder", "en": "Continue"},
    "windows.later": {"nl": "Latere tijden tonen", "en": "Show later times"},
    "windows.first": {"nl": "Eerste tijden tonen", "en": "Show the first times"},
    "windows.none.title": {"nl": "Geen tijden gevonden", "en": "No times found"},
    "windows.none.text": {
        "nl": "Er is in deze periode geen tijd vrij voor een bezoek op dit adres.",
        "en": "There is no time free for a visit at this address in this period.",
    },
    "part.morning": {"nl": "Ochtend", "en": "Morning"},
    "part.afternoon": {"nl": "Middag", "en": "Afternoon"},
    "part.evening": {"nl": "Avond", "en": "Evening"},
    "when.window": {"nl": "{window} uur", "en": "{window}"},
    # Details
    "details.title": {"nl": "Uw gegevens", "en": "Your details"},
    "details.your_visit": {"nl": "Uw afspraak", "en": "Your appointment"},
    "details.choose_again": {"nl": "Kies een nieuwe tijd", "en": "Choose a new time"},
    "details.contact": {"nl": "Hoe kunnen we u bereiken?", "en": "How can we reach you?"},
    "details.contact_lead": {
        "nl": "Vul een telefoonnummer of een e-mailadres in, of allebei.",
        "en": "Enter a phone number or an email address, or both.",
    },
    "details.name": {"nl": "Naam", "en": "Name"},
    "details.phone": {"nl": "Telefoonnummer", "en": "Phone number"},
    "details.phone_hint": {
        "nl": "We bellen alleen als er iets verandert.",
        "en": "We only call if something changes.",
    },
    "details.email": {"nl": "E-mailadres", "en": "Email address"},
    "details.email_hint": {
        "nl": "U krijgt een bevestiging met een agenda-uitnodiging.",
        "en": "You will get a confirmation with a calendar invitation.",
    },
    "details.notes": {"nl": "Wat moet de medewerker weten?", "en": "What should our expert know?"},
    "details.notes_hint": {
        "nl": "Bijvoorbeeld: bel twee keer aan, of de bel doet het niet.",
        "en": "For example: ring twice, or the doorbell does not work.",
    },
    "details.privacy": {
        "nl": "We gebruiken uw gegevens alleen voor deze afspraak. U kunt ze altijd bekijken en "
        "laten wissen.",
        "en": "We use your details only for this appointment. You can always see them and have "
        "them erased.",
    },
    "details.submit": {"nl": "Afspraak maken", "en": "Book the appointment"},
    "details.other_time": {"nl": "Andere tijd kiezen", "en": "Choose another time"},
    "notice.taken.title": {
        "nl": "Deze tijd is net door iemand anders gekozen",
        "en": "Someone else just took this time",
    },
    "notice.taken": {
        "nl": "Kies hieronder een andere tijd. Uw gegevens zijn bewaard.",
        "en": "Please choose another time below. Your details have been kept.",
    },
    "notice.expired.title": {
        "nl": "De tijden zijn verlopen",
        "en": "The times have expired",
    },
    "notice.expired": {
        "nl": "U kunt maar even uit getoonde tijden kiezen. Kies hieronder opnieuw een tijd.",
        "en": "Times shown can be chosen for a short while only. Please choose again below.",
    },
    # Labels
    "label.reference": {"nl": "Afspraaknummer", "en": "Reference"},
    "label.status": {"nl": "Status", "en": "Status"},
    "label.service": {"nl": "Dienst", "en": "Service"},
    "label.when": {"nl": "Aankomst tussen", "en": "Arrival between"},
    "label.address": {"nl": "Adres", "en": "Address"},
    "label.name": {"nl": "Naam", "en": "Name"},
    "label.phone": {"nl": "Telefoon", "en": "Phone"},
    "label.email": {"nl": "E-mail", "en": "Email"},
    "label.notes": {"nl": "Opmerkingen", "en": "Notes"},
    "label.language": {"nl": "Taal", "en": "Language"},
    "label.from": {"nl": "Tijd vanaf", "en": "Window from"},
    "label.until": {"nl": "Tijd tot", "en": "Window until"},
    "label.booked_at": {"nl": "Geboekt op", "en": "Booked on"},
    "label.was": {"nl": "Was", "en": "Was"},
    "label.becomes": {"nl": "Wordt", "en": "Becomes"},
    "language.nl": {"nl": "Nederlands", "en": "Dutch"},
    "language.en": {"nl": "Engels", "en": "English"},
    # Statuses (of visits and of their history)
    "status.booked": {"nl": "Geboekt", "en": "Booked"},
    "status.planned": {"nl": "Ingepland", "en": "Planned"},
    "status.on_the_way": {"nl": "Medewerker is onderweg", "en": "On the way"},
    "status.arrived": {"nl": "Medewerker is er", "en": "Arrived"},
    "status.completed": {"nl": "Afgerond", "en": "Completed"},
    "status.not_home": {"nl": "Niet thuis getroffen", "en": "Not at home"},
    "status.cancelled": {"nl": "Geannuleerd", "en": "Cancelled"},
    "status.rescheduled": {"nl": "Verzet", "en": "Moved"},
    "status.erased": {"nl": "Gegevens gewist", "en": "Data erased"},
    "message.confirmation": {"nl": "Bevestiging", "en": "Confirmation"},
    "message.reschedule": {"nl": "Wijziging", "en": "Change"},
    "message.cancellation": {"nl": "Annulering", "en": "Cancellation"},
    "message.reminder": {"nl": "Herinnering", "en": "Reminder"},
    "message.disruption": {"nl": "Bericht over een verstoring", "en": "Disruption notice"},
    "demo.messages.title": {"nl": "Verstuurde berichten (demo)", "en": "Messages sent (demo)"},
    "demo.messages.lead": {
        "nl": "Alleen in de demo: zo krijgen inwoners hun berichten. Er gaat niets echt weg.",
        "en": "Demo only: the messages residents get. Nothing really leaves this machine.",
    },
    "demo.messages.none": {"nl": "Nog geen berichten.", "en": "No messages yet."},
    "demo.messages.subject": {"nl": "Onderwerp", "en": "Subject"},
    "demo.messages.sent": {"nl": "Verstuurd", "en": "Sent"},
    "demo.messages.waiting": {"nl": "Wacht nog", "en": "Waiting"},
    "demo.messages.status": {"nl": "Status", "en": "Status"},
    "demo.channel.sms": {"nl": "Sms", "en": "Text messages"},
    "demo.channel.email": {"nl": "E-mail", "en": "E-mail"},
    "demo.channel.letter": {"nl": "Brieven", "en": "Letters"},
    "demo.channel.call": {"nl": "Bellen", "en": "Phone calls"},
    "live.on_the_way": {
        "nl": "De medewerker is onderweg. Verwacht tussen {start} en {end} uur.",
        "en": "The expert is on the way. Expected between {start} and {end}.",
    },
    "live.late": {
        "nl": "De medewerker is later dan beloofd. Verwacht tussen {start} en {end} uur.",
        "en": "The expert is running late. Expected between {start} and {end}.",
    },
    "label.live": {"nl": "Nu", "en": "Now"},
    "message.on_the_way": {"nl": "Medewerker onderweg", "en": "Expert on the way"},
    "message.late": {"nl": "Medewerker is later", "en": "Expert running late"},
    # Confirmation
    "confirmed.title": {"nl": "Uw afspraak is gemaakt", "en": "Your appointment is booked"},
    "confirmed.reference": {"nl": "Uw afspraaknummer is", "en": "Your reference is"},
    "confirmed.arrival": {
        "nl": "De medewerker komt aan op {when}.",
        "en": "Our expert arrives on {when}.",
    },
    "confirmed.mail_sent": {
        "nl": "We sturen u ook een bevestiging per e-mail.",
        "en": "We also send you a confirmation by email.",
    },
    "confirmed.details": {"nl": "Uw afspraak", "en": "Your appointment"},
    "confirmed.prepare": {"nl": "Houd dit klaar", "en": "Please have this ready"},
    "confirmed.calendar": {"nl": "In uw agenda zetten", "en": "Add to your calendar"},
    "confirmed.calendar_text": {
        "nl": "Download de afspraak en open het bestand. Het werkt met Outlook, Google Agenda "
        "en de agenda van Apple.",
        "en": "Download the appointment and open the file. It works with Outlook, Google "
        "Calendar and Apple Calendar.",
    },
    "confirmed.manage": {"nl": "Bewaar deze link", "en": "Keep this link"},
    "confirmed.manage_text": {
        "nl": "Met deze link kunt u uw afspraak bekijken, verzetten of afzeggen. Deel hem niet "
        "met anderen.",
        "en": "With this link you can view, move or cancel your appointment. Do not share it.",
    },
    # Manage
    "manage.title": {"nl": "Uw afspraak", "en": "Your appointment"},
    "manage.change": {"nl": "Verzetten of afzeggen", "en": "Move or cancel"},
    "manage.change_text": {
        "nl": "Komt het moment toch niet goed uit? Kies een andere tijd of zeg de afspraak af.",
        "en": "Does the time not suit you after all? Choose another time or cancel.",
    },
    "manage.reschedule": {"nl": "Andere tijd kiezen", "en": "Choose another time"},
    "manage.cancel": {"nl": "Afspraak afzeggen", "en": "Cancel the appointment"},
    "manage.calendar": {"nl": "Agenda", "en": "Calendar"},
    "manage.invite": {"nl": "Zet in mijn agenda (.ics)", "en": "Add to my calendar (.ics)"},
    "manage.book_again": {"nl": "Nieuwe afspraak maken", "en": "Book a new appointment"},
    "manage.data": {"nl": "Uw gegevens", "en": "Your data"},
    "manage.data_text": {
        "nl": "U kunt zien welke gegevens we van u hebben, en ze laten wissen.",
        "en": "You can see which data we hold about you, and have it erased.",
    },
    "manage.data_see": {"nl": "Mijn gegevens bekijken", "en": "See my data"},
    "manage.data_erase": {"nl": "Mijn gegevens wissen", "en": "Erase my data"},
    "manage.data_erased": {
        "nl": "Uw persoonsgegevens zijn gewist.",
        "en": "Your personal data has been erased.",
    },
    "manage.notice.verzet.title": {"nl": "Uw afspraak is verzet", "en": "Your appointment moved"},
    "manage.notice.verzet": {
        "nl": "Hieronder ziet u de nieuwe tijd.",
        "en": "You can see the new time below.",
    },
    "manage.notice.geannuleerd.title": {
        "nl": "Uw afspraak is afgezegd",
        "en": "Your appointment is cancelled",
    },
    "manage.notice.geannuleerd": {
        "nl": "Er komt niemand langs. U kunt altijd een nieuwe afspraak maken.",
        "en": "Nobody will visit. You can always book a new appointment.",
    },
    "manage.notice.gewist.title": {"nl": "Uw gegevens zijn gewist", "en": "Your data is erased"},
    "manage.notice.gewist": {
        "nl": "We bewaren alleen nog gegevens zonder naam of adres, voor de planning en "
        "statistiek.",
        "en": "We only keep data without name or address, for planning and statistics.",
    },
    # Reschedule
    "reschedule.title": {"nl": "Kies een nieuwe tijd", "en": "Choose a new time"},
    "reschedule.lead": {
        "nl": "Uw afspraak staat nu op {when}.",
        "en": "Your appointment is now on {when}.",
    },
    "reschedule.confirm.title": {
        "nl": "Wilt u de afspraak verzetten?",
        "en": "Do you want to move the appointment?",
    },
    "reschedule.confirm.lead": {
        "nl": "Controleer de nieuwe tijd. Pas als u op de knop drukt, is de afspraak verzet.",
        "en": "Check the new time. The appointment moves only when you press the button.",
    },
    "reschedule.confirm.yes": {"nl": "Ja, verzet de afspraak", "en": "Yes, move the appointment"},
    # Cancel
    "cancel.title": {
        "nl": "Wilt u de afspraak afzeggen?",
        "en": "Do you want to cancel the appointment?",
    },
    "cancel.lead": {
        "nl": "Er komt dan niemand langs. Pas als u op de knop drukt, is de afspraak afgezegd.",
        "en": "Nobody will visit then. The appointment is cancelled only when you press the "
        "button.",
    },
    "cancel.yes": {"nl": "Ja, zeg de afspraak af", "en": "Yes, cancel the appointment"},
    "confirm.no": {"nl": "Nee, terug", "en": "No, go back"},
    # Personal data
    "data.title": {"nl": "Uw gegevens", "en": "Your data"},
    "data.lead": {
        "nl": "Dit is alles wat we voor deze afspraak van u hebben opgeslagen.",
        "en": "This is everything we stored about you for this appointment.",
    },
    "data.you": {"nl": "Over u", "en": "About you"},
    "data.visit": {"nl": "Over de afspraak", "en": "About the appointment"},
    "data.history": {"nl": "Wat er met de afspraak is gebeurd", "en": "What happened"},
    "data.history_line": {"nl": "{status}: {at}", "en": "{status}: {at}"},
    "data.messages": {"nl": "Berichten aan u", "en": "Messages to you"},
    "data.message_line": {"nl": "{kind}: {at}", "en": "{kind}: {at}"},
    "data.retention": {
        "nl": "We wissen uw gegevens automatisch {days} dagen na de afspraak.",
        "en": "We erase your data automatically {days} days after the appointment.",
    },
    "data.download": {"nl": "Download als bestand (JSON)", "en": "Download as a file (JSON)"},
    "erase.title": {
        "nl": "Wilt u uw gegevens wissen?",
        "en": "Do you want to erase your data?",
    },
    "erase.lead": {
        "nl": "We wissen uw naam, telefoonnummer, e-mailadres, adres en opmerkingen. Dit kan "
        "niet ongedaan worden gemaakt.",
        "en": "We erase your name, phone number, email address, address and notes. This cannot "
        "be undone.",
    },
    "erase.cancels.title": {
        "nl": "Uw afspraak wordt dan ook afgezegd",
        "en": "Your appointment will be cancelled too",
    },
    "erase.cancels": {
        "nl": "Zonder adres kunnen we niet langskomen.",
        "en": "Without an address we cannot visit you.",
    },
    "erase.yes": {"nl": "Ja, wis mijn gegevens", "en": "Yes, erase my data"},
}

# The sign-in page and the expert's route app keep their texts in their own module.
MESSAGES.update(EXPERT_MESSAGES)
# The planner's pages keep their texts in their own module too.
MESSAGES.update(PLANNER_MESSAGES)
# Booking for someone else, needs, the look-up, the waiting list and the desk's search.
MESSAGES.update(CARERS_MESSAGES)
# Optimising a day (modes, jobs, the explained proposal) and the route app's wait and not-home.
MESSAGES.update(PROPOSAL_MESSAGES)
# Day plans: continuity of care on the day view.
MESSAGES.update(DAYPLANS_MESSAGES)
# The citizen's privacy section: who looked, what the expert may see, another expert.
MESSAGES.update(AUDIT_MESSAGES)
# Forecast and rota proposals.
MESSAGES.update(ROTA_MESSAGES)
