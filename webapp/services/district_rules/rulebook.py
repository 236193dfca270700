"""District implementation rules (实施细则): the version in force, new versions, history, and the
`rule(name, default)` function the process calls at the moment of decision.

Versions are immutable rows (DistrictRuleVersion). The version in force at a moment is the newest
whose effective date has passed; a new version may not take effect before the latest one, so the
versions follow each other on one timeline and each version's differences are against the one
before it. A version still to come may be withdrawn, or replaced by a new version (which may then take
effect earlier, even at once): a withdrawal is a row of its own, the version stays in the history. A district that saved no version yet runs on the defaults written in the DMN tables
(version 0), which equal the catalogue's defaults.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError

from ...domain.rules import PARAMS, STAR_LEVELS, Catalogue, Option, rule_calls
from ...domain.workdays import XIAMEN, resolve
from ...persistence.models import DistrictRuleVersion, DistrictRuleWithdrawal, OrgUnit, User, db, utcnow
from ..designer import task_forms
from ..designer.versions import latest_version
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..security import policy

REFS = {p.name: p.ref for p in PARAMS}
MAX_AHEAD = timedelta(days=730)
CLOCK_SKEW = timedelta(minutes=1)
_catalogues: dict[str, Catalogue] = {}


@dataclass
class RuleSet:
    district_code: str
    version: int  # 0: the defaults, the district has saved no version yet
    values: dict
    effective_from: datetime | None = None
    reason: str | None = None
    author: str | None = None
    created_at: datetime | None = None


def catalogue() -> Catalogue:
    """The catalogue with the options the forms define (categories, risk factors, severities)."""
    directory = current_app.config["FORMS_DIR"]
    cat = _catalogues.get(directory)
    if cat is None:
        forms = task_forms.catalog()
        options = {}
        for source in {p.options_from for p in PARAMS if p.options_from}:
            form_key, field_key = source.split(".")
            field = forms.get(form_key).field(field_key)
            options[source] = [
                Option(o["value"], o.get("label") or o["value"], o.get("label_en") or o.get("label") or o["value"])
                for o in field.options
            ]
        cat = _catalogues[directory] = Catalogue.bind(options)
    return cat


# -- reading -------------------------------------------------------------------------------------
def district(code: str) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code, OrgUnit.kind == "district"))
    if unit is None:
        raise NotFound("no such district")
    return unit


def districts() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).where(OrgUnit.kind == "district").order_by(OrgUnit.code)))


def in_force(code: str, at: datetime | None = None) -> RuleSet:
    return _rule_set(code, _in_force_row(code, at or utcnow()))


def latest(code: str, replacing: int | None = None) -> RuleSet:
    """The newest version not withdrawn, in force or scheduled: what a new draft starts from (the
    one before `replacing`, when the draft replaces a scheduled version)."""
    query = select(DistrictRuleVersion).where(DistrictRuleVersion.district_code == code, _standing())
    if replacing is not None:
        query = query.where(DistrictRuleVersion.version != replacing)
    return _rule_set(code, db.session.scalar(query.order_by(DistrictRuleVersion.version.desc()).limit(1)))


def scheduled(code: str, at: datetime | None = None) -> list[DistrictRuleVersion]:
    """Versions saved with an effective date still to come, and not withdrawn."""
    return list(
        db.session.scalars(
            select(DistrictRuleVersion)
            .where(
                DistrictRuleVersion.district_code == code,
                DistrictRuleVersion.effective_from > (at or utcnow()),
                _standing(),
            )
            .order_by(DistrictRuleVersion.version)
        )
    )


def _standing():
    """Not withdrawn (correlated with DistrictRuleVersion)."""
    return ~exists().where(
        DistrictRuleWithdrawal.district_code == DistrictRuleVersion.district_code,
        DistrictRuleWithdrawal.version == DistrictRuleVersion.version,
    )


def read(user: User, code: str) -> RuleSet:
    require_read(user, code)
    return in_force(code)


def history(user: User, code: str, lang: str = "zh") -> list[dict]:
    """Every version, newest first, with who, when, why and each changed value before and after."""
    require_read(user, code)
    cat = catalogue()
    rows = list(
        db.session.scalars(
            select(DistrictRuleVersion)
            .where(DistrictRuleVersion.district_code == code)
            .order_by(DistrictRuleVersion.version)
        )
    )
    withdrawn = {
        w.version: w
        for w in db.session.scalars(select(DistrictRuleWithdrawal).where(DistrictRuleWithdrawal.district_code == code))
    }
    current = _in_force_row(code, utcnow())
    previous = cat.defaults()
    out = []
    for row in rows:
        values = cat.complete(json.loads(row.values_json))
        gone = withdrawn.get(row.version)
        status = (
            "withdrawn"
            if gone
            else "scheduled"
            if current is None or row.version > current.version
            else ("in_force" if row.version == current.version else "superseded")
        )
        out.append(
            {
                "version": row.version,
                "effective_from": row.effective_from,
                "reason": row.reason,
                "author": row.author,
                "created_at": row.created_at,
                "status": status,
                "changes": [change_row(cat, c, lang) for c in cat.diff(previous, values)],
                "withdrawal": None
                if gone is None
                else {"by": gone.author, "at": gone.created_at, "reason": gone.reason, "replaced_by": gone.replaced_by},
            }
        )
        if gone is None:  # a withdrawn version never ran: the next one differs from the one before it
            previous = values
    return list(reversed(out))


def change_row(cat: Catalogue, change, lang: str = "zh") -> dict:
    return {
        "name": change.name,
        "ref": change.ref,
        "label": change.en if lang == "en" else change.zh,
        "before": change.before,
        "after": change.after,
        "before_text": cat.display(change.name, change.before, lang),
        "after_text": cat.display(change.name, change.after, lang),
    }


def side_by_side(user: User, lang: str = "zh") -> dict:
    """The city view: every district's rules in force, parameter by parameter."""
    units = [u for u in districts() if policy.can_read_rules(user, u.code)]
    if not units:
        raise Forbidden("this role cannot read district rules")
    cat = catalogue()
    sets = {u.code: in_force(u.code) for u in units}
    rows = []
    for group, params in cat.groups():
        for param in params:
            values = [sets[u.code].values[param.name] for u in units]
            rows.append(
                {
                    "name": param.name,
                    "ref": param.ref,
                    "group": group.en if lang == "en" else group.zh,
                    "label": param.label(lang),
                    "texts": [cat.display(param.name, v, lang) for v in values],
                    "differs": any(v != values[0] for v in values),
                }
            )
    return {
        "districts": [{"code": u.code, "name": u.name, "version": sets[u.code].version} for u in units],
        "rows": rows,
    }


