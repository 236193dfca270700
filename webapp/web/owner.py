"""The owner's portal: register a project in steps, my projects (the owner's home: per project what
is asked of me and until when, its notices and documents), notices issued to me by project."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..services.casefile import notices as documents
from ..services.casefile import timeline
from ..services.designer import task_forms
from ..services.errors import ValidationFailed
from ..services.ledger import queries
from ..services.lifecycle import instances
from ..services.security import policy
from ..services.security.audit import client_ip
from . import formkit, nav
from .common import page_number
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("owner", __name__, url_prefix="/owner")
handle_refusals(bp)
nav.register("owner.projects", _l("My projects"), order=20, prefix="/owner/projects")
nav.register("owner.register", _l("Register a project"), order=25, prefix="/owner/register")
nav.register("owner.notices", _l("Notices"), order=30, prefix="/owner/notices")
PER_PAGE = 20

# The registration form in steps a person can fill in on a phone; fields not named here (added to
# the form later by a designer) land in the last step, so none is ever lost.
STEPS = (
    (_l("Project"), ("object_type", "category", "title", "description")),
    (_l("Location"), ("street", "community", "address", "latitude", "longitude", "place_type", "estate")),
    (
        _l("Owner and contractor"),
        (
            "owner_type",
            "owner_name",
            "owner_id_no",
            "owner_phone",
            "contractor_type",
            "contractor_name",
            "site_manager_name",
            "site_manager_phone",
            "worker_count",
        ),
    ),
    (
        _l("Scale, dates and risks"),
        (
            "investment_wan",
            "floor_area_m2",
            "planned_start",
            "planned_end",
            "risk_flags",
            "is_temporary",
            "has_safety_insurance",
            "insurance_policy_no",
        ),
    ),
    (_l("Commitment"), ("commitment_signed",)),
)


def _steps(definition, owner: bool = True) -> list[tuple[object, list[str]]]:
    """The steps of the form; staff registering for an owner are not shown the owner's own
    commitment (`ownerOnly`: the owner makes it when claiming the project)."""
    keys = [k for k in definition.field_keys() if owner or not definition.field(k).owner_only]
    named = {k for _, ks in STEPS for k in ks}
    steps = [(title, [k for k in ks if k in keys]) for title, ks in STEPS]
    steps[-1][1][:0] = [k for k in keys if k not in named]
    return [(title, ks) for title, ks in steps if ks]


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    definition = task_forms.for_new_projects().get("registration")
    steps = _steps(definition, owner=policy.is_owner_side(current_user))
    options = instances.registration_options(current_user)
    data, errors, step = {}, {}, 0
    if request.method == "POST":
        data, _ids, _upload = formkit.read_submission(definition, request.form, None, current_user, lang())
        try:
            step = min(max(int(request.form.get("step", 0)), 0), len(steps) - 1)
        except ValueError:
            step = 0
        move = request.form.get("move", "next")
        if move == "back":
            step = max(step - 1, 0)
        elif move == "next" and step < len(steps) - 1:
            errors = _errors(data, options)
            mine = {k: v for k, v in errors.items() if k in steps[step][1]}
            errors = mine
            if not mine:
                step += 1
        else:
            try:
                project = instances.register_project(current_user, data, lang=lang(), ip=client_ip())
            except ValidationFailed as exc:
                errors = exc.errors
                step = next((i for i, (_t, keys) in enumerate(steps) if set(keys) & set(errors)), step)
            else:
                flash(
                    _(
                        "Registered. Your registration number is %(reg_no)s; the street's inspectors will visit "
                        "the site.",
                        reg_no=project.reg_no,
                    ),
                    "success",
                )
                return redirect(url_for("ledger.project", project_id=project.id))
    shown = steps[step][1]
    return render_template(
        "owner/register.html",
        steps=steps,
        step=step,
        data=data,
        errors=errors,
        fields=formkit.field_views(definition, data, errors, lang(), options=options, keys=shown),
        intro=[v for v in formkit.field_views(definition, {}, {}, lang()) if v["type"] == "text"] if step == 0 else [],
        hidden=[k for k in definition.field_keys() if k not in shown],
        summary=formkit.data_rows(definition, data, lang()) if step == len(steps) - 1 else [],
    ), (422 if errors else 200)


def _errors(data: dict, options: dict) -> dict:
    try:
        task_forms.validate("registration", data, lang=lang(), options=options)
    except ValidationFailed as exc:
        return exc.errors
    return {}


@bp.route("/projects")
@login_required
def projects():
    result = queries.ledger(current_user, page=page_number(), per_page=PER_PAGE)
    ids = [p["id"] for p in result.items]
    orders, docs, _projects = _by_project(ids)
    return render_template(
        "owner/projects.html",
        result=result,
        tasks=queries.tasks_for_projects(current_user, ids),
        orders=orders,
        documents=docs,
    )


@bp.route("/notices")
@login_required
def notices():
    orders, docs, projects = _by_project()
    return render_template("owner/notices.html", projects=projects, orders=orders, documents=docs)


def _by_project(ids: list[int] | None = None) -> tuple[dict[int, list], dict[int, list], list]:
    """The owner's orders (from the history) and documents, each project's newest first; only
    `ids`' projects when given. `projects` lists those that have either, newest notice first."""
    orders: dict[int, list] = {}
    docs: dict[int, list] = {}
    projects: dict[int, object] = {}
    for notice in timeline.owner_notices(current_user):
        project = notice["project"]
        if ids is None or project.id in ids:
            orders.setdefault(project.id, []).append(notice)
            projects.setdefault(project.id, project)
    for document, project in documents.for_owner(current_user):
        if ids is None or project.id in ids:
            docs.setdefault(project.id, []).append(document)
            projects.setdefault(project.id, project)
    return orders, docs, list(projects.values())
