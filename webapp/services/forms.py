"""Form definitions from forms/: one validation path for HTML posts and the JSON API."""
from __future__ import annotations

from flask import current_app

from ..domain.forms import FormCatalog, checklist_for
from .errors import ValidationFailed

_catalogs: dict[str, FormCatalog] = {}


def catalog() -> FormCatalog:
    directory = current_app.config["FORMS_DIR"]
    cat = _catalogs.get(directory)
    if cat is None:
        cat = _catalogs[directory] = FormCatalog(directory)
    return cat


def validate(form_key: str, data, *, lang: str = "zh", options=None, checklist_items=None) -> dict:
    """The clean data, or ValidationFailed naming every failing field."""
    if form_key not in catalog():
        raise ValidationFailed({"__all__": f"unknown form {form_key!r}"})
    clean, errors = catalog().get(form_key).validate(
        data, options=options, checklist_items=checklist_items, lang=lang
    )
    if errors:
        raise ValidationFailed(errors)
    # Every field of the form is present afterwards (absent → None, unchecked box → False), so
    # BPMN conditions and DMN cells can name any field without tripping over a missing variable,
    # and an optional field left empty this time never keeps the value of an earlier round.
    for field in catalog().get(form_key).fields:
        if field.key not in clean and field.type != "patrolChecklist":
            clean[field.key] = False if field.type == "checkbox" else None
    return clean


def definition(form_key: str | None) -> dict | None:
    if not form_key or form_key not in catalog():
        return None
    return catalog().get(form_key).schema


def checklist_items(flags: list[str], object_type: str) -> list[dict]:
    return checklist_for(flags, object_type, path=f"{current_app.config['FORMS_DIR']}/checklist.json")
