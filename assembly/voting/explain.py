"""Results in words: one translated sentence per counting explanation, for screens and minutes.

`counting.count` explains every result as a key and its parameters (numbers as ints or "p/q"
strings, options as ids). `explain` turns that into one sentence in the reader's language, with
the options' labels. The live room's script builds the same sentences from `js_strings()`, where
each `%(name)s` becomes `{name}`, so the words exist once, in this file. A sentence whose words
follow one of its numbers is `Counted` (see assembly/core/plurals.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.lists import format_list
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from assembly.core.plurals import PluralForm, braces, plural_count, raw, script_forms


@dataclass(frozen=True)
class Counted:
    """A sentence whose words follow one of its numbers, `count` (1 abstention, 2 abstentions);
    `zero` says it otherwise when that number is 0."""

    count: str
    form: PluralForm
    zero: Any = None


# The other numbers of a counted sentence stand where their number does not change the words
# ("in favour (3)", "places filled: 1 of 2").
SENTENCES: dict[str, Any] = {
    "simple_majority_yes_exceeds_no": Counted(
        "abstain",
        lambda n: raw.ngettext(
            "Adopted by simple majority: more votes in favour (%(yes)s) than against (%(no)s); "
            "%(abstain)s abstention does not count.",
            "Adopted by simple majority: more votes in favour (%(yes)s) than against (%(no)s); "
            "%(abstain)s abstentions do not count.",
            n,
        ),
        zero=_l(
            "Adopted by simple majority: more votes in favour (%(yes)s) than against (%(no)s); "
            "nobody abstained."
        ),
    ),
    "simple_majority_yes_not_above_no": Counted(
        "abstain",
        lambda n: raw.ngettext(
            "Not adopted: the votes in favour (%(yes)s) are not more than those against "
            "(%(no)s); %(abstain)s abstention does not count.",
            "Not adopted: the votes in favour (%(yes)s) are not more than those against "
            "(%(no)s); %(abstain)s abstentions do not count.",
            n,
        ),
        zero=_l(
            "Not adopted: the votes in favour (%(yes)s) are not more than those against "
            "(%(no)s); nobody abstained."
        ),
    ),
    "simple_majority_yes_exceeds_no_and_abstain": _l(
        "Adopted by simple majority: more votes in favour (%(yes)s) than against (%(no)s) and "
        "abstentions (%(abstain)s) together."
    ),
    "simple_majority_yes_not_above_no_and_abstain": _l(
        "Not adopted: the votes in favour (%(yes)s) are not more than those against (%(no)s) "
        "and abstentions (%(abstain)s) together."
    ),
    "absolute_majority_reached": _l(
        "Adopted by absolute majority: the votes in favour (%(yes)s) are more than half of "
        "those who can vote (%(eligible)s; at least %(votes_needed)s needed)."
    ),
    "absolute_majority_not_reached": Counted(
        "votes_needed",
        lambda n: raw.ngettext(
            "Not adopted: an absolute majority needed %(votes_needed)s vote in favour, more "
            "than half of those who can vote (%(eligible)s), and there were %(yes)s.",
            "Not adopted: an absolute majority needed %(votes_needed)s votes in favour, more "
            "than half of those who can vote (%(eligible)s), and there were %(yes)s.",
            n,
        ),
    ),
    "qualified_majority_reached": Counted(
        "base",
        lambda n: raw.ngettext(
            "Adopted by a %(fraction)s majority: %(yes)s in favour out of %(base)s vote "
            "counted (at least %(votes_needed)s needed).",
            "Adopted by a %(fraction)s majority: %(yes)s in favour out of %(base)s votes "
            "counted (at least %(votes_needed)s needed).",
            n,
        ),
    ),
    "qualified_majority_not_reached": Counted(
        "votes_needed",
        lambda n: raw.ngettext(
            "Not adopted: a %(fraction)s majority needed at least %(votes_needed)s vote in "
            "favour (votes counted: %(base)s), and there were %(yes)s.",
            "Not adopted: a %(fraction)s majority needed at least %(votes_needed)s votes in "
            "favour (votes counted: %(base)s), and there were %(yes)s.",
            n,
        ),
    ),
    "empty_base": _l("Not adopted: there were no votes to count."),
    "no_objections": Counted(
        "stand_asides",
        lambda n: raw.ngettext(
            "Adopted by consent: nobody objected (%(stand_asides)s stood aside).",
            "Adopted by consent: nobody objected (%(stand_asides)s stood aside).",
            n,
        ),
        zero=_l("Adopted by consent: nobody objected or stood aside."),
    ),
    "objections_tolerated": Counted(
        "objections",
        lambda n: raw.ngettext(
            "Adopted by consent: %(objections)s objection, no more than tolerated "
            "(%(max_objections)s); stood aside: %(stand_asides)s.",
            "Adopted by consent: %(objections)s objections, no more than tolerated "
            "(%(max_objections)s); stood aside: %(stand_asides)s.",
            n,
        ),
    ),
    "objection_blocks": Counted(
        "objections",
        lambda n: raw.ngettext(
            "Not adopted: %(objections)s objection, more than tolerated (%(max_objections)s).",
            "Not adopted: %(objections)s objections, more than tolerated (%(max_objections)s).",
            n,
        ),
    ),
    "gradient_reported": Counted(
        "total",
        lambda n: raw.ngettext(
            "Temperature taken: %(total)s response, average %(mean)s, median %(median)s; "
            "nobody blocked.",
            "Temperature taken: %(total)s responses, average %(mean)s, median %(median)s; "
            "nobody blocked.",
            n,
        ),
    ),
    "gradient_blocked": Counted(
        "blockers",
        lambda n: raw.ngettext(
            "Blocked: %(blockers)s person chose level %(block_level)s or lower, which is a block.",
            "Blocked: %(blockers)s people chose level %(block_level)s or lower, which is a block.",
            n,
        ),
    ),
    "highest_total": _l(
        "Highest total: %(winners)s; next came %(runner_up)s with %(runner_up_value)s."
    ),
    "schulze_condorcet_winner": _l(
        "%(winners)s beats every other option head to head (a Condorcet winner)."
    ),
    "schulze_strongest_paths": _l(
        "Chosen through the strongest chains of preferences (Schulze method): %(winners)s; "
        "next came %(runner_up)s."
    ),
    "irv_majority": Counted(
        "active",
        lambda n: raw.ngettext(
            "%(winner)s won in round %(round)s with %(votes)s of the %(active)s vote still in "
            "play, more than half.",
            "%(winner)s won in round %(round)s with %(votes)s of the %(active)s votes still in "
            "play, more than half.",
            n,
        ),
    ),
    "irv_sequential": _l("Elected place by place by instant run-off, in this order: %(winners)s."),
    "irv_all_ballots_exhausted": _l(
        "No majority: the ballots ran out of preferences between %(tied)s "
        "(places filled: %(seats_filled)s of %(seats)s)."
    ),
    "tie_at_last_seat": _l(
        "Tie: %(tied)s have the same result (%(value)s) for the last place; places filled: "
        "%(seats_filled)s of %(seats)s; the assembly must settle the tie."
    ),
    "no_votes": _l("Nobody voted, so nothing was chosen."),
    "seats_cover_all_options": _l(
        "There are as many places as options (%(seats)s): all of them are chosen."
    ),
}

OUTCOMES = {
    "adopted": _l("Adopted"),
    "rejected": _l("Not adopted"),
    "blocked": _l("Blocked"),
    "reported": _l("Temperature taken"),
    "chosen": _l("Chosen"),
    "elected": _l("Elected"),
    "tie": _l("Tie"),
}

# The rule a poll decides by, in one line: keys as in `rule_key`.
RULES = {
    "simple_excluded": _l(
        "Simple majority: more votes in favour than against; abstentions do not count."
    ),
    "simple_included": _l(
        "Simple majority: more votes in favour than against and abstentions together."
    ),
    "absolute": _l("Absolute majority: more votes in favour than half of everyone who can vote."),
    "two_thirds_excluded": _l(
        "Two-thirds majority of the votes in favour and against; abstentions do not count."
    ),
    "two_thirds_included": _l("Two-thirds majority of all votes cast, abstentions included."),
    "three_quarters_excluded": _l(
        "Three-quarters majority of the votes in favour and against; abstentions do not count."
    ),
    "three_quarters_included": _l(
        "Three-quarters majority of all votes cast, abstentions included."
    ),
    "consent": Counted(
        "max_objections",
        lambda n: raw.ngettext(
            "Consent: adopted unless there is more than %(max_objections)s objection.",
            "Consent: adopted unless there are more than %(max_objections)s objections.",
            n,
        ),
    ),
    "consent_none": _l("Consent: adopted unless someone objects."),
    "gradient": _l("Gradient of agreement from 0 (block) to 5 (full support): a 0 blocks."),
    "single": _l("Each person picks one option; the most voted wins."),
    "approval": _l("Each person approves every option they accept; the most approved wins."),
    "dots": Counted(
        "dots",
        lambda n: raw.ngettext(
            "Each person spreads %(dots)s dot among the options; the most dots win.",
            "Each person spreads %(dots)s dots among the options; the most dots win.",
            n,
        ),
    ),
    "score": _l("Each person scores the options from 0 to 5; the highest total wins."),
    "ranked_irv": _l(
        "Ranked choice with instant run-off: the option with fewest first preferences drops out "
        "until one has more than half."
    ),
    "ranked_schulze": _l(
        "Ranked choice, Schulze method: the option preferred over the others through the "
        "strongest chains of preferences wins."
    ),
    "seats": _l("Places to fill: %(seats)s."),
}

# Counted phrases of poll pages and of the room's poll cards, by the number that words them.
PHRASES: dict[str, PluralForm] = {
    "progress": lambda n: raw.ngettext(
        "%(voted)s of %(eligible)s has voted", "%(voted)s of %(eligible)s have voted", n
    ),
    "dots_left": lambda n: raw.ngettext(
        "%(count)s dot left of %(total)s", "%(count)s dots left of %(total)s", n
    ),
}


# Parameters that name options (one, or a list of them); the rest are numbers or kept as text.
_OPTION = {"winner", "runner_up"}
_OPTIONS = {"winners", "tied"}
_TEXT = {"fraction", "majority", "abstentions", "comparison"}
_SKIP = {"values", "rounds_per_seat", "tie_breaks"}

_FORMAT_FIELD = re.compile(r"%\((\w+)\)s")


def to_decimal(value: Any) -> Decimal | None:
    """A result's number (int, float, or exact "p/q" string) as a Decimal to two places."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if "/" in value:
            numerator, denominator = value.split("/", 1)
            exact = Decimal(int(numerator)) / Decimal(int(denominator))
        else:
            exact = Decimal(value)
    else:
        exact = Decimal(str(value))
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


