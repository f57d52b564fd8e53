"""GET /healthz: 200 when the database answers, 503 when it does not. For load balancers: no login,
no session, exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT)."""

import logging

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("ledgerline.health")


@never_cache
@require_safe
def healthz(request):
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
