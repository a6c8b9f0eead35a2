"""Needs, need skills and the tolerant ways people write references and postcodes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.addresses.service import normalise_postcode
from scheduler.booking import needs
from scheduler.booking.schemas import normalise_reference
from scheduler.errors import InvalidInput
from scheduler.security import REFERENCE_ALPHABET

references = st.text(alphabet=REFERENCE_ALPHABET, min_size=8, max_size=8).map(
    lambda s: f"AH-{s[:4]}-{s[4:]}"
)
separators = st.sampled_from(["", " ", "-", "  ", ".", " - "])


@given(references, separators, separators, st.booleans(), st.booleans(), st.booleans())
def test_a_reference_is_found_however_it_is_typed(
    reference: str, sep1: str, sep2: str, lower: bool, prefix: bool, padded: bool
) -> None:
    """Any case, any dashes, dots or spaces between the groups, with or without ``AH``, spaces
    around it: the same reference comes back."""
    body = reference[3:7] + sep2 + reference[8:]
    typed = ("AH" + sep1 if prefix else "") + body
    typed = typed.lower() if lower else typed
    typed = f"  {typed} " if padded else typed
    assert normalise_reference(typed) == reference


@pytest.mark.parametrize("raw", ["", "AH-7K2M", "AH-7K2M-9QXC-1", "XY-7K2M-9QXC", "AH-7K2M-9QX!"])
def test_what_is_not_a_reference_is_none(raw: str) -> None:
    """Too short, too long, another prefix, a stray sign: no reference (never an error)."""
    assert normalise_reference(raw) is None


@given(
    st.integers(1000, 9999),
    st.text(alphabet="ABCEGHJKLMNPRSTVWXZ", min_size=2, max_size=2),
    st.sampled_from(["", " ", "  "]),
    st.booleans(),
)
def test_a_postcode_is_found_however_it_is_typed(
    digits: int, letters: str, space: str, lower: bool
) -> None:
    """``3511ab``, ``3511 AB`` and ``3511  Ab`` are one postcode (look-up and desk search)."""
    typed = f"{digits}{space}{letters.lower() if lower else letters}"
    assert normalise_postcode(typed) == f"{digits}{letters}"


def test_needs_are_cleaned_into_catalogue_order() -> None:
    """Needs come back in the catalogue's order, languages in lower case, texts on one line."""
    cleaned = needs.clean_needs(
        [("other", "  ring   twice "), ("pet", None), ("interpreter", "AR")]
    )
    assert cleaned == [
        {"code": "interpreter", "detail": "ar"},
        {"code": "pet", "detail": None},
        {"code": "other", "detail": "ring twice"},
    ]


@pytest.mark.parametrize(
    "given_needs",
    [
        [("teleport", None)],
        [("interpreter", None)],
        [("interpreter", "xx")],
        [("pet", "a cat")],
        [("pet", None), ("pet", None)],
        [("other", " ")],
        [("other", "x" * (needs.DETAIL_MAX + 1))],
    ],
)
def test_bad_needs_are_refused(given_needs: list[tuple[str, str | None]]) -> None:
    """Unknown, incomplete, doubled or oversized needs raise InvalidInput naming ``needs``."""
    with pytest.raises(InvalidInput) as raised:
        needs.clean_needs(given_needs)
    assert raised.value.extra["field"] == "needs"


def test_skills_follow_the_service_configuration() -> None:
    """An interpreter for Arabic requires ``taal-ar`` where the service says so; a need the
    service ties to nothing, or a service without configuration, requires nothing."""
    config = {"interpreter": "taal-{detail}", "step-free": "rolstoel"}
    chosen = needs.clean_needs([("interpreter", "ar"), ("step-free", None), ("pet", None)])
    assert needs.skills_for(config, chosen) == ["rolstoel", "taal-ar"]
    assert needs.skills_for({}, chosen) == []


@pytest.mark.parametrize(
    "config",
    [{"teleport": "x"}, {"pet": "dier-{detail}"}, {"interpreter": "Taal {detail}"}, {"pet": ""}],
)
def test_a_bad_need_configuration_is_refused(config: dict[str, str]) -> None:
    """Unknown needs, ``{detail}`` for a need without a language, and non-skill codes."""
    with pytest.raises(ValueError):
        needs.check_need_skills(config)


def test_needs_in_words() -> None:
    """The route card's words: the language written out, in the reader's language."""
    chosen = [{"code": "interpreter", "detail": "tr"}, {"code": "call-ahead", "detail": None}]
    assert needs.describe(chosen, "nl") == ["Tolk: Turks", "Bel eerst voordat u komt"]
    assert needs.describe(chosen, "en") == ["Interpreter: Turkish", "Call before coming"]
