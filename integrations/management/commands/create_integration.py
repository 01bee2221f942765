"""`manage.py create_integration --name NAME [--scopes S1,S2] [--marketing-default]`: a private app from the shell.

The token is printed once, on its own line, and stored nowhere (only its SHA-256). With `-v 0` it is the
only line printed, so that a script can capture it: `TOKEN=$(manage.py create_integration -v 0 --name x)`.
"""

from django.core.management.base import BaseCommand, CommandError

from integrations.forms import NAME_MAX_LENGTH
from integrations.models import Integration
from integrations.scopes import ALL_SCOPES, DEFAULT_SCOPES
from integrations.services import IntegrationInvalid, integration_create
from marketing_status.actors import Actor

ACTOR = Actor.system("create_integration")


def parse_scopes(value: str) -> list[str]:
    """`S1,S2` → the scopes, checked: an unknown scope is named in the error, an empty list refused."""
    scopes = [scope.strip() for scope in value.split(",") if scope.strip()]
    if not scopes:
        raise CommandError("Give at least one scope with --scopes.")
    if unknown := sorted(set(scopes) - ALL_SCOPES):
        known = ", ".join(sorted(ALL_SCOPES))
        raise CommandError(f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {known}.")
    return scopes


class Command(BaseCommand):
    help = (
        "Create an integration (private app) and print its token once. Default scopes: contacts read and write. "
        "--marketing-default makes it create marketing contacts (R8)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the integration's name, shown on Settings > Integrations")
        parser.add_argument(
            "--scopes", default=",".join(DEFAULT_SCOPES), help=f"comma-separated, from: {', '.join(sorted(ALL_SCOPES))}"
        )
        parser.add_argument(
            "--marketing-default",
            action="store_true",
            help='R8: switch "Create contacts as marketing contacts" on (off by default)',
        )

    def handle(self, *args, name: str, scopes: str, marketing_default: bool, verbosity: int = 1, **options):
        if len(name.strip()) > NAME_MAX_LENGTH:
            raise CommandError(f"The name is longer than {NAME_MAX_LENGTH} characters.")
        try:
            integration, token = integration_create(
                name=name, scopes=parse_scopes(scopes), marketing_on_create=marketing_default, actor=ACTOR
            )
        except IntegrationInvalid as invalid:
            raise CommandError(str(invalid)) from invalid
        if verbosity >= 1:
            self.stdout.write(self._summary(integration, marketing_default))
        self.stdout.write(token)
        if verbosity >= 1:
            self.stdout.write("This token is shown only once: store it now. Only its SHA-256 hash is kept.")

    @staticmethod
    def _summary(integration: Integration, marketing_default: bool) -> str:
        return (
            f"Created integration {integration.pk} ({integration.name}) with scopes {', '.join(integration.scopes)}; "
            f"creates {'marketing' if marketing_default else 'non-marketing'} contacts."
        )
