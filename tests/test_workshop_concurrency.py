"""Board changes racing each other: a member backing a card while the facilitator moves it,
cards added at once to a board that has no settings row yet, a card sent twice at the same
moment. On PostgreSQL each change takes row locks (the card, the board's version): taken in
different orders they deadlock and one change fails. Every change must succeed."""

from __future__ import annotations

import threading
import uuid

import pytest

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.workshops import service
from assembly.workshops.models import Card, CardBacking, Topic

ROUNDS = 24  # even: each member ends as it began, not backing


@pytest.fixture
def board(app, make_user, make_org, make_meeting):
    facilitator = make_user(name="Facilitadora")
    members = [make_user(name=f"Socia {n}") for n in range(4)]
    org = make_org(members={facilitator: "facilitator", **{m: "member" for m in members}})
    meeting = make_meeting(
        org,
        kind="problematisation_workshop",
        status="live",
        items=[{"title": "¿Cómo decidimos?", "kind": "problematisation_question"}],
    )
    with app.app_context():
        row = db.session.get(Meeting, meeting.id)
        row.current_item_id = service.questions(row)[0].id
        db.session.commit()
    return meeting, facilitator, members


def _race(app, jobs) -> list[BaseException]:
    """Run each job (a function of no arguments, in its own app context) in its own thread,
    all at once; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            start.wait()
            try:
                job()
            except BaseException as error:  # reported by the test
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_cards_added_at_once_to_a_new_board_are_all_stored(app, board):
    meeting, _facilitator, members = board

    def add(member):
        def job():
            row = db.session.get(Meeting, meeting.id)
            question = service.questions(row)[0]
            author = db.session.get(User, member.id)
            service.add_card(row, author, question, "Idea", client_id=uuid.uuid4().hex)
            db.session.commit()

        return job

    errors = _race(app, [add(m) for m in members])
    assert not errors, errors
    with app.app_context():
        assert db.session.query(Card).count() == len(members)


def test_a_card_sent_twice_at_the_same_moment_is_stored_once(app, board):
    """A double tap on a slow network: both sends answered, one card."""
    meeting, _facilitator, members = board
    client_id = uuid.uuid4().hex
    cards: list[int] = []

    def send():
        row = db.session.get(Meeting, meeting.id)
        question = service.questions(row)[0]
        author = db.session.get(User, members[0].id)
        card, _new = service.add_card(row, author, question, "Idea", client_id=client_id)
        db.session.commit()
        cards.append(card.id)

    errors = _race(app, [send, send, send])
    assert not errors, errors
    assert len(cards) == 3 and len(set(cards)) == 1
    with app.app_context():
        assert db.session.query(Card).count() == 1


def test_backing_a_card_while_it_is_moved_never_fails(app, board):
    meeting, facilitator, members = board
    with app.app_context():
        row = db.session.get(Meeting, meeting.id)
        question = service.questions(row)[0]
        card, _new = service.add_card(
            row, db.session.get(User, members[0].id), question, "Idea", client_id="c" * 10
        )
        topics = [
            service.create_topic(row, db.session.get(User, facilitator.id), question, f"T{n}")
            for n in range(2)
        ]
        db.session.commit()
        card_id, topic_ids = card.id, [t.id for t in topics]

    def backing(member):
        def job():
            for n in range(ROUNDS):
                row = db.session.get(Meeting, meeting.id)
                card = service.card_in(row, card_id)
                user = db.session.get(User, member.id)
                if n % 2:
                    service.unback(row, card, user)
                else:
                    service.back(row, card, user)
                db.session.commit()

        return job

    def moving():
        for n in range(ROUNDS):
            row = db.session.get(Meeting, meeting.id)
            card = service.card_in(row, card_id)
            topic = db.session.get(Topic, topic_ids[n % 2])
            question = db.session.get(type(service.questions(row)[0]), card.agenda_item_id)
            actor = db.session.get(User, facilitator.id)
            service.move_card(row, actor, card, topic=topic, question=question)
            db.session.commit()

    errors = _race(app, [moving, *(backing(m) for m in members[1:])])
    assert not errors, [repr(e)[:300] for e in errors]
    with app.app_context():
        assert db.session.query(CardBacking).count() == 0  # each backed, then withdrew
