"""The authorization matrix: every route (from app.url_map) × every demo user and anonymous × an
object in the user's own jurisdiction and in another → allowed or refused exactly as the table
below says. The table is written out here, independently of the access table (policy.route_table):
a refusal that turns into an allowance (or a route nobody classified) fails this test.

Refused: 401/403/404, or for pages a redirect to the sign-in page. Allowed: anything else but a
5xx (a 422 for an empty form is allowed: the caller got past every check of who may do it).
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from tests.helpers.world import USERS, build_world
from webapp import access
from webapp.services.security.policy import route_table

ANON = None
EVERYONE = frozenset((ANON, *USERS))
SIGNED_IN = frozenset(USERS)
OWNERS = frozenset({"owner1", "owner2"})
INSPECTORS = frozenset({"inspector_lj", "inspector_zh", "inspector_hl"})
# Street, district and city users: the ledger, exports, dashboards.
LEDGER = frozenset(
    {"grid_lj", *INSPECTORS, "supervisor_lj", "enforcer_sm", "housing_sm", "admin_sm", "admin_hl", "city", "auditor"}
)
RULE_READERS = SIGNED_IN - OWNERS - {"property_lj", "entrusted_sm", "hotline"}
# Machine clients (role integration): their token's scopes bound what they reach.
INTEGRATION = frozenset({"hotline"})
DISTRICT_UP = {"enforcer_sm", "housing_sm", "admin_sm", "admin_hl", "city", "auditor"}

# Who may reach the object of each jurisdiction: "own" is owner1's project in 鹭江街道 (思明区),
# "other" owner2's project in 湖里街道 (湖里区).
# The own project lies in property_lj's estate and entrusted_sm supervises it.
SEES = {
    "own": {
        "owner1",
        "grid_lj",
        "inspector_lj",
        "supervisor_lj",
        "enforcer_sm",
        "housing_sm",
        "admin_sm",
        "city",
        "auditor",
        "property_lj",
        "entrusted_sm",
    },
    "other": {"owner2", "inspector_hl", "admin_hl", "city", "auditor"},
}
DOES_TASK = {"own": {"inspector_lj"}, "other": {"inspector_hl"}}
READS_RULES = {
    "own": RULE_READERS - {"inspector_hl", "admin_hl"},
    "other": {"inspector_hl", "admin_hl", "city", "auditor", "designer", "ops"},
}
EDITS_RULES = {"own": {"admin_sm"}, "other": {"admin_hl"}}
SUPERVISES = {"own": {"supervisor_lj"}, "other": set()}
# The street's staff of the project: serve its notices, ask for ad-hoc inspections.
STREET_STAFF = {"own": {"inspector_lj", "supervisor_lj"}, "other": {"inspector_hl"}}


def everywhere(users) -> dict:
    return {"own": set(users), "other": set(users)}


# District administrators deploy their district's variant (webapp.services.security.policy.line_of).
DESIGNER_PAGES = (
    "index",
    "upload",
    "version",
    "download",
    "modeler",
    "decisions",
    "form_editor",
    "check",
    "deploy",
    "rollback",
)
DEPLOYERS = {"designer", "admin_sm", "admin_hl"}
# Which district runs which version: designers, district administrators (their own), city-wide roles.
SEES_VARIANTS = DEPLOYERS | {"ops", "city", "auditor"}
EXPECT = {
    "static": EVERYONE,
    "healthz": EVERYONE,
    "readyz": EVERYONE,
    "offline.service_worker": EVERYONE,
    "api-docs.openapi_json": EVERYONE,
    "auth.login": EVERYONE,
    "auth.set_language": EVERYONE,
    "public.site": EVERYONE,
    "public.qr": EVERYONE,
    "public.report": EVERYONE,
    "public.report_site": EVERYONE,
    "tokens.issue": EVERYONE,
    "auth.logout": SIGNED_IN,
    "inbox.index": SIGNED_IN,
    # Claimed by the street's inspector (or assigned to them by the supervisor): only the holder and
    # the supervisor may give it back.
    "inbox.claim": DOES_TASK,
    "inbox.release": {"own": {"inspector_lj", "supervisor_lj"}, "other": {"inspector_hl"}},
    "inbox.assign": SUPERVISES,
    # Bulk: each task refused as a single claim would be; the answer is a redirect for everyone.
    "inbox.bulk_action": SIGNED_IN,
    "inbox.save_filter": SIGNED_IN,
    "inbox.delete_filter": SIGNED_IN,
    "taskpage.show": SEES,
    ("taskpage.show", "POST"): DOES_TASK,
    "files.show": SEES,
    "owner.register": OWNERS | INSPECTORS | {"property_lj"},
    "owner.projects": OWNERS,
    "owner.notices": OWNERS,
    "claims.claim": OWNERS,
    "leads.new": {"grid_lj", *INSPECTORS, "property_lj"},
    "leads.index": {"grid_lj", *INSPECTORS, "property_lj"},
    "participation.property_home": {"property_lj"},
    "participation.supervision_home": {"entrusted_sm"},
    # The project's owner or its estate's property company names the supervisor; only that supervisor logs.
    "participation.entrust": {"own": {"owner1", "property_lj"}, "other": {"owner2"}},
    "participation.advisory": {"own": {"entrusted_sm"}, "other": set()},
    "participation_api.entrust": {"own": {"owner1", "property_lj"}, "other": {"owner2"}},
    "participation_api.record_advisory": {"own": {"entrusted_sm"}, "other": set()},
    "participation_api.advisory_logs": SEES,
    "participation_api.property_report": DISTRICT_UP | {"property_lj"},
    "ledger.index": LEDGER,
    "ledger.export": LEDGER,
    "ledger.project": SEES,
    "ledger.inspect": STREET_STAFF,
    "ledger.diagram": SEES,
    "notices.show": SEES,
    "notices.pdf": SEES,
    "notices.serve": STREET_STAFF,
    "notices_api.serve": STREET_STAFF,
    "notices_api.for_project": SEES,
    "projects.inspect": STREET_STAFF,
    "dashboard.index": LEDGER,
    "dashboard.diagram": LEDGER,
    "dashboard.monthly": LEDGER,
    "dashboard.insurance": LEDGER,
    "dashboard.property_report": {"enforcer_sm", "housing_sm", "admin_sm", "admin_hl", "city", "auditor"},
    "meetings.agenda": {"enforcer_sm", "housing_sm", "admin_sm", "admin_hl", "city", "auditor"},
    "meetings.decide": {"own": {"admin_sm"}, "other": {"admin_hl"}},
    "rule_pages.index": RULE_READERS,
    "rule_pages.city": RULE_READERS,
    "rule_pages.show": READS_RULES,
    "rule_pages.history": READS_RULES,
    "rule_pages.edit": EDITS_RULES,
    "rule_pages.withdraw": EDITS_RULES,
    "ops.index": {"ops"},
    "ops.retry": {"ops"},
    "ops.retry_external": set(),
    "audit_pages.index": {"auditor"},
    "org.index": {"admin_sm", "admin_hl", "city", "auditor"},
    "org.section": {"own": {"admin_sm", "city", "auditor"}, "other": {"admin_hl", "city", "auditor"}},
    ("org.section", "POST"): EDITS_RULES,  # the district's own administrators (EDITS_RULES: the same people)
    **{f"designer.{name}": DEPLOYERS for name in DESIGNER_PAGES},
    # Moving projects onto a version is for its line's deployers (the city's designer for city versions).
    "designer.migrate": {"designer"},
    "designer.record": {"designer"},
    "variants.index": SEES_VARIANTS,
    "process_versions.district_lines": SEES_VARIANTS,
    "process_versions.rollback": DEPLOYERS,
    "process_versions.diff": DEPLOYERS | {"ops"},
    "tokens.revoke": SIGNED_IN,
    "tasks.my_tasks": SIGNED_IN,
    "tasks.one_task": SEES,
    "tasks.complete": DOES_TASK,
    "projects.register": OWNERS | INSPECTORS | {"property_lj"},
    "projects.claim": OWNERS,
    "projects.lead": {"grid_lj", *INSPECTORS, "property_lj"},
    "projects.ledger": SIGNED_IN,
    "projects.detail": SEES,
    "dashboard_api.show": LEDGER,
    "operations.list_incidents": {"ops"},
    "operations.retry_incident": {"ops"},
    # No service task is an incident in this world: retrying one is a 404 for everyone.
    "operations.retry_external_task": set(),
    "integration.fetch_and_lock": INTEGRATION,
    "integration.complete": INTEGRATION,
    "integration.failure": INTEGRATION,
    "integration.extend_lock": INTEGRATION,
    "integration.deliver": INTEGRATION,
    "process_versions.upload": DEPLOYERS,
    "process_versions.versions": DEPLOYERS | {"ops"},
    "process_versions.one_version": DEPLOYERS | {"ops"},
    "process_versions.download": DEPLOYERS | {"ops"},
    "process_versions.migration_preview": {"designer"},
    "process_versions.migrate_selection": {"designer"},
    # Designers move any project between process versions, whatever its district.
    "process_versions.migrate_project": everywhere({"designer"}),
    "process_versions.record_scenario": everywhere({"designer"}),
    "rules.get_rules": READS_RULES,
    "rules.rule_history": READS_RULES,
    "rules.put_rules": EDITS_RULES,
    "rules.withdraw_rules": EDITS_RULES,
    "rules.preview": EDITS_RULES,
    "rules.parameters": RULE_READERS,
    "rules.side_by_side": RULE_READERS,
    "audit_api.events": {"auditor"},
    # Each user's own notifications; the delivery log is for operations.
    "notifications.my_notifications": SIGNED_IN,
    "notifications.mark_read": SIGNED_IN,
    "notifications.get_preferences": SIGNED_IN,
    "notifications.put_preferences": SIGNED_IN,
    "notifications.deliveries": {"ops"},
    "notifications_pages.index": SIGNED_IN,
    "notifications_pages.mark_read": SIGNED_IN,
    "notifications_pages.open_one": SIGNED_IN,
    "notifications_pages.preferences": SIGNED_IN,
    "notifications_pages.deliveries": {"ops"},
    # The registration form with the caller's choices: those who may register.
    "projects.form": OWNERS | INSPECTORS | {"property_lj"},
    # Comments: whoever sees the project; stand-ins: the street's supervisor (no stand-in exists in
    # this world, so cancelling one through the API is a 404 for everyone).
    "people.add_comment": SEES,
    "people_api.list_comments": SEES,
    "people_api.add_comment": SEES,
    "people.stand_in_list": {"supervisor_lj"},
    "people.cancel_standin": {"supervisor_lj"},
    "people_api.list_standins": {"supervisor_lj"},
    "people_api.set_standin": {"supervisor_lj"},
    "people_api.cancel_standin": set(),
    # Bulk through the API: 200 naming each refused task; filters: the caller's own (none exists here).
    "inbox_api.bulk_action": SIGNED_IN,
    "inbox_api.list_filters": SIGNED_IN,
    "inbox_api.save_filter": SIGNED_IN,
    "inbox_api.delete_filter": set(),
}
# URL parameters that name an object inside a jurisdiction: such routes are probed for both.
OBJECT_PARAMS = {"project_id", "task_id", "notice_id", "attachment_id", "code", "reg_no"}
# Bodies that pass validation of shape but change nothing (or only what is put back before each use).
BODIES = {
    "tasks.complete": {"json": {"data": {}}},
    "people_api.add_comment": {"json": {"body": ""}},
    "inbox_api.bulk_action": {"json": {"action": "release", "task_ids": ["no-such-task"]}},
    "inbox_api.save_filter": {"json": {"name": ""}},
    "people_api.set_standin": {
        "json": {
            "user_id": -1,
            "stand_in_id": -1,
            "starts": "2026-12-01T00:00:00+08:00",
            "ends": "2026-12-02T00:00:00+08:00",
        }
    },
    "participation_api.entrust": {"json": {"supervisor_id": -1}},
    "participation_api.record_advisory": {"json": {"visited_on": "not a date", "findings": ""}},
    "participation.entrust": {"data": {"supervisor_id": "-1"}},
    "projects.register": {"json": {"data": {}}},
    "projects.claim": {"json": {"reg_no": "XM-0", "claim_code": "X", "phone": "1", "commitment_signed": True}},
    "projects.lead": {"json": {"data": {}}},
    "projects.inspect": {"json": {}},
    "notices_api.serve": {"json": {}},
    "notices.serve": {"data": {}},
    "ledger.inspect": {"data": {}},
    "rules.put_rules": {"json": {"values": {}}},
    "rules.preview": {"json": {"values": {}}},
    "rules.withdraw_rules": {"json": {"reason": ""}},
    "rule_pages.withdraw": {"data": {"reason": ""}},
    "process_versions.migrate_selection": {"json": {"project_ids": []}},
    "process_versions.migrate_project": {"json": {"version": 1, "dry_run": True}},
    "process_versions.upload": {"data": {"dry_run": "1"}},
    "tokens.issue": {"json": {}},
    "taskpage.show": {"data": {"action": "draft"}},
    "designer.migrate": {"data": {}},
}
# Not probed here: signing in with a wrong password is refused by design (tests/security/test_accounts.py).
SKIP = {("auth.login", "POST")}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


def _probes(app):
    """(endpoint, method, rule, variant) for every route, both jurisdictions where it names an object."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        variants = ("own", "other") if set(rule.arguments) & OBJECT_PARAMS else ("own",)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in SKIP:
                for variant in variants:
                    yield rule.endpoint, method, rule, variant


