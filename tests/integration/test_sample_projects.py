"""The demo's sample projects (`make run`): driven through the process, every role finds work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from webapp.cli import prepare

LEAD = "线索：思明区镇海路 57 号"
# What each demo role finds in the inbox: (task element id, project title).
EXPECTED_INBOX = {
    "owner1": [
        ("declare_completion", "大同路 126 号骑楼外墙维修粉刷"),
        ("submit_evidence", "鹭江道 88 号临街店面装修"),
    ],
    "owner2": [("await_start", "厦禾路 520 号服装店装修")],  # the others are with the authorities
    "inspector_lj": [
        ("check_lead", LEAD),
        ("first_visit", "镇海路 8 号奶茶店装修"),
        ("patrol", "升平路 15 号茶叶店装修"),
        ("resume_check", "大同路 302 号餐厅装修"),
        ("resume_check", "思明北路 210 号住宅屋面防水翻新"),
    ],
    "supervisor_lj": [("approve_stop_work", "镇海路 31 号临街楼外立面改造")],
    "enforcer_sm": [("ack_enforcement", "思明北路 210 号住宅屋面防水翻新")],
    "housing_sm": [("ack_housing", "大同路 302 号餐厅装修")],
    "inspector_hl": [("first_visit", "湖里大道 45 号厂房改办公装修")],
    "inspector_zh": [],  # 中华街道 has no sample site
    "grid_lj": [],  # the process gives grid workers no task: they report leads
}


def inbox(api, username: str) -> list[tuple[str, str]]:
    return sorted((task["element_id"], task["project_title"]) for task in api.tasks(username))


def projects(api, username: str) -> dict[str, dict]:
    resp = api.get(username, "/api/v1/projects")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    return {row["title"]: row for row in (body["items"] if isinstance(body, dict) else body)}


def test_every_demo_role_has_work_waiting(app, api, capsys):
    prepare(app, sample_projects=True)
    assert "sample projects added: 11" in capsys.readouterr().out

    for username, expected in EXPECTED_INBOX.items():
        assert inbox(api, username) == expected, username
    # Dates run relative to now: nothing waiting is already late.
    assert not [t for user in EXPECTED_INBOX for t in api.tasks(user) if t["overdue"]]

    everything = projects(api, "city")
    assert len(everything) == 11
    assert not [title for title, row in everything.items() if row["late_registration"]]
    written_off = everything["鹭江道 52 号办公室装修"]
    assert (written_off["stage"], written_off["status"]) == ("writeoff", "已核销")
    assert written_off["closed_at"] is not None
    steps = [
        h["element_id"] for h in api.project("city", written_off["id"])["history"] if h["kind"] == "task_completed"
    ]
    assert steps == ["first_visit", "patrol", "writeoff"]
    assert everything["镇海路 31 号临街楼外立面改造"]["status"] == "停工待审批"
    assert everything["湖里大道 45 号厂房改办公装修"]["street_code"] == "350206001"
    assert everything["厦禾路 520 号服装店装修"]["status"] == "待开工"  # visited before its planned start
    assert "湖里大道 45 号厂房改办公装修" not in projects(api, "inspector_lj")

    prepare(app, sample_projects=True)  # a second start finds projects and adds none
    assert "sample projects added: 0" in capsys.readouterr().out
    assert len(projects(api, "city")) == 11


def test_the_tests_template_database_has_no_projects(api):
    assert projects(api, "city") == {}


def test_serve_prod_offers_sample_projects_only_with_the_demo_users():
    proc = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "serve-prod", "--sample-projects"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--sample-projects needs --demo" in proc.stderr
