"""Junk for the form validator: every field key of the shipped forms, and arbitrary values."""

from __future__ import annotations

from hypothesis import strategies as st

from webapp.domain.forms import FORMS_DIR, FormCatalog

CATALOG = FormCatalog(FORMS_DIR)


ALL_KEYS = sorted({f.key for form in CATALOG for f in form.fields})


junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        ["", " ", "true", "on", "1", "2026-01-01", "2026-13-45", "OK", "NOK", "yes", "SMALL_WORKS", "1e999"]
    ),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=5),
    max_leaves=15,
)
