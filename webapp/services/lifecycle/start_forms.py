"""Forms that start a project (registration, lead) as an API client needs them: the definition
with the caller's run-time choices (streets, communities, estates) filled in, so a client that
has no page can register or report a lead."""

from __future__ import annotations

import copy

from sqlalchemy import select

from ...persistence.models import OrgUnit, User, db
from ...persistence.organisation import Estate
from ..designer.task_forms import definition
from ..designer.versions import latest_version
from ..errors import Forbidden, NotFound
from ..participation.property_companies import ESTATE_PREFIX
from ..security import policy
from . import instances

# Forms whose choices depend on who asks, and who may ask for them.
STARTING_FORMS = {"registration": policy.can_register, "lead": policy.can_report_lead}


def definition_for(user: User, key: str) -> dict:
    """The form `key` of the newest process version. A starting form carries, on every component
    with `valuesKey`, `values` ([{value, label, street}]) the caller may choose."""
    schema = definition(key, latest_version())
    if schema is None:
        raise NotFound("no such form")
    if key not in STARTING_FORMS:
        return schema  # a task's form: its choices come with the task (GET /tasks/{id})
    if not STARTING_FORMS[key](user):
        raise Forbidden("this role cannot use this form")
    options = instances.registration_options(user)
    labels = _labels(options)
    filled = copy.deepcopy(schema)
    for component in filled.get("components", []):
        values_key = component.get("valuesKey")
        if isinstance(values_key, str):
            component["values"] = [
                {"value": code, "label": labels.get(code, (code, None))[0], "street": labels.get(code, (code, None))[1]}
                for code in options.get(values_key, [])
            ]
    return filled


def _labels(options: dict[str, list[str]]) -> dict[str, tuple[str, str | None]]:
    """code → (name, street code of a community or estate)."""
    codes = [c for values in options.values() for c in values]
    labels = {
        code: (name, street if kind != "street" else None)
        for code, name, street, kind in db.session.execute(
            select(OrgUnit.code, OrgUnit.name, OrgUnit.street_code, OrgUnit.kind).where(OrgUnit.code.in_(codes))
        )
    }
    estate_ids = [int(c[len(ESTATE_PREFIX) :]) for c in codes if c.startswith(ESTATE_PREFIX) and c[1:].isdigit()]
    if estate_ids:
        for estate in db.session.scalars(select(Estate).where(Estate.id.in_(estate_ids))):
            labels[f"{ESTATE_PREFIX}{estate.id}"] = (estate.name, estate.street_code)
    return labels
