"""The server keeps answering under refused and racing ballots, and leaks no database connection.

Against a real server process and real clients, on SQLite and on PostgreSQL (DATABASE_URL): on
PostgreSQL the test also asks the database whether any session of ours was left idle in a
transaction, which is how a leaked connection shows.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.live import LiveClient

pytestmark = pytest.mark.live


def _idle_in_transaction(database_url: str) -> int:
    if not database_url.startswith("postgresql"):
        return 0
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
    finally:
        engine.dispose()


def _settled(database_url: str, timeout: float = 5.0) -> int:
    """Idle-in-transaction sessions once the server had a moment to finish what it does."""
    deadline = time.monotonic() + timeout
    while True:
        count = _idle_in_transaction(database_url)
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def _burst(client: LiveClient, payloads: list[dict], timeout: float = 20.0) -> list[dict | None]:
    """Emit every payload at once (no waiting in between); collect each answer."""
    answers: list[dict | None] = [None] * len(payloads)
    done = threading.Semaphore(0)

    def answer(i):
        def callback(ack):
            answers[i] = ack
            done.release()

        return callback

    for i, payload in enumerate(payloads):
        client.sio.emit("vote", payload, callback=answer(i))
    deadline = time.monotonic() + timeout
    for _ in payloads:
        if not done.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    return answers


@pytest.fixture
def voting_meeting(make_user, make_org, make_meeting, make_poll, live_client):
    """A live meeting with a facilitator and forty members present, and a closed poll."""
    facilitator = make_user(name="Facilitadora")
    members = [make_user(name=f"Socia {n}") for n in range(40)]
    org = make_org(members={facilitator: "facilitator", **{m: "member" for m in members}})
    meeting = make_meeting(org)
    chair = live_client(facilitator, meeting)
    assert chair.call("meeting_start")["ok"]
    phones = [live_client(m, meeting) for m in members]
    for phone in phones:
        assert phone.call("check_in")["ok"]
    closed = make_poll(meeting, title="Cerrada")
    assert chair.call("poll_open", poll_id=closed)["ok"]
    assert chair.call("poll_close", poll_id=closed)["ok"]
    return meeting, chair, phones, closed


def test_a_hundred_refused_ballots_are_all_answered_and_leak_nothing(
    voting_meeting, live_server, database_url
):
    _meeting, _chair, phones, closed = voting_meeting
    payloads = []
    for n in range(100):
        poll_id = closed if n % 2 else 2_000_000 + n  # a closed poll, or one that does not exist
        payloads.append({"poll_id": poll_id, "choice": {"vote": "yes"}, "client_id": f"r{n:07d}"})
    answers = _burst(phones[0], payloads)
    assert None not in answers, f"{answers.count(None)} of 100 refused ballots got no answer"
    assert all(a["ok"] is False for a in answers)
    codes = {a["error"]["code"] for a in answers}
    assert codes <= {"poll_closed", "not_found"}, codes
    assert _settled(database_url) == 0
    # The server still answers pages and events.
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200
    assert phones[1].call("present_people")["ok"]


def test_every_phone_resending_to_a_closed_poll_after_a_restart_is_answered(
    voting_meeting, live_server, database_url
):
    """After a restart phones resend what was not acknowledged, all at once, more than the
    database pool holds: every one is answered and the server stays up."""
    _meeting, _chair, phones, closed = voting_meeting
    answers: list = []
    threads = []
    for phone in phones:
        payloads = [
            {"poll_id": closed, "choice": {"vote": "no"}, "client_id": uuid.uuid4().hex}
            for _ in range(5)
        ]
        thread = threading.Thread(target=lambda p=phone, q=payloads: answers.extend(_burst(p, q)))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 5 * len(phones)
    assert None not in answers
    assert {a["error"]["code"] for a in answers} == {"poll_closed"}
    assert _settled(database_url) == 0
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200


def test_a_close_racing_a_burst_answers_every_ballot(
    voting_meeting, make_poll, live_server, database_url
):
    meeting, chair, phones, _closed = voting_meeting
    poll_id = make_poll(meeting, title="Carrera")
    assert chair.call("poll_open", poll_id=poll_id)["ok"]
    answers: list = [None] * len(phones) * 3
    start = threading.Event()

    def cast(i, phone):
        start.wait()
        for k in range(3):  # a ballot, and two resends of it (as a phone after a reconnection)
            answers[i * 3 + k] = phone.sio.call(
                "vote",
                {"poll_id": poll_id, "choice": {"vote": "yes"}, "client_id": f"race{i:06d}"},
                timeout=20,
            )

    threads = [threading.Thread(target=cast, args=(i, p)) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    start.set()
    close = chair.sio.call("poll_close", {"poll_id": poll_id}, timeout=20)
    for thread in threads:
        thread.join(30)
    assert None not in answers
    assert close["ok"]
    stored = {i for i in range(len(phones)) if any(a["ok"] for a in answers[i * 3 : i * 3 + 3])}
    assert close["result"]["counts"]["yes"] == len(stored)
    for a in answers:
        assert a["ok"] or a["error"]["code"] == "poll_closed"
    assert _settled(database_url) == 0
    assert requests.get(live_server.url + "/healthz", timeout=5).status_code == 200


def test_serve_with_the_demo_leaves_no_session_idle_in_a_transaction(
    database_url, _schema, make_app
):
    from tests.conftest import empty_all_tables
    from tests.live import ServerProcess

    server = ServerProcess(database_url, args=("--demo",))
    try:
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        time.sleep(0.5)
        assert _settled(database_url, timeout=2) == 0
    finally:
        server.stop()
        empty_all_tables(make_app())


def test_database_options_in_the_url_are_kept_beside_the_timeouts():
    """A search_path (or any option) given in DATABASE_URL survives the pool's own options."""
    from assembly.config import engine_options

    options = engine_options(
        "postgresql+psycopg://u@h/db?options=-csearch_path%3Dbench_1", environ={}
    )["connect_args"]["options"]
    assert options.startswith("-csearch_path=bench_1 ")
    assert "statement_timeout=30000" in options and "idle_in_transaction" in options
    assert engine_options("sqlite:///x.db") == {}
