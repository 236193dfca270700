"""The monthly report districts send up (月报): one row per street of the jurisdiction and a total,
from the same figures as the dashboard (services.dashboard), for a calendar month."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import func, select

from ...persistence.models import OrgUnit, Project, User, db
from ...persistence.oversight import Notice
from ..errors import Forbidden, ValidationFailed
from ..ledger import queries
from ..security import policy
from . import dashboard, kpi

COLUMNS = (
    "单位",
    "新增登记",
    "新增线索",
    "纳管率",
    "巡查覆盖率",
    "整改通知",
    "按期整改",
    "逾期整改",
    "按期整改率",
    "责令停工",
    "移交执法",
    "按期核销",
    "逾期核销",
    "按期核销率",
    "有逾期任务的项目（出表时）",
)
COLUMNS_EN = (
    "Unit",
    "New registrations",
    "New leads",
    "Registration rate",
    "Patrol coverage",
    "Rectification orders",
    "Rectified on time",
    "Rectification overdue",
    "On-time rectification",
    "Stop-work orders",
    "Hand-overs",
    "Written off on time",
    "Written off late",
    "On-time write-off",
    "Projects with overdue tasks (now)",
)


def month_span(month: str) -> tuple[str, str]:
    try:
        first = kpi.checked_day(f"{month}-01")
    except ValueError:
        raise ValidationFailed({"month": "格式应为 YYYY-MM"}) from None
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first.isoformat(), following.isoformat()


def monthly(user: User, month: str) -> list[tuple]:
    """Rows in COLUMNS order: each street, then the whole jurisdiction."""
    if not policy.can_view_dashboards(user):
        raise Forbidden("reports are for street, district and city users")
    since, until = month_span(month)
    streets = list(db.session.scalars(select(OrgUnit).where(policy.street_filter(user)).order_by(OrgUnit.code)))
    rows = [_row(user, street.name, since, until, street.code) for street in streets]
    if len(streets) > 1:
        rows.append(_row(user, "合计", since, until, None))
    return rows


def _row(user: User, name: str, since: str, until: str, street: str | None) -> tuple:
    d = dashboard.build(user, since=since, until=until, street=street)

    def new(channel):
        query = queries.ledger_query(user, street=street, channel=channel, created_from=since, created_to=until)
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    return (
        name,
        new("owner"),
        new("lead"),
        d["coverage"]["rate"],
        d["patrol"]["rate"],
        d["rectification"]["ordered"]["value"],
        d["rectification"]["on_time"]["value"],
        d["rectification"]["overdue"]["value"],
        d["rectification"]["rate"],
        d["enforcement"]["stop_work"]["value"],
        d["enforcement"]["handover"]["value"],
        d["writeoff"]["on_time"]["value"],
        d["writeoff"]["late"]["value"],
        d["writeoff"]["rate"],
        d["overdue"]["total"]["value"],
    )


INSURANCE_COLUMNS = ("单位", "登记数", "已投保安责险", "投保率")
INSURANCE_COLUMNS_EN = ("Unit", "Registrations", "With safety-liability insurance", "Insured share")


def insurance(user: User, since: str, until: str) -> list[tuple]:
    """Registrations of the period (registration receipts issued) and how many declared a safety-
    liability insurance policy (P-28: recorded, reported by district), per street and in total."""
    if not policy.can_view_dashboards(user):
        raise Forbidden("reports are for street, district and city users")
    counts: dict[str, list[int]] = {}
    rows = db.session.execute(
        select(Project.street_code, Notice.data_json)
        .join(Project, Project.id == Notice.project_id)
        .where(
            policy.project_filter(user),
            Notice.kind == "receipt",
            Notice.issued_at >= kpi.day_start(since),
            Notice.issued_at < kpi.day_start(until),
        )
    )
    for street, data in rows:
        entry = counts.setdefault(street, [0, 0])
        entry[0] += 1
        entry[1] += 1 if json.loads(data or "{}").get("has_safety_insurance") else 0
    names = dict(db.session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(list(counts)))).all())
    out = [(names.get(s, s), n, insured, _share(insured, n)) for s, (n, insured) in sorted(counts.items())]
    total, insured = sum(r[1] for r in out), sum(r[2] for r in out)
    if len(out) > 1:
        out.append(("合计", total, insured, _share(insured, total)))
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
