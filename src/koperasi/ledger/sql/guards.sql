-- The books' own guards (PostgreSQL), attached to their tables by a ledger migration: posted
-- rows are never changed or removed, and every journal entry balances when its transaction
-- commits, whichever writer wrote it (ledger.services.post_entry or ledger_write_entry).
-- A change here needs a new migration that re-installs this file (koperasi/sqlfunctions.py).

-- BEFORE UPDATE OR DELETE of a posting, a journal entry or an audit record. Corrections are
-- reversal entries. TRUNCATE (a whole-database wipe, as the test suite's flush) fires no row
-- trigger.
CREATE OR REPLACE FUNCTION ledger_immutable_row() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% rows are immutable: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation';
END
$fn$;

-- A deferred constraint trigger after each posting is written: at the commit (or at SET
-- CONSTRAINTS ALL IMMEDIATE, which the one-statement postings run first) the posting's entry
-- must have as much debit as credit. One indexed sum per posting: entries have a few lines.
CREATE OR REPLACE FUNCTION ledger_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    v_debit numeric;
    v_credit numeric;
BEGIN
    SELECT sum(p.debit), sum(p.credit) INTO v_debit, v_credit
      FROM ledger_posting p WHERE p.entry_id = NEW.entry_id;
    IF v_debit <> v_credit THEN
        RAISE EXCEPTION 'journal entry % does not balance: debit %, credit %',
              NEW.entry_id, v_debit, v_credit
              USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$fn$;
