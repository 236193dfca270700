"""The project ledger (台账) for street, district and city users: list, detail, Excel export."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.casefile import timeline
from ..services.ledger import exports, queries
from ..services.lifecycle import hazards as hazard_records
from ..services.lifecycle import inspections
from ..services.participation import supervision
from ..services.security import audit, policy, privacy
from ..services.security.audit import client_ip
from . import formkit, nav
from .common import page_number, streets_for
from .errors import handle_refusals
from .filters import CHANNELS, RISKS, STAGES, local, org_names
from .i18n import lang

bp = Blueprint("ledger", __name__)
handle_refusals(bp)
PER_PAGE = 25
nav.register("ledger.index", _l("Project ledger"), order=40, prefix="/ledger")


def _filters() -> dict:
    return {k: request.args.get(k, "").strip() or None for k in queries.LEDGER_FILTERS}


@bp.route("/ledger")
@login_required
def index():
    filters = _filters()
    result = queries.ledger(current_user, page=page_number(), per_page=PER_PAGE, **filters)
    return render_template(
        "ledger/index.html",
        result=result,
        filters=filters,
        streets=streets_for(current_user),
        stages=STAGES,
        risks=RISKS,
        channels=CHANNELS,
        statuses=queries.ledger_statuses(current_user),
    )


@bp.route("/ledger/export.xlsx")
@login_required
def export():
    headers = [
        _("Registration no."),
        _("Name"),
        _("Source"),
        _("Type"),
        _("Category"),
        _("Address"),
        _("District"),
        _("Street"),
        _("Community"),
        _("Stage"),
        _("Status"),
        _("Risk level"),
        _("Planned start"),
        _("Planned end"),
        _("Registered at"),
        _("Updated at"),
        _("Closed at"),
    ]
    # Every label resolved once, not per row: a city-wide export has tens of thousands of rows.
    reg = formkit.definition_of("registration")
    names = org_names()
    choices = {
        key: {o["value"]: str(formkit.display_value(reg, key, o["value"], lang())) for o in reg.field(key).options}
        for key in ("object_type", "category")
    }
    channels, stages, risks = ({k: str(v) for k, v in d.items()} for d in (CHANNELS, STAGES, RISKS))

    # Bad filters are refused here, before any byte is sent.
    count, projects = queries.ledger_export(current_user, **_filters())

    def rows():
        for p in projects:
            yield (
                p.reg_no,
                p.title,
                channels.get(p.channel, p.channel),
                choices["object_type"].get(p.object_type),
                choices["category"].get(p.category),
                p.address,
                names.get(p.district_code),
                names.get(p.street_code),
                names.get(p.community_code),
                stages.get(p.stage, p.stage),
                p.status,
                risks.get(p.risk_level, p.risk_level),
                p.planned_start,
                p.planned_end,
                local(p.created_at),
                local(p.updated_at),
                local(p.closed_at),
            )

    stamp = local(datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M")
    audit.record(
        "export",
        user=current_user,
        object_type="ledger",
        object_id=f"ledger-{stamp}.xlsx",
        details={"filters": {k: v for k, v in _filters().items() if v}},
    )
    # Streamed as it is written: the download starts at once; the page shows its progress against
    # the row count (X-Export-Rows, static/js/export.js).
    body = exports.xlsx_stream(
        _("Project ledger"),
        headers,
        rows(),
        widths=(24, 30, 12, 12, 16, 30, 10, 12, 12, 12, 18, 10, 12, 12, 18, 18, 18),
    )
    return Response(
        body,
        mimetype=exports.MIMETYPE,
        headers={
            "Content-Disposition": f"attachment; filename=ledger-{stamp}.xlsx",
            "Cache-Control": "no-store",
            "X-Export-Rows": str(min(count, exports.MAX_ROWS)),
        },
    )


@bp.route("/projects/<int:project_id>")
@login_required
def project(project_id):
    project = queries.visible_project(current_user, project_id)
    facts = privacy.for_viewer(current_user, project, queries.project_data(project))
    bundle = timeline.bundle_of(project)
    rows = formkit.describe_events(
        privacy.events_for_viewer(current_user, project, timeline.timeline(project, bundle)), lang()
    )
    return render_template(
        "ledger/project.html",
        project=project,
        registration=formkit.registration_rows(facts, lang()),
        tasks=queries.project_tasks(project),
        patrols=[r for r in rows if r["kind"] == "task_completed" and r["element_id"] in ("first_visit", "patrol")],
        # Hazard records; a project of an older process version has its hazards from the history only.
        records=hazard_records.for_project(project.id),
        hazards=timeline.hazards(rows),
        can_inspect=policy.is_street_staff(current_user, project) and project.closed_at is None,
        notices=timeline.notices(rows),
        events=rows,
        markers=timeline.markers(project, rows),
        supervision=supervision.panel(current_user, project),
    )


@bp.route("/projects/<int:project_id>/inspect", methods=["POST"])
@login_required
def inspect(project_id):
    """Ask for an ad-hoc inspection (临时巡查): a task for the street's inspectors."""
    project = queries.visible_project(current_user, project_id)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash(_("Say why the site should be inspected."), "error")
    else:
        inspections.request_by_staff(current_user, project, reason, ip=client_ip())
        flash(_("Ad-hoc inspection requested."), "success")
    return redirect(url_for("ledger.project", project_id=project_id))


@bp.route("/projects/<int:project_id>/diagram.xml")
@login_required
def diagram(project_id):
    project = queries.visible_project(current_user, project_id)
    xml = timeline.diagram_xml(project)
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "private, max-age=600"})
