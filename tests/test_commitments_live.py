"""Commitments recorded live in the room: through real Socket.IO events on the in-process test
client (rights, bad input, resends), and against a real server with real network clients.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assembly.commitments import service
from assembly.commitments.models import Commitment, CommitmentEvent, CommitmentStatus
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.voting.models import Decision
from tests.acks import ok, refused


def last(sock, name):
    latest = sock.__dict__.setdefault("_latest", {})
    for event in sock.get_received():
        latest[event["name"]] = event["args"][0]
    assert name in latest, f"no {name} event received"
    return latest[name]


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Commitment.id))),
            db.session.scalar(select(func.count(CommitmentEvent.id))),
        )


def due(days=14):
    return (service.today() + timedelta(days=days)).isoformat()


def _decision(app, org_id, meeting_id, title="Compra de la plegadora"):
    with app.app_context():
        decision = Decision(
            organisation_id=org_id,
            meeting_id=meeting_id,
            title=title,
            text="Se compra.",
            tally={"counts": {"yes": 5}, "outcome": "adopted"},
        )
        db.session.add(decision)
        db.session.commit()
        return decision.id


def record(sock, meeting, **fields):
    payload = {"meeting_id": meeting.id, "what": "Pedir **3** presupuestos", "due_on": due()}
    payload.update(fields)
    return sock.emit("commitment_record", payload, callback=True)


def test_the_secretary_records_from_the_current_item_and_every_screen_sees_it(app, room):
    _org, meeting, people, socks = room
    member = people["member"]
    ack = ok(record(socks["secretary"], meeting, owners=[f"u:{member.id}"], client_id="c-1"))
    state = last(socks["member"], "state")
    (shown,) = state["commitments"]
    assert shown["id"] == ack["commitment_id"]
    assert shown["what"] == "<p>Pedir <strong>3</strong> presupuestos</p>"
    assert shown["owners"] == [{"user_id": member.id, "name": member.name, "organisation": None}]
    assert shown["due_on"] == due() and shown["status"] == "open"
    assert shown["time_frame"] == "short"
    current = next(i for i in state["agenda"] if i["id"] == state["current_item_id"])
    assert shown["source"] == current["title"]
    with app.app_context():
        commitment = db.session.get(Commitment, ack["commitment_id"])
        assert commitment.agenda_item_id == current["id"]
        assert commitment.meeting_id == meeting.id
        assert commitment.made_by_id == people["secretary"].id
    # The projector follows the same state.
    assert last(socks["facilitator"], "state")["commitments"][0]["id"] == shown["id"]


def test_a_resend_with_the_same_client_id_records_one_commitment(app, room):
    _org, meeting, people, socks = room
    owners = [f"u:{people['member'].id}"]
    first = ok(record(socks["secretary"], meeting, owners=owners, client_id="abc"))
    again = ok(record(socks["secretary"], meeting, owners=owners, client_id="abc"))
    assert again["commitment_id"] == first["commitment_id"] and again["already"]
    # Another person's screen may happen to use the same id: that is their own recording.
    other = ok(record(socks["facilitator"], meeting, owners=owners, client_id="abc"))
    assert other["commitment_id"] != first["commitment_id"]
    assert counts(app)[0] == 2


def test_from_a_decision_just_taken_named_by_decision_or_poll(app, room, make_poll):
    org, meeting, people, socks = room
    decision_id = _decision(app, org.id, meeting.id)
    owners = [f"u:{people['member'].id}"]
    ack = ok(record(socks["facilitator"], meeting, owners=owners, decision_id=decision_id))
    poll_id = make_poll(meeting)
    by_poll = ok(record(socks["facilitator"], meeting, owners=owners, poll_id=poll_id))
    with app.app_context():
        assert db.session.get(Commitment, ack["commitment_id"]).decision_id == decision_id
        # A poll without a decision yet is itself the source.
        assert db.session.get(Commitment, by_poll["commitment_id"]).poll_id == poll_id
    shown = last(socks["member"], "state")["commitments"]
    assert shown[0]["source"] == "Compra de la plegadora"


def test_a_member_cannot_record_and_nothing_changes(app, room):
    _org, meeting, people, socks = room
    before = counts(app)
    refused(record(socks["member"], meeting, owners=[f"u:{people['member'].id}"]), "forbidden")
    assert counts(app) == before


def test_a_named_secretary_who_is_a_plain_member_may_record(app, room, make_user):
    _org, meeting, people, socks = room
    with app.app_context():
        db.session.get(Meeting, meeting.id).secretary_id = people["member"].id
        db.session.commit()
    ok(record(socks["member"], meeting, owners=[f"u:{people['member'].id}"]))


def test_another_organisations_meeting_or_decision_is_not_found(
    app, room, make_org, make_meeting, make_poll
):
    _org, meeting, people, socks = room
    other = make_org("Otra cooperativa")
    foreign = make_meeting(other, status="live")
    foreign_decision = _decision(app, other.id, foreign.id)
    foreign_poll = make_poll(foreign)
    owners = [f"u:{people['member'].id}"]
    before = counts(app)
    sock = socks["admin"]
    refused(record(sock, foreign, owners=owners), "not_found")
    refused(record(sock, meeting, owners=owners, decision_id=foreign_decision), "not_found")
    refused(record(sock, meeting, owners=owners, poll_id=foreign_poll), "not_found")
    # Another meeting of the same organisation is not "a decision just taken" here either.
    same_org_other_meeting = _decision(app, _org.id, None)
    refused(record(sock, meeting, owners=owners, decision_id=same_org_other_meeting), "not_found")
    assert counts(app) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"due_on": "2027-02-30"}, "bad_payload"),
        ({"due_on": "mañana"}, "bad_payload"),
        ({"due_on": 20270101}, "bad_payload"),
        ({"due_on": "2001-01-01"}, "due_in_the_past"),
        ({"what": "   "}, "bad_value"),
        ({"what": None}, "bad_payload"),
        ({"owners": []}, "no_owner"),
        ({"owners": "u:abc"}, "owner_not_a_member"),
        ({"owners": {"u": 1}}, "bad_payload"),
        ({"time_frame": "forever"}, "bad_payload"),
        ({"client_id": "x" * 65}, "bad_payload"),
        ({"confirm_past": "yes"}, "bad_payload"),
        ({"decision_id": "x"}, "bad_payload"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(app, room, fields, code):
    _org, meeting, people, socks = room
    before = counts(app)
    payload = {"owners": [f"u:{people['member'].id}"], **fields}
    refused(record(socks["secretary"], meeting, **payload), code)
    assert counts(app) == before


def test_a_past_due_date_is_recorded_when_confirmed(app, room):
    _org, meeting, people, socks = room
    ok(
        record(
            socks["secretary"],
            meeting,
            owners=[f"u:{people['member'].id}"],
            due_on="2001-01-01",
            confirm_past=True,
        )
    )


def test_an_owner_who_is_not_a_member_is_refused(app, room, make_user, make_org):
    _org, meeting, people, socks = room
    outsider = make_user()
    make_org("Otra cooperativa", members={outsider: "member"})
    before = counts(app)
    error = refused(
        record(socks["secretary"], meeting, owners=[f"u:{outsider.id}"]), "owner_not_a_member"
    )
    assert error["message"]
    # A person of a member organisation is for a network's commitments only.
    refused(
        record(socks["secretary"], meeting, owners=[f"o:1:{people['member'].id}"]),
        "organisation_owner",
    )
    assert counts(app) == before


def test_recording_needs_the_meeting_live(app, coop, make_meeting, socket_for):
    org, people = coop
    meeting = make_meeting(org)  # convened
    sock = socket_for(people["secretary"])
    refused(record(sock, meeting, owners=[f"u:{people['member'].id}"]), "meeting_not_live")
    assert counts(app) == (0, 0)


def test_an_owner_marks_their_own_done_others_cannot(app, room, make_user):
    org, meeting, people, socks = room
    ack = ok(record(socks["secretary"], meeting, owners=[f"u:{people['member'].id}"]))
    cid = ack["commitment_id"]
    before = counts(app)
    # A member who is not the owner may not.
    with app.app_context():
        from assembly.accounts.models import User
        from assembly.organisations.models import Organisation, Role
        from assembly.organisations.service import add_member

        other = make_user(name="Otra Socia")
        add_member(
            db.session.get(Organisation, org.id),
            db.session.get(User, other.id),
            Role.MEMBER,
            actor=None,
        )
        db.session.commit()
    other_sock = _socket(app, other)
    ok(other_sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    update = {"meeting_id": meeting.id, "commitment_id": cid, "status": "done"}
    refused(other_sock.emit("commitment_update", update, callback=True), "forbidden")
    assert counts(app) == before
    answer = ok(socks["member"].emit("commitment_update", update, callback=True))
    assert answer["status"] == "done"
    assert last(socks["secretary"], "state")["commitments"][0]["status"] == "done"
    with app.app_context():
        assert db.session.get(Commitment, cid).status == CommitmentStatus.DONE
    other_sock.disconnect()


def _socket(app, person):
    from assembly.extensions import socketio

    http = app.test_client()
    http.login(person.email, person.password)
    return socketio.test_client(app, flask_test_client=http)


def test_staff_update_any_with_a_note_or_a_renegotiated_date(app, room):
    _org, meeting, people, socks = room
    cid = ok(record(socks["secretary"], meeting, owners=[f"u:{people['admin'].id}"]))[
        "commitment_id"
    ]
    base = {"meeting_id": meeting.id, "commitment_id": cid}
    ok(socks["facilitator"].emit("commitment_update", {**base, "note": "Ya llamé"}, callback=True))
    ok(
        socks["secretary"].emit(
            "commitment_update",
            {**base, "status": "renegotiated", "due_on": due(30)},
            callback=True,
        )
    )
    shown = last(socks["member"], "state")["commitments"][0]
    assert shown["status"] == "renegotiated" and shown["due_on"] == due(30)
    # Without a socket's meeting (from "Mis compromisos" on the phone) the rights are the same.
    ok(
        socks["secretary"].emit(
            "commitment_update", {**base, "status": "in_progress"}, callback=True
        )
    )


def test_bad_updates_are_refused_and_nothing_changes(app, room, make_org, make_meeting):
    _org, meeting, people, socks = room
    cid = ok(record(socks["secretary"], meeting, owners=[f"u:{people['member'].id}"]))[
        "commitment_id"
    ]
    other = make_org("Otra cooperativa")
    foreign = make_meeting(other, status="live")
    before = counts(app)
    sock = socks["secretary"]
    base = {"meeting_id": meeting.id, "commitment_id": cid}
    cases = [
        ({**base, "status": "finished"}, "bad_payload"),
        ({**base, "status": "renegotiated"}, "needs_due_date"),
        ({**base, "status": "renegotiated", "due_on": "2001-01-01"}, "due_in_the_past"),
        ({**base, "status": "renegotiated", "due_on": "31/12/2027"}, "bad_payload"),
        ({**base, "note": "x" * (service.NOTE_MAX + 1)}, "bad_payload"),
        ({**base, "note": 3}, "bad_payload"),
        (base, "nothing_changed"),
        ({**base, "commitment_id": 2**31 - 1, "status": "done"}, "not_found"),
        ({**base, "commitment_id": "x", "status": "done"}, "bad_payload"),
        ({"meeting_id": foreign.id, "commitment_id": cid, "status": "done"}, "not_found"),
    ]
    for payload, code in cases:
        refused(sock.emit("commitment_update", payload, callback=True), code)
    assert counts(app) == before
    # A dropped one is closed: an owner's "done" is refused until it is reopened.
    ok(sock.emit("commitment_update", {**base, "status": "dropped"}, callback=True))
    before = counts(app)
    refused(
        socks["member"].emit("commitment_update", {**base, "note": "hecho"}, callback=True),
        "closed",
    )
    assert counts(app) == before


def test_another_organisations_commitment_is_not_found(app, room, make_org, make_user):
    _org, _meeting, _people, socks = room
    outsider = make_user()
    other = make_org("Otra cooperativa", members={outsider: "admin"})
    with app.app_context():
        from assembly.organisations.models import Organisation

        foreign = service.create_commitment(
            db.session.get(Organisation, other.id),
            what="Ajeno",
            owners=[service.OwnerChoice(outsider.id)],
            due_on=None,
            time_frame="short",
            made_by=None,
        )
        db.session.commit()
        foreign_id = foreign.id
    before = counts(app)
    for sock in socks.values():
        refused(
            sock.emit(
                "commitment_update", {"commitment_id": foreign_id, "status": "done"}, callback=True
            ),
            "not_found",
        )
    assert counts(app) == before


def test_a_change_anywhere_refreshes_every_live_meeting_of_the_organisation_only(
    app, client, room, make_meeting, make_org, make_user, socket_for
):
    org, meeting, people, socks = room
    cid = ok(record(socks["secretary"], meeting, owners=[f"u:{people['member'].id}"]))[
        "commitment_id"
    ]
    # Another live meeting of the same co-op (a commission), and a live one of another co-op.
    commission = make_meeting(org, status="live", title="Comisión de compras")
    outsider = socket_for(people["member"])
    ok(outsider.emit("join", {"meeting_id": commission.id}, callback=True))
    stranger = make_user()
    foreign = make_meeting(make_org("Otra cooperativa", members={stranger: "admin"}), status="live")
    foreign_sock = socket_for(stranger)
    ok(foreign_sock.emit("join", {"meeting_id": foreign.id}, callback=True))
    for sock in (socks["facilitator"], outsider, foreign_sock):
        sock.get_received()
    # The owner marks it done on the commitment's own page (no socket involved).
    client.login(people["member"].email)
    response = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/update", {"status": "done", "note": ""}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert last(socks["facilitator"], "state")["commitments"][0]["status"] == "done"
    received = [e["name"] for e in outsider.get_received()]
    assert "state" in received  # the commission's room was told too ...
    assert "state" not in [e["name"] for e in foreign_sock.get_received()]  # ... not another's
    # A refused change sends nothing: the organisation's rooms hear of no new version.
    before = last(socks["facilitator"], "state")["version"]
    response = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/update", {"status": "", "note": ""}
    )
    assert response.status_code == 400
    assert "state" not in [e["name"] for e in socks["facilitator"].get_received()]
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).version == before


# --- a real server, real clients ---------------------------------------------------------------


@pytest.mark.live
def test_recorded_and_done_reach_another_client_over_the_network(
    app, coop, make_meeting, live_client
):
    org, people = coop
    meeting = make_meeting(org, status="live")
    secretary = live_client(people["secretary"], meeting)
    member = live_client(people["member"], meeting)
    ack = secretary.call(
        "commitment_record",
        what="Llamar al proveedor",
        owners=[f"u:{people['member'].id}"],
        due_on=due(),
        client_id="live-1",
    )
    assert ack["ok"], ack
    cid = ack["commitment_id"]
    member.wait_for(
        lambda latest: [c["id"] for c in latest["state"]["commitments"]] == [cid],
        what="the commitment on the member's screen",
    )
    done = member.call("commitment_update", commitment_id=cid, status="done")
    assert done["ok"], done
    secretary.wait_for(
        lambda latest: latest["state"]["commitments"][0]["status"] == "done",
        what="done on the secretary's screen",
    )
    # A resend after a lost answer changes nothing.
    again = secretary.call(
        "commitment_record",
        what="Llamar al proveedor",
        owners=[f"u:{people['member'].id}"],
        due_on=due(),
        client_id="live-1",
    )
    assert again["ok"] and again["already"] and again["commitment_id"] == cid
    assert counts(app)[0] == 1
