"""The commitments review: every open commitment comes back on each meeting's agenda until it is
closed. Plain functions; callers commit.

- Preparing a meeting (draft or convened, not a problematisation workshop) puts a review item
  (kind COMMITMENTS_REVIEW) on its agenda while the organisation has open commitments: the
  template's own, or one added at the top. A commitment made while such meetings are upcoming
  puts one on theirs. The item cannot leave the agenda while it has something to review.
- Until the meeting ends, what it reviews is computed: the organisation's open commitments not
  made in this meeting, overdue first, plus those already reviewed in it. In the room the
  meeting's staff record an outcome for each (`review_commitment`): the commitment changes
  through `update_commitment` (its history kept) and a CommitmentReview row keeps what the
  meeting decided. When the meeting ends the rest are recorded as carried forward.
- `review_record(meeting)` is what the minutes use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.commitments.models import Commitment, CommitmentReview, CommitmentStatus
from assembly.commitments.service import (
    CLOSED,
    NotFound,
    commitment_in,
    today,
    update_commitment,
)
from assembly.core.clock import utcnow
from assembly.core.errors import Conflict, DomainError
from assembly.core.text import render_markdown
from assembly.extensions import db
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemState,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from assembly.organisations.models import Organisation

# In the cooperatives' own words, as the built-in templates name it.
REVIEW_TITLE = "Revisión de compromisos"
REVIEW_DESCRIPTION = "Los compromisos abiertos: quién se comprometió a qué, y en qué quedó."
REVIEW_MINUTES = 15
PREPARING = (MeetingStatus.DRAFT, MeetingStatus.CONVENED)


class ReviewItemNeeded(Conflict):
    code = "review_item_needed"

    def default_message(self):
        return lazy_gettext(
            "The commitments review stays on the agenda while there are open commitments "
            "to go through (or outcomes recorded in it)."
        )


class NotUnderReview(DomainError):
    code = "not_under_review"
    status = 409

    def default_message(self):
        return lazy_gettext("This commitment is not on this meeting's review.")


class NoReviewItem(DomainError):
    code = "no_review_item"
    status = 409

    def default_message(self):
        return lazy_gettext("This meeting has no commitments review on its agenda.")


class NotLive(DomainError):
    code = "meeting_not_live"
    status = 409

    def default_message(self):
        return lazy_gettext("The meeting is not live.")


@dataclass
class ReviewLine:
    """One commitment on a meeting's review, with what the meeting recorded about it (if yet)."""

    commitment: Commitment
    overdue: bool
    review: CommitmentReview | None

    @property
    def status_before(self) -> CommitmentStatus:
        return self.review.status_before if self.review else self.commitment.status

    @property
    def due_before(self) -> date | None:
        return self.review.due_before if self.review else self.commitment.due_on


def reviews_in(meeting: Meeting) -> bool:
    return meeting.kind != MeetingKind.WORKSHOP


def review_item(meeting: Meeting) -> AgendaItem | None:
    """The meeting's commitments review: its first accepted item of that kind. A workshop has
    none (its item of that kind is where new commitments are agreed)."""
    if not reviews_in(meeting):
        return None
    return db.session.scalar(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.kind == AgendaItemKind.COMMITMENTS_REVIEW,
            AgendaItem.state == AgendaItemState.ACCEPTED,
        )
        .order_by(AgendaItem.parent_id.is_not(None), AgendaItem.position, AgendaItem.id)
        .limit(1)
    )


def open_commitments(organisation_id: int, *, outside_meeting_id: int | None = None):
    """Open (not done, not dropped) commitments of the organisation, made outside the meeting."""
    query = select(Commitment).where(
        Commitment.organisation_id == organisation_id, Commitment.status.not_in(CLOSED)
    )
    if outside_meeting_id is not None:
        query = query.where(
            (Commitment.meeting_id.is_(None)) | (Commitment.meeting_id != outside_meeting_id)
        )
    return list(db.session.scalars(query.order_by(Commitment.id)))


def _meeting_day(meeting: Meeting) -> date:
    if meeting.status == MeetingStatus.CLOSED:
        return (meeting.started_at or meeting.starts_at).date()
    return today()


