"""crm.settings.LOGGING: a refused request logs one WARNING line that says why, without a traceback, also
under DEBUG (where Django's own console handler used to print it a second time); 5xx keep their traceback."""

import io
import logging
import sys
from contextlib import redirect_stderr

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.log import configure_logging

from crm.log_filters import RefusalLogFilter
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(settings):
    """What the configured console handlers print, with LOGGING applied as `make run` applies it (DEBUG on)."""
    settings.DEBUG = True
    printed = io.StringIO()
    with redirect_stderr(printed):
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    try:
        yield printed
    finally:
        settings.DEBUG = False
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def lines_about(printed: io.StringIO, path: str) -> list[str]:
    return [line for line in printed.getvalue().splitlines() if path in line or "Traceback" in line]


def test_r30_a_refused_bulk_change_logs_one_line_saying_why(console, client, subscription, sales_user, marketer_actor):
    contacts = contacts_make(count=1, actor=marketer_actor)
    client.force_login(sales_user)
    path = reverse("contacts:bulk_set_marketing")
    response = client.post(path, {"ids": [contacts[0].pk], "confirm_count": "1"})
    assert response.status_code == 403
    (line,) = lines_about(console, path)
    assert line.endswith(f"WARNING django.request Forbidden (Needs Marketing contact access): {path}")


def test_b4_a_refusal_the_view_renders_itself_logs_one_line_too(console, client, subscription, sales_user):
    client.force_login(sales_user)
    path = reverse("billing:tier_guard")
    response = client.post(path, {"enabled": "on"})
    assert response.status_code == 403
    (line,) = lines_about(console, path)
    assert line.endswith(f"WARNING django.request Forbidden (Needs Marketing contact access): {path}")


def test_a_missing_page_logs_one_line(console, client, sales_user):
    client.force_login(sales_user)
    assert client.get("/contacts/999999/").status_code == 404
    (line,) = lines_about(console, "/contacts/999999/")
    assert line.endswith("WARNING django.request Not Found: /contacts/999999/")


def test_the_request_logger_record_has_no_traceback(caplog, client, sales_user):
    client.force_login(sales_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(reverse("imports:index"))
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert (record.levelname, record.getMessage(), record.exc_info) == (
        "WARNING",
        f"Forbidden (Needs permission to import contacts): {reverse('imports:index')}",
        None,
    )


def test_server_errors_keep_their_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), exc_info
    )
    record.status_code = 500
    assert RefusalLogFilter().filter(record) is True
    assert (record.getMessage(), record.exc_info) == ("Internal Server Error: /x", exc_info)


def test_the_django_logger_prints_through_the_root_handler_only():
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []
    assert logging.getLogger("django").handlers == []
