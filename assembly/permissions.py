"""Who may do what, decided in one place for views and socket events alike.

`authorise` raises NotFound when the person has no standing in the organisation at all (so
outsiders cannot even learn that a page exists) and Forbidden when they have standing but not
the right. Socket handlers turn the same exceptions into error events.
"""

from __future__ import annotations

from enum import StrEnum

from flask import g, has_app_context
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from assembly.extensions import db
from assembly.organisations.models import (
    Delegate,
    Membership,
    MinutesReaders,
    NetworkMembership,
    Organisation,
    Role,
)
from assembly.proposals.models import Proposal, ProposalAuthor, ProposalStatus


class Action(StrEnum):
    VIEW = "organisation.view"
    VIEW_DIRECTORY = "organisation.view_directory"
    EDIT = "organisation.edit"
    INVITE = "organisation.invite"
    MANAGE_MEMBERS = "organisation.manage_members"
    VIEW_MEMBER_HISTORY = "organisation.view_member_history"
    VIEW_OUTBOX = "organisation.view_outbox"
    MANAGE_NETWORK = "network.manage_members"
    NAME_DELEGATES = "network.name_delegates"
    VIEW_MEETINGS = "meeting.view"
    TAKE_PART = "meeting.take_part"
    PROPOSE_AGENDA_ITEM = "meeting.propose_agenda_item"
    PREPARE_MEETINGS = "meeting.prepare"
    RUN_MEETINGS = "meeting.run"
    RECORD_ATTENDANCE = "meeting.record_attendance"
    GROUP_CARDS = "workshop.group_cards"
    MANAGE_PROCESSES = "workshop.manage_processes"
    PROPOSE = "proposal.propose"
    MANAGE_PROPOSALS = "proposal.manage"
    MANAGE_COMMITMENTS = "commitment.manage"
    # Each person's follow-through figures: besides the person, only admins see them.
    VIEW_FIGURES_BY_PERSON = "commitment.figures_by_person"
    EDIT_MINUTES = "minutes.edit"
    NAME_MINUTES_APPROVERS = "minutes.name_approvers"


# A delegate of a member organisation takes part in the network without being its member.
DELEGATE = "delegate"

_EVERYONE = frozenset(
    {
        Action.VIEW,
        Action.VIEW_DIRECTORY,
        Action.VIEW_MEETINGS,
        Action.TAKE_PART,
        Action.PROPOSE_AGENDA_ITEM,
        Action.PROPOSE,
    }
)
# Meetings, as Argentine cooperatives hold them: the secretary convenes and keeps the record.
# Preparing (creating a meeting, its agenda, templates, series, convening, deleting a draft) is
# for facilitators and secretaries; running the room (starting it, moving through the agenda,
# giving the floor, polls) for facilitators; recording attendance, and grouping a workshop's
# cards into topics with their main points, for both.
_PREPARE = frozenset({Action.PREPARE_MEETINGS})
_RUN = frozenset({Action.RUN_MEETINGS})
_ATTENDANCE = frozenset({Action.RECORD_ATTENDANCE, Action.GROUP_CARDS})
# A workshop process (its sessions, the dots polls that choose its questions, turning candidates
# into questions and topics into proposals) is run by those who prepare its meetings.
_PROCESSES = frozenset({Action.MANAGE_PROCESSES})
# Commitments are recorded and kept up to date by those who run and record meetings; an owner
# updates the status of their own (see `can_update_commitment`).
_COMMITMENTS = frozenset({Action.MANAGE_COMMITMENTS})
# Minutes (actas): the secretary keeps them, the facilitator and admins may correct the draft;
# who approves them is named by the secretary or an admin (or a later meeting's poll approves).
# Drafts are read only by those who may edit them; members read approved versions.
# The live notes on each agenda item (room/notes.py) go into the draft, so the same people write
# them (EDIT_MINUTES); everyone in the room (VIEW_MEETINGS) reads them as they are taken.
_EDIT_MINUTES = frozenset({Action.EDIT_MINUTES})
_MINUTES_APPROVERS = frozenset({Action.NAME_MINUTES_APPROVERS})

