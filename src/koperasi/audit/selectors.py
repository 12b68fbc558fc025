from django.db.models import QuerySet

from koperasi.audit.models import AuditLog


def audit_log(*, cooperative: object, action: str = "") -> QuerySet[AuditLog]:
    qs = AuditLog.objects.filter(cooperative=cooperative).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    return qs.order_by("-id")
