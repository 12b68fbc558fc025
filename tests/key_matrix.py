"""What the idempotency-key matrices (API and services) share: the targets their requests
name, built on first use, and the state a refused request must leave as it was."""

from typing import Any

from koperasi.audit.models import AuditLog
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import IdempotencyRecord, Role
from tests.api.loans.book import everything, macet_loan, make_borrower, make_product
from tests.conftest import make_user, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

KEY = "satu-kunci"
# The clear message of a refused key, in the default language.
REUSED = "Kunci idempotensi ini sudah dipakai untuk permintaan lain."


class Targets:
    """The cooperative's staff and whatever the requests name, each built once on first use.

    Member A's `sukarela` and `wajib`, member B's `sukarela_b` and `wajib_b`; for A, a deposit
    to reverse (`deposit…`), approved applications (`application…`), loans disbursed today
    (`loan_…`), the payoff total of a loan (`quote_<loan name without loan_>`), a repayment on
    a loan of its own (`repayment…`), a write-off proposal on a Macet loan (`write_off…`) and
    a written-off loan (`written_off…`).
    """

    def __init__(self, coop, teller, admin):
        self.coop = coop
        self.users = {
            "teller": teller,
            "admin": admin,
            "officer": make_user("petugas", coop, Role.LOAN_OFFICER),
            "manager": make_user("manajer", coop, Role.MANAGER),
        }
        self.product = make_product(coop, admin)
        self.built: dict[str, Any] = {}
        self.members: dict[str, Any] = {}

    def member(self, which: str):
        if which not in self.members:
            self.members[which] = make_borrower(self.coop, self.users["teller"])
        return self.members[which]

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            self.built[name] = self._build(name)
        return self.built[name]

    def _build(self, name: str) -> Any:
        coop, u = self.coop, self.users
        kind = name.removesuffix("_b")
        member = self.member("b" if kind != name and kind in ("sukarela", "wajib") else "a")
        if kind == "sukarela":
            return sukarela_account(coop, member).pk
        if kind == "wajib":
            return SavingsAccount.objects.get(member=member, product__kind="wajib").pk
        if kind.startswith("quote_"):
            loan_id = self["loan_" + name.removeprefix("quote_")]
            return f"{loans.settlement_quote(cooperative=coop, loan_id=loan_id).total:.2f}"
        if kind.startswith("deposit"):
            return savings.deposit(
                cooperative=coop, actor=u["teller"], account_id=self["sukarela"],
                amount="40000", idempotency_key=f"setup-{name}",
            ).pk  # fmt: skip
        args = (coop, member, self.product, u["officer"], u["manager"])
        today = business_today(coop)
        if kind.startswith("application"):
            return approved_application(*args).pk
        if kind.startswith("loan_"):
            return disbursed_loan(*args, u["teller"], on=today).pk
        if kind.startswith("repayment"):
            loan = disbursed_loan(*args, u["teller"], on=today)
            return loans.repay(
                cooperative=coop, actor=u["teller"], loan_id=loan.pk, amount="118000",
                idempotency_key=f"setup-{name}",
            ).pk  # fmt: skip
        macet = macet_loan(coop, member, self.product, u["officer"], u["manager"], u["teller"])
        proposal = loans.propose_write_off(
            cooperative=coop, actor=u["officer"], loan_id=macet.pk, reason="Tidak tertagih"
        )
        if kind.startswith("write_off"):
            return proposal.pk
        assert kind.startswith("written_off"), name
        loans.decide_write_off(
            cooperative=coop, actor=u["admin"], role=Role.ADMIN, request_id=proposal.pk,
            approve=True, idempotency_key=f"setup-{name}",
        )  # fmt: skip
        return macet.pk

    def fill(self, value: Any) -> Any:
        """`value` with each `"{name}"` string replaced by that target."""
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return self[value[1:-1]]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


def state():
    """The books, the loan sub-ledger, the API's records and the audit log."""
    return everything(), IdempotencyRecord.objects.count(), AuditLog.objects.count()


def ran_in_one_statement(queries, function: str) -> bool:
    """The captured queries called `function` and posted nothing the ordinary way."""
    sql = [q["sql"] for q in queries.captured_queries]
    return any(f"{function}(" in s for s in sql) and not any(
        "INSERT INTO ledger_journalentry" in s for s in sql
    )
