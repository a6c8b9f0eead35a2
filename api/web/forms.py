"""Form helpers: read a posted form (CSRF-checked), validate fields, show errors accessibly.

A :class:`Form` holds the submitted values and, per field, at most one error message (already in
the page language). Templates render it with the macros in ``templates/macros/forms.html``: the
error summary at the top links to each invalid field by its id, and each field shows its own
message, connected with ``aria-describedby`` and marked ``aria-invalid``.

Validators reuse the domain's own rules where there are any (a postcode is checked by
``scheduler.addresses.service.normalise_postcode``), so the page and the API accept the same input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from api.web import csrf
from api.web.i18n import Translator
from scheduler.addresses.service import normalise_addition, normalise_postcode
from scheduler.booking.schemas import normalise_email, normalise_phone
from scheduler.errors import InvalidInput

#: Longer than any text field may be (each validator has its own limit): a list of sealed offer
#: ids (a few hundred characters each) travels in one hidden field.
MAX_FIELD_LENGTH = 20_000


class CsrfRejected(Exception):
    """A state-changing form arrived without proof that it was sent from our own page."""


@dataclass
class Form:
    """Submitted values and the errors found in them, in the order the fields were checked."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """The trimmed value of a field ('' when absent)."""
        return self.values.get(name, "").strip()

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def add_error(self, name: str, message: str) -> None:
        """Record an error for a field; the first one found for a field is the one shown."""
        self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors


async def read_form(request: Request) -> Form:
    """The posted form, after the CSRF checks of :mod:`api.web.csrf` (raises CsrfRejected)."""
    data = await request.form()
    values = {k: v[:MAX_FIELD_LENGTH] for k, v in data.items() if isinstance(v, str)}
    if not csrf.same_origin(request) or not csrf.form_token_ok(request, values.get(csrf.FIELD)):
        raise CsrfRejected
    return Form(values=values)


PostedForm = Annotated[Form, Depends(read_form)]


def form_of(values: Mapping[str, str | int | None]) -> Form:
    """A form pre-filled with values (for showing a form again with what is known)."""
    return Form(values={k: "" if v is None else str(v) for k, v in values.items()})


# --- validators: each returns the cleaned value or records an error and returns None --------------

_PHONE = re.compile(r"^\+?[0-9 ()\-.]{8,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ADDITION = re.compile(r"^[A-Za-z0-9 \-]{1,10}$")


def postcode(form: Form, t: Translator, name: str = "postcode") -> str | None:
    raw = form.get(name)
    if not raw:
        form.add_error(name, t("error.postcode.missing"))
        return None
    try:
        return normalise_postcode(raw)
    except InvalidInput:
        form.add_error(name, t("error.postcode.invalid"))
        return None


def house_number(form: Form, t: Translator, name: str = "huisnummer") -> int | None:
    raw = form.get(name)
    if not raw:
        form.add_error(name, t("error.house_number.missing"))
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 99999:
        form.add_error(name, t("error.house_number.invalid"))
        return None
    return int(raw)


def addition(form: Form, t: Translator, name: str = "toevoeging") -> str | None:
    raw = form.get(name)
    if not raw:
        return None
    if not _ADDITION.match(raw):
        form.add_error(name, t("error.addition.invalid"))
        return None
    return normalise_addition(raw) or None


#: Characters a one-line field (a name) may not hold: they would start a new line in an e-mail
#: header or body, an invite or a log. Other control characters never get this far
#: (:class:`api.middleware.RejectControlCharacters`).
_LINE_BREAKS = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]")


def required_text(
    form: Form, t: Translator, name: str, key: str, max_length: int, *, multiline: bool = False
) -> str | None:
    raw = form.get(name)
    if not raw:
        form.add_error(name, t(key))
        return None
    return _text(form, t, name, raw, max_length, multiline)


def optional_text(
    form: Form, t: Translator, name: str, max_length: int, *, multiline: bool = False
) -> str | None:
    raw = form.get(name)
    return _text(form, t, name, raw, max_length, multiline) or None


def _text(
    form: Form, t: Translator, name: str, raw: str, max_length: int, multiline: bool
) -> str | None:
    if len(raw) > max_length:
        form.add_error(name, t("error.too_long", max=max_length))
        return None
    if not multiline and _LINE_BREAKS.search(raw):
        form.add_error(name, t("error.one_line"))
        return None
    return raw


def phone(form: Form, t: Translator, name: str = "telefoon") -> str | None:
    """The number in E.164 (``+31612345678``), as the API stores it, so the desk finds it."""
    raw = form.get(name)
    if not raw:
        return None
    digits = sum(c.isdigit() for c in raw)
    if not _PHONE.match(raw) or not 10 <= digits <= 15:
        form.add_error(name, t("error.phone.invalid"))
        return None
    try:
        return normalise_phone(raw)
    except InvalidInput:
        form.add_error(name, t("error.phone.invalid"))
        return None


def email(form: Form, t: Translator, name: str = "email") -> str | None:
    raw = form.get(name)
    if not raw:
        return None
    if len(raw) > 254 or not _EMAIL.match(raw):
        form.add_error(name, t("error.email.invalid"))
        return None
    try:
        return normalise_email(raw)
    except InvalidInput:
        form.add_error(name, t("error.email.invalid"))
        return None
