"""One-line form fields refuse line breaks (finding 2: a CR/LF in a name reached the e-mail)."""

from __future__ import annotations

import pytest

from api.web import forms
from api.web.forms import Form
from api.web.i18n import Translator


@pytest.mark.parametrize("bad", ["Anouk\r\nBcc: x@example.org", "Anouk\tde Vries", "A\u2028B"])
def test_a_name_with_a_line_break_is_a_field_error(bad: str) -> None:
    """The name field reports the line break in the page language instead of accepting it."""
    form = Form(values={"naam": bad})
    assert forms.required_text(form, Translator("nl"), "naam", "error.name.missing", 200) is None
    assert form.error("naam") == Translator("nl")("error.one_line")


def test_notes_may_have_line_breaks() -> None:
    """Free text (notes) keeps its lines."""
    form = Form(values={"opmerkingen": "Bel aan.\r\nDe bel is kapot."})
    notes = forms.optional_text(form, Translator("en"), "opmerkingen", 1000, multiline=True)
    assert notes == "Bel aan.\r\nDe bel is kapot."
    assert form.ok
