"""Process versions for designers: upload (validate, deploy), list, download, migrate projects."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, g, jsonify, request
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from ..domain.errors import BundleError
from ..services.designer import deployment
from ..services.designer import scenarios as scenario_tests
from ..services.lifecycle import instance_migration
from ..services.security.audit import client_ip
from .auth import token_required

blp = Blueprint("process_versions", __name__, description="Process designer: versions, deployment, migration")


class ProblemSchema(Schema):
    file = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    message = fields.String()


class VersionSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    version = fields.Integer()
    content_hash = fields.String()
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    is_latest = fields.Boolean()
    running_projects = fields.Integer()
    files = fields.List(fields.String())
    forms = fields.List(fields.String())
    changes = fields.Dict(allow_none=True)
    created = fields.Boolean()
    district_code = fields.String(
        allow_none=True,
        metadata={"description": "the district whose variant this version is; null: the city's version, the default"},
    )
    district_name = fields.String(allow_none=True)
    rollback_of = fields.Integer(allow_none=True, metadata={"description": "the version deployed again"})


class DiffSchema(Schema):
    version = fields.Nested("VersionLabel")
    against = fields.Nested(
        "VersionLabel",
        allow_none=True,
        metadata={"description": "the version compared with: by default the one this version was deployed over"},
    )
    bpmn = fields.Dict(metadata={"description": "per BPMN file: {added, removed, changed: [{id, name, type, what}]}"})
    dmn = fields.List(
        fields.Dict(),
        metadata={
            "description": "per decision: {file, decision_id, name, status, rows_added, rows_removed, rows_changed "
            "(before/after cells), columns_changed}"
        },
    )
    forms = fields.List(
        fields.Dict(),
        metadata={"description": "per form: {form, file, status, added, removed, changed: [{key, label, type, what}]}"},
    )


class DiffQuery(Schema):
    against = fields.Integer(load_default=None, metadata={"description": "id of the version to compare with"})


class RollbackRequest(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))
    override_failing_scenarios = fields.Boolean(load_default=False)
    override_reason = fields.String(load_default=None)


class VersionLabel(Schema):
    id = fields.Integer()
    version = fields.Integer()
    district_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class RunningCount(Schema):
    version = fields.Integer()
    variant = fields.Boolean(metadata={"description": "a version of the district's variant"})
    projects = fields.Integer()


class DistrictLine(Schema):
    district_code = fields.String()
    district_name = fields.String()
    has_variant = fields.Boolean()
    new_projects_version = fields.Nested(VersionLabel, metadata={"description": "what its new projects start on"})
    variant = fields.Nested(VersionLabel, allow_none=True)
    variant_versions = fields.Integer()
    running = fields.List(fields.Nested(RunningCount))


class DistrictLines(Schema):
    process_id = fields.String()
    city_version = fields.Nested(VersionLabel)
    districts = fields.List(fields.Nested(DistrictLine))


class MigrateRequest(Schema):
    version = fields.Integer(required=True, metadata={"description": "version number of the project's process"})
    dry_run = fields.Boolean(load_default=False)


class SelectionRequest(Schema):
    project_ids = fields.List(fields.Integer(), required=True)


class MigrationRow(Schema):
    project_id = fields.Integer()
    reg_no = fields.String()
    title = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    ok = fields.Boolean()
    migrated = fields.Boolean()
    reason = fields.String(allow_none=True)
    before = fields.List(fields.Dict())
    after = fields.List(fields.Dict())
    affected = fields.List(fields.Dict())
    changes = fields.Dict()


class MigrationPreview(Schema):
    version = fields.Dict()
    changes = fields.Dict()
    projects = fields.List(fields.Nested(MigrationRow))


_UPLOAD_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "BPMN (.bpmn), DMN (.dmn) and form (.json) files",
                        },
                        "note": {"type": "string"},
                        "process_id": {"type": "string", "description": "the process to lay the files over"},
                        "dry_run": {
                            "type": "boolean",
                            "description": "validate only; answer 200 with problems and the scenario tests' results",
                        },
                        "override_failing_scenarios": {
                            "type": "boolean",
                            "description": "deploy although scenario tests fail (needs a reason)",
                        },
                        "override_reason": {
                            "type": "string",
                            "description": "why failing scenarios are overridden (kept in the deployment's history)",
                        },
                    },
                }
            }
        },
    },
    "responses": {
        "422": {
            "description": "the upload has problems: {problems: [{file, element_id, "
            "element_name, message}]}, or scenario tests fail without an override: "
            "{message, scenarios: {results: [{name, title, passed, failures, "
            "diverged_at, expected_next, actual_next, path}], passed, failed}}"
        }
    },
}


@blp.route("/process-versions", methods=["POST"])
@blp.response(201, VersionSchema)
@blp.doc(**_UPLOAD_DOC)
@token_required
def upload():
    """Validate the uploaded files laid over the newest version and deploy them as a new version."""
    deployment.require_designer(g.user)
    if (request.content_length or 0) > deployment.MAX_UPLOAD_BYTES:
        abort(413, message=f"上传内容过大：最多 {deployment.MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    uploads = [(f.filename, f.read(deployment.MAX_FILE_BYTES + 1)) for f in request.files.getlist("files")]
    process_id = request.form.get("process_id") or None
    dry_run = _flag("dry_run")
    try:
        if dry_run:
            prepared = deployment.prepare_for(g.user, uploads, process_id)
            return jsonify(
                problems=[p.as_dict() for p in prepared.problems],
                files=sorted(prepared.files),
                scenarios=prepared.scenarios,
            ), 200
        version, created = deployment.deploy(
            g.user,
            uploads,
            note=request.form.get("note") or None,
            process_id=process_id,
            override=_flag("override_failing_scenarios"),
            override_reason=request.form.get("override_reason"),
        )
    except deployment.ScenariosFailed as exc:
        return jsonify(
            code=422, status="Unprocessable Entity", message=str(exc), problems=[], scenarios=exc.report
        ), 422
    except BundleError as exc:
        # A dry run answers 200 either way: the problems are its result.
        return jsonify(
            code=422,
            status="Unprocessable Entity",
            message="上传的流程有问题，未部署",
            problems=[p.as_dict() for p in exc.problems],
        ), 200 if dry_run else 422
    row = deployment.version_detail(g.user, version.id)
    row["created"] = created
    return row, 201 if created else 200


@blp.route("/projects/<int:project_id>/scenario", methods=["GET"])
@token_required
def record_scenario(project_id):
    """A scenario test recorded from the project's history ({scenario, replayed, error}): its start
    data, each task's answer, each timer fired, and as `expect` what a replay on the project's
    process version does. Personal numbers are masked. For processes/scenarios/."""
    return jsonify(scenario_tests.record(g.user, project_id=project_id))


def _flag(name: str) -> bool:
    return request.form.get(name) in ("1", "true", "yes", "on")


@blp.route("/process-versions", methods=["GET"])
@blp.response(200, VersionSchema(many=True))
@token_required
def versions():
    """Every deployed version, newest first per process, with running projects per version."""
    return deployment.list_versions(g.user)


@blp.route("/process-versions/<int:version_id>", methods=["GET"])
@blp.response(200, VersionSchema)
@token_required
def one_version(version_id):
    """One version: its files, forms and what its deployment changed."""
    return deployment.version_detail(g.user, version_id)


@blp.route("/process-versions/<int:version_id>/files/<path:name>", methods=["GET"])
@token_required
def download(version_id, name):
    """One file of a version (BPMN, DMN or forms/<key>.json), as an attachment."""
    text = deployment.version_file(g.user, version_id, name)
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    filename = name.rsplit("/", 1)[-1]
    return Response(
        text,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/process-versions/<int:version_id>/migration", methods=["GET"])
@blp.response(200, MigrationPreview)
@token_required
def migration_preview(version_id):
    """For every running project on another version: can it move here, and what changes for it."""
    return instance_migration.preview_version(g.user, version_id)


@blp.route("/process-versions/<int:version_id>/migration", methods=["POST"])
@blp.arguments(SelectionRequest)
@blp.response(200, MigrationRow(many=True))
@token_required
def migrate_selection(body, version_id):
    """Migrate the selected projects to this version; each refused one says why."""
    return instance_migration.migrate_selection(g.user, version_id, body["project_ids"], ip=client_ip())


@blp.route("/projects/<int:project_id>/migrate", methods=["POST"])
@blp.arguments(MigrateRequest)
@blp.response(200, MigrationRow)
@blp.doc(responses={"409": {"description": "refused: `reason` and the preview"}})
@token_required
def migrate_project(body, project_id):
    """Move one project to another version of its process (`dry_run`: preview only)."""
    try:
        return instance_migration.migrate_project(
            g.user, project_id, body["version"], dry_run=body["dry_run"], ip=client_ip()
        )
    except instance_migration.MigrationConflict as exc:
        return jsonify(
            dict(MigrationRow().dump(exc.preview), code=409, status="Conflict", message=exc.preview["reason"])
        ), 409


@blp.route("/process-versions/<int:version_id>/rollback", methods=["POST"])
@blp.arguments(RollbackRequest)
@blp.response(201, VersionSchema)
@blp.doc(
    responses={
        "409": {"description": "the version's content is already the newest of the line"},
        "422": {
            "description": "the version no longer validates (problems) or its scenario tests "
            "fail without an override (scenarios)"
        },
    }
)
@token_required
def rollback(body, version_id):
    """Deploy an earlier version's files again, exactly, as the newest version of the caller's line
    (the city's, or the caller's district variant); then preview and migrate running projects."""
    try:
        version = deployment.rollback(
            g.user,
            version_id,
            note=body["note"],
            override=body["override_failing_scenarios"],
            override_reason=body["override_reason"],
        )
    except deployment.ScenariosFailed as exc:
        return jsonify(
            code=422, status="Unprocessable Entity", message=str(exc), problems=[], scenarios=exc.report
        ), 422
    except BundleError as exc:
        return jsonify(
            code=422,
            status="Unprocessable Entity",
            message="该版本未通过校验，未部署",
            problems=[p.as_dict() for p in exc.problems],
        ), 422
    row = deployment.version_detail(g.user, version.id)
    row["created"] = True
    return row


@blp.route("/process-variants", methods=["GET"])
@blp.response(200, DistrictLines)
@token_required
def district_lines():
    """Which version each district runs: what its new projects start on (its variant's newest, else
    the city's version) and its running projects per version (a district's own users: theirs)."""
    return deployment.district_lines(g.user, request.args.get("process_id") or deployment.versions.MAIN_PROCESS)


@blp.route("/process-versions/<int:version_id>/diff", methods=["GET"])
@blp.arguments(DiffQuery, location="query")
@blp.response(200, DiffSchema)
@token_required
def diff(query, version_id):
    """What this version changed: diagram elements added, removed and changed (with what changed),
    decision-table rows and form fields, against the version it was deployed over or `against`."""
    return deployment.version_diff(g.user, version_id, query["against"])
