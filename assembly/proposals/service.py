"""Proposals: writing them with co-authors, support, deliberation before the meeting, their
lifecycle up to the meeting, every text they have had, amendments; and the register of
decisions. Plain functions; callers commit.

Who may call what is decided in assembly/permissions.py (authors, amenders, preparers). Polls
move a proposal to in_vote, adopted or rejected (assembly/voting/service.py), never this module;
when an amendment's poll is adopted, the voting side calls `merge_amendment`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

from flask_babel import lazy_gettext
from markupsafe import Markup, escape
from sqlalchemy import delete, extract, func, select

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import Conflict, DomainError
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, AgendaItemState, Meeting, MeetingStatus
from assembly.organisations.models import Membership, Organisation
from assembly.proposals.models import (
    Amendment,
    AmendmentStatus,
    Proposal,
    ProposalAuthor,
    ProposalComment,
    ProposalStatus,
    ProposalSupporter,
    ProposalVersion,
)
from assembly.voting.models import Decision

TITLE_MAX = 200
BODY_MAX = 20000
COMMENT_MAX = 5000
RATIONALE_MAX = 5000
QUERY_MAX = 200

# What may happen in which status. in_vote, adopted and rejected are the polls' to set.
EDITABLE = frozenset({ProposalStatus.DRAFT, ProposalStatus.SUBMITTED})
WITHDRAWABLE = frozenset(
    {
        ProposalStatus.DRAFT,
        ProposalStatus.SUBMITTED,
        ProposalStatus.SCHEDULED,
        ProposalStatus.POSTPONED,
    }
)
SCHEDULABLE = frozenset(
    {ProposalStatus.SUBMITTED, ProposalStatus.SCHEDULED, ProposalStatus.POSTPONED}
)
POSTPONABLE = frozenset({ProposalStatus.SUBMITTED, ProposalStatus.SCHEDULED})
# Open to support and amendments: published, and not yet voted on or decided.
OPEN = SCHEDULABLE
CLOSED = frozenset({ProposalStatus.ADOPTED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN})


# --- errors ----------------------------------------------------------------------------------


class BadValue(DomainError):
    code = "bad_value"

    def default_message(self):
        return lazy_gettext("One of the values is out of range.")


class NotAMember(DomainError):
    code = "not_a_member"

    def default_message(self):
        return lazy_gettext("Choose active members of the organisation as co-authors.")


class UnknownMeeting(DomainError):
    code = "meeting_not_found"
    status = 404

    def default_message(self):
        return lazy_gettext("We could not find this page.")


class MeetingClosed(DomainError):
    code = "meeting_closed"

    def default_message(self):
        return lazy_gettext("Choose a meeting that is not closed.")


class InvalidAgendaItem(DomainError):
    code = "invalid_agenda_item"

    def default_message(self):
        return lazy_gettext("Choose an item of that meeting's agenda.")


class NeedsMeeting(DomainError):
    code = "needs_meeting"

    def default_message(self):
        return lazy_gettext("Choose the meeting the proposal goes to.")


class NotEditable(Conflict):
    code = "not_editable"

    def default_message(self):
        return lazy_gettext(
            "This proposal can no longer be edited: once scheduled, its text changes only "
            "through amendments."
        )


class EditedMeanwhile(Conflict):
    code = "edited_meanwhile"

    def default_message(self):
        return lazy_gettext(
            "The proposal changed while you were editing it (it is now version %(number)s). "
            "Check the new text before saving again."
        )


class CannotSubmit(Conflict):
    code = "cannot_submit"

    def default_message(self):
        return lazy_gettext("Only a draft can be submitted.")


class CannotWithdraw(Conflict):
    code = "cannot_withdraw"

    def default_message(self):
        return lazy_gettext(
            "This proposal can no longer be withdrawn: it is being voted on or already decided."
        )


class CannotSchedule(Conflict):
    code = "cannot_schedule"

    def default_message(self):
        return lazy_gettext(
            "Only a submitted, scheduled or postponed proposal can be scheduled for a meeting."
        )


class CannotPostpone(Conflict):
    code = "cannot_postpone"

    def default_message(self):
        return lazy_gettext("Only a submitted or scheduled proposal can be postponed.")


class SupportClosed(Conflict):
    code = "support_closed"

    def default_message(self):
        return lazy_gettext(
            "Support can only be given while the proposal is submitted, scheduled or postponed."
        )


class AuthorsSupport(DomainError):
    code = "author_support"

    def default_message(self):
        return lazy_gettext("Authors already stand behind their proposal: support is for others.")


class AlreadySupporting(Conflict):
    code = "already_supporting"

    def default_message(self):
        return lazy_gettext("You already support this proposal.")


class NotSupporting(Conflict):
    code = "not_supporting"

    def default_message(self):
        return lazy_gettext("You do not support this proposal.")


class CommentsClosed(Conflict):
    code = "comments_closed"

    def default_message(self):
        return lazy_gettext("This proposal is closed to comments: it was withdrawn or decided.")


class AmendmentsClosed(Conflict):
    code = "amendments_closed"

    def default_message(self):
        return lazy_gettext(
            "Amendments are only possible while the proposal is submitted, scheduled or postponed."
        )


class AmendmentUnchanged(DomainError):
    code = "amendment_unchanged"

    def default_message(self):
        return lazy_gettext("The amendment must change the text.")


class BaseChanged(Conflict):
    code = "base_changed"

    def default_message(self):
        return lazy_gettext(
            "The proposal's text changed while you were writing (it is now version "
            "%(number)s). Check your amendment against the new text and send it again."
        )


class AmendmentDecided(Conflict):
    code = "amendment_decided"

    def default_message(self):
        return lazy_gettext("This amendment has already been dealt with.")


class StaleAmendment(Conflict):
    code = "stale_amendment"

    def default_message(self):
        return lazy_gettext(
            "The text this amendment replaces has changed since it was written. Propose a new "
            "amendment on the current text."
        )


# --- looking up ------------------------------------------------------------------------------

ID_MAX = 2**31 - 1  # ids beyond what the database stores are simply not found


def _id_ok(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


def proposal_in(organisation: Organisation, proposal_id: int) -> Proposal | None:
    proposal = db.session.get(Proposal, proposal_id) if _id_ok(proposal_id) else None
    if proposal is None or proposal.organisation_id != organisation.id:
        return None
    return proposal


def amendment_in(proposal: Proposal, amendment_id: int) -> Amendment | None:
    amendment = db.session.get(Amendment, amendment_id) if _id_ok(amendment_id) else None
    if amendment is None or amendment.proposal_id != proposal.id:
        return None
    return amendment


def comment_in(proposal: Proposal, comment_id: int) -> ProposalComment | None:
    comment = db.session.get(ProposalComment, comment_id) if _id_ok(comment_id) else None
    if comment is None or comment.proposal_id != proposal.id:
        return None
    return comment


def visible_proposals(
    organisation: Organisation, user: User, *, all_drafts: bool = False
) -> list[Proposal]:
    """The organisation's proposals, newest first: drafts only the user's own (or all)."""
    query = select(Proposal).where(Proposal.organisation_id == organisation.id)
    if not all_drafts:
        own = select(ProposalAuthor.proposal_id).where(ProposalAuthor.user_id == user.id)
        query = query.where((Proposal.status != ProposalStatus.DRAFT) | Proposal.id.in_(own))
    return list(db.session.scalars(query.order_by(Proposal.updated_at.desc(), Proposal.id.desc())))


# --- people ----------------------------------------------------------------------------------


def active_members(organisation: Organisation) -> list[User]:
    """Those who may be named co-authors: active people with an active membership."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == organisation.id,
                Membership.left_at.is_(None),
                User.active.is_(True),
            )
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def authors(proposal: Proposal) -> list[User]:
    """The proposal's authors, whoever created it first."""
    people = list(
        db.session.scalars(
            select(User)
            .join(ProposalAuthor, ProposalAuthor.user_id == User.id)
            .where(ProposalAuthor.proposal_id == proposal.id)
            .order_by(func.lower(User.display_name), User.id)
        )
    )
    return sorted(people, key=lambda u: u.id != proposal.created_by_id)


