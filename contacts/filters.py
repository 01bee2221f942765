"""The one FilterSet of the contacts list, shared by the index, its saved views, bulk actions, jobs and lists."""

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone

from contacts.models import Contact, ContactList, EmailSubscription, LifecycleStage
from contacts.vocabulary import CreationTool, ReasonType

STATUS_CHOICES = [("marketing", "Marketing contact"), ("non_marketing", "Non-marketing contact")]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class ContactFilterSet(django_filters.FilterSet):
    """Filters of the contacts index. Every filter maps to an indexable condition (no `%term%` scans)."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="by_status", label="Marketing contact status")
    pending = django_filters.BooleanFilter(
        field_name="marketable_until_renewal", label="Marketing contact until next update"
    )
    source_type = django_filters.ChoiceFilter(
        field_name="marketable_reason_type",
        choices=ReasonType.choices(),
        label="Status source type",
    )
    creation_tool = django_filters.ChoiceFilter(choices=CreationTool.choices(), label="Creation tool")
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    unsubscribed = django_filters.BooleanFilter(method="by_unsubscribed", label="Unsubscribed from all email")
    hard_bounced = django_filters.BooleanFilter(field_name="email_hard_bounced", label="Hard bounced")
    created_after = django_filters.DateFilter(method="by_created_after", label="Created on or after")
    created_before = django_filters.DateFilter(method="by_created_before", label="Created on or before")
    list = django_filters.ModelChoiceFilter(
        field_name="list_memberships__contact_list", queryset=ContactList.objects.all(), label="Static list"
    )

    class Meta:
        model = Contact
        fields: list[str] = []

    def search(self, queryset, name, value):
        """Email prefix when the term has an @, else email or first/last name prefix, or a contact id."""
        term = value.strip().lower()
        if not term:
            return queryset
        if term.isdigit():
            return queryset.filter(Q(pk=int(term)) | Q(email__startswith=term) | Q(phone__startswith=term))
        if "@" in term:
            return queryset.filter(email__startswith=term)
        return queryset.filter(
            Q(email__startswith=term) | Q(first_name__istartswith=term) | Q(last_name__istartswith=term)
        )

    def by_status(self, queryset, name, value):
        return queryset.filter(marketable_status=value == "marketing")

    def by_unsubscribed(self, queryset, name, value):
        if value:
            return queryset.filter(email_subscription=EmailSubscription.UNSUBSCRIBED)
        return queryset.exclude(email_subscription=EmailSubscription.UNSUBSCRIBED)

    def by_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=_start_of(value))

    def by_created_before(self, queryset, name, value):
        return queryset.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))
