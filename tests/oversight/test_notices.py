"""Notices are issued by the steps the diagram marks (`notice` property), numbered per district."""

from __future__ import annotations

from tests.helpers.lifecycle import decide_stop_work, fire_timers, propose_stop_work, register
from tests.helpers.oversight import patrol_with


def _notices(app, project_id):
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    with app.app_context():
        return [
            (n.kind, n.number) for n in db.session.query(Notice).filter_by(project_id=project_id).order_by(Notice.id)
        ]


def test_registration_issues_receipt_risk_notice_and_commitment_numbered_per_district(app, api, clock):
    first = register(api)["id"]
    second = register(api, title="第二个工程")["id"]
    hl = register(api, street="350206001", community="350206001001", address="湖里区某路 1 号")["id"]
    assert _notices(app, first) == [
        ("receipt", "思明-登记-2026-0001"),
        ("risk_notice", "思明-告知-2026-0001"),
        ("commitment", "思明-承诺-2026-0001"),
    ]
    assert _notices(app, second)[0] == ("receipt", "思明-登记-2026-0002")
    assert _notices(app, hl)[0] == ("receipt", "湖里-登记-2026-0001")


def test_rectification_stop_work_handover_and_writeoff_notices(app, api, clock):
    pid = patrol_with(app, api, clock, "rectify", "GENERAL", "临时用电电线乱拉乱接")
    kinds = [k for k, _ in _notices(app, pid)]
    assert kinds[-1] == "rectification"
    clock.advance(days=3, seconds=1)
    fire_timers(app)
    propose_stop_work(api, pid, "OVERDUE", "逾期未整改", handover="yes", violation="OVERDUE")
    decide_stop_work(api, pid)
    assert [k for k, _ in _notices(app, pid)][-2:] == ["stop_work", "handover"]
    assert _notices(app, pid)[-1][1] == "思明-移交-2026-0001"

    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice
    from webapp.services.casefile.notices import document

    with app.app_context():
        order = document(db.session.query(Notice).filter_by(project_id=pid, kind="rectification").one())
        assert "临时用电电线乱拉乱接" in order and "2026-12-" in order  # the deadline is printed
        assert "350203198001011234" not in order  # never an ID number


def test_rejected_stop_work_issues_no_order(app, api, clock):
    pid = patrol_with(app, api, clock, "stop_now", "MAJOR", "脚手架无防护")
    propose_stop_work(api, pid, "MAJOR_HAZARD", "重大隐患")
    decide_stop_work(api, pid, approved="no", opinion="现场已整改")
    assert "stop_work" not in [k for k, _ in _notices(app, pid)]


def test_a_notice_is_stored_as_data_and_rendered_the_same_bytes_every_time(app, api, clock, monkeypatch):
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice
    from webapp.services.casefile import notices

    pid = register(api)["id"]
    served = {n["kind"]: n["html"] for n in api.get("owner1", f"/api/v1/projects/{pid}/notices").get_json()}
    receipt = served["receipt"]
    assert "<svg" in receipt and LABEL in receipt  # the QR code drawn, the category printed by its label
    with app.app_context():
        rows = db.session.query(Notice).filter_by(project_id=pid).all()
        assert all(n.html is None and n.template_version == notices.TEMPLATE_VERSION for n in rows)
        assert len(next(n for n in rows if n.kind == "receipt").data_json) < 2000  # no QR code, no HTML kept
    # A later deploy relabels the options and the site moves: what was issued is served unchanged.
    notices._rendered.cache_clear()
    monkeypatch.setattr(notices, "_option_labels", lambda: {})
    app.config["PUBLIC_BASE_URL"] = "https://elsewhere.example"
    again = {n["kind"]: n["html"] for n in api.get("owner1", f"/api/v1/projects/{pid}/notices").get_json()}
    assert again == served


def test_a_notice_issued_before_template_versions_is_served_as_stored(app, api, clock):
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    pid = register(api)["id"]
    with app.app_context():
        notice = db.session.query(Notice).filter_by(project_id=pid, kind="commitment").one()
        notice.html, notice.template_version = "<article>旧文书 as issued</article>", None
        db.session.commit()
    [old] = [n for n in api.get("owner1", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "commitment"]
    assert old["html"] == "<article>旧文书 as issued</article>"


def test_template_version_1_renders_as_it_always_did(app):
    """body_v1.html is frozen: notices issued with it are rendered from it forever."""
    import hashlib
    from datetime import datetime, timezone

    from webapp.services.casefile import notices, site_link

    data = {
        "reg_no": "XM-350203-20261201-0001",
        "title": "鹭江道 88 号店面装修",
        "address": "思明区鹭江道 88 号",
        "category": "FITOUT_NONRESIDENTIAL",
        "planned_start": "2026-12-05",
        "planned_end": "2027-01-20",
        "contractor_name": "厦门安建装饰工程有限公司",
        "risk_level": "MEDIUM",
        "district": "思明区",
        "street": "鹭江街道",
        "issuer": "厦门市思明区人民政府鹭江街道办事处",
        "labels": {"category": "店面装修"},
        "site_url": "https://xiaosan.example/s/XM-350203-20261201-0001",
    }
    with app.app_context():
        html = notices.render(
            "receipt",
            "思明-登记-2026-0001",
            datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc),
            data,
            qr_svg=site_link.qr_svg(data["site_url"]),
            version=1,
        )
    assert "店面装修" in html and "<svg" in html
    assert hashlib.sha256(html.encode()).hexdigest() == GOLDEN_RECEIPT_V1


LABEL = "限额以下公共建筑、商铺、办公楼、厂房等装饰装修工程"
GOLDEN_RECEIPT_V1 = "d59d797de523a20f6567d5bf8a8144f13d6a2d444a22b6c080d6be223508ac14"
