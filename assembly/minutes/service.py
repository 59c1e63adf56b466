"""Minutes: drafted when a meeting closes, edited in kept versions, approved, locked, chained.

Plain functions; callers commit. A refused change raises DomainError before touching anything.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.signals import meeting_closed
from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.minutes.drafting import draft_text
from assembly.minutes.models import (
    ApprovalRoute,
    Minutes,
    MinutesApproval,
    MinutesApprover,
    MinutesStatus,
    MinutesVersion,
)
from assembly.permissions import Action, can_in_meeting, standing
from assembly.voting.models import Poll, PollStatus

log = logging.getLogger(__name__)

TEXT_MAX = 200_000
REASON_MAX = 500
DRAFTED_REASON = "Borrador generado a partir del registro de la reunión"


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


# --- drafting ----------------------------------------------------------------------------------


def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def draft_minutes(meeting: Meeting) -> Minutes:
    """The meeting's minutes, drafted from its record if they do not exist yet."""
    existing = minutes_of(meeting)
    if existing is not None:
        return existing
    if meeting.status != MeetingStatus.CLOSED:
        raise _error(
            "meeting_not_closed",
            lazy_gettext("Minutes are drafted once the meeting has closed."),
            409,
        )
    minutes = Minutes(meeting_id=meeting.id, organisation_id=meeting.organisation_id)
    minutes.versions.append(
        MinutesVersion(number=1, text=draft_text(meeting), author_id=None, reason=DRAFTED_REASON)
    )
    db.session.add(minutes)
    db.session.flush()
    return minutes


@meeting_closed.connect
def _draft_on_close(meeting: Meeting, **_kwargs) -> None:
    """Draft in the closing's own transaction. A failure here must not stop the meeting from
    closing: it is logged, and the minutes page drafts them when first opened."""
    try:
        with db.session.begin_nested():
            draft_minutes(meeting)
    except Exception:  # logged; the minutes page drafts them when first opened
        log.exception("could not draft the minutes of meeting %s", meeting.id)


# --- who may read and do what ------------------------------------------------------------------


def may_edit(user, meeting: Meeting) -> bool:
    return can_in_meeting(user, Action.EDIT_MINUTES, meeting)


def may_name_approvers(user, meeting: Meeting) -> bool:
    return can_in_meeting(user, Action.NAME_MINUTES_APPROVERS, meeting)


def is_approver(user, minutes: Minutes) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if standing(user, minutes.meeting.organisation) is None:
        return False
    return any(a.user_id == user.id for a in minutes.approvers)


def readable_versions(user, minutes: Minutes) -> list[MinutesVersion]:
    """Staff read every version; everyone else with standing only the approved ones."""
    if may_edit(user, minutes.meeting) or is_approver(user, minutes):
        return list(minutes.versions)
    return minutes.approved_versions


def readable_minutes(user, meetings) -> set[int]:
    """Of these meetings, those whose minutes the person may open (the ids): staff any closed
    meeting's (the draft is written when first opened), approvers those they approve, everyone
    else with standing those with an approved version. A few queries, whatever the number."""
    meetings = [m for m in meetings if m is not None]
    if not meetings or user is None or not getattr(user, "is_authenticated", False):
        return set()
    readable = {m.id for m in meetings if m.status == MeetingStatus.CLOSED and may_edit(user, m)}
    others = [m for m in meetings if m.id not in readable and standing(user, m.organisation)]
    if not others:
        return readable
    ids = [m.id for m in others]
    readable.update(
        db.session.scalars(
            select(Minutes.meeting_id)
            .join(MinutesVersion, MinutesVersion.minutes_id == Minutes.id)
            .where(Minutes.meeting_id.in_(ids), MinutesVersion.approved_at.is_not(None))
        )
    )
    readable.update(
        db.session.scalars(
            select(Minutes.meeting_id)
            .join(MinutesApprover, MinutesApprover.minutes_id == Minutes.id)
            .where(Minutes.meeting_id.in_(ids), MinutesApprover.user_id == user.id)
        )
    )
    return readable


# --- editing -----------------------------------------------------------------------------------


