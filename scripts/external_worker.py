#!/usr/bin/env python3
"""An example external worker: the loop another system runs against the platform's external tasks.

    python scripts/external_worker.py --username permit_system --topic permit-referral \
        --answer '{"work_started": "no", "handling_note": "已受理"}'

It signs in (role `integration`), fetches and locks tasks of its topic, "does the work" (here: it
prints the task and answers with --answer; a real worker calls its own system), completes each,
and reports a failure when the work fails, so the platform retries it later and, after the last
retry, raises an incident. Standard library only; --once stops after one round.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request


def call(base: str, path: str, body: dict, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def sign_in(base: str, username: str, password: str) -> str:
    status, body = call(base, "/api/v1/auth/token", {"username": username, "password": password})
    if status != 200:
        sys.exit(f"sign-in failed: {status} {body}")
    return body["token"]  # type: ignore[index]


def work(task: dict, answer: dict) -> dict:
    """The worker's own business: here the same answer for every task."""
    print(f"{task['reg_no']} {task['title']}: {json.dumps(task['variables'], ensure_ascii=False)}")
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("XIAOSAN_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default=os.environ.get("XIAOSAN_PASSWORD", "demo12345"))
    parser.add_argument("--topic", action="append", required=True, help="repeat for several topics")
    parser.add_argument("--answer", default="{}", help="the variables each task is completed with (JSON)")
    parser.add_argument("--lock-seconds", type=int, default=300)
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args(argv)
    answer = json.loads(args.answer)
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    token = sign_in(args.url, args.username, args.password)
    while True:
        status, tasks = call(
            args.url,
            "/api/v1/external-tasks/fetch-and-lock",
            {"topics": args.topic, "worker_id": worker_id, "max_tasks": 10, "lock_seconds": args.lock_seconds},
            token,
        )
        if status == 401:  # the token expired: sign in again
            token = sign_in(args.url, args.username, args.password)
            continue
        if status != 200:
            sys.exit(f"fetch-and-lock refused: {status} {tasks}")
        for task in tasks or []:  # type: ignore[union-attr]
            base = f"/api/v1/external-tasks/{task['id']}"
            try:
                variables = work(task, answer)
            except Exception as exc:  # the worker's own system failed: the platform retries later
                call(
                    args.url,
                    f"{base}/failure",
                    {"worker_id": worker_id, "message": str(exc)[:2000], "retry_timeout": 60},
                    token,
                )
                continue
            status, body = call(args.url, f"{base}/complete", {"worker_id": worker_id, "variables": variables}, token)
            if status == 422:  # the platform refused the answer: say why, so an operator sees it
                call(
                    args.url,
                    f"{base}/failure",
                    {"worker_id": worker_id, "retries": 0, "message": json.dumps(body, ensure_ascii=False)[:2000]},
                    token,
                )
            print(f"  → {status} {json.dumps(body, ensure_ascii=False)}")
        if args.once:
            return 0
        if not tasks:
            time.sleep(args.poll_seconds)


if __name__ == "__main__":
    sys.exit(main())
