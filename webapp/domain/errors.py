"""Errors the domain raises; the web layer maps them to HTTP answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded process bundle, located as precisely as possible."""

    file: str | None
    element_id: str | None
    element_name: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


class DomainError(Exception):
    """Base class: a request the domain refuses, with a message fit for the user."""


class BundleError(DomainError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems[:5]))


class TaskNotReady(DomainError):
    """The task was completed or cancelled meanwhile (a second completion, a stale page)."""


class ScriptFailed(DomainError):
    """A BPMN script, condition or decision failed while the engine ran."""
