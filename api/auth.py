"""`Authorization: Bearer <token>`: the token's user acts, with exactly that user's permissions."""

from django.utils import timezone
from ninja.security import HttpBearer

from api.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        if not token or len(token) > 200 or "\x00" in token:
            return None
        found = ApiToken.objects.active().select_related("user").filter(key_hash=hash_token(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used=timezone.now())
        request.user = found.user
        return found
