"""Each municipality's pages wear its own published NL Design System design tokens.

``Municipality.theme`` names a token package. The page loads that package's CSS from
``/assets/npm/…`` and puts its theme class on ``<body>``; the components themselves come from
``@utrecht/component-library-css`` and read the tokens.

Token sets differ in coverage: Utrecht's defines nearly every component token, Rotterdam's and
the Voorbeeld set fewer, Amsterdam's only its own ``--ams-*`` names. ``aanhuis.css`` therefore
declares default component tokens in a cascade layer, derived from a handful of brand variables
(``--aanhuis-accent``, ``--aanhuis-text``, …), and a small adapter per theme
(``/assets/app/css/themes/<name>.css``, also layered) sets those brand variables from the theme's
own tokens. Unlayered declarations beat layered ones, so whatever a token package publishes wins,
and the defaults only fill its gaps.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """A token package: its stylesheets (paths under ``/assets/npm``) and its theme class."""

    name: str
    css: tuple[str, ...]
    body_class: str

    def stylesheets(self) -> list[str]:
        """URLs in load order: the token package, then our adapter for it."""
        return [f"/assets/npm/{path}" for path in self.css] + [
            f"/assets/app/css/themes/{self.name}.css"
        ]


THEMES: dict[str, Theme] = {
    theme.name: theme
    for theme in (
        Theme(
            "utrecht",
            (
                "@utrecht/design-tokens/dist/index.css",
                # The typeface Utrecht's tokens name ("Noto Sans Variable"), self-hosted.
                "@fontsource-variable/noto-sans/index.css",
            ),
            "utrecht-theme",
        ),
        Theme(
            "rotterdam",
            # Its font.css points at font files the package does not ship; not loaded.
            ("@nl-design-system-unstable/rotterdam-design-tokens/dist/index.css",),
            "rotterdam-theme",
        ),
        Theme(
            "voorbeeld",
            ("@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css",),
            "voorbeeld-theme",
        ),
        Theme("amsterdam", ("@amsterdam/design-system-tokens/dist/index.theme.css",), "ams-theme"),
    )
}
#: Used where no municipality is known yet (the list of municipalities) or its theme is unknown.
DEFAULT_THEME = THEMES["voorbeeld"]

#: The component library, loaded before any theme.
COMPONENTS_CSS = "/assets/npm/@utrecht/component-library-css/dist/index.css"
APP_CSS = "/assets/app/css/aanhuis.css"


def theme_named(name: str | None) -> Theme:
    """The theme for a municipality's ``theme`` value (the default one when unknown)."""
    return THEMES.get(name or "", DEFAULT_THEME)
