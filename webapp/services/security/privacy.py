"""Masking of identity numbers and phone numbers (P-32) for roles that do not handle the case.

One function decides (`for_viewer`); the API's project detail, the task and project pages and
anything else that shows a project's data to a person go through it. Who sees them in full is
policy.sees_personal_data: the owner, and the inspectors and supervisor of the project's street.
"""

from __future__ import annotations

from ...persistence.models import Project, User
from . import policy

# Keys of personal numbers wherever they occur in a project's data (forms may add more fields
# of the same kinds: `*_phone`, `*_id_no`).
PHONE_SUFFIXES = ("phone", "mobile", "tel")
ID_SUFFIXES = ("id_no", "id_number", "id_card")


def mask_id(value) -> str:
    """3502**********1234: the region and the last four, as on Chinese receipts."""
    text = str(value)
    return text[:4] + "*" * (len(text) - 8) + text[-4:] if len(text) > 8 else "*" * len(text)


def mask_phone(value) -> str:
    """138****1111."""
    text = str(value)
    return text[:3] + "*" * (len(text) - 7) + text[-4:] if len(text) > 7 else "*" * len(text)


def _masker(key: str):
    key = key.lower()
    if key.endswith(ID_SUFFIXES):
        return mask_id
    if key.endswith(PHONE_SUFFIXES):
        return mask_phone
    return None


def masked(data):
    """A copy of data (dicts and lists, any depth) with every personal number masked."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            mask = _masker(key) if isinstance(key, str) else None
            out[key] = (
                mask(value)
                if mask and value not in (None, "") and not isinstance(value, (dict, list))
                else masked(value)
            )
        return out
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data


def for_viewer(user: User, project: Project, data):
    """The project's data as this user may see it: in full, or with personal numbers masked."""
    return data if policy.sees_personal_data(user, project) else masked(data)


def events_for_viewer(user: User, project: Project, rows: list[dict]) -> list[dict]:
    """History or timeline rows, their submitted data masked as for_viewer does."""
    if policy.sees_personal_data(user, project):
        return rows
    return [dict(row, data=masked(row.get("data"))) for row in rows]
