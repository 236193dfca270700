"""Headers and links (issue 16): a Content-Security-Policy the pages work under (no inline script
or handler left in them), no framing, a referrer policy, HSTS in production; process files only
as attachments; `next=` leads to a path on this site only."""

from __future__ import annotations

import re

import pytest

from tests.conftest import registration_data  # noqa: F401  (fixtures of tests/web)

PAGES = {
    "owner1": ["/", "/owner/register", "/owner/projects"],
    "designer": ["/designer", "/designer/versions/1/bpmn", "/designer/versions/1/dmn"],
    "admin_sm": ["/dashboard", "/dashboard/diagram", "/org", "/rules"],
    None: ["/login", "/report"],
}


@pytest.mark.parametrize("user", list(PAGES), ids=[u or "anonymous" for u in PAGES])
def test_every_page_carries_the_policy_and_no_inline_script(pages, client, user):
    if user:
        pages.login(user)
    for url in PAGES[user]:
        resp = client.get(url, follow_redirects=True)
        assert resp.status_code == 200, url
        policy = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # not in development
        html = resp.get_data(as_text=True)
        inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html) if "application/json" not in s]
        assert inline == [], (url, inline)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), url
        assert "javascript:" not in html


def test_the_api_answers_carry_the_headers_too(client):
    resp = client.get("/api/v1/openapi.json")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_hsts_in_production(tmp_path, monkeypatch):
    from webapp import create_app
    from webapp.config import Config

    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("XIAOSAN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "test")
    app = create_app(Config(TESTING=True))
    resp = app.test_client().get("/login")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_process_file_is_always_an_attachment(pages, client):
    pages.login("designer")
    for query in ("", "?inline=1"):
        resp = client.get(f"/designer/versions/1/files/small_works.bpmn{query}")
        assert resp.status_code == 200
        assert resp.headers["Content-Disposition"].startswith("attachment;"), query
        assert "sandbox" in resp.headers["Content-Security-Policy"]
    page = client.get("/designer/versions/1/bpmn").get_data(as_text=True)
    assert "inline=1" not in page  # the modeler fetches the attachment


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
        "/%0a",
        "\t/inbox",
    ],
)
def test_next_leads_to_this_site_only(app, pages, client, target):
    pid = pages.register()
    from webapp.persistence.models import InboxTask, db

    with app.app_context():
        task_id = db.session.query(InboxTask).filter_by(project_id=pid, element_id="first_visit").one().id
    pages.login("inspector_lj")
    for action in ("claim", "release"):
        resp = client.post(f"/inbox/{task_id}/{action}", data={"next": target})
        assert resp.status_code == 302, (action, resp.status_code)
        location = resp.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "evil" not in location, location
        assert not re.search(r"[\x00-\x1f\\]", location)
    resp = client.post("/logout", data={"next": target})
    assert "evil" not in resp.headers.get("Location", "")
