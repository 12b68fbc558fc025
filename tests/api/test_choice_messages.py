"""An API refusal that lists the accepted values joins them in the caller's language: pydantic
writes "'flat', 'menurun' or 'anuitas'", which an Indonesian answer must not repeat."""

import json

from django.test import Client


def method_refusal(language: str) -> str:
    response = Client().post(
        "/api/v1/loans/simulate",
        data=json.dumps({"principal": "1000000", "rate": "1", "months": 12, "method": "efektif"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422, response.content
    (item,) = [d for d in response.json()["detail"] if d["field"] == "method"]
    assert item["code"] == "invalid_choice"
    return item["message"]


def test_the_choices_are_joined_in_the_callers_language(db):
    assert method_refusal("id") == "Pilih salah satu dari: 'flat', 'menurun' atau 'anuitas'."
    assert method_refusal("en") == "Choose one of: 'flat', 'menurun' or 'anuitas'."
