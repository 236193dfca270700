"""Tables for oversight and public participation: notices issued, public reports, indexes for KPIs.

Kept beside models.py (same metadata) so the case tables stay readable; imported by the package
__init__, so the tables exist wherever the models do.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint

from .models import CompactJSON, HistoryEvent, InboxTask, Project, UTCDateTime, db, utcnow


class Notice(db.Model):
    """A document issued on a project (receipt, risk notice, orders, write-off slip), numbered per
    district and kind and year, with the data it was made from and the version of the template it
    was issued with: the document is rendered from these on demand, the same bytes every time
    (services.casefile.notices.document). Notices issued before template versions keep their HTML
    as it was issued (`html`, `template_version` empty)."""

    __tablename__ = "notice"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    kind = db.Column(db.String(24), nullable=False)
    number = db.Column(db.String(48), unique=True, nullable=False)
    district_code = db.Column(db.String(32), nullable=False)
    street_code = db.Column(db.String(32), nullable=False)
    element_id = db.Column(db.String(100))
    issued_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # The project's planned end when the notice was issued: whether a write-off came in time is
    # read from the notice alone (services.oversight.kpi.writeoff_in_time), not from every project.
    planned_end = db.Column(db.String(10))
    data_json = db.Column(CompactJSON, nullable=False)
    template_version = db.Column(db.SmallInteger)
    html = db.Column(db.Text)
    # Service record (送达回证): how, when and to whom it was served; a refusal is noted, not hidden.
    served_at = db.Column(UTCDateTime)
    service_method = db.Column(db.String(16))  # IN_PERSON | POSTED | ELECTRONIC | REFUSED
    served_to = db.Column(db.String(100))
    service_photos_json = db.Column(db.Text)
    service_note = db.Column(db.String(500))
    served_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id", name="fk_notice_served_by"))
    __table_args__ = (
        # Notices of a kind issued in a period in a district / a street, with what the dashboard
        # counts of them (the project, whether a write-off came in time), read from the index alone.
        Index("ix_notice_district_kind_issued", "district_code", "kind", "issued_at", "project_id", "planned_end"),
        Index(
            "ix_notice_street_kind_issued",
            "street_code",
            "kind",
            "issued_at",
            "project_id",
            "district_code",
            "planned_end",
        ),
    )


class Hazard(db.Model):
    """One hazard (domain.md §9.3): a 不合格 checklist item or a hazard found otherwise, with its
    deadline, status and its own history (a JSON list of {at, actor, status, note})."""

    __tablename__ = "hazard"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False)
    ref = db.Column(db.String(8), nullable=False)  # H1, H2, … per project
    item_code = db.Column(db.String(8))
    item_text = db.Column(db.String(300), nullable=False)
    severity = db.Column(db.String(8), nullable=False)
    description = db.Column(db.Text, nullable=False)
    photos_json = db.Column(db.Text, nullable=False, default="[]")
    location = db.Column(db.String(200))
    found_by = db.Column(db.String(80), nullable=False)
    found_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    found_in = db.Column(db.String(100))  # the BPMN element (patrol, adhoc_inspection)
    deadline_at = db.Column(UTCDateTime)
    status = db.Column(db.String(20), nullable=False)
    extensions = db.Column(db.Integer, nullable=False, default=0)
    closed_at = db.Column(UTCDateTime)
    history_json = db.Column(CompactJSON, nullable=False, default="[]")  # deflated like history data
    __table_args__ = (
        UniqueConstraint("project_id", "ref", name="uq_hazard_project_ref"),
        Index("ix_hazard_project_status", "project_id", "status"),
        Index("ix_hazard_status_found", "status", "found_at"),
    )


class PublicReport(db.Model):
    """One attempt at a report from the public site page, accepted (with its project) or refused
    (project_id None): the per-address rate-limit and disk-use ledger. Its form's nonce is unique,
    so a form is sent once."""

    __tablename__ = "public_report"
    id = db.Column(db.Integer, primary_key=True)
    ip_hash = db.Column(db.String(64), nullable=False)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    site_reg_no = db.Column(db.String(40))
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), index=True)
    form_nonce = db.Column(db.String(32), unique=True)
    stored_bytes = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    __table_args__ = (Index("ix_public_report_ip_at", "ip_hash", "at"),)


class AdvisoryLog(db.Model):
    """An entrusted supervisor's inspection log on a project (P-27): advisory only; a finding the
    supervisor asks to be checked raises a lead for the street's inspectors (`lead_project_id`)."""

    __tablename__ = "advisory_log"
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.Integer, db.ForeignKey("project.id"), nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    visited_on = db.Column(db.String(10), nullable=False)
    findings = db.Column(db.Text, nullable=False)
    concern = db.Column(db.String(16), nullable=False, default="NONE")  # NONE | GENERAL | MAJOR
    lead_project_id = db.Column(db.Integer, db.ForeignKey("project.id"))


# KPIs ask "when was this project last visited": one index seek per project instead of a scan.
Index("ix_history_project_element_at", HistoryEvent.project_id, HistoryEvent.element_id, HistoryEvent.at)
# Dashboard aggregates (services.oversight.dashboard, timed by bench/dashboard.py). The columns after the
# filtered ones let an aggregate read the index alone instead of one table row per counted project.
Index("ix_history_element_at", HistoryEvent.element_id, HistoryEvent.at, HistoryEvent.project_id)
# Overdue tasks: the (project, claimer) pairs past due, with the street they count in, of the city,
# a district, a street (services.oversight.dashboard counts them from these indexes alone).
Index(
    "ix_inbox_due_project",
    InboxTask.due_at,
    InboxTask.project_id,
    InboxTask.claimed_by_id,
    InboxTask.district_code,
    InboxTask.street_code,
)
Index(
    "ix_inbox_district_due",
    InboxTask.district_code,
    InboxTask.due_at,
    InboxTask.street_code,
    InboxTask.project_id,
    InboxTask.claimed_by_id,
)
# With the district: counted per street for a district (GROUP BY street follows this index), it
# still answers from the index alone.
Index(
    "ix_inbox_street_due",
    InboxTask.street_code,
    InboxTask.due_at,
    InboxTask.project_id,
    InboxTask.claimed_by_id,
    InboxTask.district_code,
)
# Registrations and leads per day over the last weeks, in any jurisdiction.
Index("ix_project_created_channel", Project.created_at, Project.channel, Project.district_code, Project.street_code)
# Projects by status and stage, registered or not, from a lead, registered late, of the city / a
# district / a street: the GROUP BY follows the index, so SQLite counts without sorting, and every
# column counted is in it, so no project row is read.
PROJECT_SCAN = (Project.status, Project.stage, Project.category, Project.channel, Project.late_registration)
Index("ix_project_status", *PROJECT_SCAN)
Index("ix_project_district_status_stage", Project.district_code, *PROJECT_SCAN)
Index("ix_project_street_status_stage", Project.street_code, *PROJECT_SCAN)
# Sites waiting for their registration (the registration task of a lead).
Index("ix_inbox_form_project", InboxTask.form_key, InboxTask.project_id)
# Patrol coverage: the open projects of the patrolled stages, with what their cutoff depends on.
Index(
    "ix_project_patrol",
    Project.closed_at,
    Project.stage,
    Project.district_code,
    Project.street_code,
    Project.category,
    Project.risk_level,
    Project.last_visit_at,
    Project.created_at,
)
# Notices of a kind issued in a period (stop-work, hand-over, write-off), whatever the jurisdiction.
Index(
    "ix_notice_kind_issued", Notice.kind, Notice.issued_at, Notice.project_id, Notice.district_code, Notice.planned_end
)
