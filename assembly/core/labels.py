"""Human names of domain values, translated. Templates use the `label` filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from assembly.accounts.models import Gender
from assembly.organisations.models import MembershipEventKind, OrganisationKind, Role
from assembly.permissions import DELEGATE

LABELS = {
    OrganisationKind.WORKER_COOPERATIVE: _l("Worker cooperative"),
    OrganisationKind.SME: _l("SME"),
    OrganisationKind.COLLECTIVE: _l("Collective"),
    OrganisationKind.NETWORK: _l("Network or federation"),
    OrganisationKind.OTHER: _l("Other"),
    Role.MEMBER: _l("Member"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.SECRETARY: _l("Secretary"),
    Role.ADMIN: _l("Admin"),
    DELEGATE: _l("Delegate"),
    Gender.WOMAN: _l("Woman"),
    Gender.MAN: _l("Man"),
    Gender.NON_BINARY: _l("Non-binary"),
    Gender.OTHER: _l("Another identity"),
    MembershipEventKind.JOINED: _l("joined"),
    MembershipEventKind.ROLE_CHANGED: _l("role changed"),
    MembershipEventKind.REMOVED: _l("removed"),
}


def label(value) -> str:
    if value is None:
        return ""
    return str(LABELS.get(value, value))


def choices(enum_cls) -> list[tuple[str, str]]:
    return [(member.value, LABELS[member]) for member in enum_cls]
