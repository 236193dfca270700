"""The ledger (台账) and its Excel export, and jurisdiction: 中华 never sees 鹭江."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook

from tests.helpers.pages import jpeg_bytes
from webapp.persistence.models import Attachment, Project, db


def _rows(resp) -> list[list]:
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(resp.data), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _setup(app, pages, client):
    """Two 鹭江 projects (one with a photo) and one 中华 project."""
    lj_a = pages.register(title="鹭江道 1 号装修", address="思明区鹭江道 1 号")
    lj_b = pages.register(title="鹭江道 2 号外立面", address="思明区鹭江道 2 号", risk_flags=["DEMOLITION"])
    zh = pages.register(
        title="中山路 9 号装修", address="思明区中山路 9 号", street="350203002", community="350203002001"
    )
    task_id = pages.task_of(lj_a, "first_visit")
    pages.login("inspector_lj")
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "task_id": task_id,
            "site_matches": "yes",
            "site_status": "IN_PROGRESS",
            "photos": (BytesIO(jpeg_bytes()), "site.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context():
        photo = db.session.query(Attachment).one().id
        reg = {p.id: p.reg_no for p in db.session.query(Project)}
    return lj_a, lj_b, zh, photo, reg


def test_ledger_filters_and_detail(app, pages, client, clock):
    lj_a, lj_b, zh, photo, reg = _setup(app, pages, client)
    pages.login("inspector_lj")
    page = client.get("/ledger").get_data(as_text=True)
    assert set(re.findall(r'data-reg-no="([^"]+)"', page)) == {reg[lj_a], reg[lj_b]}
    page = client.get("/ledger?risk=HIGH").get_data(as_text=True)
    assert re.findall(r'data-reg-no="([^"]+)"', page) == [reg[lj_b]]
    page = client.get("/ledger?text=鹭江道 1 号").get_data(as_text=True)
    assert re.findall(r'data-reg-no="([^"]+)"', page) == [reg[lj_a]]
    page = client.get(f"/projects/{lj_a}").get_data(as_text=True)
    for expected in (
        "鹭江道 1 号装修",
        "张三",
        "厦门安建装饰工程有限公司",
        "首次核实",
        f"/files/{photo}",
        "未发现隐患",
    ):
        assert expected in page, expected
    pages.login("admin_sm")  # district: both streets, with the street filter
    page = client.get("/ledger?street=350203002").get_data(as_text=True)
    assert re.findall(r'data-reg-no="([^"]+)"', page) == [reg[zh]]


def test_export_contains_the_filtered_ledger(app, pages, client, clock):
    lj_a, lj_b, zh, photo, reg = _setup(app, pages, client)
    pages.login("admin_sm")
    rows = _rows(client.get("/ledger/export.xlsx"))
    assert rows[0][:3] == ["登记编号", "名称", "来源"]
    assert {r[0] for r in rows[1:]} == set(reg.values())
    by_reg = {r[0]: r for r in rows[1:]}
    assert by_reg[reg[lj_b]][1] == "鹭江道 2 号外立面"
    assert by_reg[reg[lj_b]][7] == "鹭江街道" and by_reg[reg[zh]][7] == "中华街道"
    assert by_reg[reg[lj_b]][11] == "高风险"
    rows = _rows(client.get("/ledger/export.xlsx?street=350203002"))
    assert [r[0] for r in rows[1:]] == [reg[zh]]
    client.post("/lang", data={"lang": "en"})
    assert _rows(client.get("/ledger/export.xlsx"))[0][0] == "Registration no."


def test_export_is_streamed_with_its_row_count_and_typed_cells(app, pages, client, clock):
    lj_a, lj_b, zh, photo, reg = _setup(app, pages, client)
    pages.login("admin_sm")
    page = client.get("/ledger").get_data(as_text=True)
    assert "data-export-status" in page and "js/export.js" in page  # the progress the page shows
    resp = client.get("/ledger/export.xlsx")
    assert resp.is_streamed and resp.headers["X-Export-Rows"] == "3"
    sheet = load_workbook(BytesIO(resp.data)).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    by_reg = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    registered = by_reg[reg[lj_a]][14]
    assert isinstance(registered, datetime) and registered.year == 2026  # a date Excel sorts, not text
    assert resp.headers["X-Export-Rows"] == str(len(by_reg))
    assert client.get("/ledger/export.xlsx?street=350203002").headers["X-Export-Rows"] == "1"


def test_an_export_cell_never_becomes_a_formula_nor_breaks_the_xml():
    from webapp.services.ledger import exports

    body = exports.xlsx("台账: a/b", ["名称"], [["=1+1"], ["a\x01b <&> "], [3], [None]])
    rows = [r[0] for r in load_workbook(BytesIO(body)).active.iter_rows(values_only=True)]
    assert rows == ["名称", "'=1+1", "ab <&> ", 3]


def test_inspector_zh_never_sees_lujiang(app, pages, client, clock):
    lj_a, lj_b, zh, photo, reg = _setup(app, pages, client)
    pages.login("inspector_zh")
    inbox = client.get("/inbox").get_data(as_text=True)
    assert reg[zh] in inbox
    ledger = client.get("/ledger").get_data(as_text=True)
    export = _rows(client.get("/ledger/export.xlsx"))
    searched = client.get("/ledger?text=鹭江").get_data(as_text=True)
    for lj in (lj_a, lj_b):
        assert reg[lj] not in inbox and reg[lj] not in ledger and reg[lj] not in searched
        assert reg[lj] not in {r[0] for r in export}
        assert client.get(f"/projects/{lj}").status_code == 404
        assert client.get(f"/projects/{lj}/diagram.xml").status_code == 404
    assert "鹭江" not in inbox + ledger
    assert {r[0] for r in export[1:]} == {reg[zh]}
    assert client.get(f"/files/{photo}").status_code == 404
    assert client.get("/inbox?street=350203001").get_data(as_text=True).count("data-reg-no") == 0
    lj_task = pages.task_of(lj_a, "first_visit") if False else None
    with app.app_context():
        from webapp.persistence.models import InboxTask

        lj_task = db.session.query(InboxTask).filter_by(project_id=lj_b).first().id
    assert client.get(f"/tasks/{lj_task}").status_code == 404
    assert client.post(f"/inbox/{lj_task}/claim").status_code == 404
    assert client.post(f"/tasks/{lj_task}", data={"task_id": lj_task}).status_code == 404
