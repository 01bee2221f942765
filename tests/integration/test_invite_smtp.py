"""The invitation leaves through Django's SMTP backend to a real SMTP server (aiosmtpd, a separate process on
loopback), once the transaction that created the user has committed; its link sets the password."""

import mailbox
import re
import socket
import subprocess
import sys
from email import policy
from email.parser import BytesParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.factories import UserFactory
from tests.integration.conftest import LineReader, stop_process

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "plum-orchard-lantern-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path, settings):
    """An aiosmtpd process writing what it receives to a Maildir; Django's SMTP backend pointed at it."""
    port, maildir = free_port(), tmp_path / "maildir"
    command = [sys.executable, "-u", "-m", "aiosmtpd", "-n", "-d", "-l", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        [*command, "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        LineReader(process.stdout).wait_for("INFO:mail.log:Server is listening")
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
        settings.DEFAULT_FROM_EMAIL = "crm@example.com"
        yield mailbox.Maildir(maildir, factory=lambda file: BytesParser(policy=policy.default).parse(file))
    finally:
        stop_process(process)


def test_an_invitation_is_delivered_over_smtp_and_its_link_sets_the_password(smtp_server):
    admin = UserFactory(first_name="Ada", last_name="Admin")
    admin.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "add_user"]))
    client = Client()
    client.force_login(admin)

    response = client.post("/settings/users/invite/", {"email": "smtp.person@example.com", "first_name": "Sam"})

    assert response.status_code == 302
    (message,) = list(smtp_server)
    assert (message["To"], message["From"]) == ("smtp.person@example.com", "crm@example.com")
    assert message["Subject"] == "You're invited to the CRM"
    body = message.get_content()
    assert "Ada Admin invited you" in body
    path = re.search(r"http://testserver(/invitation/\S+/)", body).group(1)
    visitor = Client()
    form_url = visitor.get(path)["Location"]
    assert visitor.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 302
    assert get_user_model().objects.get(email="smtp.person@example.com").check_password(PASSWORD)
