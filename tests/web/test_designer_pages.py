"""Designer pages through the test client: role, upload form, editors' JSON endpoints, migration
form, CSRF, and the catalogue for these pages."""

from __future__ import annotations

import io
import re

import pytest

from tests.helpers.designer import (
    FIRST_VISIT_DATA,
    OVERRIDE,
    shipped_bpmn,
    with_briefing_after_first_visit,
    without_first_visit,
)
from webapp import create_app
from webapp.cli import prepare
from webapp.config import Config


def files(name: str, text: str):
    """An upload of one file, overriding failing scenario tests (these tests change the diagram)."""
    return {
        "files": [(io.BytesIO(text.encode("utf-8")), name)],
        "override_failing_scenarios": "1",
        "override_reason": OVERRIDE,
    }


def test_only_designers_see_the_designer_pages(pages):
    for username in ("inspector_lj", "owner1", "ops"):
        pages.login(username)
        assert pages.get("/designer").status_code == 403
        assert pages.get("/designer/versions/1/bpmn").status_code == 403
        assert (
            pages.post(
                "/designer/deploy", data=files("small_works.bpmn", shipped_bpmn()), content_type="multipart/form-data"
            ).status_code
            == 403
        )
    pages.login("designer")
    for url in (
        "/designer",
        "/designer/versions/1",
        "/designer/versions/1/bpmn",
        "/designer/versions/1/dmn",
        "/designer/versions/1/form",
        "/designer/versions/1/form?file=forms/patrol.json",
        "/designer/versions/1/dmn?file=triage.dmn",
    ):
        resp = pages.get(url)
        assert resp.status_code == 200, url
    assert pages.get("/designer/versions/1/bpmn?file=nope.bpmn").status_code == 404
    assert pages.get("/designer/versions/99").status_code == 404


def test_the_modeler_page_carries_its_configuration(pages):
    pages.login("designer")
    html = pages.get("/designer/versions/1/bpmn").get_data(as_text=True)
    assert "vendor/bpmn-js/bpmn-modeler.production.min.js" in html and "spiffworkflow-moddle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html
    config = re.search(r'<script type="application/json" id="designer-config">(.*?)</script>', html, re.S).group(1)
    assert '"fileName": "small_works.bpmn"' in config and '"processId": "small_works"' in config
    assert '"key": "first_visit"' in config and '"id": "triage"' in config and '"name": "镇街巡查员"' in config
    xml = pages.get("/designer/versions/1/files/small_works.bpmn")  # what the modeler fetches
    assert xml.status_code == 200 and xml.headers["Content-Disposition"].startswith("attachment")
    assert xml.get_data(as_text=True) == shipped_bpmn()