STANDING_ACTIONS: dict[str, frozenset[Action]] = {
    DELEGATE: _EVERYONE,
    Role.MEMBER: _EVERYONE,
    Role.FACILITATOR: (
        _EVERYONE | _PREPARE | _RUN | _ATTENDANCE | _PROCESSES | _COMMITMENTS | _EDIT_MINUTES
    ),
    Role.SECRETARY: (
        _EVERYONE
        | _PREPARE
        | _ATTENDANCE
        | _PROCESSES
        | _COMMITMENTS
        | _EDIT_MINUTES
        | _MINUTES_APPROVERS
        | {Action.VIEW_MEMBER_HISTORY}
    ),
    Role.ADMIN: frozenset(Action),
}

# The people a meeting names to run it may do so whatever their role in the organisation: its
# facilitator runs the room and records attendance, its secretary records attendance (and both
# group a workshop's board and edit its minutes; the secretary names who approves them).
_NAMED_FACILITATOR = _RUN | _ATTENDANCE | _EDIT_MINUTES
_NAMED_SECRETARY = _ATTENDANCE | _EDIT_MINUTES | _MINUTES_APPROVERS


def active_membership(user_id: int, organisation_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.user_id == user_id,
            Membership.organisation_id == organisation_id,
            Membership.left_at.is_(None),
        )
    )


