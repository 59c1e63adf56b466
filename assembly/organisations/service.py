"""Organisations, memberships, invitations and networks. Plain functions; callers commit."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.accounts.service import create_user, normalise_email
from assembly.core.clock import utcnow
from assembly.core.errors import Conflict, DomainError
from assembly.core.mail import deliver
from assembly.core.urls import absolute_url
from assembly.extensions import db
from assembly.organisations.models import (
    Delegate,
    Invitation,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    MinutesReaders,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    Role,
)
from assembly.permissions import DELEGATE, active_membership, forget_standing


class AlreadyMember(Conflict):
    code = "already_member"

    def default_message(self):
        return lazy_gettext("This person is already a member of the organisation.")


class LastAdmin(DomainError):
    code = "last_admin"

    def default_message(self):
        return lazy_gettext("An organisation needs at least one admin: name another admin first.")


class InvitationNotFound(DomainError):
    code = "invitation_not_found"
    status = 404

    def default_message(self):
        return lazy_gettext("This invitation link is not valid.")


class InvitationUsed(DomainError):
    code = "invitation_used"
    status = 410

    def default_message(self):
        return lazy_gettext("This invitation has already been used.")


class InvitationExpired(DomainError):
    code = "invitation_expired"
    status = 410

    def default_message(self):
        return lazy_gettext("This invitation has expired. Ask an admin for a new one.")


class InvitationForAnotherAddress(DomainError):
    """An invitation is for the address it was sent to: whoever else holds the link (a
    forwarded message, a shared phone) cannot use it to take the role it offers."""

    code = "invitation_for_another_address"
    status = 403

    def default_message(self):
        return lazy_gettext("This invitation is for another e-mail address.")


class NotANetwork(DomainError):
    code = "not_a_network"

    def default_message(self):
        return lazy_gettext("Only a network can have member organisations.")


class InvalidNetworkMember(DomainError):
    code = "invalid_network_member"

    def default_message(self):
        return lazy_gettext("A network cannot be a member of itself.")


class AlreadyInNetwork(Conflict):
    code = "already_in_network"

    def default_message(self):
        return lazy_gettext("This organisation is already a member of the network.")


class DelegateNotMember(DomainError):
    code = "delegate_not_member"

    def default_message(self):
        return lazy_gettext("A delegate must be a member of the organisation that names them.")


class AlreadyDelegate(Conflict):
    code = "already_delegate"

    def default_message(self):
        return lazy_gettext("This person is already a delegate to the network.")


# --- organisations ---------------------------------------------------------------------------


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60] or "org"


def unique_slug(name: str) -> str:
    base = slugify(name)
    taken = set(
        db.session.scalars(
            select(Organisation.slug).where(
                (Organisation.slug == base) | Organisation.slug.like(base + "-%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_organisation(
    name: str,
    kind: OrganisationKind,
    *,
    creator: User | None = None,
    description: str = "",
    slug: str | None = None,
) -> Organisation:
    organisation = Organisation(
        name=name.strip(),
        kind=kind,
        description=description,
        slug=slug or unique_slug(name),
    )
    db.session.add(organisation)
    db.session.flush()
    if creator is not None:
        add_member(organisation, creator, Role.ADMIN, actor=creator)
    return organisation


def organisation_by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


QUORUM_MIN, QUORUM_MAX = 1, 100
PROXIES_MIN, PROXIES_MAX = 0, 10


class InvalidMeetingRules(DomainError):
    code = "invalid_meeting_rules"

    def default_message(self):
        return lazy_gettext(
            "The quorum must be between 1 and 100 per cent, and proxies between 0 and 10."
        )


def update_organisation(
    organisation: Organisation,
    *,
    name: str,
    description: str,
    quorum_percent: int | None = None,
    max_proxies: int | None = None,
    minutes_readers: str | None = None,
) -> None:
    """Name, description and, if given, the meeting rules (quorum and proxies per member) and,
    for a network, who reads its approved minutes."""
    if quorum_percent is not None and not QUORUM_MIN <= quorum_percent <= QUORUM_MAX:
        raise InvalidMeetingRules()
    if max_proxies is not None and not PROXIES_MIN <= max_proxies <= PROXIES_MAX:
        raise InvalidMeetingRules()
    organisation.name = name.strip()
    organisation.description = description
    if quorum_percent is not None:
        organisation.quorum_percent = quorum_percent
    if max_proxies is not None:
        organisation.max_proxies = max_proxies
    if minutes_readers is not None and organisation.is_network:
        organisation.minutes_readers = MinutesReaders(minutes_readers)


# --- memberships -----------------------------------------------------------------------------


def _record(membership: Membership, kind: MembershipEventKind, actor: User | None, **roles):
    db.session.add(
        MembershipEvent(
            membership=membership,
            kind=kind,
            actor_id=actor.id if actor else None,
            **roles,
        )
    )


def add_member(
    organisation: Organisation, user: User, role: Role, *, actor: User | None
) -> Membership:
    if active_membership(user.id, organisation.id) is not None:
        raise AlreadyMember()
    membership = Membership(organisation=organisation, user=user, role=role)
    db.session.add(membership)
    db.session.flush()
    _record(membership, MembershipEventKind.JOINED, actor, new_role=role)
    forget_standing()
    return membership


def _active_admins(organisation_id: int) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == organisation_id,
            Membership.role == Role.ADMIN,
            Membership.left_at.is_(None),
        )
    )


def change_role(membership: Membership, role: Role, *, actor: User | None) -> None:
    if membership.role == role:
        return
    if membership.role == Role.ADMIN and _active_admins(membership.organisation_id) <= 1:
        raise LastAdmin()
    old = membership.role
    membership.role = role
    _record(membership, MembershipEventKind.ROLE_CHANGED, actor, old_role=old, new_role=role)
    forget_standing()


def remove_member(membership: Membership, *, actor: User | None) -> None:
    """End the membership, keeping its history, and any delegation it carried."""
    if not membership.active:
        return
    if membership.role == Role.ADMIN and _active_admins(membership.organisation_id) <= 1:
        raise LastAdmin()
    now = utcnow()
    membership.left_at = now
    _record(membership, MembershipEventKind.REMOVED, actor, old_role=membership.role)
    delegations = db.session.scalars(
        select(Delegate)
        .join(NetworkMembership, Delegate.network_membership_id == NetworkMembership.id)
        .where(
            NetworkMembership.member_id == membership.organisation_id,
            Delegate.user_id == membership.user_id,
            Delegate.ended_at.is_(None),
        )
    )
    for delegate in delegations:
        delegate.ended_at = now
    forget_standing()


def directory(organisation: Organisation) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(User)
            .where(Membership.organisation_id == organisation.id, Membership.left_at.is_(None))
            .order_by(func.lower(User.display_name))
        )
    )


def membership_history(organisation: Organisation) -> list[MembershipEvent]:
    return list(
        db.session.scalars(
            select(MembershipEvent)
            .join(Membership)
            .where(Membership.organisation_id == organisation.id)
            .order_by(MembershipEvent.at.desc(), MembershipEvent.id.desc())
        )
    )


def membership_in(organisation: Organisation, membership_id: int) -> Membership | None:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        return None
    return membership


@dataclass(frozen=True)
class Place:
    """An organisation a person works in, and how: by role or as a delegate."""

    organisation: Organisation
    standing: str


def places_of(user: User) -> list[Place]:
    """Every organisation the person may open: their own, and networks they are delegate to."""
    places = [
        Place(m.organisation, Role(m.role))
        for m in db.session.scalars(
            select(Membership)
            .join(Organisation)
            .where(Membership.user_id == user.id, Membership.left_at.is_(None))
            .order_by(func.lower(Organisation.name))
        )
    ]
    seen = {p.organisation.id for p in places}
    networks = db.session.scalars(
        select(Organisation)
        .join(NetworkMembership, NetworkMembership.network_id == Organisation.id)
        .join(Delegate, Delegate.network_membership_id == NetworkMembership.id)
        .join(
            Membership,
            (Membership.organisation_id == NetworkMembership.member_id)
            & (Membership.user_id == Delegate.user_id),
        )
        .where(
            Delegate.user_id == user.id,
            Delegate.ended_at.is_(None),
            NetworkMembership.left_at.is_(None),
            Membership.left_at.is_(None),
        )
        .distinct()
    )
    places += [Place(n, DELEGATE) for n in networks if n.id not in seen]
    return places


# --- invitations -----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    organisation: Organisation, email: str, role: Role, *, actor: User | None
) -> tuple[Invitation, str]:
    """Create an invitation and send (or keep for admins) its link. Returns it and its link."""
    email = normalise_email(email)
    existing = db.session.scalar(
        select(Membership)
        .join(User)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.left_at.is_(None),
            func.lower(User.email) == email,
        )
    )
    if existing is not None:
        raise AlreadyMember()
    now = utcnow()
    # A new invitation replaces any earlier one still pending for the same address.
    for earlier in db.session.scalars(
        select(Invitation).where(
            Invitation.organisation_id == organisation.id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        created_by_id=actor.id if actor else None,
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    link = absolute_url("organisations.invitation", token=token)
    subject = gettext("Invitation to %(organisation)s on Assembly", organisation=organisation.name)
    body = gettext(
        "You are invited to join %(organisation)s on Assembly, where it holds its assemblies "
        "and keeps its decisions.\n\nOpen this link to accept (valid for %(days)s days):\n%(link)s",
        organisation=organisation.name,
        days=current_app.config["INVITATION_DAYS"],
        link=link,
    )
    deliver(email, subject, body, organisation_id=organisation.id)
    db.session.flush()
    return invitation, link


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def revoke_invitation(organisation: Organisation, invitation_id: int) -> None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation.id:
        raise InvitationNotFound()
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()


def open_invitation(token: str) -> Invitation:
    """The invitation behind a link, if it can still be accepted."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationNotFound()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.expires_at <= utcnow():
        raise InvitationExpired()
    return invitation


