"""Forms from their definitions in forms/: read an HTML post into the data the validator expects,
and describe each field for the Jinja macros (label, value, options, error) in the user's language.

Validation itself stays in services (the same path as the JSON API); this module only translates
between HTML form encoding and form data.
"""

from __future__ import annotations

import re

from ..domain.forms import FormDefinition
from ..services.casefile import attachments
from .filters import org_names, place_of
from .i18n import process_text

CHECKLIST_RESULTS = ("OK", "NOK", "NA")


def read_submission(definition: FormDefinition, form, files, user, lang: str, keys=None):
    """(data, attachment ids by field, upload errors by field) from a multipart post.

    Only the definition's own fields are read (csrf_token, buttons and hidden ids are not data).
    Files are checked and stored as they arrive, so a form re-shown with errors keeps them.
    """
    data: dict = {}
    ids_by_field: dict[str, list[str]] = {}
    upload_errors: dict[str, str] = {}
    for f in definition.fields:
        if keys is not None and f.key not in keys:
            continue
        if f.type == "checkbox":
            if f.key in form:
                data[f.key] = form.get(f.key) or "on"
        elif f.type == "checklist":
            data[f.key] = form.getlist(f.key)
        elif f.type in ("patrolChecklist", "hazardResults"):
            prefix = f.key + "."
            data[f.key] = {k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix) and v}
        elif f.type == "filepicker":
            removed = set(form.getlist(f.key + "__remove"))
            ids = [i for i in form.getlist(f.key) if i and i not in removed]
            for upload in files.getlist(f.key) if files else []:
                if not upload or not upload.filename:
                    continue
                try:
                    ids.append(attachments.store(user, upload.stream, upload.filename, lang).id)
                except attachments.UploadRefused as exc:
                    upload_errors[f.key] = str(exc)
            data[f.key] = ids
            ids_by_field[f.key] = ids
        else:
            value = form.get(f.key)
            if value is not None and value != "":
                data[f.key] = value
    return data, ids_by_field, upload_errors


def _option_label(option: dict, lang: str) -> str:
    return (
        (option.get("label_en") or option.get("label") or option["value"])
        if lang == "en"
        else (option.get("label") or option["value"])
    )


def field_views(
    definition: FormDefinition,
    values: dict | None,
    errors: dict | None,
    lang: str,
    *,
    options: dict | None = None,
    checklist_items: list | None = None,
    keys=None,
    hazards: list | None = None,
    facts: dict | None = None,
) -> list[dict]:
    """One dict per component (inputs and static text), ready for macros/form.html. Static text may
    quote the process's facts as {name} (e.g. the deadline a decision proposed)."""
    values = values or {}
    errors = errors or {}
    names = org_names() if options else {}
    out = []
    for comp in definition.components:
        if not isinstance(comp, dict):
            continue
        if comp.get("type") == "text":
            if keys is None:
                text = comp.get("text_en") if lang == "en" and comp.get("text_en") else comp.get("text", "")
                out.append({"type": "text", "text": _quote_facts(text, facts or {})})
            continue
        key = comp.get("key")
        if key is None or key not in {f.key for f in definition.fields}:
            continue
        if keys is not None and key not in keys:
            continue
        f = definition.field(key)
        view = {
            "type": f.type,
            "key": key,
            "label": f.label_for(lang),
            "required": f.required,
            "conditional": bool(f.required_if),
            "value": values.get(key),
            "error": errors.get(key),
            "description": comp.get("description_en")
            if lang == "en" and comp.get("description_en")
            else comp.get("description"),
            "validate": comp.get("validate") or {},
            "component": comp,
        }
        if f.values_key is not None:
            view["options"] = _org_options((options or {}).get(f.values_key, []), names)
        elif f.options:
            # A choice narrowed by another field (`optionsBy`: categories by object type) carries its group.
            view["options"] = [
                (o["value"], _option_label(o, lang), {"group": o["group"]} if f.options_by and o.get("group") else {})
                for o in f.options
            ]
            view["options_by"] = f.options_by
        if f.type == "patrolChecklist":
            view["groups"] = _checklist_groups(checklist_items or [], values.get(key) or {}, errors, key, lang)
        if f.type == "hazardResults":
            answers = values.get(key) if isinstance(values.get(key), dict) else {}
            view["hazards"] = [
                dict(h, value=answers.get(h["ref"]), error=errors.get(f"{key}.{h['ref']}")) for h in hazards or []
            ]
        out.append(view)
    return out


_FACT = re.compile(r"\{(\w+)\}")


def _quote_facts(text: str, facts: dict) -> str:
    return _FACT.sub(lambda m: str(facts.get(m.group(1)) if facts.get(m.group(1)) not in (None, "") else "—"), text)


