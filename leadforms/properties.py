"""The contact properties a form field can be mapped to, named as HubSpot names them.

Forms use the API's property names (`contacts.properties.PROPERTIES`: `firstname`, `lifecyclestage`…) so
that a HubSpot submission body or embed code works unchanged. Only `contacts.services.EDITABLE_FIELDS`
qualify, and of those not `email_subscription` nor `email_hard_bounced`: a visitor does not mark
himself bounced, and unsubscribing has its own path.
"""

from dataclasses import dataclass

from contacts.models import Contact, LifecycleStage
from contacts.properties import PROPERTIES
from contacts.services import EDITABLE_FIELDS

EMAIL = "email"
NOT_ON_FORMS = frozenset({"email_subscription", "email_hard_bounced"})
INPUT_TYPES = {"email": "email", "phone": "tel", "lifecycle_stage": "select"}
OPTION_LABELS = dict(LifecycleStage.choices)


@dataclass(frozen=True)
class FormProperty:
    name: str  # HubSpot's property name, the field's name in forms and submissions
    label: str
    field: str  # the Contact field it fills
    input_type: str  # text, email, tel or select
    max_length: int | None
    options: tuple[tuple[str, str], ...] = ()


def _form_properties() -> dict[str, FormProperty]:
    properties = {}
    for prop in PROPERTIES.values():
        if prop.read_only or prop.field not in EDITABLE_FIELDS or prop.field in NOT_ON_FORMS:
            continue
        properties[prop.name] = FormProperty(
            name=prop.name,
            label=prop.label,
            field=prop.field,
            input_type=INPUT_TYPES.get(prop.field, "text"),
            max_length=Contact._meta.get_field(prop.field).max_length,
            options=tuple((value, OPTION_LABELS.get(value, value)) for value in prop.options),
        )
    return properties


FORM_PROPERTIES: dict[str, FormProperty] = _form_properties()
PROPERTY_CHOICES = [(prop.name, prop.label) for prop in FORM_PROPERTIES.values()]
# A new form starts with these fields; the email is required (contacts are matched by it).
DEFAULT_FIELDS = (("email", True), ("firstname", False), ("lastname", False))
