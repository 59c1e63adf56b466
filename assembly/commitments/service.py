"""Commitments' rules: who may own one, what may change and when, and a row of history for
every change. Plain functions; callers commit. Changes are announced with
`commitment_changed` (the live package may carry them to the room later).

A done or dropped commitment is closed: nothing about it changes (no note, no edit, no new due
date) until someone with the right reopens it by setting it back to open or in progress, which
is itself recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from assembly.accounts.models import User
from assembly.commitments.models import (
    Commitment,
    CommitmentEvent,
    CommitmentEventKind,
    CommitmentOwner,
    CommitmentStatus,
    TimeFrame,
)
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.signals import commitment_changed
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting
from assembly.organisations.models import Membership, NetworkMembership, Organisation
from assembly.permissions import active_membership
from assembly.proposals.models import Proposal
from assembly.voting.models import Decision, Poll
from assembly.workshops.models import Topic

WHAT_MAX = 5000
NOTE_MAX = 2000
ID_MAX = 2**31 - 1
DUE_SOON_DAYS = 7
CLOSED = frozenset({CommitmentStatus.DONE, CommitmentStatus.DROPPED})
# Statuses that reopen a closed commitment.
REOPEN = frozenset({CommitmentStatus.OPEN, CommitmentStatus.IN_PROGRESS})
SOURCES = ("decision", "poll", "proposal", "agenda_item", "topic", "meeting")


class NotFound(DomainError):
    code = "not_found"
    status = 404

    def default_message(self):
        return lazy_gettext("Not found.")


class BadValue(DomainError):
    code = "bad_value"

    def default_message(self):
        return lazy_gettext("One of the values is out of range.")


class DueInThePast(DomainError):
    code = "due_in_the_past"

    def default_message(self):
        return lazy_gettext(
            "The due date has already passed. Tick the confirmation to record it anyway."
        )


class NoOwner(DomainError):
    code = "no_owner"

    def default_message(self):
        return lazy_gettext("Name at least one person who answers for the commitment.")


class OwnerNotAMember(DomainError):
    code = "owner_not_a_member"

    def default_message(self):
        return lazy_gettext("Choose active members of the organisation as owners.")


class OrganisationOwnerRefused(DomainError):
    code = "organisation_owner"

    def default_message(self):
        return lazy_gettext(
            "Only a network's commitments may be owned by a member organisation, "
            "through a person of that organisation."
        )


class Closed(DomainError):
    code = "closed"

    def default_message(self):
        return lazy_gettext(
            "This commitment is closed. Reopen it (open or in progress) before changing it."
        )


class NeedsDueDate(DomainError):
    code = "needs_due_date"

    def default_message(self):
        return lazy_gettext("A renegotiated commitment needs its new due date.")


class NothingChanged(DomainError):
    code = "nothing_changed"

    def default_message(self):
        return lazy_gettext("Change the status, the due date or write a note.")


@dataclass(frozen=True)
class OwnerChoice:
    """An owner as chosen in a form: a person, or a person for a member organisation."""

    user_id: int
    organisation_id: int | None = None

    @property
    def key(self) -> str:
        if self.organisation_id is None:
            return f"u:{self.user_id}"
        return f"o:{self.organisation_id}:{self.user_id}"

    @classmethod
    def parse(cls, key: str) -> OwnerChoice:
        parts = (key or "").split(":")
        try:
            numbers = [int(p) for p in parts[1:]]
        except ValueError:
            raise OwnerNotAMember() from None
        if any(not 0 < n <= ID_MAX for n in numbers):
            raise OwnerNotAMember()
        if parts[0] == "u" and len(numbers) == 1:
            return cls(numbers[0])
        if parts[0] == "o" and len(numbers) == 2:
            return cls(numbers[1], numbers[0])
        raise OwnerNotAMember()


# Undated ones last.
_BY_DUE_DATE = (Commitment.due_on.is_(None), Commitment.due_on, Commitment.id)


def today() -> date:
    return utcnow().date()


# --- reading -----------------------------------------------------------------------------------


def commitment_in(organisation: Organisation, commitment_id: int) -> Commitment | None:
    if not 0 < commitment_id <= ID_MAX:
        return None
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None or commitment.organisation_id != organisation.id:
        return None
    return commitment


def recorded_by_client(user, client_id: str) -> Commitment | None:
    """The commitment this person's screen already recorded under `client_id` (a resend)."""
    return db.session.scalar(
        select(Commitment).where(
            Commitment.made_by_id == user.id, Commitment.client_id == client_id
        )
    )


