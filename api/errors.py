"""Problem details (RFC 9457) for every error, with the messages the back office shows."""

import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

PROBLEM = "application/problem+json"
TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Idempotency-Key reused with another request",
}


class Conflict(Exception):
    """A refusal that is a conflict with the stored state (answered 409)."""

    def __init__(self, message, errors=None):
        super().__init__(message)
        self.errors = errors


class IdempotencyMismatch(Exception):
    """An Idempotency-Key sent again with another body or path (answered 422)."""


def problem(status, detail, errors=None, headers=None):
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_errors(error):
    """{field or "__all__": [messages]} of a Django ValidationError, as the card shows them."""
    if hasattr(error, "error_dict"):
        return {key: ValidationError(value).messages for key, value in error.error_dict.items()}
    return {"__all__": error.messages}


def is_stale(error):
    codes = (
        [e.code for e in error.error_list]
        if not hasattr(error, "error_dict")
        else [e.code for errors in error.error_dict.values() for e in errors]
    )
    return "stale" in codes


def schema_errors(errors):
    """Pydantic's errors as {"field.path": [message]} (ninja puts "body"/"query"/… first: left out)."""
    found = {}
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header", "cookie", "form"):
            location = location[1:]
        if len(location) > 1 and location[0] in ("data", "filters"):
            location = location[1:]
        found.setdefault(".".join(location) or "__all__", []).append(str(error.get("msg", "Invalid value.")))
    return found
