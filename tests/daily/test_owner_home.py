"""The owner's home: per project what is asked of the owner and until when, its notices and
documents grouped by project; statuses and step names in English."""

from __future__ import annotations

import re

from tests.conftest import registration_data


def _complete(app, api, username, pid, element, data):
    tasks = [
        t
        for t in api.get(username, "/api/v1/tasks").get_json()
        if t["project_id"] == pid and t["element_id"] == element
    ]
    assert len(tasks) == 1, tasks
    resp = api.post(username, f"/api/v1/tasks/{tasks[0]['id']}/complete", {"data": data})
    assert resp.status_code == 200, resp.get_json()


def _section(page: str, reg_no: str) -> str:
    """The part of the page that belongs to one project (its card)."""
    match = re.search(rf'<section [^>]*data-reg-no="{re.escape(reg_no)}".*?</section>', page, re.S)
    assert match, reg_no
    return match.group(0)


def test_owner_home_shows_each_project_with_its_asks_deadline_and_papers(app, api, pages, client, clock):
    first = api.post("owner1", "/api/v1/registrations", {"data": registration_data(title="甲店面装修")}).get_json()
    second = api.post("owner1", "/api/v1/registrations", {"data": registration_data(title="乙外墙清洗")}).get_json()
    api.post("owner2", "/api/v1/registrations", {"data": registration_data(title="别人家的工程")})
    # The inspector finds the first site unlike its registration: the owner must correct it in 3 days.
    _complete(
        app,
        api,
        "inspector_lj",
        first["id"],
        "first_visit",
        {"site_matches": "no", "site_status": "MISMATCH", "mismatch_note": "面积与登记不符"},
    )

    pages.login("owner1")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/owner/projects")
    page = client.get("/owner/projects").get_data(as_text=True)
    assert "别人家的工程" not in page
    one, two = _section(page, first["reg_no"]), _section(page, second["reg_no"])
    assert "更正登记信息" in one and "登记信息待更正" in one
    assert re.search(r"截止 \d{4}-\d\d-\d\d \d\d:\d\d · 剩 3 天", one)
    assert "本项目暂无需要您办理的事项" in two and "待首次核实" in two
    # Each card lists its own documents (receipt, risk notice, commitment), not the other's.
    links = [set(re.findall(r'href="(/notices/\d+)"', section)) for section in (one, two)]
    assert [len(found) for found in links] == [3, 3] and not links[0] & links[1]

    notices = client.get("/owner/notices").get_data(as_text=True)
    grouped = re.findall(r'data-testid="project-notices" data-reg-no="([^"]+)"', notices)
    assert sorted(grouped) == sorted([first["reg_no"], second["reg_no"]])
    for reg_no in grouped:
        assert len(re.findall(r'href="/notices/\d+"', _section(notices, reg_no))) == 3

    english = client.get("/owner/projects", headers={"Accept-Language": "en"}).get_data(as_text=True)
    one_en = _section(english, first["reg_no"])
    assert "Correct the registration" in one_en and "Registration to be corrected" in one_en
    assert "Awaiting first site visit" in _section(english, second["reg_no"])
    assert "待首次核实" not in english and "登记信息待更正" not in english


def test_system_steps_are_named_in_english_in_the_history(app, api, pages, client, clock):
    project = api.post("owner1", "/api/v1/registrations", {"data": registration_data()}).get_json()
    pages.login("inspector_lj")
    chinese = client.get(f"/projects/{project['id']}").get_data(as_text=True)
    english = client.get(f"/projects/{project['id']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "风险分级" in chinese and "待首次核实" in chinese
    assert "Grade the risk" in english and "Awaiting first site visit" in english
    assert "风险分级" not in english and "待首次核实" not in english


def test_a_project_waiting_for_its_planned_start_asks_no_completion_declaration(app, api, pages, client, clock):
    project = api.post(
        "owner1", "/api/v1/registrations", {"data": registration_data(planned_start="2026-12-08")}
    ).get_json()
    _complete(
        app, api, "inspector_lj", project["id"], "first_visit", {"site_matches": "yes", "site_status": "NOT_STARTED"}
    )
    pages.login("owner1")
    card = _section(client.get("/owner/projects").get_data(as_text=True), project["reg_no"])
    assert "待开工" in card and "开工/完工告知" in card and "申报完工" not in card
    assert re.search(r'data-testid="planned-period">计划工期 2026-12-08 ~ 2027-01-20<', card)
    # The step's form says until when nothing is asked, and offers the two answers.
    form = client.get(re.search(r'href="(/tasks/[^"]+)"', card).group(1)).get_data(as_text=True)
    assert "计划开工日期：2026-12-08" in form and "已提前开工" in form and "工程已完工（申报完工）" in form
    english = _section(
        client.get("/owner/projects", headers={"Accept-Language": "en"}).get_data(as_text=True), project["reg_no"]
    )
    assert "Awaiting the start of works" in english and "Report the start or completion" in english
    assert "待开工" not in english and "开工/完工告知" not in english
