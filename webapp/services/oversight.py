"""What oversight keeps of each step, written in the transaction that records the step
(called by services.instances as it writes the ledger row): the project's last site visit, for
the patrol-coverage KPI, and the notices the diagram attaches to steps (services.notices)."""
from __future__ import annotations

from datetime import datetime, timezone

from ..persistence.models import Project
from . import notices
from .kpi import VISIT_ELEMENTS


def visit_columns(events) -> dict:
    """The ledger columns these steps change: the last site visit, if they include one."""
    if any(event.name in VISIT_ELEMENTS for event in events):
        return {"last_visit_at": datetime.now(timezone.utc)}
    return {}


def after_steps(project: Project, bundle, events, data: dict) -> None:
    """The notices these steps issue; the project's ledger row is already up to date."""
    notices.issue_for_steps(project, bundle, events, data)