def number(value: Any) -> str:
    """A number as the reader writes it (2,5 in Spanish), at most two decimals; — for none."""
    exact = to_decimal(value)
    if exact is None:
        return "—"
    return format_decimal(exact, format="#,##0.##")


def percent(value: Any) -> str:
    exact = to_decimal(value)
    return "—" if exact is None else f"{format_decimal(exact, format='#,##0.#')} %"


def join(items: Iterable[str]) -> str:
    items = list(items)
    if not items:
        return "—"
    return format_list(items, locale=str(get_locale() or "es_AR"))


def _labels(option_labels) -> dict[str, str]:
    if option_labels is None:
        return {}
    if isinstance(option_labels, Mapping):
        return {str(k): str(v) for k, v in option_labels.items()}
    labels = {}
    for item in option_labels:
        if isinstance(item, Mapping):
            labels[str(item["id"])] = str(item["label"])
        elif isinstance(item, tuple | list):
            labels[str(item[0])] = str(item[1])
        else:
            labels[str(item.id)] = str(item.label)
    return labels


def _name(option, labels: dict[str, str]) -> str:
    return labels.get(str(option), str(option))


def sentence_params(key: str, params: Mapping, labels: dict[str, str]) -> dict[str, str]:
    """The explanation's parameters as text: options by label, numbers in the reader's form."""
    shown: dict[str, str] = {}
    for name, value in params.items():
        if name in _SKIP:
            continue
        if name in _OPTION:
            shown[name] = _name(value, labels)
        elif name in _OPTIONS:
            shown[name] = join(_name(o, labels) for o in value or [])
        elif name in _TEXT:
            shown[name] = str(value)
        else:
            shown[name] = number(value)
    if key == "highest_total":
        values = params.get("values") or {}
        shown["winners"] = join(
            f"{_name(o, labels)} ({number(values.get(str(o)))})" for o in params.get("winners", [])
        )
    return shown


