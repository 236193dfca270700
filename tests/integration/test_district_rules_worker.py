"""湖里区's drill rules, set through the API, escalate an overdue hazard with the real timer worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ApiClient
from tests.helpers.district_rules import HULI, huli_registration, put_rules

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_worker_escalates_a_huli_hazard_on_the_district_deadline(app):
    api = ApiClient(app.test_client())
    resp = put_rules(
        api,
        "admin_hl",
        HULI,
        {"patrol_interval_medium": "PT1S", "rectify_general": "PT5S"},
        reason="演练：巡查间隔 1 秒，一般隐患整改期限 5 秒",
    )
    assert resp.status_code == 200, resp.get_json()
    pid = api.post("owner1", "/api/v1/registrations", {"data": huli_registration()}).get_json()["id"]
    api.complete(
        "inspector_hl",
        api.task_of("inspector_hl", pid, "first_visit")["id"],
        {"site_matches": "yes", "site_status": "IN_PROGRESS"},
    )

    env = dict(os.environ, INSTANCE_DIR=app.config["INSTANCE_DIR"], PYTHONPATH=str(ROOT))
    worker = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "worker", "--poll", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for(lambda: api.tasks("inspector_hl", "patrol")), "the patrol timer did not fire"
        patrol = api.task_of("inspector_hl", pid, "patrol")
        items = api.get("inspector_hl", f"/api/v1/tasks/{patrol['id']}").get_json()["checklist"]
        api.complete(
            "inspector_hl",
            patrol["id"],
            {
                "site_status": "IN_PROGRESS",
                "checklist": {i["code"]: "OK" for i in items},
                "outcome": "rectify",
                "hazard_severity": "GENERAL",
                "hazard_description": "临时用电电线乱拉乱接",
            },
        )
        assert api.task_of("owner1", pid, "submit_evidence")
        escalated = wait_for(lambda: api.tasks("inspector_hl", "propose_stop_work"))
    finally:
        worker.terminate()
        output = worker.communicate(timeout=10)[0]
    assert escalated, output
    history = api.project("city", pid)["history"]
    assert [h["element_id"] for h in history].count("deadline_passed") == 1
    # The deadline is proposed by the DMN table before the inspector submits, within the district maximum.
    proposed = next(h for h in history if h["element_id"] == "propose_deadline")
    assert {"rule": "rectify_general", "ref": "P-11b", "value": "PT5S", "district": HULI, "version": 1} in proposed[
        "data"
    ]["rules"]
    assert api.tasks("owner1", "submit_evidence") == []
