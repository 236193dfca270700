"""Form definitions in forms/ and the validator in webapp.domain.forms."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.forms import ALL_KEYS, junk
from webapp.domain.forms import (
    FORMS_DIR,
    FormCatalog,
    FormDefinition,
    checklist_for,
    load_checklist,
    load_form,
)

EXPECTED_FORMS = {
    "registration",
    "temp_referral",
    "liaison_notice",
    "completion_check",
    "start_notice",
    "lead",
    "lead_check",
    "first_visit",
    "patrol",
    "rectification_evidence",
    "reinspection",
    "stop_work_proposal",
    "stop_work_approval",
    "enforcement_decision",
    "resume_check",
    "adhoc_inspection",
    "case_ack",
    "case_urge",
    "completion_declaration",
    "writeoff",
    "permit_referral",
    "permit_decision",
    "hotline_report",
}

OPTIONS = {"streets": ["XM-SM-01", "XM-SM-02"], "communities": ["XM-SM-01-001"]}


@pytest.fixture(scope="module")
def catalog():
    return FormCatalog(FORMS_DIR)


@pytest.fixture(scope="module")
def registration(catalog):
    return catalog.get("registration")


def good_registration(**changes):
    data = {
        "object_type": "SMALL_WORKS",
        "category": "FITOUT_NONRESIDENTIAL",
        "title": "思明区某商铺装修工程",
        "description": "商铺室内装饰装修，含吊顶、水电改造。",
        "street": "XM-SM-01",
        "community": "XM-SM-01-001",
        "address": "厦门市思明区中山路 100 号",
        "latitude": "24.4551",
        "longitude": 118.0823,
        "place_type": "SHOP_STREET",
        "owner_type": "UNIT",
        "owner_name": "厦门某某贸易有限公司",
        "owner_id_no": "91350200MA2XXXXX0K",
        "owner_phone": "0592-5551234",
        "contractor_type": "QUALIFIED_ENTERPRISE",
        "contractor_name": "厦门某某装饰工程有限公司",
        "site_manager_name": "张三",
        "site_manager_phone": "13800000000",
        "worker_count": "6",
        "investment_wan": "35.5",
        "floor_area_m2": 180,
        "planned_start": "2026-12-01",
        "planned_end": "2027-01-15",
        "risk_flags": ["HEIGHT_2M", "TEMP_POWER"],
        "is_temporary": "false",
        "has_safety_insurance": "on",
        "insurance_policy_no": "PICC-2026-0001",
        "commitment_signed": True,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


# ---------------------------------------------------------------- definitions


def test_every_shipped_form_loads_without_problems(catalog):
    assert set(catalog.keys()) == EXPECTED_FORMS
    assert catalog.problems() == []
    for path in sorted(FORMS_DIR.glob("*.json")):
        if path.name == "checklist.json":
            continue
        form = load_form(path)
        assert form.id == path.stem
        assert form.fields, path.name
        assert form.schema["type"] == "default" and form.schema["schemaVersion"] == 16


def test_problems_reports_definition_errors(tmp_path):
    bad = {
        "id": "broken",
        "type": "default",
        "schemaVersion": 16,
        "title": "坏表单",
        "title_en": "Broken",
        "components": [
            {"type": "textfield", "key": "a", "label": "甲", "label_en": "A"},
            {"type": "textfield", "key": "a", "label": "甲2", "label_en": "A2"},
            {"type": "textfield", "key": "b", "label_en": "B"},
            {"type": "slider", "key": "c", "label": "丙", "label_en": "C"},
            {"type": "textarea", "key": "d", "label": "丁", "label_en": "D", "requiredIf": {"nope": ["x"]}},
        ],
    }
    (tmp_path / "broken.json").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "garbage.json").write_text("{not json", encoding="utf-8")
    problems = "\n".join(FormCatalog(tmp_path).problems())
    assert "duplicate key 'a'" in problems
    assert "(b): missing label" in problems
    assert "unknown component type 'slider'" in problems
    assert "requiredIf names unknown field 'nope'" in problems
    assert "garbage.json" in problems


def test_unknown_form_key_raises_key_error(catalog):
    with pytest.raises(KeyError):
        catalog.get("no_such_form")


# ---------------------------------------------------------------- registration


def test_registration_accepts_good_sample_and_types_values(registration):
    clean, errors = registration.validate(good_registration(), options=OPTIONS)
    assert errors == {}
    assert clean["worker_count"] == 6 and isinstance(clean["worker_count"], int)
    assert clean["investment_wan"] == 35.5
    assert clean["floor_area_m2"] == 180
    assert clean["latitude"] == pytest.approx(24.4551)
    assert clean["planned_start"] == "2026-12-01"
    assert clean["is_temporary"] is False
    assert clean["has_safety_insurance"] is True
    assert clean["commitment_signed"] is True
    assert clean["risk_flags"] == ["HEIGHT_2M", "TEMP_POWER"]


def test_absent_optional_fields_are_omitted(registration):
    data = good_registration(community=..., latitude=..., longitude=..., risk_flags=..., is_temporary=...)
    clean, errors = registration.validate(data, options=OPTIONS)
    assert errors == {}
    for key in ("community", "latitude", "longitude", "risk_flags", "is_temporary"):
        assert key not in clean


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": ...}, "title"),
        ({"owner_name": "   "}, "owner_name"),
        ({"planned_end": None}, "planned_end"),
        ({"owner_phone": "12345"}, "owner_phone"),
        ({"site_manager_phone": "1380000000a"}, "site_manager_phone"),
        ({"owner_id_no": "35020319900101123"}, "owner_id_no"),
        ({"owner_id_no": "ABCDEFGHIJKLMNOPQR"}, "owner_id_no"),
        ({"investment_wan": ...}, "investment_wan"),
        ({"floor_area_m2": ""}, "floor_area_m2"),
        ({"contractor_name": ...}, "contractor_name"),
        ({"insurance_policy_no": ...}, "insurance_policy_no"),
        ({"commitment_signed": False}, "commitment_signed"),
        ({"commitment_signed": ...}, "commitment_signed"),
        ({"category": "SPACESHIP"}, "category"),
        ({"street": "XM-HL-99"}, "street"),
        ({"risk_flags": ["HEIGHT_2M", "FLYING"]}, "risk_flags"),
        ({"risk_flags": "HEIGHT_2M"}, "risk_flags"),
        ({"latitude": 91}, "latitude"),
        ({"worker_count": 0}, "worker_count"),
        ({"worker_count": "2.5"}, "worker_count"),
        ({"investment_wan": "-1"}, "investment_wan"),
        ({"investment_wan": "abc"}, "investment_wan"),
        ({"planned_start": "2026-02-30"}, "planned_start"),
        ({"planned_start": "01/12/2026"}, "planned_start"),
        ({"title": "长" * 101}, "title"),
        ({"is_temporary": "maybe"}, "is_temporary"),
    ],
)
def test_registration_names_the_failing_field(registration, changes, field):
    clean, errors = registration.validate(good_registration(**changes), options=OPTIONS)
    assert list(errors) == [field], errors
    assert field not in clean


def test_registration_messages_in_chinese(registration):
    _, errors = registration.validate(
        good_registration(
            title=..., owner_phone="123", latitude=-100, category="X", planned_start="x", worker_count="many"
        ),
        options=OPTIONS,
    )
    assert errors["title"] == "此项为必填项"
    assert errors["owner_phone"] == "格式不正确"
    assert errors["latitude"] == "不能小于 -90"
    assert errors["category"] == "不在可选范围内"
    assert errors["worker_count"] == "应为数字"
    assert "YYYY-MM-DD" in errors["planned_start"]


def test_registration_messages_in_english(registration):
    _, errors = registration.validate(
        good_registration(title=..., owner_phone="123", longitude=181, extra="x"), options=OPTIONS, lang="en"
    )
    assert errors["title"] == "This field is required"
    assert errors["owner_phone"] == "Invalid format"
    assert errors["longitude"] == "Must not be greater than 180"
    assert errors["extra"] == "Unknown field"


def test_required_if_investment_only_for_small_works(registration):
    sporadic = good_registration(
        object_type="SPORADIC_OP", category="AC_INSTALL", investment_wan=..., floor_area_m2=...
    )
    clean, errors = registration.validate(sporadic, options=OPTIONS)
    assert errors == {}
    assert "investment_wan" not in clean
    _, errors = registration.validate(good_registration(investment_wan=...), options=OPTIONS)
    assert errors == {"investment_wan": "此项为必填项"}


def test_required_if_contractor_name_not_needed_for_self(registration):
    data = good_registration(contractor_type="SELF", contractor_name=...)
    assert registration.validate(data, options=OPTIONS)[1] == {}


def test_required_if_checkbox_true(registration):
    data = good_registration(has_safety_insurance=False, insurance_policy_no=...)
    assert registration.validate(data, options=OPTIONS)[1] == {}
    data = good_registration(has_safety_insurance="1", insurance_policy_no=...)
    assert list(registration.validate(data, options=OPTIONS)[1]) == ["insurance_policy_no"]


def test_unknown_field_refused(registration):
    clean, errors = registration.validate(good_registration(is_admin=True), options=OPTIONS)
    assert errors == {"is_admin": "未知字段"}
    assert "is_admin" not in clean


def test_runtime_options_are_required_for_values_key(registration):
    _, errors = registration.validate(good_registration(), options=None)
    assert errors == {"street": "不在可选范围内", "community": "不在可选范围内"}


def test_non_dict_data_is_an_error_not_an_exception(registration):
    clean, errors = registration.validate(["not", "a", "dict"])
    assert clean == {} and errors


# ---------------------------------------------------------------- other forms


def test_filepicker_attachment_ids(catalog):
    lead = catalog.get("lead")
    base = {"street": "XM-SM-01", "address": "某路 1 号", "description": "疑似无防护外墙作业", "urgency": "IMMINENT"}
    clean, errors = lead.validate({**base, "photos": ["att_0001abcd", "att_0002abcd"]}, options=OPTIONS)
    assert errors == {} and clean["photos"] == ["att_0001abcd", "att_0002abcd"]
    assert "photos" in lead.validate({**base, "photos": ["../etc/passwd"]}, options=OPTIONS)[1]
    assert "photos" in lead.validate({**base, "photos": ["a" * 10] * 21}, options=OPTIONS)[1]
    assert "photos" in lead.validate({**base, "photos": "att_0001abcd"}, options=OPTIONS)[1]


def test_patrol_required_if_outcome(catalog):
    patrol = catalog.get("patrol")
    items = checklist_for([], "SPORADIC_OP")
    checklist = {i["code"]: "OK" for i in items}
    base = {"site_status": "IN_PROGRESS", "checklist": checklist}
    assert patrol.validate({**base, "outcome": "no_hazard"}, checklist_items=items)[1] == {}
    _, errors = patrol.validate({**base, "outcome": "stop_now"}, checklist_items=items)
    assert set(errors) == {"hazard_severity", "hazard_description"}
    _, errors = patrol.validate({**base, "outcome": "fixed_onsite"}, checklist_items=items)
    assert set(errors) == {"hazard_description"}


def test_patrol_checklist_must_cover_exactly_the_given_items(catalog):
    patrol = catalog.get("patrol")
    items = checklist_for(["HEIGHT_2M"], "SMALL_WORKS")
    codes = [i["code"] for i in items]
    answers = {c: "OK" for c in codes}
    answers[codes[0]] = "nok"
    base = {"site_status": "IN_PROGRESS", "outcome": "no_hazard"}

    clean, errors = patrol.validate({**base, "checklist": answers}, checklist_items=items)
    assert errors == {}
    assert clean["checklist"][codes[0]] == "NOK"
    assert list(clean["checklist"]) == codes

    missing = dict(answers)
    del missing[codes[1]], missing[codes[2]]
    _, errors = patrol.validate({**base, "checklist": missing}, checklist_items=items)
    assert errors[f"checklist.{codes[1]}"] == "此项为必填项"
    assert errors[f"checklist.{codes[2]}"] == "此项为必填项"
    assert "checklist" in errors

    _, errors = patrol.validate({**base, "checklist": {**answers, "G01": "OK"}}, checklist_items=items)
    assert "checklist.G01" in errors
    _, errors = patrol.validate({**base, "checklist": {**answers, codes[0]: "MAYBE"}}, checklist_items=items)
    assert errors[f"checklist.{codes[0]}"] == "不在可选范围内"
    _, errors = patrol.validate(base, checklist_items=items)
    assert len([k for k in errors if k.startswith("checklist.")]) == len(codes)
    _, errors = patrol.validate({**base, "checklist": ["OK"]}, checklist_items=items)
    assert "checklist" in errors


def test_completion_declaration_checkboxes_must_be_true(catalog):
    form = catalog.get("completion_declaration")
    data = {
        "actual_end": "2027-01-10",
        "scaffold_removed": "true",
        "temp_power_removed": True,
        "debris_cleared": "on",
        "no_structural_change": "1",
    }
    assert form.validate(data)[1] == {}
    _, errors = form.validate({**data, "debris_cleared": "false"})
    assert list(errors) == ["debris_cleared"]


def test_enforcement_fine_required_only_for_fines(catalog):
    form = catalog.get("enforcement_decision")
    data = {"case_no": "SM-2026-001", "decision_type": "WARNING", "decided_on": "2026-12-20", "next_step": "continue"}
    assert form.validate(data)[1] == {}
    assert list(form.validate({**data, "decision_type": "FINE"})[1]) == ["fine_amount_yuan"]
    clean, errors = form.validate({**data, "decision_type": "FINE", "fine_amount_yuan": "20000"})
    assert errors == {} and clean["fine_amount_yuan"] == 20000


# ---------------------------------------------------------------- checklist


def test_checklist_file():
    items = load_checklist()
    codes = [i["code"] for i in items]
    assert len(codes) == len(set(codes)) == 42  # domain.md §8 table (its heading says 40)
    assert {i["default_severity"] for i in items} == {"GENERAL", "MAJOR"}
    assert all(i["text"] and i["text_en"] for i in items)


def test_checklist_for_filters_by_flags_and_object_type():
    height = {i["code"] for i in checklist_for(["HEIGHT_2M"], "SMALL_WORKS")}
    assert "B01" in height and "G01" not in height
    assert {"A01", "A03", "A07", "E02"} <= height
    sporadic = {i["code"] for i in checklist_for([], "SPORADIC_OP")}
    assert "A03" not in sporadic and "B04" in sporadic and "I02" in sporadic
    confined = {i["code"] for i in checklist_for(["CONFINED_SPACE"], "SPORADIC_OP")}
    assert {"G01", "G02", "D05"} <= confined
    gas = {i["code"] for i in checklist_for(["NEAR_GAS"], "SMALL_WORKS")}
    assert "I01" in gas and "F02" not in gas


def test_checklist_for_returns_copies():
    first = checklist_for(["HEIGHT_2M"], "SMALL_WORKS")
    first[0]["applies_to"].append("MUTATED")
    assert "MUTATED" not in checklist_for(["HEIGHT_2M"], "SMALL_WORKS")[0]["applies_to"]


# ---------------------------------------------------------------- property test

_CATALOG = FormCatalog(FORMS_DIR)

junk_data = st.dictionaries(st.sampled_from(ALL_KEYS) | st.text(max_size=10), junk, max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    form_key=st.sampled_from(sorted(EXPECTED_FORMS)),
    data=junk_data,
    lang=st.sampled_from(["zh", "en", "xx"]),
    with_context=st.booleans(),
)
def test_validator_never_raises_on_junk(form_key, data, lang, with_context):
    form: FormDefinition = _CATALOG.get(form_key)
    kwargs = {"lang": lang}
    if with_context:
        kwargs["options"] = OPTIONS
        kwargs["checklist_items"] = checklist_for(["HEIGHT_2M"], "SMALL_WORKS")
    clean, errors = form.validate(data, **kwargs)
    assert isinstance(clean, dict) and isinstance(errors, dict)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
    assert not set(clean) & set(errors)
    assert set(clean) <= {f.key for f in form.fields}


@settings(max_examples=50, deadline=None)
@given(data=junk)
def test_validator_never_raises_on_non_dict_junk(data):
    clean, errors = _CATALOG.get("registration").validate(data, options=OPTIONS)
    assert isinstance(clean, dict) and isinstance(errors, dict)
