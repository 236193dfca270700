"""The task page: form from its definition, messages beside fields, drafts, stale pages, checklist."""

from __future__ import annotations

import json
import re
from io import BytesIO

from tests.helpers.pages import form_data, jpeg_bytes
from webapp.persistence.models import Attachment, HistoryEvent, TaskDraft, db


def test_task_page_shows_summary_form_history_and_diagram(pages, client, clock):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "鹭江道 88 号店面装修" in page and "张三" in page and "13800001111" in page  # summary
    assert 'name="site_matches"' in page and 'name="site_status"' in page and 'type="file"' in page  # form
    assert f'name="task_id" value="{task_id}"' in page
    assert "提交登记" in page and "风险分级" in page  # history: registration and the risk decision
    assert f"/projects/{pid}/diagram.xml" in page and "&#34;first_visit&#34;" in page  # current step marked
    xml = client.get(f"/projects/{pid}/diagram.xml")
    assert xml.status_code == 200 and b"BPMNDiagram" in xml.data


def test_missing_required_field_shows_message_beside_it_in_the_users_language(pages, client, clock):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    resp = client.post(f"/tasks/{task_id}", data={"task_id": task_id, "site_status": "IN_PROGRESS"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert re.search(r'data-error-for="site_matches">此项为必填项<', page)
    assert 'value="IN_PROGRESS" selected' in page  # what was entered stays
    client.post("/lang", data={"lang": "en"})
    page = client.post(f"/tasks/{task_id}", data={"task_id": task_id}).get_data(as_text=True)
    assert re.search(r'data-error-for="site_matches">This field is required<', page)


def test_draft_is_saved_and_prefilled_then_discarded(app, pages, client, clock):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "task_id": task_id,
            "action": "draft",
            "site_status": "PAUSED",
            "mismatch_note": "草稿说明",
            "photos": (BytesIO(jpeg_bytes()), "site.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "草稿说明" in page and 'value="PAUSED" selected' in page and "已填入" in page
    photo = re.search(r'name="photos" value="([A-Za-z0-9_-]{22})"', page).group(1)
    resp = client.post(
        f"/tasks/{task_id}",
        data=form_data({"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS", "photos": [photo]}),
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.query(TaskDraft).count() == 0
        assert db.session.get(Attachment, photo).project_id == pid


def test_a_completed_task_page_says_so_instead_of_crashing(pages, client, clock):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    stale = client.get(f"/tasks/{task_id}")  # the page is open in a second tab…
    assert stale.status_code == 200
    data = {"task_id": task_id, "site_matches": "yes", "site_status": "IN_PROGRESS"}
    assert client.post(f"/tasks/{task_id}", data=data).status_code == 302
    resp = client.post(f"/tasks/{task_id}", data=data)  # …and submitted again
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox")
    assert "该任务已被处理" in client.get("/inbox").get_data(as_text=True)
    resp = client.get(f"/tasks/{task_id}")
    assert resp.status_code == 302
    assert "该任务已被处理" in client.get("/inbox").get_data(as_text=True)


def test_task_id_must_match_the_page(pages, client, clock):
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    assert client.post(f"/tasks/{task_id}", data={"task_id": "other"}).status_code == 400


def _patrol(app, pages, client, clock, pid):
    pages.login("inspector_lj")
    first = pages.task_of(pid, "first_visit")
    client.post(f"/tasks/{first}", data={"task_id": first, "site_matches": "yes", "site_status": "IN_PROGRESS"})
    clock.advance(days=14, seconds=1)
    from webapp.services.lifecycle.timers import fire_due_timers

    with app.app_context():
        assert fire_due_timers("test") == 1
    return pages.task_of(pid, "patrol")


def test_patrol_checklist_radios_become_the_checklist(app, pages, client, clock):
    pid = pages.register()
    patrol = _patrol(app, pages, client, clock, pid)
    page = client.get(f"/tasks/{patrol}").get_data(as_text=True)
    codes = sorted(set(re.findall(r'name="checklist\.([A-Z]\d{2})"', page)))
    assert "B01" in codes and "G01" not in codes
    answers = {code: "OK" for code in codes}
    del answers[codes[0]]  # one item left out: named beside it
    resp = client.post(
        f"/tasks/{patrol}",
        data=form_data({"task_id": patrol, "site_status": "IN_PROGRESS", "outcome": "no_hazard", "checklist": answers}),
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert re.search(rf'data-item="{codes[0]}">\s*<div><span class="code">{codes[0]}</span>', page)
    assert "检查表未完成" in page
    answers[codes[0]] = "NOK"
    resp = client.post(
        f"/tasks/{patrol}",
        data=form_data(
            {
                "task_id": patrol,
                "site_status": "IN_PROGRESS",
                "outcome": "rectify",
                "hazard_severity": "GENERAL",
                "hazard_description": "临时用电电线乱拉乱接",
                "checklist": answers,
            }
        ),
    )
    assert resp.status_code == 302
    with app.app_context():
        event = db.session.query(HistoryEvent).filter_by(element_id="patrol", kind="task_completed").one()
        assert json.loads(event.data_json)["checklist"][codes[0]] == "NOK"
    pages.login("owner1")
    notices = client.get("/owner/notices").get_data(as_text=True)
    assert "责令限期整改通知" in notices and "临时用电电线乱拉乱接" in notices
    detail = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "整改中" in detail and "临时用电电线乱拉乱接" in detail


def test_patrol_page_shows_the_proposed_deadline_and_reinspection_lists_each_hazard(app, api, pages, client, clock):
    from tests.helpers.lifecycle import checklist, to_patrol

    pid, task = to_patrol(app, api, clock)
    pages.login("inspector_lj")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    # Seen before submitting: the district's proposal (P3D general, P1D major, at most P7D).
    assert "一般隐患 2026-12-18，重大隐患 2026-12-16；可缩短，或延长至最迟 2026-12-22" in page
    api.complete(
        "inspector_lj",
        task["id"],
        {
            "site_status": "IN_PROGRESS",
            "outcome": "rectify",
            "checklist": checklist(api, task, ("D02", "B02")),
            "hazard_description": "现场检查发现",
        },
    )
    api.complete(
        "owner1",
        api.task_of("owner1", pid, "submit_evidence")["id"],
        {"measures_taken": "已整改", "completed_on": "2026-12-16"},
    )
    reinspect = pages.task_of(pid, "reinspect")
    page = client.get(f"/tasks/{reinspect}").get_data(as_text=True)
    assert 'name="hazard_results.H1"' in page and 'name="hazard_results.H2"' in page
    assert "B02" in page and "D02" in page and "没有未销号的隐患" not in page
    resp = client.post(
        f"/tasks/{reinspect}",
        data=form_data({"hazard_results": {"H1": "passed"}, "method": "onsite"}, task_id=reinspect, action="complete"),
    )
    assert resp.status_code == 422 and "请逐项填写复查结论" in resp.get_data(as_text=True)
    resp = client.post(
        f"/tasks/{reinspect}",
        data=form_data(
            {"hazard_results": {"H1": "passed", "H2": "passed"}, "method": "onsite"},
            task_id=reinspect,
            action="complete",
        ),
    )
    assert resp.status_code == 302
    assert {h["status"] for h in api.project("inspector_lj", pid)["hazards"]} == {"closed"}
