"""`{% contact_engagements contact %}`: a contact record's activity from this app (logged emails, tickets,
meetings) and its "Log email" button, each shown only with the permission to see or use it."""

from django import template

from engagements import selectors

register = template.Library()


@register.inclusion_tag("engagements/_contact_engagements.html", takes_context=True)
def contact_engagements(context, contact):
    user = context["request"].user
    may_view = {
        "may_view_emails": user.has_perm("engagements.view_emaillog"),
        "may_view_tickets": user.has_perm("engagements.view_ticket"),
        "may_view_bookings": user.has_perm("engagements.view_booking"),
    }
    shown = selectors.contact_engagements(contact=contact) if any(may_view.values()) else None
    return {
        "contact": contact,
        "engagements": shown,
        "may_log_email": user.has_perm("engagements.add_emaillog") and not contact.is_archived,
        **may_view,
    }
