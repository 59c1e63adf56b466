"""Minutes (actas): drafted from a real meeting's record when it closes, every figure matching
the record; versions, approval, locking, the hash chain and `verify-minutes`; who reads what."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from assembly.commitments import service as commitments
from assembly.commitments.models import TimeFrame
from assembly.extensions import db
from assembly.meetings.models import Attendance, Meeting, Proxy
from assembly.minutes import service
from assembly.minutes.models import Minutes, MinutesStatus, MinutesVersion
from assembly.organisations.models import Membership, Organisation
from assembly.room.wording import quorum_text
from assembly.voting.explain import explain
from assembly.voting.models import Decision, Poll
from assembly.workshops.models import Topic
from tests.test_live_room import ok
from tests.test_voting_in_the_room import close, vote
from tests.test_voting_ui import client_for, text_of

LATE = 17  # minutes: the meeting started this long before the test checks people in


def _local_clock(moment) -> str:
    """Buenos Aires is UTC-3 all year (no daylight saving): worked out apart from Babel."""
    return (moment - timedelta(hours=3)).strftime("%H:%M")


@pytest.fixture
def record(app, coop, make_user, make_meeting, make_poll, socket_for):
    """A closed assembly of the co-op with a real record: people on time, one late, one who
    left early, one absent who gave a proxy, one absent; a poll voted on; a workshop topic with
    its main points; a commitment; a speech. Returns (org, meeting, people, seconds to close)."""
    org, people = coop
    extra = {
        "late": make_user("Ana Tardía", "ana@coop.example"),
        "leaves": make_user("Bruno Temprano", "bruno@coop.example"),
        "proxy": make_user("Carla Poder", "carla@coop.example"),
        "absent": make_user("Diego Ausente", "diego@coop.example"),
    }
    with app.app_context():
        from assembly.accounts.models import User
        from assembly.organisations.models import Role
        from assembly.organisations.service import add_member

        organisation = db.session.get(Organisation, org.id)
        for person in extra.values():
            add_member(organisation, db.session.get(User, person.id), Role.MEMBER, actor=None)
        db.session.commit()
    people = {**people, **extra}
    meeting = make_meeting(
        org,
        starts_in_minutes=-LATE,
        items=(
            {"title": "Balance 2026", "kind": "decision", "description": "Lo presenta tesorería."},
            {"title": "¿Qué nos falta para producir?", "kind": "problematisation_question"},
        ),
        place="Sede de Avellaneda",
        facilitator_id=people["facilitator"].id,
        secretary_id=people["secretary"].id,
    )
    socks = {role: socket_for(p) for role, p in people.items() if role not in ("absent",)}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    fac = socks["facilitator"]
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    for role in ("facilitator", "secretary", "member", "leaves", "late"):
        ok(socks[role].emit("check_in", {"meeting_id": meeting.id}, callback=True))
    with app.app_context():
        # Everyone but Ana was in the room when it started; she came in now, LATE minutes late.
        m = db.session.get(Meeting, meeting.id)
        for record in db.session.scalars(select(Attendance).where(Attendance.meeting_id == m.id)):
            if record.user_id != people["late"].id:
                record.arrived_at = m.starts_at - timedelta(minutes=2)
        item_ids = [i.id for i in sorted(m.items, key=lambda i: i.position)]
        db.session.commit()
    ok(
        socks["secretary"].emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["proxy"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        )
    )
    poll_id = make_poll(meeting, title="¿Aprobamos el balance 2026?")
    with app.app_context():
        db.session.get(Poll, poll_id).agenda_item_id = item_ids[0]  # as the room links it
        db.session.commit()
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    for role, choice in (
        ("facilitator", "yes"),
        ("secretary", "yes"),
        ("member", "yes"),
        ("late", "no"),
        ("leaves", "abstain"),
    ):
        ok(vote(socks[role], poll_id, {"vote": choice}))
    ok(close(fac, poll_id))
    ok(socks["member"].emit("floor_request", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("floor_end", {"meeting_id": meeting.id}, callback=True))
    ok(socks["leaves"].emit("check_out", {"meeting_id": meeting.id}, callback=True))
    with app.app_context():
        topic = Topic(
            meeting_id=meeting.id,
            agenda_item_id=item_ids[1],
            title="Falta de chapa",
            main_points="Comprar chapa en marzo\nPedir tres presupuestos",
        )
        db.session.add(topic)
        organisation = db.session.get(Organisation, org.id)
        commitments.create_commitment(
            organisation,
            what="Pedir tres presupuestos de chapa",
            owners=[commitments.OwnerChoice(people["late"].id)],
            due_on=commitments.today() + timedelta(days=14),
            time_frame=TimeFrame.SHORT,
            made_by=None,
            source=("agenda_item", item_ids[1]),
        )
        db.session.commit()
    started = time.monotonic()
    ok(fac.emit("meeting_end", {"meeting_id": meeting.id}, callback=True))
    return org, meeting, people, time.monotonic() - started


def _minutes(app, meeting_id) -> tuple[Minutes, str]:
    minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))
    assert minutes is not None, "the minutes are drafted when the meeting closes"
    return minutes, minutes.latest.text


def test_closing_a_meeting_drafts_minutes_whose_every_figure_matches_the_record(app, record):
    org, meeting_ref, people, seconds = record
    assert seconds < 2
    with app.app_context(), force_locale("es_AR"):
        minutes, draft = _minutes(app, meeting_ref.id)
        meeting = db.session.get(Meeting, meeting_ref.id)
        assert minutes.status == MinutesStatus.DRAFT
        assert [(v.number, v.author_id) for v in minutes.versions] == [(1, None)]

        # The header and the opening and closing sentences, in formal Spanish.
        assert "- **Organización:** Cooperativa 7 de Septiembre" in draft
        assert "- **Tipo de reunión:** Asamblea ordinaria" in draft
        assert "- **Lugar:** Sede de Avellaneda" in draft
        start, end = _local_clock(meeting.started_at), _local_clock(meeting.ended_at)
        assert f"- **Inicio:** {start} · **Cierre:** {end}" in draft
        assert "- **Coordinación:** Facilitator Pérez" in draft
        assert "- **Secretaría:** Secretary Pérez" in draft
        assert f"Siendo las {start} del día" in draft
        assert (
            "se inicia la reunión de Cooperativa 7 de Septiembre con la presencia de 5 personas"
            in draft
        )
        assert f"Siendo las {end}, sin más temas que tratar, se da por finalizada" in draft

        # Attendance, as recorded.
        rows = db.session.scalars(
            select(Attendance).where(Attendance.meeting_id == meeting.id)
        ).all()
        assert len(rows) == 5
        assert "- **Presentes (5):** Ana Tardía, Bruno Temprano, Facilitator Pérez, " in draft
        ana = next(r for r in rows if r.user_id == people["late"].id)
        late = math.floor((ana.arrived_at - meeting.starts_at).total_seconds() / 60)
        assert late >= LATE
        assert f"- **Llegaron tarde (1):** Ana Tardía ({late} minutos)" in draft
        bruno = next(r for r in rows if r.user_id == people["leaves"].id)
        assert bruno.left_at is not None
        left = _local_clock(bruno.left_at)
        assert f"- **Se retiraron antes del cierre (1):** Bruno Temprano (a las {left})" in draft
        assert "- **Ausentes (3):** Admin Pérez, Carla Poder y Diego Ausente" in draft
        proxies = db.session.scalars(select(Proxy).where(Proxy.meeting_id == meeting.id)).all()
        assert [(p.grantor_id, p.holder_id, p.revoked_at) for p in proxies] == [
            (people["proxy"].id, people["member"].id, None)
        ]
        assert "- **Representados por poder (1):** Carla Poder, por Member Pérez" in draft

        # The quorum: members, those present at the close plus the proxies they hold.
        eligible = db.session.scalar(
            select(func.count()).where(
                Membership.organisation_id == org.id, Membership.left_at.is_(None)
            )
        )
        present = sum(1 for r in rows if r.left_at is None)
        quorum = {
            "basis": "members",
            "represented": present + len(proxies),
            "eligible": eligible,
            "required": math.ceil(eligible * 50 / 100),
        }
        assert (eligible, quorum["represented"], quorum["required"]) == (8, 5, 4)
        assert f"- **Quórum al cierre:** {quorum_text(quorum)}. Se cuenta con quórum." in draft
        assert "5 de 8 integrantes representadas/os (quórum: 4). Se cuenta con quórum." in draft

        # The agenda, with its description; the poll as the room worded it.
        assert "#### 1. Balance 2026\n\nLo presenta tesorería." in draft
        poll = db.session.scalar(select(Poll).where(Poll.meeting_id == meeting.id))
        result = poll.result
        assert result["counts"] == {"yes": 3, "no": 1, "abstain": 1}
        assert "Se pone a consideración «¿Aprobamos el balance 2026?»" in draft
        assert f"Votaron {result['voted']} de {result['eligible']} habilitados" in draft
        assert "Recuento: Sí: 3 (75 %); No: 1 (25 %); Abstención: 1" in draft
        assert f"**Resultado: Aprobada.** {explain(result, poll.options)}" in draft
        assert "más votos a favor (3) que en contra (1); 1 abstención no cuenta." in draft
        assert "Regla: Mayoría simple" in draft

        # The workshop's topic with its main points, kept in one list item.
        assert "#### 2. ¿Qué nos falta para producir?" in draft
        assert "- **Falta de chapa** — Comprar chapa en marzo\n  Pedir tres presupuestos" in draft

        # Decisions and commitments.
        decision = db.session.scalar(select(Decision).where(Decision.meeting_id == meeting.id))
        assert f"- **{decision.title}**" in draft.split("### Decisiones")[1]
        made = draft.split("### Compromisos asumidos")[1]
        assert "- Pedir tres presupuestos de chapa — responsables: Ana Tardía; plazo:" in made

        # Participation, from room/participation.py.
        assert "- Asistieron 5 de 8 personas habilitadas (62,5 %)." in draft
        assert "- Llegó a horario el 80 % de quienes asistieron." in draft
        assert (
            "- Hicieron uso de la palabra 1 persona, en 1 intervención "
            "(menos de un minuto en total)." in draft
        )


def test_the_draft_is_written_in_spanish_whoever_closes_it(app, room):
    """The facilitator reads the app in English; the minutes are in Spanish all the same."""
    from assembly.accounts.models import User

    _org, meeting_ref, people, socks = room
    with app.app_context():
        db.session.get(User, people["facilitator"].id).locale = "en"
        db.session.commit()
    poll_sock = socks["facilitator"]
    ok(poll_sock.emit("meeting_end", {"meeting_id": meeting_ref.id}, callback=True))
    with app.app_context():
        _minutes_row, draft = _minutes(app, meeting_ref.id)
    assert "Siendo las" in draft and "### Asistencia" in draft
    assert "- **Tipo de reunión:** Asamblea ordinaria" in draft
    assert "integrantes representadas/os" in draft
    assert "Ordinary assembly" not in draft and "represented" not in draft


def test_a_meeting_not_closed_has_no_minutes_and_none_can_be_drafted(app, coop, make_meeting):
    org, _people = coop
    meeting_ref = make_meeting(org)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_ref.id)
        with pytest.raises(Exception) as refused:
            service.draft_minutes(meeting)
        assert getattr(refused.value, "code", "") == "meeting_not_closed"
        assert db.session.scalar(select(func.count()).select_from(Minutes)) == 0


# --- versions, approval, the chain ---------------------------------------------------------


def _user(person):
    from assembly.accounts.models import User

    return db.session.get(User, person.id)


def test_versions_are_kept_approval_locks_and_a_correction_needs_a_reason(app, record):
    _org, meeting_ref, people, _ = record
    with app.app_context():
        minutes, draft = _minutes(app, meeting_ref.id)
        secretary = _user(people["secretary"])
        second = service.save_version(minutes, draft + "\nAgregado.", secretary)
        db.session.commit()
        assert [v.number for v in minutes.versions] == [1, 2]
        assert minutes.versions[0].text == draft  # the first is kept as it was
        service.set_approvers(minutes, [people["member"].id, people["late"].id])
        db.session.commit()
        assert service.approve(minutes, _user(people["member"])) is False
        assert minutes.status == MinutesStatus.DRAFT
        assert service.approve(minutes, _user(people["late"])) is True
        db.session.commit()
        assert minutes.status == MinutesStatus.APPROVED
        assert second.text_sha256 == service.sha256(second.text)
        assert second.previous_chain_sha256 is None
        first_chain = second.chain_sha256

        # Locked: a plain edit is refused and nothing is written.
        with pytest.raises(Exception) as refused:
            service.save_version(minutes, "Otro texto", secretary)
        assert refused.value.code == "minutes_locked"
        db.session.rollback()
        with pytest.raises(Exception) as refused:
            service.save_version(minutes, "Otro texto", secretary, correction=True)
        assert refused.value.code == "reason_required"
        db.session.rollback()
        assert len(minutes.versions) == 2

        third = service.save_version(
            minutes, second.text + "\nFe de erratas.", secretary, reason="Faltaba", correction=True
        )
        db.session.commit()
        assert minutes.status == MinutesStatus.DRAFT and third.reason == "Faltaba"
        assert minutes.published.number == 2  # members still read the approved one
        service.approve(minutes, _user(people["member"]))
        service.approve(minutes, _user(people["late"]))
        db.session.commit()
        assert third.previous_chain_sha256 == first_chain
        assert service.verify(minutes) == []


def test_verify_minutes_names_the_version_whose_stored_text_was_changed(app, record, runner):
    _org, meeting_ref, people, _ = record
    with app.app_context():
        minutes, _draft = _minutes(app, meeting_ref.id)
        service.set_approvers(minutes, [people["member"].id])
        service.approve(minutes, _user(people["member"]))
        db.session.commit()
        minutes_id = minutes.id
        db.session.remove()
    assert runner.invoke(args=["verify-minutes"]).exit_code == 0
    with app.app_context():
        db.session.execute(
            text("UPDATE minutes_version SET text = text || ' (alterado)' WHERE minutes_id = :m"),
            {"m": minutes_id},
        )
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["verify-minutes"])
    assert result.exit_code == 1
    assert f"minutes {minutes_id} (meeting {meeting_ref.id}), version 1" in result.output
    assert "text was changed" in result.output
    # Taking the approval away from the stored row is found too.
    with app.app_context():
        db.session.execute(
            text("UPDATE minutes_version SET approved_at = NULL WHERE minutes_id = :m"),
            {"m": minutes_id},
        )
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["verify-minutes"])
    assert result.exit_code == 1 and "its approval was removed" in result.output


def test_approval_by_a_poll_adopted_at_a_later_meeting(app, record, make_meeting):
    org, meeting_ref, _people, _ = record
    later = make_meeting(org, starts_in_minutes=60 * 24 * 30, title="Asamblea siguiente")
    with app.app_context():
        minutes, _draft = _minutes(app, meeting_ref.id)
        same_meeting_poll = db.session.scalar(select(Poll).where(Poll.meeting_id == meeting_ref.id))
        with pytest.raises(Exception) as refused:
            service.approve_by_poll(minutes, same_meeting_poll.id)
        assert refused.value.code == "bad_poll"
        db.session.rollback()
        # A poll of the later meeting, adopted (copied from the first one's closed state).
        poll = Poll(
            organisation_id=org.id,
            meeting_id=later.id,
            title="¿Aprobamos el acta anterior?",
            method=same_meeting_poll.method,
            config=same_meeting_poll.config,
            status=same_meeting_poll.status,
            result=same_meeting_poll.result,
            closed_at=same_meeting_poll.closed_at,
        )
        db.session.add(poll)
        db.session.commit()
        service.approve_by_poll(minutes, poll.id)
        db.session.commit()
        assert minutes.status == MinutesStatus.APPROVED
        assert minutes.latest.approval_poll_id == poll.id
        assert service.verify(minutes) == []


# --- pages and who reads what ---------------------------------------------------------------


def _url(meeting_ref, tail=""):
    return f"/o/{meeting_ref.org_slug}/meetings/{meeting_ref.id}/minutes{tail}"


def test_members_read_only_approved_minutes_staff_read_and_edit_drafts(app, record):
    _org, meeting_ref, people, _ = record
    member = client_for(app, people["member"])
    secretary = client_for(app, people["secretary"])
    page = text_of(member.get(_url(meeting_ref)))
    assert "Siendo las" not in page  # the draft is not theirs to read
    assert member.get(_url(meeting_ref, "/edit")).status_code == 403
    assert member.get(_url(meeting_ref, "/history")).status_code == 200
    page = text_of(secretary.get(_url(meeting_ref)))
    assert "Siendo las" in page
    # The meeting's page links to its minutes.
    detail = text_of(member.get(f"/o/{meeting_ref.org_slug}/meetings/{meeting_ref.id}/"))
    assert _url(meeting_ref) in detail
    # A forged meeting id is a 404.
    assert member.get(f"/o/{meeting_ref.org_slug}/meetings/999999/minutes").status_code == 404


def test_a_stranger_gets_404_everywhere(app, record, make_user, make_org):
    _org, meeting_ref, _people, _ = record
    stranger = make_user("Extraña", "extrana@otra.example")
    make_org("Otra Cooperativa", members={stranger: "admin"})
    client = client_for(app, stranger)
    for tail in ("", "/edit", "/history", "/compare?old=1&new=1"):
        assert client.get(_url(meeting_ref, tail)).status_code == 404, tail
    assert client.post_form(_url(meeting_ref, "/edit"), {"text": "x"}).status_code == 404


def test_editing_with_preview_saving_and_bad_input(app, record):
    _org, meeting_ref, people, _ = record
    secretary = client_for(app, people["secretary"])
    with app.app_context():
        _minutes_row, draft = _minutes(app, meeting_ref.id)

    def versions():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(MinutesVersion))

    # Preview: rendered and sanitised, nothing saved.
    response = secretary.post_form(
        _url(meeting_ref, "/edit"),
        {"text": draft + "\n<script>alert(1)</script>**firme**", "preview": "1"},
    )
    page = text_of(response)
    assert response.status_code == 200 and "<strong>firme</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert versions() == 1
    # Empty and huge texts: a clear message, nothing written.
    for bad, message in (("   ", "cannot be empty"), ("x" * 200_001, "at most")):
        response = secretary.post_form(
            _url(meeting_ref, "/edit"),
            {"text": bad, "save": "1"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 400 and message in text_of(response)
        assert versions() == 1
    response = secretary.post_form(
        _url(meeting_ref, "/edit"), {"text": draft + "\nSe agrega una aclaración.", "save": "1"}
    )
    assert response.status_code == 302
    assert versions() == 2
    compare = secretary.get(_url(meeting_ref, "/compare?old=1&new=2"))
    assert compare.status_code == 200 and "Se agrega una aclaración." in text_of(compare)
    for query in ("old=1&new=99", "old=x&new=2", "old=-1&new=2", "old=1&new=" + "9" * 40):
        assert secretary.get(_url(meeting_ref, "/compare?" + query)).status_code == 404, query


def test_approved_minutes_are_published_to_members_and_locked_on_the_page(app, record):
    _org, meeting_ref, people, _ = record
    secretary = client_for(app, people["secretary"])
    member = client_for(app, people["member"])
    response = secretary.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["member"].id)]}
    )
    assert response.status_code == 302
    assert member.post_form(_url(meeting_ref, "/approve")).status_code == 302
    page = text_of(member.get(_url(meeting_ref)))
    assert "Siendo las" in page  # approved: the members read it
    response = secretary.post_form(
        _url(meeting_ref, "/edit"),
        {"text": "Cambiado", "save": "1"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 409 and "approved and locked" in text_of(response)
    # Someone not named cannot approve.
    other = client_for(app, people["late"])
    assert other.post_form(_url(meeting_ref, "/approve")).status_code in (302, 403)
    with app.app_context():
        minutes, _ = _minutes(app, meeting_ref.id)
        assert len(minutes.versions) == 1
        assert [a.user_id for a in minutes.latest.approvals] == [people["member"].id]


def test_the_minutes_of_an_old_meeting_without_a_draft_are_drafted_on_first_view(
    app, coop, make_meeting
):
    org, people = coop
    meeting_ref = make_meeting(org, status="closed")
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_ref.id)
        meeting.started_at = meeting.starts_at
        meeting.ended_at = meeting.starts_at + timedelta(hours=1)
        db.session.commit()
    secretary = client_for(app, people["secretary"])
    page = text_of(secretary.get(_url(meeting_ref)))
    assert "Siendo las" in page


# --- roles, refusals, networks ---------------------------------------------------------------


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MinutesVersion))


def _closed(app, make_meeting, org, **fields):
    """A meeting closed earlier, drafted by its first reader (see the lazy-draft test)."""
    meeting_ref = make_meeting(org, status="closed", **fields)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_ref.id)
        meeting.started_at = meeting.starts_at
        meeting.ended_at = meeting.starts_at + timedelta(hours=1)
        db.session.commit()
    return meeting_ref


@pytest.mark.parametrize(
    ("role", "edits", "names_approvers"),
    [
        ("member", False, False),
        ("facilitator", True, False),
        ("secretary", True, True),
        ("admin", True, True),
    ],
)
def test_each_role_edits_and_names_approvers_as_the_permission_table_says(
    app, coop, make_meeting, role, edits, names_approvers
):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org)
    client = client_for(app, people[role])
    assert client.get(_url(meeting_ref)).status_code == 200  # drafts them
    before = _versions(app)
    response = client.post_form(_url(meeting_ref, "/edit"), {"text": "# Acta\nTexto", "save": "1"})
    assert response.status_code == (302 if edits else 403)
    assert _versions(app) == before + (1 if edits else 0)
    response = client.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["member"].id)]}
    )
    assert response.status_code == (302 if names_approvers else 403)
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_ref.id))
        assert [a.user_id for a in minutes.approvers] == (
            [people["member"].id] if names_approvers else []
        )


def test_the_meetings_named_secretary_edits_and_names_approvers_whatever_their_role(
    app, coop, make_meeting
):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org, secretary_id=people["member"].id)
    client = client_for(app, people["member"])
    response = client.post_form(_url(meeting_ref, "/edit"), {"text": "# Acta\nTexto", "save": "1"})
    assert response.status_code == 302
    response = client.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["admin"].id)]}
    )
    assert response.status_code == 302


def test_refused_approvals_and_approvers_change_nothing(app, coop, make_meeting, make_user):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org)
    secretary = client_for(app, people["secretary"])
    secretary.get(_url(meeting_ref))
    stranger = make_user("Extraña", "extrana@otra.example")
    for bad in ([str(stranger.id)], ["abc"], ["99999999"], []):
        secretary.post_form(_url(meeting_ref, "/approvers"), {"approvers-approvers": bad})
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_ref.id))
        assert minutes.approvers == []
    # Nobody named: nobody approves; a forged poll approves nothing.
    member = client_for(app, people["member"])
    assert member.post_form(_url(meeting_ref, "/approve")).status_code == 403
    secretary.post_form(_url(meeting_ref, "/approve-by-poll"), {"poll-poll": "12345"})
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_ref.id))
        assert minutes.status == MinutesStatus.DRAFT
        assert minutes.latest.approvals == [] and minutes.latest.approved_at is None
    # Approving twice is refused the second time, with nothing added.
    secretary.post_form(
        _url(meeting_ref, "/approvers"),
        {"approvers-approvers": [str(people["member"].id), str(people["admin"].id)]},
    )
    member.post_form(_url(meeting_ref, "/approve"))
    response = member.post_form(_url(meeting_ref, "/approve"), follow_redirects=True)
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_ref.id))
        assert [a.user_id for a in minutes.latest.approvals] == [people["member"].id]
        assert minutes.status == MinutesStatus.DRAFT
    assert response.status_code == 200


def _new_member(app, make_user, org):
    from assembly.accounts.models import User
    from assembly.organisations.models import Role
    from assembly.organisations.service import add_member

    person = make_user("Lectora Socia", "lectora@coop.example")
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        add_member(organisation, db.session.get(User, person.id), Role.MEMBER, actor=None)
        db.session.commit()
    return person


def test_a_correction_on_the_page_needs_a_reason_and_keeps_the_approved_version(
    app, coop, make_meeting, make_user
):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org)
    secretary = client_for(app, people["secretary"])
    member = client_for(app, people["member"])
    secretary.get(_url(meeting_ref))
    secretary.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["member"].id)]}
    )
    member.post_form(_url(meeting_ref, "/approve"))
    with app.app_context():
        approved = _minutes(app, meeting_ref.id)[1]
    en = {"Accept-Language": "en"}
    response = secretary.post_form(
        _url(meeting_ref, "/edit"), {"text": "Corregida", "save": "1", "correct": "1"}, headers=en
    )
    assert response.status_code == 400 and "Say why" in text_of(response)
    assert _versions(app) == 1
    response = secretary.post_form(
        _url(meeting_ref, "/edit"),
        {"text": approved + "\nFe de erratas.", "save": "1", "correct": "1", "reason": "Errata"},
    )
    assert response.status_code == 302 and _versions(app) == 2
    # Members still read the approved text, not the correction under way.
    reader = client_for(app, _new_member(app, make_user, org))
    page = text_of(reader.get(_url(meeting_ref)))
    assert "Fe de erratas" not in page and "Siendo las" in page
    assert reader.get(_url(meeting_ref, "/compare?old=1&new=2")).status_code == 404
    # The member is an approver, so the history shows them both; compare escapes the texts.
    compare = text_of(member.get(_url(meeting_ref, "/compare?old=1&new=2")))
    assert "<ins>+Fe de erratas.</ins>" in compare


def test_compare_escapes_what_was_written(app, coop, make_meeting):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org)
    secretary = client_for(app, people["secretary"])
    secretary.get(_url(meeting_ref))
    secretary.post_form(
        _url(meeting_ref, "/edit"), {"text": "<img src=x onerror=alert(1)>", "save": "1"}
    )
    page = text_of(secretary.get(_url(meeting_ref, "/compare?old=1&new=2")))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_network_plenarys_minutes_are_read_by_its_delegates_and_not_by_member_coops(
    app, network_of_one, make_meeting
):
    network = network_of_one.network
    admin, delegate, partner = network_of_one.admin, network_of_one.delegate, network_of_one.partner
    plenary = _closed(app, make_meeting, network, kind="network_plenary")
    network_admin = client_for(app, admin)
    network_admin.get(_url(plenary))
    # The delegate is offered as an approver, and approves.
    assert f'value="{delegate.id}"' in text_of(network_admin.get(_url(plenary)))
    network_admin.post_form(
        _url(plenary, "/approvers"), {"approvers-approvers": [str(delegate.id)]}
    )
    client_for(app, delegate).post_form(_url(plenary, "/approve"))
    page = text_of(client_for(app, delegate).get(_url(plenary)))
    assert "Siendo las" in page  # approved: the delegates read them
    assert "Delegaciones presentes" in page
    # A member of a member co-op who is not a delegate has no standing in the network's
    # records (permissions.standing): the page does not exist for them.
    assert client_for(app, partner).get(_url(plenary)).status_code == 404


def test_a_failure_while_drafting_does_not_stop_the_meeting_from_closing(app, room, monkeypatch):
    from assembly.minutes import service as minutes_service

    def broken(_meeting):
        raise RuntimeError("drafting failed")

    monkeypatch.setattr(minutes_service, "draft_text", broken)
    _org, meeting_ref, people, socks = room
    ok(socks["facilitator"].emit("meeting_end", {"meeting_id": meeting_ref.id}, callback=True))
    with app.app_context():
        assert db.session.get(Meeting, meeting_ref.id).status == "closed"
        assert db.session.scalar(select(func.count()).select_from(Minutes)) == 0
    monkeypatch.undo()
    page = text_of(client_for(app, people["secretary"]).get(_url(meeting_ref)))
    assert "Siendo las" in page  # drafted when first opened


def test_exports_give_the_version_the_reader_may_read(app, coop, make_meeting):
    org, people = coop
    meeting_ref = _closed(app, make_meeting, org, title="Asamblea de marzo")
    secretary = client_for(app, people["secretary"])
    member = client_for(app, people["member"])
    secretary.get(_url(meeting_ref))
    # A draft: the staff download it, members have nothing to download yet.
    response = secretary.get(_url(meeting_ref, "/export.md"))
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert text_of(response).startswith("## Acta: Asamblea de marzo")
    assert "attachment" in response.headers["Content-Disposition"]
    assert member.get(_url(meeting_ref, "/export.md")).status_code == 404
    assert member.get(_url(meeting_ref, "/export.html")).status_code == 404
    secretary.post_form(
        _url(meeting_ref, "/approvers"), {"approvers-approvers": [str(people["admin"].id)]}
    )
    client_for(app, people["admin"]).post_form(_url(meeting_ref, "/approve"))
    page = text_of(member.get(_url(meeting_ref, "/export.html"), headers={"Accept-Language": "en"}))
    assert '<html lang="es">' in page and "<h2>Acta: Asamblea de marzo</h2>" in page
    with app.app_context():
        minutes, _ = _minutes(app, meeting_ref.id)
        assert f"SHA-256 del texto: {minutes.latest.text_sha256}" in page
        assert "aprobada el" in page


def test_a_poll_on_a_proposal_is_put_to_the_meeting_as_that_proposal(app, room, make_poll):
    from assembly.accounts.models import User
    from assembly.proposals.service import create_proposal

    org, meeting_ref, people, socks = room
    with app.app_context():
        proposal = create_proposal(
            db.session.get(Organisation, org.id),
            db.session.get(User, people["member"].id),
            title="Comprar una plegadora",
            body="Con el fondo de reinversión.",
        )
        db.session.commit()
        proposal_id = proposal.id
    poll_id = make_poll(meeting_ref, title="¿Compramos la plegadora?", proposal_id=proposal_id)
    fac = socks["facilitator"]
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    for role in ("facilitator", "member", "secretary"):
        ok(vote(socks[role], poll_id, {"vote": "yes"}))
    ok(close(fac, poll_id))
    ok(fac.emit("meeting_end", {"meeting_id": meeting_ref.id}, callback=True))
    with app.app_context():
        _minutes_row, draft = _minutes(app, meeting_ref.id)
    assert "Se pone a consideración la propuesta «Comprar una plegadora»" in draft
    assert "Recuento: Sí: 3 (100 %); No: 0 (0 %); Abstención: 0." in draft
    assert "- **Comprar una plegadora**: Con el fondo de reinversión." in draft


def test_closing_announces_meeting_closed_once_with_the_meeting(app, room):
    from assembly.core.signals import meeting_closed

    _org, meeting_ref, _people, socks = room
    heard = []

    def listener(meeting, **_kwargs):
        heard.append((meeting.id, meeting.status, meeting.ended_at is not None))

    meeting_closed.connect(listener)
    try:
        ok(socks["facilitator"].emit("meeting_end", {"meeting_id": meeting_ref.id}, callback=True))
    finally:
        meeting_closed.disconnect(listener)
    assert heard == [(meeting_ref.id, "closed", True)]


def test_the_secretarys_live_notes_go_under_their_item_in_the_draft(
    app, coop, make_meeting, socket_for
):
    org, people = coop
    meeting_ref = make_meeting(
        org,
        items=(
            {"title": "Balance 2026", "description": "Lo presenta tesorería."},
            "Compra de chapa",
            "Varios",
        ),
    )
    fac, sec = socket_for(people["facilitator"]), socket_for(people["secretary"])
    ok(fac.emit("join", {"meeting_id": meeting_ref.id}, callback=True))
    ok(fac.emit("meeting_start", {"meeting_id": meeting_ref.id}, callback=True))
    with app.app_context():
        m = db.session.get(Meeting, meeting_ref.id)
        balance, chapa, varios = (i.id for i in sorted(m.items, key=lambda i: i.position))
    notes = {
        balance: "Tesorería lee el balance.\n\n# Observaciones\n- Sin objeciones",
        chapa: "Se piden **tres** presupuestos.",
    }
    for item_id, written in notes.items():
        save = {"meeting_id": meeting_ref.id, "item_id": item_id, "text": written, "revision": 0}
        ok(sec.emit("notes_save", save, callback=True))
    ok(fac.emit("meeting_end", {"meeting_id": meeting_ref.id}, callback=True))
    with app.app_context():
        _minutes_row, draft = _minutes(app, meeting_ref.id)
    balance_part = draft[draft.index("1. Balance 2026") : draft.index("2. Compra de chapa")]
    expected = (
        "Notas de la secretaría:\n\nTesorería lee el balance.\n\n"
        "**Observaciones**\n- Sin objeciones"
    )
    assert balance_part.index("Lo presenta tesorería.") < balance_part.index(expected)
    chapa_part = draft[draft.index("2. Compra de chapa") : draft.index("3. Varios")]
    assert "Notas de la secretaría:\n\nSe piden **tres** presupuestos." in chapa_part
    # An item without notes says nothing about them.
    assert draft.count("Notas de la secretaría:") == 2
    assert "Notas" not in draft[draft.index("3. Varios") :]
    assert varios
