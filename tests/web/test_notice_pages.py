"""The notice page's service record form (送达回证): a refused record shows the form again with its
problems, nothing recorded; a recorded one replaces the form."""

from __future__ import annotations

from tests.helpers.lifecycle import order
from tests.helpers.pages import text


def test_a_refused_service_record_shows_the_form_with_its_problems(app, api, pages, clock):
    pid = order(app, api, clock, failed=("D02",))
    notice = next(
        n for n in api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json() if n["kind"] == "rectification"
    )
    pages.login("inspector_lj")
    refused = pages.post(f"/notices/{notice['id']}/service", data={"method": "IN_PERSON", "served_to": ""})
    assert refused.status_code == 422
    page = text(refused)
    assert "请填写受送达人" in page and "请上传签收、张贴或拒收的现场照片" in page
    assert 'name="served_to"' in page  # the form is there to correct
    assert _service(api, pid, notice["id"]) is None
    done = pages.post(f"/notices/{notice['id']}/service", data={"method": "ELECTRONIC", "served_to": "张三（业主）"})
    assert done.status_code == 302
    shown = text(pages.get(f"/notices/{notice['id']}"))
    assert "张三（业主）" in shown and 'name="served_to"' not in shown
    assert _service(api, pid, notice["id"])["served_to"] == "张三（业主）"


def _service(api, pid: int, notice_id: int):
    notices = api.get("inspector_lj", f"/api/v1/projects/{pid}/notices").get_json()
    return next(n for n in notices if n["id"] == notice_id)["service"]
