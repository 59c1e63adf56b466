"""How long closing a big assembly takes to draft its minutes: `assembly bench minutes` (target:
under 2 s, issue 11).

One large, realistic ordinary assembly is built through the services the room uses (meetings,
room check-in and check-out, proxies, the secretary's notes, polls, the workshop board,
commitments and their review); only the members and the ballots are written straight into the
database, in bulk, as the voting writer would store them. Then the meeting is closed once through
`room.service.end_meeting` (which drafts the minutes, as closing does), and the draft is written
again `runs` times by `minutes.drafting.draft_text`, each in a new session so nothing comes from
the ORM's identity map.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from datetime import timedelta

from assembly.bench.common import add_people, bench_app, fresh_database, say

PARAGRAPH = (
    "Se informa sobre el estado del punto y se abre el debate. {who} plantea que la "
    "cooperativa necesita ordenar las compras de insumos antes del cierre del trimestre, y "
    "propone pedir presupuestos a tres proveedores. Varias compañeras acuerdan y piden que la "
    "comisión de compras presente un informe en la próxima asamblea."
)
METHODS = ("yes_no", "single", "ranked_irv", "consent", "approval", "ranked_schulze")


def _choice(method: str, options: list[int], rng: random.Random) -> dict:
    if method == "yes_no":
        return {"vote": rng.choices(("yes", "no", "abstain"), (6, 3, 1))[0]}
    if method == "consent":
        return {"vote": rng.choices(("agree", "stand_aside", "object"), (20, 3, 0))[0]}
    if method == "single":
        return {"option": rng.choice(options)}
    if method == "approval":
        return {"options": rng.sample(options, rng.randint(1, len(options)))}
    ranking = options[:]
    rng.shuffle(ranking)
    return {"ranking": ranking[: rng.randint(1, len(ranking))]}


def _people(organisation, count: int):
    """`count` members (the facilitator among them) with a mix of recorded genders."""
    from assembly.accounts.models import Gender
    from assembly.extensions import db

    members, facilitator = add_people(organisation, "socia", "Socia", count - 1)
    genders = (Gender.WOMAN, Gender.MAN, Gender.NON_BINARY, None)
    for n, person in enumerate(members):  # the participation summary splits speaking time by it
        person.gender = genders[n % len(genders)]
    db.session.flush()
    return members, facilitator


def build_assembly(members: int, items: int, polls: int, seed: int = 11) -> dict:
    """The record of one closed-to-be assembly; returns its meeting id and what it holds."""
    from sqlalchemy import insert, select

    from assembly.commitments import review as reviews
    from assembly.commitments import service as commitments
    from assembly.commitments.models import CommitmentStatus, TimeFrame
    from assembly.core.clock import utcnow
    from assembly.extensions import db
    from assembly.meetings import service as meetings
    from assembly.meetings.models import AgendaItemKind, Attendance, FloorKind, MeetingKind
    from assembly.organisations.models import OrganisationKind
    from assembly.organisations.service import create_organisation
    from assembly.room import notes
    from assembly.room import service as room
    from assembly.voting import counting
    from assembly.voting import service as voting
    from assembly.voting.models import Ballot, PollMethod, VoteRecord
    from assembly.workshops import service as workshops

    rng = random.Random(seed)
    organisation = create_organisation(
        "Cooperativa de Trabajo La Bench", OrganisationKind.WORKER_COOPERATIVE
    )
    people, facilitator = _people(organisation, members)
    secretary = people[0]
    db.session.commit()

    # Commitments from earlier meetings, for this one's review.
    earlier = []
    for n in range(max(2, items // 3)):
        earlier.append(
            commitments.create_commitment(
                organisation,
                what=f"Compromiso anterior {n + 1}: relevar precios de insumos del sector {n}",
                owners=[commitments.OwnerChoice(people[(n * 7) % len(people)].id)],
                due_on=commitments.today() + timedelta(days=10 + n),
                time_frame=TimeFrame.SHORT,
                made_by=None,
            )
        )
    db.session.commit()

    now = utcnow()
    starts_at = now - timedelta(hours=2)
    meeting = meetings.create_meeting(
        organisation,
        title="Asamblea ordinaria anual",
        kind=MeetingKind.ORDINARY,
        starts_at=starts_at,
        planned_end_at=starts_at + timedelta(hours=3),
        place="Salón de la cooperativa",
        facilitator_id=facilitator.id,
        secretary_id=secretary.id,
    )
    agenda = []
    for n in range(items):
        kind = (AgendaItemKind.DECISION, AgendaItemKind.DEBATE, AgendaItemKind.INFORMATION)[n % 3]
        item = meetings.add_item(
            meeting,
            title=f"Punto {n + 1}: informe y propuestas del área {n + 1}",
            kind=kind,
            planned_minutes=5,
            description=f"Presenta la comisión del área {n + 1}.",
        )
        agenda.append(item)
        if n % 5 == 0:  # some items have sub-items
            for k in range(2):
                agenda.append(
                    meetings.add_item(
                        meeting,
                        title=f"Punto {n + 1}.{k + 1}: detalle",
                        planned_minutes=5,
                        parent_id=item.id,
                    )
                )
    question = meetings.add_item(
        meeting, title="¿Qué nos impide crecer?", kind=AgendaItemKind.QUESTION, planned_minutes=30
    )
    reviews.ensure_review_item(meeting)
    meetings.convene(meeting)
    db.session.commit()

    room.start_meeting(meeting)
    meeting.started_at = starts_at + timedelta(minutes=7)
    attending = [*people[: max(1, round(len(people) * 250 / 300))], facilitator]
    for person in attending:
        room.check_in(meeting, person, by=facilitator)
    db.session.flush()
    late = set(rng.sample(range(len(attending) - 1), max(1, len(attending) // 8)))
    on_time = sorted(set(range(len(attending) - 1)) - late)
    leaving = rng.sample(on_time, max(1, len(attending) // 16))
    records = {
        r.user_id: r
        for r in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    for n, person in enumerate(attending):
        minutes = rng.randint(3, 60) if n in late else -rng.randint(0, 10)
        records[person.id].arrived_at = starts_at + timedelta(minutes=minutes)
    absent = people[len(attending) - 1 :]
    present = [p for n, p in enumerate(attending) if n not in set(leaving)]
    proxies = 0
    for n, grantor in enumerate(absent[: max(1, len(absent) // 10)]):
        room.grant_proxy(meeting, grantor, present[n + 1], by=secretary)
        proxies += 1
    db.session.commit()

    for n, item in enumerate(agenda):
        who = people[(n * 13) % len(people)].display_name
        text = "\n\n".join(PARAGRAPH.format(who=who) for _ in range(3))
        notes.save_notes(meeting, item.id, text, base_revision=item.notes_revision, by=secretary)
    db.session.commit()

    # Polls: opened and closed through the service, the ballots written as the writer would.
    ballots = 0
    for n in range(polls):
        method = PollMethod(METHODS[n % len(METHODS)])
        choices = method not in (PollMethod.YES_NO, PollMethod.CONSENT)
        poll = voting.create_poll(
            organisation,
            title=f"Votación {n + 1}: propuesta del área {n + 1}",
            method=method,
            options=[f"Opción {k + 1}" for k in range(4)] if choices else None,
            meeting=meeting,
            created_by=facilitator,
        )
        poll.agenda_item_id = agenda[n % len(agenda)].id
        voting.open_poll(poll)
        options = [o.id for o in poll.options]
        keys = sorted(poll.electorate)
        voters = keys[: max(1, len(keys) * 9 // 10)]
        cast_at = utcnow()
        rows = [
            {
                "poll_id": poll.id,
                "voter_key": key,
                "cast_by_id": int(key.partition(":")[2]),
                "choice": counting.validate_ballot(
                    method.value, poll.config, options, _choice(method.value, options, rng)
                ),
                "weight": 1.0,
                "cast_at": cast_at,
                "key": os.urandom(12).hex(),
            }
            for key in voters
        ]
        db.session.execute(insert(Ballot), rows)
        db.session.execute(
            insert(VoteRecord),
            [{"poll_id": poll.id, "voter_key": r["voter_key"], "receipt": r["key"]} for r in rows],
        )
        voting.close_poll(poll)
        ballots += len(rows)
        db.session.commit()

    # The workshop item: topics on its board, with their main points.
    topics = 0
    for n in range(8):
        topic = workshops.create_topic(meeting, secretary, question, f"Eje {n + 1}: obstáculo {n}")
        db.session.flush()
        workshops.save_main_points(
            meeting,
            secretary,
            topic,
            f"Falta de capital de trabajo en el área {n}\nPedir un crédito a la federación\n"
            f"Revisar los precios con los clientes del sector {n}",
            topic.main_points_version,
        )
        topics += 1
    db.session.commit()

    # New commitments, and the review of earlier ones.
    made = 0
    for n in range(30):
        commitments.create_commitment(
            organisation,
            what=f"Presentar el informe de costos del área {n + 1} a la comisión",
            owners=[
                commitments.OwnerChoice(present[(n * 3) % len(present)].id),
                commitments.OwnerChoice(present[(n * 5 + 1) % len(present)].id),
            ],
            due_on=commitments.today() + timedelta(days=7 + n),
            time_frame=TimeFrame.SHORT,
            made_by=secretary,
            source=("agenda_item", agenda[n % len(agenda)].id),
        )
        made += 1
    db.session.commit()
    outcomes = (CommitmentStatus.DONE, CommitmentStatus.IN_PROGRESS, None)
    for n, commitment in enumerate(earlier[: max(1, len(earlier) * 2 // 3)]):
        reviews.review_commitment(
            meeting,
            commitment.id,
            actor=secretary,
            status=outcomes[n % 3],
            note="Se informa su avance en la asamblea.",
        )
    db.session.commit()

    # Speeches, for the participation summary.
    speeches = 0
    for n in range(min(40, len(present))):
        room.request_floor(meeting, present[(n * 11) % len(present)], FloorKind.CONTRIBUTION)
        room.call_next(meeting)
        room.end_speech(meeting)
        speeches += 1
    db.session.commit()

    # Some leave before the end.
    for n in leaving:
        room.check_out(meeting, attending[n])
    db.session.flush()
    for n in leaving:  # at some time in the last hour
        records[attending[n].id].left_at = utcnow() - timedelta(minutes=rng.randint(5, 60))
    db.session.commit()
    return {
        "meeting_id": meeting.id,
        "members": members,
        "attendees": len(attending),
        "late": len(late),
        "left_early": len(leaving),
        "proxies": proxies,
        "agenda_items": len(agenda) + 2,  # the workshop question and the commitments review
        "polls": polls,
        "ballots": ballots,
        "topics": topics,
        "commitments": made,
        "speeches": speeches,
        "commitments_reviewed": len(earlier[: max(1, len(earlier) * 2 // 3)]),
    }


def run_minutes_benchmark(
    members: int = 300,
    items: int = 30,
    polls: int = 20,
    runs: int = 7,
    database_url: str | None = None,
) -> dict:
    from sqlalchemy import event

    from assembly.commands import upgrade_database
    from assembly.extensions import db
    from assembly.meetings.models import Meeting
    from assembly.minutes.drafting import draft_text
    from assembly.minutes.service import minutes_of
    from assembly.room import service as room

    load_before = os.getloadavg()[0]
    with fresh_database(database_url) as (url, _workdir):
        app = bench_app(url)
        with app.app_context():
            upgrade_database()
            say(f"building an assembly of {members} members, {items} items, {polls} polls")
            built = build_assembly(members, items, polls)
            meeting_id = built.pop("meeting_id")
            db.session.remove()

            say("closing the meeting")
            meeting = db.session.get(Meeting, meeting_id)
            began = time.perf_counter()
            room.end_meeting(meeting)  # sends meeting_closed, which drafts
            db.session.commit()
            end_meeting_ms = (time.perf_counter() - began) * 1000
            drafted = minutes_of(meeting) is not None
            db.session.remove()

            say(f"drafting {runs} times")
            timings, draft, queries = [], "", [0]

            def count(*_args):
                queries[0] += 1

            event.listen(db.engine, "before_cursor_execute", count)
            for _ in range(runs):
                db.session.remove()  # a new session: nothing from the identity map
                meeting = db.session.get(Meeting, meeting_id)
                queries[0] = 0
                began = time.perf_counter()
                draft = draft_text(meeting)
                timings.append((time.perf_counter() - began) * 1000)
            event.remove(db.engine, "before_cursor_execute", count)
            db.session.remove()
        return {
            **built,
            "draft_chars": len(draft),
            "drafted_on_close": drafted,
            "draft_ms_p50": round(statistics.median(timings), 1),
            "draft_ms_max": round(max(timings), 1),
            "draft_ms": [round(t, 1) for t in timings],
            "draft_queries": queries[0],  # SQL statements one draft runs: N+1s show here
            "end_meeting_ms": round(end_meeting_ms, 1),
            "runs": runs,
            "database": "postgresql" if url.startswith("postgres") else "sqlite",
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "draft": draft,
        }


def main(
    members: int, items: int, polls: int, runs: int, database_url: str | None, show_draft=False
) -> None:
    figures = run_minutes_benchmark(members, items, polls, runs, database_url)
    if not show_draft:
        figures.pop("draft")
    print(json.dumps(figures, ensure_ascii=False))
