"""The live room against a real server process (gevent) and real network clients."""

import itertools
import socket
import threading
import time
import uuid

import pytest

from tests.live import ServerProcess

pytestmark = pytest.mark.live


@pytest.fixture
def meeting_room(coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org, items=("Apertura", "Retiros 2027", "Cierre"), starts_in_minutes=-7)
    return meeting, people


def live(state):
    return state["state"]["meeting"]["status"] == "live"


def test_state_on_join_and_after_a_forced_reconnect(meeting_room, live_client):
    meeting, people = meeting_room
    facilitator = live_client(people["facilitator"], meeting)
    member = live_client(people["member"], meeting)
    assert member.latest["state"]["meeting"]["status"] == "convened"
    assert member.latest["you"]["present"] is False

    assert facilitator.call("meeting_start")["ok"]
    member.wait_for(live, what="the meeting to go live")

    # The phone loses its connection; meanwhile the room moves on.
    joins = member.counts["join"]
    # The network drops (no goodbye, no close handshake); the client did not ask to leave.
    member.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
    second_item = member.latest["state"]["agenda"][1]["id"]
    assert facilitator.call("item_next")["ok"]
    assert facilitator.call("timer", action="pause")["ok"]
    # Reconnected automatically and back in step from the join answer alone.
    member.wait_for(
        lambda s: member.counts["join"] > joins, timeout=30, what="the automatic re-join"
    )
    member.wait_for(
        lambda s: (
            s["state"]["current_item_id"] == second_item
            and s["state"]["agenda"][1]["running_since"] is None
        ),
        what="the new item, paused",
    )


def test_check_in_with_punctuality_reaches_the_other_screens(meeting_room, live_client):
    meeting, people = meeting_room
    facilitator = live_client(people["facilitator"], meeting)
    projector = live_client(meeting=meeting, projector=True)
    member = live_client(people["member"], meeting)
    facilitator.call("meeting_start")
    member.wait_for(live)
    ack = member.call("check_in")
    assert ack["ok"] and ack["you"]["minutes_late"] == 7
    for screen in (facilitator, projector):
        screen.wait_for(lambda s: s["state"]["attendance"]["present"] == 1, what="the check-in")
    facilitator.wait_for(
        lambda s: any(p["present"] and p["minutes_late"] == 7 for p in s["roster"]["people"]),
        what="the roster",
    )


def test_proxies_and_quorum_live(meeting_room, live_client):
    meeting, people = meeting_room
    facilitator = live_client(people["facilitator"], meeting)
    projector = live_client(meeting=meeting, projector=True)
    facilitator.call("meeting_start")
    assert facilitator.call("check_in")["ok"]
    projector.wait_for(lambda s: s["state"]["attendance"]["represented"] == 1)
    assert projector.latest["state"]["attendance"]["met"] is False
    assert facilitator.call(
        "proxy_grant", grantor_id=people["admin"].id, holder_id=people["facilitator"].id
    )["ok"]
    quorum = projector.wait_for(lambda s: s["state"]["attendance"]["met"])["state"]["attendance"]
    assert (quorum["present"], quorum["proxies"], quorum["represented"]) == (1, 1, 2)
    refused = facilitator.call(
        "proxy_grant", grantor_id=people["secretary"].id, holder_id=people["facilitator"].id
    )
    assert refused["ok"] is False and refused["error"]["code"] == "proxy_limit"


