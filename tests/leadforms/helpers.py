"""Posting helpers of the forms tests."""

import json

from django.conf import settings
from django.urls import reverse


def submit_url(form, portal: str | None = None) -> str:
    return reverse("leadforms_public:submit", args=[portal or settings.CRM_PORTAL_ID, form.guid])


def post_json(client, url: str, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def fields(**values) -> list[dict]:
    return [{"objectTypeId": "0-1", "name": name, "value": value} for name, value in values.items()]


def collect_url(portal: str | None = None) -> str:
    return reverse("leadforms_public:collected_submit", args=[portal or settings.CRM_PORTAL_ID])


def captured(page_url: str = "https://shop.example.com/contact?utm=1", form_id: str = "contact", **values) -> dict:
    """A collector body for a form with `values` (`type` guessed from the name, as a browser would)."""
    return {
        "pageUrl": page_url,
        "pageTitle": "Contact us",
        "formId": form_id,
        "formName": "",
        "formPosition": 0,
        "fields": [
            {"name": name, "value": value, "type": "email" if "email" in name else "text"}
            for name, value in values.items()
        ],
    }