def parameters(lang: str = "zh") -> list[dict]:
    """The catalogue for clients: types, defaults, options, and which process files read each one."""
    reads = used_by()
    out = []
    for group, params in catalogue().groups():
        for p in params:
            out.append(
                {
                    "name": p.name,
                    "ref": p.ref,
                    "group": group.en if lang == "en" else group.zh,
                    "kind": p.kind,
                    "label": p.label(lang),
                    "default": p.default,
                    "minimum": p.minimum,
                    "maximum": p.maximum,
                    "options": [{"value": o.value, "label": o.label(lang)} for o in p.options],
                    "keys": [{"value": k.value, "label": k.label(lang)} for k in p.keys],
                    "read_by": reads.get(p.name, []),
                }
            )
    return out


# Parameters the platform's services apply themselves (they decide who may do what, not the order
# of steps), named like the process files that read the others.
READ_BY_SERVICES = {
    "enabled_categories": "services/district_rules/rulebook.py",
    "property_may_register": "services/participation/property_companies.py",
    **{
        name: "services/participation/property_companies.py"
        for name in (
            "star_base_score",
            "star_weight_assisted",
            "star_weight_lead_confirmed",
            "star_weight_rectification",
            "star_weight_stop_work",
            *(f"star_min_{n}" for n in STAR_LEVELS),
        )
    },
    # The calendar turns every working-day duration (`3WD`) any rule() call returns into a due time.
    "calendar_holidays": "services/district_rules/rulebook.py (every NWD duration)",
    "calendar_extra_workdays": "services/district_rules/rulebook.py (every NWD duration)",
    # Hazard records: extensions and photo re-inspection are checked when the step is completed.
    "rectify_max_extensions": "services/lifecycle/hazards.py",
    "remote_reinspection_severities": "services/lifecycle/hazards.py",
    # Notices quote the district's legal basis and remedies when they are issued.
    **{
        name: "services/casefile/notices.py"
        for name in ("legal_basis_rectification", "legal_basis_stop_work", "legal_basis_handover", "legal_remedies")
    },
    "remind_due_before": "services/notifications/reminders.py",
    "escalate_overdue_after": "services/notifications/reminders.py",
    **{
        name: "services/lifecycle/site_checkin.py"
        for name in ("checkin_required", "checkin_max_distance_m", "patrol_min_photos")
    },
    "entrusted_supervision_enabled": "services/participation/supervision.py",
    "entrusted_may_raise_leads": "services/participation/supervision.py",
}


