"""Notifications a step makes, written in the step's own transaction (services.instances calls
`after_step` as it writes the projections): a new task for its holders (a hand-over awaiting
acknowledgement when the same step issued the hand-over letter), and each notice issued, to the
project's owner."""

from __future__ import annotations

from .centre import Event, notify
from .recipients import holders

# Notice kinds whose new tasks await a receiving unit's acknowledgement.
HANDOVER_NOTICES = frozenset({"handover"})


def after_step(project, new_tasks, notices) -> None:
    """`new_tasks`: the inbox rows the step added (dicts); `notices`: the notices it issued."""
    handover = any(n.kind in HANDOVER_NOTICES for n in notices)
    for task in new_tasks:
        kind = "handover" if handover else "new_task"
        notify(
            holders(task),
            Event(
                kind,
                f"{kind}:{task['id']}",
                task["title"],
                f"{project.reg_no} {project.title}",
                f"/tasks/{task['id']}",
                project.id,
                task["id"],
            ),
        )
    if project.owner_user_id:
        for notice in notices:
            title = notice_title(notice)
            # By number: the notice's row may not have its id yet inside the step.
            notify(
                [project.owner_user_id],
                Event(
                    "notice",
                    f"notice:{notice.number}",
                    title,
                    f"{notice.number} {project.title}",
                    f"/projects/{project.id}#notices",
                    project.id,
                ),
            )


def notice_title(notice) -> str:
    from ..casefile.notices import KINDS

    return KINDS.get(notice.kind, (notice.kind,))[0]
