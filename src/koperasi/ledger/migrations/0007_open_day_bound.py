"""PostgreSQL: `ledger_open_day` refuses (KD409) a business day past 31/12/9999.

PostgreSQL dates go far beyond Python's: with days closed through 31/12/9999 the day after would
be 1/1/10000, where Python's `business_day` raises before writing anything. A one-statement
posting would then write rows Python cannot read; now it leaves the day to the ordinary way.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = r"""
CREATE OR REPLACE FUNCTION ledger_open_day(
    p_cooperative bigint, p_on date, p_today date, p_books_lock integer
) RETURNS date
LANGUAGE plpgsql AS $fn$
DECLARE
    v_books date;
    v_days date;
    v_on date;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_books_lock, p_cooperative::integer);
    -- Its own statement: it sees a close that committed while we waited for the lock.
    SELECT c.books_closed_through, c.days_closed_through INTO v_books, v_days
      FROM tenancy_cooperative c WHERE c.id = p_cooperative;
    v_on := coalesce(p_on, greatest(p_today, v_days + 1));
    IF v_on <= v_books OR v_on <= v_days OR v_on > date '9999-12-31' THEN
        RAISE EXCEPTION 'closed period' USING ERRCODE = 'KD409';
    END IF;
    RETURN v_on;
END
$fn$;
"""


def create(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def back(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        module = __import__("koperasi.ledger.migrations.0006_sql_writers", fromlist=["CREATE"])
        schema_editor.execute(module.CREATE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_sql_writers")]

    operations = [migrations.RunPython(create, back)]