def _expected(endpoint: str, method: str, variant: str, user) -> bool:
    allowed = EXPECT.get((endpoint, method), EXPECT[endpoint])
    if isinstance(allowed, dict):
        allowed = allowed[variant]
    return user in allowed


def _url(world, rule: Rule, variant: str) -> str:
    place = world.own if variant == "own" else world.other
    values = {**world.common, **place.params}
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def _send(world, endpoint, method, url, user):
    body = dict(BODIES.get(endpoint, {}))
    if endpoint == "inbox.assign":
        body = {"data": {"assignee_id": world.user_ids["inspector_lj"]}}
    if access.is_api(url):
        if endpoint == "tokens.revoke" and user:  # revoke a token of its own, not the one the matrix uses
            return world.app.test_client().open(
                url, method=method, headers={"Authorization": f"Bearer {world.new_token(user)}"}
            )
        return world.api(user, method, url, **body)
    if endpoint == "auth.logout" and user:
        # Signing out ends every session of the user: the matrix's browser signs in again after.
        resp = world.page_client(user).open(url, method=method)
        world.forget_pages(user)
        return resp
    if endpoint == "taskpage.show" and method == "POST":
        body["data"] = dict(body["data"], task_id=url.rsplit("/", 1)[1])
    return world.page_client(user).open(url, method=method, **body)


