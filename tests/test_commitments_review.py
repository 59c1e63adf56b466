"""The commitments review: every open commitment comes back on each meeting's agenda until it is
closed, the room goes through them live, and each meeting keeps what it reviewed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.commitments import review
from assembly.commitments import service as commitments
from assembly.commitments.models import (
    Commitment,
    CommitmentEvent,
    CommitmentReview,
    CommitmentStatus,
    TimeFrame,
)
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings import service as meetings
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaTemplate,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from assembly.organisations.models import Organisation
from assembly.room import service as room
from tests.acks import ok, refused

REVIEW = AgendaItemKind.COMMITMENTS_REVIEW


def today():
    return commitments.today()


def make_commitment(app, org, owner, *, due_in=10, what="Pedir 3 presupuestos", meeting_id=None):
    with app.app_context():
        commitment = commitments.create_commitment(
            db.session.get(Organisation, org.id),
            what=what,
            owners=[commitments.OwnerChoice(owner.id)],
            due_on=today() + timedelta(days=due_in),
            time_frame=TimeFrame.SHORT,
            made_by=None,
            source=("meeting", meeting_id) if meeting_id else None,
            confirm_past=True,
        )
        db.session.commit()
        return commitment.id


def new_meeting(app, org, *, template=None, kind=MeetingKind.ORDINARY, convened=False, days=7):
    with app.app_context():
        starts = utcnow().replace(microsecond=0) + timedelta(days=days)
        meeting = meetings.create_meeting(
            db.session.get(Organisation, org.id),
            title="Asamblea",
            kind=kind,
            starts_at=starts,
            planned_end_at=starts + timedelta(hours=2),
            place="El galpón",
            template_key=template,
        )
        if convened:
            meeting.status = MeetingStatus.CONVENED
        db.session.commit()
        return meeting.id


def agenda_of(app, meeting_id):
    with app.app_context():
        items = db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id, AgendaItem.parent_id.is_(None))
            .order_by(AgendaItem.position)
        )
        return [(i.title, i.kind.value) for i in items]


def reviewed_ids(app, meeting_id):
    with app.app_context():
        return [
            line.commitment.id for line in review.review_lines(db.session.get(Meeting, meeting_id))
        ]


def saved_template(app, org, items):
    with app.app_context():
        template = AgendaTemplate(
            organisation_id=org.id, name="Nuestra", kind=MeetingKind.ORDINARY, items=items
        )
        db.session.add(template)
        db.session.commit()
        return f"saved:{template.id}"


PLAIN = [
    {"title": "Apertura", "kind": "information", "planned_minutes": 5},
    {"title": "Temas a decidir", "kind": "decision", "planned_minutes": 40},
]


# --- the automatic item ------------------------------------------------------------------------


def test_a_template_with_a_review_item_keeps_its_own(app, coop):
    org, people = coop
    make_commitment(app, org, people["member"])
    meeting_id = new_meeting(app, org, template="builtin:ordinary_assembly")
    agenda = agenda_of(app, meeting_id)
    assert [kind for _t, kind in agenda].count(REVIEW) == 1
    assert ("Revisión de compromisos de la asamblea anterior", REVIEW) in agenda
    assert agenda[0][0] == "Apertura y verificación del quórum"


def test_a_template_without_one_gets_it_at_the_top_when_something_is_open(app, coop):
    org, people = coop
    key = saved_template(app, org, PLAIN)
    before = new_meeting(app, org, template=key)
    assert agenda_of(app, before) == [("Apertura", "information"), ("Temas a decidir", "decision")]

    commitment_id = make_commitment(app, org, people["member"])
    after = new_meeting(app, org, template=key)
    assert agenda_of(app, after) == [
        ("Revisión de compromisos", REVIEW),
        ("Apertura", "information"),
        ("Temas a decidir", "decision"),
    ]
    assert reviewed_ids(app, after) == [commitment_id]
    # The meeting prepared before the commitment was made got one too, at the top.
    assert agenda_of(app, before)[0] == ("Revisión de compromisos", REVIEW)
    assert reviewed_ids(app, before) == [commitment_id]
    # A second commitment adds no second item.
    make_commitment(app, org, people["member"], what="Llamar al contador")
    assert [k for _t, k in agenda_of(app, before)].count(REVIEW) == 1
    assert len(reviewed_ids(app, before)) == 2


def test_no_item_without_open_commitments_nor_in_workshops_or_past_meetings(
    app, coop, make_meeting
):
    org, people = coop
    plain = new_meeting(app, org)
    assert agenda_of(app, plain) == []
    workshop = new_meeting(app, org, kind=MeetingKind.WORKSHOP)
    workshop_tpl = new_meeting(
        app, org, kind=MeetingKind.WORKSHOP, template="builtin:problematisation_session"
    )
    live = make_meeting(org, status="live", items=("Retiros",))
    make_commitment(app, org, people["member"])
    assert agenda_of(app, plain) == [("Revisión de compromisos", REVIEW)]
    assert agenda_of(app, workshop) == []
    assert agenda_of(app, live.id) == [("Retiros", "debate")]
    # The workshop's closing item (agreements and next steps) is not a review.
    assert reviewed_ids(app, workshop_tpl) == []
    # A closed commitment brings no item.
    other = new_meeting(app, org)
    assert agenda_of(app, other)[0][1] == REVIEW


def test_a_workshop_turned_into_an_assembly_gets_one(app, coop):
    org, people = coop
    make_commitment(app, org, people["member"])
    meeting_id = new_meeting(app, org, kind=MeetingKind.WORKSHOP)
    assert agenda_of(app, meeting_id) == []
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        meetings.update_meeting(
            meeting,
            title=meeting.title,
            kind=MeetingKind.ORDINARY,
            starts_at=meeting.starts_at,
            planned_end_at=meeting.planned_end_at,
            place=meeting.place,
            online_link="",
            facilitator_id=None,
            secretary_id=None,
            speaker_policy=meeting.speaker_policy,
            speaking_limit_seconds=180,
        )
        db.session.commit()
    assert agenda_of(app, meeting_id) == [("Revisión de compromisos", REVIEW)]


def test_applying_a_template_adds_no_second_review(app, coop):
    org, people = coop
    make_commitment(app, org, people["member"])
    meeting_id = new_meeting(app, org)
    with app.app_context():
        meetings.apply_template(db.session.get(Meeting, meeting_id), "builtin:ordinary_assembly")
        db.session.commit()
    agenda = agenda_of(app, meeting_id)
    assert [k for _t, k in agenda].count(REVIEW) == 1
    assert agenda[0] == ("Revisión de compromisos", REVIEW)
    assert len(agenda) > 5


def test_commitments_of_another_organisation_stay_out(app, coop, make_org, make_user):
    org, _people = coop
    stranger = make_user()
    other = make_org("Otra cooperativa", members={stranger: "admin"})
    make_commitment(app, other, stranger)
    meeting_id = new_meeting(app, org)
    assert agenda_of(app, meeting_id) == []


# --- deleting --------------------------------------------------------------------------------


def test_the_review_item_cannot_leave_while_commitments_are_open(app, client, coop):
    org, people = coop
    commitment_id = make_commitment(app, org, people["member"])
    meeting_id = new_meeting(app, org)
    with app.app_context():
        item = review.review_item(db.session.get(Meeting, meeting_id))
        item_id = item.id
        with pytest.raises(review.ReviewItemNeeded):
            meetings.delete_item(item)
        db.session.rollback()
        with pytest.raises(review.ReviewItemNeeded):
            meetings.update_item(
                item,
                title=item.title,
                kind=AgendaItemKind.DEBATE,
                planned_minutes=10,
                description="",
                presenter_id=None,
                parent_id=None,
            )
        db.session.rollback()
    # Through the page: a clear message, nothing changed.
    client.login(people["secretary"].email)
    response = client.post_form(
        f"/o/{org.slug}/meetings/{meeting_id}/items/{item_id}/delete", follow_redirects=True
    )
    assert "compromisos" in response.get_data(as_text=True)
    assert agenda_of(app, meeting_id) == [("Revisión de compromisos", REVIEW)]
    # Once nothing is open, it may go.
    with app.app_context():
        commitment = db.session.get(Commitment, commitment_id)
        commitments.update_commitment(commitment, actor=None, status=CommitmentStatus.DONE)
        meetings.delete_item(db.session.get(AgendaItem, item_id))
        db.session.commit()
    assert agenda_of(app, meeting_id) == []
    # Reopened: back on the agenda of every meeting being prepared.
    with app.app_context():
        commitment = db.session.get(Commitment, commitment_id)
        commitments.update_commitment(commitment, actor=None, status=CommitmentStatus.OPEN)
        db.session.commit()
    assert agenda_of(app, meeting_id) == [("Revisión de compromisos", REVIEW)]


# --- carried from meeting to meeting ---------------------------------------------------------


def run_meeting(app, meeting_id, *reviews, actor_id=None):
    """Convene (if needed), start, go to the review, record `reviews` and end the meeting.
    Each review is (commitment_id, fields for review_commitment)."""
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        if meeting.status == MeetingStatus.DRAFT:
            meeting.status = MeetingStatus.CONVENED
        room.start_meeting(meeting)
        item = review.review_item(meeting)
        if item is not None:
            room.go_to_item(meeting, item.id)
        actor = db.session.get(User, actor_id) if actor_id else None
        for commitment_id, fields in reviews:
            review.review_commitment(meeting, commitment_id, actor=actor, **fields)
        room.end_meeting(meeting)
        db.session.commit()


def record_of(app, meeting_id):
    with app.app_context():
        return [
            {
                "id": line.commitment.id,
                "before": line.status_before.value,
                "outcome": line.review.outcome.value if line.review else None,
                "note": line.review.note if line.review else None,
                "new_due_on": line.review.new_due_on if line.review else None,
                "carried": line.review.carried_forward if line.review else None,
            }
            for line in review.review_record(db.session.get(Meeting, meeting_id))
        ]


def test_a_commitment_carried_across_meetings_until_done(app, coop):
    org, people = coop
    facilitator = people["facilitator"].id
    first = new_meeting(app, org, days=1)
    with app.app_context():
        first_meeting = db.session.get(Meeting, first)
        first_meeting.status = MeetingStatus.CONVENED
        room.start_meeting(first_meeting)
        db.session.commit()
    # Meeting 1 makes it: it is not reviewed there, but every meeting being prepared lists it.
    made = make_commitment(app, org, people["member"], meeting_id=first)
    second = new_meeting(app, org, days=2)
    assert agenda_of(app, second)[0] == ("Revisión de compromisos", REVIEW)
    with app.app_context():
        room.end_meeting(db.session.get(Meeting, first))
        db.session.commit()
    assert record_of(app, first) == []

    # Meeting 2: a progress note.
    run_meeting(app, second, (made, {"note": "Llegaron 2 de 3 presupuestos"}), actor_id=facilitator)
    assert record_of(app, second) == [
        {
            "id": made,
            "before": "open",
            "outcome": "open",
            "note": "Llegaron 2 de 3 presupuestos",
            "new_due_on": None,
            "carried": False,
        }
    ]
    # Meeting 3: renegotiated with a new due date.
    third = new_meeting(app, org, days=3)
    new_due = today() + timedelta(days=30)
    run_meeting(
        app,
        third,
        (made, {"status": CommitmentStatus.RENEGOTIATED, "due_on": new_due, "note": "Falta uno"}),
        actor_id=facilitator,
    )
    assert record_of(app, third)[0]["outcome"] == "renegotiated"
    assert record_of(app, third)[0]["new_due_on"] == new_due
    # Meeting 4: done.
    fourth = new_meeting(app, org, days=4)
    assert reviewed_ids(app, fourth) == [made]
    run_meeting(app, fourth, (made, {"status": CommitmentStatus.DONE}), actor_id=facilitator)
    assert record_of(app, fourth)[0] | {"note": ""} == {
        "id": made,
        "before": "renegotiated",
        "outcome": "done",
        "note": "",
        "new_due_on": None,
        "carried": False,
    }
    # Meeting 5 does not list it (nor gets a review item: nothing is open).
    fifth = new_meeting(app, org, days=5)
    assert reviewed_ids(app, fifth) == []
    assert agenda_of(app, fifth) == []

    # Each meeting's record is kept, whatever happened since.
    assert record_of(app, second)[0]["note"] == "Llegaron 2 de 3 presupuestos"
    assert record_of(app, third)[0]["before"] == "open"
    with app.app_context():
        commitment = db.session.get(Commitment, made)
        assert commitment.status == CommitmentStatus.DONE
        assert commitment.due_on == new_due
        kinds = [e.kind for e in commitments.history(commitment)]
        assert kinds == ["created", "note", "status", "due", "status"]
        reviewers = db.session.scalars(select(CommitmentReview.reviewed_by_id)).all()
        assert set(reviewers) == {facilitator}

    # Each meeting's minutes, drafted when it closed, say what its review recorded.
    def minutes_text(meeting_id):
        from assembly.minutes.service import minutes_of

        with app.app_context():
            return minutes_of(db.session.get(Meeting, meeting_id)).latest.text

    second_text = minutes_text(second)
    assert "### Revisión de compromisos" in second_text
    assert "Pedir 3 presupuestos" in second_text and "Llegaron 2 de 3 presupuestos" in second_text
    assert "Se informa su avance" in second_text
    third_text = minutes_text(third)
    assert "pasa a renegociado" in third_text.lower() and "Nuevo plazo" in third_text
    assert "Falta uno" in third_text
    assert "pasa a hecho" in minutes_text(fourth).lower()


def test_unreviewed_ones_are_carried_forward_and_listed_overdue_first(app, coop):
    org, people = coop
    later = make_commitment(app, org, people["member"], due_in=20, what="Pintar el galpón")
    late = make_commitment(app, org, people["member"], due_in=-3, what="Pagar la luz")
    meeting_id = new_meeting(app, org)
    with app.app_context():
        lines = review.review_lines(db.session.get(Meeting, meeting_id))
        assert [(line.commitment.id, line.overdue) for line in lines] == [
            (late, True),
            (later, False),
        ]
    run_meeting(app, meeting_id, (late, {"status": CommitmentStatus.IN_PROGRESS}))
    record = record_of(app, meeting_id)
    assert [(r["id"], r["outcome"], r["carried"]) for r in record] == [
        (late, "in_progress", False),
        (later, "open", True),
    ]
    # Still open: on the next meeting's agenda too.
    assert set(reviewed_ids(app, new_meeting(app, org))) == {late, later}


# --- in the room -----------------------------------------------------------------------------


@pytest.fixture
def reviewing(app, coop, socket_for):
    """A live meeting on its review item, with an open commitment: (org, people, meeting_id,
    commitment_id, sockets by role)."""
    org, people = coop
    commitment_id = make_commitment(app, org, people["member"], due_in=-1, what="Pagar la luz")
    meeting_id = new_meeting(app, org, template="builtin:ordinary_assembly", convened=True)
    socks = {role: socket_for(person) for role, person in people.items()}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting_id}, callback=True))
    ok(socks["facilitator"].emit("meeting_start", {"meeting_id": meeting_id}, callback=True))
    with app.app_context():
        item_id = review.review_item(db.session.get(Meeting, meeting_id)).id
    ok(
        socks["facilitator"].emit(
            "item_go", {"meeting_id": meeting_id, "item_id": item_id}, callback=True
        )
    )
    return org, people, meeting_id, commitment_id, socks


def last_state(sock):
    states = [e["args"][0] for e in sock.get_received() if e["name"] == "state"]
    return states[-1] if states else None


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(CommitmentReview)),
            db.session.scalar(select(func.count()).select_from(CommitmentEvent)),
            db.session.scalar(select(Commitment.status)),
        )


def test_every_screen_shows_the_review_and_sees_outcomes_live(app, reviewing, socket_for):
    org, people, meeting_id, commitment_id, socks = reviewing
    later = make_commitment(
        app, org, people["admin"], due_in=5, what="Pedir **dos** <b>cotizaciones</b>"
    )
    state = ok(socks["member"].emit("join", {"meeting_id": meeting_id}, callback=True))["state"]
    listed = state["commitments_review"]["items"]
    assert [(c["commitment_id"], c["overdue"], c["status"]) for c in listed] == [
        (commitment_id, True, "open"),
        (later, False, "open"),
    ]
    assert listed[1]["what"] == "Pedir dos cotizaciones"  # plain text for the screens
    assert listed[0]["owners"] == ["Member Pérez"] and listed[0]["outcome"] is None
    socks["member"].get_received()

    ack = ok(
        socks["secretary"].emit(
            "commitment_review",
            {
                "meeting_id": meeting_id,
                "commitment_id": commitment_id,
                "status": "blocked",
                "note": "Sin fondos hasta el 10",
            },
            callback=True,
        )
    )
    assert ack["outcome"] == "blocked"
    # The room hears of it once the change is committed.
    socketio_state = last_state(socks["member"])
    assert socketio_state["version"] >= ack["version"]
    outcome = socketio_state["commitments_review"]["items"][0]["outcome"]
    assert outcome["status"] == "blocked" and outcome["note"] == "Sin fondos hasta el 10"
    # Moving on: the list leaves the screens.
    ok(socks["facilitator"].emit("item_next", {"meeting_id": meeting_id}, callback=True))
    state = ok(socks["member"].emit("join", {"meeting_id": meeting_id}, callback=True))["state"]
    assert state["commitments_review"] is None


def test_members_and_outsiders_cannot_review(app, reviewing, make_user, socket_for):
    _org, _people, meeting_id, commitment_id, socks = reviewing
    before = counts(app)
    payload = {"meeting_id": meeting_id, "commitment_id": commitment_id, "status": "done"}
    refused(socks["member"].emit("commitment_review", payload, callback=True), "forbidden")
    outsider = socket_for(make_user())
    refused(outsider.emit("commitment_review", payload, callback=True), "not_found")
    assert counts(app) == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"status": "finished"}, "bad_payload"),
        ({"status": "renegotiated", "due_on": "31/12/2030"}, "bad_payload"),
        ({"status": "renegotiated", "due_on": "2030-02-30"}, "bad_payload"),
        ({"status": "renegotiated", "due_on": 20301231}, "bad_payload"),
        ({"status": "renegotiated"}, "needs_due_date"),
        ({"status": "renegotiated", "due_on": "2020-01-01"}, "due_in_the_past"),
        ({}, "nothing_changed"),
        ({"note": ["x"]}, "bad_payload"),
        ({"note": "x" * 2001}, "bad_value"),
        ({"commitment_id": "abc"}, "bad_payload"),
        ({"commitment_id": 999999}, "not_found"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(app, reviewing, fields, code):
    _org, _people, meeting_id, commitment_id, socks = reviewing
    before = counts(app)
    payload = {"meeting_id": meeting_id, "commitment_id": commitment_id, **fields}
    refused(socks["facilitator"].emit("commitment_review", payload, callback=True), code)
    assert counts(app) == before


def test_another_organisations_commitment_or_one_made_here_is_refused(
    app, reviewing, make_org, make_user
):
    org, people, meeting_id, _commitment_id, socks = reviewing
    stranger = make_user()
    other = make_org("Otra cooperativa", members={stranger: "admin"})
    foreign = make_commitment(app, other, stranger)
    here = make_commitment(app, org, people["member"], meeting_id=meeting_id)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(CommitmentEvent))
    fac = socks["facilitator"]
    payload = {"meeting_id": meeting_id, "status": "done"}
    refused(
        fac.emit("commitment_review", {**payload, "commitment_id": foreign}, callback=True),
        "not_found",
    )
    refused(
        fac.emit("commitment_review", {**payload, "commitment_id": here}, callback=True),
        "not_under_review",
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CommitmentEvent)) == events
        assert db.session.scalar(select(func.count()).select_from(CommitmentReview)) == 0
        assert {c.status for c in db.session.scalars(select(Commitment))} == {CommitmentStatus.OPEN}


def test_a_closed_meeting_is_refused_and_keeps_its_record(app, reviewing):
    _org, _people, meeting_id, commitment_id, socks = reviewing
    fac = socks["facilitator"]
    payload = {"meeting_id": meeting_id, "commitment_id": commitment_id}
    ok(fac.emit("commitment_review", {**payload, "status": "in_progress"}, callback=True))
    ok(fac.emit("commitment_review", {**payload, "note": "Ya se pidió"}, callback=True))
    ok(fac.emit("meeting_end", {"meeting_id": meeting_id}, callback=True))
    before = counts(app)
    refused(
        fac.emit("commitment_review", {**payload, "status": "done"}, callback=True),
        "meeting_not_live",
    )
    assert counts(app) == before
    assert record_of(app, meeting_id) == [
        {
            "id": commitment_id,
            "before": "open",
            "outcome": "in_progress",
            "note": "Ya se pidió",
            "new_due_on": None,
            "carried": False,
        }
    ]


def test_a_dropped_commitment_stays_on_the_review_with_its_outcome(app, reviewing):
    _org, _people, meeting_id, commitment_id, socks = reviewing
    fac = socks["facilitator"]
    payload = {"meeting_id": meeting_id, "commitment_id": commitment_id}
    ok(fac.emit("commitment_review", {**payload, "status": "dropped"}, callback=True))
    # Closed now: it stays on this meeting's list, and changing it again is refused.
    refused(fac.emit("commitment_review", {**payload, "note": "otra"}, callback=True), "closed")
    state = ok(fac.emit("join", {"meeting_id": meeting_id}, callback=True))["state"]
    assert state["commitments_review"]["items"][0]["outcome"]["status"] == "dropped"


# --- the meeting's page and printed agenda ---------------------------------------------------


def test_the_meeting_page_and_printed_agenda_show_what_is_reviewed_then_outcomes(app, client, coop):
    org, people = coop
    commitment_id = make_commitment(app, org, people["member"], what="Pedir la **chapa**")
    meeting_id = new_meeting(app, org, convened=True)
    client.login(people["member"].email)
    for url in (
        f"/o/{org.slug}/meetings/{meeting_id}/",
        f"/o/{org.slug}/meetings/{meeting_id}/print",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "Para revisar: todos los compromisos abiertos" in page
        assert "Pedir la <strong>chapa</strong>" in page
        assert "Member Pérez" in page
    run_meeting(
        app,
        meeting_id,
        (commitment_id, {"status": CommitmentStatus.DONE, "note": "Entregada"}),
        actor_id=people["facilitator"].id,
    )
    for url in (
        f"/o/{org.slug}/meetings/{meeting_id}/",
        f"/o/{org.slug}/meetings/{meeting_id}/print",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "Revisados en esta reunión" in page
        assert "Resultado: <strong>Hecho</strong>" in page
        assert "Entregada" in page
