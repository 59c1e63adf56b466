"""The secretary's live notes per agenda item: who writes and who reads them, stale and oversized
saves, through real Socket.IO events on the in-process test client, and over the network against
a real server with real clients."""

from __future__ import annotations

import pytest

from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting
from assembly.room.notes import NOTES_MAX
from tests.test_live_room import last, ok, refused


def _items(app, meeting_id: int) -> list[int]:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        return [i.id for i in sorted(meeting.items, key=lambda i: i.position)]


def _stored(app, item_id: int) -> tuple[str, int]:
    with app.app_context():
        item = db.session.get(AgendaItem, item_id)
        return item.notes, item.notes_revision


def save(sock, meeting, item_id, text, revision=0):
    payload = {"meeting_id": meeting.id, "item_id": item_id, "text": text, "revision": revision}
    return sock.emit("notes_save", payload, callback=True)


def test_the_secretarys_notes_reach_every_screen_in_the_room(app, room):
    _org, meeting, people, socks = room
    first, _second = _items(app, meeting.id)
    ack = ok(save(socks["secretary"], meeting, first, "Se lee el informe.\n\n- Sin objeciones"))
    assert ack["revision"] == 1
    for role in ("member", "admin", "facilitator"):
        notes = last(socks[role], "state")["notes"]
        assert notes["item_id"] == first
        assert notes["text"] == "Se lee el informe.\n\n- Sin objeciones"
        assert notes["revision"] == 1
        assert notes["saved_by"] == people["secretary"].name and notes["saved_at"]
    # Carriage returns from a browser's textarea are stored as plain line breaks.
    ok(save(socks["secretary"], meeting, first, "Uno\r\nDos", revision=1))
    assert _stored(app, first) == ("Uno\nDos", 2)


def test_the_state_carries_the_current_items_notes_only(app, room):
    _org, meeting, _people, socks = room
    first, second = _items(app, meeting.id)
    ok(save(socks["secretary"], meeting, first, "Notas del primer punto"))
    ok(socks["facilitator"].emit("item_next", {"meeting_id": meeting.id}, callback=True))
    state = last(socks["member"], "state")
    assert state["notes"] == {
        "item_id": second,
        "text": "",
        "revision": 0,
        "saved_by": None,
        "saved_at": None,
    }
    assert "Notas del primer punto" not in str(state)
    # What was being typed when the room moved on is still saved to its own item.
    ok(save(socks["secretary"], meeting, first, "Notas del primer punto, completas", revision=1))
    assert _stored(app, first) == ("Notas del primer punto, completas", 2)
    assert last(socks["member"], "state")["notes"]["item_id"] == second


@pytest.mark.parametrize("role", ["secretary", "facilitator", "admin"])
def test_those_who_edit_the_minutes_write_the_notes(app, room, role):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    ok(save(socks[role], meeting, first, f"Escribe {role}"))
    assert _stored(app, first) == (f"Escribe {role}", 1)


def test_a_member_reads_but_cannot_write(app, room):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    ok(save(socks["secretary"], meeting, first, "Texto de la secretaría"))
    before = last(socks["member"], "state")["version"]
    error = refused(save(socks["member"], meeting, first, "Lo cambio yo", revision=1), "forbidden")
    assert error["status"] == 403
    assert _stored(app, first) == ("Texto de la secretaría", 1)
    assert last(socks["member"], "state")["version"] == before
    assert last(socks["member"], "state")["notes"]["text"] == "Texto de la secretaría"


