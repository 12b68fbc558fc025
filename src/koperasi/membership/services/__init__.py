"""Writes for joining and leaving: one member at a time (`joining`) and the bulk import."""

from koperasi.membership.services.importer import ImportResult, import_members
from koperasi.membership.services.joining import (
    exit_member,
    outstanding_obligations,
    register_member,
    register_members_bulk,
)

__all__ = [
    "ImportResult",
    "exit_member",
    "import_members",
    "outstanding_obligations",
    "register_member",
    "register_members_bulk",
]
