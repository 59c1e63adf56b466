"""The board of a problematisation workshop: rules for cards, backing, topics, main points and
undo. Plain functions; callers commit. Every change announces itself with
`signals.board_changed` (which cards, topics and questions changed); the live package sends the
screens what was committed.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext, lazy_ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assembly.accounts.models import User
from assembly.core import signals
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.text import render_markdown
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, AgendaItemKind, Meeting, MeetingStatus
from assembly.workshops.models import (
    CARD_MAX,
    TOPIC_TITLE_MAX,
    BoardAction,
    Card,
    CardBacking,
    QuestionReveal,
    Topic,
    WorkshopSession,
)

# A member adds at most this many cards a minute: enough to think aloud, not to flood the board.
CARDS_PER_MINUTE = 6
UNDO_DEPTH = 50
MAIN_POINTS_MAX = 20_000


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


# --- the session and its questions -------------------------------------------------------------


def settings_of(meeting: Meeting) -> WorkshopSession:
    """The meeting's board settings, for reading: the defaults (not stored) if none are yet."""
    found = db.session.get(WorkshopSession, meeting.id)
    if found is None:
        found = WorkshopSession(
            meeting_id=meeting.id, anonymous_cards=False, hidden_until_reveal=False, board_version=0
        )
    return found


def session_of(meeting: Meeting) -> WorkshopSession:
    """The meeting's board settings, for changing the board (stored on first use), locked until
    the transaction ends.

    Every change of a board bumps its version in this row, so every change takes it *first*:
    concurrent changes then queue here instead of taking their other row locks in different
    orders (a backing locked the card after the version, a move before it) and deadlocking on
    PostgreSQL. Two first changes of a new board both storing the row: one waits for the
    other's, then uses it."""
    found = db.session.get(WorkshopSession, meeting.id, with_for_update=True)
    if found is None:
        try:
            with db.session.begin_nested():
                db.session.add(WorkshopSession(meeting_id=meeting.id))
        except IntegrityError:
            pass  # stored meanwhile by a simultaneous first change
        found = db.session.get(WorkshopSession, meeting.id, with_for_update=True)
    return found


def questions(meeting: Meeting) -> list[AgendaItem]:
    """The meeting's points of debate, in agenda order."""
    from assembly.room.service import agenda

    return [item for item in agenda(meeting) if item.kind == AgendaItemKind.QUESTION]


def question_in(meeting: Meeting, question_id) -> AgendaItem:
    item = db.session.get(AgendaItem, question_id) if isinstance(question_id, int) else None
    if item is None or item.meeting_id != meeting.id or item.kind != AgendaItemKind.QUESTION:
        raise _error(
            "unknown_question", lazy_gettext("This question is not on this workshop's board."), 404
        )
    return item


def revealed(question_id: int) -> bool:
    return db.session.get(QuestionReveal, question_id) is not None


def is_hidden(settings: WorkshopSession, question_id: int) -> bool:
    """Whether a question's cards are still hidden from everyone but their authors (and staff)."""
    return settings.hidden_until_reveal and not revealed(question_id)


def _announce(
    meeting: Meeting, *, cards=(), topics=(), questions=(), settings: bool = False
) -> int:
    """Bump the board's version, stamp what changed with it, and say so (cards, topics,
    questions revealed, settings). Returns the new version."""
    session = db.session.get(WorkshopSession, meeting.id) or session_of(meeting)
    session.board_version = WorkshopSession.board_version + 1  # in SQL: never two the same
    db.session.flush()
    db.session.refresh(session, ["board_version"])
    version = session.board_version
    for model, ids in ((Card, cards), (Topic, topics)):
        for entity_id in ids:
            entity = db.session.get(model, entity_id)
            if entity is not None:
                entity.version = version
    signals.board_changed.send(
        meeting,
        cards=set(cards),
        topics=set(topics),
        questions=set(questions),
        settings=settings,
        version=version,
    )
    return version


