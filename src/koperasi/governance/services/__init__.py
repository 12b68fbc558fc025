"""Writes of the members' meeting, split by subject; import them from here."""

from koperasi.governance.services.agenda import (
    add_candidate,
    add_document,
    add_item,
    add_statement,
)
from koperasi.governance.services.decisions import (
    DECISION_KINDS,
    DecisionKind,
    apply_due_decisions,
    describe,
    parse_decision,
    register,
)
from koperasi.governance.services.meetings import (
    announce_meeting,
    close_meeting,
    create_meeting,
    invitation_text,
    open_meeting,
    set_vote_weight,
    sign_minutes,
    update_meeting,
    update_settings,
)
from koperasi.governance.services.voting import (
    ELECTION_VOTE,
    check_in,
    close_item,
    open_item,
    vote,
)

__all__ = [
    "DECISION_KINDS",
    "ELECTION_VOTE",
    "DecisionKind",
    "add_candidate",
    "add_document",
    "add_item",
    "add_statement",
    "announce_meeting",
    "apply_due_decisions",
    "check_in",
    "close_item",
    "close_meeting",
    "create_meeting",
    "describe",
    "invitation_text",
    "open_item",
    "open_meeting",
    "parse_decision",
    "register",
    "set_vote_weight",
    "sign_minutes",
    "update_meeting",
    "update_settings",
    "vote",
]
