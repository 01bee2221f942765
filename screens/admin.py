"""The Django admin of the domain apps whose admin calls higher layers (contacts' bulk changes run as jobs; the
subscription's change needs Marketing contact access). Django's autodiscovery imports this module."""

from screens.billing import admin as billing_admin
from screens.contacts import admin as contacts_admin

__all__ = ["billing_admin", "contacts_admin"]
