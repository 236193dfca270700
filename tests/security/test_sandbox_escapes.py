"""Each known escape from the script sandbox, wherever a process carries Python: a BPMN script, a
gateway condition, a timer expression, a DMN cell. What can be seen before running is refused at
deploy (a problem located on the element); what cannot (huge allocations, endless loops) is
stopped while running with a clear error, and the project is left as it was.

The sandbox itself is tested escape by escape in tests/unit/test_sandbox.py; these tests put the
same escapes where designers put code.
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import registration_data
from tests.helpers.bundles import problems_at, shipped
from tests.helpers.sandbox import placed_in_shipped, run_with, xml_escaped
from webapp.domain.sandbox import SandboxEnvironment, ScriptRefused
from webapp.domain.validation import validate_bundle

# escape → (as a statement, as an expression)
ESCAPES = {
    "import": ("import os", "__import__('os')"),
    "open": ("x = open('/etc/passwd').read()", "open('/etc/passwd').read()"),
    "exec": ("exec('import os')", "exec('import os')"),
    "eval": ("x = eval('1 + 1')", "eval('1 + 1')"),
    "dunder-walk": ("x = ().__class__.__base__.__subclasses__()", "().__class__.__base__.__subclasses__()"),
    "getattr-dunder": ("x = getattr((), '__class__')", "getattr((), '__class__')"),
    "format-attribute": ("x = '{0.__class__}'.format(1)", "'{0.__class__}'.format(1)"),
    "format-map": ("x = '{a.__class__}'.format_map({'a': 1})", "'{a.__class__}'.format_map({'a': 1})"),
    "f-string-dunder": ("x = f'{().__class__}'", "f'{().__class__}'"),
    "globals": ("x = globals()", "globals()"),
    "compile": ("x = compile('1', 's', 'eval')", "compile('1', 's', 'eval')"),
    "type": ("x = type(1)", "type(1)"),
    "class": ("class A: pass", None),
    "with": ("with x: pass", None),
    "try-finally": ("try:\n    x = 1\nfinally:\n    x = 2", None),
}


def test_the_shipped_bundle_is_clean():
    assert validate_bundle(shipped()) == []


PLACES = [
    (escape, where, ESCAPES[escape][0] if where == "script" else ESCAPES[escape][1])
    for escape in ESCAPES
    for where in ("script", "condition", "timer", "dmn")
    if where == "script" or ESCAPES[escape][1] is not None
]  # statements go in scripts only


@pytest.mark.parametrize("escape, where, code", PLACES, ids=[f"{e}-{w}" for e, w, _ in PLACES])
def test_escape_is_refused_at_deploy(escape, where, code):
    files, element = placed_in_shipped(where, code)
    assert problems_at(validate_bundle(files), element), f"{escape} in a {where} was not refused"


# -- at run time ---------------------------------------------------------------------------------
RUNAWAY = {
    "huge-string": ("x = 'x' * 10**9", "len('x' * 10**9)", "too large"),
    "huge-int": ("x = 10**10**10", "10**10**10 > 0", "too large"),
    "huge-list": ("x = list(range(10**12))", "len(list(range(10**12)))", "too large"),
    "endless-loop": ("while True:\n    pass", "[0 for a in range(10**5) for b in range(10**5)]", "longer than"),
}


@pytest.mark.parametrize("case", RUNAWAY)
def test_runaway_code_passes_deploy_checks_but_is_stopped_in_every_place(tmp_path, case):
    statement, expression, message = RUNAWAY[case]
    env = SandboxEnvironment(time_limit=0.3)
    for run in (lambda: env.execute(statement, {}), lambda: env.evaluate(expression, {})):
        started = time.monotonic()
        with pytest.raises(ScriptRefused, match=message):
            run()
        assert time.monotonic() - started < 3
    # Inside a running workflow: a gateway condition, a timer expression and a DMN output cell.
    for old, new in (
        ("risk_level == 'HIGH' and x &gt; 3", xml_escaped(expression)),
        (
            "<bpmn:timeDuration>wait_for</bpmn:timeDuration>",
            f"<bpmn:timeDuration>{xml_escaped(expression)}</bpmn:timeDuration>",
        ),
        (
            "<outputEntry id=\"r2_o2\"><text>'P10D'</text>",
            f"<outputEntry id=\"r2_o2\"><text>{xml_escaped(expression)}</text>",
        ),
    ):
        run_with(tmp_path, old, new, message)


@pytest.mark.parametrize(
    "where, code, message",
    [
        ("script", "n = 0\nwhile True:\n    n = n + 1", "longer than"),
        ("condition", "len('x' * 10**9) > 0", "too large"),
    ],
)
def test_runaway_code_in_a_deployed_process_fails_clearly_and_changes_nothing(app, api, where, code, message):
    """A designer's endless loop or huge allocation fails its trial run at deploy; deployed anyway
    (past validation), the registration it runs in is refused with a message naming the step and
    the reason (422, not 500), nothing is stored, the server goes on."""
    from webapp.persistence.models import Project, db
    from webapp.services.designer.versions import deploy

    files, element = placed_in_shipped(where, code)
    assert message in " ".join(problems_at(validate_bundle(files), element))
    with app.app_context():
        deploy(files, actor="designer")
        db.session.commit()
    resp = api.post("owner1", "/api/v1/registrations", {"data": registration_data()})
    assert resp.status_code == 422
    text = resp.get_json()["message"]
    assert message in text and (element in text or "gw_channel" in text), text
    with app.app_context():
        assert db.session.query(Project).count() == 0
    assert api.get("owner1", "/api/v1/projects").status_code == 200