def _clean_text(text) -> str:
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        raise _error("empty_text", lazy_gettext("The minutes cannot be empty."))
    if len(text) > TEXT_MAX:
        raise _error(
            "text_too_long",
            lazy_gettext("Minutes hold at most %(max)s characters.", max=f"{TEXT_MAX:,}"),
        )
    return text


def _clean_reason(reason) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise _error(
            "reason_too_long",
            lazy_gettext("A reason holds at most %(max)s characters.", max=REASON_MAX),
        )
    return reason


def locked_error() -> DomainError:
    return _error(
        "minutes_locked",
        lazy_gettext(
            "These minutes are approved and locked. To change them, make a correction and "
            "say why: it is a new version that needs approval again."
        ),
        409,
    )


def save_version(
    minutes: Minutes, text, author: User, *, reason="", correction: bool = False
) -> MinutesVersion:
    """A new version of the text. Approved minutes change only through a correction, which
    needs a reason and returns them to draft, waiting for approval."""
    text = _clean_text(text)
    reason = _clean_reason(reason)
    if minutes.status == MinutesStatus.APPROVED:
        if not correction:
            raise locked_error()
        if not reason:
            raise _error(
                "reason_required", lazy_gettext("Say why the approved minutes are corrected.")
            )
    if text == minutes.latest.text:
        raise _error("nothing_changed", lazy_gettext("The text is the same as the last version."))
    version = MinutesVersion(
        number=minutes.latest.number + 1, text=text, author_id=author.id, reason=reason
    )
    minutes.versions.append(version)
    minutes.status = MinutesStatus.DRAFT
    db.session.flush()
    return version


def version_number(minutes: Minutes, value) -> MinutesVersion:
    """The version with this number (as typed in an address), or a 404 error."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise _error("unknown_version", lazy_gettext("There is no such version."), 404)
    found = next((v for v in minutes.versions if v.number == int(text)), None)
    if found is None:
        raise _error("unknown_version", lazy_gettext("There is no such version."), 404)
    return found


@dataclass
class Comparison:
    old: MinutesVersion
    new: MinutesVersion
    unified: str  # a unified diff, as text (the template escapes it)

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(kind, line) with kind "add", "remove", "hunk" or "same", for the page."""
        kinds = {"+": "add", "-": "remove", "@": "hunk"}
        return [(kinds.get(line[:1], "same"), line) for line in self.unified.splitlines()[2:]]


def compare(old: MinutesVersion, new: MinutesVersion) -> Comparison:
    unified = "\n".join(
        difflib.unified_diff(
            old.text.splitlines(),
            new.text.splitlines(),
            f"versión {old.number}",
            f"versión {new.number}",
            lineterm="",
            n=2,
        )
    )
    return Comparison(old, new, unified)


# --- approval ----------------------------------------------------------------------------------


