"""The diagram heatmap: projects waiting per step and median times, per district, in jurisdiction."""

from __future__ import annotations

import pytest

from tests.helpers import scenario


def _user(name):
    from webapp.persistence.models import User, db

    return db.session.query(User).filter_by(username=name).one()


def test_waiting_counts_and_time_spent_per_step(app, api, clock):
    scenario.build(app, api, clock)
    from webapp.persistence.models import InboxTask, Project, db
    from webapp.services.oversight import heatmap

    with app.app_context():
        heat = heatmap.build(_user("admin_sm"))
        assert heat["district"] == "350203" and 'id="first_visit"' in heat["xml"]
        expected = {}
        for (element,) in (
            db.session.query(InboxTask.element_id).join(Project).filter(Project.district_code == "350203")
        ):
            expected[element] = expected.get(element, 0) + 1
        assert {k: v["waiting"] for k, v in heat["elements"].items() if v["waiting"]} == expected
        # first visits done right after registration; patrols done 14 days after the timer was set
        assert heat["elements"]["first_visit"]["done"] == 4
        assert heat["elements"]["patrol"]["spent_hours"] == pytest.approx(0.0, abs=0.01)  # done as soon as due
        assert heat["elements"]["writeoff"]["done"] == 2


def test_other_districts_are_out_of_reach(app, api, clock):
    from webapp.services.errors import NotFound
    from webapp.services.oversight import heatmap

    with app.app_context():
        assert heatmap.build(_user("city"), "350206")["district"] == "350206"
        with pytest.raises(NotFound):
            heatmap.build(_user("admin_hl"), "350203")


def test_heatmap_page(app, api, pages, clock):
    scenario.build(app, api, clock)
    pages.login("admin_sm")
    html = pages.get("/dashboard/diagram").get_data(as_text=True)
    assert 'data-testid="heatmap"' in html and '<tr data-element="first_visit">' in html
    pages.login("admin_hl")
    assert pages.get("/dashboard/diagram?district=350203").status_code == 404
