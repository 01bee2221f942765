from django.conf import settings
from django.db import models


class Integration(models.Model):
    """A private app: a named API token with scopes (R8, R30).

    Only the SHA-256 of the token is stored; the token itself is shown once, when it is created.
    `token_prefix` (the first characters) lets people tell tokens apart on the Integrations screen.
    The "create contacts as marketing" setting (R8) lives with the other creation tools' settings
    (`CreationToolSetting`, tool INTEGRATION, source id = this integration's id), with its history.
    """

    name = models.CharField(max_length=100)
    token_prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes)
