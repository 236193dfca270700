"""Who may call which route: one entry per Flask endpoint, pages and JSON API alike. The request
pipeline (webapp/access.py) enforces it in one `before_request`; the navigation bar shows an entry to
exactly those it lets in.

An entry says who may call the route at all (everyone, any signed-in user, or some roles) and
names the object-level check (policy.routes) the pipeline runs before the view on the object the
URL names (a project, a task, a district…): the check refuses objects outside the caller's
jurisdiction or ownership with 404 (403 where the object is known but the caller may not act on
it), whether or not the view checks again.

An endpoint without an entry here is closed: the app refuses to start, and the request check would
answer 403. A new route stays closed until someone decides who may call it, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....domain.roles import ROLES
from ....persistence.models import User
from . import routes as checks
from .routes import Check


@dataclass(frozen=True)
class Access:
    roles: frozenset[str] | None  # None: any signed-in user
    public: bool = False
    check: Check | None = None  # run by the pipeline before the view

    def admits_role(self, user: User) -> bool:
        """Whether the entry's roles let this signed-in user in (any role when it names none)."""
        return self.roles is None or user.role in self.roles


PUBLIC = Access(None, public=True)
SIGNED_IN = Access(None)


def roles(*codes: str, check: Check | None = None) -> Access:
    unknown = set(codes) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return Access(frozenset(codes), check=check)


def signed_in(check: Check) -> Access:
    return Access(None, check=check)


ALL_ROLES = tuple(ROLES)
# Roles with a jurisdiction over projects (street, district, city): the ledger and dashboards.
LEDGER = tuple(code for code, role in ROLES.items() if role.scope in ("street", "district", "city"))
# District and city-wide roles: reports across streets.
DISTRICT_UP = tuple(code for code, role in ROLES.items() if role.scope in ("district", "city"))
# City-wide readers (the city sees which district runs which process version).
CITY_WIDE = tuple(code for code, role in ROLES.items() if role.scope == "city")
# Everyone working under district rules, plus the city-wide roles; never owners.
RULE_READERS = tuple(code for code in ROLES if code not in ("owner", "property", "entrusted", "integration"))