def test_the_meetings_named_secretary_writes_whatever_their_role(
    app, coop, make_user, make_meeting, socket_for
):
    org, people = coop
    meeting = make_meeting(org, secretary_id=people["member"].id)
    facilitator, named = socket_for(people["facilitator"]), socket_for(people["member"])
    ok(facilitator.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(facilitator.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    first, _second = _items(app, meeting.id)
    ok(save(named, meeting, first, "Notas de quien fue nombrada secretaria"))
    assert _stored(app, first)[1] == 1


def test_nobody_outside_the_organisation_reads_or_writes_them(
    app, room, make_user, make_org, socket_for
):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    ok(save(socks["secretary"], meeting, first, "Reservado a la cooperativa"))
    stranger = make_user("Otra Persona", "otra@example.coop")
    make_org("Otra cooperativa", members={stranger: "admin"})
    for person in (stranger, None):
        sock = socket_for(person)
        if sock.is_connected():
            error = refused(
                sock.emit("join", {"meeting_id": meeting.id}, callback=True), "not_found"
            )
            assert error["status"] == 404
            refused(save(sock, meeting, first, "Intrusión", revision=1), "not_found")
            received = str(sock.get_received())
            assert "Reservado a la cooperativa" not in received
    assert _stored(app, first) == ("Reservado a la cooperativa", 1)


def test_a_save_from_a_revision_someone_else_saved_over_is_refused(app, room):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    ok(save(socks["secretary"], meeting, first, "Versión de la secretaría"))
    version = last(socks["member"], "state")["version"]
    error = refused(
        save(socks["facilitator"], meeting, first, "Versión del facilitador", revision=0),
        "notes_stale",
    )
    assert error["status"] == 409
    assert "Alguien más guardó estas notas" in error["message"]
    assert _stored(app, first) == ("Versión de la secretaría", 1)
    assert last(socks["member"], "state")["version"] == version
    # From the newer revision, the facilitator's save goes through.
    ok(save(socks["facilitator"], meeting, first, "Versión del facilitador", revision=1))
    assert _stored(app, first) == ("Versión del facilitador", 2)
    # A revision from the future is as stale as one from the past.
    refused(save(socks["secretary"], meeting, first, "Otra", revision=7), "notes_stale")


def test_saving_the_same_text_again_changes_nothing_and_is_no_error(app, room):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    first_ack = ok(save(socks["secretary"], meeting, first, "Una vez"))
    again = ok(save(socks["secretary"], meeting, first, "Una vez"))
    assert again["already"] is True and again["revision"] == 1
    again = ok(save(socks["secretary"], meeting, first, "Una vez", revision=1))
    assert again["already"] is True and again["version"] == first_ack["version"]
    assert _stored(app, first) == ("Una vez", 1)


def test_notes_past_the_limit_are_refused_with_a_clear_message(app, room):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    error = refused(
        save(socks["secretary"], meeting, first, "a" * (NOTES_MAX + 1)), "notes_too_long"
    )
    assert error["message"] == (
        "Las notas pueden tener hasta 20.000 caracteres (estas tienen 20.001)."
    )
    assert _stored(app, first) == ("", 0)
    ok(save(socks["secretary"], meeting, first, "a" * NOTES_MAX))
    assert _stored(app, first) == ("a" * NOTES_MAX, 1)


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "x", "revision": -1},
        {"text": "x", "revision": "1"},
        {"text": "x", "revision": True},
        {"text": "x"},
        {"revision": 0},
        {"text": 12, "revision": 0},
        {"text": ["x"], "revision": 0},
        {"text": "x" * (4 * NOTES_MAX + 1), "revision": 0},
        {"item_id": "uno", "text": "x", "revision": 0},
    ],
)
def test_malformed_saves_are_refused_and_nothing_changes(app, room, payload):
    _org, meeting, _people, socks = room
    first, _second = _items(app, meeting.id)
    body = {"meeting_id": meeting.id, "item_id": first, **payload}
    refused(socks["secretary"].emit("notes_save", body, callback=True), "bad_payload")
    assert _stored(app, first) == ("", 0)


def test_an_item_of_another_meeting_is_not_on_this_agenda(app, room, make_meeting):
    org, meeting, _people, socks = room
    other = make_meeting(org, items=("Otro punto",))
    (foreign,) = _items(app, other.id)
    refused(save(socks["secretary"], meeting, foreign, "Fuera de lugar"), "unknown_item")
    assert _stored(app, foreign) == ("", 0)


