"""Problematisation workshops: processes of several sessions, the questions the members choose,
and the board of each question (contribution cards, backing, topics with their main points).

A session is a meeting of kind "problematisation workshop"; its points of debate are its agenda
items of kind "problematisation question". What the board holds per question: cards (short
contributions from phones), grouped by the facilitator or secretary into topics, each topic with
the "main points discussed" the secretary writes. Every grouping step is logged with what it
changed, so the last steps can be undone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from assembly.core.clock import utcnow
from assembly.extensions import db

CARD_MAX = 500
TOPIC_TITLE_MAX = 200
ISSUE_MAX = 300


class Process(db.Model):
    """A participatory process: several workshop sessions on one subject (the RCTPS's four)."""

    __tablename__ = "workshop_process"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Members propose candidate questions while this is on; the facilitator closes it.
    proposals_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class WorkshopSession(db.Model):
    """A workshop meeting's board settings, and the process it belongs to (if any)."""

    __tablename__ = "workshop_session"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    process_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_process.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)  # its place in the process
    anonymous_cards: Mapped[bool] = mapped_column(Boolean, default=False)
    # Write first, then see the others: cards stay hidden until the facilitator reveals them.
    hidden_until_reveal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped by every change of the board; screens apply changes in order and catch up on a gap.
    board_version: Mapped[int] = mapped_column(Integer, default=0)


class CandidateIssue(db.Model):
    """An issue a member proposes for the process to work on; prioritised by a dots poll."""

    __tablename__ = "candidate_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_process.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(ISSUE_MAX))
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Once chosen: the point of debate it became.
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )


class QuestionReveal(db.Model):
    """A point of debate whose hidden cards the facilitator has revealed."""

    __tablename__ = "question_reveal"

    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), primary_key=True
    )
    revealed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Topic(db.Model):
    """Cards grouped under a name, with the main points discussed about it."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(TOPIC_TITLE_MAX))
    main_points: Mapped[str] = mapped_column(Text, default="")
    main_points_version: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Merged away or undone: kept (an undo may bring it back), shown nowhere.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    # The board version of its last change: screens keep the newest copy whatever order the
    # updates arrive in (see docs/realtime.md).
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Card(db.Model):
    """A contribution from a phone. Its author is always known to the server (flooding limits,
    deleting one's own card) and shown to nobody else when the card is anonymous."""

    __tablename__ = "card"
    __table_args__ = (
        # A card resent after a reconnection is the same card, not a second one.
        UniqueConstraint("author_id", "client_id"),
        Index("ix_card_author_id_created_at", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topic.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(String(CARD_MAX))
    client_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # as Topic.version
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CardBacking(db.Model):
    """A member's +1 on a card: at most one each, by its primary key."""

    __tablename__ = "card_backing"

    card_id: Mapped[int] = mapped_column(
        ForeignKey("card.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BoardAction(db.Model):
    """One grouping step on a board, with the values it replaced, so that it can be undone."""

    __tablename__ = "board_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    # [{"card": id, "was": {...}}, {"topic": id, "was": {...}}]: the old values of what changed.
    before: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
