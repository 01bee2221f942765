from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Long-running bulk work (bulk status changes above the inline limit; imports later)."""

    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"
