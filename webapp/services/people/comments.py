"""Comments and hand-over notes on a project or one of its tasks.

Internal comments are for the staff who see the project; comments marked for the owner are also
shown to the project's owner (an owner's own comments always are). `@username` mentions a
colleague who sees the project: the mention is a notification. Photos are attached by the ids of
uploads (services.attachments), which then belong to the project.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from ...persistence.daily import Comment
from ...persistence.models import HistoryEvent, InboxTask, Project, User, db
from ..casefile import attachments
from ..errors import ValidationFailed, in_lang
from ..notifications.centre import Event, notify
from ..notifications.recipients import members
from ..security import policy

KINDS = ("comment", "handover")
VISIBILITIES = ("internal", "owner")
MAX_BODY = 4000
MAX_ATTACHMENTS = 6
MENTION = re.compile(r"@([A-Za-z0-9_.-]{2,64})")


def listing(user: User, project: Project) -> list[dict]:
    """The comments this user may read on a visible project, oldest first."""
    query = select(Comment, User).join(User, User.id == Comment.author_id).where(Comment.project_id == project.id)
    rows = db.session.execute(query.where(policy.comment_filter(user)).order_by(Comment.id)).all()
    mentioned = {int(i) for c, _ in rows for i in c.mentions.split()}
    names = (
        dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(mentioned))).all())
        if mentioned
        else {}
    )
    return [
        {
            "id": c.id,
            "project_id": c.project_id,
            "task_id": c.task_id,
            "kind": c.kind,
            "visibility": c.visibility,
            "body": c.body,
            "author": author.display_name,
            "author_id": author.id,
            "mentions": [names.get(int(i), "") for i in c.mentions.split()],
            "attachments": c.attachments.split(),
            "created_at": c.created_at,
        }
        for c, author in rows
    ]


def add(user: User, project: Project, values: dict, lang: str = "zh") -> dict:
    """Validate, then save the comment and notify whoever it concerns, in one transaction."""
    errors = {}
    body = (values.get("body") or "").strip()
    if not body or len(body) > MAX_BODY:
        errors["body"] = in_lang(lang, "请填写内容（最多 4000 字）", "Write something (at most 4000 characters)")
    kind = values.get("kind") or "comment"
    if kind not in KINDS:
        errors["kind"] = in_lang(lang, "未知的类型", "Unknown kind")
    visibility = "owner" if policy.is_owner_side(user) else (values.get("visibility") or "internal")
    if visibility not in VISIBILITIES:
        errors["visibility"] = in_lang(lang, "未知的可见范围", "Unknown visibility")
    task_id = (values.get("task_id") or "").strip() or None
    if task_id and not _task_of_project(task_id, project.id):
        errors["task_id"] = in_lang(lang, "该任务不属于此项目", "The task is not one of this project's")
    ids = [i for i in (values.get("attachments") or []) if i]
    if len(ids) > MAX_ATTACHMENTS:
        errors["attachments"] = in_lang(lang, "最多 6 张照片", "At most 6 photos")
    mentioned, unknown = _mentions(body, project, visibility)
    if unknown:
        errors["body"] = in_lang(lang, "找不到可提及的同事：", "No colleague to mention: ") + " ".join(
            f"@{n}" for n in unknown
        )
    if errors:
        raise ValidationFailed(errors)
    attachments.check_usable(user, {"attachments": ids}, project.id, lang)
    comment = Comment(
        project_id=project.id,
        task_id=task_id,
        author_id=user.id,
        kind=kind,
        visibility=visibility,
        body=body,
        mentions=" ".join(str(u.id) for u in mentioned),
        attachments=" ".join(ids),
    )
    db.session.add(comment)
    db.session.flush()
    attachments.link(ids, project.id)  # commits the comment with them
    _announce(user, project, comment, mentioned)
    db.session.commit()
    return next(c for c in listing(user, project) if c["id"] == comment.id)


def for_task(user: User, project: Project, task_id: str) -> list[dict]:
    """Hand-over notes left for a task's step, and comments on it."""
    return [c for c in listing(user, project) if c["task_id"] == task_id or c["kind"] == "handover"]


def _task_of_project(task_id: str, project_id: int) -> bool:
    ready = db.session.scalar(select(InboxTask.id).where(InboxTask.id == task_id, InboxTask.project_id == project_id))
    done = db.session.scalar(
        select(HistoryEvent.id).where(HistoryEvent.task_id == task_id, HistoryEvent.project_id == project_id).limit(1)
    )
    return bool(ready or done)


def _mentions(body: str, project: Project, visibility: str) -> tuple[list[User], list[str]]:
    names = list(dict.fromkeys(MENTION.findall(body)))
    if not names:
        return [], []
    users = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names), User.active.is_(True)))
    }
    found, unknown = [], []
    for name in names:
        person = users.get(name)
        reachable = person is not None and policy.comment_visible_to(person, project, visibility)
        (found if reachable else unknown).append(person if reachable else name)
    return found, unknown


def _announce(author: User, project: Project, comment: Comment, mentioned: list[User]) -> None:
    link = f"/projects/{project.id}#comment-{comment.id}"
    body = f"{author.display_name}：{comment.body[:200]}"
    notify(
        [u.id for u in mentioned if u.id != author.id],
        Event("mention", f"mention:{comment.id}", project.title, body, link, project.id, comment.task_id),
    )
    if comment.visibility != "owner":
        return
    if policy.is_owner_side(author):  # the owner wrote: the street's inspectors hear of it
        people = members("inspector", project.street_code, project.district_code)
    else:
        people = [project.owner_user_id] if project.owner_user_id else []
    notify(
        [p for p in people if p != author.id and p not in {u.id for u in mentioned}],
        Event("comment", f"comment:{comment.id}", project.title, body, link, project.id, comment.task_id),
    )
