"""A realistic organisation for the browser checks: the demo's networks and people, and in
Factorial (a co-op of RCTPS) a live assembly with speeches, an open poll, a closed ranked
poll, a poll that adopted a proposal, a closed meeting with its figures, a draft, a series, a
saved template, proposals with an amendment and comments, a live problematisation workshop with
cards, a topic and its main points; in RCTPS, a live network plenary and the demo's
participatory process of four workshop sessions.

Everything goes through the services and the room's own socket events, so the pages show
what a real meeting leaves behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from assembly.core.clock import utcnow
from assembly.extensions import db
from tests.conftest import Person

DEMO_PASSWORD = "asamblea"
RANKED_OPTIONS = [
    "Sede nueva en el galpón de Parque Patricios",
    "Seguir en la oficina compartida de Boedo",
    "Alquilar un piso entero en Almagro",
    "Trabajo remoto con encuentros mensuales",
    "Compartir sede con Camba y Gestionar",
]


def person(email: str, name: str) -> Person:
    return Person(0, email, name, DEMO_PASSWORD)


WORKSHOP_QUESTIONS = [
    "¿Cómo se toman hoy las decisiones en la cooperativa?",
    "¿Qué nos falta para sumar socias nuevas?",
]


# The roles the crawl logs in as; ids are filled in by `build`.
PEOPLE = {
    "admin": ("marta@demo.coop", "Marta Giménez"),
    "facilitator": ("nicolas@demo.coop", "Nicolás Herrera"),
    "secretary": ("paula@demo.coop", "Paula Córdoba"),
    "member": ("martin@demo.coop", "Martín Ojeda"),
    "delegate": ("diego@demo.coop", "Diego Sosa"),
}


@dataclass
class World:
    people: dict[str, Person]
    # Values for the URL rules' variables: each dict is one consistent set (same organisation).
    values: list[dict] = field(default_factory=list)
    # Tokens per endpoint (projector, invitation, password reset): one, or a list of them.
    tokens: dict[str, str | list[str]] = field(default_factory=dict)
    live_room: str = ""
    # The organisations each role belongs to (other organisations' pages are "not found").
    slugs: dict[str, set[str]] = field(default_factory=dict)
    # Polls left open: (organisation slug, poll id, e-mail of someone who may close it).
    open_polls: list[tuple[str, int, str]] = field(default_factory=list)


def close_open_polls(base_url: str, world: World) -> None:
    """Close the world's open polls through the shared test server, so that it forgets them:
    the next test's tables start empty and SQLite hands out the same poll ids again."""
    import re

    from tests.live import login

    sessions = {}
    for slug, poll_id, email in world.open_polls:
        http = sessions.get(email) or login(base_url, email, DEMO_PASSWORD)
        sessions[email] = http
        url = f"{base_url}/o/{slug}/polls/{poll_id}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(url, timeout=10).text)
        closed = http.post(f"{url}/close", data={"csrf_token": token.group(1)}, timeout=10)
        assert closed.ok and "/login" not in closed.url, (url, closed.status_code)


def _ok(ack):
    assert isinstance(ack, dict) and ack.get("ok"), ack
    return ack


