import json

import pytest

from api.models import ApiToken
from tests import factories


class ApiClient:
    """The Django test client speaking JSON with a bearer token."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self, headers):
        found = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        for name, value in (headers or {}).items():
            found["HTTP_" + name.upper().replace("-", "_")] = value
        return found

    def get(self, path, params=None, **headers):
        return self.client.get(f"/api/v1{path}", params or {}, **self._headers(headers))

    def send(self, method, path, body=None, **headers):
        data = json.dumps(body if body is not None else {})
        call = getattr(self.client, method)
        return call(f"/api/v1{path}", data, content_type="application/json", **self._headers(headers))

    def post(self, path, body=None, **headers):
        return self.send("post", path, body, **headers)

    def put(self, path, body=None, **headers):
        return self.send("put", path, body, **headers)

    def delete(self, path, **headers):
        return self.client.delete(f"/api/v1{path}", **self._headers(headers))


def token_for(user):
    return ApiToken.issue(user=user, name="test")[1]


@pytest.fixture
def accountant_api(client):
    return ApiClient(client, token_for(factories.accountant()))


@pytest.fixture
def reviewer_api(client):
    return ApiClient(client, token_for(factories.reviewer()))
