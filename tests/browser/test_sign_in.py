"""Sign-in and navigation in a real browser."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_shows_navigation(page, sign_in):
    user = UserFactory()
    sign_in(user)
    nav = page.locator("header nav")
    for label in ("Contacts", "Marketing", "Automation", "Settings", "Account & Billing"):
        assert nav.get_by_text(label, exact=True).count() == 1
    assert page.locator(".who").inner_text() == user.get_username()


def test_wrong_password_stays_on_sign_in_with_an_error(page):
    user = UserFactory()
    page.goto("/login/")
    page.fill("input[name=username]", user.get_username())
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "/login/" in page.url
    assert "correct username and password" in page.locator(".errors").inner_text()
