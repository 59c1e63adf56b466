"""Socket.IO handlers of a workshop's board: thin. Rules in workshops/service.py, rights in
permissions.py, the protocol in docs/realtime.md ("The workshop board")."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext
from flask_login import current_user

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.live.events import BadPayload, int_field, live_event
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.permissions import Action, authorise_meeting, can_in_meeting
from assembly.room.service import not_live
from assembly.workshops import service
from assembly.workshops.similarity import hints

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _meeting(payload: dict, action: Action) -> Meeting:
    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_meeting(current_user, action, meeting)
    return meeting


def _me() -> User:
    return db.session.get(User, current_user.id)


def _staff(meeting: Meeting) -> bool:
    return can_in_meeting(current_user, Action.GROUP_CARDS, meeting)


def _flag(payload: dict, key: str) -> bool:
    value = payload.get(key, False)
    if not isinstance(value, bool):
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    return value


def _changed(meeting: Meeting, **answer) -> dict:
    db.session.commit()
    return {"version": service.settings_of(meeting).board_version, **answer}


@live_event("board")
def board(payload: dict):
    """The whole board, for a screen that joins or comes back (the projector: use `join`)."""
    meeting = _meeting(payload, Action.VIEW_MEETINGS)
    return {"board": service.board_state(meeting, _me(), staff=_staff(meeting))}


@live_event("card_add")
def card_add(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    question = service.question_in(meeting, int_field(payload, "question_id"))
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="client_id")
        )
    card, new = service.add_card(
        meeting,
        _me(),
        question,
        payload.get("text"),
        anonymous=_flag(payload, "anonymous"),
        client_id=client_id,
    )
    names = {current_user.id: current_user.display_name}
    shown = service.public_card(card, 0, names) | {"mine": True}
    return _changed(meeting, card=shown, resent=not new)


@live_event("card_delete")
def card_delete(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    card = service.card_in(meeting, int_field(payload, "card_id"))
    service.delete_card(meeting, card, _me(), staff=_staff(meeting))
    return _changed(meeting)


@live_event("card_back")
def card_back(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    service.back(meeting, service.card_in(meeting, int_field(payload, "card_id")), _me())
    return _changed(meeting)


@live_event("card_unback")
def card_unback(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    service.unback(meeting, service.card_in(meeting, int_field(payload, "card_id")), _me())
    return _changed(meeting)


@live_event("board_settings")
def board_settings(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    service.update_settings(
        meeting,
        anonymous_cards=_flag(payload, "anonymous_cards"),
        hidden_until_reveal=_flag(payload, "hidden_until_reveal"),
    )
    return _changed(meeting)


@live_event("board_reveal")
def board_reveal(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    service.reveal(meeting, service.question_in(meeting, int_field(payload, "question_id")))
    return _changed(meeting)


@live_event("topic_create")
def topic_create(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    question = service.question_in(meeting, int_field(payload, "question_id"))
    card_ids = payload.get("card_ids", [])
    if not isinstance(card_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in card_ids
    ):
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="card_ids")
        )
    topic = service.create_topic(meeting, _me(), question, payload.get("title"), card_ids)
    return _changed(meeting, topic_id=topic.id)


@live_event("topic_rename")
def topic_rename(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    topic = service.topic_in(meeting, int_field(payload, "topic_id"))
    service.rename_topic(meeting, _me(), topic, payload.get("title"))
    return _changed(meeting)


@live_event("topic_merge")
def topic_merge(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    topic = service.topic_in(meeting, int_field(payload, "topic_id"))
    into = service.topic_in(meeting, int_field(payload, "into_id"))
    service.merge_topics(meeting, _me(), topic, into)
    return _changed(meeting)


@live_event("card_move")
def card_move(payload: dict):
    """Into a topic (`topic_id`), out of topics (`topic_id: null`) or to another question
    (`question_id`, loose there)."""
    meeting = _meeting(payload, Action.GROUP_CARDS)
    card = service.card_in(meeting, int_field(payload, "card_id"))
    topic_id = int_field(payload, "topic_id", required=False)
    topic = service.topic_in(meeting, topic_id) if topic_id is not None else None
    question_id = int_field(payload, "question_id", required=False)
    if question_id is None:
        question_id = topic.agenda_item_id if topic else card.agenda_item_id
    question = service.question_in(meeting, question_id)
    service.move_card(meeting, _me(), card, topic=topic, question=question)
    return _changed(meeting)


@live_event("card_split")
def card_split(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    card = service.card_in(meeting, int_field(payload, "card_id"))
    topic = service.split_card(meeting, _me(), card)
    return _changed(meeting, topic_id=topic.id)


@live_event("board_undo")
def board_undo(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    action = service.undo(meeting, _me())
    return _changed(meeting, undone=action.kind)


@live_event("main_points_save")
def main_points_save(payload: dict):
    meeting = _meeting(payload, Action.GROUP_CARDS)
    topic = service.topic_in(meeting, int_field(payload, "topic_id"))
    base = payload.get("base_version")
    if isinstance(base, bool) or not isinstance(base, int):
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="base_version")
        )
    service.save_main_points(meeting, _me(), topic, payload.get("text"), base)
    return _changed(meeting, main_points_version=topic.main_points_version)


@live_event("board_hints")
def board_hints(payload: dict):
    """Which loose cards of a question say nearly the same thing, for whoever groups them."""
    meeting = _meeting(payload, Action.GROUP_CARDS)
    question = service.question_in(meeting, int_field(payload, "question_id"))
    texts = service.card_texts(question)
    return {"hints": {str(card_id): near for card_id, near in hints(texts).items()}}


@live_event("topics_prioritise")
def topics_prioritise(payload: dict):
    """The room gives dots to the question's topics: a poll for those present, opened at once."""
    from assembly.workshops import processes

    meeting = _meeting(payload, Action.RUN_MEETINGS)
    question = service.question_in(meeting, int_field(payload, "question_id"))
    if meeting.status != MeetingStatus.LIVE:
        raise not_live()  # between sessions, the process page opens a poll that lasts days
    dots = payload.get("dots", 3)
    poll = processes.open_topic_poll(question, _me(), dots=dots, closes_at=None)
    return _changed(meeting, poll_id=poll.id)
