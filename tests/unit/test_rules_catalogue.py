"""The district rule catalogue: validation, differences, display, working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from webapp.domain import rules, workdays


def test_defaults_cover_every_parameter_and_are_valid(catalogue):
    defaults = catalogue.defaults()
    assert set(defaults) == {p.name for p in rules.PARAMS}
    assert len(defaults["enabled_categories"]) == 15  # every category of the registration form
    clean, errors = catalogue.validate(defaults)
    assert errors == {}
    assert clean == defaults


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("PT30S", "PT30S"),
        (" p3d ", "P3D"),
        ("P1DT2H", "P1DT2H"),
        ("PT1M", "PT1M"),
        ("P2W", "P2W"),
        ("3wd", "3WD"),
    ],
)
def test_durations_accept_iso_8601_and_working_days(catalogue, raw, expected):
    clean, errors = catalogue.validate({"rectify_general": raw})
    assert errors == {}
    assert clean["rectify_general"] == expected


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("3 days", "ISO 8601"),
        ("P", "ISO 8601"),
        ("PT", "ISO 8601"),
        ("P1DT", "ISO 8601"),
        (3, "ISO 8601"),
        ("PT0S", "大于零"),
        ("0WD", "大于零"),
        ("P500D", "过长"),
        ("251WD", "过长"),
    ],
)
def test_bad_durations_are_refused_with_a_reason(catalogue, raw, fragment):
    _, errors = catalogue.validate({"rectify_general": raw})
    assert fragment in errors["rectify_general"]


def test_zero_lead_time_is_allowed_where_the_parameter_says_so(catalogue):
    clean, errors = catalogue.validate({"registration_lead_small_works": "P0D"})
    assert errors == {} and clean["registration_lead_small_works"] == "P0D"


def test_every_bad_value_is_named_in_english_too(catalogue):
    _, errors = catalogue.validate(
        {
            "threshold_investment_wan": -1,
            "threshold_area_m2": "many",
            "threshold_combination": "XOR",
            "enabled_categories": [],
            "risk_high_flags": ["NOPE"],
            "rectify_max_extensions": 1.5,
            "auto_stop_overdue": "maybe",
            "enforcement_routing": {"OVERDUE": "MARS"},
            "calendar_holidays": ["2026-13-01"],
            "no_such_rule": 1,
        },
        lang="en",
    )
    assert errors == {
        "threshold_investment_wan": "Must not be less than 0",
        "threshold_area_m2": "Must be a number",
        "threshold_combination": "Not one of the allowed values",
        "enabled_categories": "Choose at least 1",
        "risk_high_flags": "Not one of the allowed values",
        "rectify_max_extensions": "Must be a whole number",
        "auto_stop_overdue": "Must be true or false",
        "enforcement_routing": "Not one of the allowed values",
        "calendar_holidays": "Must be a date in YYYY-MM-DD format",
        "no_such_rule": "Unknown field",
    }


def test_html_form_text_is_coerced(catalogue):
    clean, errors = catalogue.validate(
        {
            "threshold_investment_wan": "80.5",
            "rectify_max_extensions": "2",
            "writeoff_auto": "on",
            "risk_medium_flags": "FACADE, HOT_WORK",
            "calendar_holidays": "2027-01-01\n2026-12-31\n2027-01-01",
        }
    )
    assert errors == {}
    assert clean["threshold_investment_wan"] == 80.5 and clean["rectify_max_extensions"] == 2
    assert clean["writeoff_auto"] is True
    assert clean["risk_medium_flags"] == ["FACADE", "HOT_WORK"]
    assert clean["calendar_holidays"] == ["2026-12-31", "2027-01-01"]


def test_partial_values_merge_over_the_base(catalogue):
    base = dict(catalogue.defaults(), rectify_major="PT12H")
    clean, errors = catalogue.validate({"enforcement_routing": {"OVERDUE": "STREET_TEAM"}}, base=base)
    assert errors == {}
    assert clean["rectify_major"] == "PT12H"
    assert clean["enforcement_routing"]["OVERDUE"] == "STREET_TEAM"
    assert clean["enforcement_routing"]["FIRE_SAFETY"] == "FIRE"


def test_contradicting_pairs_are_refused(catalogue):
    _, errors = catalogue.validate(
        {
            "risk_medium_flags": ["FACADE", "DEMOLITION"],
            "calendar_holidays": ["2027-02-06"],
            "calendar_extra_workdays": ["2027-02-06"],
        }
    )
    assert "拆除作业" in errors["risk_medium_flags"] and "高风险因素" in errors["risk_medium_flags"]
    assert "2027-02-06" in errors["calendar_extra_workdays"]


def test_diff_lists_only_changed_parameters_with_both_values(catalogue):
    before = catalogue.defaults()
    after = dict(before, rectify_general="PT30S", writeoff_auto=True)
    changes = catalogue.diff(before, after)
    assert [(c.name, c.ref, c.before, c.after) for c in changes] == [
        ("rectify_general", "P-11b", "P3D", "PT30S"),
        ("writeoff_auto", "P-19b", False, True),
    ]
    assert catalogue.diff(before, before) == []


def test_display_uses_labels(catalogue):
    assert catalogue.display("rectify_general", "P1DT2H") == "1天2小时"
    assert catalogue.display("rectify_general", "PT30S", "en") == "30 seconds"
    assert catalogue.display("first_visit_high", "2WD") == "2个工作日"
    assert catalogue.display("threshold_combination", "AND").startswith("且")
    assert catalogue.display("risk_medium_flags", ["FACADE"]) == "建筑外立面作业"
    assert catalogue.display("writeoff_auto", False) == "否"
    assert "违法加建 → 区综合执法局" in catalogue.display(
        "enforcement_routing", catalogue.defaults()["enforcement_routing"]
    )


def test_complete_fills_parameters_added_after_a_version_was_saved(catalogue):
    stored = {"rectify_general": "PT30S", "retired_parameter": 1}
    values = catalogue.complete(stored)
    assert values["rectify_general"] == "PT30S"
    assert values["rectify_major"] == "P1D"
    assert "retired_parameter" not in values


# -- working days ---------------------------------------------------------------------------------
CST = timezone(timedelta(hours=8))


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_days():
    friday = datetime(2027, 1, 29, 10, 0, tzinfo=CST)
    assert workdays.add_working_days(friday, 1) == datetime(2027, 2, 1, 10, 0, tzinfo=CST)
    assert workdays.add_working_days(friday, 1, holidays=[date(2027, 2, 1)]) == datetime(2027, 2, 2, 10, 0, tzinfo=CST)
    assert workdays.add_working_days(friday, 1, workdays=[date(2027, 1, 30)]) == datetime(
        2027, 1, 30, 10, 0, tzinfo=CST
    )
    assert workdays.add_working_days(friday, 0) == friday


def test_working_days_count_in_xiamen_time():
    # 23:30 UTC on a Friday is already Saturday 07:30 in Xiamen: one working day is Monday 07:30.
    late_friday_utc = datetime(2027, 1, 29, 23, 30, tzinfo=timezone.utc)
    assert workdays.add_working_days(late_friday_utc, 1) == datetime(2027, 2, 1, 7, 30, tzinfo=CST)


def test_resolve_turns_working_days_into_an_iso_duration_and_leaves_iso_alone():
    friday = datetime(2027, 1, 29, 10, 0, tzinfo=CST)
    assert workdays.resolve("1WD", friday) == "P3D"
    assert workdays.resolve("2WD", friday, holidays=[date(2027, 2, 1)]) == "P5D"
    assert workdays.resolve("PT30S", friday) == "PT30S"
    assert workdays.resolve(["A"], friday) == ["A"]


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(days=3), "P3D"),
        (timedelta(seconds=30), "PT30S"),
        (timedelta(days=1, hours=2, minutes=5), "P1DT2H5M"),
        (timedelta(0), "PT0S"),
    ],
)
def test_iso_duration(delta, text):
    assert workdays.iso_duration(delta) == text
