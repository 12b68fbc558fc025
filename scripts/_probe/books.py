"""Reads of the database the probe judges by: a cooperative's complete snapshot (every row of
every table that belongs to it), overdrafts, double posts, and `koperasi check`."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

# Columns that change without anyone changing the cooperative's data.
VOLATILE = {"last_used_at", "last_login"}
_SKIP_TARGETS = ("auth.user", "contenttypes.contenttype", "auth.permission", "auth.group")


def _path_to_cooperative(model: Any, depth: int = 3) -> str | None:
    """The lookup from `model` to its cooperative's id, through at most `depth` foreign keys."""
    if model._meta.label_lower == "tenancy.cooperative":
        return "pk"
    if depth == 0:
        return None
    for f in model._meta.concrete_fields:
        if not f.is_relation or f.related_model is None:
            continue
        target = f.related_model._meta.label_lower
        if target == "tenancy.cooperative":
            return f.attname
        if target in _SKIP_TARGETS or f.related_model is model:
            continue
        rest = _path_to_cooperative(f.related_model, depth - 1)
        if rest is not None:
            return f"{f.name}__{rest}"
    return None


def snapshot(coop: Any, user_ids: list[int]) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table that belongs to `coop`, plus its users' rows."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    rows: dict[str, set[tuple[str, ...]]] = {}
    for model in apps.get_models():
        path = _path_to_cooperative(model)
        if path is None:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
        qs = model._default_manager.filter(**{path: coop.pk}).order_by()
        rows[model._meta.label] = {tuple(map(str, r)) for r in qs.values_list(*fields)}
    user_model = get_user_model()
    fields = [f.attname for f in user_model._meta.concrete_fields if f.attname not in VOLATILE]
    users = user_model.objects.filter(pk__in=user_ids).values_list(*fields)
    rows["auth.User"] = {tuple(map(str, r)) for r in users}
    return rows


def differences(before: dict[str, set[Any]], after: dict[str, set[Any]]) -> list[str]:
    """One line per table that changed: rows added and removed (a changed row is both)."""
    lines = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, set()), after.get(table, set())
        if old == new:
            continue
        added, removed = sorted(new - old), sorted(old - new)
        sample = (added or removed)[0]
        lines.append(f"{table}: +{len(added)} -{len(removed)} rows, e.g. {', '.join(sample)[:200]}")
    return lines


def overdrafts() -> list[str]:
    """Savings balances below zero or not equal to Σ of their movements; loans whose
    outstanding principal is negative or not equal to Σ of their principal movements. Summed
    here in Python, independently of the product's own checks."""
    from koperasi.loans.models import Loan, LoanTransaction
    from koperasi.savings.models import SavingsAccount, SavingsTransaction

    problems = []
    moved: dict[int, Decimal] = {}
    for account_id, amount in SavingsTransaction.objects.values_list("account_id", "amount"):
        moved[account_id] = moved.get(account_id, Decimal(0)) + amount
    for pk, code, number, balance in SavingsAccount.objects.values_list(
        "pk", "cooperative__code", "number", "balance"
    ):
        if balance < 0:
            problems.append(f"{code} savings {number} (id {pk}) balance {balance} < 0")
        if balance != moved.get(pk, Decimal(0)):
            problems.append(
                f"{code} savings {number} (id {pk}) balance {balance} != "
                f"Σ movements {moved.get(pk, Decimal(0))}"
            )
    principal: dict[int, Decimal] = {}
    for loan_id, amount in LoanTransaction.objects.values_list("loan_id", "principal"):
        principal[loan_id] = principal.get(loan_id, Decimal(0)) + amount
    for pk, code, number, outstanding in Loan.objects.values_list(
        "pk", "cooperative__code", "number", "outstanding_principal"
    ):
        if outstanding < 0:
            problems.append(f"{code} loan {number} (id {pk}) outstanding {outstanding} < 0")
        if outstanding != principal.get(pk, Decimal(0)):
            problems.append(
                f"{code} loan {number} (id {pk}) outstanding {outstanding} != "
                f"Σ principal movements {principal.get(pk, Decimal(0))}"
            )
    return problems


# Movements each kind of request writes under its key: (table, rows).
EXPECTED = {
    "deposit": ("savings", 1),
    "withdraw": ("savings", 1),
    "transfer": ("savings", 2),
    "repay": ("loan", 1),
}


def double_posts(coop: Any, outcomes: dict[str, list[tuple[str, bool, str]]]) -> list[str]:
    """Keys whose movements do not match the answers: two different requests both accepted
    under one key, more than one posting of a request, a posting for a key every answer
    refused, or none for a request an answer accepted.

    `outcomes`: Idempotency-Key → [(kind, accepted by at least one answer, description)], one
    entry per distinct request sent under the key.
    """
    from koperasi.loans.models import LoanTransaction
    from koperasi.savings.models import SavingsTransaction

    keys = [f"api:{key}" for key in outcomes]
    posted = {
        "savings": Counter(
            SavingsTransaction.objects.filter(
                cooperative=coop, idempotency_key__in=keys
            ).values_list("idempotency_key", flat=True)
        ),
        "loan": Counter(
            LoanTransaction.objects.filter(cooperative=coop, idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        ),
    }
    problems = []
    for key, requests in sorted(outcomes.items()):
        accepted = [r for r in requests if r[1]]
        if len(accepted) > 1:
            problems.append(
                f"key {key!r} accepted (2xx) for {len(accepted)} different requests: "
                + " | ".join(r[2] for r in accepted)
            )
        expected = {"savings": 0, "loan": 0}
        if accepted:
            table, rows = EXPECTED[accepted[0][0]]
            expected[table] = rows
        found = {table: posted[table][f"api:{key}"] for table in expected}
        if found != expected and len(accepted) <= 1:
            verdict = f"accepted: {accepted[0][2]}" if accepted else "refused by every answer"
            problems.append(
                f"key {key!r} ({verdict}) wrote {found['savings']} savings and {found['loan']} "
                f"loan movement(s), expected {expected['savings']} and {expected['loan']}"
            )
    return problems


def run_check() -> tuple[bool, str]:
    """`koperasi check` on every cooperative, as an operator would run it."""
    koperasi = Path(sys.executable).parent / "koperasi"
    done = subprocess.run(
        [str(koperasi), "check"], capture_output=True, text=True, timeout=600, check=False
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()
