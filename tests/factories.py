import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


import itertools  # noqa: E402 (appended section)

_contact_numbers = itertools.count(1)


def contacts_make(*, count: int, actor, marketing: bool = False, pending: bool = False, **fields) -> list:
    """Create `count` contacts through the services (so each has its creation history), manually, as
    marketing or not; `pending` then sets them as non-marketing (R11). Emails are unique."""
    from contacts.models import Contact
    from marketing_status.creation import contacts_create
    from marketing_status.policy import CreationTool
    from marketing_status.services import contacts_set_non_marketing

    data = [{"email": f"contact{next(_contact_numbers)}@example.com", **fields} for _ in range(count)]
    contacts = contacts_create(data=data, tool=CreationTool.MANUAL, actor=actor, marketing=marketing or pending)
    if pending:
        contacts_set_non_marketing(contacts=[contact.pk for contact in contacts], actor=actor)
    return list(Contact.objects.filter(pk__in=[contact.pk for contact in contacts]).order_by("pk"))