def commitments_of(
    organisation: Organisation,
    *,
    status: CommitmentStatus | None = None,
    owner_id: int | None = None,
    time_frame: TimeFrame | None = None,
) -> list[Commitment]:
    query = select(Commitment).where(Commitment.organisation_id == organisation.id)
    if status is not None:
        query = query.where(Commitment.status == status)
    if time_frame is not None:
        query = query.where(Commitment.time_frame == time_frame)
    if owner_id is not None:
        query = query.where(Commitment.owners.any(CommitmentOwner.user_id == owner_id))
    return list(db.session.scalars(query.order_by(*_BY_DUE_DATE)))


def commitments_from(**source) -> list[Commitment]:
    """What came from one source, e.g. `commitments_from(proposal_id=3)`."""
    ((name, value),) = source.items()
    if name.removesuffix("_id") not in SOURCES:
        raise ValueError(name)
    column = getattr(Commitment, name)
    query = select(Commitment).where(column == value).order_by(Commitment.id)
    return list(db.session.scalars(query))


def commitments_of_decisions(decision_ids) -> dict[int, list[Commitment]]:
    """The commitments each decision led to, with their owners, in two queries (for lists of
    decisions: the decision log, search results)."""
    ids = {i for i in decision_ids if i is not None}
    if not ids:
        return {}
    found: dict[int, list[Commitment]] = {}
    query = (
        select(Commitment)
        .where(Commitment.decision_id.in_(ids))
        .options(
            selectinload(Commitment.owners).selectinload(CommitmentOwner.user),
            selectinload(Commitment.owners).selectinload(CommitmentOwner.owner_organisation),
        )
        .order_by(Commitment.created_at, Commitment.id)
    )
    for commitment in db.session.scalars(query):
        found.setdefault(commitment.decision_id, []).append(commitment)
    return found


@dataclass
class PlanGroup:
    time_frame: TimeFrame
    commitments: list[Commitment]

    @property
    def done(self) -> int:
        return sum(1 for c in self.commitments if c.status == CommitmentStatus.DONE)

    @property
    def counted(self) -> int:
        """Dropped ones do not count against the plan's progress."""
        return sum(1 for c in self.commitments if c.status != CommitmentStatus.DROPPED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.counted) if self.counted else 0


def action_plan(commitments: list[Commitment]) -> list[PlanGroup]:
    return [
        PlanGroup(frame, [c for c in commitments if c.time_frame == frame]) for frame in TimeFrame
    ]


def history(commitment: Commitment) -> list[CommitmentEvent]:
    return list(
        db.session.scalars(
            select(CommitmentEvent)
            .where(CommitmentEvent.commitment_id == commitment.id)
            .order_by(CommitmentEvent.at, CommitmentEvent.id)
        )
    )


def is_owner(user, commitment: Commitment) -> bool:
    user_id = getattr(user, "id", None)
    return user_id is not None and any(o.user_id == user_id for o in commitment.owners)


def answered_in(user_id: int, organisation_ids: list[int]):
    """SQL condition: a commitment of one of these organisations, or a network's that the person
    answers for through one of them while it is still a member of the network (see
    `permissions.answers_through_member`)."""
    still_in_network = (
        select(NetworkMembership.id)
        .where(
            NetworkMembership.network_id == Commitment.organisation_id,
            NetworkMembership.member_id == CommitmentOwner.owner_organisation_id,
            NetworkMembership.left_at.is_(None),
        )
        .exists()
    )
    return or_(
        Commitment.organisation_id.in_(organisation_ids),
        Commitment.owners.any(
            (CommitmentOwner.user_id == user_id)
            & CommitmentOwner.owner_organisation_id.in_(organisation_ids)
            & still_in_network
        ),
    )


def mine(user: User, organisation_ids: list[int], *, status=None, organisation_id=None):
    """Commitments assigned to or made by the person, in organisations they still belong to
    (and networks' they answer for through one of them)."""
    if not organisation_ids:
        return []
    query = select(Commitment).where(
        answered_in(user.id, organisation_ids),
        or_(
            Commitment.made_by_id == user.id,
            Commitment.owners.any(CommitmentOwner.user_id == user.id),
        ),
    )
    if status is not None:
        query = query.where(Commitment.status == status)
    if organisation_id is not None:
        query = query.where(Commitment.organisation_id == organisation_id)
    return list(db.session.scalars(query.order_by(*_BY_DUE_DATE)))


def sections(commitments: list[Commitment], on: date | None = None) -> dict[str, list]:
    """Overdue, due within a week, the other open ones, and the closed ones."""
    on = on or today()
    soon = on + timedelta(days=DUE_SOON_DAYS)
    result: dict[str, list] = {"overdue": [], "due_soon": [], "open": [], "closed": []}
    for c in commitments:
        if c.closed:
            result["closed"].append(c)
        elif c.due_on is not None and c.due_on < on:
            result["overdue"].append(c)
        elif c.due_on is not None and c.due_on <= soon:
            result["due_soon"].append(c)
        else:
            result["open"].append(c)
    return result