def author_ids(proposal: Proposal) -> set[int]:
    return set(
        db.session.scalars(
            select(ProposalAuthor.user_id).where(ProposalAuthor.proposal_id == proposal.id)
        )
    )


def authors_of_many(proposals: list[Proposal]) -> dict[int, list[User]]:
    """{proposal id: its authors}, for lists."""
    found: dict[int, list[User]] = {p.id: [] for p in proposals}
    if not proposals:
        return found
    rows = db.session.execute(
        select(ProposalAuthor.proposal_id, User)
        .join(User, ProposalAuthor.user_id == User.id)
        .where(ProposalAuthor.proposal_id.in_(found))
        .order_by(func.lower(User.display_name), User.id)
    ).all()
    for proposal_id, user in rows:
        found[proposal_id].append(user)
    return found


def supporters(proposal: Proposal) -> list[ProposalSupporter]:
    return list(
        db.session.scalars(
            select(ProposalSupporter)
            .where(ProposalSupporter.proposal_id == proposal.id)
            .order_by(ProposalSupporter.created_at, ProposalSupporter.user_id)
        )
    )


def support_counts(proposals: list[Proposal]) -> dict[int, int]:
    if not proposals:
        return {}
    rows = db.session.execute(
        select(ProposalSupporter.proposal_id, func.count())
        .where(ProposalSupporter.proposal_id.in_([p.id for p in proposals]))
        .group_by(ProposalSupporter.proposal_id)
    ).all()
    return dict(rows)


