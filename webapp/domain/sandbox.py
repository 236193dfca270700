"""Restricted execution of the Python carried by process definitions.

Every BPMN script, gateway condition, timer expression and DMN cell runs
through :class:`SandboxEnvironment`, which SpiffWorkflow calls instead of its
default ``TaskDataEnvironment`` (that one calls ``eval``/``exec`` with the full
builtins, so ``import os`` works).

Layers, from cheapest to last resort:

1. Compile time (RestrictedPython + :class:`_SandboxPolicy`): no imports, no
   names or attributes starting with ``_``, no classes, no ``with`` or
   ``finally`` (see :class:`_Watchdog` for why), no ``str.format``.
   Operators that can multiply the size of their operands (``* ** << % +``)
   and f-string fields are rewritten into calls to guards.
2. Run time guards: attribute access goes through an allow-list for the
   built-in types, every operation whose result can be much larger than its
   inputs checks the size *before* allocating (``'x' * 10**9`` is refused
   without touching memory), ``str()``/``repr()``/formatting estimate the
   rendered length first (a list aliasing itself a million times is small in
   memory but not when printed).
3. A ``sys.settrace`` watchdog (thread-local, so it works in web-server worker
   threads where signals cannot be used) stops the code after ``time_limit``
   seconds, on deep recursion, or when the process grows by more than
   ``MAX_MEMORY_GROWTH`` while the code runs.
4. After a script, the task data must still be of reasonable rendered size,
   because SpiffWorkflow serialises it to JSON when the workflow is saved.

5. Limits the interpreter cannot dodge: scripts, and expressions that could
   run a long C-level operation, run in a separate sandbox process
   (:mod:`sandbox_pool`) under RLIMIT_AS, killed and replaced when it passes
   its time limit (a hash of a tuple sharing itself 2**29 times cannot be
   interrupted from inside). Expressions made only of comparisons, operators,
   displays and a few bounded calls on task data (``risk_level == 'HIGH'``,
   ``rule('rectify_general', 'P3D')``) cannot, and run inline
   (:func:`runs_inline`): the usual conditions and DMN cells pay no round trip,
   nor do scripts made only of assignments of such expressions
   (:func:`runs_inline_script`).
6. Whatever code leaves in task data must be storable as JSON (no dates,
   complex numbers, exceptions, non-text keys, NaN or Infinity): refused with
   the variable named (:func:`value_problem`).
"""

from __future__ import annotations

import ast
import datetime as _dt
import functools
import logging
import math
import operator
import os
import re
import sys
import time
import types

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
    safer_getattr_raise,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 1.0  # seconds per evaluate()/execute()
MAX_SIZE = 1_000_000  # longest string / list one operation may build, and longest str()/repr()
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_FORMAT_WIDTH = 10_000  # widths/precisions in '%10s' and f'{x:10}'
MAX_RANGE = 100_000  # range() is lazy, but list(range(n)) is not
MAX_CALL_DEPTH = 100  # nested calls of script functions
MAX_NESTING = 100  # depth of nested containers in task data
MAX_DATA_SIZE = 10_000_000  # rendered size of the whole task data after a script
MAX_MEMORY_GROWTH = 256 * 1024 * 1024  # process RSS growth while one piece of code runs
_MEMORY_CHECK_INTERVAL = 0.002  # seconds between two RSS samples


class ScriptRefused(Exception):
    """Code was refused before running, or stopped while running."""


class _Stop(BaseException):
    """Raised by the watchdog. A BaseException so that ``except Exception`` in
    a script cannot swallow it (BaseException itself is not reachable from
    scripts); converted to ScriptRefused at the boundary."""


def _refuse(message):
    raise ScriptRefused(message)


def _check_size(size, what):
    if size > MAX_SIZE:
        _refuse(f'{what} would be too large ({size:,} > {MAX_SIZE:,})')


# --------------------------------------------------------------------------
# Size estimation


_SHORT_SCALARS = (float, bool, type(None))  # reprs of a few characters


def _rendered_size(obj, limit):
    """Rough length of ``repr(obj)`` (or of its JSON form).

    A sub-object shared N times counts N times, as in rendering, but is
    measured once (memo by id), so ``[[big] * 1000] * 1000`` costs little to
    measure. Counting stops once ``limit`` is passed."""
    memo = {}
    open_containers = set()

    def measure(item, depth):
        if isinstance(item, (str, bytes, bytearray)):
            return len(item) + 2
        if isinstance(item, int):
            return item.bit_length() // 3 + 1
        if not isinstance(item, (dict, list, tuple, set, frozenset)):
            return 24  # floats, None, dates, ...: short reprs
        key = id(item)
        if key in memo:
            return memo[key]
        if key in open_containers:
            _refuse('data contains a reference to itself')
        if depth > MAX_NESTING:
            _refuse(f'data is nested more than {MAX_NESTING} levels deep')
        open_containers.add(key)
        total = 2 + 2 * len(item)
        for parts in (item, item.values()) if isinstance(item, dict) else (item,):
            for part in parts:
                kind = type(part)
                if kind is str:  # fast paths for the common leaves
                    total += len(part) + 2
                elif kind is int:
                    total += part.bit_length() // 3 + 1
                elif kind in _SHORT_SCALARS:
                    total += 5
                else:
                    total += measure(part, depth + 1)
                if total > limit:
                    break
        open_containers.discard(key)
        memo[key] = total
        return total

    return measure(obj, 0)


