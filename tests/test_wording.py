"""Words people read: counts take the form their number needs (1 abstención, 2 abstenciones)
in both languages, on pages, in flash messages and in the room's scripts; the gender option
reads "Otro"; organisations are "representadas"; the speakers list has one name."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

from assembly.core.plurals import plural_count, script_forms
from assembly.extensions import db
from assembly.voting import counting
from assembly.voting.explain import PHRASES, RULES, SENTENCES, Counted, explain, js_strings, rule

ES = {"Accept-Language": "es-AR"}
EN = {"Accept-Language": "en"}
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(PROJECT, "assembly", "translations", "es_AR", "LC_MESSAGES", "messages.po")

# Spanish and English nouns counted somewhere in the interface, as (singular, plural).
NOUNS = [
    ("abstención", "abstenciones"),
    ("voto", "votos"),
    ("objeción", "objeciones"),
    ("respuesta", "respuestas"),
    ("persona", "personas"),
    ("punto", "puntos"),
    ("decisión", "decisiones"),
    ("segundo", "segundos"),
    ("minuto", "minutos"),
    ("semana", "semanas"),
    ("mes", "meses"),
    ("integrante", "integrantes"),
    ("organización", "organizaciones"),
    ("borrador", "borradores"),
    ("abstention", "abstentions"),
    ("vote", "votes"),
    ("objection", "objections"),
    ("response", "responses"),
    ("person", "people"),
    ("dot", "dots"),
    ("decision", "decisions"),
    ("second", "seconds"),
    ("minute", "minutes"),
    ("member", "members"),
    ("organisation", "organisations"),
    ("draft", "drafts"),
    ("item", "items"),
]


def misworded(text: str, n: int) -> list[str]:
    """Places where the number n stands before a noun in the wrong number ("1 votos", "las 1",
    "2 voto"), or a plural article stands before 1."""
    wrong = []
    for singular, plural in NOUNS:
        bad = plural if n == 1 else singular
        for match in re.finditer(rf"(?<![\d,.]){n}(?: \w+)? {bad}\b", text):
            # "2 member organisations" is right: the noun after the adjective decides.
            after = text[match.end() :]
            if not after.startswith(("s ", "es ")):
                wrong.append(match.group(0))
    if n == 1:
        wrong += re.findall(r"\b(?:las|los) 1\b", text)
    return wrong


def _params_for(sentence: str, count: str, n: int) -> dict:
    names = re.findall(r"%\((\w+)\)s", sentence)
    params = {name: 7 for name in names}
    params.update({"winner": 1, "runner_up": 2, "winners": [1], "tied": [1, 2], "fraction": "2/3"})
    params[count] = n
    return params


@pytest.mark.parametrize("headers", [ES, EN], ids=["es", "en"])
def test_every_counted_result_sentence_agrees_with_its_number(app, headers):
    """Property: for every counted explanation and rule, and every count 0-3, 11, 21 and 1,000,000,
    the sentence never puts a number before a noun in the wrong number."""
    with app.test_request_context(headers=headers):
        for key, template in {**SENTENCES, **RULES}.items():
            if not isinstance(template, Counted):
                continue
            for n in (0, 1, 2, 3, 11, 21, 1_000_000):
                params = _params_for(template.form(2), template.count, n)
                if key in RULES:
                    config = {"max_objections": n, "dots": n}
                    text = rule("consent" if key == "consent" else "dots", config)
                else:
                    text = explain(
                        {"explanation": {"key": key, "params": params}}, {1: "A", 2: "B"}
                    )
                shown = f"{n:,}".replace(",", "." if headers is ES else ",")
                assert not misworded(text, n), (key, n, text)
                assert text and "%(" not in text and "{" not in text, (key, n, text)
                if n and not (key in RULES and n == 0):
                    assert shown in text, (key, n, text)


def test_spanish_results_read_one_abstention_two_abstentions_and_nobody_abstained(app):
    def yes_no(abstain: int) -> dict:
        ballots = [{"vote": "yes"}] * 3 + [{"vote": "no"}] + [{"vote": "abstain"}] * abstain
        return counting.count("yes_no", {}, [], [(b, 1) for b in ballots], 10)

    with app.test_request_context(headers=ES):
        assert explain(yes_no(1)).endswith("; 1 abstención no cuenta.")
        assert explain(yes_no(2)).endswith("; las 2 abstenciones no cuentan.")
        assert explain(yes_no(0)).endswith("; nadie se abstuvo.")
        objections = [({"vote": "object"}, 1)] * 2
        assert (
            explain(counting.count("consent", {"max_objections": 1}, [], objections, 5))
            == "Rechazada: 2 objeciones, más de lo tolerado (1)."
        )
        assert rule("consent", {"max_objections": 1}).endswith("más de 1 objeción.")
        assert rule("dots", {"dots": 1}).startswith("Cada persona reparte 1 punto ")
        one_ballot = [({"level": 4}, 1)]
        assert explain(counting.count("gradient", {}, [], one_ballot, 5)).startswith(
            "Temperatura tomada: 1 respuesta,"
        )
    with app.test_request_context(headers=EN):
        assert explain(yes_no(1)).endswith("; 1 abstention does not count.")
        assert explain(yes_no(2)).endswith("; 2 abstentions do not count.")


def test_a_weighted_count_of_one_and_a_half_reads_as_plural(app):
    assert [plural_count(v) for v in (0, 1, 2, "3/2", 1.5, "1", None)] == [0, 1, 2, 2, 2, 1, 2]
    result = {
        "explanation": {"key": "simple_majority_yes_exceeds_no", "params": {"abstain": "3/2"}}
    }
    with app.test_request_context(headers=ES):
        assert explain(result).endswith("las 1,5 abstenciones no cuentan.")


@pytest.mark.parametrize("headers", [ES, EN], ids=["es", "en"])
def test_the_scripts_get_every_plural_form_by_cldr_category(app, headers):
    with app.test_request_context(headers=headers):
        strings = js_strings()
        counted = strings["sentences"]["simple_majority_yes_exceeds_no"]
        assert counted["count"] == "abstain" and set(counted["forms"]) >= {"one", "other"}
        assert "{abstain}" in counted["forms"]["one"] and "%(" not in counted["forms"]["other"]
        assert counted["zero"] and strings["sentences"]["empty_base"].startswith("Not adopted") == (
            headers is EN
        )
        progress = strings["phrases"]["progress"]
        if headers is ES:
            assert progress["one"] == "Votó {voted} de {eligible}"
            assert progress["other"] == "Votaron {voted} de {eligible}"
            assert set(progress) == {"one", "many", "other"}  # CLDR: 1.000.000 is "many" in es
            assert strings["phrases"]["dots_left"]["one"] == "Te queda {count} punto de {total}"
        else:
            assert progress == {
                "one": "{voted} of {eligible} has voted",
                "other": "{voted} of {eligible} have voted",
            }
        assert set(PHRASES) == set(strings["phrases"])


def test_quorum_is_worded_by_its_basis_and_number(app):
    from assembly.room.wording import quorum_text, room_js_plurals

    def quorum(basis, represented, eligible, required):
        return {
            "basis": basis,
            "represented": represented,
            "eligible": eligible,
            "required": required,
        }

    with app.test_request_context(headers=ES):
        assert quorum_text(quorum("organisations", 3, 4, 2)) == (
            "3 de 4 organizaciones miembro representadas (quórum: 2)"
        )
        assert quorum_text(quorum("organisations", 1, 1, 1)) == (
            "1 de 1 organización miembro representada (quórum: 1)"
        )
        assert quorum_text(quorum("members", 2, 5, 3)) == (
            "2 de 5 integrantes representadas/os (quórum: 3)"
        )
        forms = room_js_plurals()
        assert forms["quorum_organisations"]["other"] == (
            "{represented} de {eligible} organizaciones miembro representadas (quórum: {required})"
        )
    with app.test_request_context(headers=EN):
        assert quorum_text(quorum("members", 1, 1, 1)) == "1 of 1 member represented (quorum: 1)"


def test_convening_flashes_one_person_notified(client, make_user, make_org, make_meeting):
    admin = make_user(name="Ana Sola")
    org = make_org("Cooperativa Unipersonal", members={admin: "admin"})
    meeting = make_meeting(org, status="draft", place="Galpón de Av. Patricios 1941")
    client.login(admin.email)
    page = client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/convene", follow_redirects=True, headers=ES
    )
    assert "Se avisó a 1 persona." in page.get_data(as_text=True)


def test_agenda_overrun_and_series_are_counted(app, client, coop, make_meeting):
    org, people = coop
    client.login(people["facilitator"].email)
    for planned, words in ((61, "necesita 1 minuto más"), (62, "necesita 2 minutos más")):
        meeting = make_meeting(
            org, minutes=60, items=[{"title": "Balance", "planned_minutes": planned}]
        )
        page = client.get(f"/o/{org.slug}/meetings/{meeting.id}/", headers=ES).get_data(
            as_text=True
        )
        assert words in page, planned
    macro = '{% from "meetings/_when.html" import every %}{{ every(s) }}'
    cases = [
        ("weeks", 1, "cada semana", "every week"),
        ("weeks", 2, "cada 2 semanas", "every 2 weeks"),
        ("months", 1, "cada mes", "every month"),
        ("months", 3, "cada 3 meses", "every 3 months"),
    ]
    for unit, every, spanish, english in cases:
        series = SimpleNamespace(unit=unit, every=every)
        with app.test_request_context(headers=ES):
            assert render_template_string(macro, s=series) == spanish
        with app.test_request_context(headers=EN):
            assert render_template_string(macro, s=series) == english


def test_decision_search_counts_one_decision(app, client, coop):
    from assembly.voting.models import Decision

    org, people = coop
    with app.app_context():
        for title in ("Retiros 2027", "Compra de la plegadora"):
            db.session.add(Decision(organisation_id=org.id, title=title, text=title, tally={}))
        db.session.commit()
    client.login(people["member"].email)
    one = client.get(f"/o/{org.slug}/decisions?q=Retiros", headers=ES).get_data(as_text=True)
    assert "1 decisión contiene “Retiros”." in one
    both = client.get(f"/o/{org.slug}/decisions?q=e", headers=ES).get_data(as_text=True)
    assert "2 decisiones contienen “e”." in both


# --- single words ---------------------------------------------------------------------------------


def test_the_gender_option_reads_other_and_each_other_keeps_its_own_meaning(app, client):
    from assembly.accounts.models import Gender
    from assembly.core.labels import label
    from assembly.meetings.models import AgendaItemKind
    from assembly.organisations.models import OrganisationKind

    with app.test_request_context(headers=ES):
        assert label(Gender.OTHER) == "Otro"
        assert label(AgendaItemKind.OTHER) == "Otro tema"
        assert label(OrganisationKind.OTHER) == "Otra"
    with app.test_request_context(headers=EN):
        assert label(Gender.OTHER) == "Other"
        assert label(AgendaItemKind.OTHER) == "Other matter"


def test_no_two_labelled_enum_members_share_a_label_entry_by_accident():
    """A StrEnum member equals its value: two enums' members with one value would silently be
    one key of LABELS. Every such value is looked up by its enum (SHARED_VALUES)."""
    from enum import Enum

    from assembly.core import labels

    enums = {type(k) for k in labels.LABELS if isinstance(k, Enum)}
    enums |= {enum for enum, _value in labels.SHARED_VALUES}
    owners: dict[str, list] = {}
    for enum in enums:
        for member in enum:
            owners.setdefault(member.value, []).append(member)
    for value, members in owners.items():
        if len(members) > 1:
            for member in members:
                assert (type(member), value) in labels.SHARED_VALUES, member


def test_the_signup_and_profile_forms_offer_otro(app, client, make_user):
    person = make_user()
    client.login(person.email)
    page = client.get("/profile", headers=ES).get_data(as_text=True)
    assert '<option value="other">Otro</option>' in page
    assert "Otro tema" not in page and "Otra identidad" not in page


def _catalog():
    with open(CATALOG, "rb") as f:
        return [m for m in read_po(f) if m.id]


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def test_the_speakers_list_has_one_name_in_each_language():
    other_names = re.compile(
        r"orador|orden de la palabra|lista de (?:la palabra|pedidos)|pedidos de palabra", re.I
    )
    for message in _catalog():
        for form in _forms(message):
            assert not other_names.search(form), (message.id, form)
        english = " ".join(_ids(message))
        if re.search(r"speakers list", english, re.I):
            assert all("lista de intervenciones" in f.lower() for f in _forms(message)), message.id
        assert not re.search(r"\bspeakers\b(?! list)|order of speakers", english, re.I), english
    for folder in ("templates", "assembly", "static"):
        for root, _dirs, files in os.walk(os.path.join(PROJECT, folder)):
            for name in files:
                if name.endswith((".html", ".py", ".js")):
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        source = f.read()
                    assert "Order of speakers" not in source, name
                    assert not other_names.search(source), name


def test_the_room_shows_the_speakers_list_by_its_name(client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org)
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/meetings/{meeting.id}/live", headers=ES).get_data(
        as_text=True
    )
    assert "Lista de intervenciones" in page


def test_script_forms_cover_every_category_babel_knows(app):
    from babel import Locale

    for language in ("es_AR", "en"):
        with app.test_request_context(headers={"Accept-Language": language.replace("_", "-")}):
            forms = script_forms(SENTENCES["gradient_reported"].form)
            assert set(forms) == set(Locale.parse(language).plural_form.tags) | {"other"}


@pytest.mark.browser
@pytest.mark.live
def test_the_room_script_words_counts_as_the_pages_do(app, realistic, browser_page):
    """The room's script builds the results and progress from the forms the server hands over:
    in the browser they read as the server's own pages word them, and Chromium's plural
    categories (Intl.PluralRules) are Babel's for every count."""
    from babel import Locale
    from playwright.sync_api import expect

    world = realistic
    member = world.people["member"]
    page = browser_page(member)
    page.goto(world.live_room)
    expect(page.locator(".poll-card")).to_have_count(3)
    expect(page.locator(".poll-explanation")).to_have_count(2)
    in_room = sorted(page.locator(".poll-explanation").all_inner_texts())
    progress = page.locator(".poll-progress").all_inner_texts()

    client = app.test_client()
    client.login(member.email, member.password)
    on_pages, page_progress = [], []
    for link in page.locator(".poll-card a[href*='/polls/']").evaluate_all(
        "(links) => links.map((a) => new URL(a.href).pathname)"
    ):
        html = client.get(link, headers=ES).get_data(as_text=True)
        on_pages += re.findall(r'<p class="poll-explanation">(.*?)</p>', html)
        page_progress += re.findall(r'<p class="poll-progress">(.*?)</p>', html)
    assert in_room == sorted(on_pages) and len(in_room) == 2
    assert "Votaron 2 de 6" in progress and sorted(progress) == sorted(page_progress)

    counts = [*range(0, 120), 1000, 1_000_000, 1.5]
    for language in ("es-AR", "en"):
        chromium = page.evaluate(
            "([lang, counts]) => counts.map((n) => new Intl.PluralRules(lang).select(n))",
            [language, counts],
        )
        babel = [Locale.parse(language, sep="-").plural_form(n) for n in counts]
        assert chromium == babel, language