def test_upload_form_deploys_or_lists_the_problems(pages):
    pages.login("designer")
    bad = shipped_bpmn().replace('name="区住建"', 'name="区规划局"')
    resp = pages.post("/designer/upload", data=files("small_works.bpmn", bad), content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'data-testid="problems"' in html and "Lane_housing" in html and "区规划局" in html

    resp = pages.post(
        "/designer/upload",
        data={**files("small_works.bpmn", with_briefing_after_first_visit(shipped_bpmn())), "note": "安全交底"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/designer/versions/2")
    html = pages.get("/designer").get_data(as_text=True)
    assert 'data-testid="version-2"' in html and "安全交底" in html


def test_the_editors_check_and_deploy_endpoints_answer_json(pages):
    pages.login("designer")
    bad = shipped_bpmn().replace('<spiffworkflow:property name="formKey" value="patrol" />', "")
    resp = pages.post(
        "/designer/check",
        data={**files("small_works.bpmn", bad), "process_id": "small_works"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    assert [p["element_id"] for p in resp.get_json()["problems"]] == ["patrol"]
    resp = pages.post("/designer/deploy", data=files("small_works.bpmn", bad), content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.get_json()["problems"][0]["element_name"] == "日常巡查"
    resp = pages.post(
        "/designer/deploy",
        data=files("small_works.bpmn", with_briefing_after_first_visit(shipped_bpmn())),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201 and resp.get_json()["version"] == 2
    assert resp.get_json()["url"].endswith("/designer/versions/2")
    resp = pages.post(
        "/designer/deploy", data=files("small_works.bpmn", shipped_bpmn()), content_type="multipart/form-data"
    )
    assert resp.status_code == 409 and "第 1 版" in resp.get_json()["message"]
    resp = pages.post(
        "/designer/upload",
        data=files("small_works.bpmn", shipped_bpmn()),
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "第 1 版" in resp.get_data(as_text=True) and "/designer" in resp.request.path


def test_version_page_previews_and_migrates_a_selection(pages, api):
    at_first_visit = pages.register()
    further = pages.register()
    api.complete("inspector_lj", pages.task_of(further, "first_visit"), FIRST_VISIT_DATA)
    pages.login("designer")
    pages.post(
        "/designer/deploy",
        data=files("small_works.bpmn", without_first_visit(shipped_bpmn())),
        content_type="multipart/form-data",
    )

    html = pages.get("/designer/versions/2").get_data(as_text=True)
    refused = re.search(rf'data-testid="migrate-row-{at_first_visit}".*?</tr>', html, re.S).group(0)
    assert "disabled" in refused and "first_visit" in refused
    movable = re.search(rf'data-testid="migrate-row-{further}".*?</tr>', html, re.S).group(0)
    assert "disabled" not in movable

    resp = pages.post("/designer/versions/2/migrate", data={"project_id": [str(at_first_visit), str(further)]})
    assert resp.status_code == 302
    html = pages.get("/designer/versions/2").get_data(as_text=True)
    assert f'migrate-row-{further}"' not in html and f'migrate-row-{at_first_visit}"' in html
    assert "首次核实" in html  # the refused one's reason, flashed


@pytest.fixture
def csrf_app(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    application = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=True))
    prepare(application)
    return application


def test_editor_posts_need_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "designer", "password": "demo12345", "csrf_token": token})
    data = files("small_works.bpmn", shipped_bpmn())
    assert client.post("/designer/check", data=data, content_type="multipart/form-data").status_code == 400
    page = client.get("/designer/versions/1/bpmn").get_data(as_text=True)
    header = re.search(r'"csrf": "([^"]+)"', page).group(1)
    resp = client.post(
        "/designer/check",
        data=files("small_works.bpmn", shipped_bpmn()),
        content_type="multipart/form-data",
        headers={"X-CSRFToken": header},
    )
    assert resp.status_code == 200 and resp.get_json()["problems"] == []


def test_catalogs_translate_the_designer_pages():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("i18n_script", Path(__file__).parents[2] / "scripts" / "i18n.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    zh, en = script.load("zh"), script.load("en")
    own = [
        m
        for m in script.extract()
        if m.id and any(loc.startswith(("web/designer.py", "templates/designer/")) for loc, _ in m.locations)
    ]
    assert len(own) > 100
    assert [m.id for m in own if not (zh.get(m.id) and zh.get(m.id).string)] == []
    assert all(en.get(m.id) is not None for m in own)


def test_the_task_page_shows_the_form_of_the_projects_version(pages):
    import json

    from tests.helpers.designer import ROOT

    old = pages.register()
    form = json.loads((ROOT / "forms" / "first_visit.json").read_text(encoding="utf-8"))
    form["components"].append(
        {
            "type": "textfield",
            "key": "site_contact",
            "label": "现场联系人",
            "label_en": "Site contact",
            "validate": {"required": True},
        }
    )
    pages.login("designer")
    resp = pages.post(
        "/designer/deploy",
        data=files("first_visit.json", json.dumps(form, ensure_ascii=False)),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    new = pages.register()
    pages.login("inspector_lj")
    assert "现场联系人" in pages.get(f"/tasks/{pages.task_of(new, 'first_visit')}").get_data(as_text=True)
    assert "现场联系人" not in pages.get(f"/tasks/{pages.task_of(old, 'first_visit')}").get_data(as_text=True)


def test_a_district_administrator_deploys_the_district_variant_from_the_pages(app):
    """admin_sm's page says where deployments go; an upload becomes 思明区's variant, shown in a
    section of its own beside the city's version, which 湖里区 keeps."""
    import io

    from tests.helpers.designer import OVERRIDE, shipped_bpmn
    from tests.helpers.pages import login

    browser = app.test_client()
    login(browser, "admin_sm")
    page = browser.get("/designer").get_data(as_text=True)
    assert "您的部署进入：思明区变体" in page
    token = browser.get("/designer").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    resp = browser.post(
        "/designer/upload",
        data={
            "csrf_token": token,
            "note": "思明区改名",
            "override_failing_scenarios": "1",
            "override_reason": OVERRIDE,
            "files": [
                (
                    io.BytesIO(shipped_bpmn().replace('name="首次核实"', 'name="首次现场核实"', 1).encode()),
                    "small_works.bpmn",
                )
            ],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    page = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "思明区变体" in page and "首次现场核实" in page
    index = browser.get("/designer").get_data(as_text=True)
    assert 'data-testid="process-small_works-350203"' in index and 'data-testid="process-small_works"' in index
    login(browser, "admin_hl")
    assert 'data-testid="process-small_works-350203"' not in browser.get("/designer").get_data(as_text=True)