@pytest.mark.parametrize("policy", ["first_come", "progressive"])
def test_speakers_list_live_under_both_policies(
    coop, make_user, make_org, make_meeting, live_client, policy
):
    from assembly.accounts.models import Gender

    facilitator_person = make_user(name="Facilitadora")
    men = [make_user(name=n, gender=Gender.MAN) for n in ("Carlos", "Darío")]
    woman = make_user(name="Ana", gender=Gender.WOMAN)
    org = make_org(
        "Cooperativa Surco",
        members={facilitator_person: "facilitator", woman: "member", **{m: "member" for m in men}},
    )
    meeting = make_meeting(org, speaker_policy=policy)
    facilitator = live_client(facilitator_person, meeting)
    projector = live_client(meeting=meeting, projector=True)
    facilitator.call("meeting_start")
    phones = {p.name: live_client(p, meeting) for p in (*men, woman)}
    for phone in phones.values():
        phone.wait_for(live)
        assert phone.call("check_in")["ok"]
    # Carlos speaks once; then Carlos, Darío and Ana ask, in that order.
    assert phones["Carlos"].call("floor_request")["ok"]
    assert facilitator.call("floor_next")["ok"]
    assert facilitator.call("floor_end")["ok"]
    for name in ("Carlos", "Darío", "Ana"):
        assert phones[name].call("floor_request", kind="contribution")["ok"]
    expected = ["Carlos", "Darío", "Ana"] if policy == "first_come" else ["Ana", "Darío", "Carlos"]
    projector.wait_for(
        lambda s: [q["name"] for q in s["state"]["floor"]["queue"]] == expected,
        what=f"the {policy} queue",
    )
    assert facilitator.call("floor_next")["ok"]
    speaking = phones["Ana"].wait_for(lambda s: s["state"]["floor"]["speaking"] is not None)
    assert speaking["state"]["floor"]["speaking"]["name"] == expected[0]


def test_timers_run_on_every_screen_from_the_state(meeting_room, live_client):
    meeting, people = meeting_room
    facilitator = live_client(people["facilitator"], meeting)
    member = live_client(people["member"], meeting)
    facilitator.call("meeting_start")
    item = member.wait_for(live)["state"]["agenda"][0]
    assert item["running_since"] is not None
    time.sleep(0.3)
    assert facilitator.call("timer", action="pause")["ok"]
    item = member.wait_for(lambda s: s["state"]["agenda"][0]["running_since"] is None)["state"][
        "agenda"
    ][0]
    assert item["elapsed_seconds"] >= 0.3
    refused = facilitator.call("timer", action="pause")
    assert refused["error"]["code"] == "timer_not_running"
    facilitator.wait_for(
        lambda s: s["error"]["code"] == "timer_not_running", what="the error event"
    )
    assert "error" not in member.latest  # errors go to the sender only


def test_broadcasts_are_coalesced_when_many_act_at_once(
    coop, make_user, make_org, make_meeting, live_client
):
    facilitator_person = make_user(name="Facilitadora")
    people = [make_user() for _ in range(20)]
    org = make_org(
        "Red Gráfica", members={facilitator_person: "facilitator", **{p: "member" for p in people}}
    )
    meeting = make_meeting(org)
    facilitator = live_client(facilitator_person, meeting)
    facilitator.call("meeting_start")
    phones = [live_client(p, meeting) for p in people]
    before = facilitator.counts.get("state", 0)
    for phone in phones:  # 20 check-ins, sent without waiting for each other
        phone.sio.emit("check_in", {"meeting_id": meeting.id})
    facilitator.wait_for(lambda s: s["state"]["attendance"]["present"] == 20, what="20 check-ins")
    time.sleep(0.4)
    broadcasts = facilitator.counts["state"] - before
    assert broadcasts < 20, f"{broadcasts} room states for 20 check-ins"


def test_two_server_processes_share_rooms_through_redis(
    database_url, redis_url, meeting_room, live_client
):
    meeting, people = meeting_room
    channel = f"assembly-test-{uuid.uuid4().hex}"
    first = ServerProcess(database_url, redis_url=redis_url, channel=channel)
    second = ServerProcess(database_url, redis_url=redis_url, channel=channel)
    try:
        member = live_client(people["member"], meeting, server=first)
        projector = live_client(meeting=meeting, projector=True, server=first)
        facilitator = live_client(people["facilitator"], meeting, server=second)
        assert facilitator.call("meeting_start")["ok"]
        member.wait_for(live, what="the start, sent from the other process")
        assert facilitator.call("item_next")["ok"]
        second_item = member.latest["state"]["agenda"][1]["id"]
        projector.wait_for(
            lambda s: s["state"]["current_item_id"] == second_item,
            what="the item change on the projector of the other process",
        )
        # And the other way round: a check-in on the first process reaches the facilitator.
        assert member.call("check_in")["ok"]
        facilitator.wait_for(lambda s: s["state"]["attendance"]["present"] == 1)
    finally:
        first.stop()
        second.stop()


