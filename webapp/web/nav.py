"""The navigation bar: entries registered by blueprints, shown to whoever the access table lets in.

Other page sets (designer, admin, dashboard) add theirs with `register(...)` when their
blueprint module is imported; base.html renders whatever the current user may open. Who sees an
entry is not said here: the access table (services/security/policy/route_table.py) decides who
may open the page (its roles and a check of the caller alone), and the entry is shown to exactly
those (webapp/access.allows).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_login import current_user

from .. import access
from ..services.ledger import queries
from ..services.notifications import centre
from ..services.security import policy


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy_gettext string
    order: int = 100
    prefix: str | None = None  # URL prefix that marks the entry as current

    def visible_to(self, user) -> bool:
        return access.allows(self.endpoint, user)


_items: list[NavItem] = []


def register(endpoint: str, label, *, order: int = 100, prefix: str | None = None) -> None:
    if any(i.endpoint == endpoint for i in _items):
        return
    _items.append(NavItem(endpoint, label, order, prefix))
    _items.sort(key=lambda i: i.order)


def home_url(user) -> str:
    """Where a user starts: an owner's day is per project (what is asked of me, until when, the
    notices), not a task list; everyone else's is the inbox."""
    from flask import url_for

    return url_for("owner.projects") if policy.is_owner_side(user) else url_for("inbox.index")


def init_app(app) -> None:
    @app.context_processor
    def _navigation():
        if not current_user.is_authenticated:
            return {"nav_items": [], "inbox_total": 0, "notification_unread": 0}
        items = [i for i in _items if i.visible_to(current_user)]
        return {
            "nav_items": items,
            "nav_current": _current(items),
            "inbox_total": queries.inbox_count(current_user),
            "notification_unread": centre.unread_count(current_user),
        }


def _current(items) -> str | None:
    path = request.path
    best = None
    for item in items:
        if item.prefix and path.startswith(item.prefix) and (best is None or len(item.prefix) > len(best.prefix)):
            best = item
    return best.endpoint if best else (request.endpoint if request else None)
