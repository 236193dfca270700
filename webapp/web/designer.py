"""Designer pages (role `designer`): versions, upload, the BPMN/DMN/form editors, migration.

Thin: the editors run in the browser (bpmn-js, dmn-js, form-js, vendored); checking and
deploying go through services.designer.deployment, migrating through
services.lifecycle.instance_migration, exactly as the JSON API does. The editors post with fetch, sending the CSRF token in the X-CSRFToken header.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..domain.catalog import is_form_file
from ..domain.errors import BundleError
from ..services.designer import deployment, versions
from ..services.designer import scenarios as scenario_tests
from ..services.errors import Conflict, NotFound
from ..services.lifecycle import instance_migration
from ..services.security import policy
from ..services.security.audit import client_ip
from . import nav
from .errors import handle_refusals
from .filters import PRIORITIES, STAGES

bp = Blueprint("designer", __name__, url_prefix="/designer")
handle_refusals(bp)
nav.register("designer.index", _l("Process design"), order=80, prefix="/designer")


@bp.route("")
def index():
    return _index()


def _index(status: int = 200, **extra):
    return render_template(
        "designer/index.html",
        sections=_sections(deployment.list_versions(current_user)),
        line=policy.line_of(current_user),
        line_name=deployment.line_name(policy.line_of(current_user)),
        **dict({"problems": None}, **extra),
    ), status


@bp.route("/upload", methods=["POST"])
def upload():
    """The upload form: files laid over the newest version, deployed when valid."""
    uploads = _uploads()
    if uploads is None:
        flash(_("The upload is too large."), "error")
        return redirect(url_for("designer.index"))
    try:
        version, created = deployment.deploy(
            current_user, uploads, note=request.form.get("note") or None, **_override()
        )
    except BundleError as exc:
        flash(_("Nothing was deployed: the upload has %(n)s problem(s).", n=len(exc.problems)), "error")
        return _index(422, problems=exc.problems)
    except deployment.ScenariosFailed as exc:
        flash(str(exc), "error")
        return _index(422, scenarios=exc.report)
    except Conflict as exc:  # identical to an older version
        flash(str(exc), "error")
        return redirect(url_for("designer.index"))
    if created:
        flash(_("Deployed as version %(v)s.", v=version.version), "success")
    else:
        flash(_("Nothing changed: the upload is identical to version %(v)s.", v=version.version), "warning")
    return redirect(url_for("designer.version", version_id=version.id))


@bp.route("/record", methods=["POST"])
def record():
    """录制场景: a project's history as a scenario file, downloaded for processes/scenarios/."""
    try:
        recorded = scenario_tests.record(current_user, reg_no=request.form.get("reg_no"))
    except NotFound:
        flash(_("No project has this registration number."), "error")
        return redirect(url_for("designer.index"))
    name = recorded["scenario"]["name"] + ".json"
    return Response(
        json.dumps(recorded["scenario"], ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/versions/<int:version_id>")
def version(version_id):
    row = deployment.version_detail(current_user, version_id)
    against = request.args.get("against", type=int)
    diff = deployment.version_diff(current_user, version_id, against)
    mine = policy.line_of(current_user) == row["district_code"]
    # An older version's preview says which projects could move if it were deployed again.
    preview = instance_migration.preview_version(current_user, version_id) if mine else None
    return render_template(
        "designer/version.html",
        version=row,
        preview=preview,
        can_rollback=not row["is_latest"] and (mine or row["district_code"] is None),
        line_name=deployment.line_name(row["district_code"]),
        my_line=deployment.line_name(policy.line_of(current_user)),
        diff=diff,
        diagrams=_diagrams(diff, row["files"]),
        older=[
            v
            for v in deployment.list_versions(current_user)
            if v["process_id"] == row["process_id"] and v["id"] != row["id"]
        ],
    )


@bp.route("/versions/<int:version_id>/rollback", methods=["POST"])
def rollback(version_id):
    """重新部署为新版本: an earlier version's files deployed again as the newest of the user's line."""
    try:
        version = deployment.rollback(current_user, version_id, note=request.form.get("note") or None, **_override())
    except BundleError as exc:
        flash(_("Nothing was deployed: the upload has %(n)s problem(s).", n=len(exc.problems)), "error")
        for problem in exc.problems[:10]:
            flash(f"{problem.element_id or problem.file or ''} {problem.message}", "error")
        return redirect(url_for("designer.version", version_id=version_id))
    except (deployment.ScenariosFailed, Conflict) as exc:
        flash(str(exc), "error")
        return redirect(url_for("designer.version", version_id=version_id))
    flash(_("Deployed again as version %(v)s. New projects start on it now.", v=version.version), "success")
    return redirect(url_for("designer.version", version_id=version.id))


@bp.route("/versions/<int:version_id>/migrate", methods=["POST"])
def migrate(version_id):
    deployment.require_line(current_user, deployment.get_version(current_user, version_id))
    ids = [int(i) for i in request.form.getlist("project_id") if i.isdigit()]
    if not ids:
        flash(_("Select at least one project."), "warning")
        return redirect(url_for("designer.version", version_id=version_id))
    results = instance_migration.migrate_selection(current_user, version_id, ids, ip=client_ip())
    moved = [r for r in results if r["migrated"]]
    refused = [r for r in results if not r["migrated"]]
    if moved:
        flash(_("%(n)s project(s) moved to this version.", n=len(moved)), "success")
    for row in refused:
        flash(f"{row['reg_no']}: {row['reason']}", "error")
    return redirect(url_for("designer.version", version_id=version_id))


@bp.route("/versions/<int:version_id>/files/<path:name>")
def download(version_id, name):
    text = deployment.version_file(current_user, version_id, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    # Always an attachment, never a page of this site: a process file is a designer's XML, and an
    # XHTML <script> in it would run here if a browser rendered it (the editors fetch() it alike).
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name.rsplit('/', 1)[-1])}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(text, mimetype=mimetype, headers=headers)


@bp.route("/versions/<int:version_id>/bpmn")
def modeler(version_id):
    return _editor("designer/modeler.html", version_id, ".bpmn")


@bp.route("/versions/<int:version_id>/dmn")
def decisions(version_id):
    return _editor("designer/decisions.html", version_id, ".dmn")


@bp.route("/versions/<int:version_id>/form")
def form_editor(version_id):
    return _editor("designer/form.html", version_id, ".json")


@bp.route("/check", methods=["POST"])
def check():
    """The editors' 校验 button: validate the edited file laid over its version, deploy nothing."""
    uploads = _uploads()
    if uploads is None:
        return jsonify(
            problems=[
                {"file": None, "element_id": None, "element_name": None, "message": _("The upload is too large.")}
            ]
        ), 413
    try:
        prepared = deployment.prepare_for(current_user, uploads, request.form.get("process_id") or None)
    except BundleError as exc:
        return jsonify(problems=[p.as_dict() for p in exc.problems])
    return jsonify(problems=[p.as_dict() for p in prepared.problems], scenarios=prepared.scenarios)


@bp.route("/deploy", methods=["POST"])
def deploy():
    """The editors' 部署 button: JSON twin of the upload form."""
    uploads = _uploads()
    if uploads is None:
        return jsonify(problems=[], message=_("The upload is too large.")), 413
    try:
        version, created = deployment.deploy(
            current_user,
            uploads,
            note=request.form.get("note") or None,
            process_id=request.form.get("process_id") or None,
            **_override(),
        )
    except BundleError as exc:
        return jsonify(problems=[p.as_dict() for p in exc.problems]), 422
    except deployment.ScenariosFailed as exc:
        return jsonify(problems=[], message=str(exc), scenarios=exc.report), 422
    except Conflict as exc:
        return jsonify(problems=[], message=str(exc)), 409
    return jsonify(
        version=version.version, id=version.id, created=created, url=url_for("designer.version", version_id=version.id)
    ), 201 if created else 200


# -- helpers --------------------------------------------------------------------------------------
def _diagrams(diff: dict, files: list[str]) -> list[dict]:
    """Each changed BPMN file as two drawings: this version with what was added or changed marked,
    the version compared with with what was removed or changed marked."""
    out = []
    for name, changes in diff["bpmn"].items():
        new = {e["id"]: "added" for e in changes["added"]} | {e["id"]: "changed" for e in changes["changed"]}
        old = {e["id"]: "removed" for e in changes["removed"]} | {e["id"]: "changed" for e in changes["changed"]}
        out.append(
            {
                "file": name,
                "new_url": url_for("designer.download", version_id=diff["version"]["id"], name=name)
                if name in files
                else None,
                "old_url": url_for("designer.download", version_id=diff["against"]["id"], name=name)
                if changes["removed"] or changes["changed"] or name not in files
                else None,
                "new_marks": json.dumps(new),
                "old_marks": json.dumps(old),
            }
        )
    return out


def _override() -> dict:
    """The deploy forms' 忽略失败的场景 checkbox and its reason."""
    return {
        "override": request.form.get("override_failing_scenarios") in ("1", "on", "true"),
        "override_reason": request.form.get("override_reason"),
    }


def _editor(template: str, version_id: int, suffix: str):
    row = deployment.version_detail(current_user, version_id)
    files = [n for n in row["files"] if n.endswith(suffix) and (suffix != ".json" or is_form_file(n))]
    name = request.args.get("file") or (files[0] if files else None)
    if name not in files:
        abort(404)
    config = {
        "fileUrl": url_for("designer.download", version_id=version_id, name=name),
        "fileName": name.rsplit("/", 1)[-1],
        "processId": row["process_id"],
        "checkUrl": url_for("designer.check"),
        "deployUrl": url_for("designer.deploy"),
        "csrf": generate_csrf(),
        "palette": dict(
            deployment.palette(deployment.get_version(current_user, version_id)),
            stages=[[code, str(label)] for code, label in STAGES.items()],
        ),
        "strings": _editor_strings(),
    }
    return render_template(
        template,
        version=row,
        file=name,
        files=files,
        config=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
    )


def _editor_strings() -> dict:
    """The editors' texts, translated here so the JavaScript carries no language of its own."""
    return {
        "checking": _("Validating…"),
        "deploying": _("Deploying…"),
        "confirmDeploy": _(
            "Deploy this as a new version? New projects start on it at once; running projects "
            "stay on their version until migrated."
        ),
        "noProblems": _("No problems found: this can be deployed."),
        "hasProblems": _("%(n)s problem(s) found; they are marked on the diagram."),
        "scenariosFail": _("%(n)s scenario test(s) fail; where each went elsewhere is marked on the diagram."),
        "scenario": _("Scenario"),
        "notDeployed": _("Not deployed: %(n)s problem(s) found; they are marked on the diagram."),
        "deployed": _("Deployed as version %(v)s. New projects start on it now."),
        "unchanged": _("Nothing changed: identical to version %(v)s."),
        "openVersion": _("Open the version"),
        "failed": _("The request failed."),
        "loadFailed": _("The file could not be loaded."),
        "wholeUpload": _("The whole upload"),
        "inspector": _("Element settings"),
        "selectHint": _("Select a lane, task, flow or event to edit what the engine reads from it."),
        "name": _("Name"),
        "lane": _("Lane"),
        "noLane": _("none — nobody can do this task"),
        "noRole": _("no role"),
        "laneRole": _("Lane (role)"),
        "laneHint": _("The lane's name decides whose inbox its tasks go to."),
        "form": _("Form"),
        "noForm": _("— no form —"),
        "unknownForm": _("unknown form"),
        "stage": _("Stage"),
        "status": _("Status shown in the ledger"),
        "dueIn": _("Time limit (dueIn)"),
        "dueHint": _("A variable name, or a quoted ISO 8601 duration such as 'P3D'"),
        "priority": _("Priority"),
        "priorityNormal": str(PRIORITIES["normal"]),
        "priorities": {code: str(label) for code, label in PRIORITIES.items()},
        "noStage": _("— keep the previous stage —"),
        "script": _("Script (Python, restricted)"),
        "decision": _("Decision table"),
        "noDecision": _("— choose a decision —"),
        "unknownDecision": _("unknown decision"),
        "condition": _("Condition (Python expression)"),
        "conditionHint": _("For example: outcome == 'unregistered'"),
        "defaultFlow": _("Default flow of the gateway"),
        "timerKind": _("Timer type"),
        "timeDuration": _("Duration"),
        "timeDate": _("Date and time"),
        "timeCycle": _("Cycle"),
        "timerExpression": _("Timer expression"),
        "timerHint": _("A variable name, or a quoted literal such as 'P3D'"),
        "topic": _("Topic (external workers fetch the task by it)"),
        "variables": _("Data sent to the worker (names, separated by spaces)"),
        "resultForm": _("Form that checks the worker's answer"),
        "messageForm": _("Form that checks the message's data"),
        "prePostScripts": _("Scripts before and after"),
        "preScript": _("Before (preScript)"),
        "postScript": _("After (postScript)"),
        "types": {
            "UserTask": _("User task"),
            "ManualTask": _("Manual task"),
            "ScriptTask": _("Script task"),
            "BusinessRuleTask": _("Business rule task"),
            "ServiceTask": _("Service task"),
            "Task": _("Task"),
            "SequenceFlow": _("Sequence flow"),
            "ExclusiveGateway": _("Exclusive gateway"),
            "ParallelGateway": _("Parallel gateway"),
            "InclusiveGateway": _("Inclusive gateway"),
            "StartEvent": _("Start event"),
            "EndEvent": _("End event"),
            "BoundaryEvent": _("Boundary event"),
            "IntermediateCatchEvent": _("Intermediate event"),
            "Lane": _("Lane"),
            "Participant": _("Pool"),
            "CallActivity": _("Call activity"),
            "SubProcess": _("Sub-process"),
        },
        "formLoadFailed": _("The form editor cannot open this form; edit its JSON below."),
        "preview": _("Preview"),
        "checklistPlaceholder": _("Patrol checklist: the items are chosen by the system from the project's risks."),
    }


def _uploads() -> list[tuple[str, bytes]] | None:
    if (request.content_length or 0) > deployment.MAX_UPLOAD_BYTES:
        return None
    return [(f.filename, f.read(deployment.MAX_FILE_BYTES + 1)) for f in request.files.getlist("files")]


def _sections(rows: list[dict]) -> list[dict]:
    """One section per process and line: the main process's city line first, then its variants."""
    grouped: dict[tuple[str, str | None], dict] = {}
    for row in rows:
        key = (row["process_id"], row["district_code"])
        grouped.setdefault(
            key,
            {
                "process_id": row["process_id"],
                "district_code": row["district_code"],
                "district_name": row["district_name"],
                "rows": [],
            },
        )["rows"].append(row)
    main = versions.MAIN_PROCESS
    return [grouped[key] for key in sorted(grouped, key=lambda k: (k[0] != main, k[0], k[1] or ""))]