# --- owners ------------------------------------------------------------------------------------


def owner_options(organisation: Organisation) -> list[tuple[OwnerChoice, str]]:
    """Everyone who may own a commitment: active members, and for a network each active
    member of each member organisation, through that organisation."""
    options = [
        (OwnerChoice(m.user_id), m.user.display_name)
        for m in db.session.scalars(
            select(Membership)
            .join(User)
            .where(Membership.organisation_id == organisation.id, Membership.left_at.is_(None))
            .order_by(User.display_name)
        )
    ]
    if organisation.is_network:
        links = db.session.scalars(
            select(NetworkMembership).where(
                NetworkMembership.network_id == organisation.id,
                NetworkMembership.left_at.is_(None),
            )
        )
        for link in links:
            for m in db.session.scalars(
                select(Membership)
                .join(User)
                .where(Membership.organisation_id == link.member_id, Membership.left_at.is_(None))
                .order_by(User.display_name)
            ):
                options.append(
                    (
                        OwnerChoice(m.user_id, link.member_id),
                        f"{link.member.name}: {m.user.display_name}",
                    )
                )
    return options


def _check_owner(organisation: Organisation, choice: OwnerChoice) -> None:
    if choice.organisation_id is None:
        if active_membership(choice.user_id, organisation.id) is None:
            raise OwnerNotAMember()
        return
    if not organisation.is_network:
        raise OrganisationOwnerRefused()
    link = db.session.scalar(
        select(NetworkMembership.id).where(
            NetworkMembership.network_id == organisation.id,
            NetworkMembership.member_id == choice.organisation_id,
            NetworkMembership.left_at.is_(None),
        )
    )
    if link is None:
        raise OrganisationOwnerRefused()
    if active_membership(choice.user_id, choice.organisation_id) is None:
        raise OwnerNotAMember()


def _owner_text(choices) -> str:
    return ",".join(sorted(c.key for c in choices))[:200]


def _set_owners(commitment: Commitment, choices: list[OwnerChoice]) -> None:
    choices = list(dict.fromkeys(choices))
    if not choices:
        raise NoOwner()
    for choice in choices:
        _check_owner(commitment.organisation, choice)
    wanted = {c.key for c in choices}
    for owner in list(commitment.owners):
        if OwnerChoice(owner.user_id, owner.owner_organisation_id).key not in wanted:
            commitment.owners.remove(owner)
    have = {OwnerChoice(o.user_id, o.owner_organisation_id).key for o in commitment.owners}
    for choice in choices:
        if choice.key not in have:
            commitment.owners.append(
                CommitmentOwner(
                    user_id=choice.user_id, owner_organisation_id=choice.organisation_id
                )
            )


# --- sources -----------------------------------------------------------------------------------


_SOURCE_MODELS = {
    "decision": Decision,
    "poll": Poll,
    "proposal": Proposal,
    "agenda_item": AgendaItem,
    "topic": Topic,
    "meeting": Meeting,
}


def source_row(kind: str, source_id: int):
    return db.session.get(_SOURCE_MODELS[kind], source_id)


def resolve_source(organisation: Organisation, kind: str, source_id: int) -> dict[str, int]:
    """The source's foreign keys (and those it implies); NotFound for another organisation's."""
    if kind not in SOURCES or not 0 < source_id <= ID_MAX:
        raise NotFound()
    row = source_row(kind, source_id)
    if row is None:
        raise NotFound()
    links: dict[str, int | None] = {f"{kind}_id": row.id}
    if kind in ("agenda_item", "topic"):
        meeting = db.session.get(Meeting, row.meeting_id)
        owner_id = meeting.organisation_id
        links["meeting_id"] = meeting.id
        if kind == "topic":
            links["agenda_item_id"] = row.agenda_item_id
            links["proposal_id"] = row.proposal_id
    else:
        owner_id = row.organisation_id
    if kind in ("decision", "poll"):
        links["meeting_id"] = row.meeting_id
        links["proposal_id"] = row.proposal_id
    if owner_id != organisation.id:
        raise NotFound()
    return {k: v for k, v in links.items() if v is not None}


def source_of(commitment: Commitment) -> tuple[str, object] | None:
    """The most precise source, for the commitment's page."""
    for kind in ("decision", "poll", "topic", "proposal", "agenda_item", "meeting"):
        value = getattr(commitment, f"{kind}_id")
        if value is not None:
            row = source_row(kind, value)
            if row is not None:
                return kind, row
    return None


# --- changes -----------------------------------------------------------------------------------


