"""Configuration from environment variables, with safe defaults for a single machine."""

from __future__ import annotations

import os
from datetime import timedelta


class ConfigError(RuntimeError):
    """The configuration cannot run safely (e.g. production without a secret key)."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Settings an operator (or a test's server process) may also set from the environment.
_TUNABLE = (
    "LOGIN_RATE_LIMIT",
    "LOGIN_RATE_LIMIT_PER_ACCOUNT",
    "ARGON2_TIME_COST",
    "ARGON2_MEMORY_KIB",
    "SOCKETIO_CHANNEL",
    "BROADCAST_INTERVAL_MS",
    "ROOM_MESSAGES_PER_SECOND",
    "INVITATION_DAYS",
    "PROXY_COUNT",
    "REMINDER_MINUTES",
    "CALENDAR_RATE_LIMIT",
)


def _list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def tunables_from_environment() -> dict:
    values = {}
    for key in _TUNABLE:
        raw = os.environ.get("ASSEMBLY_" + key)
        if raw is not None:
            values[key] = type(DEFAULTS[key])(raw)
    return values


def from_environment(instance_path: str) -> dict:
    """Settings read from the environment; `create_app(config)` overrides them."""
    production = os.environ.get("ASSEMBLY_ENV", "development") == "production"
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + os.path.join(instance_path, "assembly.sqlite3")
    )
    # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "PRODUCTION": production,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "assembly@localhost"),
        "BASE_URL": os.environ.get("BASE_URL") or None,
        # Host names requests may name besides BASE_URL's (Flask 3.1 refuses the others).
        "TRUSTED_HOSTS": _list("TRUSTED_HOSTS"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or redis_url
        or "memory://",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_SECURE": _bool("REMEMBER_COOKIE_SECURE", production),
    }


DEFAULTS: dict = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    # "Keep me logged in" lasts a month; log-out, a password change or "log out everywhere"
    # end it sooner (see accounts/sessions.py).
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),
    "WTF_CSRF_TIME_LIMIT": None,  # a facilitator's agenda form may stay open all afternoon
    "BABEL_DEFAULT_LOCALE": "es_AR",
    "BABEL_DEFAULT_TIMEZONE": "America/Argentina/Buenos_Aires",
    "LANGUAGES": {"es_AR": "Español", "en": "English"},
    "INVITATION_DAYS": 14,
    "PASSWORD_RESET_SECONDS": 2 * 60 * 60,
    "ARGON2_TIME_COST": 3,  # argon2-cffi's defaults (RFC 9106's second recommendation)
    "ARGON2_MEMORY_KIB": 64 * 1024,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOGIN_RATE_LIMIT_PER_ACCOUNT": "5 per minute",
    # Reads of the calendar feeds from one address: calendar apps read every few minutes at
    # most; someone guessing addresses gets nowhere.
    "CALENDAR_RATE_LIMIT": "30 per minute",
    # `assembly serve` sends commitment reminders this often (0: never; use `assembly remind`).
    "REMINDER_MINUTES": 60,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    "SOCKETIO_ASYNC_MODE": None,  # chosen at start-up: gevent when monkey-patched
    "SOCKETIO_CHANNEL": "assembly",  # the Redis channel processes share
    # Room states are sent at most this often per meeting (0: at once, for in-process tests).
    "BROADCAST_INTERVAL_MS": 150,
    # A meeting's screens get at most this many messages a second (see live/broadcast.py): a
    # 2,000-screen room gets one update a second, rooms of up to 300 one every 150 ms.
    "ROOM_MESSAGES_PER_SECOND": 2000,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Reverse proxies in front of the server: their X-Forwarded-For and -Proto are believed, so
    # log-in limits count each person's address, not the proxy's.
    "PROXY_COUNT": 0,
    # Pages, styles, scripts and JSON leave compressed (zstd, Brotli or gzip, whichever the
    # browser takes first); static files stream through the compressor, gzip included, so a
    # browser without zstd or Brotli gets them compressed too.
    "COMPRESS_ALGORITHM": ["zstd", "br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["zstd", "br", "gzip"],
}

# Without SECRET_KEY (development only), the key generated on first start is kept here, in the
# instance folder, readable by its owner alone.
SECRET_KEY_FILE = "secret_key"


def engine_options(database_url: str, environ=os.environ) -> dict:
    """Pool and timeouts, so that a leaked connection or a stuck statement cannot wedge the server.

    PostgreSQL: a request waits at most DATABASE_POOL_TIMEOUT seconds for a pooled connection and
    then fails (it never hangs), a statement runs at most DATABASE_STATEMENT_TIMEOUT_MS, and the
    server ends a session left idle inside a transaction after
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (its connection is then replaced by the pool).
    """
    if not database_url.startswith("postgresql"):
        return {}
    from sqlalchemy.engine import make_url

    statement = int(environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "30000"))
    idle = int(environ.get("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", "60000"))
    # Options the URL already carries (a search_path, say) are kept: connect_args replaces them.
    given = make_url(database_url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    return {
        "pool_size": int(environ.get("DATABASE_POOL_SIZE", "10")),
        "max_overflow": int(environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "pool_timeout": float(environ.get("DATABASE_POOL_TIMEOUT", "10")),
        # Not pool_pre_ping: a round trip before every checkout cost a third of the server's
        # time in a 2,000-ballot burst (the ballot writer checks out once per batch). A
        # connection the server dropped is replaced when its first use fails, and none is kept
        # past half an hour.
        "pool_recycle": 1800,
        "connect_args": {
            "options": f"{given} -c statement_timeout={statement} "
            f"-c idle_in_transaction_session_timeout={idle}".strip()
        },
    }