def is_supporter(proposal: Proposal, user: User) -> bool:
    return db.session.get(ProposalSupporter, (proposal.id, user.id)) is not None


def _check_co_authors(organisation: Organisation, co_author_ids) -> set[int]:
    chosen = set(co_author_ids or ())
    if not chosen <= {u.id for u in active_members(organisation)}:
        raise NotAMember()
    return chosen


# --- meetings a proposal may go to -----------------------------------------------------------

# On a meeting's agenda: scheduled for it, and what became of it there (postponed ones left it).
ON_AGENDA = frozenset(
    {
        ProposalStatus.SCHEDULED,
        ProposalStatus.IN_VOTE,
        ProposalStatus.ADOPTED,
        ProposalStatus.REJECTED,
    }
)


def on_agenda(meeting: Meeting, item_ids) -> tuple[dict[int, list[Proposal]], list[Proposal]]:
    """The proposals put on `meeting`: ({agenda item id: its proposals} for the items shown
    (`item_ids`), [those on the meeting without one of these items]), in scheduling order."""
    shown = set(item_ids)
    by_item: dict[int, list[Proposal]] = {}
    unplaced: list[Proposal] = []
    for proposal in db.session.scalars(
        select(Proposal)
        .where(Proposal.meeting_id == meeting.id, Proposal.status.in_(ON_AGENDA))
        .order_by(Proposal.id)
    ):
        if proposal.agenda_item_id in shown:
            by_item.setdefault(proposal.agenda_item_id, []).append(proposal)
        else:
            unplaced.append(proposal)
    return by_item, unplaced


def open_meetings(organisation: Organisation, *, include_drafts: bool) -> list[Meeting]:
    """The organisation's meetings that are not closed, soonest first."""
    query = select(Meeting).where(
        Meeting.organisation_id == organisation.id, Meeting.status != MeetingStatus.CLOSED
    )
    if not include_drafts:
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)))


def agenda_items(meetings: list[Meeting]) -> dict[int, list[AgendaItem]]:
    """{meeting id: its accepted agenda items, in order (sub-items after their item)}."""
    found: dict[int, list[AgendaItem]] = {m.id: [] for m in meetings}
    if not meetings:
        return found
    items = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id.in_(found),
            AgendaItem.state == AgendaItemState.ACCEPTED,
        )
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    children: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(item.parent_id, []).append(item)
    for item in items:
        if item.parent_id is None:
            found[item.meeting_id].append(item)
            found[item.meeting_id].extend(children.get(item.id, []))
    return found


