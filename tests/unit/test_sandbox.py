"""The restricted script environment: every escape below must be refused."""

import sys
import threading
import time

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from tests.helpers.sandbox import run_workflow
from webapp.domain.sandbox import (
    SandboxEnvironment,
    ScriptRefused,
    check_dmn_input_entry,
    check_expression,
    check_script,
)


@pytest.fixture
def env():
    return SandboxEnvironment()


def refused(env, script, data=None):
    """Run script; return the ScriptRefused message (fails if it ran)."""
    with pytest.raises(ScriptRefused) as info:
        env.execute(script, data if data is not None else {})
    return str(info.value)


# --------------------------------------------------------------------------
# Escapes


def test_import_statement(env):
    assert 'import' in refused(env, 'import os\nx = os.getcwd()')
    assert 'import' in refused(env, 'from os import system')


def test_dunder_import(env):
    refused(env, "os = __import__('os')")


def test_open(env):
    refused(env, "data = open('/etc/passwd').read()")


def test_exec_and_eval(env):
    refused(env, "exec('import os')")
    refused(env, "x = eval('1 + 1')")


def test_subclasses_walk(env):
    refused(env, 'x = ().__class__.__base__.__subclasses__()')


def test_getattr_dunder(env):
    refused(env, "x = getattr((), '__class__')")
    # name built at run time, so only the run-time guard can see it
    refused(env, "name = '_' + '_class__'\nx = getattr((), name)")


def test_str_format_attribute_walk(env):
    refused(env, "x = '{0.__class__}'.format(1)")
    refused(env, "f = 'for' + 'mat'\nx = getattr('{0.__class__}', f)(1)")
    refused(env, "x = '{a.__class__}'.format_map({'a': 1})")
    refused(env, "m = 'format' + '_map'\nx = getattr('{a.__class__}', m)({'a': 1})")


@pytest.mark.parametrize(
    'script',
    [
        "x = 'x' * 10**9",
        'x = [0] * 10**9',
        'x = 10**10**10',
        'x = list(range(10**12))',
        'x = range(10**20)',
        'x = 1 << 10**10',
        "x = '%1000000000d' % 1",
        "x = f'{1:1000000000}'",
        "x = 'a'.ljust(10**9)",
        "s = 'x' * 100000\nx = s.replace('x', s)",
        "s = 'x'\nwhile True:\n    s = s + s",
        'l = [1]\nwhile True:\n    l.extend(l)',
        # aliasing: small in memory, a billion characters once rendered
        "l = ['x' * 1000] * 1000\nx = str([l] * 1000)",
    ],
)
def test_huge_allocations_refused_before_allocating(env, script):
    started = time.monotonic()
    assert 'too large' in refused(env, script)
    assert time.monotonic() - started < 1


def test_aliased_data_does_not_reach_task_data(env):
    data = {'keep': 1}
    refused(env, 'l = [[0] * 1000] * 1000\nm = [l] * 1000\nn = [m] * 1000', data)
    assert data == {'keep': 1}


def test_infinite_loop_stopped():
    started = time.monotonic()
    with pytest.raises(ScriptRefused, match='longer than'):
        SandboxEnvironment().execute('while True: pass', {})
    assert time.monotonic() - started < 2


def test_infinite_loop_cannot_catch_the_stop(env):
    script = 'while True:\n    try:\n        while True: pass\n    except Exception:\n        pass'
    started = time.monotonic()
    refused(env, script)
    assert time.monotonic() - started < 2


def test_infinite_loop_in_worker_thread(env):
    outcome = []

    def work():
        try:
            env.execute('n = 0\nwhile True:\n    n = n + 1', {})
        except ScriptRefused as err:
            outcome.append(err)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert outcome and 'longer than' in str(outcome[0])


def test_constructs_that_would_outlive_the_stop(env):
    refused(env, 'try:\n    x = 1\nfinally:\n    x = 2')
    refused(env, 'def g():\n    return ValueError\ntry:\n    x = 1\nexcept g():\n    pass')
    refused(env, 'try:\n    x = 1\nexcept:\n    pass')
    refused(env, 'x = BaseException')


def test_lambda_recursion_bomb(env):
    assert 'nested deeper' in refused(env, 'f = lambda: f()\nf()')


def test_exponential_lambda_bomb(env):
    started = time.monotonic()
    refused(env, 'f = lambda n: 1 if n > 60 else f(n + 1) + f(n + 1)\nx = f(0)')
    assert time.monotonic() - started < 2


def test_introspection_builtins_unavailable(env):
    for script in (
        'x = type(1)',
        'x = vars()',
        'x = dir()',
        'x = globals()',
        "x = compile('1', 's', 'eval')",
        'class A: pass',
        'g = (i for i in [1])\nx = g.gi_frame',
        'x = Exception.mro()',
    ):
        refused(env, script)


