"""GET /api/v1/dashboard: the caller's dashboard figures, each with the ledger filters behind it."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from ..services.oversight import dashboard
from .auth import token_required
from .schemas import DashboardQuery

blp = Blueprint("dashboard_api", __name__, description="KPIs of the caller's jurisdiction")


@blp.route("/dashboard", methods=["GET"])
@blp.arguments(DashboardQuery, location="query")
@token_required
def show(args):
    """Figures for the period [since, until) (Beijing dates; default this month), of the whole
    jurisdiction or of one `street` in it. Each figure is
    `{value, filters}`: GET /api/v1/projects with those filters lists the projects it counts."""
    return dashboard.build(
        g.user, since=_iso(args.get("since")), until=_iso(args.get("until")), street=args.get("street")
    )


def _iso(day):
    return day.isoformat() if day else None
