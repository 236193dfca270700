"""Fuzzing, bounded for CI: schemathesis against /api/v1/openapi.json (every operation, as a user
who may call it) and hypothesis on every shipped form's validator. Neither may find a 5xx or an
exception other than the validator's own refusal."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from .world import build_world

# Who calls each part of the API (a user the access table lets through, so the fuzzing reaches
# the code behind the checks).
CALLERS = (("/api/v1/process-versions", "designer"), ("/api/v1/projects/{project_id}/migrate", "designer"),
           ("/api/v1/districts", "admin_sm"), ("/api/v1/rules", "admin_sm"), ("/api/v1/ops", "ops"),
           ("/api/v1/audit", "auditor"), ("/api/v1/registrations", "owner1"), ("/api/v1/leads", "grid_lj"))
# Revoking the token would end the fuzzing user's session: tested in test_accounts.py.
SKIPPED = {("DELETE", "/api/v1/auth/token")}
EXAMPLES = 8


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory)


def caller(path: str) -> str:
    return next((user for prefix, user in CALLERS if path.startswith(prefix)), "inspector_lj")


def test_api_operations_answer_no_5xx(world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        headers = {"Authorization": f"Bearer {world.token(caller(operation.path))}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # TESTING propagates a view's exception instead of a 500
                    failures.append(f"{case.method} {case.formatted_path} {mode.value}: {exc!r}"[:500])
                    return
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {mode.value}: {response.status_code} "
                                    f"{response.text[:300]}")

            run()
    assert failures == [], "\n".join(failures)
