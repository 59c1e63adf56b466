"""Participatory processes of problematisation workshops: their sessions, the candidate issues
members propose, the dots polls that prioritise them (and a question's topics), turning chosen
candidates into points of debate and topics into proposals, and the process as one document.

Plain functions; callers commit. Rights are checked by the views (permissions.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.core.errors import DomainError
from assembly.core.text import render_markdown
from assembly.extensions import db
from assembly.meetings import service as meetings
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemState,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from assembly.organisations.models import Organisation
from assembly.proposals import service as proposals
from assembly.proposals.models import Proposal
from assembly.voting import service as voting
from assembly.voting.models import Eligibility, Poll, PollMethod, PollOption, PollStatus, Weighting
from assembly.workshops import service as board
from assembly.workshops.models import (
    ISSUE_MAX,
    CandidateIssue,
    Card,
    CardBacking,
    Process,
    Topic,
    WorkshopSession,
)

PROCESS_TITLE_MAX = 200
DESCRIPTION_MAX = 5000
# A poll's option label holds at most this much of a candidate's text.
OPTION_LABEL_MAX = 200


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


def _id_ok(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31


# --- processes ---------------------------------------------------------------------------------


def processes_of(organisation: Organisation) -> list[Process]:
    return list(
        db.session.scalars(
            select(Process)
            .where(Process.organisation_id == organisation.id)
            .order_by(Process.created_at.desc(), Process.id.desc())
        )
    )


def process_in(organisation: Organisation, process_id) -> Process | None:
    """The process, if it is this organisation's (another's is as good as missing)."""
    if organisation is None or not _id_ok(process_id):
        return None
    process = db.session.get(Process, process_id)
    if process is None or process.organisation_id != organisation.id:
        return None
    return process


def _check_process(title: str, description: str) -> None:
    if not title:
        raise _error("title_missing", lazy_gettext("Give the process a title."))
    if len(title) > PROCESS_TITLE_MAX:
        raise _error(
            "title_too_long",
            lazy_gettext("The title can have at most %(max)s characters.", max=PROCESS_TITLE_MAX),
        )
    if len(description) > DESCRIPTION_MAX:
        raise _error(
            "description_too_long",
            lazy_gettext(
                "The description can have at most %(max)s characters.", max=DESCRIPTION_MAX
            ),
        )


def create_process(
    organisation: Organisation, by: User | None, *, title: str, description: str = ""
) -> Process:
    title, description = (title or "").strip(), proposals.clean_text(description)
    _check_process(title, description)
    process = Process(
        organisation_id=organisation.id,
        title=title,
        description=description,
        proposals_open=True,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(process)
    db.session.flush()
    return process


def update_process(process: Process, *, title: str, description: str, proposals_open: bool) -> None:
    title, description = (title or "").strip(), proposals.clean_text(description)
    _check_process(title, description)
    process.title = title
    process.description = description
    process.proposals_open = bool(proposals_open)


# --- sessions ----------------------------------------------------------------------------------


def sessions_of(process: Process) -> list[Meeting]:
    """The process's workshop meetings, in the process's order."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(WorkshopSession, WorkshopSession.meeting_id == Meeting.id)
            .where(WorkshopSession.process_id == process.id)
            .order_by(WorkshopSession.position, Meeting.starts_at, Meeting.id)
        )
    )


def session_in(process: Process, meeting_id) -> Meeting | None:
    if not _id_ok(meeting_id):
        return None
    settings = db.session.get(WorkshopSession, meeting_id)
    if settings is None or settings.process_id != process.id:
        return None
    return db.session.get(Meeting, meeting_id)


def addable_meetings(process: Process) -> list[Meeting]:
    """The organisation's workshop meetings in no process yet."""
    in_a_process = select(WorkshopSession.meeting_id).where(WorkshopSession.process_id.is_not(None))
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.organisation_id == process.organisation_id,
                Meeting.kind == MeetingKind.WORKSHOP,
                Meeting.id.not_in(in_a_process),
            )
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(100)
        )
    )


