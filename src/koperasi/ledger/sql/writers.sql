-- The ledger's SQL writers: the books written by SQL in one place, as `ledger.services.post_entry`
-- writes them in Python, for the one-statement postings (savings_cash_movement, loans_repay).
-- Each raises SQLSTATE KD409 with a reason (`koperasi.sqlrows.Fallback`) where the caller must
-- go the ordinary way instead. Installed by a ledger migration (see koperasi/sqlfunctions.py):
-- a change here needs a new migration that re-installs this file.

-- The business date of new work (ledger.services.business_today, or the date asked for), under
-- the shared books lock (ledger.services._closed_through); refused when closed, or past the
-- last date Python can read (p_last_day: datetime.date.max).
CREATE OR REPLACE FUNCTION ledger_open_day(
    p_cooperative bigint, p_on date, p_today date, p_books_lock integer, p_last_day date
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
    IF v_on <= v_books OR v_on <= v_days THEN
        RAISE EXCEPTION 'closed_day' USING ERRCODE = 'KD409';
    END IF;
    IF v_on > p_last_day THEN
        RAISE EXCEPTION 'date_range' USING ERRCODE = 'KD409';
    END IF;
    RETURN v_on;
END
$fn$;

-- A journal entry and its postings, in line order (ledger.services._insert_entry and
-- _insert_postings); a key already used is the ordinary way's to answer.
CREATE OR REPLACE FUNCTION ledger_write_entry(
    p_cooperative bigint, p_day date, p_source text, p_source_ref text, p_memo text,
    p_key text, p_actor integer, p_now timestamptz,
    p_accounts bigint[], p_debits numeric[], p_credits numeric[]
) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_entry bigint;
BEGIN
    INSERT INTO ledger_journalentry (cooperative_id, business_date, source, source_ref, memo,
                                     idempotency_key, actor_id, created_at)
    VALUES (p_cooperative, p_day, p_source, p_source_ref, p_memo, p_key, p_actor, p_now)
    ON CONFLICT (cooperative_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_entry;
    IF v_entry IS NULL THEN
        RAISE EXCEPTION 'retry' USING ERRCODE = 'KD409';
    END IF;
    INSERT INTO ledger_posting (entry_id, cooperative_id, account_id, business_date, debit,
                                credit)
    SELECT v_entry, p_cooperative, l.account, p_day, l.debit, l.credit
      FROM unnest(p_accounts, p_debits, p_credits) WITH ORDINALITY AS l(account, debit, credit, n)
     ORDER BY l.n;
    RETURN v_entry;
END
$fn$;

-- The lines' balance changes, added to this session's slot of each account in account order
-- (ledger.services.SLOT_UPSERT); called last, so the slots are held only to the commit.
-- PL/pgSQL rather than SQL: its statement's plan is kept for the session.
CREATE OR REPLACE FUNCTION ledger_add_to_slots(
    p_cooperative bigint, p_accounts bigint[], p_debits numeric[], p_credits numeric[],
    p_slots integer
) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO ledger_balanceslot (cooperative_id, account_id, slot, amount)
    SELECT p_cooperative, l.account, mod(pg_backend_pid(), p_slots), sum(l.debit - l.credit)
      FROM unnest(p_accounts, p_debits, p_credits) AS l(account, debit, credit)
     GROUP BY l.account
    HAVING sum(l.debit - l.credit) <> 0
     ORDER BY l.account
    ON CONFLICT (account_id, slot) DO UPDATE
       SET amount = ledger_balanceslot.amount + EXCLUDED.amount;
END
$fn$;
