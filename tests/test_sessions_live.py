"""Across processes: a log-in ended on one server process closes its connections on the others."""

import re
import time
import uuid

import pytest
import socketio

from tests.live import ServerProcess

pytestmark = pytest.mark.live


def test_log_out_everywhere_closes_connections_held_by_another_process(
    database_url, redis_url, coop, make_meeting, live_client
):
    org, people = coop
    meeting = make_meeting(org)
    channel = f"assembly-test-{uuid.uuid4().hex}"
    first = ServerProcess(database_url, redis_url=redis_url, channel=channel)
    second = ServerProcess(database_url, redis_url=redis_url, channel=channel)
    try:
        phone = live_client(people["member"], meeting, server=second)
        assert phone.latest["join"]["ok"]
        # The same log-in (its cookies) asks the first process to log out everywhere.
        http = phone.http
        page = http.get(f"{first.url}/profile", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = http.post(
            f"{first.url}/logout/everywhere",
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/login", response.headers["Location"]
        # The second process closes the phone's connection (a server's disconnect: the client
        # does not come back by itself).
        deadline = time.monotonic() + 10
        while phone.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not phone.sio.connected
        # Connecting again with the ended cookies, it is a visitor that may not join.
        again = socketio.Client(reconnection=False)
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        again.connect(second.url, headers={"Cookie": cookie}, transports=["websocket"])
        try:
            assert not again.call("join", {"meeting_id": meeting.id}, timeout=10)["ok"]
        finally:
            again.disconnect()
    finally:
        first.stop()
        second.stop()
