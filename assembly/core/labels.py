"""Human names of domain values, translated. Templates use the `label` filter."""

from __future__ import annotations

from enum import Enum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from assembly.accounts.models import Gender
from assembly.meetings.models import (
    AgendaItemKind,
    AgendaItemState,
    MeetingKind,
    MeetingStatus,
    RecurrenceUnit,
    SpeakerPolicy,
)
from assembly.organisations.models import MembershipEventKind, OrganisationKind, Role
from assembly.permissions import DELEGATE
from assembly.voting.models import Eligibility, PollMethod, PollStatus, Weighting

LABELS = {
    OrganisationKind.WORKER_COOPERATIVE: _l("Worker cooperative"),
    OrganisationKind.SME: _l("SME"),
    OrganisationKind.COLLECTIVE: _l("Collective"),
    OrganisationKind.NETWORK: _l("Network or federation"),
    Role.MEMBER: _l("Member"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.SECRETARY: _l("Secretary"),
    Role.ADMIN: _l("Admin"),
    DELEGATE: _l("Delegate"),
    Gender.WOMAN: _l("Woman"),
    Gender.MAN: _l("Man"),
    Gender.NON_BINARY: _l("Non-binary"),
    MembershipEventKind.JOINED: _l("joined"),
    MembershipEventKind.ROLE_CHANGED: _l("role changed"),
    MembershipEventKind.REMOVED: _l("removed"),
    MeetingKind.ORDINARY: _l("Ordinary assembly"),
    MeetingKind.EXTRAORDINARY: _l("Extraordinary assembly"),
    MeetingKind.WORKSHOP: _l("Problematisation workshop"),
    MeetingKind.PLENARY: _l("Network plenary"),
    MeetingKind.WORKING: _l("Working meeting"),
    MeetingStatus.CONVENED: _l("Convened"),
    MeetingStatus.LIVE: _l("In progress"),
    SpeakerPolicy.FIRST_COME: _l("First come, first served"),
    SpeakerPolicy.PROGRESSIVE: _l("Progressive (those who spoke less go first)"),
    AgendaItemKind.INFORMATION: _l("Information"),
    AgendaItemKind.DEBATE: _l("Debate"),
    AgendaItemKind.DECISION: _l("Decision"),
    AgendaItemKind.QUESTION: _l("Problematisation question"),
    AgendaItemKind.COMMITMENTS_REVIEW: _l("Review of commitments"),
    AgendaItemState.PROPOSED: _l("Waiting for the facilitator"),
    AgendaItemState.ACCEPTED: _l("Accepted"),
    AgendaItemState.DECLINED: _l("Declined"),
    RecurrenceUnit.WEEKS: _l("weeks"),
    RecurrenceUnit.MONTHS: _l("months"),
    PollMethod.YES_NO: _l("Yes / No / Abstain"),
    PollMethod.CONSENT: _l("Consent"),
    PollMethod.GRADIENT: _l("Gradient of agreement"),
    PollMethod.SINGLE: _l("Single choice"),
    PollMethod.APPROVAL: _l("Approval"),
    PollMethod.DOTS: _l("Dots"),
    PollMethod.SCORE: _l("Scores"),
    PollMethod.RANKED_IRV: _l("Ranking (instant run-off)"),
    PollMethod.RANKED_SCHULZE: _l("Ranking (Schulze method)"),
    PollStatus.OPEN: _l("Open for voting"),
    PollStatus.CANCELLED: _l("Cancelled"),
    Eligibility.PRESENT: _l("Those present (and the proxies they hold)"),
    Eligibility.ALL_MEMBERS: _l("All members, from wherever they are"),
    Weighting.PERSON: _l("One person, one vote"),
    Weighting.ORGANISATION: _l("One organisation, one vote"),
    Weighting.MEMBERSHIP: _l("Organisations weighted by their membership"),
}

# A StrEnum member is equal to its value, so members of two enums with the same value ("other",
# "draft") would be one key above: these are looked up by their enum too.
SHARED_VALUES = {
    (OrganisationKind, "other"): lazy_pgettext("organisation kind", "Other"),
    (Gender, "other"): lazy_pgettext("gender", "Other"),
    (AgendaItemKind, "other"): _l("Other matter"),
    (MeetingStatus, "draft"): _l("Draft"),
    (PollStatus, "draft"): _l("Draft"),
    (MeetingStatus, "closed"): _l("Closed"),
    (PollStatus, "closed"): _l("Closed"),
}


def label(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum) and (type(value), value.value) in SHARED_VALUES:
        return str(SHARED_VALUES[type(value), value.value])
    if value in LABELS:
        return str(LABELS[value])
    shared = [text for (_enum, v), text in SHARED_VALUES.items() if v == value]
    return str(shared[0]) if shared else str(value)


def choices(enum_cls) -> list[tuple[str, str]]:
    return [(member.value, label(member)) for member in enum_cls]
