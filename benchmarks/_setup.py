"""Shared set-up for the benchmarks: a throw-away PostgreSQL database and fast synthetic members.

Members are written with PostgreSQL COPY, not through `register_member`: a million members through
the service would take hours, and the benchmarks measure postings and search, not registration.
The rows are nevertheless valid (well-formed NIKs unique per cooperative, E.164 phones, active
status, joined_on set), so every service and selector accepts them.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Iterator
from typing import Any

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
BENCH_DB = "koperasi_bench"
PGBENCH_DB = "pgbench_bench"
PORTFOLIO_DB = "bench_portfolio"  # benchmarks/reports_portfolio.py
RAT_DB = "bench_rat"  # benchmarks/rat_votes.py
DATABASES = (BENCH_DB, PGBENCH_DB, PORTFOLIO_DB, RAT_DB)

# fmt: off
MEN = ["Budi", "Agus", "Eko", "Hendra", "Rudi", "Ahmad", "Muhammad", "Dedi", "Yusuf", "Andreas",
       "Yohanes", "Fransiskus", "Petrus", "Paulus", "Antonius", "Yosef", "Wayan", "Made", "Joko",
       "Bambang", "Slamet", "Teguh", "Rizki", "Fajar", "Imam", "Arif", "Hadi", "Dimas", "Yanto",
       "Supriyadi"]
WOMEN = ["Siti", "Sri", "Dewi", "Wulan", "Ratna", "Nur", "Maria", "Theresia", "Yuliana", "Agnes",
         "Ani", "Lestari", "Ketut", "Rina", "Fitri", "Indah", "Putri", "Wati", "Kartini", "Endang",
         "Yuni", "Rahmawati", "Suryani", "Ayu", "Nurul", "Dian", "Novi", "Lina", "Eka", "Tuti"]
MIDDLE = ["Nur", "Dwi", "Tri", "Adi", "Eka", "Aji", "Ayu", "Sari", "Putra", "Putri", "Indah",
          "Budi", "Rahma", "Dewi", "Wahyu"]
SURNAMES = ["Santoso", "Wijaya", "Saputra", "Hidayat", "Setiawan", "Kurniawan", "Pratama",
            "Siregar", "Nasution", "Lubis", "Harahap", "Simanjuntak", "Situmorang", "Sinaga",
            "Tambunan", "Gultom", "Hutapea", "Pardede", "Sitompul", "Panjaitan", "Parera", "Mbete",
            "Lewa", "Wara", "Moa", "Kolo", "Sogen", "Djawa", "Meo", "Lopes", "Fernandez",
            "Da Silva", "Gunawan", "Susanto", "Halim", "Salim", "Hakim", "Rahman", "Syahputra",
            "Firmansyah", "Permana", "Sulistyo", "Purnomo", "Wibowo", "Nugroho", "Prasetyo",
            "Utomo", "Suharto", "Sutanto", "Kusuma", "Wahyudi", "Hartono", "Tanjung", "Ginting",
            "Tarigan", "Sembiring", "Manurung", "Sihombing", "Rangkuti", "Daulay"]
# A long tail of surnames made of syllables, so rare name fragments exist as in real registers.
SYLLABLES = ["ba", "bu", "da", "di", "ga", "gu", "ja", "ka", "ke", "ko", "la", "li", "lo", "ma",
             "mi", "na", "ni", "nga", "nyo", "pa", "po", "ra", "ri", "ru", "sa", "si", "su", "ta",
             "ti", "tu", "wa", "wi", "ya", "yu", "har", "man", "tan", "wan", "din", "ran"]
# (province, regency, district codes, district name, regency name, province name)
REGIONS = [
    ("32", "01", "01", "Cibinong", "Kabupaten Bogor", "Jawa Barat"),
    ("32", "01", "02", "Gunung Putri", "Kabupaten Bogor", "Jawa Barat"),
    ("32", "73", "05", "Coblong", "Kota Bandung", "Jawa Barat"),
    ("32", "73", "11", "Sukajadi", "Kota Bandung", "Jawa Barat"),
    ("33", "74", "01", "Semarang Tengah", "Kota Semarang", "Jawa Tengah"),
    ("33", "72", "03", "Laweyan", "Kota Surakarta", "Jawa Tengah"),
    ("35", "78", "04", "Tegalsari", "Kota Surabaya", "Jawa Timur"),
    ("35", "07", "12", "Singosari", "Kabupaten Malang", "Jawa Timur"),
    ("34", "71", "02", "Gondokusuman", "Kota Yogyakarta", "DI Yogyakarta"),
    ("51", "71", "01", "Denpasar Selatan", "Kota Denpasar", "Bali"),
    ("53", "10", "01", "Alok", "Kabupaten Sikka", "Nusa Tenggara Timur"),
    ("53", "10", "04", "Nita", "Kabupaten Sikka", "Nusa Tenggara Timur"),
    ("53", "71", "02", "Oebobo", "Kota Kupang", "Nusa Tenggara Timur"),
    ("73", "71", "07", "Panakkukang", "Kota Makassar", "Sulawesi Selatan"),
    ("12", "71", "10", "Medan Baru", "Kota Medan", "Sumatera Utara"),
    ("12", "12", "01", "Balige", "Kabupaten Toba", "Sumatera Utara"),
    ("16", "71", "03", "Ilir Barat I", "Kota Palembang", "Sumatera Selatan"),
    ("64", "72", "01", "Samarinda Ulu", "Kota Samarinda", "Kalimantan Timur"),
    ("81", "71", "02", "Sirimau", "Kota Ambon", "Maluku"),
    ("94", "71", "01", "Jayapura Utara", "Kota Jayapura", "Papua"),
]
VILLAGES = ["Sukamaju", "Sukajaya", "Mekarsari", "Sidomulyo", "Karanganyar", "Tanjung Sari",
            "Kota Uneng", "Wairotang", "Beru", "Kabor", "Margahayu", "Cijantung"]
OCCUPATIONS = ["Petani", "Nelayan", "Pedagang", "Guru", "PNS", "Wiraswasta", "Buruh",
               "Karyawan swasta", "Penenun ikat", "Sopir", "Perawat", "Ibu rumah tangga"]
PHONE_PREFIXES = ["811", "812", "813", "821", "822", "852", "853", "857", "858", "877", "878",
                  "881", "895", "896"]
MEMBER_COLUMNS = (
    "cooperative_id", "number", "name", "nik", "sex", "birth_place", "birth_date", "phone",
    "address", "village", "district", "regency", "province", "occupation", "status",
    "joined_on", "exit_reason", "nik_warnings", "created_at", "office", "email",
)
# fmt: on


def server_url(db: str) -> str:
    return f"{PG_SERVER}/{db}"


def recreate_database(name: str) -> None:
    """Drop (if present) and create a database; only ever the benchmark's own databases."""
    import psycopg

    assert name in DATABASES, name
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    assert name in DATABASES, name
    with psycopg.connect(server_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_environment(db: str = BENCH_DB) -> str:
    """Environment for Django in this process and every process started from it. Returns home."""
    home = tempfile.mkdtemp(prefix="koperasi-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="koperasi.settings",
        DATABASE_URL=server_url(db),
        KOPERASI_HOME=home,
        # Fixed, so concurrent processes never race to generate the key file.
        SECRET_KEY="benchmark-only-secret-key-" + "x" * 40,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        AXES_DISABLED="1",
        LOG_LEVEL="ERROR",
    )
    return home


def setup_django() -> None:
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def create_cooperative(code: str = "bench") -> Any:
    from koperasi.administration import services as administration

    return administration.create_cooperative(actor=None, code=code, name="KSP Benchmark Sejahtera")


def member_number(i: int) -> str:
    return f"A{i:07d}"


class MemberFactory:
    """Deterministic synthetic members; NIKs stay unique across calls (top-ups) of one factory."""

    def __init__(self, seed: int = 20261122) -> None:
        self.rng = random.Random(seed)
        self.niks: set[str] = set()
        rng = random.Random(seed + 1)
        self.tail_surnames = [
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()
            for _ in range(5000)
        ]

    def _nik(self, region: tuple[str, ...], sex: str, born: dt.date) -> str:
        from koperasi.domain.nik import generate_nik

        while True:
            nik = generate_nik(
                region[0], region[1], region[2], sex, born, self.rng.randint(1, 9999)
            )
            if nik not in self.niks:
                self.niks.add(nik)
                return nik

    def _name(self, sex: str) -> str:
        rng = self.rng
        parts = [rng.choice(MEN if sex == "L" else WOMEN)]
        if rng.random() < 0.3:
            parts.append(rng.choice(MIDDLE))
        r = rng.random()
        if r < 0.6:
            parts.append(rng.choice(SURNAMES))
        elif r < 0.9:
            parts.append(rng.choice(self.tail_surnames))
        return " ".join(parts)

    def rows(self, cooperative_id: int, start: int, count: int) -> Iterator[tuple[Any, ...]]:
        """COPY rows for members number start … start+count-1."""
        rng = self.rng
        now = dt.datetime.now(dt.UTC)
        today = dt.date.today()
        for i in range(start, start + count):
            sex = "L" if rng.random() < 0.5 else "P"
            region = rng.choice(REGIONS)
            born = today - dt.timedelta(days=rng.randint(18 * 365, 70 * 365))
            joined = today - dt.timedelta(days=rng.randint(0, 15 * 365))
            phone = "+62" + rng.choice(PHONE_PREFIXES) + str(rng.randint(10_000_000, 99_999_999))
            yield (
                cooperative_id,
                member_number(i),
                self._name(sex),
                self._nik(region, sex, born),
                sex,
                region[4].removeprefix("Kabupaten ").removeprefix("Kota "),
                born,
                phone,
                f"Jl. {rng.choice(VILLAGES)} No. {rng.randint(1, 200)}",
                rng.choice(VILLAGES),
                region[3],
                region[4],
                region[5],
                rng.choice(OCCUPATIONS),
                "active",
                joined,
                "",
                "[]",
                now,
                "",  # office: not on the board or the supervisory board
                "",  # email
            )


def copy_members(factory: MemberFactory, cooperative: Any, start: int, count: int) -> float:
    """Insert members with COPY; returns seconds. Keeps the cooperative's number sequence right."""
    from django.db import connection, transaction

    from koperasi.tenancy.models import Cooperative

    t0 = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(MEMBER_COLUMNS)
        with cursor.cursor.copy(f"COPY members_member ({columns}) FROM STDIN") as copy:
            for row in factory.rows(cooperative.pk, start, count):
                copy.write_row(row)
        Cooperative.objects.filter(pk=cooperative.pk).update(member_seq=start + count - 1)
    return time.monotonic() - t0


def create_sukarela_accounts(cooperative: Any, count: int) -> list[int]:
    """One sukarela account (balance 0, no movements yet) for the first `count` members."""
    from django.db import connection, transaction

    from koperasi.savings.models import SavingsAccount, SavingsProduct

    product = SavingsProduct.objects.get(cooperative=cooperative, kind="sukarela")
    with transaction.atomic(), connection.cursor() as cursor:
        # Set-based, like bulk_create but without shipping 100k objects through Python.
        cursor.execute(
            """
            INSERT INTO savings_savingsaccount
                (cooperative_id, member_id, product_id, number, status, opened_on, balance,
                 on_maturity)
            SELECT m.cooperative_id, m.id, %s, %s || '-' || m.number, 'open', m.joined_on, 0,
                   'rollover'
            FROM members_member m
            WHERE m.cooperative_id = %s
            ORDER BY m.number
            LIMIT %s
            """,
            [product.pk, product.code, cooperative.pk, count],
        )
    return list(
        SavingsAccount.objects.filter(cooperative=cooperative, product=product)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def search_index_sql() -> tuple[list[str], list[str]]:
    """The member search indexes exactly as the migration defines them (forward, backward)."""
    import importlib

    module = importlib.import_module("koperasi.members.migrations.0002_search_indexes")
    return list(module.FORWARD), list(module.BACKWARD)


def run_sql(*statements: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