def test_updates_are_paced_by_the_size_of_the_room_but_results_are_not(
    database_url, make_user, make_org, make_meeting, make_poll, live_client
):
    # 5 messages a second for a room of 7 screens: one update every 1.4 s at most.
    server = ServerProcess(database_url, extra_env={"ASSEMBLY_ROOM_MESSAGES_PER_SECOND": "5"})
    try:
        facilitator_person = make_user(name="Facilitadora")
        people = [make_user() for _ in range(5)]
        org = make_org(members={facilitator_person: "facilitator", **{p: "member" for p in people}})
        meeting = make_meeting(org)
        facilitator = live_client(facilitator_person, meeting, server=server)
        assert facilitator.call("meeting_start")["ok"]
        phones = [live_client(p, meeting, server=server) for p in people]
        for phone in phones:
            assert phone.call("check_in")["ok"]
        projector = live_client(meeting=meeting, projector=True, server=server)
        poll_id = make_poll(meeting)
        assert facilitator.call("poll_open", poll_id=poll_id)["ok"]
        projector.wait_for(lambda s: s["state"]["polls"], what="the poll, open")

        for phone in phones:  # one after another, each acknowledged once it is stored
            ack = phone.call(
                "vote", poll_id=poll_id, choice={"vote": "yes"}, client_id=uuid.uuid4().hex
            )
            assert ack["ok"] and ack["stored"]

        def voted(latest):
            polls = latest["poll_progress"]["polls"]
            return next(p for p in polls if p["id"] == poll_id)["progress"]["voted"]

        # The last count is never dropped, only held back for the room's turn...
        projector.wait_for(lambda s: voted(s) == 5, timeout=8, what="the count of 5 votes")
        # ...so five ballots cost the room fewer than five count messages, spaced by the pause.
        arrivals = projector.arrivals["poll_progress"]
        assert len(arrivals) < 5
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        assert all(gap > 1.0 for gap in gaps), gaps

        # A result is never held back for the room's turn.
        closed = facilitator.call("poll_close", poll_id=poll_id)
        assert closed["ok"]
        asked = time.monotonic()
        projector.wait_for(
            lambda s: next(p for p in s["state"]["polls"] if p["id"] == poll_id)["result"],
            what="the result on the projector",
        )
        assert time.monotonic() - asked < 1.0
    finally:
        server.stop()


def test_a_double_tap_is_answered_as_success_twice_and_done_once(meeting_room, live_client):
    """Two identical emits at once (a double tap on a phone): both are answered as success, one
    of them saying it found the thing already done; the room changes once."""
    meeting, people = meeting_room
    facilitator = live_client(people["facilitator"], meeting)
    member = live_client(people["member"], meeting)
    assert facilitator.call("meeting_start")["ok"]
    member.wait_for(live)

    def twice(event: str, **payload) -> list[dict]:
        acks, done = [], threading.Event()

        def answered(ack):
            acks.append(ack)
            if len(acks) == 2:
                done.set()

        for _ in range(2):
            member.sio.emit(event, {"meeting_id": meeting.id, **payload}, callback=answered)
        assert done.wait(10), f"{event}: {acks}"
        assert all(ack["ok"] for ack in acks), acks
        assert sorted(bool(ack.get("already")) for ack in acks) == [False, True], acks
        assert acks[0]["version"] == acks[1]["version"], acks
        return acks

    for _round in range(5):
        acks = twice("check_in")
        assert all(ack["you"]["present"] for ack in acks)
        state = facilitator.wait_for(
            lambda s, v=acks[0]["version"]: s["state"]["version"] >= v, what="the check-in"
        )["state"]
        assert state["attendance"]["present"] == 1
        acks = twice("floor_request", kind="contribution")
        assert acks[0]["request_id"] == acks[1]["request_id"]
        state = facilitator.wait_for(
            lambda s, v=acks[0]["version"]: s["state"]["version"] >= v, what="the request"
        )["state"]
        assert [q["user_id"] for q in state["floor"]["queue"]] == [people["member"].id]
        twice("floor_withdraw")
        twice("check_out")
    assert facilitator.wait_for(lambda s: s["state"]["attendance"]["present"] == 0)
