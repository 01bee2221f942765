from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "HubSpot-compatible REST API"

    def ready(self):
        # Registers the bearer security scheme and the operation names with drf-spectacular.
        from api import schema_extensions  # noqa: F401
