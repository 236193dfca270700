"""Photos attached to forms: checked by content, re-encoded, stored on disk, served by policy.

Only JPEG, PNG and WebP are accepted, judged by what Pillow finds in the bytes (never by the
file name or the browser's content type). Every photo is re-encoded to JPEG, which drops EXIF
and anything hidden after the image data. A photo belongs to its uploader until the form that
carries it is saved; from then on, to the project, and whoever may see the project may see it.
"""

from __future__ import annotations

import hashlib
import secrets
from io import BytesIO
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import select, update

from ...domain.errors import DomainError
from ...persistence.models import Attachment, User, db, utcnow
from ..errors import NotFound, ValidationFailed, messages_in
from ..security import policy

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone camera, below a decompression bomb
MAX_SIDE = 2560  # stored photos are scaled down to this many pixels on the longer side
JPEG_QUALITY = 85

MESSAGES = {
    "not_image": (
        "只能上传 JPEG、PNG 或 WebP 格式的照片，“{name}”不是",
        "Only JPEG, PNG or WebP photos are accepted; “{name}” is not one",
    ),
    "too_large": ("照片“{name}”超过 {mb} MB", "The photo “{name}” is larger than {mb} MB"),
    "too_many_pixels": ("照片“{name}”像素过大", "The photo “{name}” has too many pixels"),
    "empty": ("文件“{name}”是空的", "The file “{name}” is empty"),
    "not_usable": ("附件无效或无权使用", "Invalid attachment, or not yours to use"),
}


class UploadRefused(DomainError):
    """A file that is not an acceptable photo; the message is fit for the user."""


message = messages_in(MESSAGES)


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def store(user: User, stream, filename: str | None, lang: str = "zh", max_pixels: int = MAX_PIXELS) -> Attachment:
    """Check, re-encode and keep one uploaded photo; UploadRefused says why not."""
    name = Path(filename or "").name[:200] or "photo"
    limit = max_bytes()
    raw = stream.read(limit + 1)
    if not raw:
        raise UploadRefused(message("empty", lang, name=name))
    if len(raw) > limit:
        raise UploadRefused(message("too_large", lang, name=name, mb=limit // (1024 * 1024)))
    jpeg, width, height = _reencode(raw, name, lang, max_pixels)
    attachment_id = secrets.token_urlsafe(16)  # 22 url-safe characters
    now = utcnow()
    relative = f"{now:%Y/%m}/{attachment_id}.jpg"
    target = Path(current_app.config["UPLOAD_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jpeg)
    row = Attachment(
        id=attachment_id,
        uploader_id=user.id,
        filename=name,
        content_type="image/jpeg",
        size=len(jpeg),
        width=width,
        height=height,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        path=relative,
        created_at=now,
    )
    db.session.add(row)
    db.session.commit()
    return row


def _reencode(raw: bytes, name: str, lang: str, max_pixels: int) -> tuple[bytes, int, int]:
    try:
        with Image.open(BytesIO(raw)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except Exception as exc:  # Pillow raises many kinds for non-images and broken files
        raise UploadRefused(message("not_image", lang, name=name)) from exc
    if kind not in ACCEPTED_FORMATS:
        raise UploadRefused(message("not_image", lang, name=name))
    if width * height > max_pixels:  # judged from the header, before decoding a pixel
        raise UploadRefused(message("too_many_pixels", lang, name=name))
    try:
        with Image.open(BytesIO(raw)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, "white")
                background.paste(image, mask=image.getchannel("A"))
                image = background
            elif image.mode != "RGB":
                image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = BytesIO()
            image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= → none written
            return out.getvalue(), image.width, image.height
    except Exception as exc:
        raise UploadRefused(message("not_image", lang, name=name)) from exc


def unusable(user: User, ids_by_field: dict[str, list[str]], project_id: int | None, lang: str = "zh") -> dict:
    """The fields naming a photo that is neither this user's own unlinked upload nor one of this
    project's, each with the message to show (empty: all usable). Linking happens with the step
    that saves the form (persistence.step_store.link_attachments)."""
    errors = {}
    wanted = {i for ids in ids_by_field.values() for i in ids}
    rows = {a.id: a for a in db.session.scalars(select(Attachment).where(Attachment.id.in_(wanted)))} if wanted else {}
    for field, ids in ids_by_field.items():
        for attachment_id in ids:
            row = rows.get(attachment_id)
            usable = row is not None and policy.may_use_attachment(user, row, project_id)
            if not usable:
                errors[field] = message("not_usable", lang)
                break
    return errors


def check_usable(user: User, ids_by_field: dict[str, list[str]], project_id: int | None, lang: str = "zh") -> None:
    """ValidationFailed naming the fields whose photos are `unusable`."""
    errors = unusable(user, ids_by_field, project_id, lang)
    if errors:
        raise ValidationFailed(errors)


def link(ids, project_id: int) -> None:
    """Outside a step (a comment): these photos now belong to the project; commits."""
    ids = list(ids)
    if not ids:
        return
    db.session.execute(
        update(Attachment).where(Attachment.id.in_(ids), Attachment.project_id.is_(None)).values(project_id=project_id)
    )
    db.session.commit()


def remove_unlinked(uploader_id: int, before) -> int:
    """Remove this uploader's photos that no form took (no project) and were stored before
    `before`: their files, then their rows. Returns how many."""
    rows = list(
        db.session.scalars(
            select(Attachment).where(
                Attachment.uploader_id == uploader_id, Attachment.project_id.is_(None), Attachment.created_at < before
            )
        )
    )
    root = Path(current_app.config["UPLOAD_DIR"])
    for row in rows:
        (root / row.path).unlink(missing_ok=True)
        db.session.delete(row)
    db.session.commit()
    return len(rows)


def for_download(user: User, attachment_id: str) -> tuple[Attachment, Path]:
    """The photo and its file, if this user may see it; NotFound otherwise (we do not say which)."""
    row = db.session.get(Attachment, attachment_id)
    if row is None or not policy.can_see_attachment(user, row):
        raise NotFound("no such file")
    path = Path(current_app.config["UPLOAD_DIR"]) / row.path
    if not path.is_file():
        raise NotFound("file missing")
    return row, path
