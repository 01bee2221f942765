"""Celery entry points for billing. Thin: they find their work in the database and call a service."""

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db import OperationalError

from billing.models import TierNotice
from billing.services import tier_notice_mark_sent

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError, OSError), retry_backoff=True, retry_backoff_max=600, max_retries=20)
def tier_notice_send(notice_id: int) -> None:
    """R24: email the billing contacts that the marketing count reached a threshold of the tier."""
    notice = TierNotice.objects.select_related("subscription").filter(pk=notice_id, sent_at__isnull=True).first()
    if notice is None:
        return
    recipients = [user.email for user in notice.subscription.billing_contacts.all() if user.email]
    if notice.threshold >= 100:
        subject = f"Your marketing contacts exceeded your tier of {notice.limit:,}"
        body = (
            f"You have {notice.marketing_count:,} marketing contacts, more than the {notice.limit:,} your contact tier "
            f"includes. Your subscription moved to the next tier; it stays there until your contract renews."
        )
    else:
        subject = f"Your marketing contacts reached {notice.threshold}% of your tier"
        body = (
            f"You have {notice.marketing_count:,} marketing contacts of the {notice.limit:,} your contact tier "
            "includes. Above that your subscription moves to the next tier."
        )
    # At least once: a failed send is retried; a crash between send and mark may send twice.
    if recipients:
        send_mail(subject, body, None, recipients)
    tier_notice_mark_sent(notice_id=notice.pk)