def build(app, socket_for) -> World:
    from assembly.accounts.models import User
    from assembly.accounts.service import make_reset_token
    from assembly.demo.service import load_demo
    from assembly.meetings import service as meetings
    from assembly.meetings.models import (
        AgendaItem,
        AgendaItemKind,
        MeetingKind,
        MeetingStatus,
        RecurrenceUnit,
        SpeakerPolicy,
    )
    from assembly.organisations.models import Role
    from assembly.organisations.service import invite, organisation_by_slug
    from assembly.proposals import service as proposals
    from assembly.voting import service as voting
    from assembly.voting.models import Eligibility, PollMethod, Weighting

    with app.app_context():
        load_demo()
        users = {
            role: db.session.scalar(select(User).where(User.email == email))
            for role, (email, _name) in PEOPLE.items()
        }
        people = {
            role: Person(u.id, u.email, u.display_name, DEMO_PASSWORD) for role, u in users.items()
        }
        ids = {
            key: db.session.scalar(select(User.id).where(User.email == f"{key}@demo.coop"))
            for key in ("camila", "sol", "lucia")
        }
        factorial = organisation_by_slug("factorial")
        rctps = organisation_by_slug("rctps")
        now = utcnow().replace(microsecond=0)

        def meeting(org, title, kind=MeetingKind.ORDINARY, status=MeetingStatus.CONVENED, **kw):
            m = meetings.create_meeting(
                org,
                title=title,
                kind=kind,
                starts_at=kw.pop("starts_at", now - timedelta(minutes=5)),
                planned_end_at=kw.pop("planned_end_at", now + timedelta(hours=2)),
                place="Galpón de Av. Patricios 1941",
                online_link="",
                facilitator_id=users["facilitator"].id if org is factorial else None,
                secretary_id=users["secretary"].id if org is factorial else None,
                speaker_policy=SpeakerPolicy.PROGRESSIVE,
                speaking_limit_seconds=180,
                **kw,
            )
            m.status = status
            return m

        def items(m, specs):
            for position, (title, kind, minutes, description, children) in enumerate(specs):
                top = AgendaItem(
                    meeting_id=m.id,
                    position=position,
                    title=title,
                    kind=kind,
                    planned_minutes=minutes,
                    description=description,
                )
                db.session.add(top)
                db.session.flush()
                for i, child in enumerate(children):
                    db.session.add(
                        AgendaItem(
                            meeting_id=m.id,
                            parent_id=top.id,
                            position=i,
                            title=child,
                            kind=AgendaItemKind.DEBATE,
                            planned_minutes=10,
                        )
                    )

        agenda = [
            ("Apertura y lectura del acta anterior", AgendaItemKind.INFORMATION, 10, "", []),
            (
                "Retiros 2027",
                AgendaItemKind.DECISION,
                40,
                "Propuesta de la comisión de finanzas: **retiro mensual** ajustado por IPC.",
                ["Informe de la comisión", "Preguntas y propuestas"],
            ),
            ("Sede de la cooperativa", AgendaItemKind.DECISION, 30, "", []),
            ("Revisión de compromisos", AgendaItemKind.COMMITMENTS_REVIEW, 15, "", []),
        ]
        closed = meeting(
            factorial,
            "Asamblea ordinaria de octubre",
            starts_at=now - timedelta(days=30),
            planned_end_at=now - timedelta(days=30) + timedelta(hours=2),
        )
        live = meeting(factorial, "Asamblea ordinaria de noviembre")
        draft = meeting(
            factorial,
            "Asamblea extraordinaria de diciembre",
            kind=MeetingKind.EXTRAORDINARY,
            status=MeetingStatus.DRAFT,
            starts_at=now + timedelta(days=20),
            planned_end_at=now + timedelta(days=20, hours=2),
        )
        plenary = meeting(rctps, "Plenario de la red", kind=MeetingKind.PLENARY)
        workshop = meeting(
            factorial, "Taller de problematización: cómo decidimos", kind=MeetingKind.WORKSHOP
        )
        db.session.flush()
        for position, title in enumerate(WORKSHOP_QUESTIONS):
            db.session.add(
                AgendaItem(
                    meeting_id=workshop.id,
                    position=position,
                    title=title,
                    kind=AgendaItemKind.QUESTION,
                    planned_minutes=30,
                )
            )
        for m in (closed, live, draft):
            items(m, agenda)
        items(plenary, agenda[:2])
        meetings.save_as_template(live, "Asamblea ordinaria de Factorial")
        series = meetings.create_series(
            factorial,
            title="Reunión de trabajo quincenal",
            kind=MeetingKind.WORKING,
            every=2,
            unit=RecurrenceUnit.WEEKS,
            first_starts_at=now + timedelta(days=3),
            duration_minutes=90,
            place="Oficina de Boedo",
            now=now,
        )

        adopted = proposals.create_proposal(
            factorial,
            users["member"],
            title="Retiros 2027: ajuste mensual por IPC",
            body="Que los retiros se ajusten **cada mes** por el IPC del INDEC.",
        )
        proposals.submit(adopted)
        open_proposal = proposals.create_proposal(
            factorial,
            users["secretary"],
            title="Compra conjunta de insumos con la red",
            body="Sumarnos a la compra conjunta de RCTPS.\n\n- licencias\n- equipos\n",
        )
        proposals.submit(open_proposal)
        proposals.add_comment(open_proposal, users["member"], "¿Quién coordina la compra?")
        proposals.support(open_proposal, users["member"])
        proposals.propose_amendment(
            open_proposal,
            users["member"],
            body="Sumarnos a la compra conjunta de RCTPS y de la RCC.\n\n- licencias\n- equipos\n",
            rationale="La RCC también compra equipos.",
        )
        mine = proposals.create_proposal(
            factorial, users["member"], title="Semana de cuatro días", body="Probar en verano."
        )

        all_members = voting.create_poll(
            factorial,
            title="¿Qué día hacemos la fiesta de fin de año?",
            method=PollMethod.SINGLE,
            options=["Viernes 19", "Sábado 20"],
            eligibility=Eligibility.ALL_MEMBERS,
            closes_at=now + timedelta(days=5),
        )
        voting.open_poll(all_members)
        db.session.commit()

        _invitation, link = invite(
            factorial, "nueva.socia@example.coop", Role.MEMBER, actor=users["admin"]
        )
        link_token = link.rstrip("/").rsplit("/", 1)[-1]
        reset_token = make_reset_token(users["member"])
        db.session.commit()
        world = World(people=people)
        world.tokens = {
            "room.projector": [live.projector_token, workshop.projector_token],
            "organisations.invitation": link_token,
            "accounts.reset_password": reset_token,
        }
        live_id, closed_id, draft_id, plenary_id = live.id, closed.id, draft.id, plenary.id
        workshop_id = workshop.id
        series_id = series.id
        adopted_id, open_proposal_id, mine_id = adopted.id, open_proposal.id, mine.id
        all_members_id = all_members.id
        # The demo's RCTPS process of four workshop sessions, and one of its topics.
        from assembly.workshops.models import Process, Topic, WorkshopSession

        process_id = db.session.scalar(
            select(Process.id).where(Process.organisation_id == rctps.id)
        )
        topic_id = db.session.scalar(
            select(Topic.id)
            .join(WorkshopSession, WorkshopSession.meeting_id == Topic.meeting_id)
            .where(WorkshopSession.process_id == process_id, Topic.proposal_id.is_(None))
            .order_by(Topic.id)
            .limit(1)
        )
        item_of = {
            m_id: db.session.scalar(
                select(AgendaItem.id).where(AgendaItem.meeting_id == m_id).limit(1)
            )
            for m_id in (live_id, closed_id, draft_id, plenary_id)
        }

    # The room, through its own events: meetings start, people check in and speak, polls run.
    socks = {role: socket_for(p) for role, p in people.items()}
    # (Outside any app context: test clients inside one would share its `g`, and so a user.)
    extra = {
        key: socket_for(Person(ids[key], f"{key}@demo.coop", key, DEMO_PASSWORD))
        for key in ("camila", "sol", "lucia")
    }

    def room(meeting_id, runner, present):
        for sock in present:
            _ok(sock.emit("join", {"meeting_id": meeting_id}, callback=True))
        _ok(runner.emit("meeting_start", {"meeting_id": meeting_id}, callback=True))
        for sock in present:
            _ok(sock.emit("check_in", {"meeting_id": meeting_id}, callback=True))

    def speak(meeting_id, runner, speakers):
        for sock in speakers:
            request = {"meeting_id": meeting_id, "kind": "contribution"}
            _ok(sock.emit("floor_request", request, callback=True))
        for _ in speakers:
            _ok(runner.emit("floor_next", {"meeting_id": meeting_id}, callback=True))

    def vote(sock, poll_id, choice):
        payload = {"poll_id": poll_id, "choice": choice, "client_id": uuid.uuid4().hex}
        _ok(sock.emit("vote", payload, callback=True))

    factorial_present = [
        socks["facilitator"],
        socks["secretary"],
        socks["member"],
        socks["admin"],
        extra["camila"],
        extra["sol"],
    ]
    room(closed_id, socks["facilitator"], factorial_present)
    speak(closed_id, socks["facilitator"], [socks["member"], extra["camila"], extra["sol"]])
    _ok(socks["facilitator"].emit("meeting_end", {"meeting_id": closed_id}, callback=True))

    room(live_id, socks["facilitator"], factorial_present)
    speak(live_id, socks["facilitator"], [socks["member"], extra["camila"], socks["secretary"]])
    _ok(socks["facilitator"].emit("item_next", {"meeting_id": live_id}, callback=True))
    _ok(
        socks["admin"].emit(
            "floor_request", {"meeting_id": live_id, "kind": "reply"}, callback=True
        )
    )

    def poll(meeting_id, **fields):
        with app.app_context():
            from assembly.meetings.models import Meeting as M
            from assembly.organisations.models import Organisation

            m = db.session.get(M, meeting_id)
            p = voting.create_poll(
                db.session.get(Organisation, m.organisation_id), meeting=m, **fields
            )
            db.session.commit()
            return p.id

    ranked = poll(
        live_id,
        title="¿Dónde ponemos la sede?",
        method=PollMethod.RANKED_IRV,
        options=RANKED_OPTIONS,
    )
    with app.app_context():
        from assembly.voting.models import PollOption

        options = db.session.scalars(
            select(PollOption.id).where(PollOption.poll_id == ranked).order_by(PollOption.position)
        ).all()
    _ok(socks["facilitator"].emit("poll_open", {"poll_id": ranked}, callback=True))
    rankings = [[0, 1, 2], [1, 0], [2, 1, 0], [3, 2, 1], [4, 1], [0, 4, 1]]
    for sock, ranking in zip(factorial_present, rankings, strict=True):
        vote(sock, ranked, {"ranking": [options[i] for i in ranking]})
    _ok(socks["facilitator"].emit("poll_close", {"poll_id": ranked}, callback=True))

    decided = poll(
        live_id, title="¿Aprobamos los retiros 2027?", method=PollMethod.YES_NO, proposal=None
    )
    with app.app_context():
        from assembly.proposals.models import Proposal
        from assembly.voting.models import Poll

        db.session.get(Poll, decided).proposal_id = adopted_id
        db.session.get(Proposal, adopted_id).meeting_id = live_id
        db.session.commit()
    _ok(socks["facilitator"].emit("poll_open", {"poll_id": decided}, callback=True))
    for sock, answer in zip(
        factorial_present, ["yes", "yes", "yes", "no", "abstain", "yes"], strict=True
    ):
        vote(sock, decided, {"vote": answer})
    _ok(socks["facilitator"].emit("poll_close", {"poll_id": decided}, callback=True))

    open_poll = poll(
        live_id, title="¿Hacemos la asamblea de diciembre en la red?", method=PollMethod.YES_NO
    )
    _ok(socks["facilitator"].emit("poll_open", {"poll_id": open_poll}, callback=True))
    vote(socks["secretary"], open_poll, {"vote": "yes"})
    vote(extra["sol"], open_poll, {"vote": "abstain"})

    # The workshop: cards on its first question (one anonymous, one backed), a topic with its
    # main points; the secretary groups.
    room(workshop_id, socks["facilitator"], factorial_present)
    board = _ok(socks["member"].emit("board", {"meeting_id": workshop_id}, callback=True))
    first = board["board"]["questions"][0]["id"]
    settings = {"meeting_id": workshop_id, "anonymous_cards": True, "hidden_until_reveal": False}
    _ok(socks["facilitator"].emit("board_settings", settings, callback=True))

    def card(sock, text, **extra):
        payload = {"meeting_id": workshop_id, "question_id": first, "text": text}
        payload |= {"client_id": uuid.uuid4().hex, **extra}
        return _ok(sock.emit("card_add", payload, callback=True))["card"]["id"]

    grouped = [
        card(socks["member"], "Las decisiones importantes se toman en asamblea"),
        card(extra["camila"], "Decidimos en asamblea, pero llegamos sin información"),
    ]
    card(extra["sol"], "A veces decide quien más habla", anonymous=True)
    card(socks["secretary"], "Falta formación para las socias nuevas")
    _ok(
        socks["admin"].emit(
            "card_back", {"meeting_id": workshop_id, "card_id": grouped[0]}, callback=True
        )
    )
    topic = _ok(
        socks["secretary"].emit(
            "topic_create",
            {
                "meeting_id": workshop_id,
                "question_id": first,
                "title": "La asamblea decide",
                "card_ids": grouped,
            },
            callback=True,
        )
    )["topic_id"]
    points = {
        "meeting_id": workshop_id,
        "topic_id": topic,
        "text": "- La asamblea es **soberana**\n- Falta información antes de votar",
        "base_version": 0,
    }
    _ok(socks["secretary"].emit("main_points_save", points, callback=True))

    # The network plenary: the RCTPS facilitator runs it; delegates check in for their co-ops.
    room(plenary_id, extra["lucia"], [extra["lucia"], socks["admin"], socks["delegate"]])
    weighted = poll(
        plenary_id,
        title="¿Sumamos a Ingecoop a la compra conjunta?",
        method=PollMethod.CONSENT,
        weighting=Weighting.ORGANISATION,
    )
    opened = extra["lucia"].emit("poll_open", {"poll_id": weighted}, callback=True)
    plenary_poll_open = isinstance(opened, dict) and opened.get("ok")

    # Commitments: the co-op's action plan (one from the adopted proposal, one overdue, one
    # done) and the network's, owned by a member co-op through a person of it.
    with app.app_context():
        from assembly.commitments import service as commitments
        from assembly.commitments.models import CommitmentStatus, TimeFrame

        today = commitments.today()
        factorial = organisation_by_slug("factorial")
        secretary = db.session.get(User, people["secretary"].id)
        martin = commitments.OwnerChoice(people["member"].id)
        plan = [
            ("Pedir tres presupuestos de **chapa**", TimeFrame.SHORT, 5, ("proposal", adopted_id)),
            ("Ordenar el depósito", TimeFrame.SHORT, -3, ("meeting", closed_id)),
            ("Armar el fondo de reinversión", TimeFrame.MEDIUM, 60, None),
            ("Capacitación en soldadura", TimeFrame.LONG, 300, None),
        ]
        made = [
            commitments.create_commitment(
                factorial,
                what=what,
                owners=[martin],
                due_on=today + timedelta(days=days),
                time_frame=frame,
                made_by=secretary,
                source=source,
                confirm_past=True,
            )
            for what, frame, days, source in plan
        ]
        commitments.update_commitment(
            made[2], actor=secretary, status=CommitmentStatus.DONE, note="Aprobado en asamblea"
        )
        rctps = organisation_by_slug("rctps")
        through = [c for c, _label in commitments.owner_options(rctps) if c.organisation_id]
        network_owner = through[:1] or [c for c, _label in commitments.owner_options(rctps)][:1]
        network_commitment = commitments.create_commitment(
            rctps,
            what="Relevar la capacidad de cada cooperativa para la compra conjunta",
            owners=network_owner,
            due_on=today + timedelta(days=30),
            time_frame=TimeFrame.SHORT,
            made_by=None,
        )
        db.session.commit()
        commitment_ids = [c.id for c in made]
        network_commitment_id = network_commitment.id

        # Their reminders (one due soon, one overdue) and the member's calendar address.
        from assembly.commitments.feed import new_feed
        from assembly.commitments.reminders import send_reminders

        send_reminders(utcnow())
        new_feed(db.session.get(User, people["member"].id))
        db.session.commit()

    # The closed meeting's minutes (drafted when it closed): corrected once and approved by the
    # member named to approve them, so members read them and the staff see the history.
    with app.app_context():
        from assembly.meetings.models import Meeting as ClosedMeeting
        from assembly.minutes import service as minutes_service

        minutes = minutes_service.minutes_of(db.session.get(ClosedMeeting, closed_id))
        minutes_service.save_version(
            minutes,
            minutes.latest.text + "\nSe deja constancia del informe de la comisión.\n",
            db.session.get(User, people["secretary"].id),
            reason="Faltaba el informe",
        )
        minutes_service.set_approvers(minutes, [people["member"].id])
        minutes_service.approve(minutes, db.session.get(User, people["member"].id))
        db.session.commit()

    world.live_room = f"/o/factorial/meetings/{live_id}/live"
    factorial_values = [
        {"slug": "factorial"},
        *(
            {"slug": "factorial", "meeting_id": m}
            for m in (live_id, closed_id, draft_id, workshop_id)
        ),
        *(
            {"slug": "factorial", "meeting_id": m, "item_id": item_of[m]}
            for m in (live_id, draft_id)
        ),
        {"slug": "factorial", "series_id": series_id},
        *(
            {"slug": "factorial", "poll_id": p}
            for p in (ranked, decided, open_poll, all_members_id)
        ),
        *({"slug": "factorial", "proposal_id": p} for p in (adopted_id, open_proposal_id, mine_id)),
        *({"slug": "factorial", "commitment_id": c} for c in commitment_ids),
    ]
    rctps_values = [
        {"slug": "rctps"},
        {"slug": "rctps", "meeting_id": plenary_id},
        {"slug": "rctps", "meeting_id": plenary_id, "item_id": item_of[plenary_id]},
        *([{"slug": "rctps", "poll_id": weighted}] if plenary_poll_open else []),
        {"slug": "rctps", "process_id": process_id},
        {"slug": "rctps", "process_id": process_id, "topic_id": topic_id},
        {"slug": "rctps", "commitment_id": network_commitment_id},
        {"slug": "camba"},
    ]
    world.values = [{}, *factorial_values, *rctps_values]
    world.open_polls = [
        ("factorial", all_members_id, "nicolas@demo.coop"),
        ("factorial", open_poll, "nicolas@demo.coop"),
        *([("rctps", weighted, "lucia@demo.coop")] if plenary_poll_open else []),
    ]
    world.slugs = {
        "anonymous": set(),
        "member": {"factorial"},
        "facilitator": {"factorial"},
        "secretary": {"factorial"},
        "admin": {"factorial", "rctps"},
        "delegate": {"rctps", "camba"},
    }
    return world
