"""Participation figures: who came, on time or late, who spoke and for how long.

Gender is only ever shown added up, and a group of fewer than MIN_GROUP speakers is folded into
"not shown", so that nobody's self-description can be read off a small meeting's figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.meetings.models import Attendance, FloorRequest, FloorStatus, Meeting, MeetingStatus
from assembly.organisations.models import Organisation
from assembly.room.service import minutes_late, participants_query

MIN_GROUP = 2
UNDISCLOSED = "undisclosed"
FOLDED = "not_shown"


@dataclass
class PersonFigures:
    user_id: int
    name: str
    present: bool
    minutes_late: int | None
    left_at: datetime | None
    speeches: int = 0
    seconds: float = 0.0


@dataclass
class MeetingFigures:
    meeting: Meeting
    eligible: int
    people: list[PersonFigures]
    gender_share: dict[str, float] = field(default_factory=dict)

    @property
    def attendees(self) -> list[PersonFigures]:
        return [p for p in self.people if p.present]

    @property
    def present(self) -> int:
        return len(self.attendees)

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.eligible if self.eligible else None

    @property
    def on_time_rate(self) -> float | None:
        if not self.attendees:
            return None
        return sum(1 for p in self.attendees if p.minutes_late == 0) / self.present

    @property
    def speakers(self) -> int:
        return sum(1 for p in self.attendees if p.speeches)

    @property
    def spoke_rate(self) -> float | None:
        return self.speakers / self.present if self.present else None

    @property
    def speaking_seconds(self) -> float:
        return sum(p.seconds for p in self.people)


def _speech_seconds(speech: FloorRequest, meeting: Meeting) -> float:
    end = speech.ended_at or meeting.ended_at
    if speech.started_at is None or end is None:
        return 0.0
    return max(0.0, (end - speech.started_at).total_seconds())


def meeting_figures(meeting: Meeting) -> MeetingFigures:
    participants = dict(
        db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(participants_query(meeting)))
        ).all()
    )
    records = {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    people: dict[int, PersonFigures] = {}
    for user_id, record in records.items():
        name = participants.get(user_id) or db.session.get(User, user_id).display_name
        people[user_id] = PersonFigures(
            user_id, name, True, minutes_late(meeting, record), record.left_at
        )
    speeches = db.session.scalars(
        select(FloorRequest).where(
            FloorRequest.meeting_id == meeting.id,
            FloorRequest.status.in_([FloorStatus.SPEAKING, FloorStatus.DONE]),
        )
    ).all()
    for speech in speeches:
        person = people.get(speech.user_id)
        if person is None:  # spoke without a check-in record (should not happen): still counted
            name = db.session.get(User, speech.user_id).display_name
            person = people[speech.user_id] = PersonFigures(speech.user_id, name, False, None, None)
        person.speeches += 1
        person.seconds += _speech_seconds(speech, meeting)
    figures = MeetingFigures(
        meeting=meeting,
        eligible=len(participants),
        people=sorted(people.values(), key=lambda p: p.name.lower()),
    )
    figures.gender_share = gender_share(figures.people)
    return figures


def gender_share(people: list[PersonFigures]) -> dict[str, float]:
    """Share of speaking time per self-described gender; small groups folded together."""
    speakers = [p for p in people if p.seconds > 0]
    total = sum(p.seconds for p in speakers)
    if not total:
        return {}
    genders = dict(
        db.session.execute(
            select(User.id, User.gender).where(User.id.in_([p.user_id for p in speakers]))
        ).all()
    )
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for person in speakers:
        group = genders.get(person.user_id) or UNDISCLOSED
        group = getattr(group, "value", group)
        seconds[group] += person.seconds
        counts[group] += 1
    shown: dict[str, float] = defaultdict(float)
    for group, value in seconds.items():
        shown[group if counts[group] >= MIN_GROUP else FOLDED] += value
    return {group: value / total for group, value in sorted(shown.items())}


def organisation_trend(organisation: Organisation, limit: int = 12) -> list[MeetingFigures]:
    """The latest closed meetings, oldest first, for the trend across meetings."""
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.organisation_id == organisation.id, Meeting.status == MeetingStatus.CLOSED)
        .order_by(func.coalesce(Meeting.started_at, Meeting.starts_at).desc())
        .limit(limit)
    ).all()
    return [meeting_figures(m) for m in reversed(meetings)]
