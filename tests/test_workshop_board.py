"""The board of a problematisation workshop over in-process sockets: cards, backing, hidden cards
and their reveal, anonymity, topics (create, rename, merge, move, split, undo) and main points,
with every refusal."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from assembly.extensions import db
from assembly.workshops.models import Card, Topic
from tests.test_live_room import ok, refused

QUESTIONS = (
    "¿Por qué nos organizamos como cooperativa de trabajo?",
    "¿Cómo se toman las decisiones?",
)


def cid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def workshop(coop, make_meeting, socket_for):
    """A live workshop at its first question, everyone joined: (meeting, people, sockets, ids)."""
    org, people = coop
    meeting = make_meeting(
        org,
        kind="problematisation_workshop",
        items=[{"title": q, "kind": "problematisation_question"} for q in QUESTIONS],
    )
    socks = {role: socket_for(person) for role, person in people.items()}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(socks["facilitator"].emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    board = ok(socks["member"].emit("board", {"meeting_id": meeting.id}, callback=True))["board"]
    question_ids = [q["id"] for q in board["questions"]]
    return meeting, people, socks, question_ids


def emit(sock, event, meeting, **payload):
    return sock.emit(event, {"meeting_id": meeting.id, **payload}, callback=True)


def add(sock, meeting, question_id, text, **extra):
    return emit(
        sock, "card_add", meeting, question_id=question_id, text=text, client_id=cid(), **extra
    )


def deltas(sock) -> list[dict]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == "board_changes"]


def board_of(sock, meeting) -> dict:
    return ok(emit(sock, "board", meeting))["board"]


def test_cards_reach_every_screen_and_a_resend_is_the_same_card(workshop):
    meeting, people, socks, (first, _second) = workshop
    for sock in socks.values():
        sock.get_received()
    client_id = cid()
    ack = ok(
        emit(
            socks["member"],
            "card_add",
            meeting,
            question_id=first,
            text="  Decidimos  en asamblea ",
            client_id=client_id,
        )
    )
    assert ack["card"]["text"] == "Decidimos en asamblea" and ack["card"]["mine"] is True
    assert ack["resent"] is False
    for role in ("admin", "facilitator", "secretary"):
        changes = deltas(socks[role])
        assert [c["text"] for d in changes for c in d["cards"]] == ["Decidimos en asamblea"]
        assert changes[-1]["cards"][0]["author"] == people["member"].name
    again = ok(
        emit(
            socks["member"],
            "card_add",
            meeting,
            question_id=first,
            text="Decidimos en asamblea",
            client_id=client_id,
        )
    )
    assert again["resent"] is True and again["card"]["id"] == ack["card"]["id"]
    assert len(board_of(socks["admin"], meeting)["cards"]) == 1


def test_bad_cards_are_refused_and_change_nothing(app, workshop):
    meeting, _people, socks, (first, second) = workshop
    member = socks["member"]
    refused(add(member, meeting, first, "   "), "bad_card")
    refused(add(member, meeting, first, "x" * 501), "bad_card")
    refused(add(member, meeting, first, 42), "bad_card")
    refused(add(member, meeting, second, "Otra pregunta"), "question_not_current")
    refused(add(member, meeting, first, "Anónima", anonymous=True), "anonymous_not_allowed")
    refused(add(member, meeting, first, "Sí", anonymous="yes"), "bad_payload")
    refused(add(member, meeting, 999_999, "¿?"), "unknown_question")
    refused(emit(member, "card_add", meeting, question_id=first, text="sin id"), "bad_payload")
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id))) == 0
    ok(add(member, meeting, first, "x" * 500))


def test_a_member_who_floods_is_told_to_wait(app, workshop):
    meeting, _people, socks, (first, _second) = workshop
    for n in range(6):
        ok(add(socks["member"], meeting, first, f"Idea {n}"))
    flood = refused(add(socks["member"], meeting, first, "Una más"), "too_many_cards")
    assert "6 tarjetas en el último minuto" in flood["message"]
    ok(add(socks["secretary"], meeting, first, "Otra persona sí puede"))


def test_backing_once_each_and_withdrawing_it(workshop):
    meeting, _people, socks, (first, _second) = workshop
    card = ok(add(socks["member"], meeting, first, "Rotar la coordinación"))["card"]
    for role in ("admin", "secretary"):
        ok(emit(socks[role], "card_back", meeting, card_id=card["id"]))
    refused(emit(socks["admin"], "card_back", meeting, card_id=card["id"]), "already_backed")
    socks["facilitator"].get_received()
    ok(emit(socks["secretary"], "card_unback", meeting, card_id=card["id"]))
    assert deltas(socks["facilitator"])[-1]["cards"][0]["backers"] == 1
    refused(emit(socks["secretary"], "card_unback", meeting, card_id=card["id"]), "not_backed")
    assert board_of(socks["admin"], meeting)["backed"] == [card["id"]]


def test_an_anonymous_cards_author_reaches_no_other_screen(app, workshop, socket_for, make_user):
    from assembly.accounts.models import User
    from assembly.meetings.models import Meeting
    from assembly.organisations.models import Organisation, Role
    from assembly.organisations.service import add_member

    meeting, people, socks, (first, _second) = workshop
    neighbour = make_user(name="Otra socia")
    with app.app_context():
        found = db.session.get(Meeting, meeting.id)
        organisation = db.session.get(Organisation, found.organisation_id)
        add_member(organisation, db.session.get(User, neighbour.id), Role.MEMBER, actor=None)
        db.session.commit()
        db.session.remove()
    socks["neighbour"] = socket_for(neighbour)
    ok(socks["neighbour"].emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(
        emit(
            socks["facilitator"],
            "board_settings",
            meeting,
            anonymous_cards=True,
            hidden_until_reveal=False,
        )
    )
    projector = socket_for()
    ok(projector.emit("join", {"projector_token": meeting.projector_token}, callback=True))
    for sock in (*socks.values(), projector):
        sock.get_received()
    ack = ok(add(socks["member"], meeting, first, "Nadie escucha a las nuevas", anonymous=True))
    name = people["member"].name
    for sock in (socks["admin"], socks["facilitator"], socks["neighbour"], projector):
        changes = deltas(sock)
        assert [c["text"] for d in changes for c in d["cards"]] == ["Nadie escucha a las nuevas"]
        for delta in changes:
            assert name not in repr(delta)
            assert all(
                c["author"] is None and set(c) == set(ack["card"]) - {"mine"}
                for c in delta["cards"]
            )
    for role in ("admin", "neighbour"):
        shown = board_of(socks[role], meeting)
        assert name not in repr(shown) and shown["mine"] == []
    own = board_of(socks["member"], meeting)
    assert own["mine"] == [ack["card"]["id"]]
    # The server still knows: the author takes it back, and others cannot.
    refused(
        emit(socks["neighbour"], "card_delete", meeting, card_id=ack["card"]["id"]),
        "not_your_card",
    )
    ok(emit(socks["member"], "card_delete", meeting, card_id=ack["card"]["id"]))


def test_hidden_cards_wait_for_the_reveal(workshop, socket_for):
    meeting, _people, socks, (first, _second) = workshop
    ok(
        emit(
            socks["facilitator"],
            "board_settings",
            meeting,
            anonymous_cards=False,
            hidden_until_reveal=True,
        )
    )
    projector = socket_for()
    ok(projector.emit("join", {"projector_token": meeting.projector_token}, callback=True))
    for sock in (*socks.values(), projector):
        sock.get_received()
    # The admin writes (an admin also groups the board, and sees every card as it comes);
    # the member and the projector see only how many are waiting.
    mine = ok(add(socks["admin"], meeting, first, "Primero escribo, después leo"))["card"]
    for sock in (socks["member"], projector):
        changes = deltas(sock)
        assert all(d["cards"] == [] for d in changes)
        assert changes[-1]["questions"][0]["hidden_cards"] == 1
    member_view = board_of(socks["member"], meeting)
    assert member_view["cards"] == [] and member_view["questions"][0]["hidden_cards"] == 1
    assert [c["id"] for c in board_of(socks["admin"], meeting)["cards"]] == [mine["id"]]
    staff = deltas(socks["secretary"])  # those who group the board see it coming
    assert any(c["text"] == "Primero escribo, después leo" for d in staff for c in d["cards"])
    refused(emit(socks["member"], "board_reveal", meeting, question_id=first), "forbidden")
    ok(emit(socks["facilitator"], "board_reveal", meeting, question_id=first))
    revealed = deltas(socks["member"])[-1]
    assert [c["text"] for c in revealed["cards"]] == ["Primero escribo, después leo"]
    assert revealed["questions"][0]["hidden"] is False


def test_grouping_merging_moving_splitting_and_undoing_twenty_steps(app, workshop):
    meeting, _people, socks, (first, second) = workshop
    fac, sec = socks["facilitator"], socks["secretary"]
    cards = [
        ok(add(socks[role], meeting, first, text))["card"]["id"]
        for role, text in (
            ("member", "Tomamos las decisiones en la asamblea"),
            ("admin", "Las decisiones se toman en asamblea"),
            ("secretary", "Falta compromiso de algunas socias"),
            ("facilitator", "Hay socias con poco compromiso"),
        )
    ]
    hints = ok(emit(fac, "board_hints", meeting, question_id=first))["hints"]
    assert hints[str(cards[0])] == [cards[1]] and hints[str(cards[2])] == [cards[3]]

    with app.app_context():
        before = {c.id: (c.topic_id, c.agenda_item_id) for c in db.session.scalars(select(Card))}
    decisions = ok(
        emit(
            fac, "topic_create", meeting, question_id=first, title="Decisiones", card_ids=cards[:2]
        )
    )["topic_id"]
    commitment = ok(emit(sec, "card_split", meeting, card_id=cards[2]))["topic_id"]
    ok(emit(fac, "card_move", meeting, card_id=cards[3], topic_id=commitment))
    ok(emit(sec, "topic_rename", meeting, topic_id=commitment, title="Compromiso desparejo"))
    ok(
        emit(
            sec,
            "main_points_save",
            meeting,
            topic_id=commitment,
            base_version=0,
            text="- Hay quienes **no llegan**<script>alert(1)</script>",
        )
    )
    ok(emit(fac, "topic_merge", meeting, topic_id=decisions, into_id=commitment))
    ok(emit(fac, "card_move", meeting, card_id=cards[0], question_id=second))
    board = board_of(socks["member"], meeting)
    topic = next(t for t in board["topics"] if t["id"] == commitment)
    assert topic["title"] == "Compromiso desparejo" and "<script>" not in topic["main_points_html"]
    assert "<strong>no llegan</strong>" in topic["main_points_html"]
    assert [t["id"] for t in board["topics"]] == [commitment]  # merged away
    moved = {c["id"]: c for c in board["cards"]}
    assert moved[cards[0]]["question_id"] == second and moved[cards[0]]["topic_id"] is None
    assert {moved[c]["topic_id"] for c in cards[1:]} == {commitment}

    # More steps than a meeting makes in a row, then undo every one of them.
    for n in range(15):
        ok(emit(fac, "topic_rename", meeting, topic_id=commitment, title=f"Compromiso {n}"))
    while True:
        answer = emit(fac, "board_undo", meeting)
        if not answer["ok"]:
            assert answer["error"]["code"] == "nothing_to_undo"
            break
    with app.app_context():
        after = {c.id: (c.topic_id, c.agenda_item_id) for c in db.session.scalars(select(Card))}
        live_topics = db.session.scalars(select(Topic).where(Topic.removed_at.is_(None))).all()
    assert after == before and live_topics == []


def test_grouping_and_main_points_need_the_right_and_stay_on_their_board(
    app, workshop, make_user, make_org, make_meeting, socket_for
):
    meeting, _people, socks, (first, second) = workshop
    card = ok(add(socks["member"], meeting, first, "Mi tarjeta"))["card"]["id"]
    member = socks["member"]
    refused(emit(member, "topic_create", meeting, question_id=first, title="Mío"), "forbidden")
    refused(emit(member, "card_move", meeting, card_id=card, question_id=second), "forbidden")
    refused(emit(member, "board_undo", meeting), "forbidden")
    topic = ok(
        emit(socks["facilitator"], "topic_create", meeting, question_id=first, title="Tema")
    )["topic_id"]
    refused(
        emit(member, "main_points_save", meeting, topic_id=topic, base_version=0, text="Intento"),
        "forbidden",
    )
    ok(
        emit(
            socks["secretary"],
            "main_points_save",
            meeting,
            topic_id=topic,
            base_version=0,
            text="Primera versión",
        )
    )
    refused(
        emit(
            socks["facilitator"],
            "main_points_save",
            meeting,
            topic_id=topic,
            base_version=0,
            text="Pisada",
        ),
        "edited_meanwhile",
    )
    refused(
        emit(socks["facilitator"], "topic_create", meeting, question_id=first, title=" "),
        "bad_title",
    )
    refused(
        emit(socks["facilitator"], "topic_merge", meeting, topic_id=topic, into_id=topic),
        "same_topic",
    )

    # Another organisation's workshop: its people reach nothing here, nor we there.
    stranger = make_user(name="De otra cooperativa")
    other_org = make_org("Cooperativa Surco", members={stranger: "facilitator"})
    other = make_meeting(
        other_org,
        kind="problematisation_workshop",
        items=[{"title": "¿Otra?", "kind": "problematisation_question"}],
    )
    outsider = socket_for(stranger)
    refused(emit(outsider, "board", meeting), "not_found")
    refused(emit(outsider, "card_move", meeting, card_id=card, question_id=first), "not_found")
    ok(outsider.emit("meeting_start", {"meeting_id": other.id}, callback=True))
    refused(emit(outsider, "card_move", other, card_id=card, topic_id=None), "unknown_card")

    # Once the session is over, the board is closed.
    ok(emit(socks["facilitator"], "meeting_end", meeting))
    refused(add(member, meeting, first, "Tarde"), "session_over")
    refused(
        emit(socks["facilitator"], "topic_rename", meeting, topic_id=topic, title="Tarde"),
        "session_over",
    )


def test_board_changes_say_how_many_steps_can_be_undone(workshop):
    meeting, _people, socks, (first, _second) = workshop
    card = ok(add(socks["member"], meeting, first, "Decidimos en asamblea"))["card"]
    assert deltas(socks["facilitator"])[-1]["undo"] == 0
    ok(emit(socks["facilitator"], "topic_create", meeting, question_id=first, title="Decisiones"))
    ok(emit(socks["facilitator"], "card_split", meeting, card_id=card["id"]))
    assert [d["undo"] for d in deltas(socks["member"])][-2:] == [1, 2]
    ok(emit(socks["facilitator"], "board_undo", meeting))
    assert deltas(socks["facilitator"])[-1]["undo"] == 1


def test_changing_the_settings_tells_every_screen_which_questions_hide_their_cards(workshop):
    meeting, _people, socks, (first, second) = workshop
    fac, member = socks["facilitator"], socks["member"]

    def hide(value: bool):
        payload = {"anonymous_cards": False, "hidden_until_reveal": value}
        ok(emit(fac, "board_settings", meeting, **payload))

    hide(True)
    ok(add(socks["admin"], meeting, first, "Escrita mientras se ocultan"))
    member.get_received()
    hide(False)
    shown = deltas(member)[-1]
    assert {q["id"]: q["hidden"] for q in shown["questions"]} == {first: False, second: False}
    # The card that was hidden reaches the member's screen with the change.
    assert [c["text"] for c in shown["cards"]] == ["Escrita mientras se ocultan"]
    hide(True)
    hidden = deltas(member)[-1]
    assert {q["id"]: q["hidden"] for q in hidden["questions"]} == {first: True, second: True}
    assert hidden["cards"] == [] and hidden["settings"]["hidden_until_reveal"] is True


def test_each_delta_lists_the_versions_it_covers_without_gaps(workshop):
    meeting, _people, socks, (first, _second) = workshop
    start = board_of(socks["member"], meeting)["version"]
    socks["member"].get_received()
    ok(add(socks["admin"], meeting, first, "Una"))
    ok(add(socks["secretary"], meeting, first, "Otra"))
    refused(add(socks["secretary"], meeting, first, "   "), "bad_card")  # no version spent
    ok(emit(socks["facilitator"], "topic_create", meeting, question_id=first, title="Tema"))
    covered = [v for d in deltas(socks["member"]) for v in d["versions"]]
    assert covered == [start + 1, start + 2, start + 3]
    assert all(d["version"] == max(d["versions"]) for d in deltas(socks["facilitator"]))
