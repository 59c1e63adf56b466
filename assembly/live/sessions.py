"""Closes the socket connections of log-ins that have ended, in every process.

Every socket event loads its sender through the same check as a page (accounts/sessions.py), so
an ended log-in can do nothing more; but an open connection would still receive its rooms'
updates. When `sessions_ended` is announced and its transaction commits, each connection in the
person's room (`user:<id>`) is checked again, as its next event would be, and closed if its
cookies no longer log that person in. With several processes (REDIS_URL), the person's id is
published on Redis and every process checks its own connections.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from assembly.core import signals
from assembly.extensions import db, socketio
from assembly.live.broadcast import person_room

log = logging.getLogger(__name__)

_PENDING = "assembly.sessions_ended"
_COMMITTED = "assembly.sessions_ended_committed"


@signals.sessions_ended.connect
def _record(user, **_extra) -> None:
    db.session.info.setdefault(_PENDING, set()).add(user.id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, set()).update(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)


class ConnectionCloser:
    def __init__(self) -> None:
        self.app: Flask | None = None
        self._redis = None

    def init_app(self, app: Flask) -> None:
        self.app = app
        self._redis = None

        @app.after_request
        def close_ended_connections(response):
            self.close_committed()
            return response

    @property
    def channel(self) -> str:
        return self.app.config["SOCKETIO_CHANNEL"] + ":sessions-ended"

    def close_committed(self) -> None:
        """Close the connections of the people whose log-ins this session has ended."""
        for user_id in db.session.info.pop(_COMMITTED, ()):
            self.close_local(user_id)
            if self.app.config.get("REDIS_URL"):
                try:
                    self._client().publish(self.channel, str(user_id))
                except Exception:  # the other processes' connections still refuse every event
                    log.exception("Could not tell the other processes that sessions ended")

    def close_local(self, user_id: int) -> None:
        """Close this process's connections of the person that no longer log them in."""
        server = socketio.server
        if server is None:
            return
        for sid, _eio_sid in list(server.manager.get_participants("/", person_room(user_id))):
            environ = server.get_environ(sid)
            if environ is None or not self._logs_in(environ, user_id):
                server.disconnect(sid, namespace="/")

    def _logs_in(self, environ: dict, user_id: int) -> bool:
        # A fresh application context: its own `g` (Flask-Login's cache) and database session.
        with self.app.app_context(), self.app.request_context(environ):
            try:
                return current_user.is_authenticated and current_user.id == user_id
            finally:
                db.session.remove()

    def _client(self):
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.app.config["REDIS_URL"])
        return self._redis

    def start_listening(self) -> None:
        """With several processes: check our connections when another process ends a log-in."""
        if self.app.config.get("REDIS_URL"):
            socketio.start_background_task(self._listen)

    def _listen(self) -> None:
        import redis

        while True:
            try:
                pubsub = redis.Redis.from_url(self.app.config["REDIS_URL"]).pubsub(
                    ignore_subscribe_messages=True
                )
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if str(message.get("data", b""), "ascii").isdigit():
                        self.close_local(int(message["data"]))
            except Exception:
                log.exception("Listening for ended sessions failed; listening again")
                socketio.sleep(1)


closer = ConnectionCloser()
