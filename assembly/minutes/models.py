"""Minutes (actas): drafted from a meeting's record, edited in versions, approved and locked.

Every saved text is a `MinutesVersion`, never overwritten. An approved version carries the
sha256 of its text and a chain hash over the previous approved version's chain hash, so a later
change to any approved text (or the removal of one) is detectable (`assembly verify-minutes`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.organisations.models import enum_column
from assembly.voting.models import Poll


class MinutesStatus(StrEnum):
    DRAFT = "draft"  # being written, or a correction waiting for approval
    APPROVED = "approved"  # the latest version is approved: locked


class ApprovalRoute(StrEnum):
    APPROVERS = "approvers"  # every designated approver approved it
    POLL = "poll"  # a poll adopted at a later meeting approved it
    IMPORTED = "imported"  # historical minutes, approved before they came in (import-minutes)


class Minutes(db.Model):
    __tablename__ = "minutes"
    # One import per organisation and file: running `assembly import-minutes` again adds nothing.
    __table_args__ = (
        Index(
            "ix_minutes_organisation_id_imported_from",
            "organisation_id",
            "imported_from",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MinutesStatus] = mapped_column(
        enum_column(MinutesStatus, 10), default=MinutesStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Historical minutes brought in from a file: its name within the imported folder, and the
    # sha256 of its bytes then (a file changed since is reported, not imported twice).
    imported_from: Mapped[str | None] = mapped_column(String(500))
    imported_sha256: Mapped[str | None] = mapped_column(String(64))

    meeting: Mapped[Meeting] = relationship()
    versions: Mapped[list[MinutesVersion]] = relationship(
        back_populates="minutes", order_by="MinutesVersion.number", cascade="all, delete-orphan"
    )
    approvers: Mapped[list[MinutesApprover]] = relationship(
        order_by="MinutesApprover.id", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> MinutesVersion:
        return self.versions[-1]

    @property
    def approved_versions(self) -> list[MinutesVersion]:
        return [v for v in self.versions if v.approved_at is not None]

    @property
    def published(self) -> MinutesVersion | None:
        """What members read: the latest approved version."""
        approved = self.approved_versions
        return approved[-1] if approved else None


class MinutesVersion(db.Model):
    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("minutes_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("minutes.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # None: drafted by the app from the meeting's record.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(500), default="")
    # Set once, when the version is approved.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_via: Mapped[ApprovalRoute | None] = mapped_column(enum_column(ApprovalRoute, 10))
    approval_poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="SET NULL"))
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    previous_chain_sha256: Mapped[str | None] = mapped_column(String(64))
    chain_sha256: Mapped[str | None] = mapped_column(String(64))

    minutes: Mapped[Minutes] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    approval_poll: Mapped[Poll | None] = relationship()
    approvals: Mapped[list[MinutesApproval]] = relationship(
        order_by="MinutesApproval.id", cascade="all, delete-orphan"
    )


class MinutesApprover(db.Model):
    """A person named to approve the minutes (each of them approves each version)."""

    __tablename__ = "minutes_approver"
    __table_args__ = (UniqueConstraint("minutes_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship()


class MinutesApproval(db.Model):
    """One approver's approval of one version."""

    __tablename__ = "minutes_approval"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("minutes_version.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    approved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()
