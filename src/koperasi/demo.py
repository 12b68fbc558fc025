"""The demo cooperative: KSP Kopdit Demo Sejahtera in Maumere, Flores (WITA).

Built only through the services, so the demo books are exactly what real use would produce:
320 members with valid NIKs, twelve months of pokok, wajib (with some arrears) and sukarela
history, a few resignations, a loan book (about 40 % of members borrowing, in every
kolektibilitas class, some restructured, one written off), and the staff and member logins
shown on the login page.
"""

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from koperasi.administration import services as administration
from koperasi.demo_governance import seed_governance
from koperasi.domain.money import round_rupiah
from koperasi.domain.nik import generate_nik
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan, LoanProduct
from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.members.services import MemberInput
from koperasi.membership import services as membership
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsProduct
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative, Role

DEMO_CODE = "demo"
DEMO_PASSWORD = "koperasi-demo"
STAFF = (
    ("admin", Role.ADMIN, "Yosef Mbete"),
    ("manajer", Role.MANAGER, "Paulus Moat Kleden"),
    ("kasir", Role.TELLER, "Maria Goreti Lewa"),
    ("akuntan", Role.ACCOUNTANT, "Agustinus Wara"),
    ("pengawas", Role.SUPERVISOR, "Theresia Nona"),
    ("petugas", Role.LOAN_OFFICER, "Fransiskus Xaverius Moa"),
)

MEN = [
    "Yohanes",
    "Fransiskus",
    "Agustinus",
    "Petrus",
    "Paulus",
    "Antonius",
    "Yosef",
    "Markus",
    "Benediktus",
    "Stefanus",
    "Adrianus",
    "Kornelis",
    "Budi",
    "Agus",
    "Eko",
    "Hendra",
    "Rudi",
    "Wayan",
    "Made",
    "Ahmad",
    "Muhammad",
    "Dedi",
    "Yusuf",
    "Andreas",
    "Simon",
]
WOMEN = [
    "Maria",
    "Theresia",
    "Yuliana",
    "Veronika",
    "Katarina",
    "Elisabeth",
    "Agnes",
    "Margaretha",
    "Fransiska",
    "Siti",
    "Sri",
    "Dewi",
    "Wulan",
    "Ratna",
    "Nur",
    "Yustina",
    "Bernadeta",
    "Rosalia",
    "Kristina",
    "Ani",
    "Lestari",
    "Ketut",
    "Florentina",
]
SURNAMES = [
    "Da Silva",
    "Parera",
    "Fernandez",
    "Mbete",
    "Lewa",
    "Wara",
    "Moa",
    "Nona",
    "Kolo",
    "Sogen",
    "Wungubelen",
    "Lamablawa",
    "Bata",
    "Djawa",
    "Meo",
    "Keupung",
    "Gobang",
    "Rangga",
    "Lopes",
    "Pareira",
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Lado",
]
DISTRICTS = [
    ("01", "Alok"),
    ("02", "Alok Timur"),
    ("03", "Alok Barat"),
    ("04", "Nita"),
    ("05", "Kewapante"),
    ("06", "Lela"),
    ("07", "Paga"),
]
VILLAGES = ["Kota Uneng", "Wairotang", "Beru", "Kabor", "Nangalimang", "Waioti", "Wuring"]
OCCUPATIONS = [
    "Petani",
    "Nelayan",
    "Pedagang",
    "Guru",
    "PNS",
    "Wiraswasta",
    "Penenun ikat",
    "Tukang kayu",
    "Perawat",
    "Sopir",
]