def _rows(item: AgendaItem | None) -> list[CommitmentReview]:
    if item is None:
        return []
    return list(
        db.session.scalars(
            select(CommitmentReview)
            .where(CommitmentReview.agenda_item_id == item.id)
            .order_by(CommitmentReview.id)
        )
    )


def _order(line: ReviewLine):
    due = line.due_before
    return (not line.overdue, due is None, due or date.min, line.commitment.id)


def review_lines(meeting: Meeting) -> list[ReviewLine]:
    """What the meeting's review goes through, overdue first then by due date. A closed meeting
    keeps what it recorded; an open one also lists every open commitment not yet reviewed."""
    item = review_item(meeting)
    if item is None:
        return []
    day = _meeting_day(meeting)
    reviewed = {row.commitment_id: row for row in _rows(item)}
    commitments = {row.commitment_id: row.commitment for row in reviewed.values()}
    if meeting.status != MeetingStatus.CLOSED:
        for commitment in open_commitments(meeting.organisation_id, outside_meeting_id=meeting.id):
            commitments.setdefault(commitment.id, commitment)
    lines = []
    for commitment_id, commitment in commitments.items():
        row = reviewed.get(commitment_id)
        due = row.due_before if row else commitment.due_on
        lines.append(ReviewLine(commitment, due is not None and due < day, row))
    return sorted(lines, key=_order)


def review_record(meeting: Meeting) -> list[ReviewLine]:
    """What the minutes use: once the meeting has ended, each commitment it reviewed with its
    status and due date before, and its `review` (outcome, new due date, note, who, when, or
    carried forward); before, what it will go through."""
    return review_lines(meeting)


# --- preparing meetings ------------------------------------------------------------------------


def ensure_review_item(meeting: Meeting) -> AgendaItem | None:
    """The meeting's review item; one added at the top if it has none and there is something
    to review. Only for meetings being prepared, and never for a workshop."""
    if not reviews_in(meeting) or meeting.status not in PREPARING:
        return None
    item = review_item(meeting)
    if item is not None:
        return item
    if not open_commitments(meeting.organisation_id, outside_meeting_id=meeting.id):
        return None
    from assembly.meetings.service import announce_change

    for other in db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.parent_id.is_(None),
            AgendaItem.state == AgendaItemState.ACCEPTED,
        )
    ):
        other.position += 1
    item = AgendaItem(
        meeting_id=meeting.id,
        position=0,
        title=REVIEW_TITLE,
        kind=AgendaItemKind.COMMITMENTS_REVIEW,
        planned_minutes=REVIEW_MINUTES,
        description=REVIEW_DESCRIPTION,
        state=AgendaItemState.ACCEPTED,
    )
    db.session.add(item)
    db.session.flush()
    announce_change(meeting)
    return item


def prepare_upcoming(organisation: Organisation | int) -> list[AgendaItem]:
    """After a commitment is made: every meeting being prepared gets its review item."""
    organisation_id = getattr(organisation, "id", organisation)
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.organisation_id == organisation_id,
            Meeting.status.in_(PREPARING),
            Meeting.kind != MeetingKind.WORKSHOP,
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [item for m in meetings if (item := ensure_review_item(m)) is not None]


def check_removable(meeting: Meeting, doomed_ids: set[int]) -> None:
    """Refuse removing (or turning into another kind) the meeting's review while it has open
    commitments to go through or outcomes recorded in it."""
    item = review_item(meeting)
    if item is None or item.id not in doomed_ids:
        return
    others = db.session.scalar(
        select(AgendaItem.id).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.kind == AgendaItemKind.COMMITMENTS_REVIEW,
            AgendaItem.state == AgendaItemState.ACCEPTED,
            AgendaItem.id.not_in(doomed_ids),
        )
    )
    if others is not None and not _rows(item):
        return  # another review item takes over
    if _rows(item) or open_commitments(meeting.organisation_id, outside_meeting_id=meeting.id):
        raise ReviewItemNeeded()


# --- in the room -------------------------------------------------------------------------------


