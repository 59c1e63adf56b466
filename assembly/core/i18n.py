"""Language: the user's preference, then the one chosen on the page, then the browser's."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def supported() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def normalise(locale: str | None) -> str | None:
    """Map 'es', 'es-AR', 'es_ES'... to the Spanish we ship; 'en-GB' to English."""
    if not locale:
        return None
    language = locale.replace("-", "_").split("_")[0].lower()
    for code in supported():
        if code.split("_")[0].lower() == language:
            return code
    return None


def select_locale() -> str:
    if not has_request_context():  # CLI commands, background work: the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and normalise(current_user.locale):
        return normalise(current_user.locale)
    chosen = normalise(session.get("locale"))
    if chosen:
        return chosen
    for language, _quality in request.accept_languages:
        code = normalise(language)
        if code:
            return code
    return current_app.config["BABEL_DEFAULT_LOCALE"]
