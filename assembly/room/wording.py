"""Counted sentences of the room (the quorum), for its pages and its script."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import format_decimal

from assembly.core.plurals import PluralForm, braces, counted, raw, script_forms

# By the quorum's basis, worded by how many could be represented. A network plenary counts
# member organisations ("representadas" in Spanish); other meetings count members.
QUORUM: dict[str, PluralForm] = {
    "members": lambda n: raw.ngettext(
        "%(represented)s of %(eligible)s member represented (quorum: %(required)s)",
        "%(represented)s of %(eligible)s members represented (quorum: %(required)s)",
        n,
    ),
    "organisations": lambda n: raw.ngettext(
        "%(represented)s of %(eligible)s member organisation represented (quorum: %(required)s)",
        "%(represented)s of %(eligible)s member organisations represented (quorum: %(required)s)",
        n,
    ),
}


def quorum_text(quorum: Mapping) -> str:
    """A quorum (room/service.py `quorum`) in words: "3 of 7 members represented (quorum: 4)"."""
    form = QUORUM.get(quorum.get("basis"), QUORUM["members"])
    values = {k: format_decimal(quorum[k]) for k in ("represented", "eligible", "required")}
    return counted(form, quorum.get("eligible"), values)


def room_js_plurals() -> dict[str, dict[str, str]]:
    """The room script's counted sentences: every plural form, by CLDR category."""
    return {
        f"quorum_{basis}": {k: braces(v) for k, v in script_forms(form).items()}
        for basis, form in QUORUM.items()
    }
