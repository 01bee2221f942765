from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    """Contact-based workflows (R18, R19). The models and screens arrive with the workflows issue."""

    name = "workflows"
    default_auto_field = "django.db.models.BigAutoField"
