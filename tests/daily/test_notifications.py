"""Notifications: timed reminders (due soon, overdue, 督办) exactly once, the in-app centre, the
outbox and its channels (SMTP and HTTP gateways on 127.0.0.1), preferences and quiet hours."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import BOTH_BACKENDS, registration_data


def register(api) -> int:
    resp = api.post("owner1", "/api/v1/registrations", {"data": registration_data()})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def worker_round(app, worker="w1"):
    from webapp.services.notifications.worker import work

    with app.app_context():
        return work(worker)


def notes(api, username, kind=None) -> list[dict]:
    resp = api.get(username, "/api/v1/notifications")
    assert resp.status_code == 200, resp.get_json()
    return [n for n in resp.get_json()["items"] if kind is None or n["kind"] == kind]


def deliveries(api, recipient) -> list[dict]:
    resp = api.get("ops", "/api/v1/ops/deliveries")
    assert resp.status_code == 200, resp.get_json()
    return [d for d in resp.get_json() if d["recipient"] == recipient]


@BOTH_BACKENDS
def test_due_soon_overdue_and_escalation_each_once(app, api, clock):
    pid = register(api)
    task = api.task_of("inspector_lj", pid, "first_visit")
    assert task["due_at"].startswith("2026-12-06T01:00")  # P5D, medium risk

    clock.advance(days=3, hours=23)  # 25 hours before due: outside the 24 h warning period
    worker_round(app)
    assert notes(api, "inspector_lj", "due_soon") == []

    clock.advance(hours=2)  # 23 hours before due
    worker_round(app)
    worker_round(app, "w2")
    soon = notes(api, "inspector_lj", "due_soon")
    assert len(soon) == 1 and soon[0]["task_id"] == task["id"] and soon[0]["title"] == "首次核实"
    assert soon[0]["link"] == f"/tasks/{task['id']}" and "2026-12-06 09:00" in soon[0]["body"]  # Xiamen time
    sent = [d for d in deliveries(api, "inspector_lj") if "即将到期" in d["subject"]]
    assert [(d["ok"], d["status"], d["channel"]) for d in sent] == [(True, "sent", "console")]
    assert notes(api, "supervisor_lj", "escalation") == []

    clock.advance(hours=23, minutes=1)  # overdue, not yet by the escalation delay (P1D)
    worker_round(app)
    assert len(notes(api, "inspector_lj", "overdue")) == 1
    assert notes(api, "supervisor_lj", "escalation") == []

    clock.advance(days=1)
    worker_round(app)
    worker_round(app, "w2")
    escalated = notes(api, "supervisor_lj", "escalation")
    assert len(escalated) == 1 and escalated[0]["title"] == "督办：首次核实"
    assert [d["ok"] for d in deliveries(api, "supervisor_lj") if "督办" in d["subject"]] == [True]
    # Nothing more however often the workers scan.
    worker_round(app)
    assert [len(notes(api, "inspector_lj", k)) for k in ("due_soon", "overdue")] == [1, 1]
    assert len(notes(api, "supervisor_lj", "escalation")) == 1


def test_district_warning_period_decides(app, api, clock):
    resp = api.client.put(
        "/api/v1/districts/350203/rules",
        headers={"Authorization": f"Bearer {api.token('admin_sm')}"},
        json={"values": {"remind_due_before": "PT72H"}, "reason": "提前三天提醒"},
    )
    assert resp.status_code == 200, resp.get_json()
    pid = register(api)
    clock.advance(days=2, hours=2)  # 71 hours before due
    worker_round(app)
    soon = notes(api, "inspector_lj", "due_soon")
    assert len(soon) == 1 and soon[0]["project_id"] == pid


def test_centre_lists_marks_read_and_keeps_others_out(app, api, clock):
    register(api)
    clock.advance(days=4, hours=2)
    worker_round(app)
    resp = api.get("inspector_lj", "/api/v1/notifications").get_json()
    assert resp["unread"] >= 1
    first = resp["items"][0]["id"]
    # Another user's ids change nothing.
    other = api.post("supervisor_lj", "/api/v1/notifications/read", {"ids": [first]}).get_json()
    assert other["marked"] == 0
    marked = api.post("inspector_lj", "/api/v1/notifications/read", {"ids": [first]}).get_json()
    assert marked["marked"] == 1 and marked["unread"] == resp["unread"] - 1
    unread = api.get("inspector_lj", "/api/v1/notifications?unread=true").get_json()["items"]
    assert [n["id"] for n in unread] == [n["id"] for n in resp["items"][1:]]
    api.post("inspector_lj", "/api/v1/notifications/read", {})
    assert api.get("inspector_lj", "/api/v1/notifications").get_json()["unread"] == 0


def test_preferences_are_validated(app, api):
    put = api.client.put
    headers = {"Authorization": f"Bearer {api.token('inspector_lj')}"}
    bad = put(
        "/api/v1/notifications/preferences",
        headers=headers,
        json={"channels": ["email", "carrier_pigeon"], "quiet_start": "25:00", "quiet_end": None},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) >= {"channels", "quiet_start", "quiet_end"}
    good = put(
        "/api/v1/notifications/preferences",
        headers=headers,
        json={"channels": ["console"], "quiet_start": "22:00", "quiet_end": "07:00", "muted": ["new_task"]},
    )
    assert good.status_code == 200, good.get_json()
    assert good.get_json()["quiet_start"] == "22:00" and good.get_json()["muted"] == ["new_task"]
    assert "console" in good.get_json()["offered"]


# -- channels against local servers --------------------------------------------------------------
class Recorder(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, dict(self.headers), body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _notify_inspector(app, title="测试通知"):
    from webapp.persistence.models import User, db
    from webapp.services.notifications.centre import Event, notify

    with app.app_context():
        uid = db.session.scalar(db.select(User.id).where(User.username == "inspector_lj"))
        created = notify([uid], Event("new_task", f"test:{title}", title, "正文"))
        db.session.commit()
        return created


def _prefer(api, phone="13800009999", **values):
    from webapp.persistence.models import User, db

    with api.client.application.app_context():
        db.session.scalar(db.select(User).where(User.username == "inspector_lj")).phone = phone
        db.session.commit()
    resp = api.client.put(
        "/api/v1/notifications/preferences",
        headers={"Authorization": f"Bearer {api.token('inspector_lj')}"},
        json={"channels": [], **values},
    )
    assert resp.status_code == 200, resp.get_json()


def test_sms_wecom_and_dingtalk_reach_their_gateways(app, api, gateway, clock):
    base = f"http://127.0.0.1:{gateway.server_address[1]}"
    app.config.update(
        SMS_GATEWAY_URL=f"{base}/sms",
        SMS_GATEWAY_TOKEN="t0k",
        WECOM_WEBHOOK_URL=f"{base}/wecom",
        DINGTALK_WEBHOOK_URL=f"{base}/dingtalk",
    )
    _prefer(api, channels=["sms", "wecom", "dingtalk"])
    _notify_inspector(app)
    worker_round(app)
    by_path = {path: (headers, body) for path, headers, body in gateway.received}
    assert set(by_path) == {"/sms", "/wecom", "/dingtalk"}
    sms_headers, sms = by_path["/sms"]
    assert sms_headers["Authorization"] == "Bearer t0k" and sms["text"] == "【新待办】测试通知：正文"
    # The text is the notification's: the outbound messages keep no copy of it.
    with app.app_context():
        from webapp.persistence.daily import OutboxMessage
        from webapp.persistence.models import db

        assert set(db.session.execute(db.select(OutboxMessage.subject, OutboxMessage.body))) == {(None, None)}
    phone = sms["to"]
    assert phone == "13800009999"
    assert by_path["/wecom"][1]["text"]["mentioned_mobile_list"] == [phone]
    assert by_path["/dingtalk"][1]["at"]["atMobiles"] == [phone]
    keys = {headers["Idempotency-Key"] for headers, _ in by_path.values()}
    assert len(keys) == 3 and all(k.startswith("xiaosan-outbox-") for k in keys)


def test_a_message_written_with_its_own_text_is_sent_with_it(app, api, gateway, clock):
    """Outbound messages written before they read their notification's text kept a copy."""
    from sqlalchemy import update

    from webapp.persistence.daily import OutboxMessage
    from webapp.persistence.models import db

    app.config.update(SMS_GATEWAY_URL=f"http://127.0.0.1:{gateway.server_address[1]}/sms")
    _prefer(api, channels=["sms"])
    _notify_inspector(app)
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(subject="【新待办】当时的标题", body="当时的正文"))
        db.session.commit()
    worker_round(app)
    assert [body["text"] for _, _, body in gateway.received] == ["【新待办】当时的标题：当时的正文"]