def add_session(process: Process, meeting_id) -> Meeting:
    """An existing workshop meeting of the organisation becomes the process's next session."""
    meeting = db.session.get(Meeting, meeting_id) if _id_ok(meeting_id) else None
    if meeting is None or meeting.organisation_id != process.organisation_id:
        raise _error("unknown_meeting", lazy_gettext("Choose one of the workshop meetings."))
    if meeting.kind != MeetingKind.WORKSHOP:
        raise _error(
            "not_a_workshop",
            lazy_gettext("Only a problematisation workshop can be a session of a process."),
        )
    settings = db.session.get(WorkshopSession, meeting.id)
    if settings is None:
        settings = WorkshopSession(meeting_id=meeting.id)
        db.session.add(settings)
    elif settings.process_id is not None:
        raise _error(
            "in_a_process",
            lazy_gettext("This workshop is already a session of a process."),
            409,
        )
    last = db.session.scalar(
        select(func.max(WorkshopSession.position)).where(WorkshopSession.process_id == process.id)
    )
    settings.process_id = process.id
    settings.position = (last + 1) if last is not None else 0
    db.session.flush()
    return meeting


def new_session(
    process: Process, by: User, *, title: str, starts_at: datetime, planned_end_at: datetime
) -> Meeting:
    """A new draft workshop meeting, as the process's next session."""
    organisation = db.session.get(Organisation, process.organisation_id)
    meeting = meetings.create_meeting(
        organisation,
        title=title,
        kind=MeetingKind.WORKSHOP,
        starts_at=starts_at,
        planned_end_at=planned_end_at,
        created_by=by,
    )
    return add_session(process, meeting.id)


def remove_session(process: Process, meeting: Meeting) -> None:
    """The meeting stays, with its board; it is no longer a session of the process."""
    settings = db.session.get(WorkshopSession, meeting.id)
    if settings is not None and settings.process_id == process.id:
        settings.process_id = None
        settings.position = 0


# --- candidate issues ---------------------------------------------------------------------------


def proposals_closed_error() -> DomainError:
    return _error(
        "proposals_closed",
        lazy_gettext("This process no longer takes proposals of questions."),
        409,
    )


def candidates(process: Process) -> list[CandidateIssue]:
    return list(
        db.session.scalars(
            select(CandidateIssue)
            .where(CandidateIssue.process_id == process.id)
            .order_by(CandidateIssue.created_at, CandidateIssue.id)
        )
    )


def propose_issue(process: Process, by: User, text) -> CandidateIssue:
    if not process.proposals_open:
        raise proposals_closed_error()
    text = " ".join(text.split()) if isinstance(text, str) else ""
    if not text:
        raise _error("issue_empty", lazy_gettext("Write the question you propose."))
    if len(text) > ISSUE_MAX:
        raise _error(
            "issue_too_long",
            lazy_gettext("A question can have at most %(max)s characters.", max=ISSUE_MAX),
        )
    same = db.session.scalar(
        select(CandidateIssue.id).where(
            CandidateIssue.process_id == process.id,
            func.lower(CandidateIssue.text) == text.lower(),
        )
    )
    if same is not None:
        raise _error(
            "issue_duplicate", lazy_gettext("This question has already been proposed."), 409
        )
    issue = CandidateIssue(process_id=process.id, text=text, proposed_by_id=by.id)
    db.session.add(issue)
    db.session.flush()
    return issue


def _label(text: str, taken: set[str]) -> str:
    """A poll option's label: the text cut to fit, made unique among the poll's labels."""
    label = text if len(text) <= OPTION_LABEL_MAX else text[: OPTION_LABEL_MAX - 1] + "…"
    n = 2
    while label in taken:
        suffix = f" ({n})"
        label = label[: OPTION_LABEL_MAX - len(suffix)] + suffix
        n += 1
    taken.add(label)
    return label


def _eligibility(organisation: Organisation) -> dict:
    # In a network, the member organisations answer through their delegates.
    return {
        "eligibility": Eligibility.ALL_MEMBERS,
        "weighting": Weighting.ORGANISATION if organisation.is_network else Weighting.PERSON,
    }


def _check_dots(dots) -> int:
    if isinstance(dots, bool) or not isinstance(dots, int) or not 1 <= dots <= 100:
        raise _error("bad_dots", lazy_gettext("Give each voter between 1 and 100 dots."))
    return dots


