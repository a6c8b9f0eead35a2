"""Letters: an A4 PDF for the citizens no phone or e-mail reaches.

Made with **fpdf2** (pure Python, maintained, no system libraries; its core fonts write the
Dutch accents of Latin-1, and it lays text out in millimetres, which is how Notify states its
printable area). The layout follows Notify's rules for precompiled letters: A4 portrait, the
address inside the window of a DL envelope (24.6 mm from the left, 39.5 mm from the top, at most
95.5 × 26.8 mm), everything else at least 15 mm from the sides and 5 mm from top and bottom, and
at most 10 pages.

A letter is stored in the outbox as JSON (:func:`letter_json`, sealed when it carries a link) and
drawn when it is sent or printed (:func:`letter_pdf`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from fpdf import FPDF

from scheduler.notify.templates import Kind, Language, MessageFacts, window_text

#: Notify's limits for a precompiled letter.
MAX_PAGES = 10
MAX_BYTES = 2 * 1024 * 1024
#: The address window (mm from the page's top-left corner) and the margins around the rest.
ADDRESS_LEFT, ADDRESS_TOP, ADDRESS_WIDTH, ADDRESS_HEIGHT = 24.6, 39.5, 95.5, 26.8
SIDE_MARGIN = 20.0
BODY_TOP = 80.0
BOTTOM_MARGIN = 20.0


@dataclass(frozen=True)
class Letter:
    """What a letter says: the address block, the sender, a subject line and paragraphs."""

    address: tuple[str, ...]
    sender: str
    date_line: str
    subject: str
    paragraphs: tuple[str, ...]


_TEXT: dict[Language, dict[str, str]] = {
    "nl": {
        "confirmation": "Bevestiging van uw huisbezoek",
        "reschedule": "Uw huisbezoek is verplaatst",
        "cancellation": "Uw huisbezoek is geannuleerd",
        "intro_confirmation": "Uw afspraak voor een huisbezoek ({service}) is bevestigd.",
        "intro_reschedule": "Uw afspraak voor een huisbezoek ({service}) is verplaatst.",
        "intro_cancellation": (
            "Uw afspraak voor een huisbezoek ({service}) is geannuleerd. Er komt niemand langs."
        ),
        "when": "Wanneer: {window}.",
        "when_was": "Het bezoek was gepland op: {window}.",
        "for": "Het bezoek is voor {name}.",
        "address": "Adres: {address}.",
        "prepare": "Wat u klaar kunt leggen: {text}",
        "phone": (
            "Wilt u de afspraak verplaatsen of annuleren? Bel ons op {phone} en noem uw "
            "referentie {reference}."
        ),
        "no_phone": (
            "Wilt u de afspraak verplaatsen of annuleren? Mail ons op {email} en noem uw "
            "referentie {reference}."
        ),
        "rebook": "Wilt u toch een huisbezoek? Bel ons op {phone}.",
        "link": "Of ga naar {url} (typ de letters en cijfers over).",
        "reference": "Referentie: {reference}",
        "greeting": "Beste {name},",
        "greeting_anonymous": "Beste inwoner,",
        "regards": "Met vriendelijke groet,",
    },
    "en": {
        "confirmation": "Confirmation of your home visit",
        "reschedule": "Your home visit has moved",
        "cancellation": "Your home visit is cancelled",
        "intro_confirmation": "Your appointment for a home visit ({service}) is confirmed.",
        "intro_reschedule": "Your appointment for a home visit ({service}) has moved.",
        "intro_cancellation": (
            "Your appointment for a home visit ({service}) is cancelled. Nobody will visit."
        ),
        "when": "When: {window}.",
        "when_was": "The visit was planned for: {window}.",
        "for": "The visit is for {name}.",
        "address": "Address: {address}.",
        "prepare": "Please have ready: {text}",
        "phone": (
            "To reschedule or cancel, call us on {phone} and mention your reference {reference}."
        ),
        "no_phone": (
            "To reschedule or cancel, e-mail us at {email} and mention your reference {reference}."
        ),
        "rebook": "Would you still like a home visit? Call us on {phone}.",
        "link": "Or go to {url} (type the letters and digits).",
        "reference": "Reference: {reference}",
        "greeting": "Dear {name},",
        "greeting_anonymous": "Dear resident,",
        "regards": "Kind regards,",
    },
}


def compose_letter(
    kind: Kind,
    facts: MessageFacts,
    address: tuple[str, ...],
    language: Language,
    *,
    date_line: str,
) -> Letter:
    """The letter of ``kind`` (a confirmation, change or cancellation) to ``address``."""
    if kind not in ("confirmation", "reschedule", "cancellation"):
        raise ValueError(f"there is no letter for {kind!r}")
    t = _TEXT[language]
    window = window_text(facts, language)
    paragraphs = [
        t["greeting"].format(name=facts.citizen_name)
        if facts.citizen_name
        else t["greeting_anonymous"],
        t[f"intro_{kind}"].format(service=facts.service),
        t["when_was" if kind == "cancellation" else "when"].format(window=window),
    ]
    if facts.on_behalf_of:
        paragraphs.append(t["for"].format(name=facts.on_behalf_of))
    if facts.address:
        paragraphs.append(t["address"].format(address=facts.address))
    paragraphs.append(t["reference"].format(reference=facts.reference))
    if kind == "cancellation":
        if facts.municipality_phone:
            paragraphs.append(t["rebook"].format(phone=facts.municipality_phone))
    else:
        if facts.preparation:
            paragraphs.append(t["prepare"].format(text=facts.preparation))
        if facts.municipality_phone:
            paragraphs.append(
                t["phone"].format(phone=facts.municipality_phone, reference=facts.reference)
            )
        else:
            paragraphs.append(
                t["no_phone"].format(email=facts.municipality_email, reference=facts.reference)
            )
        if facts.short_url:
            paragraphs.append(t["link"].format(url=facts.short_url))
    paragraphs.append(f"{t['regards']}\n{facts.municipality}")
    return Letter(
        address=tuple(line for line in address if line),
        sender=facts.municipality,
        date_line=date_line,
        subject=f"{t[kind]} ({facts.reference})",
        paragraphs=tuple(paragraphs),
    )


def letter_json(letter: Letter) -> str:
    return json.dumps(
        {
            "address": list(letter.address),
            "sender": letter.sender,
            "date_line": letter.date_line,
            "subject": letter.subject,
            "paragraphs": list(letter.paragraphs),
        },
        ensure_ascii=False,
    )


def letter_of_json(text: str) -> Letter:
    data = json.loads(text)
    return Letter(
        address=tuple(data["address"]),
        sender=str(data["sender"]),
        date_line=str(data["date_line"]),
        subject=str(data["subject"]),
        paragraphs=tuple(data["paragraphs"]),
    )


def _latin1(text: str) -> str:
    # The core fonts speak Latin-1 (every Dutch letter); typographic quotes and dashes fold.
    folded = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-"})
    return folded.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(letter: Letter) -> bytes:
    """The letter as an A4 portrait PDF within Notify's printable area."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(_latin1(letter.subject))
    pdf.set_creator("Aan Huis")
    pdf.set_margins(SIDE_MARGIN, BODY_TOP, SIDE_MARGIN)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MARGIN)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.set_xy(SIDE_MARGIN, 15)
    pdf.cell(0, 6, _latin1(letter.sender))
    pdf.set_font("Helvetica", "", 10)
    pdf.set_xy(ADDRESS_LEFT + 1, ADDRESS_TOP + 1)
    pdf.multi_cell(ADDRESS_WIDTH - 2, 5, _latin1("\n".join(letter.address[:5])))
    pdf.set_xy(SIDE_MARGIN, BODY_TOP - 8)
    pdf.cell(0, 5, _latin1(letter.date_line))
    pdf.set_xy(SIDE_MARGIN, BODY_TOP)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 6, _latin1(letter.subject))
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    for paragraph in letter.paragraphs:
        pdf.multi_cell(0, 5.5, _latin1(paragraph))
        pdf.ln(3)
    if pdf.page_no() > MAX_PAGES:
        raise ValueError("a letter has at most 10 pages")
    data = bytes(pdf.output())
    if len(data) > MAX_BYTES:
        raise ValueError("a letter is at most 2 MB")
    return data