def is_delegate(user_id: int, network_id: int) -> bool:
    """Named by a member organisation that is still in the network, and still its member."""
    query = (
        select(Delegate.id)
        .join(NetworkMembership, Delegate.network_membership_id == NetworkMembership.id)
        .join(
            Membership,
            (Membership.organisation_id == NetworkMembership.member_id)
            & (Membership.user_id == Delegate.user_id)
            & Membership.left_at.is_(None),
        )
        .where(
            Delegate.user_id == user_id,
            Delegate.ended_at.is_(None),
            NetworkMembership.network_id == network_id,
            NetworkMembership.left_at.is_(None),
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None


def standing(user, organisation: Organisation) -> str | None:
    """The person's role in the organisation, `delegate`, or None for an outsider."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = g.setdefault("_standing", {}) if has_app_context() else {}
    key = (user.id, organisation.id)
    if key not in cache:
        membership = active_membership(user.id, organisation.id)
        if membership is not None:
            cache[key] = Role(membership.role)
        elif organisation.is_network and is_delegate(user.id, organisation.id):
            cache[key] = DELEGATE
        else:
            cache[key] = None
    return cache[key]


def forget_standing() -> None:
    """Call after changing memberships within one request."""
    if has_app_context():
        g.pop("_standing", None)


def can(user, action: Action, organisation: Organisation) -> bool:
    role = standing(user, organisation)
    return role is not None and action in STANDING_ACTIONS[role]


def authorise(user, action: Action, organisation: Organisation | None) -> None:
    if organisation is None:
        raise NotFound()
    role = standing(user, organisation)
    if role is None:
        raise NotFound()
    if action not in STANDING_ACTIONS[role]:
        raise Forbidden()


def can_in_meeting(user, action: Action, meeting) -> bool:
    """As `can`, for one meeting: drafts are for those who prepare; named roles add rights."""
    organisation = meeting.organisation
    role = standing(user, organisation)
    if role is None:
        return False
    allowed = STANDING_ACTIONS[role]
    if user.id == meeting.facilitator_id:
        allowed = allowed | _NAMED_FACILITATOR
    if user.id == meeting.secretary_id:
        allowed = allowed | _NAMED_SECRETARY
    if meeting.status == "draft" and Action.PREPARE_MEETINGS not in allowed:
        return False
    return action in allowed


def authorise_meeting(user, action: Action, meeting) -> None:
    if meeting is None:
        raise NotFound()
    if not can_in_meeting(user, Action.VIEW_MEETINGS, meeting):
        raise NotFound()
    if not can_in_meeting(user, action, meeting):
        raise Forbidden()


# --- proposals ---------------------------------------------------------------------------------

# Who may do what on one proposal, beyond the organisation-wide actions: only its authors edit,
# submit and withdraw it and decide on its amendments; only an amendment's author withdraws it.
AUTHOR = "author"


def is_proposal_author(user, proposal: Proposal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ProposalAuthor.user_id).where(
                ProposalAuthor.proposal_id == proposal.id, ProposalAuthor.user_id == user.id
            )
        )
        is not None
    )


def can_see_proposal(user, proposal: Proposal) -> bool:
    """Every member sees every proposal but drafts, which are for their authors (and admins)."""
    organisation = proposal.organisation
    if standing(user, organisation) is None:
        return False
    if proposal.status != ProposalStatus.DRAFT:
        return True
    return can(user, Action.MANAGE_PROPOSALS, organisation) or is_proposal_author(user, proposal)


def can_on_proposal(user, action: Action | str, proposal: Proposal) -> bool:
    """`action` is an organisation-wide Action, or AUTHOR for what only the authors may do."""
    if not can_see_proposal(user, proposal):
        return False
    if action == AUTHOR:
        return is_proposal_author(user, proposal)
    return can(user, action, proposal.organisation)


def authorise_proposal(user, action: Action | str, proposal: Proposal | None) -> None:
    """NotFound for a proposal the person may not see (or none); Forbidden for one they may
    see but not act on."""
    if proposal is None or not can_see_proposal(user, proposal):
        raise NotFound()
    if not can_on_proposal(user, action, proposal):
        raise Forbidden()


def authorise_writer(user, written_by_id: int | None) -> None:
    """Only the person who wrote an amendment or a comment takes it back."""
    if user is None or written_by_id is None or getattr(user, "id", None) != written_by_id:
        raise Forbidden()


# --- commitments -------------------------------------------------------------------------------


def answers_through_member(user, commitment) -> bool:
    """A person named for a member organisation answers for the network's commitment (and may
    read and update it, and nothing else of the network) while they belong to that organisation
    and it to the network, whether or not they are its delegate."""
    user_id = getattr(user, "id", None)
    if user_id is None or not getattr(user, "is_authenticated", False):
        return False
    for owner in commitment.owners:
        if owner.user_id != user_id or owner.owner_organisation_id is None:
            continue
        in_network = db.session.scalar(
            select(NetworkMembership.id).where(
                NetworkMembership.network_id == commitment.organisation_id,
                NetworkMembership.member_id == owner.owner_organisation_id,
                NetworkMembership.left_at.is_(None),
            )
        )
        if in_network is not None and active_membership(user_id, owner.owner_organisation_id):
            return True
    return False


def may_read_commitment(user, commitment) -> bool:
    return standing(user, commitment.organisation) is not None or answers_through_member(
        user, commitment
    )


def can_update_commitment(user, commitment) -> bool:
    """Status changes and progress notes: those who manage commitments, and the owners of this
    one (while they still have standing in its organisation, or answer for it through a member
    organisation of the network)."""
    organisation = commitment.organisation
    if standing(user, organisation) is None:
        return answers_through_member(user, commitment)
    if can(user, Action.MANAGE_COMMITMENTS, organisation):
        return True
    return any(owner.user_id == user.id for owner in commitment.owners)


def authorise_commitment(user, commitment, *, update: bool = False) -> None:
    """NotFound for none or for outsiders; Forbidden for an update without the right."""
    if commitment is None or not may_read_commitment(user, commitment):
        raise NotFound()
    if update and not can_update_commitment(user, commitment):
        raise Forbidden()


def authorise_recording_commitments(user, meeting) -> None:
    """In the room, commitments are recorded by those who keep the meeting's record: its
    facilitator and secretary (named for it, or by role) and admins, as attendance is."""
    authorise_meeting(user, Action.RECORD_ATTENDANCE, meeting)


# --- minutes -----------------------------------------------------------------------------------


def reads_minutes_through_member(user, network: Organisation) -> bool:
    """A member of one of the network's member organisations, without standing in the network,
    reads its approved minutes (and nothing else of it) when the network so decided."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not network.is_network or network.minutes_readers != MinutesReaders.MEMBER_ORGANISATIONS:
        return False
    query = (
        select(Membership.id)
        .join(NetworkMembership, NetworkMembership.member_id == Membership.organisation_id)
        .where(
            Membership.user_id == user.id,
            Membership.left_at.is_(None),
            NetworkMembership.network_id == network.id,
            NetworkMembership.left_at.is_(None),
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None


def may_read_minutes(user, minutes) -> bool:
    """Whoever may see the meeting reads its minutes (which versions: minutes.service
    `readable_versions`); a network's approved minutes are also read by the members of its
    member organisations when the network opened them (`Organisation.minutes_readers`)."""
    if minutes is None:
        return False
    if can_in_meeting(user, Action.VIEW_MEETINGS, minutes.meeting):
        return True
    return minutes.published is not None and reads_minutes_through_member(
        user, minutes.meeting.organisation
    )
