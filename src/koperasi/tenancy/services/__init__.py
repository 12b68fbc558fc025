"""Writes for tenants, split by subject; import them from here."""

from koperasi.tenancy.services.cooperatives import (
    REGULATORY_LOAN_RATE_CAP,
    REGULATORY_SAVINGS_RATE_CAP,
    SETTINGS_FIELDS,
    SettingsCheck,
    create_cooperative_record,
    jsonable,
    parse_percent,
    update_cooperative,
)
from koperasi.tenancy.services.staff import (
    add_staff,
    create_staff_user,
    reset_staff_password,
    set_staff_active,
    set_staff_role,
)
from koperasi.tenancy.services.tokens import hash_token, issue_token, revoke_token

__all__ = [
    "REGULATORY_LOAN_RATE_CAP",
    "REGULATORY_SAVINGS_RATE_CAP",
    "SETTINGS_FIELDS",
    "add_staff",
    "SettingsCheck",
    "create_cooperative_record",
    "create_staff_user",
    "hash_token",
    "issue_token",
    "jsonable",
    "parse_percent",
    "reset_staff_password",
    "revoke_token",
    "set_staff_active",
    "set_staff_role",
    "update_cooperative",
]
