"""The inbox: filters, search, pagination, count in the navigation; claim, release, assign."""

from __future__ import annotations

import re

import pytest

from webapp.persistence.models import InboxTask, OrgUnit, User, db
from webapp.services.security.auth import hash_password


def _reg_nos(page: str) -> list[str]:
    return re.findall(r'data-reg-no="([^"]+)"', page)


def test_inbox_lists_tasks_with_project_facts_and_count(pages, client, clock):
    pages.register(title="镇海路 5 号店面装修", address="思明区镇海路 5 号")
    pages.login("inspector_lj")
    page = client.get("/").get_data(as_text=True)
    assert "首次核实" in page and "镇海路 5 号店面装修" in page and "思明区镇海路 5 号" in page
    assert "XM-350203-" in page
    titles = re.findall(r'class="task-title"><a [^>]*>([^<]+)</a>', page)
    assert titles == ["首次核实"]  # only the first visit is due yet, no patrol
    assert re.search(r'data-testid="inbox-count">1<', page)
    assert "2026-12-06" in page  # due date of the first visit (P5D for medium risk), in Beijing time
    # Overdue: after the deadline the task is marked and the overdue filter finds it.
    assert "已逾期" not in page
    clock.advance(days=6)
    page = client.get("/?overdue=1").get_data(as_text=True)
    assert "已逾期" in page and len(_reg_nos(page)) == 1


def test_filters_search_and_pagination(pages, client, clock):
    ids = [pages.register(title=f"测试项目 {n}", address=f"思明区鹭江道 {n} 号") for n in range(23)]
    pages.login("grid_lj")  # a lead too, so task types differ
    client.post(
        "/leads/new",
        data={"street": "350203001", "address": "思明区大同路 1 号", "description": "疑似拆墙", "urgency": "NORMAL"},
    )
    pages.login("inspector_lj")
    first = client.get("/").get_data(as_text=True)
    assert len(_reg_nos(first)) == 20 and "共 24 项" in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert len(_reg_nos(second)) == 4
    assert not set(_reg_nos(first)) & set(_reg_nos(second))
    assert len(_reg_nos(client.get("/?form_key=lead_check").get_data(as_text=True))) == 1
    assert len(_reg_nos(client.get("/?form_key=first_visit").get_data(as_text=True))) == 20
    assert len(_reg_nos(client.get("/?stage=registration").get_data(as_text=True))) == 1
    assert len(_reg_nos(client.get("/?stage=enforcement").get_data(as_text=True))) == 0
    # Search by registration number and by address.
    from webapp.persistence.models import Project

    with client.application.app_context():
        reg_no = db.session.get(Project, ids[7]).reg_no
    assert _reg_nos(client.get(f"/?text={reg_no}").get_data(as_text=True)) == [reg_no]
    assert len(_reg_nos(client.get("/?text=大同路").get_data(as_text=True))) == 1
    page = client.get("/?text=不存在的地址").get_data(as_text=True)
    assert "没有符合筛选条件的任务" in page


@pytest.fixture
def second_inspector(app):
    with app.app_context():
        street = db.session.query(OrgUnit).filter_by(code="350203001").one()
        db.session.add(
            User(
                username="inspector_lj2",
                display_name="鹭江巡查员李",
                role="inspector",
                org_unit_id=street.id,
                password_hash=hash_password("demo12345"),
            )
        )
        db.session.commit()


def test_claim_release_and_assign(app, pages, client, clock, second_inspector):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    assert client.post(f"/inbox/{task_id}/claim").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "我正在办理" in page
    # The other inspector of the street sees who holds it and cannot claim or complete it.
    pages.login("inspector_lj2")
    page = client.get("/").get_data(as_text=True)
    assert "鹭江巡查员王正在办理" in page
    client.post(f"/inbox/{task_id}/claim")
    assert "该任务已被同组其他人认领" in client.get("/").get_data(as_text=True)
    resp = client.post(
        f"/tasks/{task_id}", data={"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS"}
    )
    assert resp.status_code == 403
    assert client.post(f"/inbox/{task_id}/release").status_code == 403
    # The holder releases it; then the supervisor assigns it to inspector_lj2.
    pages.login("inspector_lj")
    client.post(f"/inbox/{task_id}/release")
    with app.app_context():
        assert db.session.get(InboxTask, task_id).claimed_by_id is None
        lj2 = db.session.query(User).filter_by(username="inspector_lj2").one().id
        zh = db.session.query(User).filter_by(username="inspector_zh").one().id
    assert client.post(f"/inbox/{task_id}/assign", data={"assignee_id": lj2}).status_code == 403  # not a supervisor
    pages.login("supervisor_lj")
    team = client.get("/?view=team").get_data(as_text=True)
    assert "鹭江巡查员李" in team and task_id in team
    assert client.post(f"/inbox/{task_id}/assign", data={"assignee_id": zh}).status_code == 403  # other street
    assert client.post(f"/inbox/{task_id}/assign", data={"assignee_id": lj2}).status_code == 302
    with app.app_context():
        assert db.session.get(InboxTask, task_id).claimed_by_id == lj2
    pages.login("inspector_lj")
    resp = client.post(
        f"/tasks/{task_id}", data={"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS"}
    )
    assert resp.status_code == 403
    pages.login("inspector_lj2")
    resp = client.post(
        f"/tasks/{task_id}", data={"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS"}
    )
    assert resp.status_code == 302


def test_claims_filter(pages, client, clock, second_inspector):
    a = pages.register()
    pages.register()
    pages.login("inspector_lj")
    client.post(f"/inbox/{pages.task_of(a, 'first_visit')}/claim")
    assert len(_reg_nos(client.get("/?claimed=mine").get_data(as_text=True))) == 1
    assert len(_reg_nos(client.get("/?claimed=open").get_data(as_text=True))) == 1
