"""Human-task form definitions and a pure-Python validator for them.

Forms live in ``forms/<form_key>.json`` in the @bpmn-io/form-js 1.x schema
format, so a form-js editor can open them.  We add a few properties that
form-js ignores:

* ``label_en`` on every input component and on every option (English label);
* ``requiredIf: {"<other key>": [v1, v2]}`` - the field is required when the
  other field's (typed) value is one of the listed values;
* ``appliesIf: {"<process data key>": [v1, v2]}`` - the field is asked only when the
  project's data (``context``) holds one of the values under that key (a list holding one
  of them counts): a write-off asks about temporary power only where the project declared it;
  a field that does not apply is neither shown, required nor kept;
* ``requiredIfData: {"<process data key>": [v1]}`` - required only when the project's data
  holds one of the values (and ``requiredIf``, if also given, holds): photos where the
  district's rules ask for them;
* ``notBefore: "<key>"`` on a date field - it may not be earlier than that other date of the
  form, or of the project's data when the form has no such field;
* ``ownerOnly: true`` - the owner's own word (a commitment): staff may not fill it in for them,
  and it is not required of them;
* ``staffRequired: true`` - required when staff record the step on the owner's behalf (the
  photo of a signed paper declaration);
* ``valuesKey`` on a select whose options are supplied at run time by the
  server (e.g. ``"streets"``) - pass them to ``validate(options=...)``;
* the component type ``patrolChecklist`` (key ``checklist``): a dict
  item code -> "OK" | "NOK" | "NA" covering exactly the checklist items that
  apply to the project (see :func:`checklist_for`);
* the component type ``hazardResults``: a dict hazard ref (H1, …) -> "passed" |
  "failed"; which hazards it must cover is the service's to check (they live in
  the database, not in the form).

No Flask, no SQL: the web layer and the process engine call
``FormCatalog(...).get(form_key).validate(data, ...)`` and get back
``(clean, errors)``.  ``validate`` never raises on bad input data.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "FORMS_DIR",
    "CHECKLIST_FILE",
    "COMPONENT_TYPES",
    "INPUT_TYPES",
    "RISK_FLAGS",
    "OBJECT_TYPES",
    "CHECKLIST_RESULTS",
    "FormDefinitionError",
    "Field",
    "FormDefinition",
    "FormCatalog",
    "load_form",
    "load_checklist",
    "checklist_for",
    "checklist_problems",
    "message",
]

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
CHECKLIST_FILE = "checklist.json"

INPUT_TYPES = frozenset(
    {
        "textfield",
        "textarea",
        "number",
        "select",
        "radio",
        "checkbox",
        "checklist",
        "datetime",
        "filepicker",
        "patrolChecklist",
        "hazardResults",
    }
)
STATIC_TYPES = frozenset({"text"})
COMPONENT_TYPES = INPUT_TYPES | STATIC_TYPES
CHOICE_TYPES = frozenset({"select", "radio", "checklist"})
TEXT_TYPES = frozenset({"textfield", "textarea"})
VALIDATE_KEYS = frozenset({"required", "min", "max", "minLength", "maxLength", "pattern"})

RISK_FLAGS = (
    "HEIGHT_2M",
    "FACADE",
    "SCAFFOLD",
    "GONDOLA",
    "TEMP_POWER",
    "HOT_WORK",
    "CONFINED_SPACE",
    "LIFTING",
    "EXCAVATION",
    "DEMOLITION",
    "STRUCTURAL_CHANGE",
    "LIFT_ADDITION",
    "NEAR_GAS",
    "CROWDED_PLACE",
)
OBJECT_TYPES = ("SMALL_WORKS", "SPORADIC_OP")
SEVERITIES = ("GENERAL", "MAJOR")
CHECKLIST_RESULTS = ("OK", "NOK", "NA")

MAX_FILES = 20
ATTACHMENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)
KEY_RE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
CHECKLIST_CODE_RE = re.compile(r"[A-Z]\d{2}", re.ASCII)
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TRUE = ("true", "on", "1", "yes")
_FALSE = ("false", "off", "0", "no")


class FormDefinitionError(ValueError):
    """A form file cannot be read at all (not JSON, not an object)."""


# --------------------------------------------------------------------------
# Messages

MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("此项为必填项", "This field is required"),
    "must_check": ("必须勾选此项", "This box must be checked"),
    "not_number": ("应为数字", "Must be a number"),
    "not_integer": ("应为整数", "Must be a whole number"),
    "min": ("不能小于 {min}", "Must not be less than {min}"),
    "max": ("不能大于 {max}", "Must not be greater than {max}"),
    "min_length": ("长度不能少于 {n} 个字符", "Must be at least {n} characters"),
    "max_length": ("长度不能超过 {n} 个字符", "Must be at most {n} characters"),
    "pattern": ("格式不正确", "Invalid format"),
    "not_text": ("应为文本", "Must be text"),
    "not_date": ("日期格式应为 YYYY-MM-DD", "Must be a date in YYYY-MM-DD format"),
    "not_bool": ("应为是或否", "Must be true or false"),
    "not_choice": ("不在可选范围内", "Not one of the allowed values"),
    "not_list": ("应为列表", "Must be a list"),
    "not_object": ("格式不正确", "Invalid format"),
    "too_many_files": ("最多上传 {max} 个文件", "At most {max} files"),
    "bad_attachment": ("附件编号格式不正确", "Invalid attachment id"),
    "unknown_field": ("未知字段", "Unknown field"),
    "unknown_item": ("未知检查项", "Unknown checklist item"),
    "checklist_incomplete": ("检查表未完成：{n} 项未正确填写", "Checklist incomplete: {n} item(s) missing or invalid"),
    "not_form_data": ("提交的数据格式不正确", "Submitted data must be an object"),
    "not_before": ("不能早于「{other}」（{date}）", "Must not be before \"{other}\" ({date})"),
    "wrong_group": ("与所选「{other}」不符", "Does not match the chosen \"{other}\""),
    "owner_only": (
        "此项须由业主本人确认，工作人员不得代为填写",
        "Only the owner may confirm this; staff may not fill it in",
    ),
    "staff_required": (
        "代业主录入时须上传业主签字的纸质申报照片",
        "Recording for the owner needs a photo of the signed paper declaration",
    ),
}


def message(code: str, lang: str = "zh", **params: Any) -> str:
    """The message ``code`` in Chinese (default) or English (``lang="en"``)."""
    zh, en = MESSAGES[code]
    text = en if lang == "en" else zh
    return text.format(**{k: _fmt_number(v) for k, v in params.items()})


def _fmt_number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --------------------------------------------------------------------------
# Field and form definitions


class Field:
    """One input component of a form (read-only view of the JSON)."""

    def __init__(self, component: dict[str, Any]):
        self.component = component
        self.key: str = component["key"]
        self.type: str = component["type"]
        self.label: str = _str_or_empty(component.get("label"))
        self.label_en: str = _str_or_empty(component.get("label_en"))
        validate = component.get("validate")
        validate = validate if isinstance(validate, dict) else {}
        self.required: bool = validate.get("required") is True
        self.minimum = _num_or_none(validate.get("min"))
        self.maximum = _num_or_none(validate.get("max"))
        self.min_length = _int_or_none(validate.get("minLength"))
        self.max_length = _int_or_none(validate.get("maxLength"))
        self.pattern: re.Pattern[str] | None = None
        pattern = validate.get("pattern")
        if isinstance(pattern, str) and pattern:
            try:
                # re.ASCII: \d means [0-9] as in JavaScript.
                self.pattern = re.compile(pattern, re.ASCII)
            except re.error:
                self.pattern = None  # reported by problems()
        self.decimal_digits = _int_or_none(component.get("decimalDigits"))
        self.values_key: str | None = component["valuesKey"] if isinstance(component.get("valuesKey"), str) else None
        self.options: list[dict[str, Any]] = (
            [v for v in component.get("values") or [] if isinstance(v, dict) and isinstance(v.get("value"), str)]
            if isinstance(component.get("values"), list)
            else []
        )
        self.values: tuple[str, ...] = tuple(v["value"] for v in self.options)
        required_if = component.get("requiredIf")
        self.required_if: dict[str, tuple[Any, ...]] = _conditions(required_if)
        self.applies_if: dict[str, tuple[Any, ...]] = _conditions(component.get("appliesIf"))
        self.required_if_data: dict[str, tuple[Any, ...]] = _conditions(component.get("requiredIfData"))
        not_before = component.get("notBefore")
        self.not_before: str | None = not_before if isinstance(not_before, str) else None
        options_by = component.get("optionsBy")
        # ``optionsBy: "<key>"``: each option's ``group`` names the value of that other field it
        # belongs to (a category of small works or of sporadic operations).
        self.options_by: str | None = options_by if isinstance(options_by, str) else None
        self.owner_only: bool = component.get("ownerOnly") is True
        self.staff_required: bool = component.get("staffRequired") is True

    def applies(self, context: dict | None) -> bool:
        """Whether the field is asked of this project (``appliesIf`` on its data)."""
        return not self.applies_if or _matches(self.applies_if, context or {})

    def label_for(self, lang: str = "zh") -> str:
        return (self.label_en or self.label) if lang == "en" else self.label

    def allowed_values(self, options: dict[str, list[str]] | None) -> tuple[str, ...]:
        """Static ``values`` or the run-time options named by ``valuesKey``."""
        if self.values_key is not None:
            supplied = (options or {}).get(self.values_key) or []
            return tuple(v for v in supplied if isinstance(v, str))
        return self.values

    def __repr__(self) -> str:
        return f"Field({self.key!r}, {self.type!r})"


class FormDefinition:
    """A parsed form: metadata, input fields in order, and ``validate``."""

    def __init__(self, schema: dict[str, Any], *, source: str = "<memory>"):
        if not isinstance(schema, dict):
            raise FormDefinitionError(f"{source}: form definition must be a JSON object")
        self.schema = schema
        self.source = source
        self.id: str = _str_or_empty(schema.get("id"))
        self.title: str = _str_or_empty(schema.get("title"))
        self.title_en: str = _str_or_empty(schema.get("title_en"))
        components = schema.get("components")
        self.components: list[Any] = components if isinstance(components, list) else []
        fields: list[Field] = []
        seen: set[str] = set()
        for comp in self.components:
            if (
                isinstance(comp, dict)
                and comp.get("type") in INPUT_TYPES
                and isinstance(comp.get("key"), str)
                and comp["key"] not in seen
            ):
                seen.add(comp["key"])
                fields.append(Field(comp))
        self.fields: list[Field] = fields
        self._by_key = {f.key: f for f in fields}

    @property
    def key(self) -> str:
        return self.id

    def field(self, key: str) -> Field:
        return self._by_key[key]

    def field_keys(self) -> list[str]:
        return [f.key for f in self.fields]

    @property
    def has_checklist(self) -> bool:
        """Whether the form carries the patrol checklist (its items depend on the project)."""
        return any(f.type == "patrolChecklist" for f in self.fields)

    @property
    def uses_options(self) -> bool:
        """Whether a field's choices come from the organisation (streets, communities, estates)."""
        return any(f.values_key for f in self.fields)

    def attachment_ids(self, data: Any) -> dict[str, list[str]]:
        """The photo ids submitted in each file field (only well-formed ones: validation judges
        the rest)."""
        if not isinstance(data, dict):
            return {}
        out = {}
        for f in self.fields:
            value = data.get(f.key)
            if f.type == "filepicker" and isinstance(value, list):
                out[f.key] = [i for i in value if isinstance(i, str)]
        return out

    def title_for(self, lang: str = "zh") -> str:
        return (self.title_en or self.title) if lang == "en" else self.title

    def problems(self) -> list[str]:
        """Definition errors (empty list when the form is well formed)."""
        return schema_problems(self.schema)

    # ------------------------------------------------------------------
    def validate(
        self,
        data: Any,
        *,
        options: dict[str, list[str]] | None = None,
        checklist_items: list[dict] | None = None,
        lang: str = "zh",
        context: dict | None = None,
        staff: bool = False,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check submitted ``data``; return ``(clean, errors)``.

        ``clean`` holds typed values (int/float, ISO date strings, booleans,
        lists, checklist dict) for the fields that were given and valid;
        absent optional fields are omitted.  ``errors`` maps field key to one
        message (the first failing rule); unknown keys get "未知字段";
        patrol checklist items get ``checklist.<code>`` keys.  ``context``
        is the project's data (``appliesIf``, ``notBefore``); ``staff``: the
        step is recorded by staff on the owner's behalf.  Never raises for
        any ``data``.
        """
        clean: dict[str, Any] = {}
        errors: dict[str, str] = {}
        if not isinstance(data, dict):
            errors["__all__"] = message("not_form_data", lang)
            return clean, errors
        if not isinstance(options, dict):
            options = {}

        # Pass 1: convert every given, non-empty value to its type.
        typed: dict[str, Any] = {}
        type_errors: dict[str, str] = {}
        asked = [f for f in self.fields if f.applies(context)]
        for f in asked:
            if f.type in ("patrolChecklist", "hazardResults"):
                continue
            raw = data.get(f.key)
            if _is_empty(raw):
                continue
            value, code, params = _coerce(f, raw, options)
            if code is None:
                typed[f.key] = value
            else:
                type_errors[f.key] = message(code, lang, **params)

        # Pass 2: required / requiredIf, then range and format rules.
        for f in asked:
            if f.type == "patrolChecklist":
                _validate_patrol_checklist(f, data.get(f.key), checklist_items, clean, errors, lang)
                continue
            if f.type == "hazardResults":
                _validate_hazard_results(f, data.get(f.key), clean, errors, lang)
                continue
            if staff and f.owner_only:
                if typed.get(f.key) not in (None, False, "", []):
                    errors[f.key] = message("owner_only", lang)
                continue
            needed = f.required or self._condition_met(f, typed)
            if f.required_if_data:
                needed = _matches(f.required_if_data, context or {}) and (
                    not f.required_if or self._condition_met(f, typed)
                )
            if staff and f.staff_required and f.key not in typed and f.key not in type_errors:
                errors[f.key] = message("staff_required", lang)
                continue
            if f.key in type_errors:
                errors[f.key] = type_errors[f.key]
                continue
            if f.key not in typed:
                if needed:
                    errors[f.key] = message("must_check" if f.type == "checkbox" else "required", lang)
                continue
            value = typed[f.key]
            if f.type == "checkbox" and needed and value is not True:
                errors[f.key] = message("must_check", lang)
                continue
            code, params = _check_rules(f, value)
            if code is None and f.not_before:
                code, params = self._not_before(f, value, typed, context or {}, lang)
            if code is None and f.options_by and f.options_by in typed:
                group = next((o.get("group") for o in f.options if o["value"] == value), None)
                if group is not None and group != typed[f.options_by]:
                    code, params = "wrong_group", {"other": self._by_key[f.options_by].label_for(lang)}
            if code is not None:
                errors[f.key] = message(code, lang, **params)
                continue
            clean[f.key] = value

        for key in data:
            if key not in self._by_key:
                errors[str(key)] = message("unknown_field", lang)
        return clean, errors

    def _condition_met(self, f: Field, typed: dict[str, Any]) -> bool:
        return _matches(f.required_if, typed)

    def _not_before(self, f: Field, value: Any, typed: dict, context: dict, lang: str):
        """("not_before", params) when the date is earlier than the date it must follow."""
        other = f.not_before
        if other is None:
            return None, {}
        earliest = typed.get(other) if other in self._by_key else context.get(other)
        if not isinstance(earliest, str) or not isinstance(value, str) or value[:10] >= earliest[:10]:
            return None, {}
        label = (
            self._by_key[other].label_for(lang)
            if other in self._by_key
            else _CONTEXT_LABELS.get(other, (other, other))[lang == "en"]
        )
        return "not_before", {"other": label, "date": earliest[:10]}

    def __repr__(self) -> str:
        return f"FormDefinition({self.id!r}, {len(self.fields)} fields)"


# Labels of project data a form's date may be checked against (``notBefore`` outside the form).
_CONTEXT_LABELS = {"planned_start": ("计划开工日期", "Planned start")}


def _conditions(raw: Any) -> dict[str, tuple[Any, ...]]:
    if not isinstance(raw, dict):
        return {}
    return {k: tuple(v) for k, v in raw.items() if isinstance(k, str) and isinstance(v, list)}


def _matches(conditions: dict[str, tuple[Any, ...]], values: dict) -> bool:
    """Whether any named value (or a member of a named list) is one of the wanted values."""
    for other, wanted in conditions.items():
        actual = values.get(other)
        if actual is None:
            continue
        for a in actual if isinstance(actual, list) else [actual]:
            if any(type(a) is type(w) and a == w for w in wanted):
                return True
    return False


def load_form(path: str | Path) -> FormDefinition:
    """Read one ``forms/<form_key>.json`` file."""
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormDefinitionError(f"{path.name}: cannot read form definition: {exc}") from exc
    return FormDefinition(schema, source=str(path))


class FormCatalog:
    """All form definitions of a directory (default: the repository's ``forms/``)."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else FORMS_DIR
        self._forms: dict[str, FormDefinition] = {}
        self._load_problems: list[str] = []
        for path in sorted(self.directory.glob("*.json")):
            if path.name == CHECKLIST_FILE:
                continue
            try:
                form = load_form(path)
            except FormDefinitionError as exc:
                self._load_problems.append(str(exc))
                continue
            if form.id != path.stem:
                self._load_problems.append(f"{path.name}: id {form.id!r} does not match the file name")
            if form.id in self._forms:
                self._load_problems.append(f"{path.name}: duplicate form id {form.id!r}")
                continue
            self._forms[form.id or path.stem] = form

    @classmethod
    def from_schemas(cls, schemas: dict[str, Any], base: FormCatalog | None = None) -> FormCatalog:
        """In-memory definitions (a process version's own forms) laid over ``base``'s."""
        catalog = cls.__new__(cls)
        catalog.directory = base.directory if base is not None else FORMS_DIR
        catalog._forms = dict(base._forms) if base is not None else {}
        catalog._load_problems = []
        for key, schema in schemas.items():
            try:
                catalog._forms[key] = FormDefinition(schema, source=f"forms/{key}.json")
            except FormDefinitionError as exc:
                catalog._load_problems.append(str(exc))
        return catalog

    def get(self, form_key: str) -> FormDefinition:
        try:
            return self._forms[form_key]
        except (KeyError, TypeError):
            raise KeyError(f"unknown form {form_key!r}") from None

    def keys(self) -> list[str]:
        return sorted(self._forms)

    def __contains__(self, form_key: object) -> bool:
        return form_key in self._forms

    def __iter__(self):
        return iter(self._forms[k] for k in self.keys())

    def __len__(self) -> int:
        return len(self._forms)

    def problems(self) -> list[str]:
        """Definition errors of every form (and of checklist.json if present)."""
        out = list(self._load_problems)
        for key in self.keys():
            out.extend(f"{key}: {p}" for p in self._forms[key].problems())
        checklist = self.directory / CHECKLIST_FILE
        if checklist.exists():
            out.extend(f"{CHECKLIST_FILE}: {p}" for p in checklist_problems(checklist))
        return out


# --------------------------------------------------------------------------
# Definition checks


def schema_problems(schema: Any) -> list[str]:
    """Problems of one form-js schema with our extensions."""
    if not isinstance(schema, dict):
        return ["form definition must be a JSON object"]
    out: list[str] = []
    if not isinstance(schema.get("id"), str) or not KEY_RE.fullmatch(schema["id"]):
        out.append("id must be a snake_case string")
    if schema.get("type") != "default":
        out.append('type must be "default"')
    if not isinstance(schema.get("schemaVersion"), int) or isinstance(schema.get("schemaVersion"), bool):
        out.append("schemaVersion must be an integer")
    for prop in ("title", "title_en"):
        if not _non_empty_str(schema.get(prop)):
            out.append(f"missing {prop}")
    components = schema.get("components")
    if not isinstance(components, list) or not components:
        out.append("components must be a non-empty list")
        return out

    keyed: dict[str, dict[str, Any]] = {}
    ids: set[str] = set()
    for i, comp in enumerate(components):
        where = f"component #{i}"
        if not isinstance(comp, dict):
            out.append(f"{where}: not an object")
            continue
        ctype = comp.get("type")
        if isinstance(comp.get("key"), str):
            where = f"{where} ({comp['key']})"
        if ctype not in COMPONENT_TYPES:
            out.append(f"{where}: unknown component type {ctype!r}")
            continue
        cid = comp.get("id")
        if cid is not None:
            if not _non_empty_str(cid):
                out.append(f"{where}: id must be a string")
            elif cid in ids:
                out.append(f"{where}: duplicate component id {cid!r}")
            else:
                ids.add(cid)
        if ctype in STATIC_TYPES:
            if "key" in comp:
                out.append(f"{where}: static text must not have a key")
            if not _non_empty_str(comp.get("text")):
                out.append(f"{where}: static text without text")
            continue
        key = comp.get("key")
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            out.append(f"{where}: key must be snake_case")
            continue
        if key in keyed:
            out.append(f"{where}: duplicate key {key!r}")
            continue
        keyed[key] = comp
        out.extend(f"{where}: {p}" for p in _component_problems(comp))

    for key, comp in keyed.items():
        where = f"field {key}"
        for prop in ("appliesIf", "requiredIfData"):
            cond = comp.get(prop)
            if cond is not None and (
                not isinstance(cond, dict)
                or not cond
                or not all(isinstance(k, str) and isinstance(v, list) and v for k, v in cond.items())
            ):
                out.append(f"{where}: {prop} must map project data keys to non-empty lists")
        later = comp.get("notBefore")
        if later is not None and (
            comp.get("type") != "datetime"
            or not (later in _CONTEXT_LABELS or keyed.get(later, {}).get("type") == "datetime")
        ):
            out.append(f"{where}: notBefore must name another date of the form or {sorted(_CONTEXT_LABELS)}")
        for flag in ("ownerOnly", "staffRequired"):
            if flag in comp and not isinstance(comp[flag], bool):
                out.append(f"{where}: {flag} must be true/false")
        req_if = comp.get("requiredIf")
        if req_if is None:
            continue
        if not isinstance(req_if, dict) or not req_if:
            out.append(f"{where}: requiredIf must be a non-empty object")
            continue
        for other, wanted in req_if.items():
            if other == key or other not in keyed:
                out.append(f"{where}: requiredIf names unknown field {other!r}")
                continue
            if not isinstance(wanted, list) or not wanted:
                out.append(f"{where}: requiredIf values for {other!r} must be a non-empty list")
                continue
            target = keyed[other]
            if target.get("type") == "checkbox":
                if not all(isinstance(w, bool) for w in wanted):
                    out.append(f"{where}: requiredIf on checkbox {other!r} must list true/false")
            elif target.get("type") in CHOICE_TYPES and isinstance(target.get("values"), list):
                allowed = {v.get("value") for v in target["values"] if isinstance(v, dict)}
                bad = [w for w in wanted if not isinstance(w, str) or w not in allowed]
                if bad:
                    out.append(f"{where}: requiredIf values {bad!r} are not options of {other!r}")
            else:
                out.append(f"{where}: requiredIf must refer to a select, radio, checklist or checkbox")
    return out


def _component_problems(comp: dict[str, Any]) -> list[str]:
    out: list[str] = []
    ctype = comp["type"]
    if not _non_empty_str(comp.get("label")):
        out.append("missing label")
    if not _non_empty_str(comp.get("label_en")):
        out.append("missing label_en")
    validate = comp.get("validate", {})
    if not isinstance(validate, dict):
        out.append("validate must be an object")
        validate = {}
    unknown = set(validate) - VALIDATE_KEYS
    if unknown:
        out.append(f"unknown validate rules {sorted(unknown)!r}")
    if "required" in validate and not isinstance(validate["required"], bool):
        out.append("validate.required must be true/false")
    for rule in ("min", "max"):
        if rule in validate:
            if ctype != "number":
                out.append(f"validate.{rule} only applies to number fields")
            elif _num_or_none(validate[rule]) is None:
                out.append(f"validate.{rule} must be a number")
    for rule in ("minLength", "maxLength"):
        if rule in validate:
            if ctype not in TEXT_TYPES:
                out.append(f"validate.{rule} only applies to text fields")
            elif _int_or_none(validate[rule]) is None or validate[rule] < 0:
                out.append(f"validate.{rule} must be a non-negative integer")
    lo, hi = _num_or_none(validate.get("min")), _num_or_none(validate.get("max"))
    if lo is not None and hi is not None and lo > hi:
        out.append("validate.min is greater than validate.max")
    lo, hi = _int_or_none(validate.get("minLength")), _int_or_none(validate.get("maxLength"))
    if lo is not None and hi is not None and lo > hi:
        out.append("validate.minLength is greater than validate.maxLength")
    if "pattern" in validate:
        if ctype not in TEXT_TYPES:
            out.append("validate.pattern only applies to text fields")
        elif not _non_empty_str(validate["pattern"]):
            out.append("validate.pattern must be a string")
        else:
            try:
                re.compile(validate["pattern"], re.ASCII)
            except re.error as exc:
                out.append(f"validate.pattern does not compile: {exc}")

    if ctype in CHOICE_TYPES:
        has_values = "values" in comp
        has_key = "valuesKey" in comp
        if has_values == has_key:
            out.append("needs exactly one of values / valuesKey")
        if has_key and not _non_empty_str(comp["valuesKey"]):
            out.append("valuesKey must be a string")
        if has_values:
            values = comp["values"]
            if not isinstance(values, list) or not values:
                out.append("values must be a non-empty list")
            else:
                seen: set[str] = set()
                for j, opt in enumerate(values):
                    if not isinstance(opt, dict) or not _non_empty_str(opt.get("value")):
                        out.append(f"option #{j}: needs a string value")
                        continue
                    if opt["value"] in seen:
                        out.append(f"option {opt['value']!r}: duplicate value")
                    seen.add(opt["value"])
                    if not _non_empty_str(opt.get("label")):
                        out.append(f"option {opt['value']!r}: missing label")
                    if not _non_empty_str(opt.get("label_en")):
                        out.append(f"option {opt['value']!r}: missing label_en")
    elif "values" in comp or "valuesKey" in comp:
        out.append("values / valuesKey only apply to select, radio and checklist")

    if ctype == "datetime" and comp.get("subtype") != "date":
        out.append('datetime fields must have subtype "date"')
    if ctype == "filepicker" and comp.get("multiple") is not True:
        out.append("filepicker must have multiple: true")
    if ctype == "patrolChecklist" and comp.get("key") != "checklist":
        out.append('patrolChecklist must have key "checklist"')
    if "decimalDigits" in comp and (_int_or_none(comp["decimalDigits"]) is None or ctype != "number"):
        out.append("decimalDigits must be an integer on a number field")
    return out


# --------------------------------------------------------------------------
# Value conversion and rules

_Result = tuple[Any, "str | None", dict[str, Any]]


def _coerce(f: Field, raw: Any, options: dict[str, list[str]]) -> _Result:
    """Convert a non-empty raw value; return (value, error code, params)."""
    t = f.type
    if t in TEXT_TYPES:
        if not isinstance(raw, str):
            return None, "not_text", {}
        if "\x00" in raw:
            return None, "pattern", {}
        return raw.strip(), None, {}
    if t == "number":
        num = _to_number(raw)
        if num is None:
            return None, "not_number", {}
        if f.decimal_digits == 0:
            if isinstance(num, float):
                if not num.is_integer():
                    return None, "not_integer", {}
                num = int(num)
        return num, None, {}
    if t == "datetime":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw.isoformat(), None, {}
        if isinstance(raw, str) and _DATE_RE.fullmatch(raw.strip()):
            try:
                return date.fromisoformat(raw.strip()).isoformat(), None, {}
            except ValueError:
                pass
        return None, "not_date", {}
    if t == "checkbox":
        if isinstance(raw, bool):
            return raw, None, {}
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw), None, {}
        if isinstance(raw, str):
            s = raw.strip().lower()
            if s in _TRUE:
                return True, None, {}
            if s in _FALSE:
                return False, None, {}
        return None, "not_bool", {}
    if t in ("select", "radio"):
        allowed = f.allowed_values(options)
        if isinstance(raw, str) and raw.strip() in allowed:
            return raw.strip(), None, {}
        return None, "not_choice", {}
    if t == "checklist":
        if not isinstance(raw, (list, tuple)):
            return None, "not_list", {}
        allowed = f.allowed_values(options)
        out: list[str] = []
        for item in raw:
            if not isinstance(item, str) or item not in allowed:
                return None, "not_choice", {}
            if item not in out:
                out.append(item)
        return out, None, {}
    if t == "filepicker":
        if not isinstance(raw, (list, tuple)):
            return None, "not_list", {}
        if len(raw) > MAX_FILES:
            return None, "too_many_files", {"max": MAX_FILES}
        ids: list[str] = []
        for item in raw:
            if not isinstance(item, str) or not ATTACHMENT_ID_RE.fullmatch(item):
                return None, "bad_attachment", {}
            if item not in ids:
                ids.append(item)
        return ids, None, {}
    return None, "not_choice", {}  # pragma: no cover - unknown types have no Field


def _check_rules(f: Field, value: Any) -> tuple[str | None, dict[str, Any]]:
    if f.type == "number":
        if f.minimum is not None and value < f.minimum:
            return "min", {"min": f.minimum}
        if f.maximum is not None and value > f.maximum:
            return "max", {"max": f.maximum}
    elif f.type in TEXT_TYPES:
        if f.min_length is not None and len(value) < f.min_length:
            return "min_length", {"n": f.min_length}
        if f.max_length is not None and len(value) > f.max_length:
            return "max_length", {"n": f.max_length}
        if f.pattern is not None and not f.pattern.search(value):
            return "pattern", {}
    return None, {}


def _validate_patrol_checklist(
    f: Field,
    raw: Any,
    checklist_items: list[dict] | None,
    clean: dict[str, Any],
    errors: dict[str, str],
    lang: str,
) -> None:
    codes: list[str] = []
    for item in checklist_items or []:
        if isinstance(item, dict) and isinstance(item.get("code"), str) and item["code"] not in codes:
            codes.append(item["code"])
    if _is_empty(raw):
        raw = {}
    if not isinstance(raw, dict):
        errors[f.key] = message("not_object", lang)
        return
    result: dict[str, str] = {}
    bad = 0
    for code in codes:
        value = raw.get(code)
        if _is_empty(value):
            errors[f"{f.key}.{code}"] = message("required", lang)
            bad += 1
        elif not isinstance(value, str) or value.strip().upper() not in CHECKLIST_RESULTS:
            errors[f"{f.key}.{code}"] = message("not_choice", lang)
            bad += 1
        else:
            result[code] = value.strip().upper()
    for code in raw:
        if code not in codes:
            errors[f"{f.key}.{code}"] = message("unknown_item", lang)
            bad += 1
    if bad:
        errors[f.key] = message("checklist_incomplete", lang, n=bad)
    elif result:
        clean[f.key] = result


HAZARD_RESULTS = ("passed", "failed")


def _validate_hazard_results(f: Field, raw: Any, clean: dict[str, Any], errors: dict[str, str], lang: str) -> None:
    if _is_empty(raw):
        return
    if not isinstance(raw, dict):
        errors[f.key] = message("not_object", lang)
        return
    result = {}
    for ref, value in raw.items():
        if not isinstance(value, str) or value.strip().lower() not in HAZARD_RESULTS:
            errors[f"{f.key}.{ref}"] = message("not_choice", lang)
        else:
            result[str(ref)] = value.strip().lower()
    if result and not any(k.startswith(f.key + ".") for k in errors):
        clean[f.key] = result


def _to_number(raw: Any) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return raw if math.isfinite(raw) else None
    if isinstance(raw, str):
        s = raw.strip()
        if len(s) > 40:
            return None
        if _INT_RE.fullmatch(s):
            return int(s)
        if _NUMBER_RE.fullmatch(s):
            value = float(s)
            return value if math.isfinite(value) else None
    return None


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
    return False


def _str_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _num_or_none(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


# --------------------------------------------------------------------------
# Patrol checklist (forms/checklist.json)


def load_checklist(path: str | Path | None = None) -> list[dict[str, Any]]:
    """All checklist items (fresh copies) in file order."""
    path = Path(path) if path is not None else FORMS_DIR / CHECKLIST_FILE
    return [_copy_item(item) for item in _read_checklist(str(path.resolve()))]


@lru_cache(maxsize=8)
def _read_checklist(path: str) -> tuple[dict[str, Any], ...]:
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise FormDefinitionError(f"{path}: checklist must be a JSON list")
    return tuple(i for i in items if isinstance(i, dict))


def _copy_item(item: dict[str, Any]) -> dict[str, Any]:
    copy = dict(item)
    if isinstance(copy.get("applies_to"), list):
        copy["applies_to"] = list(copy["applies_to"])
    return copy


def checklist_for(
    flags: Iterable[str] | None, object_type: str | None, *, path: str | Path | None = None
) -> list[dict[str, Any]]:
    """Checklist items for a project: ``applies_to`` contains "all", the
    object type (SMALL_WORKS / SPORADIC_OP) or any of the risk ``flags``."""
    wanted = {"all"}
    if isinstance(object_type, str):
        wanted.add(object_type)
    wanted.update(f for f in (flags or []) if isinstance(f, str))
    return [
        item
        for item in load_checklist(path)
        if isinstance(item.get("applies_to"), list)
        and wanted.intersection(a for a in item["applies_to"] if isinstance(a, str))
    ]


def checklist_problems(path: str | Path | None = None) -> list[str]:
    """Definition errors in checklist.json."""
    path = Path(path) if path is not None else FORMS_DIR / CHECKLIST_FILE
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"cannot read: {exc}"]
    if not isinstance(items, list) or not items:
        return ["must be a non-empty JSON list"]
    allowed_tags = {"all", *RISK_FLAGS, *OBJECT_TYPES}
    out: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            out.append(f"item #{i}: not an object")
            continue
        code = item.get("code")
        where = f"item {code}" if isinstance(code, str) else f"item #{i}"
        if not isinstance(code, str) or not CHECKLIST_CODE_RE.fullmatch(code):
            out.append(f"{where}: code must look like A01")
        elif code in seen:
            out.append(f"{where}: duplicate code")
        else:
            seen.add(code)
            if item.get("group") != code[0]:
                out.append(f"{where}: group must be {code[0]!r}")
        for prop in ("category", "group", "group_name", "text", "text_en"):
            if not _non_empty_str(item.get(prop)):
                out.append(f"{where}: missing {prop}")
        if item.get("default_severity") not in SEVERITIES:
            out.append(f"{where}: default_severity must be GENERAL or MAJOR")
        applies = item.get("applies_to")
        if not isinstance(applies, list) or not applies:
            out.append(f"{where}: applies_to must be a non-empty list")
        else:
            bad = [a for a in applies if a not in allowed_tags]
            if bad:
                out.append(f"{where}: unknown applies_to tags {bad!r}")
    return out


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")
MAX_FORM_NESTING = 32


def json_nesting(text: str) -> int:
    """How deeply JSON text nests arrays and objects, without parsing it: Python's parser
    recurses per level, and a few thousand levels end in RecursionError."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
