"""PostgreSQL: `loans_post_repayment`, a plain cash repayment written in one statement.

`loans.services` calls it when the caller has no transaction open. Python has read the loan and
its current schedule without a lock and planned the payment exactly as the ordinary way plans
it (`plan_payment`); the function checks under the loan's row lock that the loan and every row
of its schedule are still the versions Python read (their `xmin`: any write since, even one put
back by a reversal, has another), and raises SQLSTATE KD409 when anything differs or is unusual
(a retry of a key already used, a closed day), so that the caller goes the ordinary way.

It writes what the ordinary way writes for the same payment (a test compares them): the journal
entry and its postings, the schedule rows paid, the loan's balances and class, the loan movement,
the audit record and the general-ledger balance slots.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CREATE = r"""
CREATE OR REPLACE FUNCTION loans_post_repayment(
    p_cooperative bigint,
    p_loan bigint,
    p_loan_version text,       -- the loan row's xmin as read
    p_rows_version text,       -- the current schedule rows' xmins as read, in instalment order
    p_day date,                -- the business date Python planned for
    p_key text,                -- the movement's key (the entry's is 'loan:' || key)
    p_actor integer,
    p_memo text,
    p_source_ref text,
    p_accounts bigint[],       -- the entry's lines
    p_debits numeric[],
    p_credits numeric[],
    p_row_ids bigint[],        -- the schedule rows the payment changes, and their new values
    p_principal_paid numeric[],
    p_interest_paid numeric[],
    p_penalty_paid numeric[],
    p_interest_waived numeric[],
    p_interest_accrued numeric[],
    p_paid_on date[],
    p_outstanding numeric,     -- the loan afterwards
    p_accrued numeric,
    p_penalty_receivable numeric,
    p_status text,
    p_closed_on date,
    p_days_past_due integer,
    p_collectibility integer,
    p_doubtful_since date,
    p_kind text,               -- the movement
    p_channel text,
    p_amount numeric,
    p_principal numeric,
    p_interest numeric,
    p_penalty numeric,
    p_fee numeric,
    p_excess numeric,
    p_allocation jsonb,
    p_note text,
    p_summary text,            -- the audit record
    p_audit_data jsonb,
    p_ip inet,
    p_books_lock integer,      -- ledger.services.BOOKS_LOCK
    p_slots integer,           -- ledger BalanceSlot.SLOTS
    p_now timestamptz          -- the rows' created_at, from the application's clock
) RETURNS TABLE (txn_id bigint, entry_id bigint, created_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_version text;
    v_schedule integer;
    v_rows text;
    v_entry bigint;
    v_txn bigint;
    v_now timestamptz := p_now;
BEGIN
    -- Called as a transaction of its own: foreign keys are checked as each row is written,
    -- not at the commit, while the balance slots are held.
    SET CONSTRAINTS ALL IMMEDIATE;

    SELECT l.xmin::text, l.schedule_version INTO v_version, v_schedule
      FROM loans_loan l WHERE l.id = p_loan AND l.cooperative_id = p_cooperative
       FOR UPDATE;
    SELECT string_agg(i.xmin::text, ',' ORDER BY i.no) INTO v_rows
      FROM loans_instalment i WHERE i.loan_id = p_loan AND i.version = v_schedule;
    IF v_version IS DISTINCT FROM p_loan_version OR v_rows IS DISTINCT FROM p_rows_version THEN
        RAISE EXCEPTION 'loan changed' USING ERRCODE = 'KD409';
    END IF;
    PERFORM 1 FROM loans_loantransaction t
     WHERE t.cooperative_id = p_cooperative AND t.idempotency_key = p_key;
    IF FOUND THEN
        RAISE EXCEPTION 'idempotency key already used' USING ERRCODE = 'KD409';
    END IF;

    -- The date planned for must still be open (ledger migration 0006).
    PERFORM ledger_open_day(p_cooperative, p_day, p_day, p_books_lock);
    v_entry := ledger_write_entry(p_cooperative, p_day, 'loans', p_source_ref, p_memo,
                                  'loan:' || p_key, p_actor, v_now, p_accounts, p_debits,
                                  p_credits);

    UPDATE loans_instalment i
       SET principal_paid = r.principal_paid, interest_paid = r.interest_paid,
           penalty_paid = r.penalty_paid, interest_waived = r.interest_waived,
           interest_accrued = r.interest_accrued, paid_on = r.paid_on
      FROM unnest(p_row_ids, p_principal_paid, p_interest_paid, p_penalty_paid,
                  p_interest_waived, p_interest_accrued, p_paid_on)
           AS r(id, principal_paid, interest_paid, penalty_paid, interest_waived,
                interest_accrued, paid_on)
     WHERE i.id = r.id AND i.loan_id = p_loan;
    UPDATE loans_loan
       SET outstanding_principal = p_outstanding, accrued_interest = p_accrued,
           penalty_receivable = p_penalty_receivable, status = p_status, closed_on = p_closed_on,
           days_past_due = p_days_past_due, collectibility = p_collectibility,
           doubtful_since = p_doubtful_since, assessed_on = p_day
     WHERE id = p_loan;
    INSERT INTO loans_loantransaction (cooperative_id, loan_id, kind, channel, business_date,
                                       amount, principal, interest, penalty, fee, excess,
                                       allocation, outstanding_after, journal_entry_id,
                                       idempotency_key, note, actor_id, created_at)
    VALUES (p_cooperative, p_loan, p_kind, p_channel, p_day, p_amount, p_principal, p_interest,
            p_penalty, p_fee, p_excess, p_allocation, p_outstanding, v_entry, p_key, p_note,
            p_actor, v_now)
    RETURNING id INTO v_txn;
    INSERT INTO audit_auditlog (cooperative_id, actor_id, action, object_type, object_id,
                                summary, data, ip_address, created_at)
    VALUES (p_cooperative, p_actor, 'loans.' || p_kind, 'Loan', p_loan::text, p_summary,
            p_audit_data, p_ip, v_now);

    -- Last, the general-ledger balances (held only to the commit from here).
    PERFORM ledger_add_to_slots(p_cooperative, p_accounts, p_debits, p_credits, p_slots);

    -- Back to Django's default (every foreign key is DEFERRABLE INITIALLY DEFERRED), for a
    -- caller whose transaction goes on (a test case's).
    SET CONSTRAINTS ALL DEFERRED;
    RETURN QUERY SELECT v_txn, v_entry, v_now;
END
$fn$;
"""

DROP = "DROP FUNCTION IF EXISTS loans_post_repayment"


def create(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0005_interest_accrual"),
        ("ledger", "0005_fewer_indexes"),
        ("audit", "0002_fewer_indexes"),
        ("ledger", "0006_sql_writers"),
    ]

    operations = [migrations.RunPython(create, drop)]