def _line_of(meeting: Meeting, item: AgendaItem, commitment: Commitment) -> bool:
    """Whether the commitment is on this meeting's review."""
    if commitment.meeting_id == meeting.id:
        return False
    if commitment.status not in CLOSED:
        return True
    return (
        db.session.scalar(
            select(CommitmentReview.id).where(
                CommitmentReview.agenda_item_id == item.id,
                CommitmentReview.commitment_id == commitment.id,
            )
        )
        is not None
    )


def review_commitment(
    meeting: Meeting,
    commitment_id: int,
    *,
    actor: User | None,
    status: CommitmentStatus | None = None,
    due_on: date | None = None,
    note: str = "",
) -> CommitmentReview:
    """Record what the meeting decided about one commitment on its review: a new status (done,
    in progress, blocked, dropped, renegotiated with its new due date) and/or a progress note.
    The commitment changes through `update_commitment`; nothing is written if it refuses."""
    from assembly.meetings.service import announce_change

    if meeting.status != MeetingStatus.LIVE:
        raise NotLive()
    item = review_item(meeting)
    if item is None:
        raise NoReviewItem()
    commitment = commitment_in(meeting.organisation, commitment_id)
    if commitment is None:
        raise NotFound()
    if not _line_of(meeting, item, commitment):
        raise NotUnderReview()
    status_before, due_before = commitment.status, commitment.due_on
    update_commitment(commitment, actor=actor, status=status, due_on=due_on, note=note)
    row = db.session.scalar(
        select(CommitmentReview).where(
            CommitmentReview.agenda_item_id == item.id,
            CommitmentReview.commitment_id == commitment.id,
        )
    )
    if row is None:
        row = CommitmentReview(
            agenda_item_id=item.id,
            commitment_id=commitment.id,
            status_before=status_before,
            due_before=due_before,
            note="",
        )
        db.session.add(row)
    note = (note or "").strip()
    row.outcome = commitment.status
    if commitment.due_on != row.due_before:
        row.new_due_on = commitment.due_on
    if note:
        row.note = f"{row.note}\n{note}" if row.note else note
    row.carried_forward = False
    row.reviewed_by_id = getattr(actor, "id", None)
    row.reviewed_at = utcnow()
    db.session.flush()
    announce_change(meeting)
    return row


def carry_forward(meeting: Meeting, now: datetime | None = None) -> int:
    """When the meeting ends: each open commitment it did not get to is recorded as carried
    forward, unchanged. Returns how many."""
    item = review_item(meeting)
    if item is None:
        return 0
    now = now or utcnow()
    added = 0
    for line in review_lines(meeting):
        if line.review is None and line.commitment.status not in CLOSED:
            db.session.add(
                CommitmentReview(
                    agenda_item_id=item.id,
                    commitment_id=line.commitment.id,
                    status_before=line.commitment.status,
                    due_before=line.commitment.due_on,
                    outcome=line.commitment.status,
                    note="",
                    carried_forward=True,
                    reviewed_at=now,
                )
            )
            added += 1
    db.session.flush()
    return added


def _owners(commitment: Commitment) -> list[str]:
    return [
        f"{o.owner_organisation.name}: {o.user.display_name}"
        if o.owner_organisation is not None
        else o.user.display_name
        for o in commitment.owners
    ]


def review_state(meeting: Meeting) -> dict | None:
    """The room's `commitments_review`: while the current item is a commitments review."""
    if meeting.current_item_id is None:
        return None
    current = db.session.get(AgendaItem, meeting.current_item_id)
    if current is None or current.kind != AgendaItemKind.COMMITMENTS_REVIEW:
        return None
    item = review_item(meeting)
    lines = review_lines(meeting)
    return {
        "item_id": item.id if item else None,
        "items": [
            {
                "commitment_id": line.commitment.id,
                "what": render_markdown(line.commitment.what).striptags(),
                "owners": _owners(line.commitment),
                "due_on": line.due_before.isoformat() if line.due_before else None,
                "overdue": line.overdue,
                "status": line.commitment.status.value,
                "status_before": line.status_before.value,
                "outcome": (
                    {
                        "status": line.review.outcome.value,
                        "note": line.review.note,
                        "new_due_on": (
                            line.review.new_due_on.isoformat() if line.review.new_due_on else None
                        ),
                        "carried_forward": line.review.carried_forward,
                    }
                    if line.review
                    else None
                ),
            }
            for line in lines
        ],
    }
