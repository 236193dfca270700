"""District implementation rules (实施细则): the parameter catalogue, validation and differences.

Pure: no Flask, no SQL. The parameters are those of domain.md §7 that drive the process. DMN
cells and BPMN scripts read them by name with `rule(name, default)`
(services.district_rules.rulebook binds that function to a project's district); the defaults below are proposals a district can change and
equal the defaults written in the shipped DMN tables (a test keeps the two in step).

A district's rule set is stored complete (every parameter), so one version row is the whole
document that was in force. Options that forms already define (categories, risk factors, hazard
severities) are taken from the forms, not repeated here: `Catalogue(options)` binds them.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .durations import parse_duration
from .forms import message as form_message
from .workdays import working_day_count

NUMBER, INTEGER, BOOL, CHOICE, MULTI, DURATION, MAPPING, DATES, TEXT = (
    "number",
    "integer",
    "bool",
    "choice",
    "multi",
    "duration",
    "mapping",
    "dates",
    "text",
)
MAX_TEXT = 1000
ALL = "__all__"  # default of a MULTI parameter: every option
MAX_DURATION = timedelta(days=400)
MAX_WORKING_DAYS = 250
MAX_DATES = 400


@dataclass(frozen=True)
class Option:
    value: str
    zh: str
    en: str

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Group:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Param:
    name: str
    ref: str  # domain.md §7 id
    group: str
    kind: str
    default: Any
    zh: str
    en: str
    options: tuple[Option, ...] = ()  # CHOICE, MULTI and the values of a MAPPING
    keys: tuple[Option, ...] = ()  # MAPPING keys
    options_from: str | None = None  # "form.field": options bound from a form definition
    minimum: float | None = None
    maximum: float | None = None
    allow_zero: bool = False  # DURATION
    min_items: int = 0  # MULTI

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


GROUPS = (
    Group("scope", "纳管范围", "Scope"),
    Group("risk", "风险分级", "Risk classification"),
    Group("deadlines", "时限", "Time limits"),
    Group("enforcement", "停工与执法", "Stop-work and enforcement"),
    Group("writeoff", "完工核销", "Completion write-off"),
    Group("calendar", "工作日历", "Working-day calendar"),
    Group("participation", "物业与委托监理", "Property companies and entrusted supervision"),
    Group("daily", "提醒、督办与现场核验", "Reminders, escalation and on-site checks"),
)

_UNITS = (
    Option("STREET_TEAM", "街道综合执法队（赋权事项）", "Street enforcement team (delegated powers)"),
    Option("DISTRICT_ENFORCEMENT", "区综合执法局", "District comprehensive enforcement bureau"),
    Option("DISTRICT_HOUSING", "区住建局", "District housing & construction bureau"),
    Option("DISTRICT_EMERGENCY", "区应急管理局", "District emergency management bureau"),
    Option("URBAN_MANAGEMENT", "城市管理部门", "Urban management"),
    Option("TRANSPORT", "交通主管部门", "Transport authority"),
    Option("WATER", "水利主管部门", "Water authority"),
    Option("GAS", "燃气主管部门", "Gas authority"),
    Option("FIRE", "消防救援机构", "Fire and rescue"),
    Option("POLICE", "公安机关", "Public security"),
)
_VIOLATIONS = (
    Option("UNREGISTERED", "未登记擅自施工", "Works without registration"),
    Option("OVERDUE", "逾期未整改", "Rectification overdue"),
    Option("STOP_ORDER_IGNORED", "拒不执行停工指令", "Stop-work order ignored"),
    Option("STRUCTURAL_CHANGE", "擅自变动主体和承重结构", "Unauthorised structural change"),
    Option("ILLEGAL_ADDITION", "违法加建", "Illegal addition"),
    Option("NO_QUALIFICATION", "无资质施工", "Works without required qualification"),
    Option("FIRE_SAFETY", "消防安全违法", "Fire-safety violation"),
    Option("GAS_SAFETY", "危及燃气设施安全", "Endangering gas facilities"),
)
_STREET_ROLES = (
    Option("supervisor", "镇街负责人", "Street supervisor"),
    Option("inspector", "镇街巡查员", "Street patrol inspector"),
)
_WRITEOFF_BY = (
    Option("inspector", "镇街巡查员", "Street patrol inspector"),
    Option("supervisor", "镇街负责人", "Street supervisor"),
    Option("inspector_then_supervisor", "巡查员核销后报镇街负责人审核", "The inspector, then the supervisor approves"),
)
_HIGH_FLAGS = [
    "STRUCTURAL_CHANGE",
    "CONFINED_SPACE",
    "DEMOLITION",
    "GONDOLA",
    "LIFTING",
    "EXCAVATION",
    "NEAR_GAS",
    "LIFT_ADDITION",
]
_MEDIUM_FLAGS = ["HEIGHT_2M", "FACADE", "SCAFFOLD", "HOT_WORK", "TEMP_POWER", "CROWDED_PLACE"]


# Default wording of the notices' legal basis (P-20); the district's legal office edits it.
LEGAL_BASIS_RECTIFICATION = (
    "《中华人民共和国安全生产法》第六十五条、第一百零二条；《厦门市小散工程和零星作业安全生产纳管办法》"
)
LEGAL_BASIS_STOP_WORK = "《中华人民共和国安全生产法》第六十五条、第一百零二条；《建设工程安全生产管理条例》；《厦门市小散工程和零星作业安全生产纳管办法》"
LEGAL_BASIS_HANDOVER = "《中华人民共和国行政处罚法》；《厦门市小散工程和零星作业安全生产纳管办法》及本区实施细则"
LEGAL_REMEDIES = (
    "如不服本通知，可以自收到本通知之日起六十日内依法向区人民政府申请行政复议，"
    "或者自收到本通知之日起六个月内依法向人民法院提起行政诉讼。"
)

# Star ratings above one star, each with its lowest score (`star_min_<n>`) in the district's rules (P-26).
STAR_LEVELS = (2, 3, 4, 5)


def _duration(name, ref, group, default, zh, en, **kw) -> Param:
    return Param(name, ref, group, DURATION, default, zh, en, **kw)


def _flag(name, ref, group, zh, en) -> Param:
    return Param(name, ref, group, BOOL, True, zh, en)


PARAMS: tuple[Param, ...] = (
    # P-01 threshold, P-02/P-03 categories
    Param(
        "threshold_investment_wan",
        "P-01a",
        "scope",
        NUMBER,
        100,
        "限额：投资额（万元，含）",
        "Threshold: investment (10k yuan, inclusive)",
        minimum=0,
        maximum=10000,
    ),
    Param(
        "threshold_area_m2",
        "P-01b",
        "scope",
        NUMBER,
        500,
        "限额：建筑面积（㎡，含）",
        "Threshold: floor area (m², inclusive)",
        minimum=0,
        maximum=100000,
    ),
    Param(
        "threshold_combination",
        "P-01c",
        "scope",
        CHOICE,
        "OR",
        "限额组合方式",
        "Threshold combination",
        options=(
            Option("OR", "或：任一项在限额内即纳管", "OR: either within the threshold"),
            Option("AND", "且：两项均在限额内才纳管", "AND: both within the threshold"),
        ),
    ),
    Param(
        "enabled_categories",
        "P-02/P-03",
        "scope",
        MULTI,
        ALL,
        "纳管的工程类别和零星作业类型",
        "Managed works categories and sporadic-operation types",
        options_from="registration.category",
        min_items=1,
    ),
    # P-05 risk classification, P-09 first visit
    Param(
        "risk_high_flags",
        "P-05a",
        "risk",
        MULTI,
        _HIGH_FLAGS,
        "高风险因素",
        "High-risk factors",
        options_from="registration.risk_flags",
    ),
    Param(
        "risk_medium_flags",
        "P-05b",
        "risk",
        MULTI,
        _MEDIUM_FLAGS,
        "中风险因素",
        "Medium-risk factors",
        options_from="registration.risk_flags",
    ),
    Param(
        "risk_mismatch_yuan_per_m2",
        "P-05c",
        "risk",
        NUMBER,
        300,
        "投资额与面积不匹配：每平方米造价低于（元）",
        "Investment/area mismatch: cost per m² below (yuan)",
        minimum=0,
        maximum=100000,
    ),
    Param(
        "risk_mismatch_min_area_m2",
        "P-05d",
        "risk",
        NUMBER,
        100,
        "投资额与面积不匹配：面积超过（㎡）时适用",
        "Investment/area mismatch: applies above floor area (m²)",
        minimum=0,
        maximum=100000,
    ),
    # P-07 .. P-12 time limits
    _duration(
        "registration_lead_small_works",
        "P-07a",
        "deadlines",
        "1WD",
        "登记提前量：小散工程（开工前）",
        "Registration lead time: small works (before start)",
        allow_zero=True,
    ),
    _duration(
        "registration_lead_sporadic",
        "P-07b",
        "deadlines",
        "P0D",
        "登记提前量：零星作业（作业前）",
        "Registration lead time: sporadic operations",
        allow_zero=True,
    ),
    _duration("patrol_interval_high", "P-08a", "deadlines", "P7D", "巡查间隔：高风险", "Patrol interval: high risk"),
    _duration(
        "patrol_interval_medium", "P-08b", "deadlines", "P14D", "巡查间隔：中风险", "Patrol interval: medium risk"
    ),
    _duration("patrol_interval_low", "P-08c", "deadlines", "P21D", "巡查间隔：低风险", "Patrol interval: low risk"),
    _duration("first_visit_high", "P-09a", "deadlines", "P2D", "首次核实时限：高风险", "First-visit limit: high risk"),
    _duration(
        "first_visit_medium", "P-09b", "deadlines", "P5D", "首次核实时限：中风险", "First-visit limit: medium risk"
    ),
    _duration("first_visit_low", "P-09c", "deadlines", "P5D", "首次核实时限：低风险", "First-visit limit: low risk"),
    _duration(
        "lead_dispatch_imminent",
        "P-10a",
        "deadlines",
        "PT2H",
        "线索派遣时限：紧急危险",
        "Lead dispatch limit: imminent danger",
    ),
    _duration(
        "lead_dispatch_normal",
        "P-10b",
        "deadlines",
        "PT24H",
        "线索派遣时限：一般线索",
        "Lead dispatch limit: other leads",
    ),
    _duration(
        "rectify_major", "P-11a", "deadlines", "P1D", "整改期限：重大隐患", "Rectification deadline: major hazard"
    ),
    _duration(
        "rectify_general", "P-11b", "deadlines", "P3D", "整改期限：一般隐患", "Rectification deadline: general hazard"
    ),
    _duration(
        "rectify_max",
        "P-11d",
        "deadlines",
        "P7D",
        "整改期限最长（巡查员可在此内延长）",
        "Longest rectification deadline an inspector may set",
    ),
    Param(
        "rectify_max_extensions",
        "P-11c",
        "deadlines",
        INTEGER,
        1,
        "整改最多延期次数",
        "Maximum extensions",
        minimum=0,
        maximum=5,
    ),
    _duration(
        "reinspect_within",
        "P-12a",
        "deadlines",
        "P2D",
        "复查时限（提交整改材料后）",
        "Re-inspection limit (after evidence)",
    ),
    Param(
        "remote_reinspection_severities",
        "P-12b",
        "deadlines",
        MULTI,
        ["GENERAL"],
        "允许书面（照片）复查的隐患等级",
        "Severities that may be re-inspected from photos",
        options_from="patrol.hazard_severity",
    ),
    # P-14 .. P-17 stop-work and enforcement
    Param(
        "stop_work_approver",
        "P-14",
        "enforcement",
        CHOICE,
        "supervisor",
        "停工及移交执法的审批人",
        "Who approves stop-work and hand-over",
        options=_STREET_ROLES,
    ),
    _flag(
        "auto_stop_overdue", "P-15a", "enforcement", "逾期未整改自动启动停工", "Overdue rectification starts stop-work"
    ),
    _flag(
        "auto_stop_unregistered", "P-15b", "enforcement", "发现未登记施工自动停工", "Unregistered site starts stop-work"
    ),
    _flag("auto_stop_major_hazard", "P-15c", "enforcement", "重大隐患自动停工", "Major hazard starts stop-work"),
    _flag(
        "auto_stop_no_qualification",
        "P-15d",
        "enforcement",
        "无资质施工自动停工",
        "Missing qualification starts stop-work",
    ),
    Param(
        "enforcement_routing",
        "P-16",
        "enforcement",
        MAPPING,
        {
            "UNREGISTERED": "DISTRICT_ENFORCEMENT",
            "OVERDUE": "DISTRICT_ENFORCEMENT",
            "STOP_ORDER_IGNORED": "DISTRICT_ENFORCEMENT",
            "STRUCTURAL_CHANGE": "DISTRICT_HOUSING",
            "ILLEGAL_ADDITION": "DISTRICT_ENFORCEMENT",
            "NO_QUALIFICATION": "DISTRICT_HOUSING",
            "FIRE_SAFETY": "FIRE",
            "GAS_SAFETY": "GAS",
        },
        "执法移交路由（违法类型 → 接收单位）",
        "Enforcement routing (violation → receiving unit)",
        options=_UNITS,
        keys=_VIOLATIONS,
    ),
    _duration(
        "enforcement_ack_within", "P-17a", "enforcement", "3WD", "执法接收确认时限", "Enforcement acknowledgement limit"
    ),
    _duration(
        "enforcement_decision_within", "P-17b", "enforcement", "P30D", "执法处置反馈时限", "Enforcement decision limit"
    ),
    # P-20 the notices' legal basis and remedies, as the district's legal office words them
    Param(
        "legal_basis_rectification",
        "P-20a",
        "enforcement",
        TEXT,
        LEGAL_BASIS_RECTIFICATION,
        "法律依据：责令限期整改通知书",
        "Legal basis: rectification order",
    ),
    Param(
        "legal_basis_stop_work",
        "P-20b",
        "enforcement",
        TEXT,
        LEGAL_BASIS_STOP_WORK,
        "法律依据：责令停工通知书",
        "Legal basis: stop-work order",
    ),
    Param(
        "legal_basis_handover",
        "P-20c",
        "enforcement",
        TEXT,
        LEGAL_BASIS_HANDOVER,
        "法律依据：案件移送函",
        "Legal basis: hand-over letter",
    ),
    Param(
        "legal_remedies",
        "P-20d",
        "enforcement",
        TEXT,
        LEGAL_REMEDIES,
        "救济途径（行政复议、行政诉讼）",
        "Remedies (administrative review, litigation)",
    ),
    # P-18, P-19 completion and write-off
    _duration(
        "completion_reminder_after",
        "P-18a",
        "writeoff",
        "P7D",
        "计划完工后提醒业主",
        "Remind the owner after the planned end",
    ),
    _duration(
        "completion_verify_after",
        "P-18b",
        "writeoff",
        "P30D",
        "计划完工后派巡查员核实",
        "Send the inspector to verify after the planned end",
    ),
    Param(
        "writeoff_by",
        "P-19a",
        "writeoff",
        CHOICE,
        "inspector",
        "完工核销人",
        "Who writes projects off",
        options=_WRITEOFF_BY,
    ),
    Param("writeoff_auto", "P-19b", "writeoff", BOOL, False, "允许自动核销", "Automatic write-off allowed"),
    Param(
        "writeoff_with_pending_enforcement",
        "P-19c",
        "writeoff",
        BOOL,
        False,
        "执法案件未结时允许核销归档",
        "Write-off allowed while an enforcement case is pending",
    ),
    Param(
        "writeoff_photos_required", "P-19d", "writeoff", BOOL, False, "核销须附现场照片", "Write-off needs site photos"
    ),
    # P-26 property companies: duties and the star rating's weights; P-27 entrusted supervision
    _flag(
        "property_may_register",
        "P-26a",
        "participation",
        "物业服务企业可代业主登记",
        "Property companies may register on behalf of owners",
    ),
    Param(
        "star_base_score",
        "P-26c",
        "participation",
        NUMBER,
        80,
        "星级评定：基础分",
        "Star rating: base score",
        minimum=0,
        maximum=100,
    ),
    Param(
        "star_weight_assisted",
        "P-26d",
        "participation",
        NUMBER,
        2,
        "星级评定：每小区每宗协助登记加分",
        "Star rating: points per registration assisted, per estate",
        minimum=0,
        maximum=100,
    ),
    Param(
        "star_weight_lead_confirmed",
        "P-26e",
        "participation",
        NUMBER,
        3,
        "星级评定：每小区每条线索查实加分",
        "Star rating: points per confirmed lead, per estate",
        minimum=0,
        maximum=100,
    ),
    Param(
        "star_weight_rectification",
        "P-26f",
        "participation",
        NUMBER,
        2,
        "星级评定：每小区每份整改通知扣分",
        "Star rating: points off per rectification order, per estate",
        minimum=0,
        maximum=100,
    ),
    Param(
        "star_weight_stop_work",
        "P-26g",
        "participation",
        NUMBER,
        5,
        "星级评定：每小区每次停工扣分",
        "Star rating: points off per stop-work order, per estate",
        minimum=0,
        maximum=100,
    ),
    *(
        Param(
            f"star_min_{stars}",
            f"P-26{ref}",
            "participation",
            NUMBER,
            default,
            f"星级评定：{stars}星最低分",
            f"Star rating: lowest score for {stars} stars",
            minimum=0,
            maximum=200,
        )
        for stars, ref, default in zip(STAR_LEVELS, "hijk", (60, 70, 80, 90))
    ),
    _flag(
        "entrusted_supervision_enabled",
        "P-27a",
        "participation",
        "启用委托监理（建议性记录）",
        "Entrusted supervision enabled (advisory logs)",
    ),
    _flag(
        "entrusted_may_raise_leads",
        "P-27b",
        "participation",
        "委托监理记录可生成线索",
        "Entrusted supervisors' findings may raise leads",
    ),
    # Reminders and escalation (督办) of late work; patrol evidence on site (P-13a/b)
    _duration(
        "remind_due_before",
        "P-33a",
        "daily",
        "PT24H",
        "到期前提醒办理人（提前量）",
        "Remind the holder this long before a task is due",
    ),
    _duration(
        "escalate_overdue_after",
        "P-33b",
        "daily",
        "P1D",
        "逾期后向上级督办（延迟）",
        "Escalate an overdue task to the supervisor after",
        allow_zero=True,
    ),
    Param("checkin_required", "P-13d", "daily", BOOL, False, "巡查须现场定位签到", "Patrols need a GPS check-in"),
    Param(
        "checkin_max_distance_m",
        "P-13b",
        "daily",
        INTEGER,
        200,
        "定位签到与登记位置最大距离（米）",
        "Maximum distance of the check-in from the registered location (m)",
        minimum=10,
        maximum=5000,
    ),
    Param(
        "patrol_min_photos",
        "P-13a",
        "daily",
        INTEGER,
        0,
        "巡查最少照片数",
        "Minimum photos per patrol",
        minimum=0,
        maximum=10,
    ),
    # P-34 other systems' answers (external tasks): after this long without a worker's answer the
    # step falls back to people on the platform
    _duration(
        "permit_referral_answer_within",
        "P-34a",
        "deadlines",
        "P1D",
        "施工许可监管系统未答复转人工办理",
        "Permit-supervision system silent: hand to staff after",
    ),
    _duration(
        "enforcement_case_answer_within",
        "P-34b",
        "deadlines",
        "PT4H",
        "执法办案系统未接收转人工移送",
        "Enforcement case system silent: hand over by staff after",
    ),
    # P-23 calendar
    Param(
        "calendar_holidays",
        "P-23a",
        "calendar",
        DATES,
        [],
        "法定节假日（不计工作日）",
        "Public holidays (not working days)",
    ),
    Param(
        "calendar_extra_workdays",
        "P-23b",
        "calendar",
        DATES,
        [],
        "调休上班日（周末计工作日）",
        "Adjusted working days (weekend days worked)",
    ),
)

MESSAGES: dict[str, tuple[str, str]] = {
    "not_duration": (
        "应为 ISO 8601 时长（如 P3D、PT2H、PT30S）或工作日数（如 3WD）",
        "Must be an ISO 8601 duration (P3D, PT2H, PT30S) or working days (3WD)",
    ),
    "not_positive": ("时长必须大于零", "Must be longer than zero"),
    "too_long": ("时长过长（最长 400 天或 250 个工作日）", "Too long (at most 400 days or 250 working days)"),
    "min_items": ("至少选择 {n} 项", "Choose at least {n}"),
    "too_many_dates": ("最多 {n} 个日期", "At most {n} dates"),
    "star_order": ("不能低于「{other}」", "Cannot be below \"{other}\""),
    "overlap": ("与「{other}」重复：{values}", "Overlaps with \"{other}\": {values}"),
}


def message(code: str, lang: str = "zh", **params) -> str:
    if code not in MESSAGES:
        return form_message(code, lang, **params)
    zh, en = MESSAGES[code]
    return (en if lang == "en" else zh).format(**params)


class Invalid(ValueError):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Change:
    name: str
    ref: str
    zh: str
    en: str
    before: Any
    after: Any


@dataclass
class Catalogue:
    """The parameters with their options bound; validates, compares and displays rule sets."""

    params: dict[str, Param] = field(default_factory=dict)

    @classmethod
    def bind(cls, options: dict[str, list[Option]] | None = None) -> Catalogue:
        options = options or {}
        params = {}
        for param in PARAMS:
            if param.options_from:
                param = replace(param, options=tuple(options.get(param.options_from, ())))
            if param.kind == MULTI:  # in the options' order, as validation leaves every list
                chosen = param.default
                param = replace(param, default=[o.value for o in param.options if chosen == ALL or o.value in chosen])
            params[param.name] = param
        return cls(params)

    def defaults(self) -> dict[str, Any]:
        return {name: _copy(p.default) for name, p in self.params.items()}

    def complete(self, values: dict | None) -> dict[str, Any]:
        """Every parameter: the stored values, defaults for parameters added since."""
        out = self.defaults()
        out.update({k: _copy(v) for k, v in (values or {}).items() if k in self.params})
        return out

    def groups(self) -> list[tuple[Group, list[Param]]]:
        return [(g, [p for p in self.params.values() if p.group == g.code]) for g in GROUPS]

    def validate(self, raw: dict, base: dict | None = None, lang: str = "zh") -> tuple[dict, dict[str, str]]:
        """`raw` over `base` (both by parameter name): the complete clean values, and errors by name."""
        values = self.complete(base)
        errors: dict[str, str] = {}
        if not isinstance(raw, dict):
            return values, {"values": form_message("not_object", lang)}
        for name, value in raw.items():
            param = self.params.get(name)
            if param is None:
                errors[name] = form_message("unknown_field", lang)
                continue
            try:
                values[name] = _coerce(param, value, values[name])
            except Invalid as exc:
                errors[name] = message(exc.code, lang, **exc.params)
        errors.update(self._cross_checks(values, errors, lang))
        return values, errors

    def _cross_checks(self, values: dict, errors: dict, lang: str) -> dict[str, str]:
        """Pairs that contradict each other: the same factor as high and medium risk, a holiday worked."""
        out = {}
        for name, other in (("risk_medium_flags", "risk_high_flags"), ("calendar_extra_workdays", "calendar_holidays")):
            if name in errors or other in errors:
                continue
            both = [v for v in values[name] if v in values[other]]
            if both:
                shown = "、".join(self.display_item(self.params[name], v, lang) for v in both)
                out[name] = message("overlap", lang, other=self.params[other].label(lang), values=shown)
        stars = [f"star_min_{n}" for n in STAR_LEVELS]
        for lower, higher in zip(stars, stars[1:]):
            if lower not in errors and higher not in errors and values[higher] < values[lower]:
                out[higher] = message("star_order", lang, other=self.params[lower].label(lang))
        return out

    def diff(self, before: dict, after: dict) -> list[Change]:
        before, after = self.complete(before), self.complete(after)
        return [
            Change(p.name, p.ref, p.zh, p.en, before[p.name], after[p.name])
            for p in self.params.values()
            if before[p.name] != after[p.name]
        ]

    def display(self, name: str, value: Any, lang: str = "zh") -> str:
        """A value as an administrator reads it: labels for codes, 是/否, durations in words."""
        param = self.params.get(name)
        if param is None:
            return str(value)
        if param.kind == BOOL:
            return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
        if param.kind == DURATION:
            return describe_duration(value, lang)
        if param.kind == MULTI:
            if not value:
                return "(none)" if lang == "en" else "（无）"
            return "、".join(self.display_item(param, v, lang) for v in value)
        if param.kind == MAPPING:
            keys = {k.value: k.label(lang) for k in param.keys}
            return "；".join(f"{keys.get(k, k)} → {self.display_item(param, v, lang)}" for k, v in value.items())
        if param.kind == DATES:
            return "、".join(value) if value else ("(none)" if lang == "en" else "（无）")
        if param.kind == TEXT:
            return str(value)
        return self.display_item(param, value, lang)

    @staticmethod
    def display_item(param: Param, value: Any, lang: str = "zh") -> str:
        option = param.option(value) if isinstance(value, str) else None
        if option is not None:
            return option.label(lang)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)


# -- coercion -----------------------------------------------------------------------------------
def _coerce(param: Param, raw: Any, current: Any) -> Any:
    if param.kind == NUMBER:
        return _number(param, raw, integer=False)
    if param.kind == INTEGER:
        return _number(param, raw, integer=True)
    if param.kind == BOOL:
        return _bool(raw)
    if param.kind == CHOICE:
        if not isinstance(raw, str) or param.option(raw) is None:
            raise Invalid("not_choice")
        return raw
    if param.kind == MULTI:
        return _multi(param, raw)
    if param.kind == DURATION:
        return normalize_duration(raw, allow_zero=param.allow_zero)
    if param.kind == MAPPING:
        return _mapping(param, raw, current)
    if param.kind == DATES:
        return _dates(raw)
    if param.kind == TEXT:
        return _text(raw)
    raise AssertionError(param.kind)


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("required")
    if len(raw.strip()) > MAX_TEXT:
        raise Invalid("max_length", n=MAX_TEXT)
    return raw.strip()


def _number(param: Param, raw: Any, *, integer: bool):
    if isinstance(raw, bool) or raw is None:
        raise Invalid("not_integer" if integer else "not_number")
    try:
        number = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise Invalid("not_integer" if integer else "not_number") from None
    if not math.isfinite(number):
        raise Invalid("not_number")
    if integer and not number.is_integer():
        raise Invalid("not_integer")
    if param.minimum is not None and number < param.minimum:
        raise Invalid("min", min=param.minimum)
    if param.maximum is not None and number > param.maximum:
        raise Invalid("max", max=param.maximum)
    return int(number) if number.is_integer() else number


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "on", "1", "yes", "是"):
        return True
    if text in ("false", "off", "0", "no", "否", ""):
        return False
    raise Invalid("not_bool")


def _items(raw: Any) -> list:
    """A list, or text with one item per line or comma (what an HTML form sends)."""
    if isinstance(raw, str):
        return [part for part in re.split(r"[\s,，、;；]+", raw) if part]
    if isinstance(raw, (list, tuple)):
        return list(raw)
    raise Invalid("not_list")


def _multi(param: Param, raw: Any) -> list[str]:
    chosen = _items(raw)
    if any(not isinstance(v, str) or param.option(v) is None for v in chosen):
        raise Invalid("not_choice")
    if len(set(chosen)) < param.min_items:
        raise Invalid("min_items", n=param.min_items)
    return [o.value for o in param.options if o.value in chosen]  # the options' order, no repeats


def _mapping(param: Param, raw: Any, current: dict) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise Invalid("not_object")
    keys = [k.value for k in param.keys]
    out = dict(current)
    for key, value in raw.items():
        if key not in keys or not isinstance(value, str) or param.option(value) is None:
            raise Invalid("not_choice")
        out[key] = value
    return {k: out[k] for k in keys if k in out}


def _dates(raw: Any) -> list[str]:
    items = _items(raw)
    if len(items) > MAX_DATES:
        raise Invalid("too_many_dates", n=MAX_DATES)
    try:
        days = {date.fromisoformat(str(v)) for v in items}
    except ValueError:
        raise Invalid("not_date") from None
    return [d.isoformat() for d in sorted(days)]


def normalize_duration(raw: Any, *, allow_zero: bool = False) -> str:
    """`P3D`, `PT30S`, `3WD`, upper-cased and checked; Invalid otherwise."""
    if not isinstance(raw, str):
        raise Invalid("not_duration")
    text = raw.strip().upper()
    days = working_day_count(text)
    if days is not None:
        if days > MAX_WORKING_DAYS:
            raise Invalid("too_long")
        if days == 0 and not allow_zero:
            raise Invalid("not_positive")
        return text
    if text in ("P", "PT") or text.endswith("T"):
        raise Invalid("not_duration")
    try:
        # A fixed start: months and years last differently from one start to another.
        delta = parse_duration(text, start=datetime(2026, 1, 1, tzinfo=timezone.utc))
    except ValueError:
        raise Invalid("not_duration") from None
    if delta > MAX_DURATION:
        raise Invalid("too_long")
    if delta <= timedelta(0) and not (allow_zero and delta == timedelta(0)):
        raise Invalid("not_positive")
    return text


_UNITS_ZH = (("Y", "年", "year"), ("M", "个月", "month"), ("W", "周", "week"), ("D", "天", "day"))
_TIME_ZH = (("H", "小时", "hour"), ("M", "分钟", "minute"), ("S", "秒", "second"))


def describe_duration(value: Any, lang: str = "zh") -> str:
    """`P1DT2H` → 1天2小时 / 1 day 2 hours; `3WD` → 3个工作日; anything else as it is."""
    if not isinstance(value, str):
        return str(value)
    days = working_day_count(value)
    if days is not None:
        return f"{days} working day{'s' if days != 1 else ''}" if lang == "en" else f"{days}个工作日"
    match = re.fullmatch(
        r"P(?:([\d.]+)Y)?(?:([\d.]+)M)?(?:([\d.]+)W)?(?:([\d.]+)D)?"
        r"(?:T(?:([\d.]+)H)?(?:([\d.]+)M)?(?:([\d.]+)S)?)?",
        value,
    )
    if not match:
        return value
    parts = []
    for number, (_, zh, en) in zip(match.groups(), _UNITS_ZH + _TIME_ZH):
        if number is not None:
            plural = "" if number == "1" else "s"
            parts.append(f"{number} {en}{plural}" if lang == "en" else f"{number}{zh}")
    if not parts:
        return "0"
    return " ".join(parts) if lang == "en" else "".join(parts)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


# -- where the process reads rules ---------------------------------------------------------------
def rule_calls(files: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(file, parameter name, default) for every `rule('name', default)` written in process files.

    Lets the administration pages say which parameters the deployed process actually reads,
    and lets a test check that the DMN defaults equal the catalogue's.
    """
    out = []
    for filename, text in sorted(files.items()):
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&quot;", '"')
        for match in re.finditer(r"rule\(\s*'(\w+)'\s*,", text):
            default = _literal_after(text, match.end())
            out.append((filename, match.group(1), default))
    return out


def _literal_after(text: str, start: int) -> Any:
    """The Python literal that starts at `start` and ends at the call's closing parenthesis."""
    depth, quote = 0, None
    for index in range(start, min(len(text), start + 2000)):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                try:
                    return ast.literal_eval(text[start:index].strip())
                except (ValueError, SyntaxError):
                    return None
            depth -= 1
    return None
