"""The district rule catalogue bound to the option labels of the shipped forms."""

from __future__ import annotations

from pathlib import Path

from webapp.domain import rules
from webapp.domain.forms import FormCatalog

ROOT = Path(__file__).resolve().parents[2]


def form_options() -> dict[str, list[rules.Option]]:
    forms = FormCatalog(ROOT / "forms")
    out = {}
    for key in ("registration.category", "registration.risk_flags", "patrol.hazard_severity"):
        form, field = key.split(".")
        out[key] = [
            rules.Option(o["value"], o["label"], o.get("label_en", o["label"]))
            for o in forms.get(form).field(field).options
        ]
    return out


def bound_catalogue() -> rules.Catalogue:
    return rules.Catalogue.bind(form_options())