ROUTES: dict[str, Access] = {
    # -- public ---------------------------------------------------------------------------------
    "static": PUBLIC,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "offline.service_worker": PUBLIC,  # a static script
    "api-docs.openapi_json": PUBLIC,
    "auth.login": PUBLIC,
    "auth.set_language": PUBLIC,
    "public.site": PUBLIC,
    "public.qr": PUBLIC,
    "public.report": PUBLIC,
    "public.report_site": PUBLIC,
    "tokens.issue": PUBLIC,
    # -- pages ----------------------------------------------------------------------------------
    "auth.logout": SIGNED_IN,
    "inbox.index": SIGNED_IN,
    "inbox.claim": signed_in(checks.CLAIM),
    "inbox.release": signed_in(checks.RELEASE),
    "inbox.assign": roles("supervisor", check=checks.ASSIGN),
    "inbox.bulk_action": SIGNED_IN,  # each task checked as a single claim/release/assign
    "inbox.save_filter": SIGNED_IN,  # the caller's own filters
    "inbox.delete_filter": signed_in(checks.SAVED_FILTER),  # the caller's own (404 otherwise)
    "taskpage.show": signed_in(checks.TASK),
    "files.show": signed_in(checks.FILE),
    "owner.register": roles("owner", "inspector", "property", check=checks.REGISTERS),
    "owner.projects": roles("owner"),
    "owner.notices": roles("owner"),
    "claims.claim": roles("owner"),
    "leads.new": roles("grid", "inspector", "property", check=checks.REPORTS_LEADS),
    "leads.index": roles("grid", "inspector", "property", check=checks.REPORTS_LEADS),
    "ledger.index": roles(*LEDGER),
    "ledger.export": roles(*LEDGER),
    "ledger.project": signed_in(checks.PROJECT),
    "ledger.inspect": roles("inspector", "supervisor", check=checks.STREET_STAFF),
    "ledger.diagram": signed_in(checks.PROJECT),
    "notices.show": signed_in(checks.NOTICE),
    "notices.serve": roles("inspector", "supervisor", check=checks.NOTICE),
    "notices_api.for_project": signed_in(checks.PROJECT),
    "notices_api.serve": roles("inspector", "supervisor", check=checks.NOTICE),
    "notices.pdf": signed_in(checks.NOTICE),
    "dashboard.index": roles(*LEDGER),
    "dashboard.diagram": roles(*LEDGER),
    "dashboard.monthly": roles(*LEDGER),
    "dashboard.insurance": roles(*LEDGER),
    "dashboard.property_report": roles(*DISTRICT_UP),
    "meetings.agenda": roles(*DISTRICT_UP),
    "meetings.decide": roles("district_admin", check=checks.PROJECT),
    "rule_pages.index": roles(*RULE_READERS),
    "rule_pages.city": roles(*RULE_READERS),
    "rule_pages.show": roles(*RULE_READERS, check=checks.RULES),
    "rule_pages.history": roles(*RULE_READERS, check=checks.RULES),
    "rule_pages.edit": roles("district_admin", check=checks.RULES_EDIT),
    "rule_pages.withdraw": roles("district_admin", check=checks.RULES_EDIT),
    "participation.property_home": roles("property"),
    "participation.supervision_home": roles("entrusted"),
    "participation.entrust": roles("owner", "property", check=checks.ENTRUST),
    "participation.advisory": roles("entrusted", check=checks.ADVISE),
    "notifications_pages.index": SIGNED_IN,  # the caller's own notifications only
    "notifications_pages.mark_read": SIGNED_IN,  # marks the caller's own only
    "notifications_pages.open_one": signed_in(checks.NOTIFICATION),  # the caller's own (404 otherwise)
    "notifications_pages.preferences": SIGNED_IN,
    "notifications_pages.deliveries": roles("admin"),
    "people.add_comment": signed_in(checks.PROJECT),
    "people.stand_in_list": roles("supervisor"),  # their own street's (services.people.standins)
    "people.cancel_standin": roles("supervisor"),
    "ops.index": roles("admin"),
    "ops.retry": roles("admin"),
    "ops.retry_external": roles("admin"),
    "audit_pages.index": roles("auditor"),
    "org.index": roles("district_admin", "city", "auditor"),
    "org.section": roles("district_admin", "city", "auditor", check=checks.ORGANISATION),
    # District administrators (and a district's designers) deploy their district's variant: the
    # services keep each to their line (services.security.policy.line_of).
    **{
        f"designer.{name}": roles("designer", "district_admin", check=checks.DESIGNS)
        for name in (
            "index",
            "upload",
            "version",
            "migrate",
            "download",
            "modeler",
            "decisions",
            "form_editor",
            "check",
            "deploy",
            "rollback",
        )
    },
    "designer.record": roles("designer"),
    "variants.index": roles("designer", "district_admin", "admin", *CITY_WIDE),
    # -- JSON API (bearer tokens) ---------------------------------------------------------------
    "tokens.revoke": SIGNED_IN,
    "tasks.my_tasks": SIGNED_IN,
    "tasks.one_task": signed_in(checks.TASK),
    "tasks.complete": signed_in(checks.TASK),
    "projects.register": roles("owner", "inspector", "property", check=checks.REGISTERS),
    "projects.claim": roles("owner"),
    "projects.lead": roles("grid", "inspector", "property", check=checks.REPORTS_LEADS),
    "projects.ledger": SIGNED_IN,  # owners: their own projects
    "projects.detail": signed_in(checks.PROJECT),
    "projects.form": SIGNED_IN,  # starting forms: the service refuses roles that cannot use them
    "notifications.my_notifications": SIGNED_IN,  # only the caller's own, by construction
    "notifications.mark_read": SIGNED_IN,  # marks the caller's own only
    "notifications.get_preferences": SIGNED_IN,
    "notifications.put_preferences": SIGNED_IN,
    "notifications.deliveries": roles("admin"),
    "inbox_api.bulk_action": SIGNED_IN,
    "inbox_api.list_filters": SIGNED_IN,
    "inbox_api.save_filter": SIGNED_IN,
    "inbox_api.delete_filter": signed_in(checks.SAVED_FILTER),  # the caller's own (404 otherwise)
    "people_api.list_comments": signed_in(checks.PROJECT),
    "people_api.add_comment": signed_in(checks.PROJECT),
    "people_api.list_standins": roles("supervisor"),
    "people_api.set_standin": roles("supervisor"),
    "people_api.cancel_standin": roles("supervisor"),
    "projects.inspect": roles("inspector", "supervisor", check=checks.STREET_STAFF),
    "dashboard_api.show": roles(*LEDGER),
    "operations.list_incidents": roles("admin"),
    "operations.retry_incident": roles("admin"),
    "operations.retry_external_task": roles("admin"),
    # Machine clients: what they reach is bounded by their token's scopes (services.integration).
    "integration.fetch_and_lock": roles("integration"),
    "integration.complete": roles("integration"),
    "integration.failure": roles("integration"),
    "integration.extend_lock": roles("integration"),
    "integration.deliver": roles("integration"),
    "process_versions.upload": roles("designer", "district_admin"),
    "process_versions.versions": roles("designer", "district_admin", "admin"),
    "process_versions.one_version": roles("designer", "district_admin", "admin"),
    "process_versions.download": roles("designer", "district_admin", "admin"),
    "process_versions.rollback": roles("designer", "district_admin"),
    "process_versions.diff": roles("designer", "district_admin", "admin"),
    "process_versions.district_lines": roles("designer", "district_admin", "admin", *CITY_WIDE),
    "process_versions.migration_preview": roles("designer", "district_admin"),
    "process_versions.migrate_selection": roles("designer", "district_admin"),
    "process_versions.migrate_project": roles(
        "designer", "district_admin", check=checks.DESIGNS
    ),  # the line: the service
    "process_versions.record_scenario": roles("designer", check=checks.DESIGNS),  # designers read every project
    "rules.get_rules": roles(*RULE_READERS, check=checks.RULES),
    "rules.rule_history": roles(*RULE_READERS, check=checks.RULES),
    "rules.put_rules": roles("district_admin", check=checks.RULES_EDIT),
    "rules.withdraw_rules": roles("district_admin", check=checks.RULES_EDIT),
    "rules.preview": roles("district_admin", check=checks.RULES_EDIT),
    "rules.parameters": roles(*RULE_READERS),
    "rules.side_by_side": roles(*RULE_READERS),
    "audit_api.events": roles("auditor"),
    "participation_api.entrust": roles("owner", "property", check=checks.ENTRUST),
    "participation_api.advisory_logs": signed_in(checks.PROJECT),
    "participation_api.record_advisory": roles("entrusted", check=checks.ADVISE),
    # The company's own figures; district and city users those of the companies in reach.
    "participation_api.property_report": roles("property", *DISTRICT_UP),
}
