"""A request id in every log line: taken from an incoming X-Request-ID when it is a sane token,
generated otherwise, echoed in the response's X-Request-ID header."""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

request_id_var = contextvars.ContextVar("request_id", default="-")

HEADER = "X-Request-ID"
# A proxy's id is kept when it is a short token of safe characters (nothing that could forge a log line).
SANE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}$")


def new_request_id():
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if SANE.match(incoming) else new_request_id()
        request.request_id = request_id
        # Kept until the response is closed (request_finished), not only while the middleware runs:
        # Django logs a 4xx or 5xx response after the whole middleware chain has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def forget_request_id(**kwargs):
    request_id_var.set("-")


request_finished.connect(forget_request_id, dispatch_uid="ledgerline-request-id")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (``-`` outside a request)."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True