def used_by() -> dict[str, list[str]]:
    """Parameter name → the files of the deployed process (or the services) that read it."""
    files = json.loads(latest_version().files_json)
    out: dict[str, list[str]] = {name: [reader] for name, reader in READ_BY_SERVICES.items()}
    for filename, name, _ in rule_calls(files):
        if filename not in out.setdefault(name, []):
            out[name].append(filename)
    return out


def require_enabled_category(district_code: str, category: str | None, lang: str = "zh") -> None:
    """P-02/P-03: a registration names a category the district manages under its rules in force."""
    if category and category not in in_force(district_code).values["enabled_categories"]:
        raise ValidationFailed(
            {
                "category": "Not managed in this district under its implementation rules"
                if lang == "en"
                else "本区实施细则未将该类别纳入纳管范围"
            }
        )


# -- saving --------------------------------------------------------------------------------------
def validate_draft(
    user: User,
    code: str,
    values: dict,
    effective_from=None,
    reason=None,
    *,
    lang: str = "zh",
    preview: bool = False,
    replacing: int | None = None,
) -> tuple[RuleSet, dict, datetime]:
    """(the base version, the complete clean values, the effective moment) or ValidationFailed.
    A preview needs no reason and may equal the latest version. A draft replacing a scheduled
    version starts from the version before it, and may take effect before it."""
    require_edit(user, code)
    if replacing is not None:
        _withdrawable(code, replacing, lang)
    base = latest(code, replacing)
    clean, errors = catalogue().validate(values if values is not None else {}, base=base.values, lang=lang)
    now = utcnow()
    when, problem = _effective(effective_from, now, base, lang)
    if problem:
        errors["effective_from"] = problem
    reason = (reason or "").strip()
    if not preview and not 2 <= len(reason) <= 500:
        errors["reason"] = "Give a reason (2 to 500 characters)" if lang == "en" else "请填写修改原因（2～500 个字）"
    if not preview and not errors and not catalogue().diff(base.values, clean):
        errors["values"] = (
            "Nothing differs from the latest version" if lang == "en" else "与当前最新版本相同，没有需要保存的修改"
        )
    if errors:
        raise ValidationFailed(errors)
    return base, clean, when