def seed_demo(
    *,
    members_count: int = 320,
    today: dt.date | None = None,
    progress: Callable[[str], None] = print,
) -> Cooperative:
    """Create the demo cooperative once; running it again changes nothing."""
    existing = Cooperative.objects.filter(code=DEMO_CODE).first()
    if existing is not None:
        progress("Demo cooperative already present; nothing to do.")
        return existing
    rng = random.Random(20261122)
    coop = administration.create_cooperative(
        actor=None,
        code=DEMO_CODE,
        name="KSP Kopdit Demo Sejahtera",
        kind=Cooperative.Kind.KSP,
        time_zone=Cooperative.TimeZone.WITA,
        legal_entity_number="AHU-0001234.AH.01.26.TAHUN 2019",
        legal_entity_date=dt.date(2019, 3, 12),
        nik_koperasi="5310010020001",
        address="Jl. Ahmad Yani No. 17, Kota Uneng, Alok, Kabupaten Sikka, Nusa Tenggara Timur",
        pokok_amount=Decimal("100000"),
        wajib_amount=Decimal("25000"),
    )
    User = get_user_model()
    for username, role, full_name in STAFF:
        first, _, last = full_name.partition(" ")
        user = User.objects.create_user(
            username=username, password=DEMO_PASSWORD, first_name=first, last_name=last
        )
        tenancy.add_staff(cooperative=coop, actor=None, user=user, role=role)
    teller = User.objects.get(username="kasir")
    today = today or ledger.business_today(coop)
    start = add_months(today.replace(day=1), -12)
    sukarela = SavingsProduct.objects.get(cooperative=coop, kind="sukarela")
    berjangka = SavingsProduct.objects.get(cooperative=coop, kind="berjangka")
    for n in range(members_count):
        with transaction.atomic():
            _seed_member(coop, teller, rng, n, start, today, sukarela, berjangka)
        if (n + 1) % 50 == 0:
            progress(f"  {n + 1} members with their savings history")
    progress("  loan book")
    _seed_loans(coop, rng, today, progress)
    first = Member.objects.get(cooperative=coop, number="A0001")
    members.create_portal_login(
        cooperative=coop, actor=None, member=first, password=DEMO_PASSWORD, username="A0001"
    )
    progress("  year end, health questionnaire and RAT")
    seed_governance(coop, today)
    # The day-end close starts with last month: a manager closes the days from its first day
    # (catching up), then the month (interest, tax, wajib bills), then the days of this month.
    Cooperative.objects.filter(pk=coop.pk).update(
        days_closed_through=add_months(today.replace(day=1), -1) - dt.timedelta(days=1)
    )
    return coop


def _seed_member(
    coop: Cooperative,
    teller: object,
    rng: random.Random,
    n: int,
    start: dt.date,
    today: dt.date,
    sukarela: SavingsProduct,
    berjangka: SavingsProduct,
) -> None:
    female = rng.random() < 0.52
    first = rng.choice(WOMEN if female else MEN)
    name = f"{first} {rng.choice(SURNAMES)}"
    birth = dt.date(rng.randint(1955, 2004), rng.randint(1, 12), rng.randint(1, 28))
    district_code, district = rng.choice(DISTRICTS)
    # Founders joined before the demo year; others joined during it.
    joined = (
        start - dt.timedelta(days=rng.randint(0, 700))
        if n < 120
        else (start + dt.timedelta(days=rng.randint(0, (today - start).days - 1)))
    )
    member = membership.register_member(
        cooperative=coop,
        actor=teller,
        data=MemberInput(
            name=name,
            nik=generate_nik("53", "10", district_code, "P" if female else "L", birth, n + 1),
            sex="P" if female else "L",
            birth_date=birth,
            birth_place=rng.choice(["Maumere", "Ende", "Larantuka", "Kupang", "Bajawa"]),
            phone=f"08{rng.choice(['12', '13', '21', '52', '53', '81'])}"
            f"{rng.randint(10**7, 10**8 - 1)}",
            address=f"Jl. {rng.choice(['Mawar', 'Melati', 'Kenanga', 'Soekarno', 'Nong Meak'])} "
            f"No. {rng.randint(1, 120)}",
            village=rng.choice(VILLAGES),
            district=district,
            regency="Kabupaten Sikka",
            province="Nusa Tenggara Timur",
            occupation=rng.choice(OCCUPATIONS),
        ),
        joined_on=joined,
    )
    if n % 97 == 96:
        return  # a few recent registrations are applicants who have not paid their pokok yet
    accounts = {
        a.product.kind: a
        for a in SavingsAccount.objects.filter(member=member).select_related("product")
    }
    history_from = max(joined, start)
    key = f"demo-{member.number}"
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=accounts["pokok"].pk,
        amount=coop.pokok_amount,
        idempotency_key=f"{key}-pokok",
        business_date=history_from,
    )
    member.refresh_from_db()
    diligent = rng.random() < 0.8
    saver = rng.random() < 0.7
    sk = None
    if saver:
        sk = savings.open_account(
            cooperative=coop, actor=teller, member=member, product=sukarela, opened_on=history_from
        )
    month = history_from
    i = 0
    while month <= today:
        day = min(month.replace(day=rng.randint(1, 28)), today)
        day = max(day, history_from)
        if diligent or rng.random() < 0.55:
            savings.deposit(
                cooperative=coop,
                actor=teller,
                account_id=accounts["wajib"].pk,
                amount=coop.wajib_amount,
                idempotency_key=f"{key}-w{i}",
                business_date=day,
            )
        if sk is not None:
            amount = Decimal(rng.choice([50, 100, 150, 200, 250, 500, 750, 1000])) * 1000
            savings.deposit(
                cooperative=coop,
                actor=teller,
                account_id=sk.pk,
                amount=amount,
                idempotency_key=f"{key}-s{i}",
                business_date=day,
            )
            if rng.random() < 0.35:
                sk.refresh_from_db()
                take = round_rupiah(sk.balance * Decimal(rng.choice(["0.2", "0.4", "0.6"])))
                if take > 0:
                    savings.withdraw(
                        cooperative=coop,
                        actor=teller,
                        account_id=sk.pk,
                        amount=take,
                        idempotency_key=f"{key}-t{i}",
                        business_date=day,
                    )
        month = add_months(month.replace(day=1), 1)
        i += 1
    if rng.random() < 0.08:
        deposit = savings.open_account(
            cooperative=coop, actor=teller, member=member, product=berjangka, opened_on=history_from
        )
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=deposit.pk,
            amount=Decimal(rng.choice([5, 10, 25])) * 1_000_000,
            idempotency_key=f"{key}-b",
            business_date=history_from,
        )
    if n >= 3 and rng.random() < 0.03:
        # A time deposit not yet matured keeps the membership: then the exit is refused.
        with contextlib.suppress(ServiceError):
            membership.exit_member(
                cooperative=coop,
                actor=teller,
                member=member,
                status=Member.Status.RESIGNED,
                reason="Pindah domisili",
                idempotency_key=f"{key}-exit",
            )


