"""Who prepares and who runs a meeting, pinned by doing it (README: "Roles").

In Argentine cooperatives the secretary convenes and keeps the record: preparing a meeting
(creating it, its agenda, templates, series, convening it, deleting a draft) is for facilitators
and secretaries; running the room (starting it, moving through the agenda, giving the floor,
opening polls) is for facilitators and the meeting's named facilitator; recording attendance is
for facilitators, secretaries and the meeting's named facilitator and secretary. Admins may do
everything.
"""

import pytest

from tests.test_meetings import item_form, meeting_form
from tests.test_meetings_series import series_form

PREPARE = {
    "create a meeting",
    "add an agenda item",
    "save a template",
    "create a series",
    "convene",
    "delete a draft",
}
RUN = {"start", "next item", "give the floor", "open a poll"}
ATTENDANCE = {"check someone in"}

EXPECTED = {
    "member": set(),
    "facilitator": PREPARE | RUN | ATTENDANCE,
    "secretary": PREPARE | ATTENDANCE,
    "admin": PREPARE | RUN | ATTENDANCE,
    "named facilitator": RUN | ATTENDANCE,
    "named secretary": ATTENDANCE,
}


@pytest.fixture
def room(make_user, make_org, make_meeting):
    people = {
        role: make_user(name=role.title())
        for role in ("member", "facilitator", "secretary", "admin")
    }
    people["named facilitator"] = make_user(name="Nombrada Facilitadora")
    people["named secretary"] = make_user(name="Nombrado Secretario")
    people["someone"] = make_user(name="Alguien")
    roles = {
        **{people[r]: r for r in ("member", "facilitator", "secretary", "admin")},
        people["named facilitator"]: "member",
        people["named secretary"]: "member",
        people["someone"]: "member",
    }
    org = make_org(members=roles)

    def meeting(status="convened"):
        return make_meeting(
            org,
            status=status,
            facilitator_id=people["named facilitator"].id,
            secretary_id=people["named secretary"].id,
        )

    return org, people, meeting


def _http_allowed(response) -> bool:
    assert response.status_code in (200, 302, 403, 404), response.status_code
    return response.status_code in (200, 302)


def _socket_allowed(answer) -> bool:
    """Past the permission check: done, or refused for a reason of the room (e.g. no quorum)."""
    return answer["ok"] or answer["error"]["code"] not in ("forbidden", "not_found")


def _try(action, client, sock, org, people, meeting, make_poll, sockets):
    base = f"/o/{org.slug}/meetings"
    if action == "create a meeting":
        return _http_allowed(client.post_form(f"{base}/new", meeting_form()))
    if action == "create a series":
        return _http_allowed(client.post_form(f"{base}/series/new", series_form()))
    if action == "add an agenda item":
        ref = meeting()
        return _http_allowed(client.post_form(f"{base}/{ref.id}/items", item_form()))
    if action == "save a template":
        ref = meeting()
        form = {"save-name": "Nuestra asamblea"}
        return _http_allowed(client.post_form(f"{base}/{ref.id}/agenda/save-template", form))
    if action == "convene":
        ref = meeting("draft")
        return _http_allowed(client.post_form(f"{base}/{ref.id}/convene"))
    if action == "delete a draft":
        ref = meeting("draft")
        return _http_allowed(client.post_form(f"{base}/{ref.id}/delete"))
    ref = meeting()
    if action == "check someone in":
        payload = {"meeting_id": ref.id, "user_id": people["someone"].id}
        return _socket_allowed(sock.emit("check_in", payload, callback=True))
    admin = sockets["admin"]
    if action == "start":
        return _socket_allowed(sock.emit("meeting_start", {"meeting_id": ref.id}, callback=True))
    assert admin.emit("meeting_start", {"meeting_id": ref.id}, callback=True)["ok"]
    if action == "next item":
        return _socket_allowed(sock.emit("item_next", {"meeting_id": ref.id}, callback=True))
    if action == "give the floor":
        speaker = sockets["someone"]
        speaker.emit("check_in", {"meeting_id": ref.id}, callback=True)
        assert speaker.emit("floor_request", {"meeting_id": ref.id}, callback=True)["ok"]
        return _socket_allowed(sock.emit("floor_next", {"meeting_id": ref.id}, callback=True))
    if action == "open a poll":
        poll_id = make_poll(ref)
        return _socket_allowed(sock.emit("poll_open", {"poll_id": poll_id}, callback=True))
    raise AssertionError(action)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_who_prepares_who_runs_who_records_attendance(app, room, make_poll, socket_for, role):
    org, people, meeting = room
    client = app.test_client()
    client.login(people[role].email)
    sock = socket_for(people[role])
    sockets = {name: socket_for(people[name]) for name in ("admin", "someone")}
    allowed = {
        action
        for action in sorted(PREPARE | RUN | ATTENDANCE)
        if _try(action, client, sock, org, people, meeting, make_poll, sockets)
    }
    assert allowed == EXPECTED[role]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_those_who_run_the_room_or_prepare_get_the_projector_link(app, room, role):
    org, people, meeting = room
    ref = meeting()
    client = app.test_client()
    client.login(people[role].email)
    page = client.get(f"/o/{org.slug}/meetings/{ref.id}/").get_data(as_text=True)
    may = bool(EXPECTED[role] & (PREPARE | RUN))
    assert (f"/projector/{ref.projector_token}" in page) == may