def explain(result: Mapping | None, option_labels=None) -> str:
    """One sentence saying what the result is and why, in the current language.

    `option_labels` maps option ids (int or str) to labels, or is a list of options (objects
    or dicts with `id` and `label`). An unknown or missing explanation gives "".
    """
    if not result:
        return ""
    explanation = result.get("explanation") or {}
    template = SENTENCES.get(explanation.get("key"))
    if template is None:
        return ""
    raw_params = explanation.get("params") or {}
    params = sentence_params(explanation["key"], raw_params, _labels(option_labels))
    return _FORMAT_FIELD.sub(lambda m: params.get(m.group(1), "—"), _text(template, raw_params))


def _text(template, values: Mapping) -> str:
    """The sentence's words for these numbers, placeholders still in."""
    if not isinstance(template, Counted):
        return str(template)
    n = plural_count(values.get(template.count))
    if n == 0 and template.zero is not None:
        return str(template.zero)
    return template.form(n)


def outcome(result: Mapping | None) -> str:
    if not result:
        return ""
    return str(OUTCOMES.get(result.get("outcome"), result.get("outcome") or ""))


def rule_key(method: str, config: Mapping) -> str:
    if method == "yes_no":
        majority = config.get("majority", "simple")
        if majority == "absolute":
            return "absolute"
        return f"{majority}_{config.get('abstentions', 'excluded')}"
    if method == "consent":
        return "consent" if config.get("max_objections", 0) else "consent_none"
    return method


