"""Sealed secret ballots.

While a secret poll is open, what each voter chose is kept sealed in their own vote record:
encrypted (AES-256-GCM) under a key derived from the server's SECRET_KEY, which is not in the
database, padded to one size for the whole poll so that its length says nothing, and bound to
its poll and voter so it cannot be moved to another record. Nothing else holds the choice.
When the poll closes, one transaction opens every seal, writes the choices to the ballot table as
unit ballots in random order, and clears the seals (see service.close_poll). So a database reader
never sees a choice beside a voter: not while the poll is open (only seals), not after (ballots
that appeared all at once, shuffled, with nothing about who or when).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import text

from assembly.core.errors import DomainError
from assembly.extensions import db

_NONCE = 12
# An upper bound on the bytes one option adds to a normalised ballot of any method (an option id
# of up to ten digits with its rank, score or dots, quotes and separators).
_PER_OPTION = 24
_BASE = 64
_BLOCK = 256


class SealBroken(DomainError):
    code = "seal_broken"
    status = 500

    def default_message(self):
        return lazy_gettext(
            "The sealed ballots cannot be opened: the server's secret key is not the one they "
            "were sealed with. Restore it and close the poll again; no ballot has been lost."
        )


def _key(poll_id: int) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return _derive(secret.encode() if isinstance(secret, str) else secret, poll_id)


@lru_cache(maxsize=64)  # a burst of ballots in one poll derives its key once
def _derive(secret: bytes, poll_id: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"assembly sealed ballots",
        info=f"poll:{poll_id}".encode(),
    ).derive(secret)


def padded_size(option_count: int) -> int:
    """One size for every seal of a poll: enough for its largest possible ballot."""
    need = _BASE + _PER_OPTION * option_count
    return -(-need // _BLOCK) * _BLOCK


def _bound(poll_id: int, voter_key: str) -> bytes:
    return f"{poll_id}:{voter_key}".encode()


def seal(poll_id: int, voter_key: str, choice: dict, option_count: int) -> bytes:
    plain = json.dumps(choice, separators=(",", ":"), sort_keys=True).encode()
    size = padded_size(option_count)
    if len(plain) > size:  # cannot happen for a validated ballot; never leak by length anyway
        size = -(-len(plain) // _BLOCK) * _BLOCK
    plain += b" " * (size - len(plain))  # JSON allows trailing spaces
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_key(poll_id)).encrypt(nonce, plain, _bound(poll_id, voter_key))


def open_seal(poll_id: int, voter_key: str, sealed: bytes) -> dict:
    try:
        plain = AESGCM(_key(poll_id)).decrypt(
            sealed[:_NONCE], sealed[_NONCE:], _bound(poll_id, voter_key)
        )
    except InvalidTag as error:
        raise SealBroken() from error
    return json.loads(plain)


def scrub_after_close() -> None:
    """After a secret poll's closing commit: leave no copy of its seals in the database's files.

    SQLite overwrites deleted content (secure_delete, see extensions.py) but keeps the previous
    versions of changed pages in its write-ahead log until a checkpoint: copy the log into the
    database and empty it. (PostgreSQL keeps old row versions until VACUUM; see the README.)
    """
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
