"""The workshop board against a real server process and real python-socketio clients: two
members' phones, the facilitator's laptop and the projector. Every change reaches every client
through `board_changes`; hidden cards reach nobody else before their reveal; an anonymous card's
author is in no message the others receive; a phone that comes back gets the whole board in its
join answer, and a card it sends again is not doubled."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from assembly.bench.workshop import BoardCopy
from assembly.extensions import db
from assembly.workshops.models import Card
from tests.live import LiveClient

pytestmark = pytest.mark.live

QUESTIONS = (
    "¿Por qué nos organizamos como cooperativa de trabajo?",
    "¿Cómo se toman las decisiones?",
)


class BoardClient(LiveClient):
    """A LiveClient that keeps its copy of the board from its join answer and every
    `board_changes`, and records every payload it receives: events, join answers and answers."""

    def __init__(self, *args, **kwargs):
        self.board = BoardCopy()
        self.received: list[tuple[str, object]] = []
        super().__init__(*args, **kwargs)

    def _on_join(self, ack):
        self.received.append(("join answer", ack))
        if ack.get("ok"):
            self.board.load(ack["board"])
        super()._on_join(ack)

    def _on_event(self, event, data=None):
        self.received.append((event, data))
        if event == "board_changes":
            self.board.apply(data)
        super()._on_event(event, data)

    def call(self, event: str, **payload) -> dict:
        ack = super().call(event, **payload)
        self.received.append((f"{event} answer", ack))
        return ack

    def sees(self, predicate, what: str, timeout: float = 10) -> None:
        self.wait_for(lambda _latest: predicate(self.board), timeout=timeout, what=what)


def ok(ack: dict) -> dict:
    assert ack.get("ok"), ack
    return ack


def cid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def workshop(make_user, make_org, make_meeting, live_server):
    """A live workshop at its first question: two members' phones, the facilitator, the
    projector, each a real client of a real server."""
    facilitator = make_user(name="Facilitadora Gómez", email="facilitadora@taller.example")
    ana = make_user(name="Zulema Quispe Arancibia", email="zulema.secreta@taller.example")
    beto = make_user(name="Beto Ramírez", email="beto@taller.example")
    org = make_org(members={facilitator: "facilitator", ana: "member", beto: "member"})
    meeting = make_meeting(
        org,
        kind="problematisation_workshop",
        items=[{"title": q, "kind": "problematisation_question"} for q in QUESTIONS],
    )
    clients: list[BoardClient] = []

    def connect(person=None, projector=False):
        client = BoardClient(
            live_server.url,
            None if projector else person,
            meeting_id=None if projector else meeting.id,
            projector_token=meeting.projector_token if projector else None,
        )
        clients.append(client)
        return client.connect()

    chair = connect(facilitator)
    ok(chair.call("meeting_start"))
    phones = SimpleNamespace(ana=connect(ana), beto=connect(beto))
    projector = connect(projector=True)
    question_ids = sorted(chair.board.questions)
    yield SimpleNamespace(
        meeting=meeting,
        people=SimpleNamespace(facilitator=facilitator, ana=ana, beto=beto),
        chair=chair,
        ana=phones.ana,
        beto=phones.beto,
        projector=projector,
        everyone=[chair, phones.ana, phones.beto, projector],
        question=question_ids[0],
        other_question=question_ids[1],
        connect=connect,
    )
    closing = [threading.Thread(target=c.close) for c in clients]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(10)


def cut(client: BoardClient) -> None:
    """The phone's network goes: the connection drops with no goodbye (it reconnects by itself
    unless its reconnection is off)."""
    client.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)


def everyone_sees(clients, predicate, what: str) -> None:
    for client in clients:
        client.sees(predicate, what)


def card_with(board: BoardCopy, text: str) -> dict | None:
    return next((c for c in board.cards.values() if c["text"] == text), None)


def add(client: BoardClient, w, text: str, **extra) -> dict:
    return ok(client.call("card_add", question_id=w.question, text=text, client_id=cid(), **extra))[
        "card"
    ]


def fresh_board(client: BoardClient, w) -> dict:
    """The whole board as the server gives it now (the projector: through a new join)."""
    if client.projector_token:
        answer = client.sio.call("join", {"projector_token": client.projector_token}, timeout=10)
        client.received.append(("join answer", answer))
        return ok(answer)["board"]
    return ok(client.call("board"))["board"]


def same_as_server(client: BoardClient, w) -> None:
    fresh = BoardCopy()
    fresh.load(fresh_board(client, w))
    assert client.board.picture() == fresh.picture()


def test_cards_backing_grouping_and_main_points_reach_every_client(workshop):
    w = workshop
    a1 = add(w.ana, w, "Decidimos todo en asamblea")
    b1 = add(w.beto, w, "El consejo decide lo urgente")
    b2 = add(w.beto, w, "Rotamos las tareas de la comisión")
    a2 = add(w.ana, w, "Falta capacitación en cooperativismo")
    for card in (a1, b1, b2, a2):
        everyone_sees(w.everyone, lambda b, c=card: c["id"] in b.cards, f"card {card['text']}")
    assert w.projector.board.cards[b1["id"]]["author"] == "Beto Ramírez"

    # Backing and withdrawing it.
    ok(w.beto.call("card_back", card_id=a1["id"]))
    everyone_sees(w.everyone, lambda b: b.cards[a1["id"]]["backers"] == 1, "a backing")
    ok(w.chair.call("card_back", card_id=a1["id"]))
    everyone_sees(w.everyone, lambda b: b.cards[a1["id"]]["backers"] == 2, "a second backing")
    ok(w.beto.call("card_unback", card_id=a1["id"]))
    everyone_sees(w.everyone, lambda b: b.cards[a1["id"]]["backers"] == 1, "a withdrawal")

    # Grouping: a topic with cards, renamed.
    t1 = ok(
        w.chair.call(
            "topic_create",
            question_id=w.question,
            title="Decisiones",
            card_ids=[a1["id"], b1["id"]],
        )
    )["topic_id"]
    everyone_sees(
        w.everyone,
        lambda b: (
            b.topics[t1]["title"] == "Decisiones"
            and b.cards[a1["id"]]["topic_id"] == b.cards[b1["id"]]["topic_id"] == t1
        ),
        "the new topic with its cards",
    )
    ok(w.chair.call("topic_rename", topic_id=t1, title="Cómo decidimos"))
    everyone_sees(w.everyone, lambda b: b.topics[t1]["title"] == "Cómo decidimos", "a renaming")

    # A second topic, a card moved into it, then merged into the first.
    t2 = ok(
        w.chair.call("topic_create", question_id=w.question, title="Tareas", card_ids=[b2["id"]])
    )["topic_id"]
    ok(w.chair.call("card_move", card_id=a2["id"], topic_id=t2))
    everyone_sees(w.everyone, lambda b: b.cards[a2["id"]]["topic_id"] == t2, "a move")
    ok(w.chair.call("main_points_save", topic_id=t2, text="- rotar **tareas**", base_version=0))
    everyone_sees(
        w.everyone,
        lambda b: "<strong>tareas</strong>" in b.topics[t2]["main_points_html"],
        "main points",
    )
    ok(w.chair.call("topic_merge", topic_id=t2, into_id=t1))
    everyone_sees(
        w.everyone,
        lambda b: (
            t2 not in b.topics
            and {c["topic_id"] for c in b.cards.values()} == {t1}
            and "rotar" in b.topics[t1]["main_points"]
        ),
        "a merge",
    )

    # A card split into a topic of its own; a card moved out of topics, to the other question.
    t3 = ok(w.chair.call("card_split", card_id=a2["id"]))["topic_id"]
    everyone_sees(
        w.everyone,
        lambda b: (
            b.cards[a2["id"]]["topic_id"] == t3
            and b.topics[t3]["title"] == "Falta capacitación en cooperativismo"
        ),
        "a split",
    )
    ok(w.chair.call("card_move", card_id=b1["id"], topic_id=None, question_id=w.other_question))
    everyone_sees(
        w.everyone,
        lambda b: (
            b.cards[b1["id"]]["topic_id"] is None
            and b.cards[b1["id"]]["question_id"] == w.other_question
        ),
        "a move to the other question",
    )

    # Undo, step by step: the move, then the split.
    assert ok(w.chair.call("board_undo"))["undone"] == "move"
    everyone_sees(
        w.everyone,
        lambda b: (
            b.cards[b1["id"]]["topic_id"] == t1 and b.cards[b1["id"]]["question_id"] == w.question
        ),
        "the move undone",
    )
    assert ok(w.chair.call("board_undo"))["undone"] == "create"
    everyone_sees(
        w.everyone,
        lambda b: t3 not in b.topics and b.cards[a2["id"]]["topic_id"] == t1,
        "the split undone",
    )
    # The merge undone brings the merged topic back, with its cards and main points.
    assert ok(w.chair.call("board_undo"))["undone"] == "merge"
    everyone_sees(
        w.everyone,
        lambda b: (
            b.topics[t2]["title"] == "Tareas"
            and b.cards[b2["id"]]["topic_id"] == b.cards[a2["id"]]["topic_id"] == t2
            and "rotar" not in b.topics[t1]["main_points"]
        ),
        "the merge undone",
    )
    for client in w.everyone:
        same_as_server(client, w)


def _says(payloads, *needles) -> list[str]:
    """The payloads (as JSON) that contain any of the needles."""
    found = []
    for name, payload in payloads:
        text = json.dumps(payload, ensure_ascii=False)
        if any(needle in text for needle in needles):
            found.append(f"{name}: {text[:300]}")
    return found


def _authors(payload, user_id: int, found: list) -> None:
    """Every value under a key naming a person (author, user, by...) that is `user_id`."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if any(word in key for word in ("author", "user", "_by", "person")) and (
                value == user_id or (isinstance(value, list) and user_id in value)
            ):
                found.append((key, value))
            _authors(value, user_id, found)
    elif isinstance(payload, list):
        for value in payload:
            _authors(value, user_id, found)