def test_a_failing_gateway_is_retried_and_logged(app, api, gateway, clock):
    app.config.update(SMS_GATEWAY_URL=f"http://127.0.0.1:{gateway.server_address[1]}/sms")
    gateway.answers = [503]
    _prefer(api, channels=["sms"])
    _notify_inspector(app)
    assert worker_round(app) == 0
    log = [d for d in api.get("ops", "/api/v1/ops/deliveries").get_json() if d["channel"] == "sms"]
    assert [(d["ok"], d["status"]) for d in log] == [(False, "pending")] and "503" in log[0]["error"]
    worker_round(app)  # backoff: not yet
    assert len(gateway.received) == 1
    clock.advance(seconds=30)
    worker_round(app)
    log = [d for d in api.get("ops", "/api/v1/ops/deliveries").get_json() if d["channel"] == "sms"]
    assert sorted(d["ok"] for d in log) == [False, True] and {d["status"] for d in log} == {"sent"}
    assert len({h["Idempotency-Key"] for _, h, _ in gateway.received}) == 1


def test_email_through_a_local_smtp_server(app, api, clock):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.mails.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    inbox = Inbox()
    with socket.socket() as probe:  # a free port: aiosmtpd checks readiness by connecting to it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_FROM="xiaosan@example.test")
        _prefer(api, channels=["email"], email="inspector@example.test")
        _notify_inspector(app, "邮件通知")
        assert worker_round(app) == 1
    finally:
        controller.stop()
    assert len(inbox.mails) == 1
    recipients, content = inbox.mails[0]
    assert recipients == ["inspector@example.test"]
    assert "X-Idempotency-Key: xiaosan-outbox-" in content and "Subject:" in content


