"""Service-level refusals; the API maps each to one HTTP status."""

from __future__ import annotations

from ..domain.errors import DomainError


class ValidationFailed(DomainError):
    """422: the submitted data does not fit the form; `errors` maps field → message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("validation failed: " + ", ".join(sorted(errors)))


class Forbidden(DomainError):
    """403: the user's role may not do this at all."""


class NotFound(DomainError):
    """404: no such object within the user's jurisdiction (we do not reveal which)."""


class Conflict(DomainError):
    """409: the task was completed meanwhile, or the instance changed under us."""


class StaleRevision(Conflict):
    """409 unless retried: the instance was changed by someone else between our read and our write."""


def in_lang(lang: str, zh: str, en: str) -> str:
    """The English text for an English reader, the Chinese for everyone else (Chinese first)."""
    return en if lang == "en" else zh


def messages_in(messages: dict[str, tuple[str, str]]):
    """A lookup (code, lang, **params) → the message in that language with its {params} filled in,
    for a module's (zh, en) message table."""

    def message(code: str, lang: str = "zh", **params) -> str:
        text = in_lang(lang, *messages[code])
        return text.format(**params) if params else text

    return message
