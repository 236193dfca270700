"""Hazards as records (domain.md §9.3): what a patrol's findings make of them, and the rules a step
that touches them must respect. Pure: plain dicts in, plain dicts and error messages out.

A hazard's life: open (ordered, with a deadline) → evidence_submitted → re-inspected: passed =
closed (销号) | failed → extended within P-11c (open again with a new deadline) or escalated to
stop-work, where the resumption check closes it. 现场整改 closes it at once. Which step does what
is the diagram's (the `hazards` property of an element); this module only says how.
"""

from __future__ import annotations

from datetime import date

OPEN, EVIDENCE, FAILED, CLOSED = "open", "evidence_submitted", "failed", "closed"
LIVE = (OPEN, EVIDENCE, FAILED)
STATUS_ZH = {OPEN: "待整改", EVIDENCE: "已提交整改材料", FAILED: "复查不合格", CLOSED: "已销号"}
SEVERITY_ZH = {"GENERAL": "一般隐患", "MAJOR": "重大隐患"}
# Patrol conclusions that record hazards, and the one that closes them on the spot.
ORDERING_OUTCOMES = ("rectify", "stop_now")
FIXED_ONSITE = "fixed_onsite"


def failed_items(checklist: dict | None) -> list[str]:
    """The checklist item codes marked 不合格, in checklist order."""
    return [code for code, result in (checklist or {}).items() if result == "NOK"]


def findings(data: dict, items: list[dict]) -> list[dict]:
    """The hazards a patrol's submission records: one per 不合格 item, and the free-text hazard
    when no item names it. Each with item (code, text), severity, description, photos."""
    by_code = {item["code"]: item for item in items}
    outcome = data.get("outcome")
    if outcome not in ORDERING_OUTCOMES + (FIXED_ONSITE,):
        return []
    description = (data.get("hazard_description") or "").strip()
    photos = list(data.get("photos") or [])
    out = []
    for code in failed_items(data.get("checklist")):
        item = by_code.get(code, {})
        severity = "MAJOR" if data.get("hazard_severity") == "MAJOR" else item.get("default_severity", "GENERAL")
        out.append(
            {
                "item_code": code,
                "item_text": item.get("text") or code,
                "severity": severity,
                "description": description or item.get("text") or code,
                "photos": photos,
            }
        )
    if not out and description:
        out.append(
            {
                "item_code": None,
                "item_text": "其他隐患",
                "severity": data.get("hazard_severity") or "GENERAL",
                "description": description,
                "photos": photos,
            }
        )
    return out


def finding_errors(data: dict, items: list[dict]) -> dict[str, str]:
    """A conclusion that contradicts the checklist: a 不合格 item cannot end in 无隐患."""
    if data.get("outcome") != "no_hazard":
        return {}
    texts = {item["code"]: item.get("text", "") for item in items}
    failed = failed_items(data.get("checklist"))
    if not failed:
        return {}
    named = "；".join(f"{code}（{texts.get(code, '')}）" for code in failed)
    return {"outcome": f"检查项 {named} 为不合格，不能选择“无隐患”：请选择现场整改、责令限期整改或停工"}


def deadline_errors(chosen, latest, today: date) -> dict[str, str]:
    """The inspector may shorten the proposed deadline, or lengthen it up to the district's maximum."""
    if not chosen:
        return {}
    day = chosen if isinstance(chosen, date) else date.fromisoformat(str(chosen)[:10])
    if day < today:
        return {"rectify_deadline": "整改期限不能早于今天"}
    if latest and day > date.fromisoformat(str(latest)[:10]):
        return {"rectify_deadline": f"整改期限不能晚于 {latest}（区实施细则规定的最长整改期限）"}
    return {}


def label(hazard: dict) -> str:
    code = f"{hazard['item_code']} " if hazard.get("item_code") else ""
    return f"{hazard['ref']}（{code}{hazard.get('item_text') or hazard.get('description') or ''}）"


def result_errors(results: dict | None, live: list[dict]) -> dict[str, str]:
    """A re-inspection judges every hazard still open, each 合格 or 不合格, and nothing else."""
    results = results or {}
    refs = {h["ref"] for h in live}
    errors = {}
    missing = [h for h in live if results.get(h["ref"]) not in ("passed", "failed")]
    if missing:
        errors["hazard_results"] = "请逐项填写复查结论：" + "；".join(label(h) for h in missing)
    unknown = [ref for ref in results if ref not in refs]
    if unknown:
        errors["hazard_results"] = "不是本项目待复查的隐患：" + "、".join(map(str, unknown))
    return errors


def reinspection_errors(data: dict, live: list[dict], *, remote_severities, max_extensions: int) -> dict[str, str]:
    errors = result_errors(data.get("hazard_results"), live)
    if errors:
        return errors
    if data.get("method") == "remote":
        onsite = [h for h in live if h["severity"] not in (remote_severities or [])]
        if onsite:
            errors["method"] = (
                "以下隐患须现场复查（区实施细则只允许书面复查"
                + ("、".join(SEVERITY_ZH.get(s, s) for s in remote_severities or []) or "：无")
                + "）："
                + "；".join(label(h) for h in onsite)
            )
    failing = [h for h in live if data["hazard_results"].get(h["ref"]) == "failed"]
    if failing and data.get("failed_action") == "extend":
        spent = [h for h in failing if h.get("extensions", 0) >= max_extensions]
        if spent:
            errors["failed_action"] = (
                f"已达区实施细则规定的最多延期次数（{max_extensions} 次），不能再延期，应提出停工意见："
                + "；".join(label(h) for h in spent)
            )
    if failing and not data.get("failed_action"):
        errors["failed_action"] = "有隐患复查不合格，请选择延期整改或提出停工意见"
    return errors


def resume_errors(data: dict, live: list[dict]) -> dict[str, str]:
    errors = result_errors(data.get("hazard_results"), live) if live else {}
    if errors:
        return errors
    failing = [h for h in live if (data.get("hazard_results") or {}).get(h["ref"]) != "passed"]
    if data.get("resume") == "yes" and failing:
        return {"resume": "隐患未全部销号，不能同意复工：" + "；".join(label(h) for h in failing)}
    return {}


def writeoff_errors(data: dict, live: list[dict], stop_work_open: bool, case_pending: bool = False) -> dict[str, str]:
    """`case_pending`: a handed-over enforcement case is not closed and the district does not write
    such projects off (P-19c)."""
    if data.get("outcome") != "written_off":
        return {}
    if live:
        return {"outcome": "存在未销号隐患，不予核销：" + "；".join(label(h) for h in live)}
    if stop_work_open:
        return {"outcome": "停工尚未解除（未经复工核查），不予核销"}
    if case_pending:
        return {"outcome": "移送的执法案件尚未结案，本区细则规定结案前不予核销"}
    return {}
