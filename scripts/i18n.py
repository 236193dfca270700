"""Keep the page translations in step with the code: extract, update the catalogs, compile.

    python scripts/i18n.py            # extract messages, update zh and en catalogs, compile .mo
    python scripts/i18n.py --check    # exit 1 if a message has no Chinese translation

Message ids are English; the Chinese catalog (zh) translates every one of them, the English
catalog (en) is the identity. Catalogs live in webapp/translations/<lang>/LC_MESSAGES/.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "webapp"
CATALOGS = SOURCE / "translations"
LANGUAGES = ("zh", "en")
METHODS = [("web/**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extract() -> Catalog:
    template = Catalog(project="xiaosan", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(SOURCE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": ""}}):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(lang: str) -> Path:
    return CATALOGS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="xiaosan", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def update(template: Catalog) -> dict[str, list[str]]:
    missing = {}
    for lang in LANGUAGES:
        catalog = load(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if lang == "en" and not message.string:
                message.string = message.id
            message.flags.discard("fuzzy")
        missing[lang] = [m.id for m in catalog if m.id and not m.string]
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=120, sort_output=False, omit_header=False, include_previous=False)
        with path.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
    return missing


def main(argv: list[str]) -> int:
    template = extract()
    if "--check" in argv:
        zh = load("zh")
        missing = [m.id for m in template if m.id and not (zh.get(m.id) and zh.get(m.id).string)]
        for m in missing:
            print(f"untranslated: {m!r}")
        return 1 if missing else 0
    missing = update(template)
    print(f"{len(template)} messages; untranslated zh: {len(missing['zh'])}")
    for m in missing["zh"]:
        print(f"  {m!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