def save(
    user: User,
    code: str,
    values: dict,
    effective_from=None,
    reason: str | None = None,
    *,
    base_version: int | None = None,
    replaces: int | None = None,
    lang: str = "zh",
) -> DistrictRuleVersion:
    """Validate, then store the draft as the district's next version; with `replaces`, the scheduled
    version it replaces is withdrawn in the same transaction."""
    base, clean, when = validate_draft(user, code, values, effective_from, reason, lang=lang, replacing=replaces)
    if base_version is not None and base_version not in (base.version, replaces):
        raise Conflict(f"the rules changed meanwhile (now version {base.version}); reload and try again")
    number = (
        db.session.scalar(
            select(func.max(DistrictRuleVersion.version)).where(DistrictRuleVersion.district_code == code)
        )
        or 0
    ) + 1
    row = DistrictRuleVersion(
        district_code=code,
        version=number,
        values_json=json.dumps(clean, ensure_ascii=False),
        effective_from=when,
        reason=reason.strip(),
        author=user.username,
        author_id=user.id,
        created_at=utcnow(),
    )
    db.session.add(row)
    if replaces is not None:
        db.session.add(
            DistrictRuleWithdrawal(
                district_code=code,
                version=replaces,
                replaced_by=number,
                reason=reason.strip(),
                author=user.username,
                author_id=user.id,
                created_at=utcnow(),
            )
        )
    try:
        db.session.commit()
    except IntegrityError as exc:  # another administrator saved the same version number first
        db.session.rollback()
        raise Conflict("the rules changed meanwhile; reload and try again") from exc
    return row


