"""Commitments: sources linked both ways, history, the action plan, "Mis compromisos", the CSV,
and every bad input and missing right refused with nothing changed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.commitments import service
from assembly.commitments.models import (
    Commitment,
    CommitmentEvent,
    CommitmentStatus,
    TimeFrame,
)
from assembly.core.signals import commitment_changed
from assembly.extensions import db
from assembly.meetings.models import AgendaItem
from assembly.organisations.models import Organisation, Role
from assembly.organisations.service import add_member, add_to_network
from assembly.voting.models import Decision
from assembly.workshops.models import Topic


def today():
    return service.today()


def _make(
    app,
    org,
    owner_ids,
    *,
    made_by=None,
    due_in=10,
    frame="short",
    what="Pedir 3 presupuestos",
    source=None,
    status=None,
):
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        commitment = service.create_commitment(
            organisation,
            what=what,
            owners=[service.OwnerChoice(u) for u in owner_ids],
            due_on=None if due_in is None else today() + timedelta(days=due_in),
            time_frame=TimeFrame(frame),
            made_by=db.session.get(User, made_by) if made_by else None,
            source=source,
            confirm_past=True,
        )
        if status:
            service.update_commitment(commitment, actor=None, status=CommitmentStatus(status))
        db.session.commit()
        return commitment.id


def _count(app, model=Commitment):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(org_slug, client, owners, **fields):
    data = {
        "what": "Pedir presupuestos de **chapa**",
        "owners": owners,
        "due_on": (today() + timedelta(days=14)).isoformat(),
        "time_frame": "short",
    }
    data.update(fields)
    return client.post_form(f"/o/{org_slug}/commitments/new", data)


# --- creation and sources ----------------------------------------------------------------------


def test_secretary_records_a_commitment_with_history(app, client, coop):
    org, people = coop
    client.login(people["secretary"].email)
    response = _form(org.slug, client, [f"u:{people['member'].id}", f"u:{people['admin'].id}"])
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.scalar(select(Commitment))
        assert commitment.made_by_id == people["secretary"].id
        assert {o.user_id for o in commitment.owners} == {people["member"].id, people["admin"].id}
        assert commitment.status == CommitmentStatus.OPEN
        events = service.history(commitment)
        assert [e.kind for e in events] == ["created"]
        assert events[0].actor_id == people["secretary"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>chapa</strong>" in page
    assert "Member Pérez" in page


def _topic(app, meeting_id):
    with app.app_context():
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
        topic = Topic(meeting_id=meeting_id, agenda_item_id=item.id, title="Falta de chapa")
        db.session.add(topic)
        db.session.commit()
        return topic.id, item.id


def _proposal(app, org, person):
    from assembly.proposals.service import create_proposal

    with app.app_context():
        proposal = create_proposal(
            db.session.get(Organisation, org.id),
            db.session.get(User, person.id),
            title="Comprar la plegadora",
            body="Con el fondo de reinversión.",
        )
        db.session.commit()
        return proposal.id


def _decision(app, org, meeting_id, proposal_id=None):
    with app.app_context():
        decision = Decision(
            organisation_id=org.id,
            meeting_id=meeting_id,
            proposal_id=proposal_id,
            title="Compra de la plegadora",
            text="Se compra.",
            tally={"counts": {"yes": 5}, "outcome": "adopted"},
        )
        db.session.add(decision)
        db.session.commit()
        return decision.id


@pytest.mark.parametrize(
    "kind", ["decision", "poll", "proposal", "agenda_item", "topic", "meeting"]
)
def test_creation_from_each_source_links_both_ways(
    app, client, coop, make_meeting, make_poll, kind
):
    org, people = coop
    meeting = make_meeting(org)
    proposal_id = _proposal(app, org, people["admin"])
    topic_id, item_id = _topic(app, meeting.id)
    source_id = {
        "decision": lambda: _decision(app, org, meeting.id, proposal_id),
        "poll": lambda: make_poll(meeting),
        "proposal": lambda: proposal_id,
        "agenda_item": lambda: item_id,
        "topic": lambda: topic_id,
        "meeting": lambda: meeting.id,
    }[kind]()
    client.login(people["admin"].email)
    form_page = client.get(
        f"/o/{org.slug}/commitments/new?source_kind={kind}&source_id={source_id}"
    )
    assert form_page.status_code == 200
    response = _form(
        org.slug,
        client,
        [f"u:{people['member'].id}"],
        source=f"{kind}:{source_id}",
        what=f"Seguimiento de {kind}",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        commitment = db.session.scalar(select(Commitment))
        assert getattr(commitment, f"{kind}_id") == source_id
        assert [c.id for c in service.commitments_from(**{f"{kind}_id": source_id})] == [
            commitment.id
        ]
        cid = commitment.id
    # From the commitment to its source ...
    detail = client.get(f"/o/{org.slug}/commitments/{cid}").get_data(as_text=True)
    assert "Came from" in detail or "Viene de" in detail
    # ... and from the source's page back to the commitment.
    pages = {
        "decision": f"/o/{org.slug}/decisions",
        "proposal": f"/o/{org.slug}/proposals/{proposal_id}/",
    }
    page = pages.get(kind, f"/o/{org.slug}/meetings/{meeting.id}/")
    html = client.get(page).get_data(as_text=True)
    assert f"/o/{org.slug}/commitments/{cid}" in html, kind


def test_a_forged_source_from_another_organisation_is_not_found(
    app, client, coop, make_org, make_meeting
):
    org, people = coop
    other = make_org("Otra cooperativa")
    foreign = make_meeting(other)
    client.login(people["admin"].email)
    response = _form(org.slug, client, [f"u:{people['member'].id}"], source=f"meeting:{foreign.id}")
    assert response.status_code == 404
    assert (
        client.get(
            f"/o/{org.slug}/commitments/new?source_kind=meeting&source_id={foreign.id}"
        ).status_code
        == 404
    )
    assert (
        client.get(f"/o/{org.slug}/commitments/new?source_kind=nonsense&source_id=1").status_code
        == 404
    )
    assert _count(app) == 0


# --- bad input ---------------------------------------------------------------------------------


def test_a_due_date_in_the_past_is_warned_and_allowed_with_confirmation(app, client, coop):
    org, people = coop
    client.login(people["facilitator"].email)
    past = (today() - timedelta(days=3)).isoformat()
    owners = [f"u:{people['member'].id}"]
    response = _form(org.slug, client, owners, due_on=past)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'name="confirm_past"' in html and 'class="warning"' in html
    assert _count(app) == 0
    response = _form(org.slug, client, owners, due_on=past, confirm_past="y")
    assert response.status_code == 302
    assert _count(app) == 1


def test_an_owner_who_is_not_a_member_is_refused(app, client, coop, make_user):
    org, people = coop
    outsider = make_user()
    client.login(people["admin"].email)
    for owners in ([f"u:{outsider.id}"], ["u:99999999"], ["u:abc"], ["x:1"], []):
        response = _form(org.slug, client, owners)
        assert response.status_code == 400, owners
    with app.app_context(), pytest.raises(service.OwnerNotAMember):
        service.create_commitment(
            db.session.get(Organisation, org.id),
            what="x",
            owners=[service.OwnerChoice(outsider.id)],
            due_on=None,
            time_frame=TimeFrame.SHORT,
            made_by=None,
        )
    assert _count(app) == 0


def test_an_organisation_owner_only_in_a_network_and_only_its_members(
    app, client, coop, make_user, make_org
):
    org, people = coop
    worker = make_user()
    member_coop = make_org("Cooperativa Metalúrgica", members={worker: "member"})
    outside_coop = make_org("Cooperativa de afuera", members={worker: "member"})
    admin = make_user()
    network = make_org("Red metalúrgica", kind="network", members={admin: "admin"})
    with app.app_context():
        add_to_network(
            db.session.get(Organisation, network.id), db.session.get(Organisation, member_coop.id)
        )
        db.session.commit()
    # Not a network: refused.
    client.login(people["admin"].email)
    assert _form(org.slug, client, [f"o:{member_coop.id}:{worker.id}"]).status_code == 400
    client.logout()
    client.login(admin.email)
    # An organisation outside the network, or a person not of that organisation: refused.
    assert _form(network.slug, client, [f"o:{outside_coop.id}:{worker.id}"]).status_code == 400
    assert _form(network.slug, client, [f"o:{member_coop.id}:{admin.id}"]).status_code == 400
    assert _count(app) == 0
    form = client.get(f"/o/{network.slug}/commitments/new").get_data(as_text=True)
    assert f"o:{member_coop.id}:{worker.id}" in form
    assert _form(network.slug, client, [f"o:{member_coop.id}:{worker.id}"]).status_code == 302
    with app.app_context():
        owner = db.session.scalar(select(Commitment)).owners[0]
        assert (owner.owner_organisation_id, owner.user_id) == (member_coop.id, worker.id)
    plan = client.get(f"/o/{network.slug}/commitments").get_data(as_text=True)
    assert "Cooperativa Metalúrgica" in plan


def test_over_long_text_is_a_form_error(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    response = _form(
        org.slug, client, [f"u:{people['member'].id}"], what="x" * (service.WHAT_MAX + 1)
    )
    assert response.status_code == 400
    assert _count(app) == 0
    cid = _make(app, org, [people["member"].id])
    response = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/update", {"note": "y" * (service.NOTE_MAX + 1)}
    )
    assert response.status_code == 400
    assert _count(app, CommitmentEvent) == 1
    # Dates no calendar has, and nonsense statuses.
    for data in ({"status": "finished"}, {"status": "renegotiated", "due_on": "2027-02-30"}):
        assert client.post_form(f"/o/{org.slug}/commitments/{cid}/update", data).status_code == 400
    assert _count(app, CommitmentEvent) == 1


# --- rights ------------------------------------------------------------------------------------


def test_members_read_owners_update_only_their_own(app, client, coop, make_user, make_org):
    org, people = coop
    other_member = make_user()
    with app.app_context():
        add_member(
            db.session.get(Organisation, org.id),
            db.session.get(User, other_member.id),
            Role.MEMBER,
            actor=None,
        )
        db.session.commit()
    cid = _make(app, org, [people["member"].id])
    client.login(other_member.email)
    assert client.get(f"/o/{org.slug}/commitments/{cid}").status_code == 200
    assert client.get(f"/o/{org.slug}/commitments/new").status_code == 403
    assert client.get(f"/o/{org.slug}/commitments/{cid}/edit").status_code == 403
    response = client.post_form(f"/o/{org.slug}/commitments/{cid}/update", {"status": "done"})
    assert response.status_code == 403
    client.logout()
    client.login(people["member"].email)
    assert client.get(f"/o/{org.slug}/commitments/{cid}/edit").status_code == 403
    response = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/update", {"status": "in_progress", "note": "Pedí dos"}
    )
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, cid)
        assert commitment.status == CommitmentStatus.IN_PROGRESS
        status_event = service.history(commitment)[-1]
        assert (status_event.kind, status_event.old_value, status_event.new_value) == (
            "status",
            "open",
            "in_progress",
        )
        assert status_event.note == "Pedí dos"


def test_a_dropped_commitment_cannot_be_updated_until_reopened(app, client, coop):
    org, people = coop
    cid = _make(app, org, [people["member"].id], status="dropped")
    client.login(people["facilitator"].email)
    before = _count(app, CommitmentEvent)
    url = f"/o/{org.slug}/commitments/{cid}/update"
    assert client.post_form(url, {"note": "Algo más"}).status_code == 400
    assert client.post_form(url, {"status": "done"}).status_code == 400
    assert client.get(f"/o/{org.slug}/commitments/{cid}/edit").status_code == 302
    edit = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/edit",
        {"what": "Otra cosa", "owners": [f"u:{people['member'].id}"], "time_frame": "long"},
    )
    assert edit.status_code == 302
    assert _count(app, CommitmentEvent) == before
    with app.app_context():
        commitment = db.session.get(Commitment, cid)
        assert commitment.what == "Pedir 3 presupuestos"
        assert commitment.closed_at is not None
    assert client.post_form(url, {"status": "open", "note": "Lo retomamos"}).status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, cid)
        assert commitment.status == CommitmentStatus.OPEN and commitment.closed_at is None
    assert client.post_form(url, {"note": "Ahora sí"}).status_code == 302


def test_renegotiating_needs_a_new_due_date_and_records_it(app, client, coop):
    org, people = coop
    cid = _make(app, org, [people["member"].id])
    client.login(people["secretary"].email)
    url = f"/o/{org.slug}/commitments/{cid}/update"
    assert client.post_form(url, {"status": "renegotiated"}).status_code == 400
    new_due = today() + timedelta(days=60)
    response = client.post_form(url, {"status": "renegotiated", "due_on": new_due.isoformat()})
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, cid)
        assert commitment.due_on == new_due
        kinds = [(e.kind, e.new_value) for e in service.history(commitment)]
        assert ("status", "renegotiated") in kinds and ("due", new_due.isoformat()) in kinds
    html = client.get(f"/o/{org.slug}/commitments/{cid}").get_data(as_text=True)
    assert 'id="history"' in html


def test_edit_records_what_changed(app, client, coop):
    org, people = coop
    cid = _make(app, org, [people["member"].id])
    client.login(people["admin"].email)
    response = client.post_form(
        f"/o/{org.slug}/commitments/{cid}/edit",
        {
            "what": "Pedir 4 presupuestos",
            "owners": [f"u:{people['member'].id}", f"u:{people['secretary'].id}"],
            "time_frame": "medium",
            "due_on": (today() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        fields = {
            e.field: (e.old_value, e.new_value)
            for e in service.history(db.session.get(Commitment, cid))
            if e.kind == "edited"
        }
    assert fields["what"] == ("Pedir 3 presupuestos", "Pedir 4 presupuestos")
    assert fields["time_frame"] == ("short", "medium")
    assert "owners" in fields


def test_changes_are_announced(app, coop):
    org, people = coop
    seen = []

    def listener(sender, **kw):
        seen.append(kw["kind"])

    commitment_changed.connect(listener)
    try:
        cid = _make(app, org, [people["member"].id])
        with app.app_context():
            service.update_commitment(db.session.get(Commitment, cid), actor=None, note="Avance")
            db.session.commit()
    finally:
        commitment_changed.disconnect(listener)
    assert seen == ["created", "note"]


def test_no_role_of_one_organisation_reaches_another_organisations_commitments(
    app, client, coop, make_org, make_user
):
    org, people = coop
    other_people = {r: make_user() for r in ("admin", "facilitator", "secretary", "member")}
    other = make_org("Otra cooperativa", members={p: r for r, p in other_people.items()})
    foreign = _make(app, other, [other_people["member"].id])
    own = _make(app, org, [people["member"].id])
    for role, person in people.items():
        client.login(person.email)
        for method, url, data in (
            ("get", f"/o/{other.slug}/commitments", None),
            ("get", f"/o/{other.slug}/commitments.csv", None),
            ("get", f"/o/{other.slug}/commitments/new", None),
            (
                "post",
                f"/o/{other.slug}/commitments/new",
                {"what": "x", "owners": [f"u:{person.id}"], "time_frame": "short"},
            ),
            ("get", f"/o/{other.slug}/commitments/{foreign}", None),
            ("get", f"/o/{other.slug}/commitments/{foreign}/edit", None),
            (
                "post",
                f"/o/{other.slug}/commitments/{foreign}/edit",
                {"what": "x", "owners": [f"u:{person.id}"], "time_frame": "short"},
            ),
            ("post", f"/o/{other.slug}/commitments/{foreign}/update", {"status": "done"}),
            # A forged id: another organisation's commitment under one's own organisation.
            ("get", f"/o/{org.slug}/commitments/{foreign}", None),
            ("get", f"/o/{org.slug}/commitments/{foreign}/edit", None),
            ("post", f"/o/{org.slug}/commitments/{foreign}/update", {"status": "done"}),
            (
                "post",
                f"/o/{org.slug}/commitments/{foreign}/edit",
                {"what": "x", "owners": [f"u:{person.id}"], "time_frame": "short"},
            ),
            ("get", f"/o/{org.slug}/commitments/{2**40}", None),
        ):
            response = client.get(url) if method == "get" else client.post_form(url, data)
            assert response.status_code == 404, (role, method, url)
        mine = client.get("/commitments/mine").get_data(as_text=True)
        assert f"/commitments/{foreign}" not in mine
        client.logout()
    with app.app_context():
        commitment = db.session.get(Commitment, foreign)
        assert commitment.status == CommitmentStatus.OPEN
        assert len(service.history(commitment)) == 1
        assert _count(app) == 2 and own


# --- the action plan ---------------------------------------------------------------------------


def test_action_plan_groups_by_time_frame_with_progress(app, client, coop):
    org, people = coop
    m = people["member"].id
    _make(app, org, [m], frame="short", what="Corto uno", status="done")
    _make(app, org, [m], frame="short", what="Corto dos")
    _make(app, org, [m], frame="short", what="Corto tres", status="dropped")
    _make(app, org, [m], frame="medium", what="Mediano uno", status="done")
    _make(app, org, [people["admin"].id], frame="long", what="Largo uno", status="blocked")
    with app.app_context():
        groups = service.action_plan(service.commitments_of(db.session.get(Organisation, org.id)))
        progress = {g.time_frame: (g.done, g.counted, g.percent) for g in groups}
    assert progress == {"short": (1, 2, 50), "medium": (1, 1, 100), "long": (0, 1, 0)}
    client.login(people["member"].email)
    html = client.get(f"/o/{org.slug}/commitments").get_data(as_text=True)
    assert html.index("Corto dos") < html.index("Mediano uno") < html.index("Largo uno")
    assert '<progress max="2" value="1"' in html
    filtered = client.get(f"/o/{org.slug}/commitments?status=blocked").get_data(as_text=True)
    assert "Largo uno" in filtered and "Corto dos" not in filtered
    by_owner = client.get(f"/o/{org.slug}/commitments?owner={people['admin'].id}").get_data(
        as_text=True
    )
    assert "Largo uno" in by_owner and "Corto dos" not in by_owner
    by_frame = client.get(f"/o/{org.slug}/commitments?time_frame=medium").get_data(as_text=True)
    assert "Mediano uno" in by_frame and "Corto dos" not in by_frame
    # Nonsense filters are ignored, never a 500.
    assert (
        client.get(f"/o/{org.slug}/commitments?status=x&owner=-1&time_frame=%00").status_code == 200
    )


# --- Mis compromisos ---------------------------------------------------------------------------


def test_mine_sections_and_two_tap_update(app, client, coop, make_org):
    org, people = coop
    me = people["member"]
    other = make_org("Otra cooperativa", members={me: "member"})
    overdue = _make(app, org, [me.id], due_in=-2, what="Atrasado")
    soon = _make(app, org, [me.id], due_in=3, what="Pronto")
    later = _make(app, other, [me.id], due_in=40, what="Más adelante")
    done = _make(app, org, [me.id], what="Terminado", status="done")
    made = _make(app, org, [people["admin"].id], made_by=me.id, what="Lo anoté yo")
    _make(app, org, [people["admin"].id], what="De otra persona")
    client.login(me.email)
    html = client.get("/commitments/mine").get_data(as_text=True)
    assert "De otra persona" not in html

    def section(name):
        start = html.index(f'id="section-{name}"')
        return html[start : html.index("</section>", start)]

    assert "Atrasado" in section("overdue")
    assert "Pronto" in section("due_soon")
    assert "Más adelante" in section("open") and "Lo anoté yo" in section("open")
    assert "Terminado" in section("closed")
    # One small form per commitment of mine, one button per status.
    soon_form = html[html.index(f"/o/{org.slug}/commitments/{soon}/update") :]
    soon_form = soon_form[: soon_form.index("</form>")]
    assert 'name="status" value="done"' in soon_form
    assert 'name="status" value="in_progress"' in soon_form
    # Made by me but owned by someone else: no buttons for me (I am a plain member).
    assert f"/commitments/{made}/update" not in html
    filtered = client.get(f"/commitments/mine?organisation={other.id}").get_data(as_text=True)
    assert "Más adelante" in filtered and "Atrasado" not in filtered
    by_status = client.get("/commitments/mine?status=done").get_data(as_text=True)
    assert "Terminado" in by_status and "Pronto" not in by_status
    # Two taps: open the page, press "Hecho".
    response = client.post_form(
        f"/o/{org.slug}/commitments/{soon}/update?next=/commitments/mine", {"status": "done"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/commitments/mine"
    )
    with app.app_context():
        assert db.session.get(Commitment, soon).status == CommitmentStatus.DONE
    # A refusal from there goes back there with a message, nothing changed.
    response = client.post_form(
        f"/o/{org.slug}/commitments/{done}/update?next=/commitments/mine", {"status": "blocked"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Commitment, done).status == CommitmentStatus.DONE
    assert overdue and later


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_export_parses_back_and_neutralises_formulas(app, client, coop):
    org, people = coop
    _make(app, org, [people["member"].id], what='=HYPERLINK("http://evil")')
    _make(
        app,
        org,
        [people["member"].id],
        what="Pedir presupuestos, «chapa»",
        frame="long",
        status="done",
    )
    client.login(people["member"].email)
    response = client.get(f"/o/{org.slug}/commitments.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 3
    body = {row[1]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in body
    done = body["Pedir presupuestos, «chapa»"]
    assert "Member Pérez" in done[2]
    assert done[4] in ("Long term", "Largo plazo")
    assert done[5] in ("Done", "Hecho")
    assert all(cell[:1] not in "=+-@" or cell == "" for row in rows for cell in row)


def test_a_person_named_for_a_member_organisation_sees_and_updates_only_that(
    app, client, make_user, make_org
):
    """Not a delegate, so no standing in the network: still they read and update the network's
    commitment they answer for (page, Mis compromisos, reminders, calendar), and nothing else of
    the network; once their organisation leaves the network, or they leave it, it is not theirs."""
    from datetime import datetime, time

    from assembly.commitments.feed import open_commitments
    from assembly.commitments.reminders import send_reminders
    from assembly.meetings.models import Notification
    from assembly.organisations.models import Membership, NetworkMembership

    worker = make_user()
    member_coop = make_org("Cooperativa Metalúrgica", members={worker: "member"})
    admin = make_user()
    network = make_org("Red metalúrgica", kind="network", members={admin: "admin"})
    with app.app_context():
        add_to_network(
            db.session.get(Organisation, network.id), db.session.get(Organisation, member_coop.id)
        )
        organisation = db.session.get(Organisation, network.id)
        theirs = service.create_commitment(
            organisation,
            what="Comprar la chapa en conjunto",
            owners=[service.OwnerChoice(worker.id, member_coop.id)],
            due_on=today() + timedelta(days=3),
            time_frame=TimeFrame.SHORT,
            made_by=None,
        )
        other = service.create_commitment(
            organisation,
            what="Rotar la plegadora",
            owners=[service.OwnerChoice(admin.id)],
            due_on=today() + timedelta(days=3),
            time_frame=TimeFrame.SHORT,
            made_by=None,
        )
        db.session.commit()
        theirs_id, other_id = theirs.id, other.id
    page = f"/o/{network.slug}/commitments/{theirs_id}"
    client.login(worker.email)
    assert client.get(page).status_code == 200
    assert "Comprar la chapa en conjunto" in client.get("/commitments/mine").get_data(as_text=True)
    # Nothing else of the network.
    assert client.get(f"/o/{network.slug}/commitments/{other_id}").status_code == 404
    assert client.get(f"/o/{network.slug}/commitments").status_code == 404
    assert client.get(f"/o/{network.slug}/").status_code == 404
    # Marked done in two taps, and reopened.
    assert client.post_form(f"{page}/update", {"status": "in_progress"}).status_code == 302
    with app.app_context():
        assert db.session.get(Commitment, theirs_id).status == CommitmentStatus.IN_PROGRESS
        assert [c.id for c in open_commitments(db.session.get(User, worker.id))] == [theirs_id]
        send_reminders(datetime.combine(today(), time(12)))
        db.session.commit()
        reminded = db.session.scalars(select(Notification.user_id)).all()
        assert sorted(reminded) == sorted([worker.id, admin.id])
        # Their organisation leaves the network: the commitment is no longer theirs to reach.
        link = db.session.scalar(
            select(NetworkMembership).where(NetworkMembership.member_id == member_coop.id)
        )
        link.left_at = service.utcnow()
        db.session.commit()
    assert client.get(page).status_code == 404
    assert client.post_form(f"{page}/update", {"status": "done"}).status_code == 404
    assert "Comprar la chapa" not in client.get("/commitments/mine").get_data(as_text=True)
    with app.app_context():
        assert open_commitments(db.session.get(User, worker.id)) == []
        assert db.session.get(Commitment, theirs_id).status == CommitmentStatus.IN_PROGRESS
        # Back in the network, but the person has left the organisation: not theirs either.
        link = db.session.scalar(
            select(NetworkMembership).where(NetworkMembership.member_id == member_coop.id)
        )
        link.left_at = None
        membership = db.session.scalar(select(Membership).where(Membership.user_id == worker.id))
        membership.left_at = service.utcnow()
        db.session.commit()
    assert client.get(page).status_code == 404
