"""Every board event keeps to its board and its rights: a property over all of them, not one
example. Members may not group; people of another organisation reach nothing; ids of another
session of the same organisation (cards, topics, questions) are refused on this board; and a
refusal changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assembly.extensions import db
from assembly.workshops.models import BoardAction, Card, CardBacking, Topic, WorkshopSession
from tests.test_live_room import ok
from tests.test_workshop_board import QUESTIONS, add, board_of, emit

# Events only those who group the board may send, with a payload builder over (ids of) the board.
STAFF_EVENTS = {
    "board_settings": lambda b: {"anonymous_cards": True, "hidden_until_reveal": True},
    "board_reveal": lambda b: {"question_id": b["question"]},
    "topic_create": lambda b: {
        "question_id": b["question"],
        "title": "Nuevo",
        "card_ids": [b["card"]],
    },
    "topic_rename": lambda b: {"topic_id": b["topic"], "title": "Otro nombre"},
    "topic_merge": lambda b: {"topic_id": b["topic"], "into_id": b["other_topic"]},
    "card_move": lambda b: {"card_id": b["card"], "topic_id": b["topic"]},
    "card_split": lambda b: {"card_id": b["card"]},
    "board_undo": lambda b: {},
    "main_points_save": lambda b: {"topic_id": b["topic"], "text": "Pisado", "base_version": 0},
    "board_hints": lambda b: {"question_id": b["question"]},
}
# Events every member may send.
MEMBER_EVENTS = {
    "card_add": lambda b: {"question_id": b["question"], "text": "Hola", "client_id": "x" * 16},
    "card_back": lambda b: {"card_id": b["card"]},
    "card_unback": lambda b: {"card_id": b["card"]},
    "card_delete": lambda b: {"card_id": b["card"]},
    "board": lambda b: {},
}


def _snapshot(app) -> tuple:
    """Everything a board event could change, in every workshop."""
    with app.app_context():
        cards = sorted(
            (c.id, c.agenda_item_id, c.topic_id, c.text, c.version)
            for c in db.session.scalars(select(Card))
        )
        topics = sorted(
            (t.id, t.title, t.main_points, t.removed_at is None, t.version)
            for t in db.session.scalars(select(Topic))
        )
        backings = sorted((b.card_id, b.user_id) for b in db.session.scalars(select(CardBacking)))
        actions = sorted(
            (a.id, a.undone_at is None) for a in db.session.scalars(select(BoardAction))
        )
        sessions = sorted(
            (s.meeting_id, s.anonymous_cards, s.hidden_until_reveal, s.board_version)
            for s in db.session.scalars(select(WorkshopSession))
        )
        db.session.remove()
    return cards, topics, backings, actions, sessions


@pytest.fixture
def two_boards(app, coop, make_meeting, socket_for, make_user, make_org):
    """Two live sessions of one cooperative (A and B) and one of another organisation (C), each
    with a question, a card and two topics; sockets for every role and an outsider."""
    org, people = coop
    socks = {role: socket_for(person) for role, person in people.items()}
    stranger = make_user(name="Facilitadora de otra cooperativa")
    other_org = make_org("Cooperativa Surco", members={stranger: "facilitator"})
    socks["outsider"] = socket_for(stranger)

    def live_board(owner, runner: str, label: str) -> tuple:
        meeting = make_meeting(
            owner,
            kind="problematisation_workshop",
            items=[{"title": q, "kind": "problematisation_question"} for q in QUESTIONS],
        )
        ok(socks[runner].emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
        question = board_of(socks[runner], meeting)["questions"][0]["id"]
        card = ok(add(socks[runner], meeting, question, f"Tarjeta de {label}"))["card"]["id"]
        topics = [
            ok(emit(socks[runner], "topic_create", meeting, question_id=question, title=t))[
                "topic_id"
            ]
            for t in (f"Tema 1 de {label}", f"Tema 2 de {label}")
        ]
        ids = {"question": question, "card": card, "topic": topics[0], "other_topic": topics[1]}
        return meeting, ids

    return {
        "A": live_board(org, "facilitator", "A"),
        "B": live_board(org, "facilitator", "B"),
        "C": live_board(other_org, "outsider", "C"),
        "socks": socks,
    }


def _refused(answer: dict) -> str:
    assert answer["ok"] is False, answer
    assert answer["error"]["message"]
    return answer["error"]["code"]


@pytest.mark.parametrize("event", sorted(STAFF_EVENTS))
def test_a_member_cannot_group_and_nothing_changes(app, two_boards, event):
    meeting, ids = two_boards["A"]
    before = _snapshot(app)
    answer = emit(two_boards["socks"]["member"], event, meeting, **STAFF_EVENTS[event](ids))
    assert _refused(answer) == "forbidden"
    assert _snapshot(app) == before


@pytest.mark.parametrize("event", sorted({**STAFF_EVENTS, **MEMBER_EVENTS}))
def test_another_organisation_reaches_nothing_and_nothing_changes(app, two_boards, event):
    payloads = {**STAFF_EVENTS, **MEMBER_EVENTS}
    meeting, ids = two_boards["A"]
    outsider = two_boards["socks"]["outsider"]
    before = _snapshot(app)
    # With this board's ids, and with the ids of its own board sent to this one.
    assert _refused(emit(outsider, event, meeting, **payloads[event](ids))) == "not_found"
    assert _refused(emit(outsider, event, meeting, **payloads[event](two_boards["C"][1]))) in {
        "not_found"
    }
    assert _snapshot(app) == before


@pytest.mark.parametrize("source", ["B", "C"])
@pytest.mark.parametrize(
    "event",
    sorted(
        {
            e
            for e in {**STAFF_EVENTS, **MEMBER_EVENTS}
            if e not in {"board", "board_settings", "board_undo"}
        }
    ),
)
def test_ids_of_another_board_are_refused_here_and_nothing_changes(app, two_boards, event, source):
    """The facilitator (who may do everything on board A) sends board A's events with the card,
    topic and question ids of another session (B, same organisation) or organisation (C)."""
    payloads = {**STAFF_EVENTS, **MEMBER_EVENTS}
    meeting, _ids = two_boards["A"]
    foreign = two_boards[source][1]
    before = _snapshot(app)
    answer = emit(two_boards["socks"]["facilitator"], event, meeting, **payloads[event](foreign))
    assert _refused(answer) in {"unknown_card", "unknown_topic", "unknown_question"}
    assert _snapshot(app) == before


def test_mixing_this_boards_card_with_another_boards_topic_changes_nothing(app, two_boards):
    meeting, ids = two_boards["A"]
    fac = two_boards["socks"]["facilitator"]
    for source in ("B", "C"):
        foreign = two_boards[source][1]
        before = _snapshot(app)
        for event, payload in (
            ("card_move", {"card_id": ids["card"], "topic_id": foreign["topic"]}),
            ("card_move", {"card_id": ids["card"], "question_id": foreign["question"]}),
            ("topic_merge", {"topic_id": ids["topic"], "into_id": foreign["topic"]}),
            ("topic_merge", {"topic_id": foreign["topic"], "into_id": ids["topic"]}),
            (
                "topic_create",
                {"question_id": ids["question"], "title": "Mezcla", "card_ids": [foreign["card"]]},
            ),
        ):
            assert _refused(emit(fac, event, meeting, **payload)) in {
                "unknown_card",
                "unknown_topic",
                "unknown_question",
            }, (event, payload)
        assert _snapshot(app) == before


def test_once_the_session_is_over_no_board_event_changes_anything(app, two_boards):
    meeting, ids = two_boards["A"]
    socks = two_boards["socks"]
    ok(emit(socks["member"], "card_back", meeting, card_id=ids["card"]))
    ok(emit(socks["facilitator"], "meeting_end", meeting))
    before = _snapshot(app)
    for event in sorted({**STAFF_EVENTS, **MEMBER_EVENTS}):
        if event in {"board", "board_hints", "board_reveal"}:
            continue  # reading stays possible, and so does showing the room what was written
        sender = socks["member"] if event in MEMBER_EVENTS else socks["facilitator"]
        answer = emit(sender, event, meeting, **{**STAFF_EVENTS, **MEMBER_EVENTS}[event](ids))
        assert _refused(answer) in {"session_over", "meeting_not_live"}, event
    assert _snapshot(app) == before
