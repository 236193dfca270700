"""Who may see or do what is decided in one place, the policy package (webapp/services/security/
policy/): services, pages and API handlers ask its named predicates and never compare a user's role
or jurisdiction themselves. Read from the source (ast, nothing imported).

A comparison of a `.role` or `.scope`, a `scope_of(...)` compared with anything, or a `.role.in_(...)`
outside the package fails here, unless it is a fact about data listed in ALLOWED with the reason it
decides nothing about access. Templates ask the policy (the Jinja global `policy`) what to offer and
compare no role at all.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("webapp/services", "webapp/web", "webapp/api")
POLICY = "webapp/services/security/policy"
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


def found() -> set[tuple[str, str, str]]:
    out = set()
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(POLICY + "/"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            out |= {(relative, function, text) for function, text in _decisions(tree)}
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
