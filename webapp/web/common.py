"""Small helpers shared by the page blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request
from sqlalchemy import select

from ..persistence.models import OrgUnit, User, db
from ..services.designer import task_forms
from ..services.ledger.queries import MAX_PAGE
from ..services.oversight import kpi
from ..services.security import policy
from .i18n import lang, process_text


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None. Browsers drop tabs and newlines from
    URLs and read a backslash as a slash, so '/<tab>/evil.example' would lead to //evil.example:
    control characters and backslashes are refused outright."""
    if not target or any(ord(c) < 32 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def page_number() -> int:
    try:
        return min(max(1, int(request.args.get("page", 1))), MAX_PAGE)
    except ValueError:
        return 1


def report_year() -> int:
    """The `year` argument of a yearly report (default this year); 400 for anything else."""
    raw = request.args.get("year") or str(kpi.now().astimezone(kpi.CST).year)
    if not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
        abort(400)
    return int(raw)


def streets_for(user: User) -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(policy.street_filter(user)).order_by(OrgUnit.code)))


def form_title(form_key: str | None, fallback: str) -> str:
    """A task's name in the user's language: the BPMN name in Chinese; in English its translation
    (process_text: one form serves several steps, the step's own name says more), else the form's
    title_en."""
    if lang() != "en":
        return fallback
    translated = process_text(fallback)
    if translated == fallback and form_key:
        definition = task_forms.definition(form_key)
        if definition and definition.get("title_en"):
            return definition["title_en"]
    return translated


def task_types() -> list[tuple[str, str]]:
    return [(form.id, form.title_for(lang())) for form in task_forms.catalog()]


def args_without(*names: str) -> dict:
    return {k: v for k, v in request.args.items() if k not in names and v}
