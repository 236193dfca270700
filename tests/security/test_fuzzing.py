"""Fuzzing, bounded for CI: schemathesis against /api/v1/openapi.json (every operation, as a user
who may call it) and hypothesis on every shipped form's validator. Neither may find a 5xx or an
exception other than the validator's own refusal."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from werkzeug.datastructures import MultiDict

from tests.helpers.forms import ALL_KEYS, junk
from tests.helpers.world import build_world

# Who calls each part of the API (a user the access table lets through, so the fuzzing reaches
# the code behind the checks).
CALLERS = (
    ("/api/v1/process-versions", "designer"),
    ("/api/v1/projects/{project_id}/migrate", "designer"),
    ("/api/v1/districts", "admin_sm"),
    ("/api/v1/rules", "admin_sm"),
    ("/api/v1/ops", "ops"),
    ("/api/v1/audit", "auditor"),
    ("/api/v1/registrations", "owner1"),
    ("/api/v1/leads", "grid_lj"),
    ("/api/v1/external-tasks", "permit_system"),
    ("/api/v1/messages", "hotline"),
)
# Revoking the token would end the fuzzing user's session: tested in test_accounts.py.
SKIPPED = {("DELETE", "/api/v1/auth/token")}
EXAMPLES = 8


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


def caller(path: str) -> str:
    return next((user for prefix, user in CALLERS if path.startswith(prefix)), "inspector_lj")


def test_api_operations_answer_no_5xx(world):
    failures = _fuzz(world, caller, EXAMPLES)
    assert failures == [], "\n".join(failures)


# Every operation again as each kind of caller, allowed or not (refusals must be 4xx too), with
# fewer examples each to keep the suite quick.
ROLES = ("owner1", "inspector_lj", "admin_sm", "designer", None)
EXAMPLES_PER_ROLE = 3


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_api_operations_answer_no_5xx_for_every_role(world, role):
    failures = _fuzz(world, lambda path: role, EXAMPLES_PER_ROLE)
    assert failures == [], "\n".join(failures)


def _fuzz(world, user_for, examples: int) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        user = user_for(operation.path)
        headers = {"Authorization": f"Bearer {world.token(user)}"} if user else {}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # TESTING propagates a view's exception instead of a 500
                    failures.append(f"{user} {case.method} {case.formatted_path} {mode.value}: {exc!r}"[:500])
                    return
                if response.status_code >= 500:
                    failures.append(
                        f"{user} {case.method} {case.formatted_path} {mode.value}: "
                        f"{response.status_code} {response.text[:300]}"
                    )

            run()
    return failures


# -- forms through the API and the pages -----------------------------------------------------------

FORM_EXAMPLES = 40
junk_data = st.dictionaries(st.sampled_from(ALL_KEYS) | st.text(max_size=10), junk, max_size=12)
# What a browser can send: field names and lists of strings (repeated fields), any text.
form_text = st.text(max_size=40) | st.sampled_from(
    [
        "",
        "on",
        "1",
        "-1",
        "1e999",
        "nan",
        "2026-02-30",
        "OK",
        "NOK",
        "350203001",
        "350203001001",
        "P3D",
        "'P3D'",
        "x" * 5000,
    ]
)
form_fields = st.dictionaries(
    st.sampled_from(
        ALL_KEYS
        + [
            "step",
            "move",
            "action",
            "task_id",
            "effective_from",
            "reason",
            "patrol_interval_high",
            "threshold_investment_wan",
        ]
    )
    | st.text(max_size=10),
    st.lists(form_text, min_size=1, max_size=3),
    max_size=14,
)


def _no_5xx(resp, what):
    assert resp.status_code < 500, (what, resp.status_code, resp.get_data(as_text=True)[:500])


def test_form_data_through_the_api_never_5xx(world):
    task_id = world.own.params["task_id"]
    targets = (
        ("owner1", "/api/v1/registrations"),
        ("grid_lj", "/api/v1/leads"),
        ("inspector_lj", f"/api/v1/tasks/{task_id}/complete"),
    )

    @settings(max_examples=FORM_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(targets), data=junk_data | junk)
    def run(target, data):
        user, path = target
        _no_5xx(world.api(user, "POST", path, json={"data": data}), path)

    run()


def test_form_posts_to_pages_never_5xx(world):
    own = world.own.params
    targets = (
        ("owner1", "/owner/register"),
        ("inspector_lj", "/owner/register"),
        ("grid_lj", "/leads/new"),
        ("inspector_lj", f"/tasks/{own['task_id']}"),
        ("admin_sm", f"/rules/{own['code']}/edit"),
        (None, "/report"),
        (None, f"/s/{own['reg_no']}/report"),
    )

    @settings(max_examples=FORM_EXAMPLES * 2, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(targets), fields=form_fields)
    def run(target, fields):
        user, path = target
        data = MultiDict([(key, value) for key, values in fields.items() for value in values])
        if path.startswith("/tasks/"):
            data.setlist("task_id", [own["task_id"]])
        _no_5xx(world.page_client(user).post(path, data=data), path)

    run()