def test_hidden_cards_reach_no_other_member_before_their_reveal(workshop):
    w = workshop
    ok(w.chair.call("board_settings", anonymous_cards=False, hidden_until_reveal=True))
    everyone_sees(w.everyone, lambda b: b.settings["hidden_until_reveal"], "the setting")
    secret = add(w.ana, w, "Nadie lee el estatuto")
    # The facilitator sees it at once; the others only learn that one card waits.
    w.chair.sees(lambda b: secret["id"] in b.cards, "the hidden card, for the facilitator")
    for client in (w.beto, w.projector):
        client.sees(lambda b: b.questions[w.question]["hidden_cards"] == 1, "one card waiting")
        assert secret["id"] not in client.board.cards
    own = add(w.beto, w, "Las asambleas son muy largas")
    w.chair.sees(lambda b: own["id"] in b.cards, "Beto's hidden card, for the facilitator")
    w.projector.sees(lambda b: b.questions[w.question]["hidden_cards"] == 2, "two cards waiting")
    assert not _says(w.beto.received, "Nadie lee el estatuto")
    assert not _says(w.ana.received, "Las asambleas son muy largas")
    assert not _says(w.projector.received, "Nadie lee", "Las asambleas son")
    # Even asking for the whole board shows other members' hidden cards to nobody.
    board = fresh_board(w.beto, w)
    assert [c["id"] for c in board["cards"]] == [own["id"]] and board["mine"] == [own["id"]]

    ok(w.chair.call("board_reveal", question_id=w.question))
    everyone_sees(
        w.everyone,
        lambda b: (
            {secret["id"], own["id"]} <= set(b.cards) and not b.questions[w.question]["hidden"]
        ),
        "the revealed cards",
    )
    for client in w.everyone:
        same_as_server(client, w)