def test_notes_are_written_only_while_the_meeting_is_live(app, coop, make_meeting, socket_for):
    org, people = coop
    meeting = make_meeting(org)
    secretary, facilitator = socket_for(people["secretary"]), socket_for(people["facilitator"])
    ok(secretary.emit("join", {"meeting_id": meeting.id}, callback=True))
    first, _second = _items(app, meeting.id)
    refused(save(secretary, meeting, first, "Antes de empezar"), "meeting_not_live")
    ok(facilitator.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(save(secretary, meeting, first, "Durante"))
    ok(facilitator.emit("meeting_end", {"meeting_id": meeting.id}, callback=True))
    refused(save(secretary, meeting, first, "Después", revision=1), "meeting_not_live")
    assert _stored(app, first) == ("Durante", 1)


# --- a real server, real clients ---------------------------------------------------------------


@pytest.mark.live
def test_a_members_screen_receives_the_secretarys_notes_over_the_network(
    app, coop, make_meeting, live_client
):
    org, people = coop
    meeting = make_meeting(org, items=("Apertura", "Retiros 2027"))
    facilitator = live_client(people["facilitator"], meeting)
    assert facilitator.call("meeting_start")["ok"]
    secretary = live_client(people["secretary"], meeting)
    member = live_client(people["member"], meeting)
    first, _second = _items(app, meeting.id)
    ack = secretary.call("notes_save", item_id=first, text="Se abre la sesión.", revision=0)
    assert ack["ok"] and ack["revision"] == 1, ack
    member.wait_for(
        lambda latest: latest["state"]["notes"]["text"] == "Se abre la sesión.",
        what="the notes on the member's screen",
    )
    assert member.latest["state"]["notes"]["saved_by"] == people["secretary"].name
    # The member's own attempt is refused, to them alone, and the notes stay as they were.
    refused_ack = member.call("notes_save", item_id=first, text="Mío", revision=1)
    assert refused_ack["ok"] is False and refused_ack["error"]["code"] == "forbidden"
    member.wait_for(lambda latest: latest["error"]["event"] == "notes_save", what="the error")
    assert "error" not in secretary.latest
    # A second save from the same screen follows on, and reaches the member too.
    ack = secretary.call(
        "notes_save", item_id=first, text="Se abre la sesión.\nSe lee el orden.", revision=1
    )
    assert ack["ok"], ack
    member.wait_for(
        lambda latest: (
            latest["state"]["notes"]["revision"] == 2
            and latest["state"]["notes"]["text"].endswith("Se lee el orden.")
        ),
        what="the second save on the member's screen",
    )


@pytest.mark.live
def test_of_simultaneous_saves_from_one_revision_exactly_one_is_kept(
    app, coop, make_meeting, live_client
):
    """Two writers press save at the same moment from the same text: the server keeps one, and
    refuses the other as stale instead of letting it silently overwrite the first."""
    import threading

    org, people = coop
    meeting = make_meeting(org, items=("Apertura",))
    facilitator = live_client(people["facilitator"], meeting)
    assert facilitator.call("meeting_start")["ok"]
    secretary = live_client(people["secretary"], meeting)
    admin = live_client(people["admin"], meeting)
    (first,) = _items(app, meeting.id)
    for round_ in range(5):
        revision = _stored(app, first)[1]
        writers = {"secretary": secretary, "admin": admin, "facilitator": facilitator}
        answers: dict[str, dict] = {}
        ready = threading.Barrier(len(writers))

        def write(role, client, revision=revision, answers=answers, ready=ready, round_=round_):
            ready.wait()
            answers[role] = client.call(
                "notes_save", item_id=first, text=f"{role} {round_}", revision=revision
            )

        threads = [threading.Thread(target=write, args=item) for item in writers.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        won = [role for role, ack in answers.items() if ack["ok"]]
        assert len(won) == 1, answers
        assert all(
            ack["error"]["code"] == "notes_stale" for ack in answers.values() if not ack["ok"]
        ), answers
        assert _stored(app, first) == (f"{won[0]} {round_}", revision + 1)
