from __future__ import annotations

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link, also outside a request (CLI commands print invitation links)."""
    if has_request_context() and not current_app.config.get("BASE_URL"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