def set_approvers(minutes: Minutes, user_ids: list[int]) -> None:
    """Name who approves the minutes: people with standing in the meeting's organisation."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        raise _error("no_approvers", lazy_gettext("Name at least one person to approve them."))
    organisation = minutes.meeting.organisation
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        person = people.get(user_id)
        if person is None or standing(person, organisation) is None:
            raise _error(
                "approver_not_a_member",
                lazy_gettext("Approvers must be members of the organisation."),
            )
    kept = {a.user_id: a for a in minutes.approvers}
    minutes.approvers = [kept.get(i) or MinutesApprover(user_id=i) for i in ids]
    db.session.flush()
    _approve_if_complete(minutes)


def approve(minutes: Minutes, user: User) -> bool:
    """The approver approves the latest version. Returns whether that approved the minutes
    (every approver has now approved it)."""
    if not is_approver(user, minutes):
        raise _error(
            "not_an_approver", lazy_gettext("You are not named to approve these minutes."), 403
        )
    if minutes.status == MinutesStatus.APPROVED:
        raise _error("already_approved", lazy_gettext("These minutes are already approved."), 409)
    version = minutes.latest
    if any(a.user_id == user.id for a in version.approvals):
        raise _error(
            "already_approved_by_you", lazy_gettext("You have already approved this version."), 409
        )
    version.approvals.append(MinutesApproval(user_id=user.id))
    db.session.flush()
    return _approve_if_complete(minutes)


def _approve_if_complete(minutes: Minutes) -> bool:
    version = minutes.latest
    if minutes.status == MinutesStatus.APPROVED or not minutes.approvers:
        return False
    approved_by = {a.user_id for a in version.approvals}
    if not all(a.user_id in approved_by for a in minutes.approvers):
        return False
    _seal(minutes, version, ApprovalRoute.APPROVERS)
    return True


def approval_polls(minutes: Minutes) -> list[Poll]:
    """Polls that may approve these minutes: adopted at a later meeting of the organisation."""
    meeting = minutes.meeting
    return list(
        db.session.scalars(
            select(Poll)
            .join(Meeting, Meeting.id == Poll.meeting_id)
            .where(
                Poll.organisation_id == meeting.organisation_id,
                Poll.status == PollStatus.CLOSED,
                Meeting.id != meeting.id,
                Meeting.starts_at > meeting.starts_at,
            )
            .order_by(Poll.closed_at.desc(), Poll.id.desc())
            .limit(50)
        )
    )


def approve_by_poll(minutes: Minutes, poll_id) -> None:
    """Recorded as approved by a poll adopted at a later meeting of the same organisation."""
    if minutes.status == MinutesStatus.APPROVED:
        raise _error("already_approved", lazy_gettext("These minutes are already approved."), 409)
    poll = next((p for p in approval_polls(minutes) if p.id == poll_id), None)
    if poll is None:
        raise _error(
            "bad_poll",
            lazy_gettext("Choose a poll of a later meeting of this organisation."),
        )
    if (poll.result or {}).get("outcome") != "adopted":
        raise _error("poll_not_adopted", lazy_gettext("That poll did not adopt its motion."))
    _seal(minutes, minutes.latest, ApprovalRoute.POLL, poll)


def approve_imported(minutes: Minutes) -> None:
    """Historical minutes brought in from a file were approved before they came: their one
    version is sealed into the chain as imported (see importing.py)."""
    _seal(minutes, minutes.latest, ApprovalRoute.IMPORTED)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_hash(previous_chain: str | None, text_hash: str) -> str:
    return sha256(f"{previous_chain or ''}:{text_hash}")


def _seal(
    minutes: Minutes, version: MinutesVersion, route: ApprovalRoute, poll: Poll | None = None
) -> None:
    """Approve the version: lock the minutes and link the version into the hash chain."""
    previous = minutes.approved_versions
    previous_chain = previous[-1].chain_sha256 if previous else None
    version.approved_at = utcnow()
    version.approved_via = route
    version.approval_poll_id = poll.id if poll else None
    version.text_sha256 = sha256(version.text)
    version.previous_chain_sha256 = previous_chain
    version.chain_sha256 = chain_hash(previous_chain, version.text_sha256)
    minutes.status = MinutesStatus.APPROVED
    db.session.flush()


# --- the chain ---------------------------------------------------------------------------------


@dataclass
class Breach:
    minutes_id: int
    meeting_id: int
    version: int
    what: str

    def __str__(self) -> str:
        return (
            f"minutes {self.minutes_id} (meeting {self.meeting_id}), version {self.version}: "
            f"{self.what}"
        )


def verify(minutes: Minutes) -> list[Breach]:
    """Every approved version's text against its hash, and each link of the chain."""
    breaches = []
    previous_chain = None
    for version in minutes.approved_versions:

        def breach(what: str, version=version) -> None:
            breaches.append(Breach(minutes.id, minutes.meeting_id, version.number, what))

        if version.text_sha256 != sha256(version.text):
            breach("the text was changed after it was approved")
        if version.previous_chain_sha256 != previous_chain:
            breach("the link to the previous approved version does not match")
        if version.chain_sha256 != chain_hash(version.previous_chain_sha256, version.text_sha256):
            breach("the chain hash does not match")
        previous_chain = version.chain_sha256
    for version in minutes.versions:
        if version.approved_at is None and version.chain_sha256 is not None:
            breaches.append(
                Breach(minutes.id, minutes.meeting_id, version.number, "its approval was removed")
            )
    return breaches


def verify_all() -> tuple[int, list[Breach]]:
    """(how many minutes were checked, what was found changed)."""
    checked, breaches = 0, []
    for minutes in db.session.scalars(select(Minutes).order_by(Minutes.id)):
        checked += 1
        breaches += verify(minutes)
    return checked, breaches