def _refused(resp, api: bool) -> bool:
    assert resp.status_code < 500, resp.get_data(as_text=True)[:2000]
    if resp.status_code in (401, 403, 404):
        return True
    # Sent to the sign-in page to come back here (a signed-out user's page: Flask-Login's `next`).
    return not api and resp.status_code in (301, 302, 303) and resp.headers["Location"].startswith("/login?next=")


def _put_incident_back(world):
    """ops.retry clears the incident it retries; the next probe needs one to act on again."""
    from webapp.persistence.models import TimerJob, db, utcnow

    with world.app.app_context():
        job = db.session.get(TimerJob, world.own.instance_id) or TimerJob(instance_id=world.own.instance_id)
        job.due_at, job.status, job.attempts, job.last_error = utcnow(), "incident", 5, "boom"
        db.session.add(job)
        db.session.commit()


def test_every_route_has_an_entry_in_both_tables(world):
    endpoints = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    assert sorted(endpoints - set(route_table.ROUTES)) == [], (
        "add the route to webapp/services/security/policy/route_table.py ROUTES"
    )
    assert sorted(endpoints - {e if isinstance(e, str) else e[0] for e in EXPECT}) == [], (
        "add the route to EXPECT in this test: who may call it"
    )


def test_matrix(world):
    wrong = []
    count = 0
    for endpoint, method, rule, variant in _probes(world.app):
        url = _url(world, rule, variant)
        for user in (ANON, *USERS):
            if endpoint in ("ops.retry", "operations.retry_incident"):
                _put_incident_back(world)
            resp = _send(world, endpoint, method, url, user)
            count += 1
            allowed = not _refused(resp, access.is_api(url))
            if allowed != _expected(endpoint, method, variant, user):
                wrong.append(
                    f"{method} {url} ({endpoint}, {variant}) as {user or 'anonymous'}: {resp.status_code}, "
                    f"expected {'allowed' if not allowed else 'refused'}"
                )
    assert count > 1000
    assert wrong == [], "\n".join(wrong)


