"""Browser tests: signing in through the login page."""

from __future__ import annotations

from tests.helpers.accounts import DEMO_PASSWORD


def sign_in(page, base: str, username: str):
    """Sign a demo user in through the login form; returns once the main navigation shows."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector(".mainnav")
    return page
