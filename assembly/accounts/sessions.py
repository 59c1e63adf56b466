"""Log-ins, one per device, that can be ended (see UserSession). Plain functions; callers commit.

Flask keeps its session in a signed cookie, which the server cannot take back: a copy of it, or
of the remember-me cookie, would open the account for as long as the signature holds. So both
cookies carry a random token of one log-in instead of the user id, and every request (page or
socket event) loads the person through `user_for_token`, which refuses a log-in that has ended
or expired. Ending log-ins announces `sessions_ended`, so open socket connections are closed too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from assembly.accounts.models import User, UserSession
from assembly.core import signals
from assembly.core.clock import utcnow
from assembly.extensions import db

TOKEN_MAX = 100


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    config = current_app.config
    return config["REMEMBER_COOKIE_DURATION" if remember else "PERMANENT_SESSION_LIFETIME"]


def start(user: User, *, remember: bool = False) -> str:
    """A new log-in for `user` on this device; its token becomes `user.get_id()`."""
    now = utcnow()
    # Forget this person's log-ins that can no longer open anything.
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            (UserSession.ended_at.is_not(None)) | (UserSession.expires_at <= now),
        )
    )
    token = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        remember=bool(remember),
        created_at=now,
        expires_at=now + _lifetime(remember),
    )
    db.session.add(row)
    db.session.flush()
    user.session_token, user.session_id = token, row.id
    return token


def user_for_token(token: str) -> User | None:
    """The person a cookie's token logs in, if that log-in is still open (Flask-Login's loader)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == _hash(token),
            UserSession.ended_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
    )
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.session_token, user.session_id = token, row.id
    return user


def is_open(session_id: int) -> bool:
    """Whether a log-in (`user.session_id`) still opens anything."""
    return (
        db.session.scalar(
            select(UserSession.id).where(
                UserSession.id == session_id,
                UserSession.ended_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
        )
        is not None
    )


def remembered(user: User) -> bool:
    """Whether this request's log-in was made with "keep me logged in"."""
    if user.session_id is None:
        return False
    return bool(
        db.session.scalar(select(UserSession.remember).where(UserSession.id == user.session_id))
    )


def end(user: User) -> None:
    """Log-out: this device's log-in ends, and with it every copy of its cookies."""
    if user.session_id is not None:
        _end(user, UserSession.id == user.session_id)
    user.session_token = user.session_id = None


def end_all(user: User) -> None:
    """Every log-in of the person ends, on every device ("log out everywhere", a new password)."""
    _end(user, UserSession.user_id == user.id)
    user.session_token = user.session_id = None


def _end(user: User, which) -> None:
    db.session.execute(
        update(UserSession)
        .where(which, UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    signals.sessions_ended.send(user)
