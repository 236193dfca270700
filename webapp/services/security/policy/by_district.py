"""Predicates a district's rules decide (services.district_rules.rulebook).

Kept out of the package's core: the rulebook itself asks the core who may read and change rules,
so the core importing the rulebook would close an import cycle.
"""

from __future__ import annotations

from ....persistence.models import User
from ...district_rules import rulebook
from . import can_register, is_company_account


def registers_on_behalf(user: User, district_code: str | None = None) -> bool:
    """Whether the district (default: the account's) lets property companies register on owners'
    behalf (P-26a)."""
    code = district_code or user.org_unit.district_code
    return bool(rulebook.in_force(code).values["property_may_register"])


def may_register(user: User, district_code: str | None = None) -> bool:
    """Owners and inspectors register; a property company's account on owners' behalf where the
    district (default: the account's) lets it."""
    return can_register(user) and (not is_company_account(user) or registers_on_behalf(user, district_code))
