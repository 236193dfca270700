"""What the oversight figures and the case file read from a process, named by the diagram.

Python does not name diagram elements: an element says what it feeds with extension properties
(spiffworkflow:properties), space-separated when it feeds several:

- `kpi`: the figures its history rows count (below, FIGURES);
- `casefile`: its part in a hazard's story on the case file (CASEFILE_ROLES).

This module is the one mapping between those names and what they mean. Validation refuses an
unknown name, and a new version that drops a name an element carried in the version it replaces
(a rename, a deletion): the history already recorded under the old element would stop counting.
"""

from __future__ import annotations

KPI = "kpi"
CASEFILE = "casefile"

# figure → (zh, en): what each figure is, as validation names it when it would lose data.
FIGURES: dict[str, tuple[str, str]] = {
    "site_visit": ("巡查覆盖率（最近一次现场检查）", "patrol coverage (last site visit)"),
    "rectification_ordered": ("下达整改", "rectifications ordered"),
    "rectification_on_time": ("按期整改", "rectified on time"),
    "rectification_overdue": ("逾期整改", "rectifications overdue"),
    "stop_work_approval": ("会商议题：停工审批", "joint meetings: stop-work approvals"),
    "handover": ("会商议题：移交执法逾期", "joint meetings: hand-overs overdue"),
    "lead_checked": ("物业企业评价：线索核查", "property company rating: leads checked"),
}
CASEFILE_ROLES: dict[str, tuple[str, str]] = {
    "hazard_check": ("巡查发现隐患", "patrol finding hazards"),
    "evidence": ("提交整改材料", "rectification evidence"),
    "overdue": ("整改逾期", "rectification overdue"),
    "reinspection": ("复查", "re-inspection"),
    "stop_work_decision": ("停工审批", "stop-work decision"),
    "work_resumed": ("复工核查", "resume check"),
    "enforcement": ("执法处置", "enforcement decision"),
    "closed": ("结案", "case closed"),
}
KNOWN = {KPI: FIGURES, CASEFILE: CASEFILE_ROLES}


def names(properties: dict) -> dict[str, set[str]]:
    """The kpi and casefile names an element's properties carry."""
    return {prop: set((properties.get(prop) or "").split()) for prop in KNOWN}
