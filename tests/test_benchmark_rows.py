"""The benchmarks write members with COPY and a column list of their own; a new NOT NULL column
on the member (the contact email of issue 12) once broke every benchmark without a failing test.
These keep the list in step with the model, and the rows valid."""

import importlib.util
import pathlib
import sys

import pytest
from django.db import connection
from django.db.models.fields import NOT_PROVIDED

from koperasi.members.models import Member

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def _bench_setup():
    spec = importlib.util.spec_from_file_location("bench_setup", BENCHMARKS / "_setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_setup", module)
    spec.loader.exec_module(module)
    return module


def test_the_copy_columns_cover_every_required_member_column():
    required = {
        field.column
        for field in Member._meta.concrete_fields
        if not field.null and not field.primary_key and field.db_default is NOT_PROVIDED
    }
    missing = required - set(_bench_setup().MEMBER_COLUMNS)
    assert not missing, f"benchmarks/_setup.py MEMBER_COLUMNS lacks {sorted(missing)}"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY: the benchmarks run on PostgreSQL only"
)
def test_copied_members_are_valid_members(coop):
    bench = _bench_setup()
    bench.copy_members(bench.MemberFactory(), coop, 1, 5)
    members = list(Member.objects.filter(cooperative=coop))
    assert len(members) == 5
    for member in members:
        member.full_clean()