def _link(
    organisation: Organisation,
    meeting_id: int | None,
    agenda_item_id: int | None,
    *,
    see_drafts: bool,
) -> tuple[Meeting | None, AgendaItem | None]:
    """The meeting and agenda item named by their ids, checked: of this organisation (or not
    found), not closed, the item accepted on that meeting's agenda."""
    item = None
    if agenda_item_id is not None:
        item = db.session.get(AgendaItem, agenda_item_id) if _id_ok(agenda_item_id) else None
        if item is None or item.meeting.organisation_id != organisation.id:
            raise UnknownMeeting()
        if meeting_id is None:
            meeting_id = item.meeting_id
    if meeting_id is None:
        return None, None
    meeting = db.session.get(Meeting, meeting_id) if _id_ok(meeting_id) else None
    if (
        meeting is None
        or meeting.organisation_id != organisation.id
        or (meeting.status == MeetingStatus.DRAFT and not see_drafts)
    ):
        raise UnknownMeeting()
    if meeting.status == MeetingStatus.CLOSED:
        raise MeetingClosed()
    if item is not None and (
        item.meeting_id != meeting.id or item.state != AgendaItemState.ACCEPTED
    ):
        raise InvalidAgendaItem()
    return meeting, item


# --- texts and versions ----------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    """Line ends as the database keeps them (browsers send CRLF), no surrounding blanks."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_text(title: str, body: str) -> None:
    if not title or len(title) > TITLE_MAX or not body or len(body) > BODY_MAX:
        raise BadValue()


def _first_version(proposal: Proposal) -> None:
    """A proposal written outside this module (a script, a test) gets its version 1 when
    first read: every proposal has at least one version."""
    exists = db.session.scalar(
        select(ProposalVersion.id).where(ProposalVersion.proposal_id == proposal.id).limit(1)
    )
    if exists is None:
        db.session.add(
            ProposalVersion(
                proposal_id=proposal.id,
                number=1,
                title=proposal.title,
                body=proposal.body or "",
                created_by_id=proposal.created_by_id,
                created_at=proposal.created_at or utcnow(),
            )
        )
        db.session.flush()


def versions(proposal: Proposal) -> list[ProposalVersion]:
    _first_version(proposal)
    return list(
        db.session.scalars(
            select(ProposalVersion)
            .where(ProposalVersion.proposal_id == proposal.id)
            .order_by(ProposalVersion.number)
        )
    )


def version(proposal: Proposal, number: int) -> ProposalVersion | None:
    _first_version(proposal)
    return db.session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.number == number
        )
    )


def current_version(proposal: Proposal) -> ProposalVersion:
    _first_version(proposal)
    return db.session.scalar(
        select(ProposalVersion)
        .where(ProposalVersion.proposal_id == proposal.id)
        .order_by(ProposalVersion.number.desc())
        .limit(1)
    )


def _new_version(
    proposal: Proposal, by: User | None, amendment: Amendment | None = None
) -> ProposalVersion:
    db.session.flush()
    last = db.session.scalar(
        select(func.max(ProposalVersion.number)).where(ProposalVersion.proposal_id == proposal.id)
    )
    recorded = ProposalVersion(
        proposal_id=proposal.id,
        number=(last or 0) + 1,
        title=proposal.title,
        body=proposal.body,
        amendment_id=amendment.id if amendment is not None else None,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(recorded)
    db.session.flush()
    return recorded


def history(proposal: Proposal) -> list[tuple[ProposalVersion, Markup | None, Markup | None]]:
    """Each version, newest first, with the word diffs of its title and body from the one
    before (None for the first version, or for a title that did not change)."""
    found = versions(proposal)
    rows = []
    for previous, current in zip([None, *found], found, strict=False):
        if previous is None:
            rows.append((current, None, None))
            continue
        title_diff = (
            word_diff(previous.title, current.title) if previous.title != current.title else None
        )
        rows.append((current, title_diff, word_diff(previous.body, current.body)))
    return list(reversed(rows))


# --- diffs -----------------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|\S+")


def word_diff(old: str, new: str) -> Markup:
    """`new` against `old`, word by word: deletions in <del>, insertions in <ins>.

    Every piece of text is escaped here; only the <ins>/<del> tags are markup.
    """
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    parts: list[Markup] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, before, after).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(Markup("<del>") + escape("".join(before[i1:i2])) + Markup("</del>"))
        if j2 > j1:
            parts.append(Markup("<ins>") + escape("".join(after[j1:j2])) + Markup("</ins>"))
    return Markup("").join(parts)


