"""`{% contact_list_choices as lists %}`: the static lists, for the index's "Add to list" control."""

from django import template

from contacts.models import ContactList

register = template.Library()


@register.simple_tag
def contact_list_choices():
    return ContactList.objects.order_by("name").only("pk", "name")
