"""Form fields for whom a booking is, the needs, and the contact person (citizen pages and desk).

Field names (Dutch, like the other form fields):

* ``voor``: ``zelf`` (for myself) or ``ander`` (for someone else);
* ``nodig-{code}``: a ticked need (``ja``); ``tolktaal`` the interpreter's language,
  ``nodig-toelichting`` the text of "something else";
* ``contact-naam``, ``contact-relatie``, ``contact-telefoon``, ``contact-email``: the person
  who books for the citizen.

The answers travel between the booking steps as hidden fields (never in a URL: needs and names
are personal data). The rules are the domain's: :func:`scheduler.booking.needs.clean_needs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.web import forms
from api.web.forms import Form
from api.web.i18n import Translator
from scheduler.booking import needs as catalogue
from scheduler.booking.models import Relation
from scheduler.booking.service import Contact
from scheduler.errors import InvalidInput

FOR = "voor"
LANGUAGE = "tolktaal"
TEXT = "nodig-toelichting"
CONTACT_FIELDS = ("contact-naam", "contact-relatie", "contact-telefoon", "contact-email")
RELATIONS = ("child", "partner", "carer", "professional", "other")


def need_field(code: str) -> str:
    return f"nodig-{code}"


@dataclass(frozen=True)
class NeedOption:
    """A need as a checkbox on the page, with the field its detail goes in (if any)."""

    code: str
    field: str
    label: str
    detail: str


def need_options(t: Translator) -> list[NeedOption]:
    return [
        NeedOption(
            code=n.code,
            field=need_field(n.code),
            label=n.label_en if t.lang == "en" else n.label_nl,
            detail=n.detail,
        )
        for n in catalogue.NEEDS
    ]


def language_options(t: Translator) -> list[tuple[str, str]]:
    """(code, name) of the interpreter languages, by name in the page language."""
    names = [(code, en if t.lang == "en" else nl) for code, (nl, en) in catalogue.LANGUAGES.items()]
    return [("", t("needs.language.choose")), *sorted(names, key=lambda p: p[1])]


def relation_options(t: Translator) -> list[tuple[str, str]]:
    return [("", t("relation.choose"))] + [(r, t(f"relation.{r}")) for r in RELATIONS]


def carried(form: Form) -> dict[str, str]:
    """The answers of the first step that later steps must carry (as hidden fields)."""
    names = [FOR, LANGUAGE, TEXT, *(need_field(n.code) for n in catalogue.NEEDS)]
    return {name: form.get(name) for name in names if form.get(name)}


def for_someone_else(form: Form) -> bool:
    return form.get(FOR) == "ander"


def needs_of(form: Form, t: Translator) -> list[dict[str, Any]]:
    """The ticked needs, checked; a missing language or text is recorded as the field's error."""
    chosen: list[tuple[str, str | None]] = []
    for need in catalogue.NEEDS:
        if form.get(need_field(need.code)) != "ja":
            continue
        detail: str | None = None
        if need.detail == "language":
            detail = form.get(LANGUAGE)
            if detail not in catalogue.LANGUAGES:
                form.add_error(LANGUAGE, t("needs.language.missing"))
                continue
        elif need.detail == "text":
            detail = form.get(TEXT)
            if not detail:
                form.add_error(TEXT, t("needs.text.missing"))
                continue
            if len(detail) > catalogue.DETAIL_MAX:
                form.add_error(TEXT, t("error.too_long", max=catalogue.DETAIL_MAX))
                continue
        chosen.append((need.code, detail))
    try:
        return catalogue.clean_needs(chosen)
    except InvalidInput:  # only a forged form gets here; show it as the text's problem
        form.add_error(TEXT, t("needs.text.missing"))
        return []


def contact_of(form: Form, t: Translator) -> Contact | None:
    """The contact person (the one filling in the form for someone else), or None when the
    booking is for the one filling it in. Errors go to the fields."""
    if not for_someone_else(form):
        return None
    name = forms.required_text(form, t, "contact-naam", "details.contact.name.missing", 200)
    relation = form.get("contact-relatie")
    if relation not in RELATIONS:
        form.add_error("contact-relatie", t("details.contact.relation.missing"))
    phone = forms.phone(form, t, "contact-telefoon")
    email = forms.email(form, t, "contact-email")
    bad = form.error("contact-telefoon") or form.error("contact-email")
    if not bad and not (phone or email):
        form.add_error("contact-telefoon", t("details.contact.missing"))
    if not form.ok or name is None or relation not in RELATIONS:
        return None
    return Contact(name=name, relation=Relation(relation), phone=phone, email=email)
