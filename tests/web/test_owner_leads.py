"""The owner's portal (registration in steps, my projects, notices) and a grid worker's lead."""

from __future__ import annotations

import re
from io import BytesIO

from tests.conftest import registration_data
from tests.helpers.pages import form_data, jpeg_bytes
from webapp.persistence.models import Attachment, Project, db


def test_registration_in_steps(app, pages, client, clock):
    pages.login("owner1")
    page = client.get("/owner/register").get_data(as_text=True)
    assert "第 1 步，共 5 步" in page and "登记为信息登记，不是行政许可" in page
    data = registration_data()
    step1 = {k: data[k] for k in ("object_type", "category", "description")}  # title missing
    resp = client.post("/owner/register", data=form_data(step1, step="0", move="next"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "第 1 步" in page
    assert re.search(r'data-error-for="title">此项为必填项<', page)
    assert 'data-error-for="street"' not in page  # later steps are not judged yet
    resp = client.post("/owner/register", data=form_data({**step1, "title": data["title"]}, step="0", move="next"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "第 2 步" in page
    assert 'type="hidden" name="title" value="鹭江道 88 号店面装修"' in page
    assert "鹭江街道 · 大同社区" in page
    back = client.post("/owner/register", data=form_data({**step1, "title": data["title"]}, step="1", move="back"))
    assert "第 1 步" in back.get_data(as_text=True)
    # Submitting with an error on an earlier step goes back to that step.
    bad = dict(data, owner_phone="12345")
    resp = client.post("/owner/register", data=form_data(bad, step="4", move="submit"))
    page = resp.get_data(as_text=True)
    assert "第 3 步" in page and re.search(r'data-error-for="owner_phone">格式不正确<', page)
    resp = client.post("/owner/register", data=form_data(data, step="4", move="submit"))
    assert resp.status_code == 302
    with app.app_context():
        project = db.session.query(Project).one()
        assert project.owner_user_id is not None and project.reg_no.startswith("XM-350203-")
    page = client.get("/owner/projects").get_data(as_text=True)
    assert project.reg_no in page and "待首次核实" in page
    assert "暂无通知" in client.get("/owner/notices").get_data(as_text=True)


def test_owner_sees_only_own_projects(pages, client, clock):
    mine = pages.register("owner1")
    theirs = pages.register("owner2")
    pages.login("owner1")
    assert client.get(f"/projects/{mine}").status_code == 200
    assert client.get(f"/projects/{theirs}").status_code == 404
    assert client.get("/ledger").status_code == 403


def test_grid_worker_reports_a_lead_with_photo_and_location(app, pages, client, clock):
    pages.login("grid_lj")
    page = client.get("/leads/new").get_data(as_text=True)
    assert (
        'name="latitude"' in page and "data-geo-button" in page and 'accept="image/jpeg,image/png,image/webp"' in page
    )
    resp = client.post(
        "/leads/new",
        data={
            "street": "350203001",
            "address": "思明区大同路 12 号",
            "latitude": "24.4556",
            "longitude": "118.0712",
            "description": "沿街店面疑似在拆墙",
            "urgency": "IMMINENT",
            "photos": (BytesIO(jpeg_bytes()), "lead.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context():
        project = db.session.query(Project).one()
        assert project.channel == "lead" and db.session.query(Attachment).one().project_id == project.id
    assert project.reg_no in client.get("/leads/mine").get_data(as_text=True)
    resp = client.post("/leads/new", data={"street": "350203001", "urgency": "NORMAL"})
    assert resp.status_code == 422 and re.search(r'data-error-for="address">此项为必填项<', resp.get_data(as_text=True))
    pages.login("inspector_lj")
    assert "线索核查" in client.get("/inbox").get_data(as_text=True)
    pages.login("owner1")
    assert client.get("/leads/new").status_code == 403


def test_registration_page_refuses_an_end_before_the_start(pages, client, clock):
    pages.login("owner1")
    bad = registration_data(planned_end="2026-11-01")
    resp = client.post("/owner/register", data=form_data(bad, step="4", move="submit"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'data-error-for="planned_end">不能早于「计划开工日期」（2026-12-05）<', page)


def test_registration_pick_lists_are_narrowed_and_streets_name_their_district(app, pages, client, clock):
    pages.login("owner1")
    page = client.get("/owner/register").get_data(as_text=True)
    # Categories carry their object type; the select names the field that narrows it.
    category = re.search(r'<select id="f-category"[^>]*>(.*?)</select>', page, re.S)
    assert 'data-options-by="object_type"' in category.group(0)
    assert '<option value="AC_INSTALL" data-group="SPORADIC_OP">' in category.group(1)
    data = registration_data()
    step1 = {k: data[k] for k in ("object_type", "category", "description", "title")}
    page = client.post("/owner/register", data=form_data(step1, step="0", move="next")).get_data(as_text=True)
    streets = re.search(r'<select id="f-street"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert ">思明区 · 鹭江街道<" in streets and ">湖里区 · 湖里街道<" in streets
    communities = re.search(r'<select id="f-community"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="350203001001" data-street="350203001">鹭江街道 · ', communities)
    assert re.search(r'<option value="350206001001" data-street="350206001">湖里街道 · ', communities)
