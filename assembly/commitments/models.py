"""Commitments: who does what by when, where it came from, and every change to it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.organisations.models import Organisation, enum_column


class CommitmentStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"
    RENEGOTIATED = "renegotiated"


class TimeFrame(StrEnum):
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


class CommitmentEventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    DUE = "due"
    EDITED = "edited"
    NOTE = "note"


class Commitment(db.Model):
    __tablename__ = "commitment"
    # A screen's resend of the same recording (a lost answer on a slow network) finds the first.
    __table_args__ = (UniqueConstraint("made_by_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    what: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    time_frame: Mapped[TimeFrame] = mapped_column(enum_column(TimeFrame, 10))
    status: Mapped[CommitmentStatus] = mapped_column(
        enum_column(CommitmentStatus, 14), default=CommitmentStatus.OPEN
    )
    # Where it came from: any of these (a decision also names its meeting and proposal, an
    # agenda item or topic its meeting), so each source's page finds what came from it.
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("decision.id", ondelete="SET NULL"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("poll.id", ondelete="SET NULL"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic.id", ondelete="SET NULL"), index=True
    )
    made_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Chosen by the screen that recorded it live, so that a resend is recognised.
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    made_by: Mapped[User | None] = relationship()
    owners: Mapped[list[CommitmentOwner]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="CommitmentOwner.id"
    )

    @property
    def closed(self) -> bool:
        return self.status in (CommitmentStatus.DONE, CommitmentStatus.DROPPED)


class CommitmentOwner(db.Model):
    """Someone who answers for a commitment: a person, or a member organisation of a network
    through a person of it (`owner_organisation_id` set)."""

    __tablename__ = "commitment_owner"
    __table_args__ = (UniqueConstraint("commitment_id", "user_id", "owner_organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )

    commitment: Mapped[Commitment] = relationship(back_populates="owners")
    user: Mapped[User] = relationship()
    owner_organisation: Mapped[Organisation | None] = relationship()


class CommitmentEvent(db.Model):
    """One change: who, when, what (old and new value) and why."""

    __tablename__ = "commitment_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CommitmentEventKind] = mapped_column(enum_column(CommitmentEventKind, 10))
    # For edits: what, time_frame, owners, due_on or status.
    field: Mapped[str | None] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class CalendarFeed(db.Model):
    """A person's private calendar address. Only a hash of its secret is kept: the address is
    shown once, and a new one (or none) makes the old one stop working at once."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_read_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class CommitmentReview(db.Model):
    """One commitment as a meeting's commitments review went through it, kept for the minutes:
    its status and due date before, what was decided, and who recorded it. Written when the
    facilitator updates it in the room; those left unreviewed when the meeting ends are written
    as carried forward without change."""

    __tablename__ = "commitment_review"
    __table_args__ = (UniqueConstraint("agenda_item_id", "commitment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), index=True
    )
    status_before: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus, 14))
    due_before: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus, 14))
    new_due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship()
    reviewed_by: Mapped[User | None] = relationship()
