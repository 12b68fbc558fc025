-- `savings_cash_movement`: a teller's plain cash deposit or withdrawal in one statement
-- (savings/services/one_statement.py). The call is the caller's whole transaction, so the rows
-- it locks are never held while a Python process waits for the CPU. Python has already read
-- the account and checked every rule; this re-checks, under the account's row lock, exactly
-- the state those checks relied on and raises SQLSTATE KD409 with a reason
-- (`koperasi.sqlrows.Fallback`) when anything differs or is unusual, so that the caller goes
-- the ordinary way (savings/services/cash.py), which answers every such case.
--
-- It writes what the ordinary way writes for the same movement, row for row (tests compare
-- them): the journal entry and its two postings (through the ledger's SQL writers), the
-- movement with its running balance, the account's balance, the audit record and the two
-- general-ledger balance slots. Every rule constant (statuses, texts, keys, kinds, the audit
-- action) comes in as a parameter from Python. A change here needs a new savings migration
-- that re-installs this file (koperasi/sqlfunctions.py).
CREATE OR REPLACE FUNCTION savings_cash_movement(
    p_cooperative bigint,
    p_account bigint,
    p_amount numeric,          -- > 0 cash in (Dr cash, Cr savings), < 0 cash out
    p_floor numeric,           -- a withdrawal leaves at least this; NULL for a deposit
    p_kind text,               -- the movement's kind (deposit or withdrawal)
    p_key text,                -- the movement's idempotency key
    p_entry_key text,          -- the journal entry's idempotency key
    p_note text,
    p_channel text,
    p_actor integer,
    p_today date,              -- today in the cooperative's time zone
    p_on date,                 -- the business date asked for, or NULL for the business day
    p_source text,             -- the journal entry: source, reference, memo
    p_source_ref text,
    p_memo text,
    p_cash bigint,             -- the cash account
    p_savings_gl bigint,       -- the product's control account
    p_action text,             -- the audit record: action, object type, summary, data
    p_object_type text,
    p_summary text,
    p_audit_data jsonb,
    p_ip inet,
    p_open text,               -- SavingsAccount.Status.OPEN
    p_active text,             -- Member.Status.ACTIVE
    p_books_lock integer,      -- ledger.services.BOOKS_LOCK
    p_last_day date,           -- the last date Python can read
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
    v_value numeric := abs(p_amount);
BEGIN
    -- Called as a transaction of its own: foreign keys (and the books' balance check) are
    -- checked as each row is written, not at the commit, while the balance slots are held.
    SET CONSTRAINTS ALL IMMEDIATE;

    SELECT a.status, m.status, a.balance INTO v_status, v_member_status, v_balance
      FROM savings_savingsaccount a JOIN members_member m ON m.id = a.member_id
     WHERE a.id = p_account AND a.cooperative_id = p_cooperative
       FOR NO KEY UPDATE OF a;
    IF NOT FOUND OR v_status <> p_open THEN
        RAISE EXCEPTION 'changed' USING ERRCODE = 'KD409';
    END IF;
    IF v_member_status <> p_active THEN
        RAISE EXCEPTION 'member_inactive' USING ERRCODE = 'KD409';
    END IF;
    -- A retry: the ordinary way returns the first movement.
    PERFORM 1 FROM savings_savingstransaction t
     WHERE t.cooperative_id = p_cooperative AND t.idempotency_key = p_key;
    IF FOUND THEN
        RAISE EXCEPTION 'retry' USING ERRCODE = 'KD409';
    END IF;
    IF p_floor IS NOT NULL AND v_balance + p_amount < p_floor THEN
        RAISE EXCEPTION 'changed' USING ERRCODE = 'KD409';
    END IF;

    v_on := ledger_open_day(p_cooperative, p_on, p_today, p_books_lock, p_last_day);
    -- Cash in: Dr cash, Cr savings; cash out the other way round. Each line's other side is 0.
    v_accounts := CASE WHEN p_amount > 0 THEN ARRAY[p_cash, p_savings_gl]
                       ELSE ARRAY[p_savings_gl, p_cash] END;
    v_entry := ledger_write_entry(p_cooperative, v_on, p_source, p_source_ref, p_memo,
                                  p_entry_key, p_actor, p_now, v_accounts,
                                  ARRAY[v_value, 0], ARRAY[0, v_value]);

    UPDATE savings_savingsaccount SET balance = balance + p_amount WHERE id = p_account
    RETURNING balance INTO v_after;
    INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind, amount,
                                            balance_after, business_date, journal_entry_id,
                                            note, idempotency_key, channel, actor_id, created_at)
    VALUES (p_cooperative, p_account, p_kind, p_amount, v_after, v_on, v_entry, p_note, p_key,
            p_channel, p_actor, p_now)
    RETURNING id INTO v_txn;
    INSERT INTO audit_auditlog (cooperative_id, actor_id, action, object_type, object_id,
                                summary, data, ip_address, created_at)
    VALUES (p_cooperative, p_actor, p_action, p_object_type, v_txn::text, p_summary,
            p_audit_data, p_ip, p_now);

    -- Last, the general-ledger balances (held only to the commit from here).
    PERFORM ledger_add_to_slots(p_cooperative, v_accounts, ARRAY[v_value, 0], ARRAY[0, v_value],
                                p_slots);

    -- Back to Django's default (every foreign key is DEFERRABLE INITIALLY DEFERRED), for a
    -- caller whose transaction goes on (a test case's).
    SET CONSTRAINTS ALL DEFERRED;
    RETURN QUERY SELECT v_txn, v_entry, v_after, v_on, p_now;
END
$fn$;
