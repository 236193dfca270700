"""Who may see or do what is decided in one place, the policy package (webapp/services/security/
policy/): services, pages and API handlers ask its named predicates and never compare a user's role
or jurisdiction themselves. Read from the source (ast, nothing imported).

A comparison of a `.role` or `.scope`, a `scope_of(...)` compared with anything, or a `.role.in_(...)`
outside the package fails here; so does a role code of the catalogue (domain/roles.py) written out in
a comparison, as a call's argument or in a list of role codes anywhere in webapp/ outside the security
package (`roles("supervisor")`, `x in ("owner", "property")`, `STAFF = ("inspector", "supervisor")`):
the access table (policy.route_table) and the policy hold every such list. What remains is a fact
about data listed in ALLOWED with the reason it decides nothing about access. Templates ask the policy
(the Jinja global `policy`) what to offer and compare no role at all.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from webapp.domain.roles import ROLES

ROOT = Path(__file__).resolve().parents[2]
SCANNED = "webapp"
POLICY = "webapp/services/security/policy"
# Role codes may be written out in the security package and in the role catalogue only.
ROLE_CODES_LIVE_IN = ("webapp/services/security/", "webapp/domain/roles.py")
TEMPLATES = ROOT / "webapp" / "templates"
TEMPLATE_DECISION = re.compile(r"\.role\s*(==|!=|in\b|not\s+in\b)|\bscope\.kind\b|\bscope_of\(")

# (module, enclosing function, the expression) → why it is data, not a decision on access.
ALLOWED = {
    (
        "webapp/services/organisation/directory.py",
        "save_team",
        "User.role == 'inspector'",
    ): "a patrol team's members are inspectors of its street (organisation master data)",
    (
        "webapp/services/organisation/directory.py",
        "patrol_staff",
        "User.role == 'inspector'",
    ): "who patrols a street without a contracted team: its inspectors",
    (
        "webapp/services/notifications/recipients.py",
        "members",
        "User.role == role",
    ): "the people holding a role in a street or district: whom a task's notification goes to",
    (
        "webapp/services/notifications/recipients.py",
        "members",
        "definition.scope not in ('street', 'district')",
    ): "a role's group lives in a street or a district; other roles have no group to notify",
    (
        "webapp/services/notifications/recipients.py",
        "members",
        "definition.scope == 'street'",
    ): "the group of a street role is its street's, of a district role its district's",
    (
        "webapp/services/notifications/recipients.py",
        "overseers",
        "definition.scope not in ('street', 'district')",
    ): "late work of a street or district role is escalated; other roles' is the process's",
    (
        "webapp/services/notifications/recipients.py",
        "overseers",
        "definition.scope == 'street'",
    ): "street work escalates to the street's supervisor, the supervisor's to the district",
    (
        "webapp/services/ledger/queries.py",
        "task_row",
        "task.role == 'owner'",
    ): "an owner's step nobody has claimed yet is shown as waiting for the owner to claim it",
    (
        "webapp/services/lifecycle/ownership.py",
        "claim",
        "InboxTask.role == 'owner'",
    ): "the owner's steps of a claimed project become the new owner's",
    (
        "webapp/services/lifecycle/instances.py",
        "register_project",
        "user.role == 'property'",
    ): "the property company's account that assisted a registration is recorded on the project",
    (
        "webapp/services/lifecycle/instances.py",
        "start_lead",
        "reporter.role == 'property'",
    ): "a lead reported by a property company's account is recorded as its company's (for its rating)",
    (
        "webapp/services/lifecycle/instances.py",
        "_complete_once",
        "row.role == 'owner'",
    ): "the task is an owner's step: staff completing it record a paper declaration",
    (
        "webapp/services/participation/supervision.py",
        "supervisors_for",
        "User.role == 'entrusted'",
    ): "the entrusted supervisors of a district: the choices an owner names one from",
    (
        "webapp/services/people/standins.py",
        "street_colleagues",
        "User.role.in_(roles)",
    ): "the people holding these roles in a street (the roles are policy.STAND_IN_ROLES or the caller's)",
    (
        "webapp/web/organisation.py",
        "section",
        "u.role == 'inspector'",
    ): "the patrol team form offers the district's inspectors as members (checked by directory.save_team)",
    (
        'webapp/api/integration.py',
        '<module>',
        "Blueprint('integration')",
    ): "the blueprint's name (URL endpoints integration.*), not a role",
    (
        'webapp/web/designer.py',
        '<module>',
        "Blueprint('designer')",
    ): "the blueprint's name (URL endpoints designer.*), not a role",
    (
        'webapp/web/owner.py',
        '<module>',
        "Blueprint('owner')",
    ): "the blueprint's name (URL endpoints owner.*), not a role",
    (
        'webapp/domain/bundle_diff.py',
        '_aspects',
        "_local(ext) == 'property'",
    ): 'the XML element spiffworkflow:property of a diagram, not a role',
    (
        'webapp/domain/bundle_diff.py',
        '_aspects',
        "_local(ext) not in ('properties', 'property')",
    ): 'the XML elements spiffworkflow:properties/property, not roles',
    (
        'webapp/domain/rules.py',
        '<module>',
        "Option('inspector')",
    ): "a district rule's choice of which street role does a step (P-14, P-19a): the process routes the step to that lane",
    (
        'webapp/domain/rules.py',
        '<module>',
        "Option('supervisor')",
    ): "a district rule's choice of which street role does a step (P-14, P-19a): the process routes the step to that lane",
    (
        'webapp/domain/rules.py',
        '<module>',
        "Param('inspector')",
    ): 'the default of such a district rule (P-19a: the inspector writes projects off)',
    (
        'webapp/domain/rules.py',
        '<module>',
        "Param('supervisor')",
    ): 'the default of such a district rule (P-14: the supervisor approves stop-work)',
    (
        'webapp/services/lifecycle/instances.py',
        'register_project',
        "_new_project(channel='owner')",
    ): "a project's channel (registered by its owner, or a lead), not a role",
    (
        'webapp/services/lifecycle/instances.py',
        'register_project',
        "dict(channel='owner')",
    ): "a project's channel in its start data, not a role",
    (
        'webapp/services/oversight/dashboard.py',
        '_weekly',
        "counts.get('owner')",
    ): "registrations counted by channel ('owner' or 'lead'), not by role",
    (
        'webapp/services/oversight/dashboard.py',
        '_weekly',
        "figure(channel='owner')",
    ): "the figure's drill-down filters the ledger by channel, not by role",
    (
        'webapp/services/oversight/reports.py',
        '_row',
        "new('owner')",
    ): 'new projects counted by channel, not by role',
    (
        'webapp/services/notifications/recipients.py',
        'holders',
        "get('role') == 'owner'",
    ): "an owner's step is notified to the project's owner, not to a group",
    (
        'webapp/services/notifications/recipients.py',
        'overseers',
        "get('role') != 'supervisor'",
    ): "late street work is escalated to the street's supervisor, the supervisor's own to the district",
    (
        'webapp/services/notifications/recipients.py',
        'overseers',
        "members('supervisor')",
    ): "whom late street work is escalated to: the street's supervisors",
    (
        'webapp/services/notifications/recipients.py',
        'overseers',
        "members('district_admin')",
    ): "whom late district work is escalated to: the district's administrators",
    (
        'webapp/services/people/comments.py',
        '_announce',
        "comment.visibility != 'owner'",
    ): "a comment's visibility (meant for the owner or internal), not a role",
    (
        'webapp/services/people/comments.py',
        '_announce',
        "members('inspector')",
    ): "whom an owner's comment is announced to: the street's inspectors",
    (
        'webapp/services/organisation/demo.py',
        'load_demo',
        "role == 'property'",
    ): "the demo's property company accounts belong to the demo company",
    (
        'webapp/services/organisation/directory.py',
        'save_user',
        "role == 'property'",
    ): "a property company's account names its company (which roles may be given: policy.GRANTABLE_ROLES)",
    (
        'webapp/services/organisation/directory.py',
        'save_user',
        "_unit_in(kinds='grid')",
    ): 'the kinds of unit a user may belong to (a grid is a unit as well as a role)',
    (
        'webapp/services/organisation/sample_projects.py',
        'tell',
        "self._patrol('housing')",
    ): 'the key of a demo sample project (the one handed over to housing), not a role',
    (
        'webapp/services/organisation/sample_projects.py',
        'tell',
        "self._propose_stop('housing')",
    ): 'the key of a demo sample project, not a role',
    (
        'webapp/services/participation/public.py',
        'public_user',
        "OrgUnit.kind == 'city'",
    ): "an org unit's kind (the city unit the public account belongs to), not a role",
    (
        'webapp/services/participation/supervision.py',
        'entrust',
        "history_rows.add('entrusted')",
    ): 'the kind of the history row (a supervisor was entrusted), not a role',
}


def _role_or_scope(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in ("role", "scope"):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "scope_of") or (
            isinstance(func, ast.Attribute) and func.attr == "scope_of"
        )
    return False


def _decisions(tree: ast.AST):
    """(enclosing function, expression) of each role or scope comparison in a module."""

    def visit(node: ast.AST, function: str):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Compare) and any(map(_role_or_scope, [child.left, *child.comparators])):
                yield name, ast.unparse(child)
            elif (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in ("in_", "notin_")
                and _role_or_scope(child.func.value)
            ):
                yield name, ast.unparse(child)
            yield from visit(child, name)

    yield from visit(tree, "<module>")


def _codes(node: ast.AST) -> list[str]:
    """The role codes a constant, or a tuple / list / set of constants, writes out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ROLES:
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [code for element in node.elts for code in _codes(element)]
    if isinstance(node, ast.Starred):
        return _codes(node.value)
    return []


