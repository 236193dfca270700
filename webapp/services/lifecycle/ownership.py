"""The owner side of a project registered for the owner (on site by an inspector, or by a
property company): a claim code on the receipt, and the owner taking the project over online.

Until the project is claimed its owner-lane steps wait for the owner side (待业主认领): nobody's
inbox holds them, and the street's inspectors may only record a signed paper declaration with a
photo of it (forms: `staffRequired`). The safety commitment is the owner's own: it is made here,
at the claim, never ticked by staff (forms: `ownerOnly`).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone

from sqlalchemy import select, update

from ...persistence.models import InboxTask, Project, User, db
from ..casefile import history_rows
from ..errors import Forbidden, ValidationFailed
from ..security import policy

# The phones of the registration whose holders may claim: the owner, the contractor's site manager.
CLAIM_PHONES = ("owner_phone", "site_manager_phone", "tenant_phone")


def awaiting_claim(project: Project) -> bool:
    return project.owner_user_id is None and project.claim_code is not None


def claim(user: User, reg_no, claim_code, phone, commitment_signed, lang: str = "zh") -> Project:
    """The owner (an owner account) takes the project over: registration number, the code on the
    receipt, and a phone number the registration names; the owner makes the safety commitment."""
    if not policy.claims_projects(user):
        raise Forbidden("only owner accounts claim projects")
    en = lang == "en"
    errors = {}
    reg_no, claim_code, phone = (str(v or "").strip() for v in (reg_no, claim_code, phone))
    if not reg_no:
        errors["reg_no"] = "Required" if en else "请填写登记编号"
    if not claim_code:
        errors["claim_code"] = "Required" if en else "请填写认领码"
    if not phone:
        errors["phone"] = "Required" if en else "请填写登记时留的手机号"
    if commitment_signed not in (True, "true", "on", "1", "yes"):
        errors["commitment_signed"] = (
            "The owner must make the safety commitment" if en else "须由业主本人签署安全生产承诺"
        )
    if errors:
        raise ValidationFailed(errors)
    project = db.session.scalar(select(Project).where(Project.reg_no == reg_no))
    # One answer for an unknown number, a wrong code and a taken project: the code is the secret.
    if (
        project is None
        or not awaiting_claim(project)
        or not hmac.compare_digest(project.claim_code.upper(), claim_code.upper())
        or phone not in _phones(project)
    ):
        raise ValidationFailed(
            {
                "claim_code": "Registration number, code or phone do not match"
                if en
                else "登记编号、认领码或手机号不匹配"
            }
        )
    now = datetime.now(timezone.utc)
    project.owner_user_id = user.id
    project.claimed_at = now
    if not user.phone:
        user.phone = phone
    # The owner's waiting steps move to the owner's inbox.
    db.session.execute(
        update(InboxTask)
        .where(InboxTask.project_id == project.id, InboxTask.role == "owner")
        .values(owner_user_id=user.id)
    )
    history_rows.add(
        project.id,
        user,
        "owner_claimed",
        None,
        "业主认领并签署安全承诺",
        {"commitment_signed": True, "claimed_at": now.isoformat()},
        None,
    )
    db.session.commit()
    return project


def _phones(project: Project) -> set[str]:
    from ..ledger.queries import project_data

    data = project_data(project)
    return {str(data[key]).strip() for key in CLAIM_PHONES if data.get(key)}
