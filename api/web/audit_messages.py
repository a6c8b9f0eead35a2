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
}