def topic_linked(meeting: Meeting, topic: Topic) -> None:
    """A topic's link changed (it became a proposal): every screen gets its new copy."""
    _announce(meeting, topics={topic.id})


def update_settings(meeting: Meeting, *, anonymous_cards: bool, hidden_until_reveal: bool) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    settings = session_of(meeting)
    settings.anonymous_cards = anonymous_cards
    settings.hidden_until_reveal = hidden_until_reveal
    # Every question's `hidden` may have changed, and cards hidden until now may show: the
    # screens get the questions and their cards again.
    _announce(meeting, questions={q.id for q in questions(meeting)}, settings=True)


def reveal(meeting: Meeting, question: AgendaItem) -> None:
    session_of(meeting)  # first: see session_of
    if revealed(question.id):
        return  # revealing twice reveals nothing more
    db.session.add(QuestionReveal(agenda_item_id=question.id))
    _announce(meeting, questions={question.id})


def _session_over():
    return _error("session_over", lazy_gettext("The session is over: the board is closed."), 409)


# --- cards ------------------------------------------------------------------------------------


def _clean_text(text, limit: int, code: str, empty, too_long) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _error(code, empty)
    text = " ".join(text.split())
    if len(text) > limit:
        raise _error(code, too_long)
    return text


def add_card(
    meeting: Meeting,
    author: User,
    question: AgendaItem,
    text,
    *,
    anonymous: bool = False,
    client_id: str,
) -> tuple[Card, bool]:
    """A member's card on the question under way. Returns it and whether it is new (a resend
    after a reconnection, with the same client id, is the card already stored)."""
    # First (see session_of): a twin sent at the same moment then finds this one stored.
    settings = session_of(meeting)
    existing = db.session.scalar(
        select(Card).where(Card.author_id == author.id, Card.client_id == client_id)
    )
    if existing is not None:
        return existing, False
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    if meeting.status != MeetingStatus.LIVE:
        raise _error("meeting_not_live", lazy_gettext("The session has not started yet."), 409)
    if meeting.current_item_id != question.id:
        raise _error(
            "question_not_current",
            lazy_gettext("This question is not the one under way: your card was not added."),
            409,
        )
    text = _clean_text(
        text,
        CARD_MAX,
        "bad_card",
        lazy_gettext("Write something on the card first."),
        lazy_gettext("A card holds at most %(max)s characters.", max=CARD_MAX),
    )
    if anonymous and not settings.anonymous_cards:
        raise _error(
            "anonymous_not_allowed",
            lazy_gettext("In this session cards carry their author's name."),
            403,
        )
    recent = db.session.scalar(
        select(func.count(Card.id)).where(
            Card.author_id == author.id, Card.created_at > utcnow() - timedelta(minutes=1)
        )
    )
    if recent >= CARDS_PER_MINUTE:
        raise _error(
            "too_many_cards",
            lazy_ngettext(
                "You have added %(num)s card in the last minute: wait a moment before the next.",
                "You have added %(num)s cards in the last minute: wait a moment before the next.",
                recent,
            ),
            429,
        )
    card = Card(
        meeting_id=meeting.id,
        agenda_item_id=question.id,
        author_id=author.id,
        anonymous=bool(anonymous),
        text=text,
        client_id=client_id,
        position=_next_position(Card, question.id, None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(card)
    except IntegrityError:
        # A twin sent at the same moment (a double tap on a slow network) was stored first.
        twin = db.session.scalar(
            select(Card).where(Card.author_id == author.id, Card.client_id == client_id)
        )
        if twin is None:
            raise
        return twin, False
    _announce(meeting, cards={card.id})
    return card, True


def _next_position(model, question_id: int, topic_id: int | None) -> int:
    query = select(func.max(model.position)).where(model.agenda_item_id == question_id)
    if model is Card:
        in_topic = Card.topic_id.is_(None) if topic_id is None else Card.topic_id == topic_id
        query = query.where(in_topic)
    else:
        query = query.where(Topic.removed_at.is_(None))
    return (db.session.scalar(query) or 0) + 1


def card_in(meeting: Meeting, card_id) -> Card:
    card = db.session.get(Card, card_id) if isinstance(card_id, int) else None
    if card is None or card.meeting_id != meeting.id:
        raise _error("unknown_card", lazy_gettext("This card is not on this board."), 404)
    return card


def delete_card(meeting: Meeting, card: Card, by: User, *, staff: bool) -> None:
    """Authors take back their own cards; those who group the board may remove any."""
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    if card.author_id != by.id and not staff:
        raise _error("not_your_card", lazy_gettext("Only its author can take a card back."), 403)
    session_of(meeting)  # first: see session_of
    db.session.delete(card)
    _announce(meeting, cards={card.id})


def back(meeting: Meeting, card: Card, user: User) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    session_of(meeting)  # first: see session_of
    if db.session.get(CardBacking, (card.id, user.id)) is not None:
        raise _error("already_backed", lazy_gettext("You already back this card."), 409)
    db.session.add(CardBacking(card_id=card.id, user_id=user.id))
    _announce(meeting, cards={card.id})


def unback(meeting: Meeting, card: Card, user: User) -> None:
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    session_of(meeting)  # first: see session_of
    backing = db.session.get(CardBacking, (card.id, user.id))
    if backing is None:
        raise _error("not_backed", lazy_gettext("You do not back this card."), 409)
    db.session.delete(backing)
    _announce(meeting, cards={card.id})


# --- grouping: topics, moves, merges, undo ----------------------------------------------------


def _title(title) -> str:
    return _clean_text(
        title,
        TOPIC_TITLE_MAX,
        "bad_title",
        lazy_gettext("Give the topic a name."),
        lazy_gettext("A topic's name holds at most %(max)s characters.", max=TOPIC_TITLE_MAX),
    )


def topic_in(meeting: Meeting, topic_id) -> Topic:
    topic = db.session.get(Topic, topic_id) if isinstance(topic_id, int) else None
    if topic is None or topic.meeting_id != meeting.id or topic.removed_at is not None:
        raise _error("unknown_topic", lazy_gettext("This topic is not on this board."), 404)
    return topic


class _Step:
    """One undoable step: remembers each card's and topic's values before it changed them."""

    def __init__(self, meeting: Meeting, actor: User, kind: str) -> None:
        if meeting.status == MeetingStatus.CLOSED:
            raise _session_over()
        session_of(meeting)  # first: see session_of
        self.meeting, self.actor, self.kind = meeting, actor, kind
        self.before: list[dict] = []
        self.cards: set[int] = set()
        self.topics: set[int] = set()

    def card(self, card: Card, **values) -> None:
        self.before.append(
            {
                "card": card.id,
                "was": {
                    "topic_id": card.topic_id,
                    "agenda_item_id": card.agenda_item_id,
                    "position": card.position,
                },
            }
        )
        for name, value in values.items():
            setattr(card, name, value)
        self.cards.add(card.id)

    def topic(self, topic: Topic, **values) -> None:
        self.before.append(
            {
                "topic": topic.id,
                "was": {
                    "title": topic.title,
                    "removed_at": topic.removed_at.isoformat() if topic.removed_at else None,
                    "main_points": topic.main_points,
                    "agenda_item_id": topic.agenda_item_id,
                },
            }
        )
        for name, value in values.items():
            setattr(topic, name, value)
        self.topics.add(topic.id)

    def done(self) -> BoardAction:
        action = BoardAction(
            meeting_id=self.meeting.id, actor_id=self.actor.id, kind=self.kind, before=self.before
        )
        db.session.add(action)
        _announce(self.meeting, cards=self.cards, topics=self.topics)
        return action


def create_topic(meeting: Meeting, actor: User, question: AgendaItem, title, card_ids=()) -> Topic:
    """A new topic on the question, with the given cards in it."""
    step = _Step(meeting, actor, "create")
    topic = Topic(
        meeting_id=meeting.id,
        agenda_item_id=question.id,
        title=_title(title),
        position=_next_position(Topic, question.id, None),
        created_by_id=actor.id,
    )
    db.session.add(topic)
    db.session.flush()
    # Undoing the creation removes the topic again.
    step.before.append({"topic": topic.id, "was": {"removed_at": utcnow().isoformat()}})
    step.topics.add(topic.id)
    for position, card_id in enumerate(card_ids, start=1):
        card = card_in(meeting, card_id)
        step.card(card, topic_id=topic.id, agenda_item_id=question.id, position=position)
    step.done()
    return topic


def rename_topic(meeting: Meeting, actor: User, topic: Topic, title) -> None:
    step = _Step(meeting, actor, "rename")
    step.topic(topic, title=_title(title))
    step.done()


def move_card(
    meeting: Meeting, actor: User, card: Card, *, topic: Topic | None, question: AgendaItem
) -> None:
    """Into a topic, out of topics (loose on its question), or to another question."""
    if topic is not None and topic.agenda_item_id != question.id:
        raise _error(
            "topic_elsewhere", lazy_gettext("This topic belongs to another question."), 400
        )
    step = _Step(meeting, actor, "move")
    step.card(
        card,
        topic_id=topic.id if topic else None,
        agenda_item_id=question.id,
        position=_next_position(Card, question.id, topic.id if topic else None),
    )
    step.done()


def split_card(meeting: Meeting, actor: User, card: Card) -> Topic:
    """A topic of its own for one card, named after it."""
    question = db.session.get(AgendaItem, card.agenda_item_id)
    title = card.text if len(card.text) <= 60 else card.text[:59].rstrip() + "…"
    return create_topic(meeting, actor, question, title, [card.id])


def merge_topics(meeting: Meeting, actor: User, topic: Topic, into: Topic) -> None:
    """Every card of `topic` goes into `into`, its main points after those of `into`."""
    if topic.id == into.id:
        raise _error("same_topic", lazy_gettext("A topic cannot be merged into itself."), 400)
    if topic.agenda_item_id != into.agenda_item_id:
        raise _error(
            "topic_elsewhere", lazy_gettext("Only topics of the same question can be merged."), 400
        )
    step = _Step(meeting, actor, "merge")
    position = _next_position(Card, into.agenda_item_id, into.id)
    for offset, card in enumerate(cards_of_topic(topic)):
        step.card(card, topic_id=into.id, position=position + offset)
    points = "\n\n".join(p for p in (into.main_points.strip(), topic.main_points.strip()) if p)
    step.topic(into, main_points=points)
    step.topic(topic, removed_at=utcnow())
    step.done()


def cards_of_topic(topic: Topic) -> list[Card]:
    return list(
        db.session.scalars(
            select(Card).where(Card.topic_id == topic.id).order_by(Card.position, Card.id)
        )
    )


def undo(meeting: Meeting, actor: User) -> BoardAction:
    """Undo the board's last grouping step that is not undone yet (by whoever made it)."""
    from datetime import datetime

    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    session_of(meeting)  # first: see session_of (and two undos at once undo two steps)
    action = db.session.scalar(
        select(BoardAction)
        .where(BoardAction.meeting_id == meeting.id, BoardAction.undone_at.is_(None))
        .order_by(BoardAction.id.desc())
        .limit(1)
    )
    if action is None:
        raise _error("nothing_to_undo", lazy_gettext("There is nothing to undo."), 409)
    cards, topics = set(), set()
    for change in reversed(action.before):
        was = dict(change["was"])
        if "card" in change:
            card = db.session.get(Card, change["card"])
            if card is None:
                continue  # its author took it back meanwhile
            for name, value in was.items():
                setattr(card, name, value)
            cards.add(card.id)
        else:
            topic = db.session.get(Topic, change["topic"])
            if topic is None:
                continue
            if "removed_at" in was:
                value = was["removed_at"]
                was["removed_at"] = datetime.fromisoformat(value) if value else None
            for name, value in was.items():
                setattr(topic, name, value)
            topics.add(topic.id)
    action.undone_at = utcnow()
    _announce(meeting, cards=cards, topics=topics)
    return action


def save_main_points(meeting: Meeting, actor: User, topic: Topic, text, base_version) -> None:
    """The secretary's notes on what was said about a topic (Markdown, shown sanitised). A save
    made from an older version than the stored one is refused, not silently lost."""
    if meeting.status == MeetingStatus.CLOSED:
        raise _session_over()
    if not isinstance(text, str) or len(text) > MAIN_POINTS_MAX:
        raise _error(
            "bad_main_points",
            lazy_gettext("The main points hold at most %(max)s characters.", max=MAIN_POINTS_MAX),
        )
    session_of(meeting)  # first: see session_of (and two saves at once: one is refused)
    db.session.refresh(topic)  # the version as stored once the board is ours
    if base_version != topic.main_points_version:
        raise _error(
            "edited_meanwhile",
            lazy_gettext("Someone saved these main points meanwhile: read them and save again."),
            409,
        )
    topic.main_points = text.strip()
    topic.main_points_version = topic.main_points_version + 1
    _announce(meeting, topics={topic.id})


# --- what screens show -------------------------------------------------------------------------


def _backers(card_ids) -> dict[int, int]:
    if not card_ids:
        return {}
    return dict(
        db.session.execute(
            select(CardBacking.card_id, func.count())
            .where(CardBacking.card_id.in_(card_ids))
            .group_by(CardBacking.card_id)
        ).all()
    )


def public_card(card: Card, backers: int, names: dict[int, str]) -> dict:
    """A card as every screen may see it: an anonymous card's author is not in it."""
    return {
        "id": card.id,
        "question_id": card.agenda_item_id,
        "topic_id": card.topic_id,
        "text": card.text,
        "author": None if card.anonymous else names.get(card.author_id),
        "anonymous": card.anonymous,
        "backers": backers,
        "position": card.position,
        "version": card.version,
        "created_at": card.created_at.isoformat(timespec="milliseconds") + "Z",
    }


def public_topic(topic: Topic) -> dict:
    return {
        "id": topic.id,
        "question_id": topic.agenda_item_id,
        "title": topic.title,
        "main_points": topic.main_points,
        "main_points_html": str(render_markdown(topic.main_points)),
        "main_points_version": topic.main_points_version,
        "position": topic.position,
        "proposal_id": topic.proposal_id,
        "version": topic.version,
    }


def _names(cards) -> dict[int, str]:
    ids = {c.author_id for c in cards if c.author_id and not c.anonymous}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


def cards_view(cards: list[Card], settings: WorkshopSession, *, staff: bool) -> tuple[list, dict]:
    """The cards a screen may see, and per hidden question how many cards wait unseen."""
    hidden = {}
    shown = []
    reveal_state: dict[int, bool] = {}
    for card in cards:
        if card.agenda_item_id not in reveal_state:
            reveal_state[card.agenda_item_id] = is_hidden(settings, card.agenda_item_id)
        if reveal_state[card.agenda_item_id] and not staff:
            hidden[card.agenda_item_id] = hidden.get(card.agenda_item_id, 0) + 1
        else:
            shown.append(card)
    backers = _backers([c.id for c in shown])
    names = _names(shown)
    return [public_card(c, backers.get(c.id, 0), names) for c in shown], hidden


def board_state(meeting: Meeting, viewer: User | None, *, staff: bool) -> dict:
    """The whole board in one message: what a (re)joining screen needs. `mine` and `backed`
    are the viewer's own (their cards, anonymous ones included, and their backings)."""
    settings = settings_of(meeting)
    cards = list(
        db.session.scalars(
            select(Card).where(Card.meeting_id == meeting.id).order_by(Card.position, Card.id)
        )
    )
    shown, hidden = cards_view(cards, settings, staff=staff)
    own = [c for c in cards if viewer is not None and c.author_id == viewer.id]
    names = _names(own)
    by_id = {c["id"] for c in shown}
    mine = [public_card(c, 0, names) | {"mine": True} for c in own if c.id not in by_id]
    topics = db.session.scalars(
        select(Topic)
        .where(Topic.meeting_id == meeting.id, Topic.removed_at.is_(None))
        .order_by(Topic.position, Topic.id)
    )
    backed = (
        list(
            db.session.scalars(
                select(CardBacking.card_id)
                .join(Card, Card.id == CardBacking.card_id)
                .where(Card.meeting_id == meeting.id, CardBacking.user_id == viewer.id)
            )
        )
        if viewer is not None
        else []
    )
    return {
        "meeting_id": meeting.id,
        "version": settings.board_version,
        "settings": {
            "anonymous_cards": settings.anonymous_cards,
            "hidden_until_reveal": settings.hidden_until_reveal,
        },
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "hidden": is_hidden(settings, q.id),
                "hidden_cards": hidden.get(q.id, 0),
            }
            for q in questions(meeting)
        ],
        "cards": shown + mine,
        "topics": [public_topic(t) for t in topics],
        "mine": [c.id for c in own],
        "backed": backed,
        "undo": undo_depth(meeting) if staff else None,
    }


