"""Small things: time left rounds up, no 。。 in notices, header tap targets on a phone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest


@pytest.mark.parametrize(
    "left, text",
    [
        (timedelta(hours=47, minutes=50), "due in 2 d"),
        (timedelta(hours=24, minutes=1), "due in 2 d"),
        (timedelta(hours=22, minutes=10), "due in 23 h"),
        (timedelta(minutes=5), "due in 1 h"),
        (timedelta(days=-1, hours=-5), "overdue 1 d"),
        (timedelta(hours=-3, minutes=-20), "overdue 3 h"),
    ],
)
def test_time_left_rounds_up_and_lateness_down(app, left, text):
    from webapp.web.filters import due_in

    now = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert due_in(now + left, now) == text


def test_a_notice_never_ends_in_a_double_full_stop(app):
    with app.test_request_context():
        template = app.jinja_env.from_string("施工中{{ text|sentence }}。")
        assert template.render(text="临边无防护。") == "施工中临边无防护。"
        assert template.render(text="临边无防护") == "施工中临边无防护。"
