"""A small client for /api/v1: JSON in and out, a bearer token, an optional Idempotency-Key."""

import json
from typing import Any

import pytest
from django.test import Client

from koperasi.tenancy import services as tenancy

BASE = "/api/v1"


class Api:
    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.token = token

    def _headers(self, key: str | None, extra: dict[str, Any]) -> dict[str, Any]:
        headers = dict(extra)
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return headers

    def get(self, path: str, **extra: Any):
        return self.client.get(BASE + path, **self._headers(None, extra))

    def post(
        self,
        path: str,
        body: Any = None,
        key: str | None = None,
        raw: str | None = None,
        **extra: Any,
    ):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(
            BASE + path, data=data, content_type="application/json", **self._headers(key, extra)
        )

    def patch(self, path: str, body: Any, **extra: Any):
        return self.client.patch(
            BASE + path,
            data=json.dumps(body),
            content_type="application/json",
            **self._headers(None, extra),
        )


def token_for(user, coop) -> str:
    return tenancy.issue_token(cooperative=coop, user=user)


@pytest.fixture
def api_as(client):
    """api_as(user, coop) → an Api speaking with a fresh token of that user in that cooperative."""

    def make(user, coop) -> Api:
        return Api(client, token_for(user, coop))

    return make


@pytest.fixture
def anon(client):
    return Api(client)


def codes(response) -> list[str]:
    """The error codes of a refused request, after checking the error body's shape."""
    body = response.json()
    assert 400 <= response.status_code < 500, (response.status_code, body)
    assert isinstance(body["detail"], list) and body["detail"], body
    for item in body["detail"]:
        assert set(item) == {"field", "code", "message"}, item
        assert item["message"]
    return [item["code"] for item in body["detail"]]
