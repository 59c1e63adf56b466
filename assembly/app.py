"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

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
    os.makedirs(app.instance_path, exist_ok=True)
    _check_secret_key(app)
    _check_public_address(app)
    # Before any route is added: every <int:...> in a URL is a database id.
    app.url_map.converters["int"] = IdConverter

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
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
    app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)


def instance_secret_key(instance_path: str) -> str:
    """The key generated on this installation's first start, kept in the instance folder.

    Random, so nobody can forge sessions with a key read in the source; kept, so sessions and
    links survive a restart and every process of one installation signs alike. Created under
    a temporary name and linked into place, so two processes starting at once agree on one.
    """
    path = os.path.join(instance_path, config_module.SECRET_KEY_FILE)
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
            log.warning("SECRET_KEY is not set: generated one, kept in %s", path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)  # the key signs everyone's sessions: its owner alone reads it
    with open(path) as f:
        key = f.read().strip()
    if len(key) < 32:
        raise config_module.ConfigError(
            f"{path} holds no usable key: delete it to have a new one generated."
        )
    return key


def _check_public_address(app: Flask) -> None:
    """Links in mail use BASE_URL, never a request's Host header (which anyone can set)."""
    base_url = app.config.get("BASE_URL")
    production = app.config.get("PRODUCTION")
    if not base_url:
        if production:
            raise config_module.ConfigError(
                "BASE_URL is not set. In production (ASSEMBLY_ENV=production) Assembly refuses "
                "to start without the public address its links use, e.g. "
                "BASE_URL=https://asamblea.example.coop"
            )
        base_url = f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        raise config_module.ConfigError(
            f"BASE_URL must be an http(s) address such as https://asamblea.example.coop, "
            f"not {base_url!r}."
        )
    if production and parts.scheme != "https":
        raise config_module.ConfigError(
            "In production BASE_URL must be an https address: session cookies are only sent "
            "over https there."
        )
    app.config["BASE_URL"] = base_url.rstrip("/")
    if production or app.config.get("TRUSTED_HOSTS"):
        # Requests naming another host are refused (400) instead of being served under it.
        app.config["TRUSTED_HOSTS"] = [parts.hostname, *(app.config.get("TRUSTED_HOSTS") or [])]


class IdConverter(IntegerConverter):
    """`<int:...>` in a route is a row id: 1 to 2**31 - 1, what both databases hold. A larger
    number is a page that does not exist (404), not a database error (500)."""

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


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
    from assembly.accounts.sessions import user_for_token
    from assembly.core.i18n import select_locale

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
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

    # The session and remember-me cookies name a log-in, not a user (accounts/sessions.py).
    login_manager.user_loader(user_for_token)

    # Handlers must be declared before the first init_app, which hands them to each new server.
    import assembly.commitments.events
    import assembly.commitments.review_events
    import assembly.live.events
    import assembly.room.events
    import assembly.voting.events
    import assembly.workshops.events  # noqa: F401

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
    from assembly.live.sessions import closer
    from assembly.voting import events as voting_events
    from assembly.voting.writer import writer

    voting_events.init_app(app)

    broadcaster.init_app(app)
    closer.init_app(app)
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

    from assembly.workshops.views import bp as workshops_bp

    app.register_blueprint(workshops_bp)

    from assembly.commitments.views import bp as commitments_bp

    app.register_blueprint(commitments_bp)

    from assembly.commitments.feed_views import bp as calendar_bp

    app.register_blueprint(calendar_bp)
    from assembly.minutes.views import bp as minutes_bp

    app.register_blueprint(minutes_bp)
    from assembly.timeline.views import bp as timeline_bp

    app.register_blueprint(timeline_bp)
    from assembly.search.service import listen
    from assembly.search.views import bp as search_bp

    app.register_blueprint(search_bp)
    listen()  # the search index follows every commit


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
    # connect-src 'self' covers the page's own ws:/wss: origin (CSP level 3), which is where the
    # Socket.IO client connects; no other host.
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    # Browsers keep to https for a year once they saw it; only for a production site on https.
    hsts = app.config.get("PRODUCTION") and app.config["BASE_URL"].startswith("https://")

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