# --- writing and the lifecycle ---------------------------------------------------------------


def _touch(proposal: Proposal) -> None:
    proposal.updated_at = utcnow()


def create_proposal(
    organisation: Organisation,
    by: User,
    *,
    title: str,
    body: str,
    co_author_ids=(),
    meeting_id: int | None = None,
    agenda_item_id: int | None = None,
    see_draft_meetings: bool = False,
) -> Proposal:
    """A draft, written by `by` with the co-authors named; its text is version 1."""
    title, body = title.strip(), clean_text(body)
    _check_text(title, body)
    co_authors = _check_co_authors(organisation, co_author_ids)
    meeting, item = _link(organisation, meeting_id, agenda_item_id, see_drafts=see_draft_meetings)
    now = utcnow()
    proposal = Proposal(
        organisation_id=organisation.id,
        organisation=organisation,
        meeting_id=meeting.id if meeting else None,
        agenda_item_id=item.id if item else None,
        title=title,
        body=body,
        status=ProposalStatus.DRAFT,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    for user_id in sorted(co_authors | {by.id}):
        db.session.add(ProposalAuthor(proposal_id=proposal.id, user_id=user_id))
    _new_version(proposal, by)
    return proposal


def update_proposal(
    proposal: Proposal,
    by: User,
    *,
    title: str,
    body: str,
    co_author_ids=(),
    meeting_id: int | None = None,
    agenda_item_id: int | None = None,
    see_draft_meetings: bool = False,
    expected_version: int | None = None,
) -> ProposalVersion | None:
    """An author's edit, while a draft or submitted. A draft's text is still its version 1;
    after submission a changed text becomes a new version (returned). `expected_version`, the
    version the author started from, refuses an edit that would overwrite a newer text."""
    if proposal.status not in EDITABLE:
        raise NotEditable()
    current = current_version(proposal)
    if (
        expected_version is not None
        and proposal.status != ProposalStatus.DRAFT
        and expected_version != current.number
    ):
        raise EditedMeanwhile(number=current.number)
    title, body = title.strip(), clean_text(body)
    _check_text(title, body)
    organisation = proposal.organisation
    chosen = _check_co_authors(organisation, co_author_ids)
    # A link someone who prepares meetings made stays, even if this author cannot see it.
    see_drafts = see_draft_meetings or (
        meeting_id is not None and meeting_id == proposal.meeting_id
    )
    meeting, item = _link(organisation, meeting_id, agenda_item_id, see_drafts=see_drafts)

    members = {u.id for u in active_members(organisation)}
    existing = author_ids(proposal)
    anchor = proposal.created_by_id if proposal.created_by_id is not None else by.id
    # Former members stay authors of what they wrote; the form chooses among active members.
    wanted = chosen | {anchor} | {uid for uid in existing if uid not in members}
    if existing - wanted:
        db.session.execute(
            delete(ProposalAuthor).where(
                ProposalAuthor.proposal_id == proposal.id,
                ProposalAuthor.user_id.in_(existing - wanted),
            ),
            execution_options={"synchronize_session": False},
        )
    for user_id in sorted(wanted - existing):
        db.session.add(ProposalAuthor(proposal_id=proposal.id, user_id=user_id))

    changed = title != proposal.title or body != proposal.body
    proposal.title, proposal.body = title, body
    proposal.meeting_id = meeting.id if meeting else None
    proposal.agenda_item_id = item.id if item else None
    _touch(proposal)
    if not changed:
        return None
    if proposal.status == ProposalStatus.DRAFT:
        # Nobody else has seen a draft: its version 1 is simply its latest text.
        current.title, current.body = title, body
        current.created_by_id, current.created_at = by.id, utcnow()
        return None
    return _new_version(proposal, by)


def submit(proposal: Proposal) -> None:
    """The authors publish their draft to every member."""
    if proposal.status != ProposalStatus.DRAFT:
        raise CannotSubmit()
    proposal.status = ProposalStatus.SUBMITTED
    _touch(proposal)


def withdraw(proposal: Proposal) -> None:
    """The authors take their proposal back, up to the moment it is put to the vote."""
    if proposal.status not in WITHDRAWABLE:
        raise CannotWithdraw()
    proposal.status = ProposalStatus.WITHDRAWN
    _touch(proposal)


def schedule(
    proposal: Proposal, *, meeting_id: int | None, agenda_item_id: int | None = None
) -> None:
    """Those who prepare meetings put the proposal on a meeting (and agenda item)."""
    if proposal.status not in SCHEDULABLE:
        raise CannotSchedule()
    if meeting_id is None and agenda_item_id is None:
        raise NeedsMeeting()
    meeting, item = _link(proposal.organisation, meeting_id, agenda_item_id, see_drafts=True)
    proposal.meeting_id = meeting.id
    proposal.agenda_item_id = item.id if item else None
    proposal.status = ProposalStatus.SCHEDULED
    _touch(proposal)


def postpone(proposal: Proposal) -> None:
    """Not at this meeting: it stays open, and can be scheduled again later."""
    if proposal.status not in POSTPONABLE:
        raise CannotPostpone()
    proposal.status = ProposalStatus.POSTPONED
    _touch(proposal)


# --- support and comments --------------------------------------------------------------------


def support(proposal: Proposal, user: User) -> ProposalSupporter:
    """One support per person: the table's primary key forbids a second, and a second click
    is refused here before it gets there."""
    if proposal.status not in OPEN:
        raise SupportClosed()
    if user.id in author_ids(proposal):
        raise AuthorsSupport()
    if is_supporter(proposal, user):
        raise AlreadySupporting()
    supporter = ProposalSupporter(proposal_id=proposal.id, user_id=user.id, created_at=utcnow())
    db.session.add(supporter)
    return supporter


def withdraw_support(proposal: Proposal, user: User) -> None:
    if proposal.status not in OPEN:
        raise SupportClosed()
    supporter = db.session.get(ProposalSupporter, (proposal.id, user.id))
    if supporter is None:
        raise NotSupporting()
    db.session.delete(supporter)


def comments(proposal: Proposal) -> list[ProposalComment]:
    """The deliberation, oldest first (newest last)."""
    return list(
        db.session.scalars(
            select(ProposalComment)
            .where(ProposalComment.proposal_id == proposal.id)
            .order_by(ProposalComment.created_at, ProposalComment.id)
        )
    )


def comments_open(proposal: Proposal) -> bool:
    return proposal.status not in CLOSED


def add_comment(proposal: Proposal, user: User, body: str) -> ProposalComment:
    if not comments_open(proposal):
        raise CommentsClosed()
    body = clean_text(body)
    if not body or len(body) > COMMENT_MAX:
        raise BadValue()
    comment = ProposalComment(
        proposal_id=proposal.id, user_id=user.id, body=body, created_at=utcnow()
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def delete_comment(comment: ProposalComment) -> None:
    """Its writer takes a comment back while the deliberation is open."""
    proposal = db.session.get(Proposal, comment.proposal_id)
    if not comments_open(proposal):
        raise CommentsClosed()
    db.session.delete(comment)


# --- amendments ------------------------------------------------------------------------------


def amendments(proposal: Proposal) -> list[Amendment]:
    return list(
        db.session.scalars(
            select(Amendment)
            .where(Amendment.proposal_id == proposal.id)
            .order_by(Amendment.created_at, Amendment.id)
        )
    )


def amendments_open(proposal: Proposal) -> bool:
    return proposal.status in OPEN


def propose_amendment(
    proposal: Proposal,
    by: User,
    *,
    body: str,
    rationale: str = "",
    base_version: int | None = None,
) -> Amendment:
    """Replacement text for the proposal's body, written on `base_version` (the current one
    if not given). Refused if the text changed since that version was read."""
    if not amendments_open(proposal):
        raise AmendmentsClosed()
    body, rationale = clean_text(body), clean_text(rationale)
    if not body or len(body) > BODY_MAX or len(rationale) > RATIONALE_MAX:
        raise BadValue()
    current = current_version(proposal)
    base = current if base_version is None else version(proposal, base_version)
    if base is None:
        raise BadValue()
    if base.body != proposal.body:
        raise BaseChanged(number=current.number)
    if body == proposal.body:
        raise AmendmentUnchanged()
    amendment = Amendment(
        proposal_id=proposal.id,
        author_id=by.id,
        base_version=base.number,
        body=body,
        rationale=rationale,
        status=AmendmentStatus.PROPOSED,
        created_at=utcnow(),
    )
    db.session.add(amendment)
    db.session.flush()
    return amendment


def base_text(amendment: Amendment) -> str:
    """The body of the version the amendment was written on."""
    proposal = db.session.get(Proposal, amendment.proposal_id)
    base = version(proposal, amendment.base_version)
    return base.body if base is not None else ""


def is_stale(amendment: Amendment) -> bool:
    """The text it replaces has changed since it was written: it can no longer be merged."""
    proposal = db.session.get(Proposal, amendment.proposal_id)
    base = version(proposal, amendment.base_version)
    return base is None or base.body != proposal.body


def amendment_diff(amendment: Amendment) -> Markup:
    return word_diff(base_text(amendment), amendment.body)


def merge_amendment(amendment: Amendment, by: User | None) -> ProposalVersion:
    """The amendment's text becomes the proposal's body, as a new version. The authors call it
    by accepting the amendment; the voting side when an amendment's poll is adopted (`by` may
    then be None). Callers commit."""
    if amendment.status != AmendmentStatus.PROPOSED:
        raise AmendmentDecided()
    proposal = db.session.get(Proposal, amendment.proposal_id)
    if proposal.status not in OPEN:
        raise AmendmentsClosed()
    if is_stale(amendment):
        raise StaleAmendment()
    proposal.body = amendment.body
    _touch(proposal)
    amendment.status = AmendmentStatus.ACCEPTED
    amendment.decided_at = utcnow()
    return _new_version(proposal, by, amendment)


def accept_amendment(amendment: Amendment, by: User) -> ProposalVersion:
    """The proposal's authors take the amendment into their text."""
    return merge_amendment(amendment, by)


def reject_amendment(amendment: Amendment) -> None:
    if amendment.status != AmendmentStatus.PROPOSED:
        raise AmendmentDecided()
    amendment.status = AmendmentStatus.REJECTED
    amendment.decided_at = utcnow()


def withdraw_amendment(amendment: Amendment) -> None:
    if amendment.status != AmendmentStatus.PROPOSED:
        raise AmendmentDecided()
    amendment.status = AmendmentStatus.WITHDRAWN
    amendment.decided_at = utcnow()


# --- the decision register -------------------------------------------------------------------


def _fold(text: str) -> str:
    """For searching: no case, no accents ("Decisión" matches "decision")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def decisions(organisation: Organisation, query: str = "") -> list[Decision]:
    """Every decision of the organisation, newest first; with a query, those whose title or
    text contains it, whatever the case and accents."""
    found = list(
        db.session.scalars(
            select(Decision)
            .where(Decision.organisation_id == organisation.id)
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        )
    )
    needle = _fold(query.strip()[:QUERY_MAX]) if query else ""
    if not needle:
        return found
    return [d for d in found if needle in _fold(d.title) or needle in _fold(d.text)]


LOG_PAGE = 25  # decisions per page of the decision log


@dataclass
class DecisionLog:
    decisions: list[Decision]
    total: int
    page: int
    pages: int
    year: int | None
    years: list[int]


def decision_years(organisation: Organisation) -> list[int]:
    """The years the organisation decided something in, newest first."""
    year = extract("year", Decision.decided_at)
    query = select(year).where(Decision.organisation_id == organisation.id).distinct()
    return sorted({int(y) for y in db.session.scalars(query) if y is not None}, reverse=True)


def _in_year(query, year: int | None):
    if year is None:
        return query
    return query.where(
        Decision.decided_at >= datetime(year, 1, 1), Decision.decided_at < datetime(year + 1, 1, 1)
    )


def decision_log(
    organisation: Organisation,
    *,
    query: str = "",
    year: int | None = None,
    page: int = 1,
    focus: int | None = None,
) -> DecisionLog:
    """One page of the decision log: every decision, newest first, optionally of one year or
    containing some words. `focus` (a decision's id) opens the year and page it is on, so a
    link to one decision finds it however long the log is."""
    years = decision_years(organisation)
    newest_first = (Decision.decided_at.desc(), Decision.id.desc())
    base = select(Decision).where(Decision.organisation_id == organisation.id)
    if focus is not None and not query and _id_ok(focus):
        target = db.session.get(Decision, focus)
        if target is not None and target.organisation_id == organisation.id:
            year = target.decided_at.year
            newer = db.session.scalar(
                _in_year(
                    select(func.count(Decision.id)).where(
                        Decision.organisation_id == organisation.id
                    ),
                    year,
                ).where(
                    (Decision.decided_at > target.decided_at)
                    | ((Decision.decided_at == target.decided_at) & (Decision.id > target.id))
                )
            )
            page = newer // LOG_PAGE + 1
    if year is not None and year not in years:
        year = None
    base = _in_year(base, year)
    page = max(1, page)
    needle = _fold(query.strip()[:QUERY_MAX]) if query else ""
    if needle:
        # Folding accents needs Python; an organisation's decisions are hundreds, not millions.
        matching = [
            d
            for d in db.session.scalars(base.order_by(*newest_first))
            if needle in _fold(d.title) or needle in _fold(d.text)
        ]
        total = len(matching)
        pages = max(1, -(-total // LOG_PAGE))
        page = min(page, pages)
        shown = matching[(page - 1) * LOG_PAGE : page * LOG_PAGE]
    else:
        total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        pages = max(1, -(-total // LOG_PAGE))
        page = min(page, pages)
        shown = list(
            db.session.scalars(
                base.order_by(*newest_first).offset((page - 1) * LOG_PAGE).limit(LOG_PAGE)
            )
        )
    return DecisionLog(shown, total, page, pages, year, years)


@dataclass
class FollowUp:
    """What became of a decision, for a list of decisions elsewhere (search results)."""

    meeting: Meeting | None
    minutes_readable: bool
    commitments: list


def decision_follow_up(user, decision_ids) -> dict[int, FollowUp]:
    """Each decision's meeting, whether the person may open its minutes, and the commitments
    it led to: a few queries for the lot. Callers pass decisions the person may read."""
    from assembly.commitments.service import commitments_of_decisions
    from assembly.minutes.service import readable_minutes

    ids = {i for i in decision_ids if i is not None}
    if not ids:
        return {}
    decisions = list(db.session.scalars(select(Decision).where(Decision.id.in_(ids))))
    meetings = meetings_by_id(d.meeting_id for d in decisions)
    readable = readable_minutes(user, meetings.values())
    commitments = commitments_of_decisions(ids)
    return {
        d.id: FollowUp(
            meetings.get(d.meeting_id),
            d.meeting_id in readable,
            commitments.get(d.id, []),
        )
        for d in decisions
    }


def decision_explanations(decisions: list[Decision]) -> dict[int, str]:
    """Each decision's result in one sentence, in the reader's language, with option labels."""
    from assembly.voting.explain import explain
    from assembly.voting.models import PollOption

    poll_ids = {d.poll_id for d in decisions if d.poll_id is not None}
    labels: dict[int, dict[int, str]] = {}
    if poll_ids:
        for poll_id, option_id, label in db.session.execute(
            select(PollOption.poll_id, PollOption.id, PollOption.label).where(
                PollOption.poll_id.in_(poll_ids)
            )
        ):
            labels.setdefault(poll_id, {})[option_id] = label
    return {
        d.id: explain(d.tally, labels.get(d.poll_id, {}))
        for d in decisions
        if isinstance(d.tally, dict) and d.tally.get("explanation")
    }


def meetings_by_id(ids) -> dict[int, Meeting]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Meeting).where(Meeting.id.in_(ids)))}


def users_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
