"""Participation figures: who came, on time or late, who spoke, and for how long altogether.

Nobody's self-described gender may be read off the figures, not even by putting several
together. So gender is shown as one split only, the share of speaking time of the people who
described themselves as men against everyone else (women, gender-diverse people and those who did
not say), and only:

- once the meeting has ended: figures that change while people speak would tell, by difference,
  on which side the last speaker is;
- when each side has at least MIN_GROUP speakers, so no figure belongs to one person;
- with each person's speaking time not shown (it would let shares be matched to people), only
  how many times they spoke.

Why one split: whether the figure is shown depends only on how many speakers each side has, and
that condition reads the same with the two sides swapped; so whatever set of meetings someone
compares, everyone could as well be on either side. With several groups, meetings whose speakers
differ by one person told that person's group by which groups appeared (tests/test_participation
checks both over every small room and pair of meetings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from assembly.accounts.models import Gender, User
from assembly.extensions import db
from assembly.meetings.models import Attendance, FloorRequest, FloorStatus, Meeting, MeetingStatus
from assembly.organisations.models import Organisation
from assembly.room.service import minutes_late, participants_query

MIN_GROUP = 2
MEN = "men"
EVERYONE_ELSE = "everyone_else"


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
    figures.gender_share = gender_share(meeting, figures.people)
    return figures


def gender_share(meeting: Meeting, people: list[PersonFigures]) -> dict[str, float]:
    """Share of speaking time of self-described men and of everyone else, when it is safe to
    show (see the module's note); empty otherwise."""
    if meeting.status != MeetingStatus.CLOSED:
        return {}
    speakers = [p for p in people if p.seconds > 0]
    genders = dict(
        db.session.execute(
            select(User.id, User.gender).where(User.id.in_([p.user_id for p in speakers]))
        ).all()
    )
    return split_shares([(genders.get(p.user_id), p.seconds) for p in speakers])


def split_shares(speakers: list[tuple[Gender | str | None, float]]) -> dict[str, float]:
    """{MEN: share, EVERYONE_ELSE: share} of the speaking time, from (gender, seconds) of each
    person who spoke, if each side has at least MIN_GROUP of them; {} otherwise."""
    men = [seconds for gender, seconds in speakers if seconds > 0 and gender == Gender.MAN]
    others = [seconds for gender, seconds in speakers if seconds > 0 and gender != Gender.MAN]
    total = sum(men) + sum(others)
    if len(men) < MIN_GROUP or len(others) < MIN_GROUP or not total:
        return {}
    return {MEN: sum(men) / total, EVERYONE_ELSE: sum(others) / total}


def organisation_trend(organisation: Organisation, limit: int = 12) -> list[MeetingFigures]:
    """The latest closed meetings, oldest first, for the trend across meetings."""
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.organisation_id == organisation.id, Meeting.status == MeetingStatus.CLOSED)
        .order_by(func.coalesce(Meeting.started_at, Meeting.starts_at).desc())
        .limit(limit)
    ).all()
    return [meeting_figures(m) for m in reversed(meetings)]
