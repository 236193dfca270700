"""Notices are issued by the steps the diagram marks (`notice` property), numbered per district."""
from __future__ import annotations

from tests.helpers.lifecycle import fire_timers, register
from tests.helpers.oversight import patrol_with


def _notices(app, project_id):
    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    with app.app_context():
        return [(n.kind, n.number) for n in db.session.query(Notice).filter_by(project_id=project_id).order_by(Notice.id)]


def test_registration_issues_receipt_risk_notice_and_commitment_numbered_per_district(app, api, clock):
    first = register(api)["id"]
    second = register(api, title="第二个工程")["id"]
    hl = register(api, street="350206001", community="350206001001", address="湖里区某路 1 号")["id"]
    assert _notices(app, first) == [("receipt", "思明-登记-2026-0001"), ("risk_notice", "思明-告知-2026-0001"),
                                    ("commitment", "思明-承诺-2026-0001")]
    assert _notices(app, second)[0] == ("receipt", "思明-登记-2026-0002")
    assert _notices(app, hl)[0] == ("receipt", "湖里-登记-2026-0001")


def test_rectification_stop_work_handover_and_writeoff_notices(app, api, clock):
    pid = patrol_with(app, api, clock, "rectify", "GENERAL", "临时用电电线乱拉乱接")
    kinds = [k for k, _ in _notices(app, pid)]
    assert kinds[-1] == "rectification"
    clock.advance(days=3, seconds=1)
    fire_timers(app)
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "propose_stop_work")["id"],
                 {"reason": "OVERDUE", "scope": "WHOLE_SITE", "facts": "逾期未整改", "imminent": "no",
                  "handover": "yes", "violation": "OVERDUE"})
    api.complete("supervisor_lj", api.task_of("supervisor_lj", pid, "approve_stop_work")["id"],
                 {"approved": "yes", "opinion": "同意"})
    assert [k for k, _ in _notices(app, pid)][-2:] == ["stop_work", "handover"]
    assert _notices(app, pid)[-1][1] == "思明-移交-2026-0001"

    from webapp.persistence.models import db
    from webapp.persistence.oversight import Notice

    with app.app_context():
        order = db.session.query(Notice).filter_by(project_id=pid, kind="rectification").one()
        assert "临时用电电线乱拉乱接" in order.html and "2026-12-" in order.html  # the deadline is printed
        assert "350203198001011234" not in order.html  # never an ID number


def test_rejected_stop_work_issues_no_order(app, api, clock):
    pid = patrol_with(app, api, clock, "stop_now", "MAJOR", "脚手架无防护")
    api.complete("inspector_lj", api.task_of("inspector_lj", pid, "propose_stop_work")["id"],
                 {"reason": "MAJOR_HAZARD", "scope": "WHOLE_SITE", "facts": "重大隐患", "imminent": "no",
                  "handover": "no"})
    api.complete("supervisor_lj", api.task_of("supervisor_lj", pid, "approve_stop_work")["id"],
                 {"approved": "no", "opinion": "现场已整改"})
    assert "stop_work" not in [k for k, _ in _notices(app, pid)]
