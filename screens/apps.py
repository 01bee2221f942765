from django.apps import AppConfig


class ScreensConfig(AppConfig):
    """The top layer's pages: the contacts index, record, lists and bulk changes, Account & Billing, the Manage
    marketing contacts wizard, and the Django admin of contacts and billing. Screens call the services and
    selectors of every layer below; nothing below imports a screen."""

    name = "screens"
    default_auto_field = "django.db.models.BigAutoField"
