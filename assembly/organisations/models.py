from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assembly.accounts.models import EMAIL_MAX, User
from assembly.core.clock import utcnow
from assembly.extensions import db


def enum_column(enum_cls: type[StrEnum], length: int = 30) -> SAEnum:
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


def unique_while_open(end_column: str) -> dict:
    """Partial unique index: only rows not yet ended must be unique; history may repeat."""
    condition = text(f"{end_column} IS NULL")
    return {"unique": True, "sqlite_where": condition, "postgresql_where": condition}


class OrganisationKind(StrEnum):
    WORKER_COOPERATIVE = "worker_cooperative"
    SME = "sme"
    COLLECTIVE = "collective"
    NETWORK = "network"
    OTHER = "other"


class Role(StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    SECRETARY = "secretary"
    ADMIN = "admin"


class MinutesReaders(StrEnum):
    """Who reads a network's approved minutes besides those with standing in it."""

    DELEGATES = "delegates"  # its members and the delegates of its member organisations
    MEMBER_ORGANISATIONS = "member_organisations"  # also every member of its member organisations


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    description: Mapped[str] = mapped_column(Text, default="")
    # The organisation's rules for its meetings.
    quorum_percent: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    max_proxies: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A network's decision on who reads its approved minutes (permissions.may_read_minutes).
    minutes_readers: Mapped[MinutesReaders] = mapped_column(
        enum_column(MinutesReaders, 20),
        default=MinutesReaders.DELEGATES,
        server_default=MinutesReaders.DELEGATES.value,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_network(self) -> bool:
        return self.kind == OrganisationKind.NETWORK

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Membership(db.Model):
    """A person in an organisation. Removal ends it (left_at) rather than deleting it."""

    __tablename__ = "membership"
    __table_args__ = (
        Index(
            "uq_membership_active_person",
            "organisation_id",
            "user_id",
            **unique_while_open("left_at"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, 20))
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.left_at is None


class MembershipEventKind(StrEnum):
    JOINED = "joined"
    ROLE_CHANGED = "role_changed"
    REMOVED = "removed"


class MembershipEvent(db.Model):
    """History of a membership: who joined, changed role or was removed, when and by whom."""

    __tablename__ = "membership_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MembershipEventKind] = mapped_column(enum_column(MembershipEventKind, 20))
    old_role: Mapped[Role | None] = mapped_column(enum_column(Role, 20))
    new_role: Mapped[Role | None] = mapped_column(enum_column(Role, 20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    membership: Mapped[Membership] = relationship()
    actor: Mapped[User | None] = relationship()


class NetworkMembership(db.Model):
    """An organisation in a network. A co-op may belong to several networks."""

    __tablename__ = "network_membership"
    __table_args__ = (
        CheckConstraint("network_id <> member_id", name="not_own_member"),
        Index(
            "uq_network_membership_active",
            "network_id",
            "member_id",
            **unique_while_open("left_at"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)

    network: Mapped[Organisation] = relationship(foreign_keys=[network_id])
    member: Mapped[Organisation] = relationship(foreign_keys=[member_id])


class Delegate(db.Model):
    """A person a member organisation names to speak and vote for it in a network."""

    __tablename__ = "delegate"
    __table_args__ = (
        Index(
            "uq_delegate_active",
            "network_membership_id",
            "user_id",
            **unique_while_open("ended_at"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_membership_id: Mapped[int] = mapped_column(
        ForeignKey("network_membership.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    appointed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    network_membership: Mapped[NetworkMembership] = relationship()
    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An invitation link to join an organisation with a role. Only the token's hash is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    role: Mapped[Role] = mapped_column(enum_column(Role, 20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