def _claim(invitation: Invitation, user: User) -> Membership:
    # The row is claimed with a conditional UPDATE so two simultaneous accepts cannot both win.
    claimed = db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow(), accepted_by_id=user.id)
    ).rowcount
    if claimed != 1:
        raise InvitationUsed()
    db.session.refresh(invitation)
    return add_member(invitation.organisation, user, Role(invitation.role), actor=None)


def invited_address_matches(invitation: Invitation, user: User) -> bool:
    return normalise_email(user.email) == normalise_email(invitation.email)


def accept_invitation(token: str, user: User) -> Membership:
    """Only the account with the invited address accepts; any other is refused, unchanged."""
    invitation = open_invitation(token)
    if not invited_address_matches(invitation, user):
        raise InvitationForAnotherAddress()
    return _claim(invitation, user)


def sign_up(
    token: str, *, display_name: str, password: str, locale: str | None = None, gender=None
) -> User:
    """Create the account the invitation names and make it a member."""
    invitation = open_invitation(token)
    user = create_user(invitation.email, display_name, password, locale=locale, gender=gender)
    _claim(invitation, user)
    return user


def outbox(organisation: Organisation):
    """What this organisation sent (invitations, convocations), for its admins to pass on.
    Nothing else: not a person's password reset, whichever organisations they belong to."""
    from assembly.accounts.models import OutboxMessage

    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.organisation_id == organisation.id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(100)
        )
    )