def test_an_anonymous_cards_author_is_in_no_payload_the_others_receive(workshop, app):
    w = workshop
    ok(w.chair.call("board_settings", anonymous_cards=True, hidden_until_reveal=False))
    everyone_sees(w.everyone, lambda b: b.settings["anonymous_cards"], "the setting")
    first = add(w.ana, w, "Los retiros no alcanzan", anonymous=True)
    second = add(w.ana, w, "Nadie quiere ir al consejo", anonymous=True)
    signed = add(w.beto, w, "Hay que votar menos", anonymous=False)
    assert first["mine"] is True and first["author"] is None
    everyone_sees(w.everyone, lambda b: {first["id"], second["id"]} <= set(b.cards), "the cards")
    # The cards go through everything a board does: backing, topics, moves, merges, undo.
    ok(w.beto.call("card_back", card_id=first["id"]))
    t1 = ok(
        w.chair.call("topic_create", question_id=w.question, title="Plata", card_ids=[first["id"]])
    )["topic_id"]
    t2 = ok(w.chair.call("card_split", card_id=second["id"]))["topic_id"]
    ok(w.chair.call("card_move", card_id=signed["id"], topic_id=t2))
    ok(w.chair.call("topic_merge", topic_id=t2, into_id=t1))
    ok(w.chair.call("board_undo"))
    everyone_sees(w.everyone, lambda b: b.cards[second["id"]]["topic_id"] == t2, "the merge undone")
    # And the others ask for the whole board, and come back (a new join answer).
    fresh_board(w.beto, w)
    fresh_board(w.projector, w)
    cut(w.beto)  # it reconnects by itself and joins again
    w.beto.wait_for(lambda _l: w.beto.counts.get("join", 0) >= 2, what="Beto's rejoin")
    late = w.connect(projector=True)  # a projector opened now
    assert late.board.cards[first["id"]]["author"] is None

    ana = w.people.ana
    for client in (w.beto, w.projector, late):
        assert client.received, "nothing was recorded"
        leaks = _says(client.received, ana.name, ana.email, "Zulema", "zulema")
        assert not leaks, leaks
        found: list = []
        for _name, payload in client.received:
            _authors(payload, ana.id, found)
        assert not found, found
        for card_id in (first["id"], second["id"]):
            assert client.board.cards[card_id]["author"] is None
    # The signed card still carries its author's name; the anonymous ones' author is known to
    # the server (and to herself: `mine`), to nobody else.
    assert w.projector.board.cards[signed["id"]]["author"] == "Beto Ramírez"
    assert {first["id"], second["id"]} <= set(ok(w.ana.call("board"))["board"]["mine"])
    with app.app_context():
        assert db.session.get(Card, first["id"]).author_id == ana.id


