"""Polls and ballots, and the register of decisions they produce.

Secrecy is structural: for a secret poll, `Ballot` holds what was chosen and nothing about who
(no voter, no time, no client id, a random key, weight 1), while `VoteRecord` holds who voted and,
while the poll is open, their choice sealed under a key the database does not hold (see
sealing.py). Ballots are written only when the poll closes, all in one transaction and in random
order, and the seals are cleared in it: no commit, row order, system column or timestamp pairs a
ballot with a voter. Neither table has a sequence, and on SQLite both are stored without rowids.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.organisations.models import enum_column


class PollMethod(StrEnum):
    YES_NO = "yes_no"
    CONSENT = "consent"
    GRADIENT = "gradient"
    SINGLE = "single"
    APPROVAL = "approval"
    DOTS = "dots"
    SCORE = "score"
    RANKED_IRV = "ranked_irv"
    RANKED_SCHULZE = "ranked_schulze"


class PollStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Eligibility(StrEnum):
    PRESENT = "present"  # checked in to the meeting (and the proxies they hold)
    ALL_MEMBERS = "all_members"  # open for days; everyone votes from wherever they are


class Weighting(StrEnum):
    PERSON = "person"  # one person, one vote
    ORGANISATION = "organisation"  # network plenary: one member organisation, one vote
    MEMBERSHIP = "membership"  # network plenary: each organisation weighted by its members


class Poll(db.Model):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), index=True
    )
    amendment_id: Mapped[int | None] = mapped_column(
        ForeignKey("amendment.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[PollMethod] = mapped_column(enum_column(PollMethod, 16))
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility: Mapped[Eligibility] = mapped_column(
        enum_column(Eligibility, 12), default=Eligibility.PRESENT
    )
    weighting: Mapped[Weighting] = mapped_column(
        enum_column(Weighting, 12), default=Weighting.PERSON
    )
    allow_change: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counted by hands in the room: the facilitator enters the counts when closing it.
    show_of_hands: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    show_running_results: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PollStatus] = mapped_column(
        enum_column(PollStatus, 10), default=PollStatus.DRAFT
    )
    closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who could vote, frozen when the poll opens: {voter_key: weight}.
    electorate: Mapped[dict] = mapped_column(JSON, default=dict)
    quorum_at_open: Mapped[dict | None] = mapped_column(JSON)
    quorum_at_close: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan"
    )


class PollOption(db.Model):
    __tablename__ = "poll_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    # Elections: the person the option stands for.
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # A workshop process's dots polls: the candidate issue, or the topic, the option stands for.
    candidate_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate_issue.id", ondelete="SET NULL"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic.id", ondelete="SET NULL"), index=True
    )


def _random_key() -> str:
    return uuid.uuid4().hex


class Ballot(db.Model):
    """What was chosen. In a secret poll: nothing else, one row per unit of weight, written when
    the poll closes (see the module's docstring)."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_key"),
        {"sqlite_with_rowid": False},
    )

    key: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    choice: Mapped[dict] = mapped_column(JSON)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    # Open polls only (NULL in secret ones): whose ballot, cast by whom, when.
    voter_key: Mapped[str | None] = mapped_column(String(24))
    cast_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    cast_at: Mapped[datetime | None] = mapped_column(DateTime)


class VoteRecord(db.Model):
    """Who has voted (a person, or an organisation in a network plenary), never what.

    Its primary key makes a second vote for the same voter impossible at the database level.
    `receipt` is a hash of the client-made ballot id, so a resend after a reconnect is
    recognised and acknowledged again rather than refused. `sealed`: a secret poll's choice
    while the poll is open, encrypted (sealing.py); cleared when it closes.
    """

    __tablename__ = "vote_record"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
    )
    voter_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    receipt: Mapped[str] = mapped_column(String(64))
    cast_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class Decision(db.Model):
    """The register of decisions: an adopted proposal, with its text and tally, for good."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    tally: Mapped[dict] = mapped_column(JSON)