def open_issue_poll(
    process: Process, by: User, *, dots: int, closes_at: datetime | None, title: str | None = None
) -> Poll:
    """A dots poll among the candidates not chosen yet, open to every member for days."""
    _check_dots(dots)
    pending = [c for c in candidates(process) if c.agenda_item_id is None]
    if len(pending) < 2:
        raise _error(
            "too_few_candidates",
            lazy_gettext("A dots poll needs at least two proposed questions not yet chosen."),
            409,
        )
    if open_polls(issue_polls(process)):
        raise _error(
            "poll_running",
            lazy_gettext("A poll among the proposed questions is already open."),
            409,
        )
    organisation = db.session.get(Organisation, process.organisation_id)
    title = title or str(lazy_gettext("Questions for “%(process)s”", process=process.title))
    return _open_dots_poll(
        organisation,
        by,
        title=title,
        choices=[(c.text, {"candidate_issue_id": c.id}) for c in pending],
        dots=dots,
        closes_at=closes_at,
        **_eligibility(organisation),
    )


def _open_dots_poll(
    organisation: Organisation,
    by: User,
    *,
    title: str,
    choices,
    dots: int,
    agenda_item_id: int | None = None,
    **poll_fields,
) -> Poll:
    """A dots poll opened at once; `choices`: (text, links of its option) in order."""
    taken: set[str] = set()
    poll = voting.create_poll(
        organisation,
        title=title[:200],
        method=PollMethod.DOTS,
        config={"dots": dots, "seats": 1},
        options=[_label(text, taken) for text, _links in choices],
        created_by=by,
        **poll_fields,
    )
    poll.agenda_item_id = agenda_item_id
    for option, (_text, links) in zip(poll.options, choices, strict=True):
        for key, value in links.items():
            setattr(option, key, value)
    voting.open_poll(poll)
    db.session.flush()
    return poll


def issue_polls(process: Process) -> list[Poll]:
    """The dots polls among this process's candidates, newest first."""
    ids = select(PollOption.poll_id).join(
        CandidateIssue, CandidateIssue.id == PollOption.candidate_issue_id
    )
    return list(
        db.session.scalars(
            select(Poll)
            .where(
                Poll.id.in_(ids.where(CandidateIssue.process_id == process.id)),
                Poll.status != PollStatus.DRAFT,
            )
            .order_by(Poll.id.desc())
        )
    )


def open_polls(polls: list[Poll]) -> list[Poll]:
    return [p for p in polls if p.status == PollStatus.OPEN]


@dataclass
class Ranked:
    option: PollOption
    dots: float
    place: int


def ranking(poll: Poll) -> list[Ranked]:
    """A closed poll's options by dots received (most first); empty while it is open."""
    if poll.status != PollStatus.CLOSED or not poll.result:
        return []
    totals = poll.result.get("totals") or {}

    def dots_of(option: PollOption) -> float:
        value = totals.get(str(option.id), totals.get(option.id, 0))
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0

    ordered = sorted(poll.options, key=lambda o: (-dots_of(o), o.position))
    ranked, place, previous = [], 0, None
    for index, option in enumerate(ordered):
        dots = dots_of(option)
        if dots != previous:
            place, previous = index + 1, dots
        ranked.append(Ranked(option, dots, place))
    return ranked


def choose_issues(process: Process, candidate_ids, meeting_id) -> list[AgendaItem]:
    """The chosen candidates become points of debate of one of the process's sessions."""
    meeting = session_in(process, meeting_id)
    if meeting is None:
        raise _error("unknown_session", lazy_gettext("Choose one of the process's sessions."))
    if meeting.status == MeetingStatus.CLOSED:
        raise _error(
            "session_closed",
            lazy_gettext("That session is over: its questions can no longer change."),
            409,
        )
    ids = list(dict.fromkeys(candidate_ids or []))
    if not ids:
        raise _error("none_chosen", lazy_gettext("Choose at least one proposed question."))
    chosen = []
    for candidate_id in ids:
        candidate = db.session.get(CandidateIssue, candidate_id) if _id_ok(candidate_id) else None
        if candidate is None or candidate.process_id != process.id:
            raise _error(
                "unknown_candidate", lazy_gettext("One of the questions is not in this process.")
            )
        if candidate.agenda_item_id is not None:
            raise _error(
                "already_chosen",
                lazy_gettext("“%(text)s” is already a question of a session.", text=candidate.text),
                409,
            )
        chosen.append(candidate)
    items = []
    for candidate in chosen:
        title = _label(candidate.text, set())
        item = meetings.add_item(
            meeting,
            title=title,
            kind=AgendaItemKind.QUESTION,
            planned_minutes=30,
            description=candidate.text if title != candidate.text else "",
        )
        candidate.agenda_item_id = item.id
        items.append(item)
    return items


