"""Ad-hoc inspections (临时巡查) of a registered site: asked for by its street's staff, or raised by
a report about the site (the public's report from its QR page, an entrusted supervisor's concern,
a lead check that found the site registered). The diagram's event sub-process gives the street's
inspectors the task; no new project is made."""

from __future__ import annotations

from ...persistence.models import Project, User
from ..errors import Forbidden
from ..security import policy
from . import instances


def request_by_staff(user: User, project: Project, reason: str, ip: str | None = None) -> Project:
    if not policy.is_street_staff(user, project):
        raise Forbidden("only the street's inspectors and supervisor ask for ad-hoc inspections")
    payload = {"source": "STAFF", "reason": reason.strip()[:500], "requested_by": user.display_name or user.username}
    return instances.request_inspection(project, payload, actor=user, ip=ip)


def request_from_report(
    project: Project, *, source: str, reason: str, reporter: User, ip: str | None, photos=None, urgency: str = "NORMAL"
) -> Project:
    payload = {
        "source": source,
        "reason": (reason or "").strip()[:500],
        "photos": list(photos or []),
        "urgency": urgency,
    }
    return instances.request_inspection(project, payload, actor=reporter, ip=ip)
