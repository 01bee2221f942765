"""Sign-in throttling (OWASP ASVS 2.2.1) with django-axes really on: per username, per address, a cool-off.

Limit 10 failures (`AXES_FAILURE_LIMIT`), cool-off 15 minutes (`AXES_COOLOFF_TIME`); the clock is frozen
and moved by hand.
"""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory

from accounts.sign_in import SignInThrottleBackend, sign_in_address
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LOGIN = "/login/"
START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
LIMIT = 10


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def user(db):
    return UserFactory(username="ada")


def attempt(username: str, password: str, *, address: str = "203.0.113.7", path: str = LOGIN, **extra):
    """One sign-in from a fresh browser at `address`; returns the response and that browser."""
    browser = Client(REMOTE_ADDR=address, **extra)
    return browser.post(path, {"username": username, "password": password}), browser


def signed_in(browser: Client) -> bool:
    return SESSION_KEY in browser.session


def assert_paused(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "<h1>Too many sign-in attempts</h1>" in text
    assert "Please try again in 15 minutes." in text


def test_settings_put_axes_first_and_its_middleware_last():
    assert settings.AUTHENTICATION_BACKENDS[0] == "accounts.sign_in.SignInThrottleBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_thirty_wrong_passwords_pause_the_account_from_the_tenth(user, clock):
    statuses = [attempt("ada", f"guess {n}")[0].status_code for n in range(30)]

    assert statuses == [200] * (LIMIT - 1) + [429] * (30 - LIMIT + 1)
    # refusals while paused are not counted: one row, the ten failures that paused it
    assert list(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")) == [
        ("ada", "203.0.113.7", LIMIT)
    ]


def test_the_last_counted_failure_shows_the_page_and_the_form_error_before(user, clock):
    for n in range(LIMIT - 1):
        response, _ = attempt("ada", f"guess {n}")
        assert "correct username and password" in response.content.decode()
    assert_paused(attempt("ada", "guess 9")[0])


def test_the_right_password_is_refused_while_paused_and_changes_nothing(user, clock):
    for n in range(LIMIT):
        attempt("ada", f"guess {n}")

    response, browser = attempt("ada", PASSWORD)

    assert_paused(response)
    assert not signed_in(browser)
    user.refresh_from_db()
    assert user.last_login is None
    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_the_pause_ends_after_the_cool_off_even_if_someone_keeps_trying(user, clock):
    for n in range(LIMIT):
        attempt("ada", f"guess {n}")
    clock.shift(dt.timedelta(minutes=10))
    assert_paused(attempt("ada", "guess during the pause")[0])

    clock.shift(dt.timedelta(minutes=4, seconds=59))
    assert_paused(attempt("ada", PASSWORD)[0])

    clock.shift(dt.timedelta(seconds=2))  # just over 15 minutes after the tenth failure
    response, browser = attempt("ada", PASSWORD)
    assert response.status_code == 302
    assert signed_in(browser)


def test_a_success_clears_the_count(user, clock):
    for n in range(LIMIT - 1):
        attempt("ada", f"guess {n}")
    assert attempt("ada", PASSWORD)[0].status_code == 302
    assert not AccessAttempt.objects.exists()

    statuses = [attempt("ada", f"again {n}")[0].status_code for n in range(LIMIT - 1)]
    assert statuses == [200] * (LIMIT - 1)


def test_per_account_across_addresses(user, clock):
    for n in range(LIMIT):
        attempt("ada", f"guess {n}", address=f"198.51.100.{n + 1}")

    response, browser = attempt("ada", PASSWORD, address="192.0.2.50")
    assert_paused(response)
    assert not signed_in(browser)
    # the address of the last attempt is not paused for others: one failure counted for it
    other = UserFactory(username="grace")
    response, browser = attempt(other.username, PASSWORD, address="198.51.100.10")
    assert response.status_code == 302
    assert signed_in(browser)


def test_per_address_across_accounts_including_unknown_ones(user, clock):
    for n in range(LIMIT):
        attempt(f"nobody{n}", "guess", address="198.51.100.66")

    response, browser = attempt("ada", PASSWORD, address="198.51.100.66")
    assert_paused(response)
    assert not signed_in(browser)
    response, browser = attempt("ada", PASSWORD, address="198.51.100.67")
    assert response.status_code == 302
    assert signed_in(browser)


def test_an_unknown_username_gets_the_same_page(db, clock):
    for n in range(LIMIT - 1):
        attempt("nobody", f"guess {n}")
    assert_paused(attempt("nobody", "guess")[0])


def test_the_admin_sign_in_is_throttled_too(db, clock):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for n in range(LIMIT - 1):
        assert attempt("root", f"guess {n}", path="/admin/login/")[0].status_code == 200
    assert_paused(attempt("root", "guess", path="/admin/login/")[0])
    assert_paused(attempt("root", PASSWORD, path="/admin/login/")[0])
    assert_paused(attempt("root", PASSWORD)[0])  # one count for both sign-in pages


def test_without_trusted_proxies_a_sent_x_forwarded_for_changes_nothing(user, settings, clock):
    settings.CRM_TRUSTED_PROXIES = 0
    for n in range(LIMIT):
        attempt(f"user{n}", "guess", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert_paused(attempt("ada", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1")[0])


def test_behind_one_trusted_proxy_the_address_it_recorded_is_counted(user, settings, clock):
    settings.CRM_TRUSTED_PROXIES = 1
    for n in range(LIMIT):
        # the client prepends whatever it likes; the proxy appends the address it saw
        attempt(f"user{n}", "guess", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.9")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.9"}
    assert_paused(attempt("ada", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")[0])
    response, browser = attempt("ada", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.10")
    assert response.status_code == 302
    assert signed_in(browser)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.9", "10.0.0.1"),
        (1, "192.0.2.1, 198.51.100.9", "198.51.100.9"),
        (2, "192.0.2.1, 198.51.100.9, 10.0.0.2", "198.51.100.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "not-an-address, 10.0.0.2", None),  # a proxy count too high reaches text the client sent
    ],
)
def test_sign_in_address(settings, proxies, forwarded, expected):
    settings.CRM_TRUSTED_PROXIES = proxies
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert sign_in_address(request) == expected


def test_a_garbage_address_is_still_throttled_by_username_and_never_a_500(user, settings, clock):
    settings.CRM_TRUSTED_PROXIES = 2
    for n in range(LIMIT - 1):
        response, _ = attempt("ada", f"guess {n}", HTTP_X_FORWARDED_FOR="not-an-address, 10.0.0.2")
        assert response.status_code == 200
    assert_paused(attempt("ada", "guess", HTTP_X_FORWARDED_FOR="not-an-address, 10.0.0.2")[0])


def test_authenticate_without_a_request_is_left_to_the_next_backend(db):
    """The shell's and the test client's `login()`: no HTTP sign-in, nothing counted."""
    assert SignInThrottleBackend().authenticate(None, username="ada", password="x") is None
    UserFactory(username="ada")
    assert Client().login(username="ada", password=PASSWORD)
    assert not Client().login(username="ada", password="wrong")
    assert not AccessAttempt.objects.exists()


def test_the_page_offers_the_way_back(user, clock):
    for n in range(LIMIT):
        response, _ = attempt("ada", f"guess {n}")
    assert f'<a href="{LOGIN}">Back to sign in</a>' in response.content.decode()
