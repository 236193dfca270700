"""Chinese first: every message of every page and flash has a Chinese translation."""

from __future__ import annotations

from tests.helpers.pages import untranslated


def test_every_page_message_is_translated_to_chinese():
    assert untranslated("web/", "templates/") == []
