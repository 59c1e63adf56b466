"""The timeline of one organisation, one year at a time: meetings, workshop topics, decisions,
commitments made and completed, newest first and grouped by month. Only what the person may
read: draft meetings (and their topics) only for those who prepare meetings.

A year is a handful of indexed queries (organisation and date range), whatever the number of
years behind it; each kind is bounded per year so a very busy year stays one page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import extract, select
from sqlalchemy.orm import selectinload

from assembly.commitments.models import Commitment, CommitmentOwner, CommitmentStatus
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.minutes.service import readable_minutes
from assembly.organisations.models import Organisation
from assembly.permissions import Action, can
from assembly.voting.models import Decision
from assembly.workshops.models import Topic

PER_KIND = 500  # entries of one kind in one year, at most


@dataclass
class Entry:
    kind: str  # meeting, topic, decision, commitment_made, commitment_done
    at: datetime
    record: object
    meeting: Meeting | None = None


@dataclass
class Month:
    start: date
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Timeline:
    year: int | None
    years: list[int]
    months: list[Month]
    minutes_readable: set[int]
    truncated: bool


def _visible_meetings(user, organisation: Organisation):
    query = select(Meeting).where(Meeting.organisation_id == organisation.id)
    if not can(user, Action.PREPARE_MEETINGS, organisation):
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    return query


def years(user, organisation: Organisation) -> list[int]:
    """Every year with something on the timeline, newest first."""
    org = organisation.id
    meetings = _visible_meetings(user, organisation).subquery()
    queries = [
        select(extract("year", meetings.c.starts_at)).distinct(),
        select(extract("year", Decision.decided_at)).where(Decision.organisation_id == org),
        select(extract("year", Commitment.created_at)).where(Commitment.organisation_id == org),
        select(extract("year", Commitment.closed_at)).where(
            Commitment.organisation_id == org, Commitment.status == CommitmentStatus.DONE
        ),
    ]
    found: set[int] = set()
    for query in queries:
        found.update(int(y) for y in db.session.scalars(query.distinct()) if y is not None)
    return sorted(found, reverse=True)


def _bounded(query, column, start: datetime, end: datetime) -> list:
    rows = list(
        db.session.scalars(
            query.where(column >= start, column < end).order_by(column.desc()).limit(PER_KIND + 1)
        )
    )
    return rows


def timeline(user, organisation: Organisation, year: int | None = None) -> Timeline:
    all_years = years(user, organisation)
    if year not in all_years:
        current = utcnow().year
        past = [y for y in all_years if y <= current]
        year = past[0] if past else (all_years[-1] if all_years else None)
    if year is None:
        return Timeline(None, [], [], set(), False)
    start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    org = organisation.id
    lists = []

    meetings = _bounded(_visible_meetings(user, organisation), Meeting.starts_at, start, end)
    lists.append(meetings)
    entries = [Entry("meeting", m.started_at or m.starts_at, m, m) for m in meetings[:PER_KIND]]

    visible = _visible_meetings(user, organisation).with_only_columns(Meeting.id)
    topics = list(
        db.session.execute(
            select(Topic, Meeting)
            .join(Meeting, Topic.meeting_id == Meeting.id)
            .where(
                Topic.meeting_id.in_(visible),
                Topic.removed_at.is_(None),
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
            .order_by(Meeting.starts_at.desc(), Topic.position)
            .limit(PER_KIND + 1)
        )
    )
    lists.append(topics)
    entries += [Entry("topic", m.starts_at, t, m) for t, m in topics[:PER_KIND]]

    decisions = _bounded(
        select(Decision).where(Decision.organisation_id == org), Decision.decided_at, start, end
    )
    lists.append(decisions)
    entries += [Entry("decision", d.decided_at, d) for d in decisions[:PER_KIND]]

    owners = selectinload(Commitment.owners)
    with_owners = (
        owners.selectinload(CommitmentOwner.user),
        owners.selectinload(CommitmentOwner.owner_organisation),
    )
    made = _bounded(
        select(Commitment).where(Commitment.organisation_id == org).options(*with_owners),
        Commitment.created_at,
        start,
        end,
    )
    lists.append(made)
    entries += [Entry("commitment_made", c.created_at, c) for c in made[:PER_KIND]]
    done = _bounded(
        select(Commitment)
        .where(Commitment.organisation_id == org, Commitment.status == CommitmentStatus.DONE)
        .options(*with_owners),
        Commitment.closed_at,
        start,
        end,
    )
    lists.append(done)
    entries += [Entry("commitment_done", c.closed_at, c) for c in done[:PER_KIND]]

    # Decisions name their meeting: one query for those not already loaded.
    by_id = {m.id: m for m in meetings}
    missing = {d.meeting_id for d in decisions if d.meeting_id and d.meeting_id not in by_id}
    if missing:
        by_id.update(
            (m.id, m)
            for m in db.session.scalars(
                _visible_meetings(user, organisation).where(Meeting.id.in_(missing))
            )
        )
    for entry in entries:
        if entry.kind == "decision":
            entry.meeting = by_id.get(entry.record.meeting_id)

    entries.sort(key=lambda e: (e.at, e.kind), reverse=True)
    months: list[Month] = []
    for entry in entries:
        first = date(entry.at.year, entry.at.month, 1)
        if not months or months[-1].start != first:
            months.append(Month(first))
        months[-1].entries.append(entry)
    shown_meetings = {e.meeting.id: e.meeting for e in entries if e.meeting is not None}
    return Timeline(
        year,
        all_years,
        months,
        readable_minutes(user, shown_meetings.values()),
        any(len(found) > PER_KIND for found in lists),
    )