def test_quiet_hours_hold_outbound_messages_until_they_end(app, api, clock):
    # 01:00 UTC is 09:00 in Xiamen; quiet 08:00-10:00 holds the message until 02:00 UTC.
    _prefer(api, channels=["console"], quiet_start="08:00", quiet_end="10:00")
    _notify_inspector(app)
    assert worker_round(app) == 0
    assert len(notes(api, "inspector_lj")) == 1  # in the centre at once
    clock.advance(minutes=59)
    assert worker_round(app) == 0
    clock.advance(minutes=2)
    assert worker_round(app) == 1
    assert datetime.now(timezone.utc).hour == 2


def test_the_outbox_index_holds_only_messages_still_to_send(app, api, clock):
    """The worker claims pending messages through the partial index; a message sent leaves it."""
    from sqlalchemy import event, text

    from webapp.persistence.models import db

    register(api)  # the first visit's inspectors are told, on the console channel
    indexed = text(
        "SELECT count(*) FROM outbox_message INDEXED BY ix_outbox_pending_not_before WHERE status = 'pending'"
    )
    with app.app_context():
        pending = db.session.execute(indexed).scalar()
        engine = db.engine
    assert pending > 0
    claims = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE outbox_message SET locked_by"):
            claims.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert worker_round(app) == pending  # all sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with app.app_context():
        assert db.session.execute(indexed).scalar() == 0
        statement, parameters = claims[0]
        plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert any("ix_outbox_pending_not_before" in str(row) for row in plan), plan
