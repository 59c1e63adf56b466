"""One way for a change to reach the room: services announce through named signals, and the live
package, which they never import, carries what was committed to the screens."""

from __future__ import annotations

import ast
import os

from assembly.core import signals
from assembly.extensions import db
from assembly.meetings.models import Meeting
from tests.test_live_room import last, ok

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "assembly")


def _imports(path: str) -> set[str]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_feature_outside_the_live_package_but_its_socket_handlers_imports_it():
    """Services, models, writers and views never reach into assembly.live, not even lazily: only
    the app factory and the server command (which wire it) and socket handlers (events.py, its
    clients) may."""
    offenders = []
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, ROOT)
            if not name.endswith(".py") or relative.startswith(os.path.join("assembly", "live")):
                continue
            wiring = {os.path.join("assembly", f) for f in ("app.py", "commands.py")}
            # Socket handlers: events.py, or a feature's second module of them (review_events.py).
            if name == "events.py" or name.endswith("_events.py") or relative in wiring:
                continue
            if any(m == "assembly.live" or m.startswith("assembly.live.") for m in _imports(path)):
                offenders.append(relative)
    assert offenders == []


def test_a_service_change_is_announced_by_signal_and_reaches_the_room_once_committed(
    app, coop, make_meeting, socket_for
):
    from assembly.meetings import service as meetings
    from assembly.room import service as room

    org, people = coop
    meeting_ref = make_meeting(org)
    screen = socket_for(people["member"])
    ok(screen.emit("join", {"meeting_id": meeting_ref.id}, callback=True))
    heard = []

    def listener(meeting, **extra):
        heard.append((meeting.id, extra))

    signals.room_changed.connect(listener)
    try:
        with app.app_context():
            meeting = db.session.get(Meeting, meeting_ref.id)
            before = meeting.version
            room.start_meeting(meeting)
            screen.get_received()
            # Announced, not yet committed: no screen hears of it, and a rollback forgets it.
            assert heard == [(meeting.id, {"urgent": False, "roster": True})]
            db.session.rollback()
            from assembly.live.broadcast import send_committed

            send_committed()
            assert [e for e in screen.get_received() if e["name"] == "state"] == []
            meeting = db.session.get(Meeting, meeting_ref.id)
            assert meeting.version == before and meeting.status == "convened"

            # Committed: the screens get the new state, with the version up.
            meetings.announce_change(meeting, urgent=True)
            db.session.commit()
            send_committed()
            state = last(screen, "state")
            assert state["version"] == before + 1
            db.session.remove()
    finally:
        signals.room_changed.disconnect(listener)
