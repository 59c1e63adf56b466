"""Meetings, their agendas, and what happens in the room: attendance, proxies, the floor."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.organisations.models import Organisation, enum_column, unique_while_open

if TYPE_CHECKING:
    from assembly.commitments.models import Commitment
    from assembly.voting.models import Poll


class MeetingKind(StrEnum):
    ORDINARY = "ordinary_assembly"
    EXTRAORDINARY = "extraordinary_assembly"
    WORKSHOP = "problematisation_workshop"
    PLENARY = "network_plenary"
    WORKING = "working_meeting"


class MeetingStatus(StrEnum):
    DRAFT = "draft"
    CONVENED = "convened"
    LIVE = "live"
    CLOSED = "closed"


class SpeakerPolicy(StrEnum):
    FIRST_COME = "first_come"
    PROGRESSIVE = "progressive"


class AgendaItemKind(StrEnum):
    INFORMATION = "information"
    DEBATE = "debate"
    DECISION = "decision"
    QUESTION = "problematisation_question"
    COMMITMENTS_REVIEW = "commitments_review"
    OTHER = "other"


class AgendaItemState(StrEnum):
    PROPOSED = "proposed"  # suggested by a member, waiting for the facilitator
    ACCEPTED = "accepted"
    DECLINED = "declined"


class CheckInMethod(StrEnum):
    SELF = "self"
    FACILITATOR = "facilitator"
    QR = "qr"


class FloorKind(StrEnum):
    CONTRIBUTION = "contribution"
    REPLY = "reply"
    POINT_OF_ORDER = "point_of_order"


class FloorStatus(StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"
    WITHDRAWN = "withdrawn"


class RecurrenceUnit(StrEnum):
    WEEKS = "weeks"
    MONTHS = "months"


class MeetingSeries(db.Model):
    """Meetings held on a schedule, e.g. a network's plenary every two months."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    every: Mapped[int] = mapped_column(Integer)
    unit: Mapped[RecurrenceUnit] = mapped_column(enum_column(RecurrenceUnit, 10))
    first_starts_at: Mapped[datetime] = mapped_column(DateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(200), default="")
    # How many future meetings are kept scheduled ahead.
    ahead: Mapped[int] = mapped_column(Integer, default=2)
    ends_on: Mapped[datetime | None] = mapped_column(DateTime)
    template_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_series.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    title: Mapped[str] = mapped_column(String(160))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    planned_end_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    secretary_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    status: Mapped[MeetingStatus] = mapped_column(
        enum_column(MeetingStatus, 12), default=MeetingStatus.DRAFT
    )
    convened_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    speaker_policy: Mapped[SpeakerPolicy] = mapped_column(
        enum_column(SpeakerPolicy, 12), default=SpeakerPolicy.FIRST_COME
    )
    speaking_limit_seconds: Mapped[int] = mapped_column(Integer, default=180)
    # The shared computer behind the projector opens the room with this secret, no login.
    projector_token: Mapped[str] = mapped_column(String(64), unique=True)
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL", use_alter=True)
    )
    # Bumped by every change the room sees; clients drop states older than the one they have.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    series: Mapped[MeetingSeries | None] = relationship()
    facilitator: Mapped[User | None] = relationship(foreign_keys=[facilitator_id])
    secretary: Mapped[User | None] = relationship(foreign_keys=[secretary_id])
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        foreign_keys="AgendaItem.meeting_id",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
    )

    @property
    def planned_minutes(self) -> int:
        return round((self.planned_end_at - self.starts_at).total_seconds() / 60)


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgendaItemKind] = mapped_column(
        enum_column(AgendaItemKind), default=AgendaItemKind.DEBATE
    )
    planned_minutes: Mapped[int] = mapped_column(Integer, default=10)
    presenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[AgendaItemState] = mapped_column(
        enum_column(AgendaItemState, 12), default=AgendaItemState.ACCEPTED
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Live: when the room first reached the item, and its timer (elapsed + running since).
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    timer_started_at: Mapped[datetime | None] = mapped_column(DateTime)
    timer_elapsed: Mapped[float] = mapped_column(Float, default=0.0)
    # The secretary's notes, taken live in the room (room/notes.py); the minutes draft uses them.
    # The revision refuses a save based on text someone else has replaced meanwhile.
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes_revision: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    notes_saved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    notes_saved_at: Mapped[datetime | None] = mapped_column(DateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    parent: Mapped[AgendaItem | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[AgendaItem]] = relationship(
        back_populates="parent", order_by="AgendaItem.position"
    )
    presenter: Mapped[User | None] = relationship(foreign_keys=[presenter_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    notes_saved_by: Mapped[User | None] = relationship(foreign_keys=[notes_saved_by_id])

    def elapsed_seconds(self, now: datetime) -> float:
        running = (now - self.timer_started_at).total_seconds() if self.timer_started_at else 0.0
        return self.timer_elapsed + running


class AgendaTemplate(db.Model):
    """An organisation's saved agenda; built-in ones live in code (meetings/templates.py)."""

    __tablename__ = "agenda_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    # [{"title", "kind", "planned_minutes", "description", "children": [...]}]
    items: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Attendance(db.Model):
    """A person in the room: when they arrived (punctuality) and left."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    arrived_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)
    method: Mapped[CheckInMethod] = mapped_column(enum_column(CheckInMethod, 12))
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Proxy(db.Model):
    """An absent member represented by a present one, for this meeting."""

    __tablename__ = "proxy"
    __table_args__ = (
        Index(
            "uq_proxy_active_grantor", "meeting_id", "grantor_id", **unique_while_open("revoked_at")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    grantor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    grantor: Mapped[User] = relationship(foreign_keys=[grantor_id])
    holder: Mapped[User] = relationship(foreign_keys=[holder_id])


class FloorRequest(db.Model):
    """A request for the floor, and, once called, the speech with its actual length."""

    __tablename__ = "floor_request"
    __table_args__ = (
        # One waiting request per person, whatever arrives at once (a double tap).
        Index(
            "uq_floor_request_waiting",
            "meeting_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[FloorKind] = mapped_column(enum_column(FloorKind, 16))
    status: Mapped[FloorStatus] = mapped_column(
        enum_column(FloorStatus, 12), default=FloorStatus.WAITING
    )
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @property
    def seconds(self) -> float:
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return (self.ended_at - self.started_at).total_seconds()


class Notification(db.Model):
    """An in-app notice (e.g. a meeting was convened), rendered in the reader's language."""

    __tablename__ = "notification"
    # One reminder per person, commitment, kind and due date, however many processes remind.
    __table_args__ = (
        Index(
            "uq_notification_commitment_reminder",
            "commitment_id",
            "user_id",
            "kind",
            "due_on",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    # A poll the notice is about (e.g. a reminder to vote in a poll open for days).
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), index=True
    )
    # A commitment the notice is about (due soon or overdue), and the due date it reminded of:
    # a renegotiated date may remind again.
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE")
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    poll: Mapped[Poll | None] = relationship()
    commitment: Mapped[Commitment | None] = relationship()
