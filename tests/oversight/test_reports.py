"""The monthly report: a row per street, a total, the same figures as the dashboard."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from tests.helpers import scenario
from tests.helpers.oversight import figures, ledger_total


def test_monthly_report_rows_per_street_and_total(app, api, pages, clock):
    scenario.build(app, api, clock)
    pages.login("admin_sm")
    resp = pages.get("/dashboard/monthly.xlsx?month=2026-12")
    assert resp.status_code == 200
    sheet = load_workbook(BytesIO(resp.data)).active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"鹭江街道", "中华街道", "合计"}
    header = [c.value for c in sheet[1]]
    col = {name: i for i, name in enumerate(header)}
    assert rows["鹭江街道"][col["新增登记"]] == 5 and rows["中华街道"][col["新增登记"]] == 1
    assert rows["合计"][col["新增登记"]] == 6 and rows["合计"][col["新增线索"]] == 2
    # The stopped project and the site found unregistered (stop until registered).
    assert rows["鹭江街道"][col["责令停工"]] == 2 and rows["中华街道"][col["责令停工"]] == 0
    assert rows["合计"][col["按期核销"]] == 1 and rows["合计"][col["逾期核销"]] == 1
    assert rows["合计"][col["按期核销率"]] == 50.0
    nov = load_workbook(BytesIO(pages.get("/dashboard/monthly.xlsx?month=2026-11").data)).active
    assert {r[0]: r[1] for r in nov.iter_rows(min_row=2, values_only=True)}["合计"] == 0


def test_street_dashboard_figures_list_that_streets_rows(app, api, clock):
    scenario.build(app, api, clock)
    doc = api.get("admin_sm", "/api/v1/dashboard?street=350203002").get_json()
    assert doc["total"]["value"] == 1
    for path, fig in figures(doc):
        assert fig["filters"]["street"] == "350203002", path
        assert fig["value"] == ledger_total(api, "admin_sm", fig["filters"]), path
    assert api.get("admin_hl", "/api/v1/dashboard?street=350203002").get_json()["total"]["value"] == 0


def test_insurance_report_by_street(app, api, pages, clock):
    from tests.helpers.lifecycle import register

    register(api, has_safety_insurance=True, insurance_policy_no="PICC-2026-001")
    register(api)
    register(
        api,
        street="350203002",
        community="350203002001",
        address="思明区中华路 1 号",
        has_safety_insurance=True,
        insurance_policy_no="PICC-2026-002",
    )
    register(
        api,
        "owner2",
        street="350206001",
        community="350206001001",
        address="湖里区某路 1 号",
        has_safety_insurance=True,
        insurance_policy_no="PICC-2026-003",
    )
    pages.login("admin_sm")
    sheet = load_workbook(BytesIO(pages.get("/dashboard/insurance.xlsx").data)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == {"鹭江街道": (2, 1, 50.0), "中华街道": (1, 1, 100.0), "合计": (3, 2, 66.7)}


def test_property_company_yearly_report(app, api, pages, clock):
    from tests.helpers.oversight import patrol_with
    from webapp.persistence.models import db
    from webapp.persistence.organisation import Estate, PropertyCompany

    with app.app_context():
        company = PropertyCompany(
            district_code="350203", name="厦门鹭江物业管理有限公司", contact_name="陈经理", contact_phone="0592-1234567"
        )
        db.session.add(company)
        db.session.flush()
        estate = Estate(
            company_id=company.id,
            district_code="350203",
            street_code="350203001",
            community_code="350203001001",
            name="大同花园",
        )
        db.session.add(estate)
        db.session.add(PropertyCompany(district_code="350206", name="湖里物业", contact_name="王", contact_phone="1"))
        db.session.commit()
        estate_code = f"E{estate.id}"
    pid = patrol_with(
        app,
        api,
        clock,
        "rectify",
        "GENERAL",
        "阳台护栏拆除未防护",
        place_type="RESIDENTIAL_MANAGED",
        estate=estate_code,
    )
    api.complete(
        "owner1",
        api.task_of("owner1", pid, "submit_evidence")["id"],
        {"measures_taken": "已恢复护栏", "completed_on": "2026-12-16"},
    )
    patrol_with(app, api, clock, "no_hazard", "GENERAL", "")  # a shop, not in an estate

    pages.login("housing_sm")
    sheet = load_workbook(BytesIO(pages.get("/dashboard/property.xlsx?year=2026").data)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    # 湖里's company is another district's; the demo company of 思明 has no registration this year.
    assert set(rows) == {"厦门鹭江物业管理有限公司", "厦门鹭江物业服务有限公司"}
    (estates, assisted, registered, leads, confirmed, _hours, rectification, stop_work, on_time, days, score, stars) = (
        rows["厦门鹭江物业管理有限公司"]
    )
    assert (estates, assisted, registered, leads, confirmed, rectification, stop_work, on_time) == (
        1,
        0,
        1,
        0,
        0,
        1,
        0,
        1,
    )
    assert days is not None and days >= 0
    assert (score, stars) == (78, 3)  # 80 − 2 per rectification order per estate, under the default rules
    assert rows["厦门鹭江物业服务有限公司"][-2:] == (80, 4)
    pages.login("inspector_lj")
    assert pages.get("/dashboard/property.xlsx?year=2026").status_code == 403
