"""Comments and hand-over notes: internal or shared with the owner, @mentions, photos; pages and API."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.conftest import registration_data
from tests.helpers.pages import Pages


def _project(api) -> int:
    return api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()["id"]


def test_internal_and_shared_comments_with_mentions(app, api, clock):
    pid = _project(api)
    internal = api.post(
        "inspector_lj",
        f"/api/v1/projects/{pid}/comments",
        {"body": "脚手架连墙件缺失，@supervisor_lj 请关注", "kind": "handover"},
    )
    assert internal.status_code == 201, internal.get_json()
    assert internal.get_json()["mentions"] == ["鹭江街道负责人黄"]
    shared = api.post(
        "inspector_lj",
        f"/api/v1/projects/{pid}/comments",
        {"body": "请于周五前补充临时用电方案。", "visibility": "owner"},
    )
    assert shared.status_code == 201
    # The owner reads only what was shared with him, and his reply is always shared.
    owner_view = api.get("owner1", f"/api/v1/projects/{pid}/comments").get_json()
    assert [c["body"] for c in owner_view] == ["请于周五前补充临时用电方案。"]
    reply = api.post("owner1", f"/api/v1/projects/{pid}/comments", {"body": "已收到", "visibility": "internal"})
    assert reply.get_json()["visibility"] == "owner"
    staff_view = api.get("supervisor_lj", f"/api/v1/projects/{pid}/comments").get_json()
    assert [c["kind"] for c in staff_view] == ["handover", "comment", "comment"]
    # Mentioned, told; the owner told of the shared note; the inspectors of the owner's reply.
    kinds = lambda user: [n["kind"] for n in api.get(user, "/api/v1/notifications").get_json()["items"]]  # noqa: E731
    assert "mention" in kinds("supervisor_lj")
    assert "comment" in kinds("owner1") and "comment" in kinds("inspector_lj")
    # Other streets and unknown people cannot be mentioned; other streets cannot read or write.
    bad = api.post("inspector_lj", f"/api/v1/projects/{pid}/comments", {"body": "@inspector_hl 看一下"})
    assert bad.status_code == 422 and "@inspector_hl" in bad.get_json()["errors"]["body"]
    owner_mention = api.post("inspector_lj", f"/api/v1/projects/{pid}/comments", {"body": "@owner1 内部"})
    assert owner_mention.status_code == 422  # an internal note cannot mention the owner
    assert api.get("inspector_hl", f"/api/v1/projects/{pid}/comments").status_code == 404
    assert api.post("inspector_hl", f"/api/v1/projects/{pid}/comments", {"body": "x"}).status_code == 404
    assert api.post("inspector_lj", f"/api/v1/projects/{pid}/comments", {"body": "  "}).status_code == 422


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def test_comment_page_with_a_photo_on_the_task_page(app, client, clock):
    pages = Pages(client)
    pid = pages.register()
    task_id = pages.task_of(pid, "first_visit")
    pages.login("inspector_lj")
    resp = client.post(
        f"/projects/{pid}/comments",
        data={
            "body": "现场交接：业主电话 138 已核实",
            "kind": "handover",
            "visibility": "internal",
            "task_id": task_id,
            "next": f"/tasks/{task_id}",
            "photos": (io.BytesIO(_jpeg()), "site.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and resp.headers["Location"] == f"/tasks/{task_id}#comments"
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    thread = page.split('data-testid="comments"')[1]
    assert "现场交接：业主电话 138 已核实" in thread and "交接说明" in thread
    photo = re.search(r'/files/([A-Za-z0-9_-]+)', thread).group(1)
    assert client.get(f"/files/{photo}").status_code == 200
    pages.login("owner1")
    owner_page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "现场交接" not in owner_page  # internal


def test_a_comment_never_leads_off_site(app, client, clock):
    """Browsers read '/\\evil.example' as //evil.example: such a `next` leads back to the project."""
    pages = Pages(client)
    pid = pages.register()
    pages.login("inspector_lj")
    resp = client.post(f"/projects/{pid}/comments", data={"body": "已到现场", "next": "/\\evil.example"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/projects/{pid}#comments"
