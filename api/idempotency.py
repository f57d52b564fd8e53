"""`Idempotency-Key`: the first answer to a creating request is stored and given again to a repeat.

The key's row is inserted first, in the transaction that runs the service and stores the answer: a second
request with the same key waits on the unique (user, key) index until the first commits, then reads its
answer (on PostgreSQL; SQLite serialises writers anyway). An answer that is an error is not kept, so a
corrected retry runs again. Keys expire after 24 hours."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from api.errors import IdempotencyMismatch
from api.models import IDEMPOTENCY_TTL, IdempotencyKey


def _respond(status, body):
    return HttpResponse(body, status=status, content_type="application/json")


def _stored_answer(row, request_line, body_hash):
    if row.request != request_line or row.body_hash != body_hash:
        raise IdempotencyMismatch(
            f"The Idempotency-Key “{row.key}” was first used for another request ({row.request}, another body); "
            "send a new key for a new request."
        )
    return _respond(row.status, row.response)


def run_once(request, key, action, status=201):
    """Run `action()` (it returns a schema instance) once per (user, key); the JSON answer with `status`."""
    if key is None:
        return _respond(status, _render(action()))
    user = request.auth.user
    request_line = f"{request.method} {request.path}"[:300]
    body_hash = hashlib.sha256(request.body).hexdigest()
    IdempotencyKey.objects.filter(user=user, key=key, created__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=user, key=key, request=request_line, body_hash=body_hash)
        except IntegrityError:
            row = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
            return _stored_answer(row, request_line, body_hash)
        # An error raised here rolls the key back with everything the action wrote.
        row.status, row.response = status, _render(action())
        row.save(update_fields=["status", "response"])
    return _respond(row.status, row.response)


def _render(result):
    return json.dumps(result.model_dump(mode="json"), cls=DjangoJSONEncoder)
