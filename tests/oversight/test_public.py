"""The public site page behind the QR code, and reports from anyone that become street leads."""

from __future__ import annotations

import re

from tests.helpers.lifecycle import register
from tests.helpers.pages import jpeg_bytes


def _token(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def _report(client, clock, url, **fields):
    token = _token(client, url)
    clock.advance(seconds=10)
    data = {"form_token": token, "description": "脚手架没有防护网，材料掉到人行道", "urgency": "NORMAL", **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_site_page_shows_the_site_and_no_personal_data(client, api, clock):
    reg_no = register(api)["reg_no"]
    resp = client.get(f"/s/{reg_no}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for shown in (
        reg_no,
        "鹭江道 88 号店面装修",
        "思明区鹭江道 88 号",
        "商铺、办公楼、厂房等装饰装修工程",
        "2026-12-05",
        "厦门安建装饰工程有限公司",
        "0592-2021234",
        "鹭江街道",
        "施工中（街道日常巡查）",
    ):
        assert shown in html, shown
    for secret in ("张三", "350203198001011234", "13800001111", "李四", "13900002222", "待首次核实"):
        assert secret not in html, secret
    assert client.get(f"/s/{reg_no}/qr.svg").data.startswith(b"<svg")


def test_an_individual_craftsman_is_not_named(client, api, clock):
    reg_no = register(api, contractor_type="INDIVIDUAL_CRAFTSMAN", contractor_name="王师傅")["reg_no"]
    html = client.get(f"/s/{reg_no}").get_data(as_text=True)
    assert "王师傅" not in html and "个体工匠" in html


def test_leads_and_unknown_numbers_have_no_site_page(client, api, clock):
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "思明区镇海路 3 号",
                "description": "疑似装修",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    assert client.get(f"/s/{lead['reg_no']}").status_code == 404
    assert client.get("/s/XM-350203-20261201-9999").status_code == 404


def test_receipt_carries_the_qr_code_of_the_site_page(app, client, api, pages, clock):
    pid = register(api)["id"]
    pages.login("owner1")
    html = client.get(f"/projects/{pid}").get_data(as_text=True)
    receipt = re.search(r'href="(/notices/\d+)">[^<]*登记回执', html) or re.search(r'href="(/notices/\d+)"', html)
    page = client.get(receipt.group(1)).get_data(as_text=True)
    assert "<svg" in page and "思明-登记-2026-0001" in page


def test_public_report_from_a_site_becomes_an_inspection_of_that_project(client, api, clock):
    created = register(api)
    reg_no, pid = created["reg_no"], created["id"]
    before = api.get("city", "/api/v1/projects").get_json()["total"]
    resp = _report(client, clock, f"/s/{reg_no}/report", photos=(__import__("io").BytesIO(jpeg_bytes()), "p.jpg"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[-2000:]
    assert reg_no in resp.get_data(as_text=True)
    # A task on that very project in its street's inbox; no new project, no lead check.
    assert api.get("city", "/api/v1/projects").get_json()["total"] == before
    task = api.task_of("inspector_lj", pid, "adhoc_inspection")
    assert api.tasks("inspector_zh", "adhoc_inspection") == [] and api.tasks("inspector_lj", "check_lead") == []
    request = next(
        h["data"] for h in api.project("inspector_lj", pid)["history"] if h["kind"] == "inspection_requested"
    )
    assert request["source"] == "PUBLIC_APP" and "脚手架没有防护网" in request["reason"] and len(request["photos"]) == 1
    assert task["title"] == "临时巡查"


def test_public_report_without_a_site_goes_to_the_chosen_street(client, api, clock):
    resp = _report(client, clock, "/report", street="350206001", address="湖里区某小区 3 号楼")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-2000:]
    assert len(api.tasks("inspector_hl", "check_lead")) == 1 and api.tasks("inspector_lj", "check_lead") == []


def test_bots_are_refused(client, api, clock):
    reg_no = register(api)["reg_no"]
    url = f"/s/{reg_no}/report"
    assert _report(client, clock, url, website="http://spam.example").status_code == 422  # honeypot
    token = _token(client, url)
    fast = client.post(url, data={"form_token": token, "description": "x", "urgency": "NORMAL"})
    assert fast.status_code == 422  # sent back within a second of being served
    forged = client.post(url, data={"form_token": "forged", "description": "x", "urgency": "NORMAL"})
    assert forged.status_code == 422
    assert api.tasks("inspector_lj", "check_lead") == []


def test_reports_are_limited_per_address(client, api, clock):
    reg_no = register(api)["reg_no"]
    url = f"/s/{reg_no}/report"
    assert [_report(client, clock, url).status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.advance(hours=1)
    assert _report(client, clock, url).status_code == 200
    assert len(api.tasks("inspector_lj", "adhoc_inspection")) == 4


def test_csrf_is_on_for_the_public_form(app, api, clock):
    app.config["WTF_CSRF_ENABLED"] = True
    reg_no = register(api)["reg_no"]
    client = app.test_client()
    token = _token(client, f"/s/{reg_no}/report")
    clock.advance(seconds=10)
    resp = client.post(f"/s/{reg_no}/report", data={"form_token": token, "description": "x", "urgency": "NORMAL"})
    assert resp.status_code == 400


# -- abuse (issue 16) ---------------------------------------------------------------------------
def _stored_files(app) -> list:
    from pathlib import Path

    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def _photo(data: bytes = None, name="a.jpg"):
    from io import BytesIO

    return (BytesIO(data or jpeg_bytes()), name)


def test_a_refused_report_stores_nothing(app, client, api, clock):
    from webapp.persistence.models import Attachment, db

    before = _stored_files(app)
    for _ in range(4):
        resp = _report(client, clock, "/report", description="", photos=_photo())
        assert resp.status_code == 422
    assert _stored_files(app) == before
    with app.app_context():
        assert db.session.query(Attachment).count() == 0


def test_refused_attempts_count_against_the_address(client, api, clock):
    from webapp.services.participation import public

    hourly = public.ATTEMPT_LIMITS[0][1]
    for _ in range(hourly):
        assert _report(client, clock, "/report", description="").status_code == 422
    assert (
        _report(client, clock, "/report", street="350203001", address="鹭江道 1 号").status_code == 429
    )  # a good one, too late
    assert api.tasks("inspector_lj", "check_lead") == []


def test_a_form_is_sent_once(client, api, clock):
    token = _token(client, "/report")
    clock.advance(seconds=10)
    data = {
        "form_token": token,
        "description": "脚手架没有防护网",
        "urgency": "NORMAL",
        "street": "350203001",
        "address": "鹭江道 1 号",
    }
    assert client.post("/report", data=data).status_code == 200
    again = client.post("/report", data=data)
    assert again.status_code == 422 and "已提交过" in again.get_data(as_text=True)
    assert len(api.tasks("inspector_lj", "check_lead")) == 1


def test_public_photos_have_a_pixel_limit_well_below_the_staffs(app, client, api, clock):
    import time
    from io import BytesIO

    from PIL import Image

    from webapp.services.casefile import attachments
    from webapp.services.participation import public

    assert public.MAX_PIXELS <= attachments.MAX_PIXELS // 3
    out = BytesIO()
    Image.new("1", (4000, 3500)).save(out, "PNG")  # 14 megapixels in a few kilobytes
    assert len(out.getvalue()) < 10_000
    started = time.monotonic()
    resp = _report(
        client, clock, "/report", street="350203001", address="鹭江道 1 号", photos=_photo(out.getvalue(), "bomb.png")
    )
    assert resp.status_code == 422 and "像素过大" in resp.get_data(as_text=True)
    assert time.monotonic() - started < 1.5  # judged from the header, not decoded
    assert api.tasks("inspector_lj", "check_lead") == []


def test_disk_use_per_address_and_day_is_bounded(client, api, clock, monkeypatch):
    from webapp.services.participation import public

    monkeypatch.setattr(public, "BYTES_PER_ADDRESS_DAY", 1)
    assert (
        _report(client, clock, "/report", street="350203001", address="鹭江道 1 号", photos=_photo()).status_code == 200
    )
    refused = _report(client, clock, "/report", street="350203001", address="鹭江道 1 号", photos=_photo())
    assert refused.status_code == 429 and "照片已达上限" in refused.get_data(as_text=True)
    assert (
        _report(client, clock, "/report", street="350203001", address="鹭江道 1 号").status_code == 200
    )  # without photos: fine
    clock.advance(days=1, seconds=1)
    assert (
        _report(client, clock, "/report", street="350203001", address="鹭江道 1 号", photos=_photo()).status_code == 200
    )


def test_the_worker_removes_public_photos_no_lead_took(app, client, api, clock):
    from io import BytesIO

    from webapp.persistence.models import Attachment, db
    from webapp.services.casefile import attachments
    from webapp.services.participation import public

    assert (
        _report(client, clock, "/report", street="350203001", address="鹭江道 1 号", photos=_photo()).status_code == 200
    )
    with app.app_context():
        orphan = attachments.store(public.public_user(), BytesIO(jpeg_bytes()), "left.jpg")
        orphan_id = orphan.id
    assert len(_stored_files(app)) == 2
    with app.app_context():
        assert public.remove_orphaned_photos() == 0  # too young: its report may still be on its way
    clock.advance(hours=2)
    with app.app_context():
        assert public.remove_orphaned_photos() == 1
        assert db.session.get(Attachment, orphan_id) is None
        assert db.session.query(Attachment).count() == 1  # the lead's photo stays
    assert len(_stored_files(app)) == 1
