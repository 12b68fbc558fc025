"""The record of a money-moving API request's first answer (`common.api.idempotent`).

Both writes belong inside the transaction of the request's own work: the claimed key and the
books commit or roll back together, and a concurrent retry waits on the unique key until then.
"""

from typing import Any

from django.db import IntegrityError, transaction

from koperasi.tenancy.models import Cooperative, IdempotencyRecord


def claim_key(
    *, cooperative: Cooperative, key: str, request_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Claim `key` for a request: (its new record, True), or (the first request's record, False)
    when the key is taken. Inserting first makes a concurrent retry wait on the unique key until
    the first request's transaction ends, and then find its record."""
    if not transaction.get_connection().in_atomic_block:
        # Alone, the claim would commit without the work it stands for, and a retry would be
        # answered with an empty record.
        raise RuntimeError("claim_key must run inside the transaction of the request's work")
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                cooperative=cooperative, key=key, request_hash=request_hash
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(cooperative=cooperative, key=key), False
    return record, True


def store_answer(*, record: IdempotencyRecord, status: int, body: Any) -> None:
    """Keep the answer a retry with the claimed key gets back."""
    record.status_code = status
    record.response_body = body
    record.save(update_fields=["status_code", "response_body"])
