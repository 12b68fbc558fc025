"""`entry|audit_action` and `entry|audit_summary`: an audit record as koperasi.web.audit_labels
names it, in the active language (the audit log page and the loan timeline)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from koperasi.audit.models import AuditLog
from koperasi.web import audit_labels

register = template.Library()


@register.filter
def audit_action(entry: AuditLog) -> str | SafeString:
    """The action's name; a code the table does not know is shown as the code, marked."""
    label = audit_labels.action_label(entry.action)
    if label is None:
        return format_html('<code class="audit-unknown">{}</code>', entry.action)
    return label


@register.filter
def audit_summary(entry: AuditLog) -> str:
    return audit_labels.summary(entry)
