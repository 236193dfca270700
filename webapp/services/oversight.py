"""What oversight keeps of each step, written in the transaction that records the step
(called by services.instances after the history rows): the project's last site visit, for the
patrol-coverage KPI, and the notices the diagram attaches to steps (services.notices)."""
from __future__ import annotations

from datetime import datetime, timezone

from ..persistence.models import Project
from . import notices
from .kpi import VISIT_ELEMENTS


def after_steps(project: Project, bundle, events, data: dict) -> None:
    if any(event.name in VISIT_ELEMENTS for event in events):
        project.last_visit_at = datetime.now(timezone.utc)
    notices.issue_for_steps(project, bundle, events, data)
