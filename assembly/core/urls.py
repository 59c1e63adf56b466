from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for mail, printed links and the CLI: always at the configured public
    address (BASE_URL), never at the host a request named, which anyone can set (a reset link
    mailed to `evil.example` hands the token to whoever runs it)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