def test_unknown_endpoint_is_refused(tmp_path, monkeypatch):
    """A route added without an entry in the access table (policy.route_table) is closed to everyone."""
    from webapp import create_app
    from webapp.config import Config

    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    app = create_app(Config(TESTING=True))
    app.add_url_rule("/security-test-unlisted", "security_test_unlisted", lambda: "open")
    assert app.test_client().get("/security-test-unlisted").status_code == 403


def test_an_app_with_a_route_missing_from_the_access_table_does_not_start(tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.config import Config

    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delitem(route_table.ROUTES, "leads.index")
    with pytest.raises(RuntimeError, match="leads.index"):
        create_app(Config(TESTING=True))


def test_navigation_shows_no_entry_the_access_table_refuses(world):
    from webapp.persistence.models import User, db
    from webapp.web import nav

    with world.app.app_context():
        for user in db.session.query(User).all():
            for item in nav._items:
                if item.visible_to(user):
                    assert access.allows(item.endpoint, user), (user.username, item.endpoint)
        owner = db.session.query(User).filter_by(username="owner1").one()
        shown = {item.endpoint for item in nav._items if item.visible_to(owner)}
        assert "owner.register" in shown and "dashboard.index" not in shown


def test_api_refuses_cookies(world):
    """The JSON API takes bearer tokens only: a signed-in browser's cookie opens nothing there."""
    resp = world.page_client("city").get("/api/v1/projects")
    assert resp.status_code == 401


def test_refusals_reveal_nothing_across_jurisdictions(world):
    """Another street's task or project answers exactly like one that does not exist."""
    other = world.other.params
    for path in (f"/api/v1/projects/{other['project_id']}", f"/api/v1/tasks/{other['task_id']}"):
        hidden = world.api("inspector_lj", "GET", path)
        missing = world.api("inspector_lj", "GET", path.rsplit("/", 1)[0] + "/999999")
        assert (hidden.status_code, hidden.get_json()["message"]) == (
            missing.status_code,
            missing.get_json()["message"],
        )


def test_every_state_changing_form_needs_its_csrf_token(world):
    """Every page route taking POST/PUT/DELETE (all of them, from url_map) refuses a request without
    the token, before doing anything, for a user who may otherwise use it."""
    for user in USERS:
        world.page_client(user)  # signed in before the check is switched on
    world.app.config["WTF_CSRF_ENABLED"] = True
    checked = []
    try:
        for rule, method in ((r, m) for r in world.app.url_map.iter_rules() for m in r.methods):
            if method in ("GET", "HEAD", "OPTIONS") or access.is_api(rule.rule):
                continue
            endpoint, variant = rule.endpoint, "own"
            allowed = EXPECT.get((endpoint, method), EXPECT[endpoint])
            users = sorted(u for u in (allowed["own"] if isinstance(allowed, dict) else allowed) if u)
            user = users[0] if users else None
            resp = world.page_client(user).open(_url(world, rule, variant), method=method, data={"x": "1"})
            assert (
                resp.status_code == 400
                and "CSRF" in resp.get_data(as_text=True)
                and "<html" in resp.get_data(as_text=True)
            ), (endpoint, user, resp.status_code, resp.get_data(as_text=True)[:300])
            checked.append(endpoint)
    finally:
        world.app.config["WTF_CSRF_ENABLED"] = False
    assert {
        "auth.login",
        "auth.logout",
        "taskpage.show",
        "owner.register",
        "rule_pages.edit",
        "designer.deploy",
        "ops.retry",
        "public.report",
    } <= set(checked)
