"""Texts of the citizen's privacy section on the manage page: who looked, and their choices
(merged into :data:`api.web.messages.MESSAGES`)."""

from __future__ import annotations

AUDIT_MESSAGES: dict[str, dict[str, str]] = {
    "privacy.title": {"nl": "Wie ziet uw gegevens?", "en": "Who sees your data?"},
    "privacy.choices": {
        "nl": "Wat mag de medewerker vóór het bezoek zien? Uw naam en adres ziet de medewerker "
        "altijd, vanaf de werkdag voor het bezoek.",
        "en": "What may the expert see before the visit? The expert always sees your name and "
        "address, from the working day before the visit.",
    },
    "privacy.share_phone": {
        "nl": "De medewerker mag mijn telefoonnummer zien",
        "en": "The expert may see my phone number",
    },
    "privacy.share_notes": {
        "nl": "De medewerker mag mijn opmerkingen lezen",
        "en": "The expert may read my notes",
    },
    "privacy.same_expert": {
        "nl": "Een vervolgafspraak liefst met dezelfde medewerker",
        "en": "A follow-up visit preferably with the same expert",
    },
    "privacy.save": {"nl": "Keuzes opslaan", "en": "Save choices"},
    "privacy.saved": {"nl": "Uw keuzes zijn opgeslagen.", "en": "Your choices were saved."},
    "privacy.other_expert": {
        "nl": "Liever een andere medewerker",
        "en": "I would rather have another expert",
    },
    "privacy.other_expert.done": {
        "nl": "U heeft om een andere medewerker gevraagd. Die medewerker komt niet meer bij u.",
        "en": "You asked for another expert. That expert will not come to you again.",
    },
    "privacy.other_expert.title": {
        "nl": "Een andere medewerker vragen",
        "en": "Ask for another expert",
    },
    "privacy.other_expert.lead": {
        "nl": "De medewerker die nu bij u komt, komt niet meer voor deze afspraak. De tijd blijft "
        "hetzelfde. U hoeft niet te zeggen waarom.",
        "en": "The expert who would come will no longer come for this appointment. The time stays "
        "the same. You do not have to say why.",
    },
    "privacy.other_expert.yes": {
        "nl": "Ja, vraag een andere medewerker",
        "en": "Yes, ask for another expert",
    },
    "manage.notice.keuzes.title": {"nl": "Opgeslagen", "en": "Saved"},
    "manage.notice.keuzes": {"nl": "Uw keuzes zijn opgeslagen.", "en": "Your choices were saved."},
    "manage.notice.andere-medewerker.title": {
        "nl": "Andere medewerker gevraagd",
        "en": "Another expert asked for",
    },
    "manage.notice.andere-medewerker": {
        "nl": "Die medewerker komt niet meer bij u. Uw afspraak blijft op dezelfde tijd.",
        "en": "That expert will not come to you again. Your appointment keeps its time.",
    },
    "privacy.log": {"nl": "Wie heeft uw gegevens bekeken?", "en": "Who looked at your data?"},
    "privacy.log.none": {
        "nl": "Nog niemand van de gemeente heeft uw gegevens bekeken.",
        "en": "Nobody at the municipality has looked at your data yet.",
    },
    "privacy.log.when": {"nl": "Wanneer", "en": "When"},
    "privacy.log.who": {"nl": "Wie", "en": "Who"},
    "privacy.log.why": {"nl": "Waarom", "en": "Why"},
    "tokens.title": {"nl": "Toegangscodes", "en": "Access tokens"},
    "tokens.lead": {
        "nl": "Toegangscodes zijn voor koppelingen en voor wie niet met het organisatie-account "
        "inlogt. Een code werkt tot de einddatum, of tot u hem intrekt.",
        "en": "Access tokens are for integrations and for staff who do not sign in with their "
        "organisation account. A token works until its end date, or until you revoke it.",
    },
    "tokens.users": {"nl": "Gebruikers", "en": "Users"},
    "tokens.name": {"nl": "Naam", "en": "Name"},
    "tokens.role": {"nl": "Rol", "en": "Role"},
    "tokens.municipality": {"nl": "Gemeente", "en": "Municipality"},
    "tokens.expert": {
        "nl": "Nummer van de medewerker (alleen voor de rol expert)",
        "en": "The expert's number (only for the expert role)",
    },
    "tokens.days": {"nl": "Geldig (dagen)", "en": "Valid (days)"},
    "tokens.expires": {"nl": "Geldig tot", "en": "Valid until"},
    "tokens.state": {"nl": "Status", "en": "State"},
    "tokens.revoke": {"nl": "Intrekken", "en": "Revoke"},
    "tokens.revoked": {"nl": "Ingetrokken", "en": "Revoked"},
    "tokens.new": {"nl": "Nieuwe toegangscode", "en": "New access token"},
    "tokens.issue": {"nl": "Code maken", "en": "Issue token"},
    "tokens.issued": {"nl": "De code is gemaakt", "en": "The token was issued"},
    "tokens.issued_text": {
        "nl": "Kopieer de code nu. U ziet hem maar één keer.",
        "en": "Copy the token now. It is shown only once.",
    },
    "tokens.name.missing": {"nl": "Vul een naam in.", "en": "Enter a name."},
    "tokens.days.invalid": {
        "nl": "Vul een aantal dagen in van 1 tot en met 366.",
        "en": "Enter a number of days from 1 to 366.",
    },
    "tokens.role.missing": {"nl": "Kies een rol.", "en": "Choose a role."},
    "tokens.revoke_title": {"nl": "Toegang intrekken", "en": "Revoke access"},
    "tokens.revoke_lead": {
        "nl": "De code werkt daarna niet meer en de gebruiker wordt overal uitgelogd.",
        "en": "The token stops working and the user is signed out everywhere.",
    },
    "tokens.revoke_yes": {"nl": "Ja, trek de toegang in", "en": "Yes, revoke access"},
}