def _role_literals(tree: ast.AST):
    """(enclosing function, expression) of each role code written out in a comparison
    (`x == 'owner'`, `x in ('owner', …)`), as a call's argument (`roles('supervisor')`, shown as the
    callee and the code: `roles('supervisor')`, `f(roles='inspector')`), or as a list of nothing but
    role codes (`('inspector', 'supervisor')`)."""

    def visit(node: ast.AST, function: str, reported: frozenset[int]):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            inner = reported if isinstance(child, (ast.keyword, ast.Starred)) else frozenset()  # a call's own
            if isinstance(child, ast.Compare):
                sides = (child.left, *child.comparators)
                if any(map(_codes, sides)):
                    yield name, ast.unparse(child)
                    inner = frozenset(map(id, sides))
            elif isinstance(child, ast.Call):
                callee = ast.unparse(child.func)
                arguments = [(None, arg) for arg in child.args] + [(kw.arg, kw.value) for kw in child.keywords]
                for keyword, value in arguments:
                    for code in _codes(value):
                        yield name, f"{callee}({'' if keyword is None else keyword + '='}{code!r})"
                values = [value.value if isinstance(value, ast.Starred) else value for _, value in arguments]
                inner = frozenset(map(id, [value for _, value in arguments] + values))
            elif (
                isinstance(child, (ast.Tuple, ast.List, ast.Set))
                and id(child) not in reported
                and child.elts
                and len(_codes(child)) == len(child.elts)
            ):
                yield name, ast.unparse(child)
            yield from visit(child, name, inner)

    yield from visit(tree, "<module>", frozenset())


