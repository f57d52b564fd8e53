"""API tokens (stored hashed, shown once) and the stored answers of idempotent requests."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

IDEMPOTENCY_TTL = timedelta(hours=24)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A per-user bearer token. The secret is shown once when the token is created; only its SHA-256
    is kept, with a short prefix to tell tokens apart in lists."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for (a shop, a warehouse…).")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]
        permissions = [("manage_all_apitokens", "Can see and revoke every user's API tokens")]

    def __str__(self):
        return f"{self.prefix}… ({self.name or self.user})"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @classmethod
    def issue(cls, *, user, name=""):
        """A new token for `user`: (token row, the secret to show once)."""
        prefix = secrets.token_hex(4)
        secret = f"ll_{prefix}_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(user=user, name=name[:100], prefix=prefix, key_hash=hash_token(secret))
        return token, secret

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class IdempotencyKey(models.Model):
    """The first answer to a creating request sent with an `Idempotency-Key` header, kept for 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request = models.CharField(max_length=300, help_text="Method and path.")
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    response = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created"])]

    def __str__(self):
        return f"{self.key} ({self.request})"

    @property
    def is_expired(self):
        return self.created < timezone.now() - IDEMPOTENCY_TTL