def rule(method: str, config: Mapping | None) -> str:
    """The rule the poll decides by, in one line (and the places to fill, when several)."""
    config = config or {}
    values = {"max_objections": config.get("max_objections", 0), "dots": config.get("dots", 3)}
    text = _text(RULES.get(rule_key(method, config), ""), values)
    text = _FORMAT_FIELD.sub(lambda m: number(values.get(m.group(1))), text)
    if config.get("seats", 1) > 1:
        text += " " + str(RULES["seats"]) % {"seats": number(config["seats"])}
    return text


def _for_script(template):
    """A sentence for the script: its text, or, when counted, every form of it by CLDR plural
    category (the script picks one with Intl.PluralRules) and its words for zero."""
    if not isinstance(template, Counted):
        return braces(template)
    return {
        "count": template.count,
        "forms": {k: braces(v) for k, v in script_forms(template.form).items()},
        "zero": None if template.zero is None else braces(template.zero),
    }


# Why an option was eliminated when several had the fewest votes in a round of instant run-off
# (counting._irv_loser): the rule in words, for the tables of rounds.
TIE_BREAKS = {
    "backwards": _l(
        "Round %(round)s: %(tied)s were tied with the fewest votes; %(eliminated)s was "
        "eliminated because it had fewer votes than the others in an earlier round."
    ),
    "option_order": _l(
        "Round %(round)s: %(tied)s were tied with the fewest votes in this round and every "
        "earlier one; %(eliminated)s was eliminated because it comes later in the list of "
        "options."
    ),
}


def tie_breaks(result: Mapping | None, option_labels=None) -> list[str]:
    """One sentence for each round of instant run-off that had to break a tie to eliminate."""
    labels = _labels(option_labels)
    notes = []
    for seat in (result or {}).get("seat_results") or []:
        for round_ in seat.get("rounds") or []:
            broken = round_.get("tie_break")
            if not broken or broken.get("rule") not in TIE_BREAKS:
                continue
            notes.append(
                str(TIE_BREAKS[broken["rule"]])
                % {
                    "round": number(round_["round"]),
                    "tied": join(_name(o, labels) for o in broken.get("tied", [])),
                    "eliminated": _name(round_.get("eliminated"), labels),
                }
            )
    return notes


def js_strings() -> dict[str, dict]:
    """The same sentences for the live room's script, with {placeholders}."""
    return {
        "sentences": {key: _for_script(text) for key, text in SENTENCES.items()},
        "outcomes": {key: str(text) for key, text in OUTCOMES.items()},
        "rules": {key: _for_script(text) for key, text in RULES.items()},
        "tie_breaks": {key: braces(text) for key, text in TIE_BREAKS.items()},
        "phrases": {
            key: {k: braces(v) for k, v in script_forms(form).items()}
            for key, form in PHRASES.items()
        },
    }