def test_a_phone_that_comes_back_gets_the_whole_board_and_a_resent_card_is_not_doubled(
    workshop, app
):
    w = workshop
    kept = add(w.ana, w, "Antes de cortarse")
    # Beto's phone loses its network; meanwhile the board changes.
    w.beto.sio.reconnection = False
    cut(w.beto)
    w.beto.wait_for(
        lambda _l: not w.beto.sio.connected and w.beto.sio.eio.state == "disconnected",
        what="Beto offline",
    )
    missed = add(w.ana, w, "Mientras Beto no estaba")
    topic = ok(
        w.chair.call(
            "topic_create", question_id=w.question, title="Durante el corte", card_ids=[kept["id"]]
        )
    )["topic_id"]
    everyone_sees([w.chair, w.projector], lambda b: topic in b.topics, "the topic")
    assert missed["id"] not in w.beto.board.cards
    w.beto.sio.reconnection = True
    w.beto.joined.clear()
    w.beto.connect()  # joins again: the answer is the whole board
    join = w.beto.latest["join"]
    assert {c["id"] for c in join["board"]["cards"]} == {kept["id"], missed["id"]}
    assert [t["title"] for t in join["board"]["topics"]] == ["Durante el corte"]
    assert w.beto.board.cards[kept["id"]]["topic_id"] == topic
    same_as_server(w.beto, w)

    # A card whose answer was lost in a cut is sent again with the same client id: one card.
    client_id = cid()
    payload = {"question_id": w.question, "text": "Se cortó al mandarla", "client_id": client_id}
    w.beto.sio.emit("card_add", {"meeting_id": w.meeting.id, **payload})
    cut(w.beto)  # before the answer can come
    w.beto.wait_for(lambda _l: w.beto.counts.get("join", 0) >= 3, what="Beto's rejoin")
    again = ok(w.beto.call("card_add", **payload))
    ok_twice = ok(w.beto.call("card_add", **payload))
    assert ok_twice["resent"] is True and ok_twice["card"]["id"] == again["card"]["id"]
    everyone_sees(
        w.everyone, lambda b: again["card"]["id"] in b.cards, "the card sent after the cut"
    )
    for client in w.everyone:
        assert [c for c in client.board.cards.values() if c["text"] == payload["text"]] == [
            client.board.cards[again["card"]["id"]]
        ]
        same_as_server(client, w)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Card.id)).where(Card.client_id == client_id)) == 1
        )
