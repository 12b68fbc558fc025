"""The only writer of the audit log. Called by every service that changes data."""

from typing import Any

from koperasi.audit.context import client_ip
from koperasi.audit.models import AuditLog

# client_ip: the request's address, for writers that fill the audit row in SQL themselves.
__all__ = ["client_ip", "record"]


def record(
    *,
    cooperative: Any,
    actor: Any,
    action: str,
    obj: Any = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditLog:
    return AuditLog.objects.create(
        cooperative=cooperative,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        data=data or {},
        ip_address=client_ip.get(),
    )
