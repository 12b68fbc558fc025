"""The record of an API request's first answer (`tenancy.services.claim_key` / `store_answer`,
used by `common.api.idempotent`)."""

import pytest
from django.db import transaction

from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import IdempotencyRecord
from tests.conftest import make_coop


@pytest.mark.django_db
def test_a_key_is_claimed_once_and_then_answers_with_the_first_record():
    coop = make_coop(code="idemrec")
    with transaction.atomic():
        record, claimed = tenancy.claim_key(cooperative=coop, key="k-1", request_hash="a" * 64)
        tenancy.store_answer(record=record, status=201, body={"id": 7})
    with transaction.atomic():
        again, claimed_again = tenancy.claim_key(cooperative=coop, key="k-1", request_hash="b" * 64)
    assert claimed and not claimed_again
    assert again.pk == record.pk
    assert (again.request_hash, again.status_code, again.response_body) == (
        "a" * 64,
        201,
        {"id": 7},
    )
    # The same key in another cooperative is another request.
    other, claimed_other = _claim(make_coop(code="idemrec2"), "k-1")
    assert claimed_other and other.pk != record.pk


@pytest.mark.django_db(transaction=True)
def test_a_key_is_not_claimed_outside_the_transaction_of_the_work():
    coop = make_coop(code="idemalone")
    with pytest.raises(RuntimeError):
        tenancy.claim_key(cooperative=coop, key="k-1", request_hash="a" * 64)
    assert not IdempotencyRecord.objects.exists()


def _claim(coop, key):
    with transaction.atomic():
        return tenancy.claim_key(cooperative=coop, key=key, request_hash="c" * 64)
