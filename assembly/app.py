"""The application factory."""

from __future__ import annotations

import logging
import os

from flask import Flask, jsonify, render_template, request
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from assembly import config as config_module
from assembly.core.errors import DomainError
from assembly.extensions import (
    babel,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    socketio,
)

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        "assembly",
        root_path=HERE,
        instance_path=os.environ.get("ASSEMBLY_INSTANCE") or os.path.join(PROJECT, "instance"),
        template_folder=os.path.join(PROJECT, "templates"),
        static_folder=os.path.join(PROJECT, "static"),
    )
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(app.instance_path))
    app.config.update(config_module.tunables_from_environment())
    if config:
        app.config.update(config)
    _check_secret_key(app)
    os.makedirs(app.instance_path, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_security_headers(app)

    from assembly.commands import register_commands

    register_commands(app)
    return app


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("PRODUCTION"):
        raise config_module.ConfigError(
            "SECRET_KEY is not set. In production (ASSEMBLY_ENV=production) Assembly refuses to "
            "start without it: set SECRET_KEY to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    app.config["SECRET_KEY"] = config_module.DEVELOPMENT_SECRET_KEY


def socketio_async_mode(app: Flask) -> str:
    """gevent when the process was monkey-patched for it (`assembly serve`), threads otherwise."""
    if app.config.get("SOCKETIO_ASYNC_MODE"):
        return app.config["SOCKETIO_ASYNC_MODE"]
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    return "threading"


def _init_extensions(app: Flask) -> None:
    import assembly.models  # all tables, for the metadata and migrations
    from assembly.accounts.models import User
    from assembly.core.i18n import select_locale

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(PROJECT, "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(HERE, "translations"),
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    # Handlers must be declared before the first init_app, which hands them to each new server.
    import assembly.live.events
    import assembly.room.events
    import assembly.voting.events  # noqa: F401

    # SocketIO keeps the options of earlier init_app calls: an app without a queue must not
    # inherit the queue of one built before it in the same process (tests, CLI commands).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=socketio_async_mode(app),
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        manage_session=False,
    )
    from assembly.live.broadcast import broadcaster
    from assembly.voting import events as voting_events
    from assembly.voting.writer import writer

    voting_events.init_app(app)

    broadcaster.init_app(app)
    writer.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from assembly.accounts.views import bp as accounts_bp
    from assembly.core.views import bp as core_bp
    from assembly.organisations.views import bp as organisations_bp
    from assembly.room.views import bp as room_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organisations_bp)
    app.register_blueprint(room_bp)

    from assembly.meetings.views import bp as meetings_bp

    app.register_blueprint(meetings_bp)

    from assembly.proposals.views import bp as proposals_bp

    app.register_blueprint(proposals_bp)

    from assembly.voting.views import bp as voting_bp

    app.register_blueprint(voting_bp)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json" or request.path.startswith("/api/")


def _error_response(status: int, code: str, message: str):
    if _wants_json():
        return jsonify(error={"code": code, "message": message}), status
    try:
        return render_template("errors/error.html", status=status, message=message), status
    except Exception:  # the error page itself failed: still answer, plainly
        log.exception("Error page failed to render")
        return escape(message), status, {"Content-Type": "text/plain; charset=utf-8"}


_MESSAGES = {
    400: lazy_gettext("The request could not be understood. Please check what you sent."),
    403: lazy_gettext("You do not have permission to do this."),
    404: lazy_gettext("We could not find this page."),
    405: lazy_gettext("This action is not possible here."),
    409: lazy_gettext("Someone changed this at the same time. Please try again."),
    410: lazy_gettext("This link is no longer valid."),
    413: lazy_gettext("What you sent is too large."),
    429: lazy_gettext("Too many attempts. Please wait a minute and try again."),
    500: lazy_gettext("Something went wrong on our side. It has been logged; please try again."),
}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = lazy_gettext(
            "The form had expired or was sent from elsewhere. Reload the page and try again."
        )
        return _error_response(400, "csrf", str(message))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return _error_response(error.status, error.code, str(error))

    @app.errorhandler(IntegrityError)
    def integrity_error(error):
        # A concurrent write won a race the code checked for: nothing half-written stays.
        db.session.rollback()
        return _error_response(409, "conflict", str(_MESSAGES[409]))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = _MESSAGES.get(status, error.description)
        return _error_response(status, error.name.lower().replace(" ", "_"), str(message))

    @app.errorhandler(Exception)
    def unexpected_error(error):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _error_response(500, "internal", str(_MESSAGES[500]))


def _register_template_helpers(app: Flask) -> None:
    from assembly.accounts.models import Gender
    from assembly.core.labels import label
    from assembly.core.text import render_markdown
    from assembly.meetings.service import unread_count
    from assembly.organisations.service import places_of

    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["gender_label"] = lambda value: label(Gender(value))

    @app.context_processor
    def inject():
        places = places_of(current_user) if current_user.is_authenticated else []
        return {
            "languages": app.config["LANGUAGES"],
            "my_places": places,
            "get_locale": get_locale,
            "unread_notifications": unread_count(current_user)
            if current_user.is_authenticated
            else 0,
        }


def _register_security_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
