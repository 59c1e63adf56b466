"""Sentences with a count in them, in the form the reader's language gives that count.

Pages use `ngettext` as usual. Sentences that are also built by the room's scripts, or filled in
later (the result explanations), are written as `lambda n: raw.ngettext(singular, plural, n)`:
`raw.ngettext` picks the translated form without filling it in, and Babel extracts it like any
`ngettext`. A script gets every form of such a sentence from `script_forms`, keyed by CLDR
plural category ("one", "many", "other"...), and picks one with `Intl.PluralRules`, which
follows the same CLDR rules as Babel; so the script needs no plural rule of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction

from babel import Locale
from flask_babel import get_locale, get_translations

PluralForm = Callable[[int], str]

_FORMAT_FIELD = re.compile(r"%\((\w+)\)s")

# Numbers that show every category of the languages CLDR knows (0, 1, 2, few, many, 1e6...).
_SAMPLES = (*range(0, 12), 20, 21, 22, 100, 101, 1000, 1_000_000)


class _Unformatted:
    """`raw.ngettext(singular, plural, n)`: the translated form for n, its placeholders kept."""

    @staticmethod
    def ngettext(singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


raw = _Unformatted()


def plural_count(value) -> int:
    """The number gettext chooses a form by: a whole count as it is; a fraction (a weighted
    count of 1.5, or "3/2") reads like a plural in the languages we ship, as CLDR says."""
    if value is None or isinstance(value, bool):
        return 2
    try:
        if isinstance(value, Fraction):
            exact = value
        elif isinstance(value, str):
            exact = Fraction(value) if "/" in value else Fraction(Decimal(value))
        else:
            exact = Fraction(Decimal(str(value)))
    except (ValueError, ArithmeticError):
        return 2
    return int(exact) if exact.denominator == 1 else 2


def _locale() -> Locale:
    return get_locale() or Locale.parse("es_AR")


def script_forms(form: PluralForm) -> dict[str, str]:
    """Every form of a counted sentence in the current language, by CLDR plural category."""
    rule = _locale().plural_form
    forms: dict[str, str] = {}
    for n in _SAMPLES:
        forms.setdefault(rule(n), form(n))
    return forms


def braces(text) -> str:
    """A sentence for a script: each `%(name)s` becomes `{name}`."""
    return _FORMAT_FIELD.sub(r"{\1}", str(text))


def counted(form: PluralForm, count, values: Mapping) -> str:
    """The sentence for `count`, filled in with `values` (a missing one shows as —)."""
    text = form(plural_count(count))
    return _FORMAT_FIELD.sub(lambda m: str(values.get(m.group(1), "—")), text)
