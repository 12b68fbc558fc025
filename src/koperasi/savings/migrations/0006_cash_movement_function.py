"""PostgreSQL: `savings_cash_movement`, a teller's plain deposit or withdrawal in one statement.

`savings.services` calls it when the caller has no transaction open: the call is then the whole
transaction, so the balance rows it touches are locked only inside the server, never while a
Python process waits for its turn on the CPU. Python has already read the account and checked
every rule; the function re-checks, under the account's row lock, exactly the state those
checks relied on (account open, member active, the balance floor of a withdrawal) and raises
SQLSTATE KD409 when anything differs or is unusual (a retry of a key already used, a closed
day or month), so that the caller goes the ordinary way, which answers every such case.

It writes what the ordinary way writes for the same movement, row for row (a test compares
them): the journal entry and its two postings (through the ledger's SQL writers, ledger
migration 0006), the movement with its running balance, the
account's balance, the audit record and the two general-ledger balance slots.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = r"""
CREATE OR REPLACE FUNCTION savings_cash_movement(
    p_cooperative bigint,
    p_account bigint,
    p_amount numeric,          -- > 0 cash in (Dr cash, Cr savings), < 0 cash out
    p_floor numeric,           -- a withdrawal leaves at least this; NULL for a deposit
    p_kind text,               -- the movement kind: deposit | withdrawal
    p_key text,                -- the movement's idempotency key (the entry's is 'savings:' || key)
    p_note text,
    p_channel text,
    p_actor integer,
    p_today date,              -- today in the cooperative's time zone
    p_on date,                 -- the business date asked for, or NULL for the business day
    p_memo text,
    p_source_ref text,
    p_cash bigint,             -- the cash account
    p_savings_gl bigint,       -- the product's control account
    p_summary text,            -- the audit summary
    p_ip inet,
    p_books_lock integer,      -- ledger.services.BOOKS_LOCK
    p_slots integer,           -- ledger BalanceSlot.SLOTS
    p_now timestamptz          -- the rows' created_at, from the application's clock
) RETURNS TABLE (txn_id bigint, entry_id bigint, balance_after numeric, business_date date,
                 created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_status text;
    v_member_status text;
    v_balance numeric;
    v_on date;
    v_accounts bigint[];
    v_entry bigint;
    v_txn bigint;
    v_after numeric;
    v_now timestamptz := p_now;
    v_value numeric := abs(p_amount);
BEGIN
    -- Called as a transaction of its own: foreign keys are checked as each row is written,
    -- not at the commit, while the balance slots are held.
    SET CONSTRAINTS ALL IMMEDIATE;

    SELECT a.status, m.status, a.balance INTO v_status, v_member_status, v_balance
      FROM savings_savingsaccount a JOIN members_member m ON m.id = a.member_id
     WHERE a.id = p_account AND a.cooperative_id = p_cooperative
       FOR NO KEY UPDATE OF a;
    IF NOT FOUND OR v_status <> 'open' OR v_member_status <> 'active' THEN
        RAISE EXCEPTION 'account or member changed' USING ERRCODE = 'KD409';
    END IF;
    -- A retry: the ordinary way returns the first movement.
    PERFORM 1 FROM savings_savingstransaction t
     WHERE t.cooperative_id = p_cooperative AND t.idempotency_key = p_key;
    IF FOUND THEN
        RAISE EXCEPTION 'idempotency key already used' USING ERRCODE = 'KD409';
    END IF;
    IF p_floor IS NOT NULL AND v_balance + p_amount < p_floor THEN
        RAISE EXCEPTION 'balance changed' USING ERRCODE = 'KD409';
    END IF;

    v_on := ledger_open_day(p_cooperative, p_on, p_today, p_books_lock);
    -- Cash in: Dr cash, Cr savings; cash out the other way round.
    v_accounts := CASE WHEN p_amount > 0 THEN ARRAY[p_cash, p_savings_gl]
                       ELSE ARRAY[p_savings_gl, p_cash] END;
    v_entry := ledger_write_entry(p_cooperative, v_on, 'savings', p_source_ref, p_memo,
                                  'savings:' || p_key, p_actor, v_now, v_accounts,
                                  ARRAY[v_value, 0], ARRAY[0, v_value]);

    UPDATE savings_savingsaccount SET balance = balance + p_amount WHERE id = p_account
    RETURNING balance INTO v_after;
    INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind, amount,
                                            balance_after, business_date, journal_entry_id,
                                            note, idempotency_key, channel, actor_id, created_at)
    VALUES (p_cooperative, p_account, p_kind, p_amount, v_after, v_on, v_entry, p_note, p_key,
            p_channel, p_actor, v_now)
    RETURNING id INTO v_txn;
    INSERT INTO audit_auditlog (cooperative_id, actor_id, action, object_type, object_id,
                                summary, data, ip_address, created_at)
    VALUES (p_cooperative, p_actor, 'savings.' || p_kind, 'SavingsTransaction', v_txn::text,
            p_summary, '{}', p_ip, v_now);

    -- Last, the general-ledger balances (held only to the commit from here).
    PERFORM ledger_add_to_slots(p_cooperative, v_accounts, ARRAY[v_value, 0], ARRAY[0, v_value],
                                p_slots);

    -- Back to Django's default (every foreign key is DEFERRABLE INITIALLY DEFERRED), for a
    -- caller whose transaction goes on (a test case's).
    SET CONSTRAINTS ALL DEFERRED;
    RETURN QUERY SELECT v_txn, v_entry, v_after, v_on, v_now;
END
$fn$;
"""

DROP = "DROP FUNCTION IF EXISTS savings_cash_movement"


def create(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("savings", "0005_tenant_foreign_keys"),
        ("ledger", "0005_fewer_indexes"),
        ("audit", "0002_fewer_indexes"),
        ("ledger", "0006_sql_writers"),
    ]

    operations = [migrations.RunPython(create, drop)]