# --- topics onward -----------------------------------------------------------------------------


def topic_in(process: Process, topic_id) -> Topic | None:
    """A live topic of one of the process's sessions."""
    topic = db.session.get(Topic, topic_id) if _id_ok(topic_id) else None
    if topic is None or topic.removed_at is not None:
        return None
    if session_in(process, topic.meeting_id) is None:
        return None
    return topic


def question_in(process: Process, item_id) -> AgendaItem | None:
    item = db.session.get(AgendaItem, item_id) if _id_ok(item_id) else None
    if item is None or item.kind != AgendaItemKind.QUESTION:
        return None
    if session_in(process, item.meeting_id) is None:
        return None
    return item


def proposal_draft(topic: Topic) -> dict:
    """A proposal's title and text, prefilled from the topic."""
    body = topic.main_points.strip() or topic.title
    return {"title": topic.title[:200], "body": body}


def topic_to_proposal(topic: Topic, by: User, *, title: str, body: str) -> Proposal:
    if topic.proposal_id is not None:
        raise _error(
            "already_proposal", lazy_gettext("This topic has already become a proposal."), 409
        )
    meeting = db.session.get(Meeting, topic.meeting_id)
    organisation = db.session.get(Organisation, meeting.organisation_id)
    proposal = proposals.create_proposal(organisation, by, title=title, body=body)
    topic.proposal_id = proposal.id
    board.topic_linked(meeting, topic)
    return proposal


def topic_of_proposal(proposal_id: int) -> Topic | None:
    return db.session.scalar(
        select(Topic).where(Topic.proposal_id == proposal_id, Topic.removed_at.is_(None)).limit(1)
    )


def process_of_meeting(meeting_id: int) -> Process | None:
    settings = db.session.get(WorkshopSession, meeting_id)
    if settings is None or settings.process_id is None:
        return None
    return db.session.get(Process, settings.process_id)


def live_topics(question: AgendaItem) -> list[Topic]:
    return list(
        db.session.scalars(
            select(Topic)
            .where(Topic.agenda_item_id == question.id, Topic.removed_at.is_(None))
            .order_by(Topic.position, Topic.id)
        )
    )


def open_topic_poll(
    question: AgendaItem, by: User, *, dots: int, closes_at: datetime | None
) -> Poll:
    """A dots poll among a question's topics: during a live session, for those in the room;
    otherwise for every member, open for days."""
    _check_dots(dots)
    topics = live_topics(question)
    if len(topics) < 2:
        raise _error(
            "too_few_topics",
            lazy_gettext("Prioritising needs at least two topics on this question."),
            409,
        )
    if open_polls(topic_polls(question)):
        raise _error(
            "poll_running",
            lazy_gettext("A poll among this question's topics is already open."),
            409,
        )
    meeting = db.session.get(Meeting, question.meeting_id)
    organisation = db.session.get(Organisation, meeting.organisation_id)
    where = _eligibility(organisation)
    in_room = meeting.status == MeetingStatus.LIVE
    if not in_room and closes_at is None:
        raise _error("needs_closing", lazy_gettext("Say until when people can vote."))
    if in_room:
        where["eligibility"] = Eligibility.PRESENT
    return _open_dots_poll(
        organisation,
        by,
        title=str(lazy_gettext("Priorities: %(question)s", question=question.title)),
        choices=[(t.title, {"topic_id": t.id}) for t in topics],
        dots=dots,
        closes_at=None if in_room else closes_at,
        meeting=meeting if in_room else None,
        agenda_item_id=question.id,
        **where,
    )


def topic_polls(question: AgendaItem) -> list[Poll]:
    ids = select(PollOption.poll_id).join(Topic, Topic.id == PollOption.topic_id)
    return list(
        db.session.scalars(
            select(Poll)
            .where(
                Poll.id.in_(ids.where(Topic.agenda_item_id == question.id)),
                Poll.status != PollStatus.DRAFT,
            )
            .order_by(Poll.id.desc())
        )
    )


# --- what the process page and the document show -----------------------------------------------