def _record(commitment, kind, actor, *, field=None, old=None, new=None, note="") -> CommitmentEvent:
    event = CommitmentEvent(
        commitment_id=commitment.id,
        kind=kind,
        field=field,
        old_value=None if old is None else str(old)[:200],
        new_value=None if new is None else str(new)[:200],
        note=note,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    commitment.updated_at = utcnow()
    commitment_changed.send(commitment, kind=kind)
    return event


def _check_text(what: str) -> str:
    what = (what or "").strip()
    if not what or len(what) > WHAT_MAX:
        raise BadValue()
    return what


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BadValue()
    return note


def create_commitment(
    organisation: Organisation,
    *,
    what: str,
    owners: list[OwnerChoice],
    due_on: date | None,
    time_frame: TimeFrame,
    made_by: User | None,
    source: tuple[str, int] | None = None,
    confirm_past: bool = False,
    client_id: str | None = None,
) -> Commitment:
    """`client_id`: the recording screen's name for it (see `recorded_by_client`)."""
    what = _check_text(what)
    if due_on is not None and due_on < today() and not confirm_past:
        raise DueInThePast()
    links = resolve_source(organisation, *source) if source else {}
    commitment = Commitment(
        organisation_id=organisation.id,
        organisation=organisation,
        what=what,
        due_on=due_on,
        time_frame=TimeFrame(time_frame),
        status=CommitmentStatus.OPEN,
        made_by_id=getattr(made_by, "id", None),
        client_id=client_id,
        **links,
    )
    db.session.add(commitment)
    _set_owners(commitment, owners)
    db.session.flush()
    _record(commitment, CommitmentEventKind.CREATED, made_by, new=due_on)
    from assembly.commitments.review import prepare_upcoming  # it builds on this module

    prepare_upcoming(organisation)
    return commitment


def edit_commitment(
    commitment: Commitment,
    *,
    what: str,
    owners: list[OwnerChoice],
    due_on: date | None,
    time_frame: TimeFrame,
    actor: User | None,
    confirm_past: bool = False,
) -> Commitment:
    if commitment.closed:
        raise Closed()
    what = _check_text(what)
    old_due = commitment.due_on
    if due_on != old_due and due_on is not None and due_on < today() and not confirm_past:
        raise DueInThePast()
    before = (
        commitment.what,
        commitment.time_frame,
        _owner_text(OwnerChoice(o.user_id, o.owner_organisation_id) for o in commitment.owners),
    )
    commitment.what = what
    commitment.time_frame = TimeFrame(time_frame)
    _set_owners(commitment, owners)
    after = (
        commitment.what,
        commitment.time_frame,
        _owner_text(OwnerChoice(o.user_id, o.owner_organisation_id) for o in commitment.owners),
    )
    for name, old, new in zip(("what", "time_frame", "owners"), before, after, strict=True):
        if old != new:
            _record(commitment, CommitmentEventKind.EDITED, actor, field=name, old=old, new=new)
    if due_on != old_due:
        commitment.due_on = due_on
        _record(commitment, CommitmentEventKind.DUE, actor, field="due_on", old=old_due, new=due_on)
    return commitment


def update_commitment(
    commitment: Commitment,
    *,
    actor: User | None,
    status: CommitmentStatus | None = None,
    due_on: date | None = None,
    note: str = "",
) -> Commitment:
    """A status change, a renegotiated due date and/or a dated progress note."""
    note = _check_note(note)
    requested = CommitmentStatus(status) if status else None
    # Renegotiating again keeps the status and moves the due date.
    status = None if requested == commitment.status else requested
    if commitment.closed and status not in REOPEN:
        raise Closed()
    if requested == CommitmentStatus.RENEGOTIATED:
        if due_on is None:
            raise NeedsDueDate()
        if due_on < today():
            raise DueInThePast()
    elif due_on is not None:
        due_on = None  # a new due date is what renegotiating means
    if status is None and not note and due_on in (None, commitment.due_on):
        raise NothingChanged()
    if status is not None:
        old = commitment.status
        commitment.status = status
        commitment.closed_at = utcnow() if status in CLOSED else None
        _record(
            commitment,
            CommitmentEventKind.STATUS,
            actor,
            field="status",
            old=old.value,
            new=status.value,
            note=note,
        )
        note = ""
        if old in CLOSED and status not in CLOSED:
            from assembly.commitments.review import prepare_upcoming  # it builds on this module

            prepare_upcoming(commitment.organisation_id)  # reopened: back on the agendas
    if due_on is not None and due_on != commitment.due_on:
        old_due = commitment.due_on
        commitment.due_on = due_on
        _record(commitment, CommitmentEventKind.DUE, actor, field="due_on", old=old_due, new=due_on)
    if note:
        _record(commitment, CommitmentEventKind.NOTE, actor, note=note)
    return commitment
