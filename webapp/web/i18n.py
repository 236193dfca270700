"""Language: the session's choice, then Accept-Language, default Chinese; catalogs compiled on start."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_request_context, request, session
from flask_babel import get_locale as babel_locale

LANGUAGES = ("zh", "en")


def get_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default="zh") or "zh"


def lang() -> str:
    """'zh' or 'en', as the services (form messages) expect."""
    if not has_request_context():
        return "zh"
    return "en" if str(babel_locale()).startswith("en") else "zh"


def process_text(text: str | None) -> str:
    """A name or status the diagram gives (Chinese), in the user's language: scripts/i18n.py puts
    the diagram's texts in the catalogs under the context `process`; one a designer added since
    and nobody translated yet stays Chinese."""
    if not text:
        return text or ""
    if lang() != "en":
        return text
    from flask_babel import pgettext

    return pgettext("process", text)


def ensure_compiled(directory: str) -> None:
    """Compile every messages.po whose .mo is missing or older (a clean clone has both committed)."""
    for po in Path(directory).glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as src:
                catalog = read_po(src, locale=po.parent.parent.name)
            with mo.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
        except OSError:  # read-only install: the committed .mo is used as it is
            continue
