"""The access table's checks are run by the request pipeline, not by the views: a route whose view
checks nothing still refuses an object outside the caller's reach, and navigation shows an entry
to exactly those the table lets in."""

from __future__ import annotations

import pytest

from tests.helpers.lifecycle import register
from webapp import access
from webapp.services.security.policy import route_table
from webapp.services.security.policy import routes as checks


@pytest.fixture
def careless(app, monkeypatch):
    """Routes whose views forgot every check: only their access entries stand in the way."""
    app.add_url_rule("/careless/<int:project_id>", "careless_page", lambda project_id: f"opened {project_id}")
    app.add_url_rule(
        "/api/v1/careless/<task_id>", "careless_api", lambda task_id: {"opened": task_id}, methods=["GET", "POST"]
    )
    monkeypatch.setitem(route_table.ROUTES, "careless_page", route_table.signed_in(checks.PROJECT))
    monkeypatch.setitem(route_table.ROUTES, "careless_api", route_table.signed_in(checks.TASK))
    return app


def test_a_view_without_checks_still_hides_another_jurisdictions_project(careless, api, pages, client):
    pid = register(api)["id"]  # 鹭江街道, 思明区
    pages.login("inspector_hl")  # 湖里街道
    refused = client.get(f"/careless/{pid}")
    assert refused.status_code == 404 and "opened" not in refused.get_data(as_text=True)
    assert "辖区" in refused.get_data(as_text=True)  # the page of a refusal, not the view's answer
    pages.login("inspector_lj")
    assert client.get(f"/careless/{pid}").get_data(as_text=True) == f"opened {pid}"
    # A project that does not exist is the route's to answer: the check lets it through.
    assert client.get("/careless/999999").get_data(as_text=True) == "opened 999999"


def test_a_view_without_checks_still_refuses_a_task_outside_reach_as_the_api_does(careless, api):
    pid = register(api)["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")["id"]
    hidden = api.get("inspector_hl", f"/api/v1/careless/{task}")
    missing = api.get("inspector_hl", "/api/v1/tasks/no-such-task")
    assert hidden.status_code == 404 and "opened" not in hidden.get_json()
    assert hidden.get_json()["message"] == missing.get_json()["message"]  # nothing revealed
    # Read by whoever sees the project, done only by its group: the owner reads, may not act.
    assert api.get("owner1", f"/api/v1/careless/{task}").get_json() == {"opened": task}
    acting = api.post("owner1", f"/api/v1/careless/{task}")
    assert acting.status_code == 403 and acting.get_json()["message"] == "this task belongs to another role or person"
    assert api.post("inspector_lj", f"/api/v1/careless/{task}").get_json() == {"opened": task}


def test_every_route_naming_an_object_has_a_check(app):
    """A route whose URL names a project, task, notice, photo, district, or one of the caller's own
    rows (a saved filter, a notification) runs a check on it (the designers' is of the caller alone:
    they work on every district's projects)."""
    objects = {"project_id", "task_id", "notice_id", "attachment_id", "code", "filter_id", "notification_id"}
    unchecked = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if set(rule.arguments) & objects and route_table.ROUTES[rule.endpoint].check is None
    )
    assert unchecked == []


def test_navigation_is_the_access_table(app):
    """The bar shows an entry to exactly those the table admits: `leads.index` to the inspectors who
    report leads too, the registration page to property companies only where their district lets
    them register."""
    from webapp.persistence.models import User, db
    from webapp.web import nav

    with app.app_context():
        users = db.session.query(User).all()
        for user in users:
            for item in nav._items:
                assert item.visible_to(user) == access.allows(item.endpoint, user)
        shown = {u.username: {i.endpoint for i in nav._items if i.visible_to(u)} for u in users}
    assert {"leads.new", "leads.index", "owner.register", "ledger.index"} <= shown["inspector_lj"]
    assert "owner.register" in shown["property_lj"] and "leads.index" in shown["property_lj"]
    assert shown["owner1"] >= {"owner.projects", "owner.register", "claims.claim"}
    assert not shown["owner1"] & {"ledger.index", "dashboard.index", "leads.index"}
    assert "meetings.agenda" in shown["admin_sm"] and "meetings.agenda" not in shown["supervisor_lj"]


def test_a_property_company_where_its_district_forbids_it_is_not_offered_registration(app, monkeypatch):
    from webapp.persistence.models import User, db
    from webapp.services.security.policy import by_district

    monkeypatch.setattr(by_district, "registers_on_behalf", lambda user, district_code=None: False)
    with app.app_context():
        company = db.session.query(User).filter_by(username="property_lj").one()
        assert not access.allows("owner.register", company)
        assert not access.allows("projects.register", company)
        assert access.allows("leads.new", company)