# Repayment behaviour of demo borrowers: (weight, months since the last payment or None for
# paying to date). Stopped payments spread the book over every kolektibilitas class.
BEHAVIOURS = (
    (62, None),  # pays on time
    (10, 1),  # missed the last instalment: Dalam Perhatian Khusus
    (6, 2),
    (6, 4),  # Kurang Lancar
    (5, 7),  # Diragukan
    (6, 10),  # Macet
)


def _seed_loans(
    coop: Cooperative, rng: random.Random, today: dt.date, progress: Callable[[str], None]
) -> None:
    """Loans through the whole workflow, disbursed over the past year and repaid (or not)."""
    staff = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=("petugas", "manajer", "admin", "kasir")
        )
    }
    products = {p.code: p for p in LoanProduct.objects.filter(cooperative=coop)}
    candidates = list(
        Member.objects.filter(
            cooperative=coop,
            status=Member.Status.ACTIVE,
            joined_on__lte=add_months(today, -4),
        ).order_by("pk")
    )
    total_members = Member.objects.filter(cooperative=coop).count()
    borrowers = rng.sample(candidates, min(len(candidates), round(total_members * 0.4)))
    weights = [w for w, _m in BEHAVIOURS]
    made = 0
    for member in borrowers:
        stopped = rng.choices([m for _w, m in BEHAVIOURS], weights)[0]
        code = rng.choices(["PU", "PP", "PD"], [70, 15, 15])[0]
        product = products[code]
        term = rng.choice(
            [t for t in (6, 10, 12, 18, 24) if product.min_term <= t <= product.max_term]
        )
        # Long enough ago for the behaviour to show: a loan stopped 10 months ago is older.
        earliest = (stopped or 0) + 1
        months_ago = rng.randint(earliest, max(earliest, 11))
        if stopped and months_ago > term + stopped:
            months_ago = term + stopped
        disbursed = add_months(today, -months_ago) - dt.timedelta(days=rng.randint(0, 20))
        step = {"PU": 500_000, "PP": 5_000_000, "PD": 250_000}[code]
        principal = Decimal(step * rng.randint(1, 6))
        try:
            with transaction.atomic():
                loan = _demo_loan(
                    coop, member, product, principal, term, disbursed, staff, rng, made
                )
                _demo_repayments(coop, loan, staff["kasir"], today, stopped, rng)
        except ServiceError:
            continue  # e.g. savings too small for the plafond: that member does not borrow
        made += 1
    loans.assess_portfolio(cooperative=coop, actor=None, on=today)
    _demo_workouts(coop, staff)
    progress(f"  {made} loans ({Loan.objects.filter(cooperative=coop).count()} in the book)")


