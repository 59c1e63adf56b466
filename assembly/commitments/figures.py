"""Follow-through figures: how many commitments are open, overdue and done, and how many were
done on time, for an organisation or network, by time frame, by month and by person.

What each figure means (the page and the README say the same):

- dropped commitments are left out of every figure (as in the action plan's progress);
- open: not done yet (open, in progress, blocked or renegotiated), overdue ones included;
- overdue: open, with a due date before today;
- done on time: done on or before the due date in force when it was done (a renegotiated date
  counts: renegotiating is agreeing a new date), by the local date it was marked done; the share
  is taken among the done ones that had a due date;
- renegotiated: given a new due date by renegotiating, at some point.

Computed in Python from three or four plain queries, so dates behave the same on SQLite and
PostgreSQL. Who may see the per-person figures is decided by the views (permissions.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from assembly.accounts.models import User
from assembly.commitments.models import (
    Commitment,
    CommitmentEvent,
    CommitmentEventKind,
    CommitmentOwner,
    CommitmentStatus,
    TimeFrame,
)
from assembly.commitments.service import CLOSED, answered_in, today
from assembly.extensions import db
from assembly.meetings.service import to_local
from assembly.organisations.models import Membership, Organisation

MONTHS = 12


@dataclass
class Tally:
    open: int = 0
    overdue: int = 0
    done: int = 0
    # Done ones that had a due date, and of those, done on or before it.
    done_dated: int = 0
    done_on_time: int = 0
    renegotiated: int = 0

    @property
    def counted(self) -> int:
        return self.open + self.done

    @property
    def done_late(self) -> int:
        return self.done_dated - self.done_on_time

    @property
    def done_undated(self) -> int:
        return self.done - self.done_dated

    @property
    def on_track(self) -> int:
        """Open and not overdue."""
        return self.open - self.overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.done_dated if self.done_dated else None

    def add(self, fact: Fact, on: date) -> None:
        if fact.done:
            self.done += 1
            if fact.due_on is not None:
                self.done_dated += 1
                self.done_on_time += fact.on_time
        else:
            self.open += 1
            self.overdue += fact.overdue(on)
        self.renegotiated += fact.renegotiated


@dataclass
class Fact:
    """One (not dropped) commitment, as the figures need it; dates are local."""

    id: int
    time_frame: TimeFrame
    status: CommitmentStatus
    due_on: date | None
    made_at: datetime
    done_on: date | None
    owners: set[int] = field(default_factory=set)
    owner_organisations: set[int] = field(default_factory=set)
    # (local time, status) of each status change, oldest first.
    changes: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status == CommitmentStatus.DONE

    @property
    def on_time(self) -> bool:
        return self.done and self.due_on is not None and self.done_on <= self.due_on

    @property
    def renegotiated(self) -> bool:
        return any(status == CommitmentStatus.RENEGOTIATED for _at, status in self.changes)

    def overdue(self, on: date) -> bool:
        return not self.done and self.due_on is not None and self.due_on < on

    def open_at(self, moment: datetime) -> bool:
        """Made by then and not done or dropped at that moment."""
        if self.made_at >= moment:
            return False
        status = CommitmentStatus.OPEN.value
        for at, new in self.changes:
            if at >= moment:
                break
            status = new
        return status not in CLOSED


@dataclass
class Month:
    start: date
    made: int = 0
    done: int = 0
    done_on_time: int = 0
    done_late: int = 0
    done_undated: int = 0
    open_at_end: int = 0


@dataclass
class PersonFigures:
    user_id: int
    name: str
    tally: Tally
    # Still a member of the organisation (or of a member organisation they answer for).
    current: bool = True


@dataclass
class MemberOrganisationFigures:
    organisation_id: int
    name: str
    tally: Tally


@dataclass
class Figures:
    organisation: Organisation
    on: date
    overall: Tally
    by_time_frame: dict[TimeFrame, Tally]
    months: list[Month]
    people: list[PersonFigures]
    # For a network: its commitments owned through each member organisation.
    member_organisations: list[MemberOrganisationFigures]

    def person(self, user_id: int) -> PersonFigures | None:
        return next((p for p in self.people if p.user_id == user_id), None)


# --- reading -----------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return to_local(moment).replace(tzinfo=None)


def _facts(*conditions) -> list[Fact]:
    """Facts of the not-dropped commitments matching `conditions`, in three queries."""
    conditions = (*conditions, Commitment.status != CommitmentStatus.DROPPED)
    facts: dict[int, Fact] = {}
    rows = db.session.execute(
        select(
            Commitment.id,
            Commitment.time_frame,
            Commitment.status,
            Commitment.due_on,
            Commitment.created_at,
            Commitment.closed_at,
        )
        .where(*conditions)
        .order_by(Commitment.id)
    )
    for cid, frame, status, due_on, created_at, closed_at in rows:
        status = CommitmentStatus(status)
        done_on = None
        if status == CommitmentStatus.DONE:  # closed_at is always set then; made as a fallback
            done_on = _local(closed_at or created_at).date()
        facts[cid] = Fact(cid, TimeFrame(frame), status, due_on, _local(created_at), done_on)
    if not facts:
        return []
    owners = db.session.execute(
        select(
            CommitmentOwner.commitment_id,
            CommitmentOwner.user_id,
            CommitmentOwner.owner_organisation_id,
        )
        .join(Commitment, Commitment.id == CommitmentOwner.commitment_id)
        .where(*conditions)
    )
    for cid, user_id, organisation_id in owners:
        facts[cid].owners.add(user_id)
        if organisation_id is not None:
            facts[cid].owner_organisations.add(organisation_id)
    changes = db.session.execute(
        select(CommitmentEvent.commitment_id, CommitmentEvent.at, CommitmentEvent.new_value)
        .join(Commitment, Commitment.id == CommitmentEvent.commitment_id)
        .where(*conditions, CommitmentEvent.kind == CommitmentEventKind.STATUS)
        .order_by(CommitmentEvent.at, CommitmentEvent.id)
    )
    for cid, at, new in changes:
        facts[cid].changes.append((_local(at), new))
    return list(facts.values())


def tally(facts: list[Fact], on: date) -> Tally:
    result = Tally()
    for fact in facts:
        result.add(fact, on)
    return result


def month_starts(on: date, count: int = MONTHS) -> list[date]:
    """The first day of the last `count` months, this one last."""
    year, month = on.year, on.month
    starts = []
    for _ in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _next_month(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def by_month(facts: list[Fact], on: date, count: int = MONTHS) -> list[Month]:
    """Made, done (on time, late, without a due date) and open at the end of each month; this
    month's end is now."""
    months = [Month(start) for start in month_starts(on, count)]
    index = {(m.start.year, m.start.month): m for m in months}
    for fact in facts:
        made = index.get((fact.made_at.year, fact.made_at.month))
        if made is not None:
            made.made += 1
        if fact.done:
            month = index.get((fact.done_on.year, fact.done_on.month))
            if month is not None:
                month.done += 1
                if fact.due_on is None:
                    month.done_undated += 1
                elif fact.on_time:
                    month.done_on_time += 1
                else:
                    month.done_late += 1
    for month in months:
        end = datetime.combine(_next_month(month.start), datetime.min.time())
        month.open_at_end = sum(1 for fact in facts if fact.open_at(end))
    return months


