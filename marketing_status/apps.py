from django.apps import AppConfig


class MarketingStatusConfig(AppConfig):
    name = "marketing_status"
    verbose_name = "Marketing status"
    default_auto_field = "django.db.models.BigAutoField"