def _org_options(codes: list[str], names: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(code, label, data attributes) for place choices: a street labelled with its district, a
    community or estate with its street; communities and estates carry their street (estates also
    their community), so the page shows only those of the place chosen above them."""
    places = place_of(codes)
    out = []
    for code in codes:
        place = places.get(code, {})
        above = place.get("district") or place.get("street")
        label = (names.get(above, "") + " · " if above else "") + names.get(code, code)
        out.append((code, label, {k: v for k, v in place.items() if k != "district"}))
    return out


def _checklist_groups(items: list, answers: dict, errors: dict, key: str, lang: str) -> list[dict]:
    groups: list[dict] = []
    for item in items:
        name = (item.get("group_name_en") or item.get("group_name")) if lang == "en" else item.get("group_name")
        if not groups or groups[-1]["code"] != item.get("group"):
            groups.append({"code": item.get("group"), "name": name, "entries": []})
        groups[-1]["entries"].append(
            {
                "code": item["code"],
                "text": (item.get("text_en") or item["text"]) if lang == "en" else item["text"],
                "severity": item.get("default_severity"),
                "value": answers.get(item["code"]) if isinstance(answers, dict) else None,
                "error": errors.get(f"{key}.{item['code']}"),
            }
        )
    return groups


def display_value(definition: FormDefinition | None, key: str, value, lang: str):
    """A submitted value as a person reads it: option labels instead of codes, 是/否 for booleans."""
    if definition is None or key not in {f.key for f in definition.fields}:
        return value
    f = definition.field(key)
    labels = {o["value"]: _option_label(o, lang) for o in f.options}
    if f.values_key is not None:
        labels = org_names()
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("是" if value else "否")
    if isinstance(value, list):
        return (
            "、".join(str(labels.get(v, v)) for v in value)
            if lang != "en"
            else ", ".join(str(labels.get(v, v)) for v in value)
        )
    return labels.get(value, value) if isinstance(value, str) else value


def data_rows(definition: FormDefinition | None, data: dict | None, lang: str) -> list[dict]:
    """Label/value pairs of submitted data in form order (photos and the checklist apart)."""
    if not data or definition is None:
        return []
    rows = []
    for f in definition.fields:
        value = data.get(f.key)
        if value in (None, "", [], {}) or f.type in ("filepicker", "patrolChecklist"):
            continue
        if f.type == "checkbox" and value is False:
            continue
        rows.append({"key": f.key, "label": f.label_for(lang), "value": display_value(definition, f.key, value, lang)})
    return rows


def photo_ids(definition: FormDefinition | None, data: dict | None) -> list[str]:
    if not data or definition is None:
        return []
    return [i for f in definition.fields if f.type == "filepicker" for i in (data.get(f.key) or [])]


def checklist_problems(data: dict | None) -> list[str]:
    """The codes a patrol marked NOK."""
    checklist = (data or {}).get("checklist") or {}
    return [code for code, result in checklist.items() if result == "NOK"] if isinstance(checklist, dict) else []


SUMMARY_KEYS = (
    "object_type",
    "category",
    "place_type",
    "owner_name",
    "owner_phone",
    "contractor_name",
    "site_manager_name",
    "site_manager_phone",
    "worker_count",
    "planned_start",
    "planned_end",
    "risk_flags",
)


def definition_of(form_key: str | None):
    from ..services.designer import task_forms

    return task_forms.catalog().get(form_key) if form_key and form_key in task_forms.catalog() else None


def summary_rows(facts: dict, lang: str) -> list[dict]:
    """The registration facts an inspector needs on site, labelled from the registration form."""
    return data_rows(definition_of("registration"), {k: facts.get(k) for k in SUMMARY_KEYS}, lang)


def registration_rows(facts: dict, lang: str) -> list[dict]:
    return data_rows(definition_of("registration"), facts, lang)


def describe_events(rows: list[dict], lang: str) -> list[dict]:
    """Timeline rows with their submitted data as label/value pairs, photos and NOK checklist items."""
    from .common import form_title

    out = []
    for row in rows:
        definition = definition_of(row.get("form_key"))
        row = dict(row)
        row["label"] = (
            form_title(row.get("form_key"), row.get("title") or "")
            if row["kind"] == "task_completed"
            else process_text(row.get("title"))
        )
        row["rows"] = data_rows(definition, row.get("data"), lang) if not row["system"] else []
        row["photos"] = photo_ids(definition, row.get("data"))
        row["nok"] = checklist_problems(row.get("data"))
        out.append(row)
    return out


def all_ok(definition: FormDefinition | None, values: dict, items: list[dict]) -> dict:
    """The submission with every checklist item not yet answered marked OK (全部合格, then the
    exceptions are marked by hand)."""
    if definition is None:
        return values
    out = dict(values)
    for f in definition.fields:
        if f.type == "patrolChecklist":
            answered = dict(out.get(f.key) or {})
            out[f.key] = {item["code"]: answered.get(item["code"]) or "OK" for item in items}
    return out