@dataclass
class TopicView:
    topic: Topic
    cards: int
    backers: int
    main_points_html: str
    proposal: Proposal | None


@dataclass
class QuestionView:
    item: AgendaItem
    topics: list[TopicView] = field(default_factory=list)
    polls: list[Poll] = field(default_factory=list)


@dataclass
class SessionView:
    meeting: Meeting
    questions: list[QuestionView] = field(default_factory=list)


def overview(process: Process) -> list[SessionView]:
    """Every session, its questions (points of debate) and what came out of each: topics with
    their cards, the people who backed them and the main points (sanitised HTML)."""
    sessions = [SessionView(m) for m in sessions_of(process)]
    meeting_ids = [s.meeting.id for s in sessions]
    if not meeting_ids:
        return sessions
    items = db.session.scalars(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id.in_(meeting_ids),
            AgendaItem.kind == AgendaItemKind.QUESTION,
            AgendaItem.state == AgendaItemState.ACCEPTED,
        )
        .order_by(AgendaItem.position, AgendaItem.id)
    ).all()
    topics = db.session.scalars(
        select(Topic)
        .where(Topic.meeting_id.in_(meeting_ids), Topic.removed_at.is_(None))
        .order_by(Topic.position, Topic.id)
    ).all()
    topic_ids = [t.id for t in topics]
    cards = dict(
        db.session.execute(
            select(Card.topic_id, func.count(Card.id))
            .where(Card.topic_id.in_(topic_ids))
            .group_by(Card.topic_id)
        ).all()
    )
    backers = dict(
        db.session.execute(
            select(Card.topic_id, func.count(func.distinct(CardBacking.user_id)))
            .join(CardBacking, CardBacking.card_id == Card.id)
            .where(Card.topic_id.in_(topic_ids))
            .group_by(Card.topic_id)
        ).all()
    )
    proposal_ids = {t.proposal_id for t in topics if t.proposal_id}
    linked = (
        {p.id: p for p in db.session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))}
        if proposal_ids
        else {}
    )
    by_item: dict[int, QuestionView] = {}
    by_meeting = {s.meeting.id: s for s in sessions}
    # Sub-items come after their parents in the agenda; questions are shown in agenda order.
    plans = proposals.agenda_items([by_meeting[m].meeting for m in meeting_ids])
    order = {item.id: n for agenda in plans.values() for n, item in enumerate(agenda)}
    for item in sorted(items, key=lambda i: (order.get(i.id, 10**6), i.id)):
        view = QuestionView(item, polls=topic_polls(item))
        by_item[item.id] = view
        by_meeting[item.meeting_id].questions.append(view)
    for topic in topics:
        view = by_item.get(topic.agenda_item_id)
        if view is not None:
            view.topics.append(
                TopicView(
                    topic,
                    cards.get(topic.id, 0),
                    backers.get(topic.id, 0),
                    str(render_markdown(topic.main_points)),
                    linked.get(topic.proposal_id),
                )
            )
    return sessions


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]#|<>"})


def _md_inline(text: str) -> str:
    """A title inside the Markdown document, taken literally (no markup of its own)."""
    return " ".join((text or "").split()).translate(_MARKDOWN_SPECIAL)


def markdown_document(process: Process, sessions: list[SessionView], labels: dict) -> str:
    """The process as one Markdown document. `labels` holds the translated headings."""
    lines = [f"# {_md_inline(process.title)}", ""]
    if process.description:
        lines += [process.description.strip(), ""]
    for number, session in enumerate(sessions, 1):
        meeting = session.meeting
        heading = labels["session"](number, meeting.title)
        lines += [f"## {_md_inline(heading)}", ""]
        lines += [f"*{_md_inline(labels['dates'][meeting.id])}*", ""]
        if not session.questions:
            lines += [labels["no_questions"], ""]
        for question in session.questions:
            lines += [f"### {_md_inline(question.item.title)}", ""]
            if not question.topics:
                lines += [labels["no_topics"], ""]
            for topic in question.topics:
                lines += [
                    f"#### {_md_inline(topic.topic.title)} — {labels['main_points']}",
                    "",
                    f"*{labels['figures'](topic.cards, topic.backers)}*",
                    "",
                ]
                points = topic.topic.main_points.strip()
                lines += [points or labels["no_main_points"], ""]
    return "\n".join(lines).rstrip() + "\n"