def _demo_loan(
    coop: Cooperative,
    member: Member,
    product: LoanProduct,
    principal: Decimal,
    term: int,
    disbursed: dt.date,
    staff: dict[str, Any],
    rng: random.Random,
    n: int,
) -> Loan:
    officer, teller = staff["petugas"], staff["kasir"]
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=member.pk,
        product_id=product.pk,
        principal=principal,
        term=term,
        purpose=rng.choice(
            [
                "Modal usaha kios",
                "Biaya sekolah anak",
                "Renovasi rumah",
                "Modal tenun ikat",
                "Perahu dan jaring",
                "Pupuk dan bibit",
            ]
        ),
    )
    guarantors = []
    collaterals = []
    if product.requires_collateral:
        collaterals = [
            loans.CollateralInput("bpkb", "BPKB sepeda motor", principal * Decimal("1.2"))
        ]
    if product.min_guarantors:
        guarantor = (
            Member.objects.filter(cooperative=coop, status=Member.Status.ACTIVE)
            .exclude(pk=member.pk)
            .order_by("pk")[n % 50]
        )
        guarantors = [guarantor.pk]
    loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=application.pk,
        monthly_income=Decimal(rng.randint(4, 12) * 1_000_000),
        monthly_expenses=Decimal(rng.randint(1, 3) * 1_000_000),
        note="Usaha berjalan baik; tetangga mengenal baik pemohon.",
        collaterals=collaterals,
        guarantor_ids=guarantors,
    )
    approver, role = (
        (staff["admin"], Role.ADMIN)
        if principal > coop.loan_manager_approval_limit
        else (staff["manajer"], Role.MANAGER)
    )
    loans.approve(cooperative=coop, actor=approver, role=role, application_id=application.pk)
    return loans.disburse(
        cooperative=coop,
        actor=teller,
        application_id=application.pk,
        idempotency_key=f"demo-disburse-{application.pk}",
        business_date_=disbursed,
    )


def _demo_repayments(
    coop: Cooperative,
    loan: Loan,
    teller: Any,
    today: dt.date,
    stopped: int | None,
    rng: random.Random,
) -> None:
    """Pay each instalment near its due date until the behaviour's stop."""
    last_paid = add_months(today, -stopped) if stopped else today
    rows = list(Instalment.objects.filter(loan=loan).order_by("no"))
    for row in rows:
        if row.due_date > last_paid:
            break
        late = rng.choice([0, 0, 0, 0, 1, 2]) if stopped is None else 0
        day = min(row.due_date + dt.timedelta(days=late), today)
        loans.repay(
            cooperative=coop,
            actor=teller,
            loan_id=loan.pk,
            amount=row.payment,
            idempotency_key=f"demo-repay-{loan.pk}-{row.no}",
            business_date_=day,
        )


def _demo_workouts(coop: Cooperative, staff: dict[str, Any]) -> None:
    """Restructure a few loans in trouble; write off one Macet loan and recover part of it."""
    officer, manager, board = staff["petugas"], staff["manajer"], staff["admin"]
    troubled = list(
        Loan.objects.filter(
            cooperative=coop, status=Loan.Status.ACTIVE, collectibility__in=(2, 3)
        ).order_by("pk")[:3]
    )
    for loan in troubled:
        proposal = loans.propose_restructuring(
            cooperative=coop,
            actor=officer,
            loan_id=loan.pk,
            kind="rescheduling",
            new_term=min(loan.term + 6, 36),
            new_rate=loan.rate,
            new_rate_period=loan.rate_period,
            new_method=loan.method,
            reason="Hasil panen gagal; angsuran diperkecil dengan jangka lebih panjang.",
        )
        loans.decide_restructuring(
            cooperative=coop,
            actor=manager,
            role=Role.MANAGER,
            restructuring_id=proposal.pk,
            approve=True,
        )
    macet = (
        Loan.objects.filter(cooperative=coop, status=Loan.Status.ACTIVE, collectibility=5)
        .order_by("pk")
        .first()
    )
    if macet is None:
        return
    request = loans.propose_write_off(
        cooperative=coop,
        actor=officer,
        loan_id=macet.pk,
        reason="Peminjam merantau, tidak dapat dihubungi sejak 10 bulan.",
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=board,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key=f"demo-writeoff-{macet.pk}",
    )
    loans.recover(
        cooperative=coop,
        actor=board,
        loan_id=macet.pk,
        amount=round_rupiah(macet.outstanding_principal / 10) or Decimal("1000"),
        idempotency_key=f"demo-recovery-{macet.pk}",
        note="Keluarga membayar sebagian.",
    )
