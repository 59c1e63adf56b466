"""Spanish (Argentina) first, English too; every UI string translated; no compile step."""

import os

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from assembly.accounts.models import User
from assembly.extensions import db

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(PACKAGE, "assembly", "translations", "es_AR", "LC_MESSAGES")


def test_spanish_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Iniciar sesión" in page and '<html lang="es-AR">' in page


def test_the_browser_language_is_followed(client):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert "Iniciar sesión" in client.get("/login", headers={"Accept-Language": "es-ES"}).get_data(
        as_text=True
    )
    # A language we do not ship falls through to the next one the browser accepts.
    assert "Log in" in client.get("/login", headers={"Accept-Language": "de, en;q=0.5"}).get_data(
        as_text=True
    )


def test_the_users_preference_wins_over_the_browser(app, client, make_user):
    person = make_user(locale="en")
    client.login(person.email)
    page = client.get("/profile", headers={"Accept-Language": "es-AR"}).get_data(as_text=True)
    assert "My profile" in page


def test_the_language_switch_works_for_visitors_and_is_remembered_for_users(app, client, make_user):
    client.post_form("/language/en?next=/login")
    assert "Log in" in client.get("/login", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    person = make_user()
    client.login(person.email)
    client.post_form("/language/es_AR?next=/")
    with app.app_context():
        assert db.session.get(User, person.id).locale == "es_AR"
    assert client.post_form("/language/xx").status_code == 302  # unknown: ignored


def test_dates_are_formatted_per_locale(client, coop):
    org, people = coop
    client.login(people["member"].email)
    spanish = client.get(f"/o/{org.slug}/members", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "desde" in spanish
    client.post_form("/language/en")
    english = client.get(f"/o/{org.slug}/members").get_data(as_text=True)
    assert "since" in english


# The keywords the README's extraction command passes (Babel's defaults, with `_l`,
# `lazy_gettext` and `lazy_pgettext`); `raw.ngettext` (assembly/core/plurals.py) is an ngettext.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy_gettext": None,
    "_l": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}


def _key(message_id, context) -> tuple[str | None, str]:
    """A message by its context and its (singular) id."""
    return context, message_id[0] if isinstance(message_id, tuple | list) else message_id


def _extracted_msgids() -> set[tuple[str | None, str]]:
    ids = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        PACKAGE,
        method_map=[("assembly/**.py", "python"), ("templates/**.html", "jinja2")],
        keywords=KEYWORDS,
    ):
        ids.add(_key(message, context))
    return ids


def _translated(message) -> bool:
    forms = message.string if isinstance(message.string, tuple | list) else [message.string]
    return bool(message.id) and all(forms)


def test_every_ui_string_has_a_spanish_translation():
    with open(os.path.join(CATALOG, "messages.po"), "rb") as f:
        catalog = read_po(f)
    translated = {_key(m.id, m.context) for m in catalog if _translated(m)}
    missing = sorted(_extracted_msgids() - translated, key=str)
    assert missing == [], f"untranslated: {missing[:20]}"


def test_plural_messages_have_their_plural_forms_in_both_languages():
    """A counted message is extracted with its plural, and Spanish has both of its forms."""
    with open(os.path.join(CATALOG, "messages.po"), "rb") as f:
        catalog = read_po(f)
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n != 1)"
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert len(plurals) >= 20
    for message in plurals:
        assert len(message.string) == 2 and all(message.string), message.id


def test_the_compiled_catalog_matches_its_source():
    def tuples(value):  # plural ids and forms: lists from one reader, tuples from the other
        return tuple(value) if isinstance(value, tuple | list) else value

    def entries(catalog):
        return {(m.context, tuples(m.id)): tuples(m.string) for m in catalog if m.id}

    with open(os.path.join(CATALOG, "messages.po"), "rb") as f:
        source = entries(m for m in read_po(f) if not m.fuzzy)
    with open(os.path.join(CATALOG, "messages.mo"), "rb") as f:
        compiled = entries(read_mo(f))
    assert compiled == source, "run: pybabel compile -d assembly/translations"
