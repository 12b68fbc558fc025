"""The demo cooperative: KSP Kopdit Demo Sejahtera in Maumere, Flores (WITA).

Built only through the services, so the demo books are exactly what real use would produce:
320 members with valid NIKs, twelve months of pokok, wajib (with some arrears) and sukarela
history, a few resignations, and the staff and member logins shown on the login page.
"""

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from koperasi.domain.nik import generate_nik
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.members.services import MemberInput
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsProduct
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative, Role

DEMO_CODE = "demo"
DEMO_PASSWORD = "koperasi-demo"
STAFF = (
    ("admin", Role.ADMIN, "Yosef Mbete"),
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
    coop = tenancy.create_cooperative(
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
    first = Member.objects.get(cooperative=coop, number="A0001")
    members.create_portal_login(
        cooperative=coop, actor=None, member=first, password=DEMO_PASSWORD, username="A0001"
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
    member = members.register_member(
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
                take = (sk.balance * Decimal(rng.choice(["0.2", "0.4", "0.6"]))).quantize(
                    Decimal("1000")
                )
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
            members.exit_member(
                cooperative=coop,
                actor=teller,
                member=member,
                status=Member.Status.RESIGNED,
                reason="Pindah domisili",
                idempotency_key=f"{key}-exit",
            )