# --- networks --------------------------------------------------------------------------------


def add_to_network(network: Organisation, member: Organisation) -> NetworkMembership:
    if not network.is_network:
        raise NotANetwork()
    if network.id == member.id:
        raise InvalidNetworkMember()
    if active_network_membership(network, member) is not None:
        raise AlreadyInNetwork()
    link = NetworkMembership(network=network, member=member)
    db.session.add(link)
    db.session.flush()
    return link


def active_network_membership(
    network: Organisation, member: Organisation
) -> NetworkMembership | None:
    return db.session.scalar(
        select(NetworkMembership).where(
            NetworkMembership.network_id == network.id,
            NetworkMembership.member_id == member.id,
            NetworkMembership.left_at.is_(None),
        )
    )


def remove_from_network(link: NetworkMembership) -> None:
    now = utcnow()
    link.left_at = now
    for delegate in db.session.scalars(
        select(Delegate).where(
            Delegate.network_membership_id == link.id, Delegate.ended_at.is_(None)
        )
    ):
        delegate.ended_at = now
    forget_standing()


def network_members(network: Organisation) -> list[NetworkMembership]:
    return list(
        db.session.scalars(
            select(NetworkMembership)
            .join(Organisation, NetworkMembership.member_id == Organisation.id)
            .where(NetworkMembership.network_id == network.id, NetworkMembership.left_at.is_(None))
            .order_by(func.lower(Organisation.name))
        )
    )


def networks_of(organisation: Organisation) -> list[NetworkMembership]:
    return list(
        db.session.scalars(
            select(NetworkMembership).where(
                NetworkMembership.member_id == organisation.id,
                NetworkMembership.left_at.is_(None),
            )
        )
    )


def delegates(link: NetworkMembership) -> list[Delegate]:
    return list(
        db.session.scalars(
            select(Delegate).where(
                Delegate.network_membership_id == link.id, Delegate.ended_at.is_(None)
            )
        )
    )


def name_delegate(link: NetworkMembership, user: User) -> Delegate:
    if active_membership(user.id, link.member_id) is None:
        raise DelegateNotMember()
    if any(d.user_id == user.id for d in delegates(link)):
        raise AlreadyDelegate()
    delegate = Delegate(network_membership=link, user=user)
    db.session.add(delegate)
    db.session.flush()
    forget_standing()
    return delegate


def end_delegate(delegate: Delegate) -> None:
    delegate.ended_at = utcnow()
    forget_standing()