def organisation_figures(organisation: Organisation, on: date | None = None) -> Figures:
    """Every figure of the organisation's own commitments (a network's: its own plan's)."""
    on = on or today()
    facts = _facts(Commitment.organisation_id == organisation.id)
    people: dict[int, Tally] = defaultdict(Tally)
    through: dict[int, Tally] = defaultdict(Tally)
    for fact in facts:
        for user_id in fact.owners:
            people[user_id].add(fact, on)
        for organisation_id in fact.owner_organisations:
            through[organisation_id].add(fact, on)
    return Figures(
        organisation=organisation,
        on=on,
        overall=tally(facts, on),
        by_time_frame={f: tally([x for x in facts if x.time_frame == f], on) for f in TimeFrame},
        months=by_month(facts, on),
        people=_people(organisation, facts, people),
        member_organisations=_member_organisations(through),
    )


def _people(organisation, facts, people: dict[int, Tally]) -> list[PersonFigures]:
    if not people:
        return []
    names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
    )
    places = {organisation.id} | {o for fact in facts for o in fact.owner_organisations}
    current = set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.user_id.in_(people),
                Membership.organisation_id.in_(places),
                Membership.left_at.is_(None),
            )
        )
    )
    result = [
        PersonFigures(user_id, names.get(user_id, ""), t, user_id in current)
        for user_id, t in people.items()
    ]
    return sorted(result, key=lambda p: (p.name.lower(), p.user_id))


def _member_organisations(through: dict[int, Tally]) -> list[MemberOrganisationFigures]:
    if not through:
        return []
    names = dict(
        db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(through))
        ).all()
    )
    result = [MemberOrganisationFigures(o, names.get(o, ""), t) for o, t in through.items()]
    return sorted(result, key=lambda m: m.name.lower())


def person_tally(user: User, organisation_ids: list[int], on: date | None = None) -> Tally:
    """A person's own figures: the commitments they answer for in these organisations."""
    if not organisation_ids:
        return Tally()
    facts = _facts(
        answered_in(user.id, organisation_ids),
        Commitment.owners.any(CommitmentOwner.user_id == user.id),
    )
    return tally(facts, on or today())
