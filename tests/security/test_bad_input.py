"""No 5xx from bad input (issue 16): each input the penetration test answered with a 500 now gets a
4xx that says what is wrong, and changes nothing."""

from __future__ import annotations

from io import BytesIO

import pytest

from tests.helpers.world import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = build_world(tmp_path_factory)
    world.app.config["PROPAGATE_EXCEPTIONS"] = False  # a failing view answers 500, as in production
    return world


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    "user, path",
    [
        (None, "/api/v1/auth/token"),
        ("owner1", "/api/v1/registrations"),
        ("designer", "/api/v1/process-versions/1/migration"),
        ("inspector_lj", "/api/v1/leads"),
    ],
)
@pytest.mark.parametrize(
    "body, status, says",
    [
        (DEEP, 400, "nested deeper"),
        ('{"data": {"x": ' + DEEP + "}}", 400, "nested deeper"),
        ('{"username": ' + "9" * 5000 + ', "password": "x"}', 400, "digits"),
        ('{"project_ids": [' + "1" * 40 + "]}", 400, "digits"),
        ('{"data": {"title": "\\ud800"}}', 422, "surrogate"),
        ('{"data": {"area": NaN}}', 400, "NaN"),
        ('{"data": {"area": 1e999}}', 400, "out of range"),
    ],
)
def test_json_past_its_limits_is_a_4xx(world, user, path, body, status, says):
    resp = world.api(user, "POST", path, data=body, content_type="application/json")
    assert resp.status_code == status and says in resp.get_json()["message"], (resp.status_code, resp.get_data()[:300])


@pytest.mark.parametrize(
    "user, path",
    [
        ("city", "/api/v1/dashboard?since=0001-01-01"),
        ("city", "/api/v1/dashboard?until=9999-12-31"),
        ("city", "/api/v1/projects?created_from=0001-01-01"),
        ("city", "/api/v1/projects?created_to=9999-12-31"),
    ],
)
def test_out_of_range_dates_are_a_422_in_the_api(world, user, path):
    resp = world.api(user, "GET", path)
    assert resp.status_code == 422 and "2000-01-01" in str(resp.get_json()["errors"])


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard?since=0001-01-01",
        "/ledger?created_from=0001-01-01",
        "/ledger/export.xlsx?created_to=9999-12-31",
        "/dashboard/monthly.xlsx?month=0001-01",
        "/dashboard/monthly.xlsx?month=9999-12",
    ],
)
def test_out_of_range_dates_are_a_422_on_the_pages(world, path):
    resp = world.page_client("city").get(path)
    assert resp.status_code == 422, (path, resp.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard?since=someday",
        "/dashboard/insurance.xlsx?since=someday",
        "/dashboard/insurance.xlsx?until=2026-13-01",
    ],
)
def test_malformed_dates_are_a_400_on_the_pages(world, path):
    resp = world.page_client("city").get(path)
    assert resp.status_code == 400, (path, resp.status_code)


def test_huge_ids_are_not_found(world):
    for path in ("/api/v1/projects/99999999999999999999", "/api/v1/process-versions/99999999999999999999"):
        assert world.api("designer", "GET", path).status_code == 404
    resp = world.api(
        "designer",
        "POST",
        f"/api/v1/projects/{world.own.params['project_id']}/migrate",
        json={"version": 10**17, "dry_run": True},
    )
    assert resp.status_code in (404, 409, 422), resp.get_data()[:300]
    resp = world.api("designer", "POST", "/api/v1/process-versions/1/migration", json={"project_ids": [10**17]})
    assert resp.status_code < 500


def test_a_deeply_nested_form_upload_is_refused_with_its_problem(world):
    deep = ('{"components": ' + "[" * 3000 + "]" * 3000 + "}").encode()
    resp = world.api(
        "designer",
        "POST",
        "/api/v1/process-versions",
        data={"files": (BytesIO(deep), "forms/registration.json")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert any("嵌套过深" in p["message"] for p in resp.get_json()["problems"])
    page = world.page_client("designer").post(
        "/designer/upload", data={"files": (BytesIO(deep), "registration.json")}, content_type="multipart/form-data"
    )
    assert page.status_code == 422 and "嵌套过深" in page.get_data(as_text=True)
