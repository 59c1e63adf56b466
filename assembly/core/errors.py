"""Domain errors: a rule said no. Views show the message; socket handlers send it as an event."""

from __future__ import annotations


class DomainError(Exception):
    """A request that breaks a domain rule. `message` is a (lazy) translatable string."""

    code = "invalid"
    status = 400

    def __init__(
        self, message=None, *, code: str | None = None, status: int | None = None, **params
    ):
        self.message = message if message is not None else self.default_message()
        self.params = params
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        super().__init__(str(self.code))

    def default_message(self):
        from flask_babel import lazy_gettext

        return lazy_gettext("This request cannot be carried out.")

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class Conflict(DomainError):
    code = "conflict"
    status = 409
