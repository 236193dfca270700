"""The dashboard page (street, district, city): figures as links to the ledger rows behind them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.ledger import exports
from ..services.oversight import dashboard, heatmap, kpi, reports
from ..services.participation import property_companies
from . import nav
from .common import report_year
from .errors import handle_refusals
from .filters import STAGES
from .i18n import lang

bp = Blueprint("dashboard", __name__)
handle_refusals(bp)
nav.register("dashboard.index", _l("Dashboard"), order=38, prefix="/dashboard")

# What each KPI filter means, for the line above the ledger that a figure opened.
KPI_LABELS = {
    "overdue": _l("Overdue task"),
    "assignee": _l("Claimed by"),
    "created_from": _l("Registered from"),
    "created_to": _l("Registered before"),
    "registered": _l("Registered"),
    "found": _l("Found sites"),
    "late": _l("late registrations"),
    "patrol": _l("Patrol"),
    "event": _l("Step"),
    "notice": _l("Notice"),
    "writeoff": _l("Write-off"),
    "since": _l("Period from"),
    "until": _l("Period until"),
    "hazard": _l("Hazards not closed"),
}


@bp.record_once
def _globals(state):
    state.app.jinja_env.globals.update(KPI_FILTERS=kpi.FILTERS, KPI_LABELS=KPI_LABELS)


@bp.route("/dashboard")
@login_required
def index():
    try:
        doc = dashboard.build(
            current_user, since=request.args.get("since") or None, until=request.args.get("until") or None
        )
    except ValueError:
        abort(400)
    return render_template("dashboard/index.html", d=doc, link=ledger_link, stages=STAGES, charts=_charts(doc))


@bp.route("/dashboard/diagram")
@login_required
def diagram():
    """The process diagram with, per step, the projects waiting there and the median time spent."""
    heat = heatmap.build(current_user, request.args.get("district") or None)
    return render_template("dashboard/diagram.html", heat=heat, districts=heatmap.districts_for(current_user))


@bp.route("/dashboard/monthly.xlsx")
@login_required
def monthly():
    """The monthly report (月报) of the jurisdiction as Excel: a row per street and the total."""
    month = request.args.get("month") or kpi.now().astimezone(kpi.CST).strftime("%Y-%m")
    rows = reports.monthly(current_user, month)
    headers = reports.COLUMNS_EN if lang() == "en" else reports.COLUMNS
    body = exports.xlsx(
        f"{month} {_('Monthly report')}",
        headers,
        ([_percent(v) for v in row] for row in rows),
        widths=(14,) + (12,) * (len(headers) - 1),
    )
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=monthly-{month}.xlsx", "Cache-Control": "no-store"},
    )


@bp.route("/dashboard/insurance.xlsx")
@login_required
def insurance():
    """Registrations of the period and the share with safety-liability insurance, per street."""
    try:
        since, until = dashboard.period(request.args.get("since") or None, request.args.get("until") or None)
    except ValueError:
        abort(400)
    rows = reports.insurance(current_user, since, until)
    headers = reports.INSURANCE_COLUMNS_EN if lang() == "en" else reports.INSURANCE_COLUMNS
    body = exports.xlsx(
        f"{since} {_('Insurance')}", headers, ([_percent(v) for v in row] for row in rows), widths=(14, 12, 16, 12)
    )
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=insurance-{since}-{until}.xlsx",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/dashboard/property.xlsx")
@login_required
def property_report():
    """The yearly property-company figures and stars the district housing bureau rates companies on."""
    year = report_year()
    rows = [r.row() for r in property_companies.yearly(current_user, year)]
    headers = property_companies.COLUMNS_EN if lang() == "en" else property_companies.COLUMNS
    body = exports.xlsx(f"{year} {_('Property companies')}", headers, rows, widths=(30,) + (12,) * (len(headers) - 1))
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=property-companies-{year}.xlsx",
            "Cache-Control": "no-store",
        },
    )


def _percent(value):
    """Rates as percentages with one decimal; counts as they are."""
    return round(value * 100, 1) if isinstance(value, float) else value


def ledger_link(fig: dict) -> str:
    return url_for("ledger.index", **fig["filters"])


def _charts(doc: dict) -> dict:
    """What dashboard.js draws: values and, for each bar or slice, the ledger link behind it."""

    def series(label, key):
        figs = [week[key] for week in doc["weekly"]]
        return {"label": str(label), "values": [f["value"] for f in figs], "links": [ledger_link(f) for f in figs]}

    return {
        "weekly": {
            "labels": [w["week"][5:] for w in doc["weekly"]],
            "series": [series(_("Registrations"), "registrations"), series(_("Leads"), "leads")],
        },
        "stage": {
            "labels": [str(STAGES.get(r["key"], r["key"])) for r in doc["by_stage"]],
            "values": [r["value"] for r in doc["by_stage"]],
            "links": [ledger_link(r) for r in doc["by_stage"]],
        },
    }