def withdraw(user: User, code: str, version: int, reason: str | None, lang: str = "zh") -> DistrictRuleWithdrawal:
    """Withdraw a version before it takes effect; the version before it stays (or comes) in force."""
    require_edit(user, code)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 500:
        raise ValidationFailed(
            {"reason": "Give a reason (2 to 500 characters)" if lang == "en" else "请填写撤回原因（2～500 个字）"}
        )
    _withdrawable(code, version, lang)
    row = DistrictRuleWithdrawal(
        district_code=code, version=version, reason=reason, author=user.username, author_id=user.id, created_at=utcnow()
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as exc:  # withdrawn or replaced by another administrator meanwhile
        db.session.rollback()
        raise Conflict("the version was withdrawn meanwhile; reload") from exc
    return row


def _withdrawable(code: str, version: int, lang: str) -> None:
    """Only a version still to come, and not withdrawn yet, may be withdrawn or replaced."""
    row = db.session.scalar(
        select(DistrictRuleVersion).where(
            DistrictRuleVersion.district_code == code, DistrictRuleVersion.version == version, _standing()
        )
    )
    if row is None:
        raise NotFound("no such version, or it was withdrawn already")
    if row.effective_from <= utcnow():
        raise Conflict(
            f"Version {version} is already in force: save a new version instead"
            if lang == "en"
            else f"第 {version} 版已生效，不能撤回或替换，请保存新版本"
        )


def _effective(raw, now: datetime, base: RuleSet, lang: str) -> tuple[datetime, str | None]:
    if raw in (None, ""):
        when = now
    elif isinstance(raw, datetime):
        when = raw
    else:
        try:
            when = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            return now, "Not a date and time" if lang == "en" else "日期时间格式不正确"
    if when.tzinfo is None:  # a time typed without a zone is Xiamen local time
        when = when.replace(tzinfo=XIAMEN)
    when = when.astimezone(timezone.utc)
    if when < now - CLOCK_SKEW:
        return when, "Must not be in the past" if lang == "en" else "生效时间不能早于当前时间"
    if when > now + MAX_AHEAD:
        return when, "At most two years ahead" if lang == "en" else "生效时间最多可设在两年之内"
    if base.effective_from is not None and when < base.effective_from:
        local = base.effective_from.astimezone(XIAMEN).strftime("%Y-%m-%d %H:%M")
        return when, (
            f"Must not be before version {base.version} ({local})"
            if lang == "en"
            else f"生效时间不能早于第 {base.version} 版（{local}）"
        )
    return max(when, now), None


# -- access --------------------------------------------------------------------------------------
def require_read(user: User, code: str) -> None:
    district(code)
    if not policy.can_read_rules(user, code):
        raise Forbidden("this district's rules are outside your jurisdiction")


def require_edit(user: User, code: str) -> None:
    district(code)
    if not policy.can_edit_rules(user, code):
        raise Forbidden("only this district's administrators may change its rules")


# -- internals -----------------------------------------------------------------------------------
def _in_force_select(*columns):
    return (
        select(*columns)
        .where(
            DistrictRuleVersion.district_code == bindparam("code"),
            DistrictRuleVersion.effective_from <= bindparam("at"),
            _standing(),
        )
        .order_by(DistrictRuleVersion.effective_from.desc(), DistrictRuleVersion.version.desc())
        .limit(1)
    )


# Built once: rule() runs the second inside every decision that reads a rule, where building the
# select would cost more than running it.
_IN_FORCE = _in_force_select(DistrictRuleVersion)
_IN_FORCE_VALUES = _in_force_select(DistrictRuleVersion.version, DistrictRuleVersion.values_json)


def _in_force_row(code: str, at: datetime) -> DistrictRuleVersion | None:
    return db.session.scalar(_IN_FORCE, {"code": code, "at": at})


def _in_force_values(code: str, at: datetime):
    """(version, values_json) of the version in force, or None: on the connection, past the ORM
    (it runs with every step)."""
    return db.session.connection().execute(_IN_FORCE_VALUES, {"code": code, "at": at}).first()


def _rule_set(code: str, row: DistrictRuleVersion | None) -> RuleSet:
    cat = catalogue()
    if row is None:
        return RuleSet(code, 0, cat.defaults())
    return RuleSet(
        code,
        row.version,
        cat.complete(json.loads(row.values_json)),
        row.effective_from,
        row.reason,
        row.author,
        row.created_at,
    )


# -- the process's view ----------------------------------------------------------------------------
class RuleReader:
    """`rule(name, default)` for one district: the value in force when the step began; every read
    recorded.

    One reader serves one service call (a request, or one timer firing). The district's rules are
    read when the reader is made, before any script runs: a query made from inside a script would
    pay the sandbox's trace function on every Python frame it enters. A parameter the district
    has not set (no version saved yet, or a parameter added since) takes the default written at
    the call site in the DMN, so the process behaves the same before any district saves its rules.
    Working-day values (`3WD`) become an ISO duration counted from the moment of the call on the
    district calendar.
    """

    def __init__(self, district_code: str):
        self.district_code = district_code
        self.applied: list[dict] = []
        row = _in_force_values(district_code, utcnow())
        self._version, self._values = (row.version, json.loads(row.values_json)) if row is not None else (0, {})

    def rule(self, name: str, default=None):
        now = utcnow()
        value, resolved = _lookup(self._values, name, default, now)
        if all(entry["rule"] != name for entry in self.applied):
            entry = {
                "rule": name,
                "ref": REFS.get(name),
                "value": value,
                "district": self.district_code,
                "version": self._version if name in self._values else 0,
            }
            if resolved != value:
                entry["resolved"] = resolved
            self.applied.append(entry)
        return resolved

    def take(self) -> list[dict]:
        """The reads since the last call (they belong to the step that just completed)."""
        applied, self.applied = self.applied, []
        return applied


def bound_rule(values: dict, at: datetime):
    """`rule(name, default)` answering from `values` (a stored or draft rule set) as at `at`,
    recording nothing: for previews. `values={}` answers with the DMN defaults."""
    return lambda name, default=None: _lookup(values, name, default, at)[1]


def _lookup(values: dict, name: str, default, at: datetime):
    """(the value as set, the value the process gets: working days resolved, a copy)."""
    value = values[name] if name in values else default
    resolved = resolve(
        value, at, _dates(values.get("calendar_holidays")), _dates(values.get("calendar_extra_workdays"))
    )
    # A copy: scripts must not change a cached rule set.
    return value, json.loads(json.dumps(resolved))


def _dates(values) -> list[date]:
    return [date.fromisoformat(v) for v in values or []]
