"""The NinjaAPI object: token auth, problem details for every error, local Swagger UI."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from api import errors
from api.auth import TokenAuth

DESCRIPTION = """
The JSON API of the Ledgerline back office. Every write calls the same services as the back office.

**Authentication**: `Authorization: Bearer <token>`. Tokens are created in the back office (Users → API
tokens) or with `python manage.py api_token create <username>`; the user's role decides what the token may do.

**Idempotency**: every creating POST accepts an `Idempotency-Key` header (at most 255 characters). A repeat
with the same key and body returns the stored first answer and creates nothing; the same key with another
body or path answers 422. Keys expire after **24 hours**. Errors are not stored: a corrected retry runs again.

**Errors** are `application/problem+json` (RFC 9457) with the back office's messages: 400 invalid input
(`errors` maps each field — `partner`, `lines.0.quantity`, `__all__` — to its messages), 401 no or bad token,
403 forbidden, 404 not found, 409 a conflict (a stale `version`, a document changed meanwhile), 422 an
`Idempotency-Key` reused with another request.

**Amounts** are exact decimals written as strings ("24.00").
"""


class LedgerlineAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(code) >= 400 and "application/json" in content:
                        content[errors.PROBLEM] = content.pop("application/json")
        return schema


api = LedgerlineAPI(
    title="Ledgerline API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)


@api.exception_handler(SchemaError)
def schema_error(request, exc):
    found = errors.schema_errors(exc.errors)
    detail = " ".join(f"{field}: {' '.join(messages)}" for field, messages in found.items())
    return errors.problem(400, detail or "The request does not match the schema.", found)


@api.exception_handler(ValidationError)
def domain_error(request, exc):
    found = errors.validation_errors(exc)
    detail = " ".join(message for messages in found.values() for message in messages)
    return errors.problem(409 if errors.is_stale(exc) else 400, detail, found)


@api.exception_handler(errors.Conflict)
def conflict(request, exc):
    return errors.problem(409, str(exc), exc.errors)


@api.exception_handler(errors.IdempotencyMismatch)
def idempotency_mismatch(request, exc):
    return errors.problem(422, str(exc))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return errors.problem(
        401, "Send a valid API token: Authorization: Bearer <token>.", headers={"WWW-Authenticate": "Bearer"}
    )


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return errors.problem(403, str(exc) or "Your role does not allow this.")


@api.exception_handler(Http404)
def not_found(request, exc):
    return errors.problem(404, "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def does_not_exist(request, exc):
    return errors.problem(404, "Not found.")


@api.exception_handler(HttpError)
def http_error(request, exc):
    return errors.problem(exc.status_code, str(exc))


from api import routes  # noqa: E402, F401 - registers the routes on `api`
