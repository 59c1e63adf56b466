"""Accounts: passwords, log-in, profiles and password resets. Plain functions; callers commit."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from assembly.accounts import sessions
from assembly.accounts.models import Gender, User
from assembly.core.clock import utcnow
from assembly.core.errors import Conflict, DomainError
from assembly.core.mail import deliver
from assembly.core.urls import absolute_url
from assembly.extensions import db


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def _hasher() -> PasswordHasher:
    """Argon2id: memory-hard, OWASP's first choice. Tests lower the cost through the config."""
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_KIB"])


@lru_cache(maxsize=4)
def _unknown_user_hash(hasher: PasswordHasher) -> str:
    # Verified against when the e-mail is unknown, so timing does not reveal who has an account.
    return hasher.hash("no such account")


PASSWORD_MIN = 8
PASSWORD_MAX = 200


class DuplicateEmail(Conflict):
    code = "duplicate_email"

    def default_message(self):
        return lazy_gettext("An account with this e-mail address already exists.")


class InvalidResetLink(DomainError):
    code = "invalid_reset_link"

    def default_message(self):
        return lazy_gettext("This password reset link is not valid or has already been used.")


class ExpiredResetLink(DomainError):
    code = "expired_reset_link"
    status = 410

    def default_message(self):
        return lazy_gettext("This password reset link has expired. Ask for a new one.")


class WrongPassword(DomainError):
    code = "wrong_password"

    def default_message(self):
        return lazy_gettext("The current password is not correct.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    email: str,
    display_name: str,
    password: str,
    *,
    locale: str | None = None,
    gender: Gender | None = None,
) -> User:
    if find_user_by_email(email) is not None:
        raise DuplicateEmail()
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        locale=locale or None,
        gender=gender or None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise."""
    user = find_user_by_email(email)
    if user is None:
        password_matches(_unknown_user_hash(_hasher()), password)
        return None
    if not password_matches(user.password_hash, password) or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def update_profile(
    user: User, *, display_name: str, locale: str | None, gender: Gender | None
) -> None:
    user.display_name = display_name.strip()
    user.locale = locale or None
    user.gender = gender or None


def change_password(user: User, current: str, new: str) -> None:
    """A new password ends every log-in, this one too: the caller starts a new one here."""
    if not password_matches(user.password_hash, current):
        raise WrongPassword()
    user.password_hash = hash_password(new)
    sessions.end_all(user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def reset_link(user: User) -> str:
    return absolute_url("accounts.reset_password", token=make_reset_token(user))


def request_password_reset(email: str) -> None:
    """Mail a reset link to the account's own address, and to nobody else: an admin who could
    read it could take over the account, and with it the person's roles in other organisations.
    Silent when no such account exists. Without a mail server nothing goes out: an operator
    prints a link with `assembly reset-link`."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = reset_link(user)
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = gettext("Reset your Assembly password")
        body = gettext(
            "Hello %(name)s,\n\nTo choose a new password, open this link within two hours:\n"
            "%(link)s\n\nIf you did not ask for it, ignore this message.",
            name=user.display_name,
            link=link,
        )
    deliver(user.email, subject, body, recipient_user_id=user.id, private=True)


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_SECONDS"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ExpiredResetLink() from exc
    except BadSignature as exc:
        raise InvalidResetLink() from exc
    if not isinstance(data, dict):
        raise InvalidResetLink()
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("p") != _password_fingerprint(user):
        raise InvalidResetLink()
    return user


def reset_password(token: str, new_password: str) -> User:
    """Whoever knew the old password (or holds a copied cookie) is logged out everywhere."""
    user = user_for_reset_token(token)
    user.password_hash = hash_password(new_password)
    sessions.end_all(user)
    return user
