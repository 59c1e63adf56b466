from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from flask_wtf import FlaskForm


def safe_next(default: str) -> str:
    """The `next` target if it stays on this site; the default otherwise (no open redirects)."""
    target = request.values.get("next") or ""
    parts = urlsplit(target)
    # Browsers read "/\host" as "//host": another site.
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parts.netloc
        and "\\" not in target
    ):
        return target
    return default


def enum_or_none(enum_cls, value: str | None):
    return enum_cls(value) if value else None


def strip(value):
    """Form filter: phones' keyboards add stray spaces around e-mails and names."""
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""
