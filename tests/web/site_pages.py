"""Every page of the site, with the data it needs: a cooperative with staff of each role, a
member with savings, a portal login, loans in each stage, a document and a close run.

`every_page(world)` lists each page a browser can GET (as the user who opens it); every other
URL pattern is named in NOT_PAGES with the reason, and `unlisted_patterns` finds a new one that
is in neither, so a new page cannot escape the checks built on this list.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from koperasi.cashdesk import services as cashdesk
from koperasi.closing import services as closing
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans import services as loans
from koperasi.loans.models import LoanTransaction
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsProduct
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user, sukarela_account
from tests.loans.conftest import analysed_application, disbursed_loan

PORTAL_PASSWORD = "tenun-ikat-sikka-88"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# URL names that are not pages: forms post to them (a GET answers 405 or redirects).
NOT_PAGES = {
    "logout": "POST only",
    "set_language": "POST only",
    "members:exit": "form action",
    "members:portal_login": "form action",
    "savings:reverse": "form action",
    "ledger:reverse_entry": "form action",
    "lending:analyse": "form action",
    "lending:upload": "form action",
    "lending:approve": "form action",
    "lending:reject": "form action",
    "lending:disburse": "form action",
    "lending:reverse": "form action",
    "lending:repay": "form action",
    "lending:payoff": "form action",
    "lending:assess": "form action",
    "lending:collection_note": "form action",
    "lending:recover": "form action",
    "lending:restructure": "form action",
    "lending:restructure_decide": "form action",
    "lending:write_off": "form action",
    "lending:write_off_decide": "form action",
    "settings:staff_role": "form action",
    "settings:staff_active": "form action",
    "settings:staff_password": "form action",
    "settings:token_revoke": "form action",
    "portal_token_revoke": "form action",
    "closing:close_day": "form action",
    "reports:set_account_line": "form action",
    # A closed year is needed: tests/shu/test_simulation.py opens it and checks its language.
    "shu:proposal": "page of a closed year",
    "shu:distribute": "form action",
    # A distributed year is needed: tests/shu/test_payment_pages.py opens these (language,
    # PDF, XLSX, refusals), tests/e2e/test_shu_pages.py at 390 px.
    "shu:distribution": "page of a distributed year",
    "shu:distribution_pdf": "PDF of a distributed year",
    "shu:distribution_xlsx": "XLSX of a distributed year",
    "shu:pay_savings": "form action",
    "shu:pay_cash": "form action",
    "shu:cash_receipt": "receipt of a share paid in cash",
    "shu:cash_receipt_pdf": "receipt of a share paid in cash",
    "portal_shu_pdf": "a closed year's slip: tests/shu/test_simulation.py opens it",
    "closing:close_month": "form action",
    "cashdesk:submit": "form action",
    "cashdesk:approve": "form action",
    "cashdesk:reject": "form action",
    "rat:announce": "form action",
    "rat:open": "form action",
    "rat:close": "form action",
    "rat:sign": "form action",
    "rat:apply": "form action",
    "rat:check_in": "form action",
    "rat:add_item": "form action",
    "rat:add_document": "form action",
    "rat:add_statement": "form action",
    "rat:add_candidate": "form action",
    "rat:open_item": "form action",
    "rat:close_item": "form action",
    "myrat:check_in": "form action",
    "myrat:vote": "form action",
}


@dataclass
class World:
    coop: Any
    users: dict[str, Any]  # by role, plus "member" (the portal login)
    member: Any
    account: Any
    deposit: Any
    loan: Any
    open_application: Any
    document: Any
    run: Any
    count: Any = None  # the teller's cash count of the day
    rat: Any = None  # (announced meeting, closed meeting, uploaded document)


@dataclass(frozen=True)
class Page:
    name: str  # the URL name
    url: str
    user: str  # a key of World.users, or "" for a visitor who is not logged in
    html: bool = True  # False: a download (PDF, XLSX, CSV)


def build_world(tmp_media) -> World:
    from tests.conftest import make_coop

    coop = make_coop(code="flores", name="KSP Kopdit Flores")
    users = {
        role: make_user(f"staf-{role}", coop, role)
        for role in (
            Role.ADMIN,
            Role.MANAGER,
            Role.TELLER,
            Role.LOAN_OFFICER,
            Role.ACCOUNTANT,
            Role.SUPERVISOR,
        )
    }
    admin, teller = users[Role.ADMIN], users[Role.TELLER]
    # Works in two cooperatives: the home page asks where.
    users["two-coops"] = make_user("staf-dua", coop, Role.SUPERVISOR)
    tenancy.add_staff(
        cooperative=make_coop(code="lain", name="KSP Lain"),
        actor=None,
        user=users["two-coops"],
        role=Role.SUPERVISOR,
    )
    member = make_member(coop, teller, name="Maria Goreti Lewa")
    member.joined_on = dt.date(2024, 6, 1)
    member.save(update_fields=["joined_on"])
    account = sukarela_account(coop, member, teller)
    deposit = savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("2000000"),
        idempotency_key="pages-fund",
    )
    users["member"] = members.create_portal_login(
        cooperative=coop, actor=None, member=member, password=PORTAL_PASSWORD, username="maria"
    )
    product = loans.create_product(
        cooperative=coop,
        actor=admin,
        code="UJI",
        name="Pinjaman Uji",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=1,
        max_term=24,
        min_principal=Decimal("100000"),
        max_principal=Decimal("20000000"),
        admin_fee=Decimal("10000"),
    )
    officer, manager = users[Role.LOAN_OFFICER], users[Role.MANAGER]
    loan = disbursed_loan(
        coop, member, product, officer, manager, teller, on=ledger.business_today(coop)
    )
    borrower = make_member(coop, teller)
    borrower.joined_on = dt.date(2024, 6, 1)
    borrower.save(update_fields=["joined_on"])
    open_application = analysed_application(coop, borrower, product, officer)
    document = loans.add_document(
        cooperative=coop,
        actor=officer,
        application_id=open_application.pk,
        title="KTP",
        upload=SimpleUploadedFile("ktp.pdf", PDF, content_type="application/pdf"),
    )
    count = cashdesk.submit_count(
        cooperative=coop,
        actor=teller,
        teller_id=teller.pk,
        business_date=ledger.business_today(coop),
        counted=Decimal("1950000"),
        pieces={},
        idempotency_key="pages-count",
    )
    rat = rat_meetings(coop, manager, member)
    run = closing.start_day_close(cooperative=coop, actor=admin)
    return World(
        coop, users, member, account, deposit, loan, open_application, document, run, count, rat
    )


def rat_meetings(coop: Any, manager: Any, member: Any) -> tuple[Any, Any, Any]:
    """An announced RAT (agenda with a statement, a PDF and an election) and a closed one."""
    from django.utils import timezone

    from koperasi.governance import services as rat

    def planned(year: int, kind: str = "annual") -> Any:
        meeting = rat.create_meeting(
            cooperative=coop,
            actor=manager,
            kind=kind,
            financial_year=year,
            starts_at=timezone.now() + dt.timedelta(days=2),
            mode="hybrid",
            place="Aula Koperasi",
            online_link="https://meet.example/rat",
        )
        item = rat.add_item(
            cooperative=coop,
            actor=manager,
            meeting_id=meeting.pk,
            title="Pengesahan laporan keuangan",
            kind="motion",
            decision_kind="wajib_amount",
            decision_value="60.000",
            effective_on=timezone.localdate() + dt.timedelta(days=30),
        )
        return meeting, item

    year = timezone.localdate().year - 1
    meeting, item = planned(year)
    rat.add_statement(cooperative=coop, actor=manager, item_id=item.pk, statement="position")
    document = rat.add_document(
        cooperative=coop,
        actor=manager,
        item_id=item.pk,
        title="Laporan pengurus",
        upload=SimpleUploadedFile("lpj.pdf", PDF, content_type="application/pdf"),
    )
    election = rat.add_item(
        cooperative=coop,
        actor=manager,
        meeting_id=meeting.pk,
        title="Pemilihan pengawas",
        kind="election",
        office="pengawas",
        seats=1,
    )
    rat.add_candidate(cooperative=coop, actor=manager, item_id=election.pk, member_id=member.pk)
    rat.announce_meeting(
        cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url="http://x/"
    )
    closed, closed_item = planned(year, kind="extraordinary")
    rat.announce_meeting(
        cooperative=coop, actor=manager, meeting_id=closed.pk, portal_url="http://x/"
    )
    rat.open_meeting(cooperative=coop, actor=manager, meeting_id=closed.pk)
    rat.check_in(
        cooperative=coop, actor=None, meeting_id=closed.pk, member=member, channel="online"
    )
    rat.open_item(cooperative=coop, actor=manager, item_id=closed_item.pk)
    rat.vote(cooperative=coop, member=member, item_id=closed_item.pk, choice="agree")
    rat.close_item(cooperative=coop, actor=manager, item_id=closed_item.pk)
    rat.close_meeting(cooperative=coop, actor=manager, meeting_id=closed.pk)
    return meeting, closed, document


def every_page(world: World) -> list[Page]:
    coop, code = world.coop, world.coop.code
    loan, txn = world.loan, world.deposit
    application = world.loan.application
    savings_product = SavingsProduct.objects.filter(cooperative=coop).first()
    disbursement = LoanTransaction.objects.get(loan=loan, kind="disbursement")
    today = ledger.business_today(coop)
    admin = Role.ADMIN

    def staff(name: str, user: str = admin, html: bool = True, **kwargs: Any) -> Page:
        return Page(name, reverse(name, kwargs={"code": code, **kwargs}), user, html)

    def portal(name: str, **kwargs: Any) -> Page:
        return Page(name, reverse(name, kwargs=kwargs), "member")

    return [
        Page("login", reverse("login"), ""),
        Page("home", reverse("home"), "two-coops"),
        Page("loans:simulator", reverse("loans:simulator", kwargs={"code": code}), ""),
        Page("api-v1:openapi-view", reverse("api-v1:openapi-view"), ""),  # Swagger UI
        staff("dashboard"),
        staff("members:list"),
        staff("members:list_xlsx", html=False),
        staff("members:register"),
        staff("members:import"),
        staff("members:import_template", html=False),
        staff("members:detail", member_id=world.member.pk),
        staff("members:edit", member_id=world.member.pk),
        staff("savings:teller"),
        Page(
            "savings:teller",
            reverse("savings:teller", kwargs={"code": code}) + f"?member={world.member.pk}",
            admin,
        ),
        staff("savings:accounts"),
        staff("savings:accounts_xlsx", html=False),
        staff("savings:account", account_id=world.account.pk),
        staff("savings:statement_xlsx", html=False, account_id=world.account.pk),
        staff("savings:statement_pdf", html=False, account_id=world.account.pk),
        staff("savings:receipt", txn_id=txn.pk),
        staff("savings:receipt_pdf", html=False, txn_id=txn.pk),
        staff("ledger:accounts"),
        staff("ledger:account", account_code="1101"),
        staff("ledger:trial_balance"),
        staff("ledger:trial_balance_xlsx", html=False),
        staff("ledger:journal"),
        staff("ledger:journal_xlsx", html=False),
        staff("ledger:new_entry"),
        staff("ledger:entry", entry_id=JournalEntry.objects.filter(cooperative=coop).first().pk),
        staff("ledger:close"),
        staff("lending:portfolio"),
        staff("lending:portfolio_xlsx", html=False),
        staff("lending:portfolio_summary"),
        staff("lending:queue"),
        staff("lending:apply"),
        staff("lending:application", application_id=application.pk),
        staff("lending:application", application_id=world.open_application.pk),
        staff("lending:document", html=False, document_id=world.document.pk),
        staff("lending:products"),
        staff("lending:product_new"),
        staff("lending:product_edit", product_id=loan.product_id),
        staff("lending:loan", loan_id=loan.pk),
        staff("lending:receipt", txn_id=disbursement.pk),
        staff("lending:receipt_pdf", html=False, txn_id=disbursement.pk),
        staff("loandocs:agreement", html=False, loan_id=loan.pk),
        staff("loandocs:card", html=False, loan_id=loan.pk),
        staff("loandocs:payroll"),
        staff("reports:index"),
        *[
            staff(f"reports:{kind}{suffix}", html=not suffix)
            for kind in ("position", "activity", "equity", "cash_flow", "notes")
            for suffix in ("", "_pdf", "_xlsx")
        ],
        staff("reports:account_lines"),
        staff("reports:health"),
        staff("reports:health_pdf", html=False),
        staff("reports:health_xlsx", html=False),
        staff("reports:health_questionnaire"),
        staff("reports:health_weights"),
        staff("reports:ods"),
        staff("reports:ods_xlsx", html=False),
        staff("reports:ods_csv", html=False),
        staff("member_annual", member_id=world.member.pk),
        staff("member_annual_pdf", html=False, member_id=world.member.pk),
        *(
            page
            for name in ("quality", "arrears", "flows", "officers", "maturity")
            for page in (
                staff(f"reports:portfolio_{name}"),
                staff(f"reports:portfolio_{name}_xlsx", html=False),
                staff(f"reports:portfolio_{name}_pdf", html=False),
            )
        ),
        staff("reports:savings_products"),
        *(
            Page(name, reverse(name, kwargs={"code": code}) + f"?format={fmt}", admin, False)
            for name in (
                "reports:savings_products",
                "reports:savings_members",
                "reports:savings_movements",
                "reports:wajib_arrears",
                "reports:savings_interest",
                "cashdesk:office",
            )
            for fmt in ("xlsx", "pdf")
            if (name, fmt) != ("cashdesk:office", "pdf")
        ),
        staff("reports:savings_members"),
        staff("reports:savings_movements"),
        staff("reports:wajib_arrears"),
        staff("reports:savings_interest"),
        staff("cashdesk:mine", Role.TELLER),
        staff("cashdesk:office"),
        staff("cashdesk:teller", user_id=world.users[Role.TELLER].pk),
        staff("cashdesk:day_book"),
        staff("cashdesk:count", count_id=world.count.pk),
        staff("cashdesk:count", Role.TELLER, count_id=world.count.pk),
        staff("cashdesk:count_pdf", html=False, count_id=world.count.pk),
        staff("audit_log"),
        staff("audit_log_xlsx", html=False),
        staff("settings:settings"),
        staff("settings:staff"),
        staff("settings:tokens"),
        staff("settings:products"),
        staff("settings:product_edit", product_id=savings_product.pk),
        staff("settings:account_edit", account_code="1101"),
        staff("closing:close"),
        staff("closing:run", run_id=world.run.pk),
        staff("closing:run_progress", run_id=world.run.pk),
        staff("closing:history"),
        staff("shu:year_close"),
        staff("shu:settings"),
        staff("closing:withholding", year=today.year, month=today.month),
        portal("portal_home"),
        portal("portal_statement", account_id=world.account.pk),
        Page(
            "portal_statement_pdf",
            reverse("portal_statement_pdf", kwargs={"account_id": world.account.pk}),
            "member",
            html=False,
        ),
        portal("portal_annual"),
        Page("portal_annual_pdf", reverse("portal_annual_pdf"), "member", html=False),
        portal("portal_profile"),
        portal("portal_shu"),
        portal("portal_loan_simulator"),
        portal("portal_interest_simulation"),
        portal("myloans:list"),
        portal("myloans:detail", loan_id=loan.pk),
        portal("myloans:apply"),
        portal("myloans:application", application_id=application.pk),
        portal("myloans:receipt", txn_id=disbursement.pk),
        Page(
            "myloans:receipt_pdf",
            reverse("myloans:receipt_pdf", kwargs={"txn_id": disbursement.pk}),
            "member",
            html=False,
        ),
        staff("rat:list"),
        staff("rat:new"),
        staff("rat:settings"),
        staff("rat:meeting", meeting_id=world.rat[0].pk),
        staff("rat:meeting", Role.TELLER, meeting_id=world.rat[0].pk),
        staff("rat:meeting", meeting_id=world.rat[1].pk),
        staff("rat:edit", meeting_id=world.rat[0].pk),
        staff("rat:quorum", meeting_id=world.rat[0].pk),
        staff("rat:attendance", meeting_id=world.rat[1].pk),
        staff("rat:document", html=False, document_id=world.rat[2].pk),
        staff("rat:minutes_pdf", html=False, meeting_id=world.rat[1].pk),
        portal("myrat:index"),
        portal("myrat:meeting", meeting_id=world.rat[0].pk),
        portal("myrat:meeting", meeting_id=world.rat[1].pk),
        portal("myrat:quorum", meeting_id=world.rat[0].pk),
        Page(
            "myrat:document",
            reverse("myrat:document", kwargs={"document_id": world.rat[2].pk}),
            "member",
            html=False,
        ),
        Page(
            "myrat:minutes_pdf",
            reverse("myrat:minutes_pdf", kwargs={"meeting_id": world.rat[1].pk}),
            "member",
            html=False,
        ),
        Page("password_change", reverse("password_change"), admin),
        portal("password_change"),
    ]


def _named_patterns(resolver: URLResolver, namespace: str = "") -> list[str]:
    names: list[str] = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(namespace + pattern.name)
    return names


def unlisted_patterns(pages: list[Page]) -> set[str]:
    """Named page routes (the API excepted) that are neither in `pages` nor in NOT_PAGES."""
    every = {n for n in _named_patterns(get_resolver()) if not n.startswith("api-v1:")}
    return every - {p.name for p in pages} - set(NOT_PAGES)
