"""An id past what the database holds, in any URL, is a page that does not exist (404)."""

import re

import pytest
from werkzeug.routing import IntegerConverter

BIG = [2**31, 2**32, 2**63, 2**64, 10**30]  # PostgreSQL's integers end at 2**31, SQLite's at 2**63


def _int_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


def _path(rule, org_slug: str, number: int) -> str:
    """The rule's URL with `number` for every id, the organisation's slug and a made-up token."""
    parts = []
    for converter, _arguments, variable in _parts(rule.rule):
        if converter is None:
            parts.append(variable)
        elif converter == "int":
            parts.append(str(number))
        else:
            parts.append(org_slug if variable == "slug" else "x" * 24)
    return "".join(parts)


def _parts(rule: str):
    """(converter, arguments, variable) for each part of a rule; (None, None, text) for text."""
    position = 0
    for match in re.finditer(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", rule):
        if match.start() > position:
            yield None, None, rule[position : match.start()]
        yield match.group(1) or "default", match.group(2), match.group(3)
        position = match.end()
    if position < len(rule):
        yield None, None, rule[position:]


def test_there_are_id_routes_to_check(app):
    assert len(_int_rules(app)) >= 38


@pytest.mark.parametrize("who", ["anonymous", "member", "admin"])
def test_every_route_answers_404_to_an_id_past_the_database(app, coop, make_meeting, who):
    org, people = coop
    make_meeting(org)  # so that routes find their organisation and something in it
    client = app.test_client()
    if who != "anonymous":
        client.login(people[who].email)
    failures = []
    for rule in _int_rules(app):
        for number in BIG:
            path = _path(rule, org.slug, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                if response.status_code != 404:
                    failures.append((method, path, response.status_code))
    assert failures == []


def test_the_largest_id_both_databases_hold_is_not_an_error(app, coop):
    org, people = coop
    client = app.test_client()
    client.login(people["admin"].email)
    for rule in _int_rules(app):
        path = _path(rule, org.slug, 2**31 - 1)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert client.open(path, method=method).status_code < 500, (method, path)