def undo_depth(meeting: Meeting) -> int:
    return db.session.scalar(
        select(func.count(BoardAction.id)).where(
            BoardAction.meeting_id == meeting.id, BoardAction.undone_at.is_(None)
        )
    )


def card_texts(question: AgendaItem) -> dict[int, str]:
    """Every card of a question, by id: what the similar-card hints compare."""
    return dict(
        db.session.execute(
            select(Card.id, Card.text).where(Card.agenda_item_id == question.id)
        ).all()
    )


def board_delta(
    meeting: Meeting, *, cards=(), topics=(), questions=(), settings: bool = False
) -> tuple[dict, dict | None]:
    """What changed on the board, as the room may see it and, when hidden cards changed, as
    those who group the board see it: (for everyone, for staff or None). Each card and topic
    carries its version, so a screen keeps the newest copy whatever order updates arrive in."""
    session = settings_of(meeting)
    revealed_now = set(questions)
    found = (
        list(
            db.session.scalars(
                select(Card).where(
                    (Card.id.in_(set(cards))) | (Card.agenda_item_id.in_(revealed_now))
                )
            )
        )
        if cards or revealed_now
        else []
    )
    present = {c.id for c in found}
    shown, hidden_counts = cards_view(found, session, staff=False)
    staff_cards = None
    if hidden_counts:
        staff_cards, _none = cards_view(
            [c for c in found if is_hidden(session, c.agenda_item_id)], session, staff=True
        )
    topic_rows = (
        list(db.session.scalars(select(Topic).where(Topic.id.in_(set(topics))))) if topics else []
    )
    changed_questions = revealed_now | set(hidden_counts)
    public = {
        "meeting_id": meeting.id,
        "version": session.board_version,
        "cards": shown,
        "removed_cards": sorted(set(cards) - present),
        "topics": [public_topic(t) for t in topic_rows if t.removed_at is None],
        "removed_topics": sorted(
            {t.id for t in topic_rows if t.removed_at is not None}
            | (set(topics) - {t.id for t in topic_rows})
        ),
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "hidden": is_hidden(session, q.id),
                "hidden_cards": _hidden_count(q.id) if is_hidden(session, q.id) else 0,
            }
            for q in questions_by_id(meeting, changed_questions)
        ],
        "settings": {
            "anonymous_cards": session.anonymous_cards,
            "hidden_until_reveal": session.hidden_until_reveal,
        }
        if settings
        else None,
        # How many grouping steps can be undone: the facilitators' undo button follows it.
        "undo": undo_depth(meeting),
    }
    staff = None
    if staff_cards:
        staff = {**public, "cards": staff_cards, "questions": [], "settings": None}
    return public, staff


def _hidden_count(question_id: int) -> int:
    return db.session.scalar(select(func.count(Card.id)).where(Card.agenda_item_id == question_id))


def questions_by_id(meeting: Meeting, ids) -> list[AgendaItem]:
    ids = set(ids)
    return [q for q in questions(meeting) if q.id in ids] if ids else []