def test_previous_tracer_restored(env):
    def tracer(frame, event, arg):
        return None

    sys.settrace(tracer)
    try:
        env.execute('x = 1', {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)


# --------------------------------------------------------------------------
# Normal use


def test_script_updates_task_data(env):
    data = {'items': [3, 4], 'x': 1}
    env.execute(
        'total = sum(items) + x\n'
        'label = f"{total:>4}|{len(items)}"\n'
        'double = lambda v: v * 2\n'
        'doubled = [double(i) for i in items]\n'
        'due = (datetime.date(2024, 1, 1) + datetime.timedelta(days=3)).isoformat()\n'
        'del x\n',
        data,
    )
    assert data['total'] == 8
    assert data['label'] == '   8|2'
    assert data['doubled'] == [6, 8]
    assert data['due'] == '2024-01-04'
    assert 'x' not in data
    # functions, modules and builtins are not left in the data
    assert 'double' not in data and '__builtins__' not in data and 'datetime' not in data


def test_plain_assignments_run_inline_and_chained_ones_in_a_sandbox_process(env, monkeypatch):
    from webapp.domain import sandbox_pool

    sent, real = [], sandbox_pool.run
    monkeypatch.setattr(
        sandbox_pool, 'run', lambda mode, source, *rest: sent.append(source) or real(mode, source, *rest)
    )
    data = {'planned_end': '2027-01-20', 'flags': ['A']}
    env.execute("late = planned_end > '2027-01-01'\ncount = len(flags or [])", data)
    assert sent == [] and data['late'] is True and data['count'] == 1
    chained = 'pair = [flags, flags]\nquad = [pair, pair]'
    env.execute(chained, data)
    assert sent == [chained] and data['quad'] == [[['A'], ['A']], [['A'], ['A']]]
    env.execute('for i in range(2):\n    last = i', data)
    assert len(sent) == 2 and data['last'] == 1


def test_condition(env):
    assert env.evaluate("risk_level == 'HIGH' and x > 3", {'risk_level': 'HIGH', 'x': 4}) is True
    assert env.evaluate("risk_level == 'HIGH' and x > 3", {'risk_level': 'LOW', 'x': 4}) is False


def test_timer_expressions(env):
    assert env.evaluate('"P3D"', {}) == 'P3D'
    assert env.evaluate('patrol_interval', {'patrol_interval': 'P7D'}) == 'P7D'


def test_extra_globals_callable_but_not_left_in_data():
    env = SandboxEnvironment({'rule': lambda name, default=None: {'limit': 100}.get(name, default)})
    data = {'amount': 50}
    env.execute("ok = amount <= rule('limit', 0)", data)
    assert data == {'amount': 50, 'ok': True}
    assert env.evaluate("rule('missing', 'OR')", data) == 'OR'


def test_check_script_and_expression():
    assert check_script('import os')
    assert 'import' in check_script('import os')[0]
    assert check_script('x = 1\ny = x + 1') == []
    assert check_expression("risk_level == 'HIGH'") == []
    problems = check_expression('x >')
    assert problems and 'Line 1' in problems[0]
    assert check_script('x = ().__class__')
    assert check_script("x = open('/etc/passwd')")


def test_check_dmn_input_entry_combines_like_spiffworkflow():
    assert check_dmn_input_entry('amount', '<= 100') == []
    assert check_dmn_input_entry('risk_level', "'HIGH'") == []
    assert check_dmn_input_entry('flags or []', "any(f in ? for f in ('GAS',))") == []
    assert check_dmn_input_entry('amount', '-') == []
    assert check_dmn_input_entry('amount', None) == []
    assert check_dmn_input_entry('amount', '<= ().__class__')
    assert check_dmn_input_entry('amount', '<=')


def test_external_context_and_private_keys(env):
    data = {'_internal': 'kept', 'x': 2}
    assert env.evaluate('x + dmninputexpr', data, {'dmninputexpr': 3}) == 5
    env.execute('y = x * limit', data, {'limit': 10})
    assert data == {'_internal': 'kept', 'x': 2, 'y': 20}


# --------------------------------------------------------------------------
# Through SpiffWorkflow: parse and run a BPMN + DMN pair


@pytest.mark.parametrize(
    'amount, flags, expected',
    [
        (50, [], ('LOW', 'file P10D')),
        (500, [], ('HIGH', 'inspect P5D')),
        (50, ['GAS'], ('HIGH', 'inspect P2D')),
    ],
)
def test_bpmn_and_dmn_run_in_sandbox(tmp_path, amount, flags, expected):
    script = f"amount = {amount}\nflags = {flags!r}\nx = len('abcd')\nwait_for = 'PT0S'"
    data = run_workflow(tmp_path, script)
    assert (data['risk_level'], data['outcome']) == expected


def test_bpmn_script_importing_os_fails(tmp_path):
    with pytest.raises((WorkflowTaskException, ScriptRefused)) as info:
        run_workflow(tmp_path, 'import os\namount = 1')
    assert 'import' in str(info.value)