def _check_rendered(obj, what='text'):
    if isinstance(obj, (str, int, float, type(None))):
        return  # str(str) is the same object, int -> str is capped by Python itself
    _check_size(_rendered_size(obj, MAX_SIZE), what)


# --------------------------------------------------------------------------
# Operator guards. Each checks the size of the result before computing it.

_SEQUENCES = (str, bytes, bytearray, list, tuple)


def _check_add(a, b):
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_size(len(a) + len(b), 'concatenation')


def _check_mul(a, b):
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            _refuse('integer product would be too large')
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_repeat(a, b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_repeat(b, a)


def _check_repeat(sequence, times):
    _check_size(len(sequence) * times, 'repeated sequence')
    if times > 1 and isinstance(sequence, (list, tuple)):
        # ((t,) * 1000,) * 1000 is small in memory, but hashing or comparing it visits every
        # shared copy: count what it would take to render.
        _check_size(_rendered_size(sequence, MAX_SIZE // times + 1) * times, 'repeated sequence')


def _check_pow(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 1 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_INT_BITS:
            _refuse('power would be too large')


def _check_lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        if a.bit_length() + b > MAX_INT_BITS:
            _refuse('shifted integer would be too large')


# printf-style conversion: %[(key)][flags][width][.precision]type
_PRINTF = re.compile(r'%%|%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?')


def _check_mod(a, b):
    if not isinstance(a, (str, bytes)):
        return
    pattern = _PRINTF if isinstance(a, str) else re.compile(_PRINTF.pattern.encode())
    padding = 0
    for match in pattern.finditer(a):
        for number in match.groups():
            if number in ('*', b'*'):
                _refuse("'*' widths are not allowed in % formatting")
            if number is not None:
                padding += int(number)
    _check_size(len(a) + padding + _rendered_size(b, MAX_SIZE), 'formatted string')


def _check_format_spec(spec):
    if len(spec) > 100:
        _refuse('format specification is too long')
    for number in re.findall(r'\d+', spec):
        if int(number) > MAX_FORMAT_WIDTH:
            _refuse(f'format width {number} is too large')


def _guarded(check, op):
    def guard(a, b):
        check(a, b)
        return op(a, b)

    return guard


_BINOP_GUARDS = {
    ast.Add: ('_add_', _guarded(_check_add, operator.add)),
    ast.Mult: ('_mul_', _guarded(_check_mul, operator.mul)),
    ast.Pow: ('_pow_', _guarded(_check_pow, operator.pow)),
    ast.LShift: ('_lshift_', _guarded(_check_lshift, operator.lshift)),
    ast.Mod: ('_mod_', _guarded(_check_mod, operator.mod)),
}

# 'n op= v' is compiled by RestrictedPython into 'n = _inplacevar_(op, n, v)'.
# The in-place operators keep list semantics (l += [1] extends l itself).
_INPLACE = {
    '+=': _guarded(_check_add, operator.iadd),
    '-=': operator.isub,
    '*=': _guarded(_check_mul, operator.imul),
    '/=': operator.itruediv,
    '//=': operator.ifloordiv,
    '%=': _guarded(_check_mod, operator.imod),
    '**=': _guarded(_check_pow, operator.ipow),
    '<<=': _guarded(_check_lshift, operator.ilshift),
    '>>=': operator.irshift,
    '&=': operator.iand,
    '|=': operator.ior,
    '^=': operator.ixor,
}


def _inplacevar(op, target, value):
    if op not in _INPLACE:
        _refuse(f'operator {op} is not supported')
    return _INPLACE[op](target, value)


def _format_value(value, conversion, spec):
    """One f-string field: f'{value!conversion:spec}'."""
    _check_format_spec(spec)
    _check_rendered(value)
    if conversion == ord('s'):
        value = str(value)
    elif conversion == ord('r'):
        value = repr(value)
    elif conversion == ord('a'):
        value = ascii(value)
    return format(value, spec)


# --------------------------------------------------------------------------
# Attribute access: allow-list for built-in types, RestrictedPython's
# safer_getattr (no '_' names, no frame/code attributes) for everything else.

_ALLOWED_ATTRIBUTES = {
    str: frozenset(
        'capitalize casefold count endswith find index isalnum isalpha isascii '
        'isdecimal isdigit isidentifier islower isnumeric isprintable isspace '
        'istitle isupper lower lstrip partition removeprefix removesuffix rfind '
        'rindex rpartition rsplit rstrip split splitlines startswith strip '
        'swapcase title upper join replace ljust rjust center zfill'.split()
    ),
    list: frozenset('append clear copy count extend index insert pop remove reverse sort'.split()),
    tuple: frozenset('count index'.split()),
    dict: frozenset('clear copy get items keys pop popitem setdefault update values'.split()),
    set: frozenset(
        'add clear copy difference difference_update discard intersection '
        'intersection_update isdisjoint issubset issuperset pop remove '
        'symmetric_difference symmetric_difference_update union update'.split()
    ),
    frozenset: frozenset(
        'copy difference intersection isdisjoint issubset issuperset symmetric_difference union'.split()
    ),
    int: frozenset('as_integer_ratio bit_length conjugate denominator imag numerator real'.split()),
    float: frozenset('as_integer_ratio conjugate imag is_integer real'.split()),
    complex: frozenset('conjugate imag real'.split()),
    bytes: frozenset({'decode'}),
}


def _str_join(s, iterable):
    parts = list(iterable)
    size = len(s) * max(len(parts) - 1, 0) + sum(len(p) for p in parts if isinstance(p, str))
    _check_size(size, 'joined string')
    return s.join(parts)


def _str_replace(s, old, new, count=-1):
    if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        hits = s.count(old) if old else len(s) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _check_size(len(s) + hits * (len(new) - len(old)), 'string')
    return s.replace(old, new, count)


def _str_pad(method):
    def pad(s, width, *args):
        if isinstance(width, int):
            _check_size(width, 'padded string')
        return method(s, width, *args)

    return pad


def _list_extend(lst, iterable):
    if hasattr(iterable, '__len__'):
        _check_size(len(lst) + len(iterable), 'list')
    lst.extend(iterable)


_SIZE_CHECKED_METHODS = {
    (str, 'join'): _str_join,
    (str, 'replace'): _str_replace,
    (str, 'ljust'): _str_pad(str.ljust),
    (str, 'rjust'): _str_pad(str.rjust),
    (str, 'center'): _str_pad(str.center),
    (str, 'zfill'): _str_pad(str.zfill),
    (list, 'extend'): _list_extend,
}

# Classes whose attributes scripts may use (datetime.datetime.now(), ...).
# Other classes expose nothing: e.g. Exception.mro() would lead to BaseException.
_CLASSES_WITH_ATTRIBUTES = frozenset({_dt.datetime, _dt.date, _dt.timedelta, _dt.timezone})

_NO_DEFAULT = object()


def _guarded_getattr(obj, name, default=_NO_DEFAULT):
    if not isinstance(name, str):
        raise TypeError('attribute name must be a string')
    if name.startswith('_'):
        _refuse(f'attribute "{name}" is not accessible (names starting with "_" are private)')
    if isinstance(obj, type):
        if obj not in _CLASSES_WITH_ATTRIBUTES or name == 'mro':
            _refuse(f'attribute "{name}" of class {obj.__name__} is not accessible')
    else:
        for base in type(obj).__mro__:
            allowed = _ALLOWED_ATTRIBUTES.get(base)
            if allowed is None:
                continue
            if name in allowed:
                checked = _SIZE_CHECKED_METHODS.get((base, name))
                return functools.partial(checked, obj) if checked else getattr(obj, name)
            if hasattr(base, name):  # e.g. str.format, str.expandtabs, int.to_bytes
                _refuse(f'{base.__name__}.{name} is not available in scripts')
            break  # attribute defined by a subclass: normal rules below
    if default is _NO_DEFAULT:
        return safer_getattr_raise(obj, name)
    return safer_getattr(obj, name, default)


def _guarded_getitem(obj, key):
    return obj[key]


def _guarded_write(obj):
    """Target of ``obj[k] = v``, ``del obj[k]`` and ``obj.a = v``."""
    if isinstance(obj, (dict, list)):
        return obj
    _refuse(f'objects of type {type(obj).__name__} cannot be modified in scripts')


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


class _Printer:
    """print() target: output goes to the debug log, ``printed`` stays ''."""

    def __init__(self, _getattr_=None):
        pass

    def __call__(self):
        return ''

    def _call_print(self, *objects, **kwargs):
        _check_rendered(objects, 'printed text')
        logger.debug('script print: %s', ' '.join(str(o) for o in objects))


# --------------------------------------------------------------------------
# Builtins


class _StrMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, str)

    def __call__(cls, obj='', *args, **kwargs):
        if not args and not kwargs:
            _check_rendered(obj)
        return str(obj, *args, **kwargs)


class _GuardedStr(metaclass=_StrMeta):
    """Stands in for ``str``: ``str(x)`` and ``isinstance(x, str)`` work as
    usual, but ``str(x)`` first checks how long the text would be."""


_GuardedStr.__name__ = _GuardedStr.__qualname__ = 'str'


def _guarded_repr(obj):
    _check_rendered(obj)
    return repr(obj)


def _guarded_range(*args):
    result = range(*args)
    # Compare bounds: len() itself overflows for astronomically long ranges.
    first_excess = result.start + MAX_RANGE * result.step  # element number MAX_RANGE + 1
    too_long = first_excess < result.stop if result.step > 0 else first_excess > result.stop
    if too_long:
        _refuse(f'range() would have more than {MAX_RANGE:,} elements (too large)')
    return result


def _guarded_pow(base, exp, mod=None):
    if mod is None:
        _check_pow(base, exp)
        return base**exp
    if any(isinstance(x, int) and x.bit_length() > 4096 for x in (base, exp, mod)):
        _refuse('pow() arguments are too large')
    return pow(base, exp, mod)


def _guarded_round(number, ndigits=None):
    if isinstance(ndigits, int) and abs(ndigits) > 1000:
        _refuse('round() ndigits is too large')
    return round(number, ndigits)


def _guarded_sum(iterable, start=0):
    # sum() of lists or tuples builds them in C, quadratically and unchecked.
    if not isinstance(start, (int, float, complex, _dt.timedelta)):
        _refuse('sum() only adds numbers here')
    return sum(iterable, start)


_DATETIME = types.SimpleNamespace(datetime=_dt.datetime, date=_dt.date, timedelta=_dt.timedelta, timezone=_dt.timezone)

_REMOVED_BUILTINS = (
    '__build_class__',
    'setattr',
    'delattr',
    'hash',
    '_getattr_',
    # Unreachable so that scripts cannot catch the watchdog's _Stop.
    'BaseException',
    'SystemExit',
    'KeyboardInterrupt',
    'GeneratorExit',
)


def _base_builtins():
    # RestrictedPython's limited_builtins are not used: its list()/tuple()
    # refuse strings and its range() stops at 1,000 elements.
    names = dict(safe_builtins)
    for name in _REMOVED_BUILTINS:
        names.pop(name, None)
    names.update(
        # plain or size-checked builtins
        len=len,
        min=min,
        max=max,
        sum=_guarded_sum,
        abs=abs,
        round=_guarded_round,
        sorted=sorted,
        reversed=reversed,
        any=any,
        all=all,
        range=_guarded_range,
        enumerate=enumerate,
        zip=zip,
        map=map,
        filter=filter,
        str=_GuardedStr,
        repr=_guarded_repr,
        pow=_guarded_pow,
        getattr=_guarded_getattr,
        int=int,
        float=float,
        bool=bool,
        list=list,
        dict=dict,
        set=set,
        tuple=tuple,
        isinstance=isinstance,
        datetime=_DATETIME,
        # names the RestrictedPython compiler and _SandboxPolicy generate
        _getattr_=_guarded_getattr,
        _getitem_=_guarded_getitem,
        _getiter_=iter,
        _write_=_guarded_write,
        _inplacevar_=_inplacevar,
        _apply_=_apply,
        _iter_unpack_sequence_=guarded_iter_unpack_sequence,
        _unpack_sequence_=guarded_unpack_sequence,
        _print_=_Printer,
        _format_=_format_value,
        _loop_=None,
    )
    names.update({name: guard for name, guard in _BINOP_GUARDS.values()})
    return names


_BASE_BUILTINS = _base_builtins()


# --------------------------------------------------------------------------
# Compile-time policy

_FORBIDDEN_CALLS = frozenset(
    'open exec eval compile globals locals vars dir type input breakpoint help '
    'exit quit memoryview object super setattr delattr hash'.split()
)
_FORBIDDEN_NAMES = frozenset(('BaseException', 'SystemExit', 'KeyboardInterrupt', 'GeneratorExit'))


class _SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the rules this module relies on."""

    def visit_Import(self, node):
        self.error(node, 'import statements are not allowed')
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, 'class definitions are not allowed')
        return node

    def visit_With(self, node):
        # __exit__ would run while the watchdog's _Stop unwinds the stack.
        self.error(node, 'with statements are not allowed')
        return node

    def visit_Try(self, node):
        # The watchdog stops code by raising from the trace function, which
        # also switches tracing off: a finally block, or code evaluated to
        # match an except clause, would then run unwatched.
        if node.finalbody:
            self.error(node, 'try/finally is not allowed')
        for handler in node.handlers:
            kind = handler.type
            names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
            if kind is None:
                self.error(handler, 'a bare "except:" is not allowed; name the exception types')
            elif not all(isinstance(n, ast.Name) for n in names):
                self.error(handler, 'except clauses may only name exception types')
        return super().visit_Try(node)

    def visit_Name(self, node):
        if node.id in _FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not available in scripts')
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if node.attr in ('format', 'format_map'):
            self.error(node, 'str.format() is not available; use an f-string')
        return super().visit_Attribute(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _FORBIDDEN_CALLS:
                self.error(node, f'"{func.id}()" is not available in scripts')
            if (
                func.id == 'getattr'
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and str(node.args[1].value).startswith('_')
            ):
                self.error(node, 'getattr() of names starting with "_" is not allowed')
        self._one_starred(node, node.args)
        return super().visit_Call(node)

    # [*a, *a] would double a list per statement without any operator guard.
    def _one_starred(self, node, elements):
        if sum(isinstance(e, ast.Starred) for e in elements) > 1:
            self.error(node, 'only one *unpacking is allowed per list, tuple, set or call')

    def visit_List(self, node):
        self._one_starred(node, node.elts)
        return super().visit_List(node)

    def visit_Tuple(self, node):
        self._one_starred(node, node.elts)
        return super().visit_Tuple(node)

    def visit_Set(self, node):
        self._one_starred(node, node.elts)
        return super().visit_Set(node)

    def visit_While(self, node):
        # CPython 3.11 reports no line event for a jump to itself, which is
        # what 'while True: pass' compiles to. Loading a name first makes the
        # loop jump back to an earlier instruction, which the watchdog sees.
        node = super().visit_While(node)
        tick = ast.Expr(ast.Name('_loop_', ast.Load()))
        copy_locations(tick, node)
        ast.fix_missing_locations(tick)
        node.body.insert(0, tick)
        return node

    def visit_Subscript(self, node):
        if isinstance(node.ctx, ast.Store) and isinstance(node.slice, ast.Slice):
            # lst[:0] = lst doubles a list in place
            self.error(node, 'slice assignment is not allowed')
        return super().visit_Subscript(node)

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard[0], ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        ast.fix_missing_locations(call)
        return call

    def visit_FormattedValue(self, node):
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant('')
        call = ast.Call(
            func=ast.Name('_format_', ast.Load()), args=[node.value, ast.Constant(node.conversion), spec], keywords=[]
        )
        copy_locations(call, node)
        ast.fix_missing_locations(call)
        node.value, node.conversion, node.format_spec = call, -1, None
        return node


def _problems(source, mode):
    compiler = compile_restricted_eval if mode == 'eval' else compile_restricted_exec
    return list(compiler(source, policy=_SandboxPolicy).errors)


def check_expression(source: str) -> list[str]:
    """Problems in an expression (condition, timer, DMN cell), without running it."""
    return _problems(_strip_expression(source), 'eval')


def check_script(source: str) -> list[str]:
    """Problems in a script (script task, pre/post script), without running it."""
    return _problems(source, 'exec')


# DMNEngine.evaluate turns '?' outside quotes into this name.
_DMN_PLACEHOLDER = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


def check_dmn_input_entry(input_expression: str, entry: str | None) -> list[str]:
    """Problems in one DMN input cell, combined with its column's input
    expression the way SpiffWorkflow's DMNEngine combines them at run time:
    '-' or empty matches anything; with '?' the cell is evaluated on its own
    with '?' standing for the input value; otherwise '(input) == (cell)' if
    the cell parses on its own ("'HIGH'"), else 'input' + 'cell' ("<= 100")."""
    if entry is None or entry in ('', '-'):
        return []
    entry = _DMN_PLACEHOLDER.sub('dmninputexpr', entry)
    if 'dmninputexpr' in entry:
        return check_expression(input_expression) + check_expression(entry)
    try:
        ast.parse(entry)
    except SyntaxError:
        return check_expression(input_expression + entry)
    return check_expression(f'({input_expression}) == ({entry})')


def trial_problem(source: str, mode: str) -> str | None:
    """Run code that compiled on empty data, as deploying does: why it cannot run (a limit
    passed, a value that cannot be stored), or None. Code that needs the data it will have at
    run time (a NameError, a KeyError, ...) passes: only the run can tell. The district-rule
    helper answers its default."""
    env = SandboxEnvironment({'rule': lambda name, default=None: default})
    try:
        if mode == 'exec':
            env.execute(source, {})
        else:
            env.evaluate(source, {})
    except ScriptRefused as refused:
        return str(refused)
    except Exception:  # noqa: BLE001 - it needs data (see above)
        return None
    return None


def _strip_expression(source):
    return source.lstrip(' \t')  # as eval() does


class _Compiled:
    def __init__(self, code, calls_methods, inline=False):
        self.code = code
        self.inline = inline
        # Every code object (lambdas, comprehensions...) the watchdog must trace.
        self.code_objects = frozenset(_code_objects(code))
        # Only a method call (lst.append(...)) can change task data from an expression.
        self.calls_methods = calls_methods


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


@functools.lru_cache(maxsize=2048)
def _compile(source, mode):
    tree = ast.parse(source, '<string>', mode)  # a real SyntaxError, as with eval/exec
    calls_methods = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) for n in ast.walk(tree))
    compiler = compile_restricted_eval if mode == 'eval' else compile_restricted_exec
    result = compiler(tree, filename='<string>', policy=_SandboxPolicy)
    if result.errors:
        raise ScriptRefused('Code refused: ' + '; '.join(result.errors))
    inline = runs_inline(tree) if mode == 'eval' else runs_inline_script(tree)
    return _Compiled(result.code, calls_methods, inline=inline)


# Nodes of an expression whose work is bounded by the size of its operands: no loops
# (comprehensions), no functions (lambdas), no assignment (walrus). With operands that are
# task data (bounded by MAX_DATA_SIZE) or size-guarded results, nothing in it can run long.
_INLINE_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.BinOp,
    ast.IfExp,
    ast.Subscript,
    ast.Slice,
    ast.Attribute,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Call,
    ast.keyword,
    ast.boolop,
    ast.cmpop,
    ast.unaryop,
    ast.operator,
    ast.expr_context,
)
# Builtins an inline expression may call: each one's work is bounded by its arguments' size.
_INLINE_CALLS = frozenset('len str int float bool abs round min max isinstance'.split())


def runs_inline(tree) -> bool:
    """Whether an expression may run in the caller's process (see the module docstring, 5)."""
    for node in ast.walk(tree):
        if not isinstance(node, _INLINE_NODES):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                # A name that is no builtin is a helper (rule) or data, which holds no functions.
                if func.id in _BASE_BUILTINS and func.id not in _INLINE_CALLS:
                    return False
            elif not isinstance(func, ast.Attribute):  # a method of a built-in type
                return False
    return True


def runs_inline_script(tree) -> bool:
    """Whether a script may run in the caller's process: nothing but assignments, each of an
    expression that may (``flags = risk_flags or []``, ``due = time_after(planned_end, rule('x',
    'P7D'))``) and that reads no name an earlier line of the script assigned, so each line is
    bounded as that expression alone is (chained lines could share structure: ``b = (a, a)``,
    ``c = (b, b)`` … would make one hash exponential). A task completion that runs such a script
    pays no round trip to a sandbox process; under load each round trip waits for the scheduler."""
    assigned: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, ast.Assign) or not all(isinstance(t, ast.Name) for t in statement.targets):
            return False
        value = ast.Expression(body=statement.value)
        if not runs_inline(value) or any(isinstance(n, ast.Name) and n.id in assigned for n in ast.walk(value)):
            return False
        assigned.update(target.id for target in statement.targets if isinstance(target, ast.Name))
    return True


def script_line(exc) -> int:
    """The line of the script an exception was raised on (0 if unknown)."""
    line = getattr(exc, 'lineno', None) if isinstance(exc, SyntaxError) else None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == '<string>':
            line = tb.tb_lineno
        tb = tb.tb_next
    return line or getattr(exc, 'script_line', 0) or 0


# --------------------------------------------------------------------------
# What task data may hold: what JSON can carry, as the state is stored as JSON.

_STORABLE_SCALARS = (str, int, bool, type(None))


def value_problem(value, depth=0) -> str | None:
    """Why ``value`` cannot be stored in task data, or None."""
    kind = type(value)
    if kind is str:
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return 'text with an invalid character (a lone surrogate)'
        return None
    if kind in _STORABLE_SCALARS:
        return None
    if kind is float:
        return None if math.isfinite(value) else f'{value!r}, which JSON cannot hold'
    if depth > MAX_NESTING:
        return f'data nested more than {MAX_NESTING} levels deep'
    if kind in (list, tuple, set, frozenset):
        for item in value:
            problem = value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return f'a dictionary key {key!r} that is not text'
            problem = value_problem(key) or value_problem(item, depth + 1)
            if problem:
                return problem
        return None
    hint = ' (keep dates as text: .isoformat())' if isinstance(value, (_dt.date, _dt.timedelta)) else ''
    return f'a value of type {kind.__name__}{hint}'


def _refuse_unstorable(context, before, what):
    """After a script: a variable holding what cannot be stored is refused, naming it; the
    task data goes back to what it was."""
    for name, value in context.items():
        problem = value_problem(value)
        if problem:
            context.clear()
            context.update(before)
            _refuse(f'{what} refused: variable "{name}" holds {problem}, which cannot be stored')


# --------------------------------------------------------------------------
# Watchdog

try:
    _PAGE_SIZE = os.sysconf('SC_PAGE_SIZE')
except (AttributeError, ValueError, OSError):
    _PAGE_SIZE = 4096


def _rss_bytes():
    # os.open/os.read rather than open(): a buffered file object costs twice as much, and this
    # runs once per evaluated expression.
    try:
        statm = os.open('/proc/self/statm', os.O_RDONLY)
    except OSError:
        return None  # not Linux: no memory backstop
    try:
        return int(os.read(statm, 256).split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return None
    finally:
        os.close(statm)


class _Watchdog:
    """Budget for one run, enforced with sys.settrace.

    settrace is per thread, so it works in any worker thread (signals would
    only work in the main thread). Only frames of the code being run are
    traced; platform helpers it calls run at full speed.

    Raising from a trace function makes CPython switch tracing off, so the
    exception (_Stop) must not be catchable by the script: it is a
    BaseException, BaseException is unreachable from scripts, and the policy
    forbids finally/with/computed except clauses that would run afterwards.
    """

    def __init__(self, code_objects, time_limit):
        self.code_objects = code_objects
        self.time_limit = time_limit
        self.deadline = time.monotonic() + time_limit
        self.depth = 0
        frame, stack_depth = sys._getframe(), 0
        while frame is not None:
            frame, stack_depth = frame.f_back, stack_depth + 1
        # Stay well below Python's own limit: a RecursionError raised inside
        # the trace function would switch tracing off and be catchable.
        self.max_depth = max(10, min(MAX_CALL_DEPTH, sys.getrecursionlimit() - stack_depth - 100))
        # Read at the code's first event, before any of it ran: one read of /proc for the
        # short expressions that make up most runs, instead of one here and one there.
        self.rss_start = None
        self.next_memory_check = 0.0

    def on_call(self, frame, event, arg):
        if frame.f_code not in self.code_objects:
            return None
        self.depth += 1
        if self.depth > self.max_depth:
            raise _Stop(f'script stopped: calls nested deeper than {self.max_depth} (runaway recursion?)')
        self._check()
        return self.on_event

    def on_event(self, frame, event, arg):
        if event == 'return':
            self.depth -= 1
        else:
            self._check()
        return self.on_event

    def _check(self):
        now = time.monotonic()
        if now > self.deadline:
            raise _Stop(f'script stopped: it ran longer than the limit of {self.time_limit:g} s')
        if now >= self.next_memory_check:
            self._check_memory(now)

    def _check_memory(self, now):
        rss = _rss_bytes()
        if rss is None:
            self.next_memory_check = math.inf  # not Linux: no memory backstop
            return
        self.next_memory_check = now + _MEMORY_CHECK_INTERVAL
        if self.rss_start is None:
            self.rss_start = rss
        elif rss - self.rss_start > MAX_MEMORY_GROWTH:
            raise _Stop('script stopped: it used too much memory')


# --------------------------------------------------------------------------
# The environment


def _is_code_or_module(value):
    """Values a script may leave behind that are not task data."""
    return (
        callable(value) or isinstance(value, (types.ModuleType, types.SimpleNamespace)) or hasattr(value, '__next__')
    )  # generators/iterators hold frames of script code


def _public(names):
    # Copy, then drop the few private names: faster than filtering every key of the task data.
    public = dict(names)
    for key in [k for k in public if k[:1] == '_']:
        del public[key]
    return public


def _data_problem(value):
    """Why ``value`` cannot be stored as task data, or None."""
    try:
        if _rendered_size(value, MAX_DATA_SIZE) > MAX_DATA_SIZE:
            return f'task data would exceed {MAX_DATA_SIZE:,} characters'
    except ScriptRefused as refused:  # nested too deeply, or refers to itself
        return str(refused)
    return None


def _drop_oversized_data(context, before):
    """Task data is serialised to JSON when the workflow is saved, so its
    rendered size must stay reasonable (a list aliasing a big list a million
    times is small in memory, not in JSON). If it is not, undo new and
    rebound variables (``before``), drop values that are still a problem
    (they were grown in place), and return the problem."""
    problem = _data_problem(context)
    if problem is None:
        return None
    if before is not None:
        context.clear()
        context.update(before)
    for key in list(context):
        if _data_problem(context[key]) is not None:
            del context[key]
    return problem


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Drop-in replacement for SpiffWorkflow's TaskDataEnvironment.

    ``environment_globals`` are trusted helpers (e.g. ``rule(name, default)``)
    callable from scripts and expressions; they live with the builtins, so
    they never end up in task data.
    """

    def __init__(self, environment_globals=None, time_limit=DEFAULT_TIME_LIMIT, pooled=True):
        super().__init__(environment_globals)
        self.time_limit = time_limit
        # False inside a sandbox process itself (sandbox_worker), where everything runs here.
        self.pooled = pooled
        self.builtins = dict(_BASE_BUILTINS)
        self.builtins.update(self.globals)

    def evaluate(self, expression, context, external_context=None):
        compiled = _compile(_strip_expression(expression), 'eval')
        if self.pooled and not compiled.inline:
            return self._in_process('eval', expression, context, external_context)
        # Names starting with '_' cannot be used by scripts; leaving them out
        # also keeps task data from shadowing the guards.
        namespace = _public(external_context or {})
        namespace.update(_public(context))
        namespace['__builtins__'] = self.builtins
        problem = None
        try:
            result = self._run(compiled, namespace)
        finally:
            if compiled.calls_methods:  # lst.append(...) may have grown task data in place
                problem = _drop_oversized_data(context, None)
        if problem:
            _refuse(f'expression refused: {problem}')
        if result is not True and result is not False:  # conditions: nothing to check
            _check_size(_rendered_size(result, MAX_SIZE), 'expression result')
            problem = value_problem(result)
            if problem:
                _refuse(f'expression refused: its result holds {problem}, which cannot be stored')
        return result

    def execute(self, script, context, external_context=None):
        external_context = _public(external_context or {})
        self.check_for_overwrite(context, external_context)
        compiled = _compile(script, 'exec')
        if self.pooled and not compiled.inline:
            return self._in_process('exec', script, context, external_context)
        before = dict(context)
        hidden = {k: context.pop(k) for k in list(context) if k.startswith('_')}
        context.update(external_context)
        context['__builtins__'] = self.builtins
        try:
            self._run(compiled, context)
        finally:
            for key in list(context):
                if (
                    key.startswith('_')
                    or key in external_context
                    or key in self.globals
                    or _is_code_or_module(context[key])
                ):
                    del context[key]
            context.update(hidden)
            # Also when the script failed: the task data is saved with the error.
            problem = _drop_oversized_data(context, before)
        if problem:
            _refuse(f'script refused: {problem}')
        _refuse_unstorable(context, before, 'script')
        return True

    def _in_process(self, mode, source, context, external_context):
        """Run in a sandbox process (sandbox_pool); its task data comes back into ``context``."""
        from . import sandbox_pool

        try:
            answer = sandbox_pool.run(
                mode, source, context, dict(external_context or {}), self.globals, self.time_limit
            )
        except sandbox_pool.SandboxStopped as stopped:
            raise ScriptRefused(str(stopped)) from None
        if answer[-1] is not None:
            context.clear()
            context.update(answer[-1])
        if answer[0] == 'done':
            return answer[1] if mode == 'eval' else True
        _, kind, message, line, _ = answer
        error = _ERRORS[kind](message) if kind in _ERRORS else ScriptRefused(f'{kind}: {message}')
        error.script_line = line
        raise error

    def call_service(self, context, **kwargs):
        raise ScriptRefused('service calls are not available in this platform')

    def check_for_overwrite(self, context, external_context):
        """Same rule as TaskDataEnvironment: task data must not hide a helper."""
        clashes = (set(self.globals) | set(external_context)) & set(context)
        if clashes:
            raise ValueError(
                'You have task data that overwrites a predefined function(s). Please change '
                f'the following variable or field name(s) to something else: {clashes}'
            )

    def _run(self, compiled, namespace):
        watchdog = _Watchdog(compiled.code_objects, self.time_limit)
        previous = sys.gettrace()
        sys.settrace(watchdog.on_call)
        try:
            return eval(compiled.code, namespace)  # noqa: S307 - restricted code object
        except _Stop as stop:
            # Keep the traceback: SpiffWorkflow reads the script line number from it.
            raise ScriptRefused(str(stop)).with_traceback(stop.__traceback__) from None
        finally:
            sys.settrace(previous)


# Errors of code run in a sandbox process, raised here as the same built-in type (the message
# and SpiffWorkflow's handling stay as they were in-process); other types become ScriptRefused.
_ERRORS = {
    error.__name__: error
    for error in (
        ScriptRefused,
        NameError,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        AttributeError,
        ZeroDivisionError,
        ArithmeticError,
        OverflowError,
        LookupError,
        AssertionError,
        RecursionError,
        SyntaxError,
        UnicodeError,
    )
}


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose call_service reports our error (SpiffWorkflow
    3.2.0's own call_service references an undefined name on failure)."""

    def call_service(self, task, **kwargs):
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err

    def get_error_line_number_and_content(self, script, err):
        line = getattr(err, 'script_line', 0)  # raised in a sandbox process: no traceback here
        if not line:
            return super().get_error_line_number_and_content(script, err)
        lines = script.splitlines()
        return line, lines[line - 1] if 0 < line <= len(lines) else ''


def make_script_engine(extra_globals=None, time_limit=DEFAULT_TIME_LIMIT) -> PythonScriptEngine:
    """Script engine for BpmnWorkflow(..., script_engine=make_script_engine(...))."""
    return SandboxScriptEngine(environment=SandboxEnvironment(extra_globals, time_limit))
