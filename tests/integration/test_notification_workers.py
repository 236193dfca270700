"""Two timer workers, as `make run` and serve-prod start them, make a task's reminders and send
them: one due-soon notification for its holder, one delivered outbound message, one 督办 to the
supervisor — also when the worker holding the message is killed (SIGKILL) while the gateway is
still answering."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import BOTH_BACKENDS, ApiClient, registration_data

ROOT = Path(__file__).resolve().parents[2]
LOCK_SECONDS = 2


class SlowFirstGateway(BaseHTTPRequestHandler):
    """An SMS gateway that keeps the first request waiting (the worker is killed meanwhile)."""

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        with server.lock:
            server.received.append((self.headers["Idempotency-Key"], body))
            first = len(server.received) == 1
        if first:
            server.first_arrived.set()
            time.sleep(LOCK_SECONDS + 2)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')
        except OSError:
            pass  # the killed worker is gone

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFirstGateway)
    server.received, server.lock, server.first_arrived = [], threading.Lock(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _worker(app, gateway) -> subprocess.Popen:
    env = dict(
        os.environ,
        INSTANCE_DIR=app.config["INSTANCE_DIR"],
        PYTHONPATH=str(ROOT),
        OUTBOX_LOCK_SECONDS=str(LOCK_SECONDS),
        NOTIFY_DEFAULT_CHANNELS="sms",
        SMS_GATEWAY_URL=f"http://127.0.0.1:{gateway.server_address[1]}/send",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _db(app, fn):
    from webapp.persistence.models import db

    with app.app_context():
        try:
            return fn(db)
        finally:
            db.session.remove()


def _set_due(app, task_id, due_at):
    from webapp.persistence.models import InboxTask

    def change(db):
        db.session.get(InboxTask, task_id).due_at = due_at
        db.session.commit()

    _db(app, change)


def _phones(app):
    from webapp.persistence.models import User

    def change(db):
        for name, phone in (("inspector_lj", "13800000001"), ("supervisor_lj", "13800000002")):
            db.session.scalar(db.select(User).where(User.username == name)).phone = phone
        db.session.commit()

    _db(app, change)


def _messages(app, kind):
    from webapp.persistence.daily import DeliveryAttempt, Notification, OutboxMessage

    def read(db):
        rows = db.session.execute(
            db.select(Notification.user_id, OutboxMessage.id, OutboxMessage.status, OutboxMessage.locked_by)
            .join(OutboxMessage, OutboxMessage.notification_id == Notification.id)
            .where(Notification.kind == kind)
        ).all()
        attempts = {
            m: db.session.execute(db.select(DeliveryAttempt.ok).where(DeliveryAttempt.message_id == m)).scalars().all()
            for _, m, _, _ in rows
        }
        return rows, attempts

    return _db(app, read)


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@BOTH_BACKENDS
def test_two_workers_one_killed_mid_send_each_reminder_once(app, gateway):
    api = ApiClient(app.test_client())
    pid = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]
    task = api.task_of("inspector_lj", pid, "first_visit")
    _phones(app)
    _set_due(app, task["id"], datetime.now(timezone.utc) + timedelta(hours=1))
    # Only the reminders matter here: the new-task notification was written before the phones.
    workers = [_worker(app, gateway), _worker(app, gateway)]
    try:
        assert gateway.first_arrived.wait(30), "no message reached the gateway"
        rows, _ = _messages(app, "due_soon")
        assert len(rows) == 1
        holder = rows[0][3]
        victim = next(w for w in workers if holder and holder.endswith(f":{w.pid}"))
        victim.send_signal(signal.SIGKILL)  # while its request is still unanswered
        victim.wait(10)
        survivor = next(w for w in workers if w is not victim)
        _wait(lambda: _messages(app, "due_soon")[0][0][2] == "sent", 30, "the survivor to send the message")

        # Then the task is late past the district's delay: overdue to the holder, 督办 to the supervisor.
        workers.append(_worker(app, gateway))
        _set_due(app, task["id"], datetime.now(timezone.utc) - timedelta(days=2))
        _wait(lambda: [r[2] for r in _messages(app, "escalation")[0]] == ["sent"], 30, "the escalation")
        time.sleep(1.5)  # more rounds of both live workers: nothing more may appear
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        output = "".join(w.communicate(timeout=10)[0] or "" for w in workers)
        print(output)  # shown by pytest when the test fails

    for kind, user in (("due_soon", "inspector_lj"), ("overdue", "inspector_lj"), ("escalation", "supervisor_lj")):
        rows, attempts = _messages(app, kind)
        assert len(rows) == 1, (kind, rows, output[-3000:])
        assert rows[0][2] == "sent" and attempts[rows[0][1]].count(True) == 1, (kind, attempts)
        assert [n["kind"] for n in api.get(user, "/api/v1/notifications").get_json()["items"]].count(kind) == 1
    # The killed worker's request and the survivor's carried the same key: the gateway can drop the copy.
    due_soon_key = f"xiaosan-outbox-{_messages(app, 'due_soon')[0][0][1]}"
    assert [key for key, _ in gateway.received].count(due_soon_key) == 2
    assert len({key for key, _ in gateway.received}) == 3
    assert survivor.returncode is not None
