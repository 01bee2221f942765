from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in, users and groups: who has Marketing contact access (R30) and who is a billing contact (R24)."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
