"""Needs a citizen can state when booking, so they reach the planner and the expert.

An interpreter (and for which language), a sign-language interpreter, hard of hearing, visually
impaired, wheelchair access, "call before you come", a pet in the house, or something else in
the citizen's own words. The list is the same for every municipality; what a need asks of the
expert is configured per service type (:attr:`ServiceType.need_skills`): an interpreter need of a
Wmo intake may require an expert who speaks that language (``"taal-{detail}"`` → ``taal-ar``).
Offers then only show windows of such experts, booking re-checks it, and the day's optimiser
keeps it (the skill is one of the routing visit's skills).

A need is stored as ``{"code": …, "detail": …}``; ``detail`` is a language code, a short text or
None, as the need asks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scheduler.errors import InvalidInput

Detail = Literal["none", "language", "text"]
#: Longest free text of a need (the notes field holds anything longer).
DETAIL_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SKILL = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class Need:
    code: str
    label_nl: str
    label_en: str
    detail: Detail


NEEDS: tuple[Need, ...] = (
    Need("interpreter", "Tolk (welke taal?)", "Interpreter (which language?)", "language"),
    Need("sign-language", "Gebarentolk", "Sign-language interpreter", "none"),
    Need("hard-of-hearing", "Slechthorend", "Hard of hearing", "none"),
    Need("visually-impaired", "Slechtziend of blind", "Visually impaired or blind", "none"),
    Need(
        "step-free",
        "Rolstoel: drempelvrije ingang nodig",
        "Wheelchair: step-free entrance needed",
        "none",
    ),
    Need("call-ahead", "Bel eerst voordat u komt", "Call before coming", "none"),
    Need("pet", "Er is een huisdier in huis", "There is a pet in the house", "none"),
    Need("other", "Iets anders", "Something else", "text"),
)
BY_CODE: dict[str, Need] = {n.code: n for n in NEEDS}

#: Languages an interpreter can be asked for (ISO 639 codes), Dutch and English names: the
#: languages Dutch municipalities most often arrange interpreters for.
LANGUAGES: dict[str, tuple[str, str]] = {
    "ar": ("Arabisch", "Arabic"),
    "bg": ("Bulgaars", "Bulgarian"),
    "de": ("Duits", "German"),
    "en": ("Engels", "English"),
    "es": ("Spaans", "Spanish"),
    "fa": ("Perzisch (Farsi)", "Persian (Farsi)"),
    "fr": ("Frans", "French"),
    "ku": ("Koerdisch", "Kurdish"),
    "pap": ("Papiaments", "Papiamento"),
    "pl": ("Pools", "Polish"),
    "prs": ("Dari", "Dari"),
    "pt": ("Portugees", "Portuguese"),
    "ro": ("Roemeens", "Romanian"),
    "ru": ("Russisch", "Russian"),
    "so": ("Somalisch", "Somali"),
    "ti": ("Tigrinya", "Tigrinya"),
    "tr": ("Turks", "Turkish"),
    "uk": ("Oekraïens", "Ukrainian"),
    "zh": ("Chinees", "Chinese"),
}


def clean_needs(raw: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """The needs as stored (``[{"code", "detail"}]``, in the catalogue's order), or
    :class:`InvalidInput` saying what to fix: an unknown need, one given twice, a missing or
    unknown language, a missing or too long text, a detail where the need takes none."""
    chosen: dict[str, str | None] = {}
    for code, detail in raw:
        need = BY_CODE.get(code)
        if need is None:
            raise InvalidInput(
                f"There is no need '{code}'. See GET /api/v1/municipalities/{{slug}}/needs.",
                nl=f"Er is geen behoefte '{code}'.",
                field="needs",
            )
        if code in chosen:
            raise InvalidInput(
                f"The need '{code}' is given twice.",
                nl=f"De behoefte '{code}' staat er twee keer in.",
                field="needs",
            )
        chosen[code] = _detail(need, detail)
    return [{"code": n.code, "detail": chosen[n.code]} for n in NEEDS if n.code in chosen]


def _detail(need: Need, raw: str | None) -> str | None:
    value = " ".join((raw or "").split())
    if need.detail == "none":
        if value:
            raise InvalidInput(
                f"The need '{need.code}' takes no detail.",
                nl=f"Bij '{need.label_nl}' hoort geen toelichting.",
                field="needs",
            )
        return None
    if need.detail == "language":
        code = value.lower()
        if code not in LANGUAGES:
            raise InvalidInput(
                "Choose the language the interpreter should speak.",
                nl="Kies de taal die de tolk moet spreken.",
                field="needs",
            )
        return code
    if not value:
        raise InvalidInput(
            "Describe what we should know.", nl="Beschrijf wat we moeten weten.", field="needs"
        )
    if len(value) > DETAIL_MAX or _CONTROL.search(value):
        raise InvalidInput(
            f"Describe the need in at most {DETAIL_MAX} characters.",
            nl=f"Beschrijf het in hoogstens {DETAIL_MAX} tekens.",
            field="needs",
        )
    return value


def skills_for(need_skills: Mapping[str, str], needs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The skills ``needs`` require of the expert under a service's ``need_skills`` (sorted).

    ``"taal-{detail}"`` with an interpreter for Arabic gives ``taal-ar``. A template that needs
    a detail the need lacks requires nothing.
    """
    out: set[str] = set()
    for need in needs:
        template = need_skills.get(str(need.get("code")))
        if not template:
            continue
        detail = need.get("detail")
        if "{detail}" in template:
            if not detail:
                continue
            template = template.replace("{detail}", str(detail))
        out.add(template)
    return sorted(out)


def check_need_skills(value: Mapping[str, str]) -> dict[str, str]:
    """A service type's need → skill templates, checked: known needs, skill codes that fit the
    skill pattern once ``{detail}`` is filled in (``{detail}`` only for the interpreter's
    language)."""
    out: dict[str, str] = {}
    for code, template in value.items():
        need = BY_CODE.get(code)
        if need is None:
            raise ValueError(f"there is no need {code!r}")
        filled = template.replace("{detail}", "xx")
        if "{detail}" in template and need.detail != "language":
            raise ValueError(f"the need {code!r} has no language to put in the skill")
        if not _SKILL.fullmatch(filled) or "{" in filled:
            raise ValueError(f"{template!r} is not a skill code (a-z, 0-9 and dashes)")
        out[code] = template
    return out


def describe(needs: Sequence[Mapping[str, Any]], language: Literal["nl", "en"]) -> list[str]:
    """Each need in words for the expert and the planner: ``Tolk: Arabisch``."""
    out = []
    for need in needs:
        known = BY_CODE.get(str(need.get("code")))
        if known is None:
            continue
        label = known.label_en if language == "en" else known.label_nl
        label = label.split(" (")[0] if known.detail == "language" else label
        detail = need.get("detail")
        if known.detail == "language" and detail:
            names = LANGUAGES.get(str(detail))
            detail = (names[1] if language == "en" else names[0]) if names else detail
        out.append(f"{label}: {detail}" if detail else label)
    return out
