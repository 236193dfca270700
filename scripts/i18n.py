"""Keep the page translations in step with the code: extract, update the catalogs, compile.

    python scripts/i18n.py            # extract messages, update zh and en catalogs, compile .mo
    python scripts/i18n.py --check    # exit 1 if a message has no Chinese translation

Message ids are English; the Chinese catalog (zh) translates every one of them, the English
catalog (en) is the identity. The diagrams' own texts (step names and statuses in processes/*.bpmn)
are the exception: Chinese ids under the context `process`, the identity in zh, translated in en
(webapp.web.i18n.process_text reads them). Catalogs live in webapp/translations/<lang>/LC_MESSAGES/.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "webapp"
CATALOGS = SOURCE / "translations"
LANGUAGES = ("zh", "en")
METHODS = [("web/**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PROCESSES = ROOT / "processes"
PROCESS = "process"
# Elements whose names people see (history rows, current steps); gateways and flows are not listed.
NAMED = {
    "startEvent",
    "endEvent",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "serviceTask",
    "manualTask",
    "receiveTask",
    "sendTask",
    "subProcess",
    "callActivity",
}


def process_texts():
    """(text, file, line) of every step name and `status` property in the diagrams."""
    for path in sorted(PROCESSES.glob("*.bpmn")):
        for el in ElementTree.parse(path).getroot().iter():
            tag = el.tag.rsplit("}", 1)[-1]
            if tag in NAMED and el.get("name"):
                yield el.get("name"), path
            elif tag == "property" and el.get("name") == "status" and el.get("value"):
                yield el.get("value"), path


def extract() -> Catalog:
    template = Catalog(project="xiaosan", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": ""}}
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for text, path in process_texts():
        template.add(text, None, [(str(path.relative_to(ROOT)), 0)], context=PROCESS)
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
        # Babel adds the template's own message objects: a copy each, or zh's strings reach en.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if not message.string and (lang == "en") != (message.context == PROCESS):
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
        catalogs = {lang: load(lang) for lang in LANGUAGES}
        missing = []
        for m in template:
            translated = catalogs["en" if m.context == PROCESS else "zh"].get(m.id, context=m.context)
            if m.id and not (translated and translated.string):
                missing.append(m.id)
        for text in missing:
            print(f"untranslated: {text!r}")
        return 1 if missing else 0
    missing = update(template)
    print(
        f"{len(template)} messages; untranslated zh: {len(missing['zh'])}, diagram texts without English: "
        f"{len(missing['en'])}"
    )
    for lang in LANGUAGES:
        for m in missing[lang]:
            print(f"  {lang}: {m!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
