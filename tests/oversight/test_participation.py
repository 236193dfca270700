"""Property companies (P-26) and entrusted supervisors (P-27): what they reach, registering on an
owner's behalf, leads they raise landing in the street's inbox, and the star rating's weights read
from the district's rules."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import for_staff, registration_data
from tests.helpers.district_rules import put_rules
from tests.helpers.lifecycle import register

SIMING = "350203"


def _estate_code(app, name: str) -> str:
    from webapp.persistence.models import db
    from webapp.persistence.organisation import Estate

    with app.app_context():
        return f"E{db.session.scalar(select(Estate.id).where(Estate.name == name))}"


def _user_id(app, username: str) -> int:
    from webapp.persistence.models import User, db

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def _ledger(api, username) -> set[str]:
    resp = api.get(username, "/api/v1/projects")
    assert resp.status_code == 200, resp.get_json()
    return {p["reg_no"] for p in resp.get_json()["items"]}


def _report(api, username, year=2026) -> list[dict]:
    resp = api.get(username, f"/api/v1/property-companies/report?year={year}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _lead_check_task(api, project_id: int) -> dict:
    return api.task_of("inspector_lj", project_id, "check_lead")


def test_property_company_registers_in_its_estates_and_sees_only_them(app, api, clock):
    garden = _estate_code(app, "鹭江花园")
    outside = register(api)  # owner1's shop, in no estate
    ours = register(
        api,
        "property_lj",
        estate=garden,
        place_type="RESIDENTIAL_MANAGED",
        title="鹭江花园 3 栋 501 外立面翻新",
        category="FACADE_RENOVATION",
    )
    by_owner = register(
        api,
        "owner2",
        estate=garden,
        place_type="RESIDENTIAL_MANAGED",
        title="鹭江花园 1 栋 202 外墙修缮",
        category="FACADE_RENOVATION",
    )
    assert _ledger(api, "property_lj") == {ours["reg_no"], by_owner["reg_no"]}
    assert api.get("property_lj", f"/api/v1/projects/{outside['id']}").status_code == 404
    detail = api.project("property_lj", ours["id"])
    assert detail["data"]["property_companies"][0]["estate"] == "鹭江花园"
    # Personal data the company typed in for the owner is masked for it afterwards (P-32).
    assert detail["data"]["owner_id_no"] != registration_data()["owner_id_no"]
    # Registered on the owner's behalf: the street's inspectors visit and act for the owner.
    assert api.task_of("inspector_lj", ours["id"], "first_visit")

    missing = api.post("property_lj", "/api/v1/registrations", {"data": for_staff(registration_data())})
    assert missing.status_code == 422 and "estate" in missing.get_json()["errors"]
    elsewhere = api.post(
        "property_lj",
        "/api/v1/registrations",
        {"data": for_staff(registration_data(estate=garden, community="350203001002"))},
    )  # 鹭江花园 is in 大同社区, not 镇海社区
    assert elsewhere.status_code == 422 and "estate" in elsewhere.get_json()["errors"]
    huli = api.post(
        "property_lj",
        "/api/v1/registrations",
        {"data": for_staff(registration_data(street="350206001", community="350206001001", estate=garden))},
    )
    assert huli.status_code == 422 and "street" in huli.get_json()["errors"]


def test_district_can_withdraw_registration_on_behalf(app, api, clock):
    assert (
        put_rules(api, "admin_sm", SIMING, {"property_may_register": False}, reason="物业不再代为登记").status_code
        == 200
    )
    resp = api.post(
        "property_lj",
        "/api/v1/registrations",
        {"data": for_staff(registration_data(estate=_estate_code(app, "鹭江花园")))},
    )
    assert resp.status_code == 403


def test_property_lead_lands_in_the_streets_inbox_and_counts_in_the_yearly_report(app, api, clock):
    register(api, "property_lj", estate=_estate_code(app, "鹭江花园"))
    lead = api.post(
        "property_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "community": "350203001002",
                "address": "镇海苑 2 栋楼顶",
                "description": "楼顶有人动火切割，未见登记",
                "urgency": "NORMAL",
            }
        },
    )
    assert lead.status_code == 201, lead.get_json()
    lead = lead.get_json()
    assert lead["reg_no"] in _ledger(api, "property_lj")  # the company follows what it reported
    clock.advance(hours=3)
    api.complete(
        "inspector_lj",
        _lead_check_task(api, lead["id"])["id"],
        {"outcome": "unregistered", "finding": "未登记，已责令停工并现场登记"},
    )
    assert api.task_of("inspector_lj", lead["id"], "onsite_registration")

    [row] = _report(api, "property_lj")
    assert (row["company"], row["estates"], row["assisted"], row["registered"]) == ("厦门鹭江物业服务有限公司", 2, 1, 1)
    assert (row["leads"], row["confirmed"], row["lead_hours"]) == (1, 1, 3.0)
    # Defaults: 80 + (2 per assisted + 3 per confirmed lead - 5 for the stop order the unregistered
    # site received, P-15b) / 2 estates = 80 → 4 stars (≥ 80).
    assert (row["score"], row["stars"]) == (80.0, 4)
    assert [r["company"] for r in _report(api, "admin_sm")] == ["厦门鹭江物业服务有限公司"]
    assert _report(api, "admin_hl") == []  # 湖里 has no company of 思明
    assert api.get("inspector_lj", "/api/v1/property-companies/report").status_code == 403


def test_star_rating_reads_the_weights_in_the_districts_rules(app, api, clock):
    register(api, "property_lj", estate=_estate_code(app, "鹭江花园"))
    assert _report(api, "admin_sm")[0]["stars"] == 4
    assert (
        put_rules(
            api, "admin_sm", SIMING, {"star_weight_assisted": 20, "star_min_5": 88}, reason="提高协助登记权重"
        ).status_code
        == 200
    )
    [row] = _report(api, "admin_sm")
    assert (row["score"], row["stars"]) == (90.0, 5)  # 80 + 20 × 1 / 2 estates


def test_rate_is_per_estate_and_clamped():
    from webapp.domain.rules import PARAMS
    from webapp.services.participation.property_companies import rate

    values = {p.name: p.default for p in PARAMS}
    figures = dict(estates=4, assisted=0, confirmed=0, rectifications=200, stop_works=10)
    assert rate(values, figures) == (0.0, 1)  # 80 − (2 × 200 + 5 × 10) / 4 < 0 → 0, one star
    assert rate(values, dict(figures, rectifications=40)) == (47.5, 1)  # 80 − 130 / 4
    assert rate(values, dict(figures, rectifications=4, stop_works=0)) == (78.0, 3)
    assert rate(values, dict(figures, estates=0, rectifications=0, stop_works=0, assisted=5)) == (90.0, 5)


def test_entrusted_supervisor_logs_are_advisory_and_can_raise_a_lead(app, api, clock):
    project = register(api)
    supervisor = _user_id(app, "entrusted_sm")
    path = f"/api/v1/projects/{project['id']}"
    # Only the owner (or the estate's company) names the supervisor.
    assert (
        api.client.put(
            f"{path}/entrusted-supervisor",
            json={"supervisor_id": supervisor},
            headers={"Authorization": f"Bearer {api.token('owner2')}"},
        ).status_code
        == 404
    )
    assert (
        api.post("entrusted_sm", f"{path}/advisory-logs", {"visited_on": "2026-12-01", "findings": "x"}).status_code
        == 404
    )
    unknown = api.client.put(
        f"{path}/entrusted-supervisor",
        json={"supervisor_id": _user_id(app, "inspector_lj")},
        headers={"Authorization": f"Bearer {api.token('owner1')}"},
    )
    assert unknown.status_code == 422
    named = api.client.put(
        f"{path}/entrusted-supervisor",
        json={"supervisor_id": supervisor},
        headers={"Authorization": f"Bearer {api.token('owner1')}"},
    )
    assert named.status_code == 200 and named.get_json()["supervisor_id"] == supervisor
    assert _ledger(api, "entrusted_sm") == {project["reg_no"]}

    quiet = api.post(
        "entrusted_sm",
        f"{path}/advisory-logs",
        {"visited_on": "2026-12-01", "findings": "临边防护到位", "concern": "NONE"},
    )
    assert quiet.status_code == 201 and quiet.get_json()["lead_project_id"] is None
    refused = api.post(
        "entrusted_sm",
        f"{path}/advisory-logs",
        {"visited_on": "2026-12-01", "findings": "一切正常", "raise_lead": True},
    )
    assert refused.status_code == 422 and "raise_lead" in refused.get_json()["errors"]
    future = api.post("entrusted_sm", f"{path}/advisory-logs", {"visited_on": "2026-12-31", "findings": "x"})
    assert future.status_code == 422 and "visited_on" in future.get_json()["errors"]

    raised = api.post(
        "entrusted_sm",
        f"{path}/advisory-logs",
        {
            "visited_on": "2026-12-01",
            "findings": "脚手架连墙件缺失，外立面有坠落风险",
            "concern": "MAJOR",
            "raise_lead": True,
        },
    )
    assert raised.status_code == 201, raised.get_json()
    lead_id = raised.get_json()["lead_project_id"]
    task = _lead_check_task(api, lead_id)  # in the street's inspectors' inbox
    lead = api.project("inspector_lj", lead_id)
    assert lead["data"]["lead_source"] == "SUPERVISOR" and lead["data"]["urgency"] == "IMMINENT"
    assert project["reg_no"] in lead["data"]["lead"]["description"]
    assert task["due_at"] is not None  # the imminent-danger dispatch limit (P-10a) applies
    logs = api.get("owner1", f"{path}/advisory-logs").get_json()
    assert [log["concern"] for log in logs] == ["MAJOR", "NONE"]

    assert (
        put_rules(api, "admin_sm", SIMING, {"entrusted_may_raise_leads": False}, reason="监理记录仅存档").status_code
        == 200
    )
    off = api.post(
        "entrusted_sm",
        f"{path}/advisory-logs",
        {"visited_on": "2026-12-01", "findings": "再次发现缺失", "concern": "GENERAL", "raise_lead": True},
    )
    assert off.status_code == 422 and "raise_lead" in off.get_json()["errors"]


def test_property_and_supervision_pages(app, client, api, pages, clock):
    project = register(api, "property_lj", estate=_estate_code(app, "鹭江花园"))
    pages.login("property_lj")
    home = pages.get("/property").get_data(as_text=True)
    assert project["reg_no"] in home and "鹭江花园" in home and 'data-testid="stars"' in home
    page = pages.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert "思明建设监理刘工" in page  # the company may entrust the district's supervisors
    resp = pages.post(f"/projects/{project['id']}/entrust", {"supervisor_id": str(_user_id(app, "entrusted_sm"))})
    assert resp.status_code == 302

    pages.login("entrusted_sm")
    assert project["reg_no"] in pages.get("/supervision").get_data(as_text=True)
    resp = pages.post(
        f"/projects/{project['id']}/advisory",
        {"visited_on": "2026-12-01", "findings": "吊顶龙骨未固定", "concern": "GENERAL", "raise_lead": "on"},
    )
    assert resp.status_code == 302
    page = pages.get(f"/projects/{project['id']}").get_data(as_text=True)
    assert "吊顶龙骨未固定" in page and 'data-testid="advisory-form"' in page
    assert any(t["project_id"] != project["id"] for t in api.tasks("inspector_lj", "check_lead"))


def test_district_administrators_create_property_company_accounts(app, api, clock):
    from webapp.persistence.models import User, db
    from webapp.persistence.organisation import PropertyCompany
    from webapp.services.errors import ValidationFailed
    from webapp.services.organisation import directory

    project = register(api, estate=_estate_code(app, "镇海苑"), community="350203001002")
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin_sm"))
        company = db.session.scalar(
            select(PropertyCompany.id).where(PropertyCompany.name == "厦门鹭江物业服务有限公司")
        )
        base = {
            "username": "wy_zhang",
            "display_name": "物业张",
            "role": "property",
            "org_unit": SIMING,
            "password": "a-long-password-1",
        }
        try:
            directory.save_user(admin, SIMING, base)
            raise AssertionError("a property account without its company was accepted")
        except ValidationFailed as exc:
            assert "property_company" in exc.errors
        directory.save_user(admin, SIMING, dict(base, property_company=str(company)))
    resp = api.client.post("/api/v1/auth/token", json={"username": "wy_zhang", "password": "a-long-password-1"})
    api.tokens["wy_zhang"] = resp.get_json()["token"]
    assert _ledger(api, "wy_zhang") == {project["reg_no"]}
    # A colleague's lead is the company's lead: both accounts follow it.
    lead = api.post(
        "property_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "address": "镇海苑 5 栋",
                "description": "疑似拆改承重墙",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    assert _ledger(api, "wy_zhang") == {project["reg_no"], lead["reg_no"]}


def test_a_deactivated_company_reaches_nothing(app, api, clock):
    from webapp.persistence.models import db
    from webapp.persistence.organisation import PropertyCompany

    project = register(api, estate=_estate_code(app, "鹭江花园"))
    assert _ledger(api, "property_lj") == {project["reg_no"]}
    with app.app_context():
        company = db.session.scalar(select(PropertyCompany).where(PropertyCompany.name == "厦门鹭江物业服务有限公司"))
        company.active = False
        db.session.commit()
    assert _ledger(api, "property_lj") == set()
    assert api.get("property_lj", f"/api/v1/projects/{project['id']}").status_code == 404
    assert (
        api.post(
            "property_lj",
            "/api/v1/registrations",
            {"data": for_staff(registration_data(estate=_estate_code(app, "鹭江花园")))},
        ).status_code
        == 403
    )
    assert (
        api.post(
            "property_lj",
            "/api/v1/leads",
            {"data": {"street": "350203001", "address": "x", "description": "y", "urgency": "NORMAL"}},
        ).status_code
        == 403
    )


def test_a_project_keeps_counting_for_the_company_it_started_with(app, api, clock):
    from webapp.persistence.models import db
    from webapp.persistence.organisation import Estate, PropertyCompany

    register(api, "property_lj", estate=_estate_code(app, "鹭江花园"))
    with app.app_context():
        newcomer = PropertyCompany(district_code=SIMING, name="新接管物业", contact_name="赵", contact_phone="0592-1")
        db.session.add(newcomer)
        db.session.flush()
        db.session.scalar(select(Estate).where(Estate.name == "鹭江花园")).company_id = newcomer.id
        db.session.commit()
    rows = {r["company"]: r for r in _report(api, "admin_sm")}
    assert (rows["厦门鹭江物业服务有限公司"]["assisted"], rows["厦门鹭江物业服务有限公司"]["registered"]) == (1, 1)
    assert rows["新接管物业"]["registered"] == 0
    assert _ledger(api, "property_lj") == set()  # the estate is no longer theirs to watch


def test_on_site_registration_in_an_estate_reaches_its_company(app, api, clock):
    lead = api.post(
        "grid_lj",
        "/api/v1/leads",
        {
            "data": {
                "street": "350203001",
                "community": "350203001001",
                "address": "鹭江花园 8 栋",
                "description": "外墙搭架",
                "urgency": "NORMAL",
            }
        },
    ).get_json()
    api.complete(
        "inspector_lj", _lead_check_task(api, lead["id"])["id"], {"outcome": "unregistered", "finding": "未登记"}
    )
    task = api.task_of("inspector_lj", lead["id"], "onsite_registration")
    api.complete(
        "inspector_lj",
        task["id"],
        for_staff(
            registration_data(
                estate=_estate_code(app, "鹭江花园"), place_type="RESIDENTIAL_MANAGED", address="鹭江花园 8 栋"
            )
        ),
    )
    assert lead["reg_no"] in _ledger(api, "property_lj")


def test_an_advisory_log_is_kept_when_its_lead_cannot_be_raised(app, api, clock, monkeypatch):
    from webapp.services.errors import Conflict
    from webapp.services.lifecycle import instances

    project = register(api)
    path = f"/api/v1/projects/{project['id']}"
    api.client.put(
        f"{path}/entrusted-supervisor",
        json={"supervisor_id": _user_id(app, "entrusted_sm")},
        headers={"Authorization": f"Bearer {api.token('owner1')}"},
    )

    def busy(*args, **kwargs):
        raise Conflict("could not allocate a registration number; try again")

    monkeypatch.setattr(instances, "start_lead", busy)
    resp = api.post(
        "entrusted_sm",
        f"{path}/advisory-logs",
        {"visited_on": "2026-12-01", "findings": "配电箱无漏保", "concern": "GENERAL", "raise_lead": True},
    )
    assert resp.status_code == 409 and "日志已保存" in resp.get_json()["message"]
    logs = api.get("owner1", f"{path}/advisory-logs").get_json()
    assert [(log["findings"], log["lead_project_id"]) for log in logs] == [("配电箱无漏保", None)]


def test_star_thresholds_must_rise_and_report_years_are_bounded(app, api, client, pages, clock):
    resp = put_rules(api, "admin_sm", SIMING, {"star_min_3": 95, "star_min_4": 80}, reason="错误的阈值")
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) == {"star_min_4"}
    pages.login("property_lj")
    assert pages.get("/property?year=0").status_code == 400
    assert pages.get("/property?year=２０２６").status_code == 400
    pages.login("housing_sm")
    assert pages.get("/dashboard/property.xlsx?year=99999").status_code == 400
