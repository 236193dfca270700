"""Organisation pages of a district: units, users and roles, patrol teams, special areas, property
companies and estates. District administrators change their own district; the city reads."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..persistence.models import db
from ..persistence.organisation import Estate, PatrolTeam, PropertyCompany, SpecialArea
from ..services.district_rules import rulebook
from ..services.errors import ValidationFailed
from ..services.organisation import directory
from ..services.security import policy
from . import nav
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("org", __name__, url_prefix="/org")
handle_refusals(bp)
nav.register("org.index", _l("Organisation"), order=72, prefix="/org")
SECTIONS = (
    ("units", _l("Streets, communities and grids")),
    ("users", _l("Users and roles")),
    ("teams", _l("Patrol teams")),
    ("areas", _l("Special areas")),
    ("companies", _l("Property companies")),
)
AREA_KINDS = {"INDUSTRIAL_PARK": _l("Industrial park"), "SCHOOL": _l("School"), "HOSPITAL": _l("Hospital")}


@bp.route("")
@login_required
def index():
    district = current_user.org_unit.district_code
    if policy.is_district_staff(current_user) and district:
        return redirect(url_for("org.section", code=district, section="units"))
    first = rulebook.districts()[0].code
    return redirect(url_for("org.section", code=first, section="units"))


@bp.route("/<code>/<section>", methods=["GET", "POST"])
@login_required
def section(code, section):
    if section not in dict(SECTIONS):
        return redirect(url_for("org.section", code=code, section="units"))
    unit = directory.require_read(current_user, code)
    errors, form = {}, {}
    if request.method == "POST":
        form = _submitted()
        try:
            _save(code, section, form)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("org.section", code=code, section=section))
    elif request.args.get("edit"):
        form = _prefill(code, section, request.args["edit"])
    elif request.args.get("estate_for"):
        form = {"company_id": request.args["estate_for"]}
    units = directory.units(current_user, code)
    names = {u.code: u.name for u in units}
    return render_template(
        f"organisation/{section}.html",
        unit=unit,
        section=section,
        sections=SECTIONS,
        errors=errors,
        form=form,
        can_manage=policy.can_manage_organisation(current_user, code),
        districts=rulebook.districts(),
        units=units,
        streets=[(u.code, u.name) for u in units if u.kind == "street"],
        communities=[(u.code, f"{names.get(u.street_code, '')} / {u.name}") for u in units if u.kind == "community"],
        all_units=[(unit.code, unit.name)] + [(u.code, f"{u.code} {u.name}") for u in units],
        area_kinds=AREA_KINDS,
        roles=directory.assignable_roles(lang()),
        rows=_rows(code, section),
        inspectors=[u for u in directory.users(current_user, code) if u.role == "inspector"]
        if section == "teams"
        else [],
        companies=[(c.id, c.name) for c in directory.companies(current_user, code)] if section == "users" else [],
    ), (422 if errors else 200)


def _submitted() -> dict:
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form["members"] = request.form.getlist("members")
    form["active"] = "active" in request.form  # an unchecked box sends nothing
    return form


def _save(code: str, section: str, form: dict) -> None:
    row_id = int(form["id"]) if form.get("id", "").isdigit() else None
    if section == "units":
        directory.save_unit(current_user, code, form, lang(), unit_code=form.get("unit_code") or None)
    elif section == "users":
        directory.save_user(current_user, code, form, lang(), user_id=row_id)
    elif section == "teams":
        directory.save_team(current_user, code, form, lang(), team_id=row_id)
    elif section == "areas":
        directory.save_area(current_user, code, form, lang(), area_id=row_id)
    elif form.get("company_id"):
        directory.save_estate(current_user, code, int(form["company_id"]), form, lang(), estate_id=row_id)
    else:
        directory.save_company(current_user, code, form, lang(), company_id=row_id)


def _rows(code: str, section: str) -> list:
    return {
        "units": lambda: [],
        "users": lambda: directory.users(current_user, code),
        "teams": lambda: directory.teams(current_user, code),
        "areas": lambda: directory.areas(current_user, code),
        "companies": lambda: directory.companies(current_user, code),
    }[section]()


def _prefill(code: str, section: str, key: str) -> dict:
    """The form filled with a row's current values (?edit=<id>, or the unit code)."""
    if section == "units":
        unit = next((u for u in directory.units(current_user, code) if u.code == key), None)
        return {"unit_code": unit.code, "name": unit.name, "hotline": unit.hotline or ""} if unit else {}
    if section == "users":
        user = next((u for u in directory.users(current_user, code) if str(u.id) == key), None)
        return (
            {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "org_unit": user.org_unit.code,
                "phone": user.phone or "",
                "active": user.active,
                "property_company": user.property_company_id or "",
            }
            if user
            else {}
        )
    model = {"teams": PatrolTeam, "areas": SpecialArea}.get(section)
    if section == "companies":
        model = Estate if key.startswith("e") else PropertyCompany
        key = key.lstrip("e")
    row = db.session.get(model, int(key)) if key.isdigit() else None
    if row is None or row.district_code != code:
        return {}
    values = {c.name: getattr(row, c.name) for c in row.__table__.columns}
    if isinstance(row, PatrolTeam):
        values["members"] = [u.username for u in row.members]
    return {k: ("" if v is None else v) for k, v in values.items()}
