"""Voting as a room needs it: every decided poll in the register, the roll of who voted (and
what, with an open ballot), ballots recorded by the facilitator for someone present without a
phone, and polls counted by a show of hands."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from assembly.extensions import db
from assembly.voting.models import Decision, Poll, VoteRecord
from tests.test_live_room import ok, refused
from tests.test_voting_ui import client_for, poll_fields, text_of


def cid() -> str:
    return uuid.uuid4().hex


def vote(sock, poll_id, choice, **extra):
    return sock.emit(
        "vote", {"poll_id": poll_id, "choice": choice, "client_id": cid(), **extra}, callback=True
    )


def on_behalf(sock, poll_id, voter_key, choice):
    return sock.emit(
        "vote_on_behalf",
        {"poll_id": poll_id, "voter_key": voter_key, "choice": choice, "client_id": cid()},
        callback=True,
    )


def close(sock, poll_id, **extra):
    return sock.emit("poll_close", {"poll_id": poll_id, **extra}, callback=True)


def options_of(app, poll_id) -> list[int]:
    with app.app_context():
        ids = [o.id for o in db.session.get(Poll, poll_id).options]
        db.session.remove()
    return ids


def roll_of(page: str) -> str:
    match = re.search(r'<section class="card" id="roll".*?</section>', page, re.S)
    return match.group(0) if match else ""


def decisions(app) -> list[Decision]:
    with app.app_context():
        found = db.session.scalars(select(Decision).order_by(Decision.id)).all()
        for d in found:
            db.session.expunge(d)
        return found


# --- the register of decisions ------------------------------------------------------------------


def test_every_poll_that_decides_enters_the_register_with_its_outcome(app, room, make_poll):
    org, meeting, people, socks = room
    fac = socks["facilitator"]
    # An adopted secret poll without a proposal.
    secret_id = make_poll(meeting, title="¿Compramos la plegadora?", secret=True)
    ok(fac.emit("poll_open", {"poll_id": secret_id}, callback=True))
    for role in ("facilitator", "member", "secretary"):
        ok(vote(socks[role], secret_id, {"vote": "yes"}))
    ok(close(fac, secret_id))
    # A ranked choice with a winner.
    ranked_id = make_poll(
        meeting, "ranked_irv", title="Sede", options=["Avellaneda", "Quilmes", "Lanús"]
    )
    ok(fac.emit("poll_open", {"poll_id": ranked_id}, callback=True))
    avellaneda, quilmes, lanus = options_of(app, ranked_id)
    for role, ranking in (
        ("facilitator", [quilmes, lanus]),
        ("member", [quilmes, avellaneda]),
        ("secretary", [lanus, quilmes]),
    ):
        ok(vote(socks[role], ranked_id, {"ranking": ranking}))
    ok(close(fac, ranked_id))
    # A rejected question decides nothing: no entry.
    rejected_id = make_poll(meeting, title="¿Cambiamos el horario?")
    ok(fac.emit("poll_open", {"poll_id": rejected_id}, callback=True))
    for role in ("facilitator", "member", "secretary"):
        ok(vote(socks[role], rejected_id, {"vote": "no"}))
    ok(close(fac, rejected_id))

    entries = decisions(app)
    assert [(d.poll_id, d.title) for d in entries] == [
        (secret_id, "¿Compramos la plegadora?"),
        (ranked_id, "Sede"),
    ]
    assert entries[0].tally["outcome"] == "adopted" and entries[0].meeting_id == meeting.id
    assert entries[1].tally["outcome"] == "chosen" and "Quilmes" in entries[1].text
    page = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/decisions"))
    assert "¿Compramos la plegadora?" in page and "Sede" in page
    assert "Quilmes ganó en la ronda" in page  # the outcome in words, with the option's name
    assert "¿Cambiamos el horario?" not in page


# --- the roll -------------------------------------------------------------------------------


def test_an_open_ballots_page_shows_who_voted_what_and_a_secret_ones_only_who(app, room, make_poll):
    org, meeting, people, socks = room
    fac = socks["facilitator"]
    open_id = make_poll(meeting, title="Abierta")
    secret_id = make_poll(meeting, title="Secreta", secret=True)
    for poll_id in (open_id, secret_id):
        ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
        ok(vote(socks["member"], poll_id, {"vote": "no"}))
        ok(vote(socks["secretary"], poll_id, {"vote": "abstain"}))
    member = client_for(app, people["member"])
    url = f"/o/{org.slug}/polls"

    during = roll_of(text_of(member.get(f"{url}/{open_id}")))
    assert "Quién votó qué" in during and people["secretary"].name in during
    assert "No votó todavía" in during  # the facilitator has not voted yet
    assert "Abstención" not in during  # choices come with the result, not before

    for poll_id in (open_id, secret_id):
        ok(close(fac, poll_id))
    after = roll_of(text_of(member.get(f"{url}/{open_id}")))
    assert "Abstención" in after and "No" in after
    secret_roll = roll_of(text_of(member.get(f"{url}/{secret_id}")))
    assert "Quién votó" in secret_roll and people["secretary"].name in secret_roll
    assert "Abstención" not in secret_roll and "Quién votó qué" not in secret_roll
    assert "Votó" in secret_roll


# --- ballots recorded by the facilitator ----------------------------------------------------------


def test_the_facilitator_records_the_ballot_of_someone_present_without_a_phone(
    app, room, make_poll
):
    org, meeting, people, socks = room
    fac = socks["facilitator"]
    poll_id = make_poll(meeting, title="¿Aprobamos el balance?")
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    member_key = f"u:{people['member'].id}"
    facilitator = client_for(app, people["facilitator"])
    url = f"/o/{org.slug}/polls/{poll_id}"

    page = text_of(facilitator.get(url))
    assert "Registrar el voto de una persona presente" in page
    assert people["member"].name in page and people["admin"].name not in page  # absent
    response = facilitator.post_form(
        f"{url}/vote-on-behalf", {"voter_key": member_key, "vote": "yes", "client_id": cid()}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#roll")
    with app.app_context():
        record = db.session.get(VoteRecord, (poll_id, member_key))
        assert record.cast_by_id == people["facilitator"].id
        db.session.remove()
    # The member's phone now shows the vote is in.
    ballots = ok(socks["member"].emit("poll_ballots", {"meeting_id": meeting.id}, callback=True))
    assert ballots["polls"][str(poll_id)][0]["voted"] is True

    # Over the socket too; refused for someone absent, for a member, and twice.
    secretary_key = f"u:{people['secretary'].id}"
    ok(on_behalf(fac, poll_id, secretary_key, {"vote": "no"}))
    refused(
        on_behalf(fac, poll_id, f"u:{people['admin'].id}", {"vote": "no"}),
        "not_eligible",  # absent: not even in the electorate
    )
    refused(
        on_behalf(socks["member"], poll_id, secretary_key, {"vote": "yes"}),
        "forbidden",
    )
    refused(
        on_behalf(fac, poll_id, secretary_key, {"vote": "yes"}),
        "already_voted",
    )
    # Someone who left the room can no longer have a vote recorded for them.
    ok(
        fac.emit(
            "check_out",
            {"meeting_id": meeting.id, "user_id": people["facilitator"].id},
            callback=True,
        )
    )
    facilitator_key = f"u:{people['facilitator'].id}"
    refused(
        on_behalf(fac, poll_id, facilitator_key, {"vote": "yes"}),
        "voter_absent",
    )
    result = ok(close(fac, poll_id))["result"]
    assert result["counts"] == {"yes": 1, "no": 1, "abstain": 0}
    roll_page = text_of(client_for(app, people["member"]).get(url))
    assert f"emitido por {people['facilitator'].name}" in roll_page


def test_no_one_records_a_secret_ballot_for_someone_else(app, room, make_poll):
    _org, _meeting, people, socks = room
    poll_id = make_poll(_meeting, secret=True)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    refused(
        on_behalf(socks["facilitator"], poll_id, f"u:{people['member'].id}", {"vote": "yes"}),
        "secret_on_behalf",
    )


# --- a show of hands ---------------------------------------------------------------------


def test_a_show_of_hands_is_prepared_opened_and_closed_with_the_counts(app, room):
    org, meeting, people, socks = room
    fac = socks["facilitator"]
    facilitator = client_for(app, people["facilitator"])
    response = facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls",
        poll_fields(title="¿Pintamos el galpón?", show_of_hands="y"),
    )
    assert response.status_code == 302
    with app.app_context():
        poll = db.session.scalar(select(Poll).order_by(Poll.id.desc()))
        poll_id, hands = poll.id, poll.show_of_hands
        db.session.remove()
    assert hands is True
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))  # quorum checked as for any
    refused(vote(socks["member"], poll_id, {"vote": "yes"}), "show_of_hands")
    # Three present can raise at most three hands.
    refused(close(fac, poll_id, hands={"yes": 3, "no": 1}), "too_many_hands")
    refused(close(fac, poll_id, hands={"maybe": 1}), "hands_unknown")
    refused(close(fac, poll_id, hands={"yes": -1}), "hands_count")
    refused(close(fac, poll_id), "hands_missing")
    refused(close(socks["member"], poll_id, hands={"yes": 2}), "forbidden")
    with app.app_context():
        assert db.session.get(Poll, poll_id).status == "open"  # nothing changed
        db.session.remove()
    result = ok(close(fac, poll_id, hands={"yes": 2, "no": 0, "abstain": 1}))["result"]
    assert result["counts"] == {"yes": 2, "no": 0, "abstain": 1}
    assert result["outcome"] == "adopted" and result["voted"] == 3
    assert [d.poll_id for d in decisions(app)] == [poll_id]


def test_the_poll_page_closes_a_show_of_hands_with_its_counts(app, room, make_poll):
    org, meeting, people, socks = room
    poll_id = make_poll(meeting, "single", options=["Lunes", "Jueves"], show_of_hands=True)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    lunes, jueves = options_of(app, poll_id)
    facilitator = client_for(app, people["facilitator"])
    url = f"/o/{org.slug}/polls/{poll_id}"
    page = text_of(facilitator.get(url))
    assert f'name="hands-{lunes}"' in page and "Cerrar con estos números" in page
    too_many = facilitator.post_form(
        f"{url}/close", {f"hands-{lunes}": "3", f"hands-{jueves}": "2"}, follow_redirects=True
    )
    assert "3 manos contadas" in text_of(too_many) or "5 manos contadas" in text_of(too_many)
    facilitator.post_form(f"{url}/close", {f"hands-{lunes}": "1", f"hands-{jueves}": "2"})
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert (
            poll.status == "closed"
            and poll.result["totals"]
            == {
                str(lunes): 1,
                str(jueves): 2,
            }
        ) or poll.result["totals"] == {lunes: 1, jueves: 2}
        db.session.remove()


@pytest.mark.parametrize("kind", ["network_plenary", "problematisation_workshop", None])
def test_the_poll_form_in_a_network_defaults_to_one_organisation_one_vote(
    app, make_user, make_org, make_meeting, kind
):
    chair = make_user(name="Coordinadora")
    network = make_org("Red de Construcción", kind="network", members={chair: "facilitator"})
    client = client_for(app, chair)
    if kind is None:
        url = f"/o/{network.slug}/polls/new"
    else:
        meeting = make_meeting(network, kind=kind)
        url = f"/o/{network.slug}/meetings/{meeting.id}/polls/new"
    page = text_of(client.get(url))
    radios = re.findall(r'<input[^>]*name="weighting"[^>]*>', page)
    checked = [re.search(r'value="(\w+)"', r).group(1) for r in radios if " checked" in r]
    assert checked == ["organisation"], radios


# --- a run-off's tie-break, explained ------------------------------------------------------------


def test_a_run_off_tie_break_is_explained_on_the_polls_page(app, room, make_poll):
    org, meeting, people, socks = room
    fac = socks["facilitator"]
    poll_id = make_poll(meeting, "ranked_irv", title="Sede", options=["Norte", "Sur", "Oeste"])
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    norte, sur, oeste = options_of(app, poll_id)
    # Round 1: one vote each, a three-way tie for the fewest with no earlier round to decide it:
    # Oeste goes, last in the list; its ballot passes to Norte, which wins in round 2.
    for role, ranking in (
        ("facilitator", [norte]),
        ("member", [sur]),
        ("secretary", [oeste, norte]),
    ):
        ok(vote(socks[role], poll_id, {"ranking": ranking}))
    result = ok(close(fac, poll_id))["result"]
    assert result["winners"] == [norte]
    assert result["rounds"][0]["tie_break"] == {"tied": [norte, sur, oeste], "rule": "option_order"}
    page = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/polls/{poll_id}"))
    assert (
        "Ronda 1: Norte, Sur y Oeste empataron con menos votos en esta ronda y en todas las "
        "anteriores; quedó afuera Oeste porque está más abajo en la lista de opciones."
    ) in page
