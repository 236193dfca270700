"""District implementation rules (实施细则): view, edit with a what-if preview, history, city view.

Thin: services.district_rules.rulebook validates, scopes and saves; services.district_rules.draft_preview
previews. This module turns the HTML form into parameter values and back.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..domain import rules as domain
from ..domain.workdays import XIAMEN
from ..services.district_rules import draft_preview, rulebook
from ..services.errors import Conflict, ValidationFailed
from ..services.security import policy
from . import nav
from .errors import handle_refusals
from .i18n import lang

bp = Blueprint("rule_pages", __name__, url_prefix="/rules")
handle_refusals(bp)
nav.register("rule_pages.index", _l("District rules"), order=70, prefix="/rules")


@bp.route("")
@login_required
def index():
    """Administrators and district staff land on their district; city-wide roles on the comparison."""
    district = current_user.org_unit.district_code
    if policy.district_bound(current_user) and district:
        return redirect(url_for("rule_pages.show", code=district))
    return redirect(url_for("rule_pages.city"))


@bp.route("/<code>")
@login_required
def show(code):
    current = rulebook.read(current_user, code)
    return render_template(
        "rules/show.html",
        unit=rulebook.district(code),
        current=current,
        groups=_groups(current.values),
        scheduled=rulebook.scheduled(code),
        read_by=rulebook.used_by(),
        can_edit=policy.can_edit_rules(current_user, code),
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code):
    rulebook.require_edit(current_user, code)
    base = rulebook.latest(code)
    errors, preview, shown = {}, None, _as_form(base.values)
    effective, reason = "", ""
    replaces = _int(request.values.get("replaces"))
    if request.method == "POST":
        raw = _from_form(request.form)
        shown = {**shown, **raw}
        effective, reason = request.form.get("effective_from", "").strip(), request.form.get("reason", "")
        try:
            if request.form.get("action") == "save":
                row = rulebook.save(
                    current_user,
                    code,
                    raw,
                    effective,
                    reason,
                    replaces=replaces,
                    base_version=_int(request.form.get("base_version")),
                    lang=lang(),
                )
                flash(
                    _(
                        "Version %(n)s of the rules is saved; it takes effect %(when)s.",
                        n=row.version,
                        when=row.effective_from.astimezone(XIAMEN).strftime("%Y-%m-%d %H:%M"),
                    ),
                    "success",
                )
                return redirect(url_for("rule_pages.history", code=code))
            preview = draft_preview.preview(current_user, code, raw, effective, lang=lang())
        except ValidationFailed as exc:
            errors = exc.errors
        except Conflict:
            flash(_("Another administrator saved a new version meanwhile; the form now starts from it."), "warning")
            return redirect(url_for("rule_pages.edit", code=code))
    return render_template(
        "rules/edit.html",
        unit=rulebook.district(code),
        base=base,
        groups=_groups(base.values),
        shown=shown,
        errors=errors,
        preview=preview,
        effective_from=effective,
        reason=reason,
        read_by=rulebook.used_by(),
        replaces=replaces,
        changed={c.name for c in rulebook.catalogue().diff(base.values, _typed(shown))}
        if request.method == "POST"
        else set(),
    ), (422 if errors else 200)


@bp.route("/<code>/versions/<int:version>/withdraw", methods=["POST"])
@login_required
def withdraw(code, version):
    try:
        rulebook.withdraw(current_user, code, version, request.form.get("reason"), lang=lang())
    except ValidationFailed as exc:
        flash(exc.errors.get("reason", ""), "error")
        return redirect(url_for("rule_pages.show", code=code))
    flash(_("Version %(n)s is withdrawn; it will not take effect.", n=version), "success")
    return redirect(url_for("rule_pages.history", code=code))


@bp.route("/<code>/history")
@login_required
def history(code):
    versions = rulebook.history(current_user, code, lang=lang())
    return render_template(
        "rules/history.html",
        unit=rulebook.district(code),
        versions=versions,
        can_edit=policy.can_edit_rules(current_user, code),
    )


@bp.route("/city")
@login_required
def city():
    return render_template("rules/city.html", table=rulebook.side_by_side(current_user, lang=lang()))


# -- form <-> values ---------------------------------------------------------------------------------
def _groups(values: dict) -> list[tuple]:
    cat = rulebook.catalogue()
    return [
        (
            group.en if lang() == "en" else group.zh,
            [
                {
                    "param": p,
                    "label": p.label(lang()),
                    "value": values[p.name],
                    "text": cat.display(p.name, values[p.name], lang()),
                    "default_text": cat.display(p.name, p.default, lang()),
                    "options": [(o.value, o.label(lang())) for o in p.options],
                    "mapping_keys": [(k.value, k.label(lang())) for k in p.keys],
                }
                for p in params
            ],
        )
        for group, params in cat.groups()
    ]


def _as_form(values: dict) -> dict:
    """Typed values as the form shows them: text for numbers and dates, 'true'/'false' for booleans."""
    cat = rulebook.catalogue()
    out = {}
    for name, value in values.items():
        kind = cat.params[name].kind
        if kind == domain.BOOL:
            out[name] = "true" if value else "false"
        elif kind == domain.DATES:
            out[name] = "\n".join(value)
        elif kind in (domain.NUMBER, domain.INTEGER):
            out[name] = domain.Catalogue.display_item(cat.params[name], value)
        else:
            out[name] = value
    return out


def _from_form(form) -> dict:
    """Every parameter as submitted (the form always carries all of them)."""
    raw = {}
    for p in rulebook.catalogue().params.values():
        if p.kind == domain.MULTI:
            raw[p.name] = form.getlist(p.name)
        elif p.kind == domain.MAPPING:
            raw[p.name] = {k.value: form.get(f"{p.name}.{k.value}", "") for k in p.keys}
        else:
            raw[p.name] = form.get(p.name, "")
    return raw


def _typed(shown: dict) -> dict:
    """The submitted values that validate, typed (to mark what the draft changes)."""
    cat = rulebook.catalogue()
    typed = {}
    for name, value in shown.items():
        clean, errors = cat.validate({name: value})
        if not errors:
            typed[name] = clean[name]
    return typed


def _int(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
