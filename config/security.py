"""Security pieces the settings refer to: Permissions-Policy, the client address behind a proxy,
and the page shown to a locked-out login."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse

# Features the back office never uses: the browser refuses them to the page and to any frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in [
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    ]
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def client_ip(request):
    """The address login throttling counts. Behind N trusted proxies (LEDGERLINE_PROXY_COUNT, e.g. 1 for
    one nginx or load balancer), the client is the N-th address from the right of X-Forwarded-For:
    those on its left are whatever the client itself sent. Without proxies it is REMOTE_ADDR."""
    count = settings.LEDGERLINE_PROXY_COUNT
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes calls this when a login is refused because of too many failures (AXES_LOCKOUT_CALLABLE)."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if isinstance(cooloff, timedelta) else None
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": minutes,
    }
    return TemplateResponse(request, "axes/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE).render()
