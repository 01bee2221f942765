from django.apps import AppConfig


def users_named(ids: list[str]) -> dict[str, tuple[str, str]]:
    """User id -> (full name, else username; Settings > Users & groups), for histories that name a user by id
    (`crm.sources`). One query."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    users = get_user_model().objects.filter(pk__in=[int(i) for i in ids if i.isdigit()])
    url = reverse("accounts:users")
    return {str(user.pk): (user.get_full_name() or user.get_username(), url) for user in users}


class AccountsConfig(AppConfig):
    """Sign-in, users and groups: who has Marketing contact access (R30) and who is a billing contact (R24)."""

    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from crm.sources import sources_register
        from marketing_status.actors import ActorKind
        from marketing_status.policy import CreationTool, ReasonType

        user_types = (ReasonType.USER_SET, ActorKind.USER, CreationTool.MANUAL)
        sources_register(noun="user", types=user_types, resolver=users_named)
