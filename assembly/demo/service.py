"""Loads the demo; safe to run again (every record is looked up before it is made)."""

from __future__ import annotations

import click
from sqlalchemy import select

from assembly.accounts.models import Gender, User
from assembly.accounts.service import find_user_by_email, hash_password
from assembly.demo.data import DEMO_PASSWORD, NETWORKS, ORGANISATIONS, PEOPLE, generated_people
from assembly.extensions import db
from assembly.organisations import service as organisations
from assembly.organisations.models import (
    Delegate,
    Organisation,
    OrganisationKind,
    Role,
)
from assembly.permissions import active_membership


def load_demo() -> list[User]:
    """Create what is missing of the demo and return the accounts to list."""
    by_key: dict[str, Organisation] = {}
    for key, (name, kind, description) in ORGANISATIONS.items():
        organisation = organisations.organisation_by_slug(key)
        if organisation is None:
            organisation = organisations.create_organisation(
                name, OrganisationKind(kind), description=description, slug=key
            )
        by_key[key] = organisation

    links = {}
    for network_key, member_keys in NETWORKS.items():
        network = by_key[network_key]
        for member_key in member_keys:
            member = by_key[member_key]
            link = organisations.active_network_membership(network, member)
            if link is None:
                link = organisations.add_to_network(network, member)
            links[(member_key, network_key)] = link

    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: the demo loads in a blink
    listed = []
    for email, name, gender, memberships, delegations in PEOPLE + generated_people():
        user = find_user_by_email(email)
        if user is None:
            user = User(
                email=email,
                display_name=name,
                password_hash=password_hash,
                gender=Gender(gender) if gender else None,
                locale=None,
            )
            db.session.add(user)
            db.session.flush()
        for org_key, role in memberships:
            if active_membership(user.id, by_key[org_key].id) is None:
                organisations.add_member(by_key[org_key], user, Role(role), actor=None)
        for member_key, network_key in delegations:
            link = links[(member_key, network_key)]
            already = db.session.scalar(
                select(Delegate.id).where(
                    Delegate.network_membership_id == link.id,
                    Delegate.user_id == user.id,
                    Delegate.ended_at.is_(None),
                )
            )
            if already is None:
                organisations.name_delegate(link, user)
        if user.current_organisation_id is None and memberships:
            user.current_organisation_id = by_key[memberships[0][0]].id
        if any(email == p[0] for p in PEOPLE):
            listed.append(user)
    db.session.commit()
    return listed


def print_accounts(users: list[User]) -> None:
    from assembly.core.labels import label
    from assembly.organisations.service import places_of

    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for user in users:
        places = ", ".join(f"{p.organisation.slug} ({label(p.standing)})" for p in places_of(user))
        click.echo(f"  {user.email:<22} {user.display_name:<18} {places}")
