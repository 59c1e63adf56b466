"""Time in one convention: naive UTC in the database, the user's zone only when shown."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
