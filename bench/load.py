"""Load generator (its own process): complete the given tasks over HTTP from N client threads.

`python -m bench.load BASE_URL TOKEN TASKS_FILE --threads N --seconds S` prints one JSON line:
how many completions succeeded, failed, the wall time, and the latency of each request (ms) in
order of completion. Bounded by the task list and by S.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlparse

BODY = json.dumps({"data": {"site_matches": "yes", "site_status": "IN_PROGRESS"}}).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("tasks_file")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    url = urlparse(args.base)
    tasks = open(args.tasks_file).read().split()
    lock, counts = threading.Lock(), {"ok": 0, "failed": 0}
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    stop_at = time.monotonic() + args.seconds

    def client():
        while time.monotonic() < stop_at:
            with lock:
                if not tasks:
                    return
                task_id = tasks.pop()
            started = time.perf_counter()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body=BODY, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                counts["ok" if status == 200 else "failed"] += 1
                latencies.append(round(elapsed, 3))

    threads = [threading.Thread(target=client) for _ in range(args.threads)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(dict(counts, seconds=time.monotonic() - start, latencies_ms=latencies)))


if __name__ == "__main__":
    main()