def found() -> set[tuple[str, str, str]]:
    out = set()
    for path in sorted((ROOT / SCANNED).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        if not relative.startswith(POLICY + "/"):
            out |= {(relative, function, text) for function, text in _decisions(tree)}
        if not relative.startswith(ROLE_CODES_LIVE_IN):
            out |= {(relative, function, text) for function, text in _role_literals(tree)}
    return out


def test_no_role_or_scope_decision_outside_the_policy_package():
    assert sorted(found() - set(ALLOWED)) == []


def test_every_allowed_data_use_still_exists():
    """An entry whose code is gone is removed, so the list stays the list of data uses."""
    assert sorted(set(ALLOWED) - found()) == []


def test_the_scan_finds_a_role_comparison():
    tree = ast.parse(
        "def f(user):\n    return user.role == 'owner' or policy.scope_of(user) in ('city',)\n"
        "def g():\n    return select(User).where(User.role.in_(['a']))\n"
    )
    assert sorted(_decisions(tree)) == [
        ("f", "policy.scope_of(user) in ('city',)"),
        ("f", "user.role == 'owner'"),
        ("g", "User.role.in_(['a'])"),
    ]


def test_the_scan_finds_role_codes_written_out():
    tree = ast.parse(
        "READERS = ('inspector', 'supervisor')\n"
        "ROUTES = {'a': roles('supervisor', *READERS), 'b': signed_in(check=X), 'c': roles(*('admin',))}\n"
        "def f(user):\n    return user_role in ('owner', 'grid') or pick(who=['city'])\n"
        "def g(kind):\n    return kind == 'lead' or ('site', 'owner')\n"
    )
    assert sorted(_role_literals(tree)) == [
        ("<module>", "('inspector', 'supervisor')"),
        ("<module>", "roles('admin')"),
        ("<module>", "roles('supervisor')"),
        ("f", "pick(who='city')"),
        ("f", "user_role in ('owner', 'grid')"),
    ]


def template_decisions(text: str) -> list[str]:
    return [m.group(0) for m in TEMPLATE_DECISION.finditer(text)]


def test_no_template_compares_roles():
    found = {
        path.relative_to(ROOT).as_posix(): template_decisions(path.read_text(encoding="utf-8"))
        for path in sorted(TEMPLATES.rglob("*.html"))
    }
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_the_template_scan_finds_a_role_comparison():
    assert template_decisions("{% if current_user.role != 'owner' %}{{ u.role|role }}{% endif %}") == [".role !="]
    assert template_decisions("{% if task.role in ('inspector',) %}") == [".role in"]
