"""The scopes an integration's token can carry, named as HubSpot names them."""

from marketing_status.actors import MARKETING_WRITE_SCOPE

CONTACTS_READ = "crm.objects.contacts.read"
CONTACTS_WRITE = "crm.objects.contacts.write"
MARKETING_WRITE = MARKETING_WRITE_SCOPE

SCOPE_CHOICES = [
    (CONTACTS_READ, "Read contacts"),
    (CONTACTS_WRITE, "Create, update and delete contacts"),
    (MARKETING_WRITE, "Change marketing contact status"),
]
ALL_SCOPES = frozenset(scope for scope, _ in SCOPE_CHOICES)
DEFAULT_SCOPES = (CONTACTS_READ, CONTACTS_WRITE)
