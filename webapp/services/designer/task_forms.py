"""Form definitions: one validation path for HTML posts and the JSON API.

A task's form is the one deployed with its project's process version (files forms/<key>.json
in the version's bundle); forms a version does not carry come from the forms/ directory.
"""

from __future__ import annotations

import json

from flask import current_app

from ...domain.catalog import form_key_of, is_form_file
from ...domain.forms import FormCatalog, FormDefinition, checklist_for
from ...persistence.models import ProcessInstance, ProcessVersion, db
from ..errors import ValidationFailed
from .versions import files_json, latest_version

_catalogs: dict[str, FormCatalog] = {}


def catalog(version: ProcessVersion | None = None) -> FormCatalog:
    directory = current_app.config["FORMS_DIR"]
    base = _catalogs.get(directory)
    if base is None:
        base = _catalogs[directory] = FormCatalog(directory)
    if version is None:
        return base
    key = f"{directory}#{version.content_hash}"  # versions are immutable: cache by content
    cat = _catalogs.get(key)
    if cat is None:
        files = json.loads(files_json(version))
        schemas = {form_key_of(n): json.loads(t) for n, t in files.items() if is_form_file(n)}
        cat = _catalogs[key] = FormCatalog.from_schemas(schemas, base) if schemas else base
    return cat


def for_new_projects() -> FormCatalog:
    """The forms of the newest process version: what registrations and leads are checked against."""
    return catalog(latest_version())


def version_of_instance(instance_id: int) -> ProcessVersion | None:
    instance = db.session.get(ProcessInstance, instance_id)
    return db.session.get(ProcessVersion, instance.version_id) if instance is not None else None


def validate(
    form_key: str,
    data,
    *,
    lang: str = "zh",
    options=None,
    checklist_items=None,
    version: ProcessVersion | None = None,
    context: dict | None = None,
    staff: bool = False,
) -> dict:
    """The clean data, or ValidationFailed naming every failing field. `context`: the project's
    data (fields asked only where they apply, dates after the planned start); `staff`: recorded
    by staff for the owner."""
    forms = catalog(version)
    if form_key not in forms:
        raise ValidationFailed({"__all__": f"unknown form {form_key!r}"})
    return checked(
        forms.get(form_key),
        data,
        lang=lang,
        options=options,
        checklist_items=checklist_items,
        context=context,
        staff=staff,
    )


def checked(
    form: FormDefinition,
    data,
    *,
    lang: str = "zh",
    options=None,
    checklist_items=None,
    context: dict | None = None,
    staff: bool = False,
) -> dict:
    """The clean data of a submission of this form, or ValidationFailed naming every failing field.
    `context`: the project's data (fields asked only where they apply, dates after the planned
    start); `staff`: recorded by staff for the owner."""
    clean, errors = form.validate(
        data, options=options, checklist_items=checklist_items, lang=lang, context=context, staff=staff
    )
    if errors:
        raise ValidationFailed(errors)
    # Every field of the form is present afterwards (absent → None, unchecked box → False), so
    # BPMN conditions and DMN cells can name any field without tripping over a missing variable,
    # and an optional field left empty this time never keeps the value of an earlier round.
    for field in form.fields:
        if field.key not in clean and field.type != "patrolChecklist":
            asked = field.applies(context)  # a question not asked of this project is no answer "no"
            clean[field.key] = False if field.type == "checkbox" and asked else None
    return clean


def definition(form_key: str | None, version: ProcessVersion | None = None) -> dict | None:
    forms = catalog(version)
    if not form_key or form_key not in forms:
        return None
    return forms.get(form_key).schema


def checklist_items(flags: list[str], object_type: str) -> list[dict]:
    return checklist_for(flags, object_type, path=f"{current_app.config['FORMS_DIR']}/checklist.json")
