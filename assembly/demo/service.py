"""Loads the demo; safe to run again (every record is looked up before it is made)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from assembly.accounts.models import Gender, User
from assembly.accounts.service import find_user_by_email, hash_password
from assembly.demo.data import (
    DEMO_PASSWORD,
    NETWORKS,
    ORGANISATIONS,
    PEOPLE,
    RCC_AGREEMENTS,
    RCTPS_PROCESS,
    RMNC_PLAN,
    generated_people,
)
from assembly.extensions import db
from assembly.organisations import service as organisations
from assembly.organisations.models import (
    Delegate,
    Organisation,
    OrganisationKind,
    Role,
)
from assembly.permissions import active_membership


def load_demo() -> list[User]:
    """Create what is missing of the demo and return the accounts to list."""
    by_key: dict[str, Organisation] = {}
    for key, (name, kind, description) in ORGANISATIONS.items():
        organisation = organisations.organisation_by_slug(key)
        if organisation is None:
            organisation = organisations.create_organisation(
                name, OrganisationKind(kind), description=description, slug=key
            )
        by_key[key] = organisation

    links = {}
    for network_key, member_keys in NETWORKS.items():
        network = by_key[network_key]
        for member_key in member_keys:
            member = by_key[member_key]
            link = organisations.active_network_membership(network, member)
            if link is None:
                link = organisations.add_to_network(network, member)
            links[(member_key, network_key)] = link

    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: the demo loads in a blink
    listed = []
    for email, name, gender, memberships, delegations in PEOPLE + generated_people():
        user = find_user_by_email(email)
        if user is None:
            user = User(
                email=email,
                display_name=name,
                password_hash=password_hash,
                gender=Gender(gender) if gender else None,
                locale=None,
            )
            db.session.add(user)
            db.session.flush()
        for org_key, role in memberships:
            if active_membership(user.id, by_key[org_key].id) is None:
                organisations.add_member(by_key[org_key], user, Role(role), actor=None)
        for member_key, network_key in delegations:
            link = links[(member_key, network_key)]
            already = db.session.scalar(
                select(Delegate.id).where(
                    Delegate.network_membership_id == link.id,
                    Delegate.user_id == user.id,
                    Delegate.ended_at.is_(None),
                )
            )
            if already is None:
                organisations.name_delegate(link, user)
        if user.current_organisation_id is None and memberships:
            user.current_organisation_id = by_key[memberships[0][0]].id
        if any(email == p[0] for p in PEOPLE):
            listed.append(user)
    _load_process(by_key["rctps"], RCTPS_PROCESS)
    _load_plan(by_key, by_key["rmnc"], RMNC_PLAN)
    _load_plan(by_key, by_key["rcc"], RCC_AGREEMENTS)
    _approve_past_minutes(by_key.values())
    _import_archive(by_key)
    db.session.commit()
    return listed


ARCHIVE = Path(__file__).parent / "archive"


def _import_archive(by_key: dict) -> None:
    """Years of minutes kept as files before the app, brought in as `assembly import-minutes`
    does (idempotent: a file already imported is left alone)."""
    from assembly.minutes.importing import import_directory

    for folder in sorted(ARCHIVE.iterdir()):
        if folder.is_dir() and folder.name in by_key:
            import_directory(by_key[folder.name], folder)


def _approve_past_minutes(organisations) -> None:
    """The meetings the demo holds in the past have their minutes drafted and approved by their
    secretary, so partners have minutes to read and find."""
    from assembly.meetings.models import Meeting, MeetingStatus
    from assembly.minutes import service as minutes_service

    ids = [organisation.id for organisation in organisations]
    db.session.flush()
    held = db.session.scalars(
        select(Meeting)
        .where(Meeting.organisation_id.in_(ids), Meeting.status == MeetingStatus.CLOSED)
        .order_by(Meeting.id)
    )
    for meeting in list(held):
        if minutes_service.minutes_of(meeting) is not None or meeting.secretary is None:
            continue
        minutes = minutes_service.draft_minutes(meeting)
        minutes_service.set_approvers(minutes, [meeting.secretary_id])
        minutes_service.approve(minutes, meeting.secretary)


def _load_process(organisation: Organisation, spec: dict) -> None:
    """A participatory process of past workshops, with its questions, topics and cards; made
    once (found by its title afterwards)."""
    import uuid
    from datetime import date, time

    from assembly.meetings import service as meetings
    from assembly.meetings.models import AgendaItem, AgendaItemKind, MeetingKind
    from assembly.workshops.models import (
        CandidateIssue,
        Card,
        CardBacking,
        Process,
        Topic,
        WorkshopSession,
    )

    found = db.session.scalar(
        select(Process.id).where(
            Process.organisation_id == organisation.id, Process.title == spec["title"]
        )
    )
    if found is not None:
        return
    people = {email: find_user_by_email(email) for email in ("marta@demo.coop",
              "lucia@demo.coop", "carlos@demo.coop", "diego@demo.coop")}  # fmt: skip
    facilitator, secretary = people["lucia@demo.coop"], people["carlos@demo.coop"]
    process = Process(
        organisation_id=organisation.id,
        title=spec["title"],
        description=spec["description"],
        proposals_open=False,
        created_by_id=facilitator.id,
    )
    db.session.add(process)
    db.session.flush()
    proposers = list(people.values())
    n = 0
    for position, (title, day, questions) in enumerate(spec["sessions"]):
        on = date.fromisoformat(day)
        meeting = _past_meeting(
            organisation,
            title=title,
            kind=MeetingKind.WORKSHOP,
            hours=(meetings.from_local(on, time(10, 0)), meetings.from_local(on, time(13, 0))),
            place="Sede de Factorial",
            staff=(facilitator, secretary),
        )
        db.session.add(WorkshopSession(meeting_id=meeting.id, process_id=process.id,
                                       position=position))  # fmt: skip
        for item_position, (question, topics) in enumerate(questions):
            item = AgendaItem(
                meeting_id=meeting.id,
                position=item_position,
                title=question,
                kind=AgendaItemKind.QUESTION,
                planned_minutes=40,
            )
            db.session.add(item)
            db.session.flush()
            db.session.add(
                CandidateIssue(
                    process_id=process.id,
                    text=question,
                    proposed_by_id=proposers[n % len(proposers)].id,
                    agenda_item_id=item.id,
                )
            )
            n += 1
            for topic_position, (topic_title, main_points, cards) in enumerate(topics):
                topic = Topic(
                    meeting_id=meeting.id,
                    agenda_item_id=item.id,
                    title=topic_title,
                    main_points=main_points,
                    main_points_version=1,
                    position=topic_position,
                    created_by_id=secretary.id,
                )
                db.session.add(topic)
                db.session.flush()
                for card_position, (text, email) in enumerate(cards):
                    card = Card(
                        meeting_id=meeting.id,
                        agenda_item_id=item.id,
                        topic_id=topic.id,
                        author_id=people[email].id,
                        text=text,
                        client_id=uuid.uuid4().hex,
                        position=card_position,
                    )
                    db.session.add(card)
                    db.session.flush()
                    for backer in proposers[: 1 + card_position % 3]:
                        if backer.id != card.author_id:
                            db.session.add(CardBacking(card_id=card.id, user_id=backer.id))
    # One question proposed and not chosen: the members' list keeps it.
    db.session.add(
        CandidateIssue(
            process_id=process.id,
            text="¿Cómo cuidamos la salud de quienes trabajamos en las cooperativas?",
            proposed_by_id=people["diego@demo.coop"].id,
        )
    )
    db.session.flush()


def _past_meeting(organisation, *, title, kind, hours, place, staff):
    """A meeting already held: convened, started and ended as planned."""
    from assembly.meetings import service as meetings
    from assembly.meetings.models import MeetingStatus

    facilitator, secretary = staff
    meeting = meetings.create_meeting(
        organisation,
        title=title,
        kind=kind,
        starts_at=hours[0],
        planned_end_at=hours[1],
        place=place,
        facilitator_id=facilitator.id,
        secretary_id=secretary.id,
        created_by=facilitator,
    )
    meeting.status = MeetingStatus.CLOSED
    meeting.convened_at = meeting.started_at = meeting.starts_at
    meeting.ended_at = meeting.planned_end_at
    return meeting


def _load_plan(by_key: dict, network: Organisation, spec: dict) -> None:
    """A network's plan as commitments of a past plenary, with their follow-up so far, dated
    back from today; made once (found by the plenary's title afterwards)."""
    from datetime import time, timedelta

    from assembly.commitments import service as commitments
    from assembly.commitments.models import CommitmentEvent, CommitmentEventKind, TimeFrame
    from assembly.commitments.models import CommitmentStatus as Status
    from assembly.meetings import service as meetings
    from assembly.meetings.models import Meeting, MeetingKind

    title, days_ago = spec["meeting"]
    found = db.session.scalar(
        select(Meeting.id).where(Meeting.organisation_id == network.id, Meeting.title == title)
    )
    if found is not None:
        return
    held_on = commitments.today() + timedelta(days=days_ago)
    facilitator = find_user_by_email(spec["facilitator"])
    secretary = find_user_by_email(spec["secretary"])
    meeting = _past_meeting(
        network,
        title=title,
        kind=MeetingKind.PLENARY,
        hours=(
            meetings.from_local(held_on, time(18, 0)),
            meetings.from_local(held_on, time(20, 30)),
        ),
        place="Sede de la red",
        staff=(facilitator, secretary),
    )

    def owner(key: str) -> commitments.OwnerChoice:
        org_key, _, email = key.rpartition(":")
        user = find_user_by_email(email)
        return commitments.OwnerChoice(user.id, by_key[org_key].id if org_key else None)

    for what, frame, owner_keys, due_in, follow_up in spec["commitments"]:
        commitment = commitments.create_commitment(
            network,
            what=what,
            owners=[owner(k) for k in owner_keys],
            due_on=held_on + timedelta(days=due_in),
            time_frame=TimeFrame(frame),
            made_by=secretary,
            source=("meeting", meeting.id),
            confirm_past=True,
        )
        made_at = meeting.started_at + timedelta(hours=2)
        commitment.created_at = commitment.updated_at = made_at
        for event in commitment_events(commitment):
            event.at = made_at
        # The follow-up happened in the past: written as history rows with their dates (the
        # service's rules are about changes made now, e.g. a new due date may not be past).
        for day, status, note in follow_up:
            at = meeting.started_at + timedelta(days=day, hours=1)
            actor = find_user_by_email(owner_keys[0].rpartition(":")[2])
            common = {"commitment_id": commitment.id, "actor_id": actor.id, "at": at}
            commitment.updated_at = at
            if status is None:
                db.session.add(CommitmentEvent(kind=CommitmentEventKind.NOTE, note=note, **common))
                continue
            status = Status(status)
            old = commitment.status.value
            db.session.add(CommitmentEvent(kind=CommitmentEventKind.STATUS, field="status",
                old_value=old, new_value=status.value, note=note, **common))  # fmt: skip
            commitment.status = status
            commitment.closed_at = at if status in commitments.CLOSED else None
            if status == Status.RENEGOTIATED:
                new_due, old_due = at.date() + timedelta(days=180), str(commitment.due_on)
                db.session.add(CommitmentEvent(kind=CommitmentEventKind.DUE, field="due_on",
                    old_value=old_due, new_value=str(new_due), **common))  # fmt: skip
                commitment.due_on = new_due
    db.session.flush()


def commitment_events(commitment) -> list:
    from assembly.commitments.models import CommitmentEvent

    db.session.flush()
    return list(
        db.session.scalars(
            select(CommitmentEvent).where(CommitmentEvent.commitment_id == commitment.id)
        )
    )


def print_accounts(users: list[User]) -> None:
    from assembly.core.labels import label
    from assembly.organisations.service import places_of

    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for user in users:
        places = ", ".join(f"{p.organisation.slug} ({label(p.standing)})" for p in places_of(user))
        click.echo(f"  {user.email:<22} {user.display_name:<18} {places}")
