"""`manage.py seed_demo`: load a demo account once, through the services, with a year of history.

The year is replayed by `demo.seed.Demo`: every service it calls is given the date it records (`now=`).
The people, sources and selections come from --seed (the statuses also depend on where today's update
dates fall); the passwords are random and are written to var/demo-credentials.txt.
"""

import random
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing.models import Subscription
from billing.selectors import marketing_count, pending_count, subscription_get
from contacts.models import Contact
from demo.seed import Demo
from demo.sources import ADMIN_USERNAME

CREDENTIALS_FILE = "demo-credentials.txt"
LOGIN_URL = "http://127.0.0.1:8000/"
MIN_CONTACTS = 50


def _credentials_write(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"Admin login: {ADMIN_USERNAME} / {passwords['admin']} at {LOGIN_URL}\n"
        f"Marketer (has Marketing contact access): marketer / {passwords['marketer']}\n"
        f"Sales (no Marketing contact access): sales / {passwords['sales']}\n"
    )
    path.chmod(0o600)


def _admin_login_line(path: Path) -> str:
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("Admin login:"):
                return line
    return (
        f"Admin login: {ADMIN_USERNAME} at {LOGIN_URL} (the password was set at the first seed; "
        f"set a new one with `python manage.py changepassword {ADMIN_USERNAME}`)"
    )


class Command(BaseCommand):
    help = (
        "Load the demo account once: an admin, a marketer and a sales user, a Professional subscription and "
        "contacts from every creation tool with a year of marketing-status history. Does nothing if already loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=3000, help=f"contacts to create (>= {MIN_CONTACTS})")
        parser.add_argument("--seed", type=int, default=42, help="random seed of the generated data")

    def handle(self, *args, contacts: int, seed: int, **options):
        credentials = Path(settings.VAR_DIR) / CREDENTIALS_FILE
        if get_user_model().objects.filter(username=ADMIN_USERNAME).exists():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self.stdout.write(_admin_login_line(credentials))
            return
        if Subscription.objects.exists() or Contact.objects.exists():
            self.stdout.write("This installation already has data; seed_demo loads demo data only into an empty one.")
            return
        if contacts < MIN_CONTACTS:
            raise CommandError(f"--contacts must be at least {MIN_CONTACTS}, so that every creation tool has some")
        started = time.monotonic()
        with transaction.atomic():
            demo = Demo(total=contacts, rng=random.Random(seed))
            demo.run()
            _credentials_write(credentials, demo.passwords)
        self.stdout.write(self._summary(time.monotonic() - started))
        self.stdout.write(f"Logins are in {credentials}.")
        self.stdout.write(_admin_login_line(credentials))

    def _summary(self, seconds: float) -> str:
        subscription = subscription_get()
        active = Contact.objects.filter(archived_at__isnull=True)
        return (
            f"Loaded the demo in {seconds:.1f} s: {active.count():,} contacts, {marketing_count():,} marketing "
            f"({pending_count():,} until the next update), tier {subscription.contact_tier_limit:,}, "
            f"{subscription.periods.count()} billing periods."
        )
