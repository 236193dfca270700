"""Issue 15: the owner claims a project registered on site, on a page or through the API — the same
service (services.lifecycle.ownership.claim)."""

from __future__ import annotations

from tests.helpers.lifecycle import register
from tests.helpers.pages import login, text


def registered_on_site(app, api) -> tuple[int, str, str]:
    from webapp.persistence.models import Project, db

    created = register(api, "inspector_lj", title="现场登记的店面装修")
    with app.app_context():
        project = db.session.get(Project, created["id"])
        return project.id, project.reg_no, project.claim_code


def test_the_owner_claims_on_the_page(app, api, client, clock):
    pid, reg_no, code = registered_on_site(app, api)
    login(client, "owner1")
    page = client.get(f"/owner/claim?reg_no={reg_no}")
    assert page.status_code == 200 and f'value="{reg_no}"' in text(page)
    wrong = client.post(
        "/owner/claim",
        data={"reg_no": reg_no, "claim_code": "WRONG1", "phone": "13800001111", "commitment_signed": "on"},
    )
    assert wrong.status_code == 422 and "登记编号、认领码或手机号不匹配" in text(wrong)
    unsigned = client.post("/owner/claim", data={"reg_no": reg_no, "claim_code": code, "phone": "13800001111"})
    assert unsigned.status_code == 422 and "须由业主本人签署安全生产承诺" in text(unsigned)
    assert api.project("inspector_lj", pid)["awaiting_owner_claim"] is True  # nothing changed
    done = client.post(
        "/owner/claim",
        data={"reg_no": reg_no, "claim_code": code.lower(), "phone": "13800001111", "commitment_signed": "on"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and f"项目 {reg_no} 已由你认领" in text(done)
    project = api.project("owner1", pid)
    assert project["awaiting_owner_claim"] is False
    assert [h for h in project["history"] if h["kind"] == "owner_claimed"]
    # Claimed once: the code does not work again, for anyone.
    again = api.post(
        "owner2",
        "/api/v1/projects/claim",
        {"reg_no": reg_no, "claim_code": code, "phone": "13800001111", "commitment_signed": True},
    )
    assert again.status_code == 422


def test_the_owner_claims_through_the_api(app, api, clock):
    pid, reg_no, code = registered_on_site(app, api)
    body = {"reg_no": reg_no, "claim_code": code, "phone": "13900009999", "commitment_signed": True}
    assert api.post("owner1", "/api/v1/projects/claim", body).status_code == 422  # a phone it does not name
    assert api.post("inspector_lj", "/api/v1/projects/claim", dict(body, phone="13800001111")).status_code == 403
    claimed = api.post("owner1", "/api/v1/projects/claim", dict(body, phone="13800001111"))
    assert claimed.status_code == 200 and claimed.get_json()["id"] == pid
    assert api.project("owner1", pid)["awaiting_owner_claim"] is False
