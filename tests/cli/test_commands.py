import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from koperasi import cli
from koperasi.ledger.models import Account, BalanceSlot
from koperasi.savings.models import SavingsAccount
from tests.conftest import gl_balances


def test_check_passes_on_consistent_books(coop, funded_sukarela, capsys):
    call_command("books_check", coop=coop.code)
    assert f"{coop.code}: OK" in capsys.readouterr().out


def test_check_lists_each_violation_and_fails(coop, funded_sukarela, capsys):
    SavingsAccount.objects.filter(pk=funded_sukarela.pk).update(balance=Decimal("1.00"))
    cash = Account.objects.get(cooperative=coop, code="1101")
    BalanceSlot.objects.filter(account=cash).update(amount=Decimal("7.00"))
    with pytest.raises(CommandError) as err:
        call_command("books_check")
    assert err.value.returncode == 1
    output = capsys.readouterr().err
    assert "savings account" in output and "1101" in output and "control account 2101" in output


def test_check_unknown_cooperative_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Tidak ada koperasi"):
        call_command("books_check", coop="tidak-ada")


def test_cli_maps_our_command_names(monkeypatch):
    seen = []
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    cli.main(["koperasi", "check", "--coop", "x"])
    cli.main(["koperasi", "system-check", "--deploy"])
    assert seen == [["koperasi", "books_check", "--coop", "x"], ["koperasi", "check", "--deploy"]]


def test_production_settings_pass_djangos_deploy_check(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "KOPERASI_DEMO",
            "DATABASE_URL",
            "KOPERASI_TESTING",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        KOPERASI_HOME=str(tmp_path),
        SECRET_KEY="x" * 20 + "production-secret-key-that-is-long-and-random-9f8e7d6c5b4a",
        ALLOWED_HOSTS="koperasi.example.org",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "koperasi.cli",
            "system-check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_seed_is_consistent_and_idempotent(db):
    from koperasi.demo import seed_demo
    from koperasi.loans.models import Loan
    from koperasi.members.models import Member

    coop = seed_demo(members_count=12, progress=lambda _m: None)
    assert Member.objects.filter(cooperative=coop, status="active").count() >= 10
    # About 40 % of the members borrow; every loan went through the whole workflow.
    assert Loan.objects.filter(cooperative=coop).count() >= 3
    assert not Loan.objects.filter(cooperative=coop).exclude(application__status="disbursed")
    call_command("books_check", coop="demo")
    before = gl_balances(coop)
    seed_demo(members_count=12, progress=lambda _m: None)
    assert gl_balances(coop) == before


def test_create_cooperative_command(db, capsys):
    call_command(
        "create_cooperative",
        code="kopsel",
        name="KSP Selatan",
        admin="ketua",
        password="rahasia-panjang-99",
        time_zone="WITA",
    )
    from koperasi.tenancy.models import Cooperative, StaffMembership

    coop = Cooperative.objects.get(code="kopsel")
    assert coop.time_zone == "Asia/Makassar"
    assert StaffMembership.objects.get(cooperative=coop).role == "admin"
    assert Account.objects.filter(cooperative=coop, code="1101").exists()
    with pytest.raises(CommandError, match="sudah digunakan"):
        call_command(
            "create_cooperative",
            code="kopsel",
            name="Lagi",
            admin="ketua",
            password="rahasia-panjang-99",
        )


def test_import_members_command(coop, tmp_path, capsys):
    from koperasi.members.models import Member
    from tests.conftest import books_snapshot, member_input

    good = member_input()
    path = tmp_path / "anggota.csv"
    path.write_text(
        "nama,nik,kecamatan,kabupaten,provinsi\n"
        f"{good.name},{good.nik},Alok,Sikka,NTT\n"
        "Tanpa NIK,12345,Alok,Sikka,NTT\n"
    )
    before = books_snapshot(coop)
    with pytest.raises(CommandError) as err:
        call_command("import_members", str(path), coop=coop.code, pay_pokok=True)
    assert err.value.returncode == 2
    assert "baris 3 [nik]" in capsys.readouterr().err
    assert Member.objects.count() == 0 and books_snapshot(coop) == before

    path.write_text(
        f"nama,nik,kecamatan,kabupaten,provinsi\n{good.name},{good.nik},Alok,Sikka,NTT\n"
    )
    call_command("import_members", str(path), coop=coop.code, pay_pokok=True)
    assert "1 anggota berhasil diimpor" in capsys.readouterr().out
    assert Member.objects.get().status == "active"
    call_command("books_check", coop=coop.code)


def test_import_members_command_refuses_a_missing_file_or_cooperative(coop, tmp_path):
    with pytest.raises(CommandError) as err:
        call_command("import_members", str(tmp_path / "none.csv"), coop=coop.code)
    assert err.value.returncode == 2
    with pytest.raises(CommandError) as err:
        call_command("import_members", str(tmp_path / "none.csv"), coop="tidak-ada")
    assert err.value.returncode == 2
