-- `loans_repay`: a cash repayment planned and written in one statement
-- (loans/services/one_statement.py). It does what `loans.services.repayments._repay` does for a
-- cash repayment at the teller or by API, step for step, and writes what it writes (tests run
-- every rule of the product tables both ways on twin loans and compare every row):
--
-- 1. the loan locked; a retry of a key already used, a loan not active, a closed or earlier
--    date go the ordinary way (SQLSTATE KD409 with a reason, `koperasi.sqlrows.Fallback`),
--    which answers each;
-- 2. the day's penalties on late instalments (`quality.book_penalties`, loans_penalty_increment),
--    with their own entry on an accrual-basis product and their own penalty movement;
-- 3. the payment split over what is due by the product's order (vertically, oldest first),
--    then over later instalments row by row on a prepaying product, or what is left to the
--    member's sukarela account on a product that says so (`domain.repayment.allocate`);
--    anything else left is refused;
-- 4. interest paid before it was accrued recognised on its row (`repayments._apply`), the
--    entry's lines (`post_payment`), the loan's balances, days past due and class
--    (`quality.refresh_quality`), the movement, the audit record, and last the general-ledger
--    balance slots.
--
-- Every rule constant comes in from Python: the kolektibilitas tables and class numbers
-- (domain.loan_quality), the allocation components, penalty kinds, overpayment modes,
-- accounting basis, statuses, kinds, channels, chart roles, and the texts and keys written
-- (format() templates that Python fills with %). What stays literal here is the protocol with
-- Python (KD409 and the fallback reasons), the allocation JSON's keys, zeros, array positions,
-- the ISO date format and the columns' widths. A change here needs a new loans migration that
-- re-installs this file (koperasi/sqlfunctions.py).
CREATE OR REPLACE FUNCTION loans_repay(
    p_cooperative bigint,
    p_loan bigint,
    p_amount numeric,
    p_key text,                      -- the movement's idempotency key
    p_channel text,                  -- teller or API: the money comes in as cash
    p_actor integer,
    p_note text,
    p_amount_text text,              -- format_rupiah(amount), for the audit summary
    p_today date,                    -- today in the cooperative's time zone
    p_on date,                       -- the business date asked for, or NULL for the business day
    -- The cooperative's kolektibilitas regime: one of the two tables, the other NULL.
    p_bank_classes integer[],        -- domain.loan_quality.BANK_BUCKETS: class and most days
    p_bank_most_days integer[],      --   past due it allows (NULL: no limit)
    p_ksp_frequencies text[],        -- KSP_THRESHOLDS: frequency -> first, second threshold
    p_ksp_first integer[],
    p_ksp_second integer[],
    p_ksp_loss_months integer,       -- KSP_DOUBTFUL_TO_LOSS_MONTHS
    p_ksp_cover numeric[],           -- KSP_COLLATERAL_SALVAGEABLE and _NOT_SALVAGEABLE as
    p_ksp_cover_of numeric[],        --   fractions (numerator, denominator), kept exact
    p_lancar integer,                -- the classes' numbers
    p_kurang_lancar integer,
    p_diragukan integer,
    p_macet integer,
    -- The product's rules, by name.
    p_part_penalty text,             -- domain.repayment.COMPONENTS
    p_part_interest text,
    p_part_principal text,
    p_order_separator text,          -- domain.repayment.ORDER_SEPARATOR
    p_penalty_none text,             -- domain.repayment.PENALTY_KINDS
    p_penalty_pct_day text,
    p_penalty_pct_month text,
    p_penalty_flat text,
    p_prepayment text,               -- LoanProduct.Overpayment
    p_to_savings text,
    p_accrual text,                  -- LoanProduct.Accounting.ACCRUAL
    p_loan_active text,              -- Loan.Status
    p_loan_closed text,
    -- The chart's roles (ledger.chart) of the accounts a payment posts to.
    p_role_cash text,
    p_role_interest_receivable text,
    p_role_interest_income text,
    p_role_penalty_receivable text,
    p_role_penalty_income text,
    -- The member's savings that take an excess, and the movement written there.
    p_sukarela text,                 -- SavingsKind.SUKARELA
    p_savings_open text,             -- SavingsAccount.Status.OPEN
    p_savings_kind text,             -- SavingsTransaction.Kind.LOAN_CREDIT
    p_savings_channel text,          -- the savings movement's channel for a loan
    -- What it writes: kinds, channel, keys and texts (format() templates), audit record.
    p_kind_repayment text,           -- LoanTransaction.Kind
    p_kind_penalty text,
    p_channel_system text,           -- LoanTransaction.Channel.SYSTEM
    p_source text,                   -- the journal entries' source
    p_entry_key text,                -- the entry's key from the movement's: loan:%s
    p_penalty_key text,              -- the day's penalty movement: penalty:%s:%s (loan, date)
    p_again_key text,                --   and its next one that day: %s:%s (key, count)
    p_excess_key text,               -- the excess' savings movement: %s:excess
    p_memo text,                     -- the entries' memos and the excess' note
    p_penalty_memo text,
    p_excess_note text,
    p_summary text,                  -- the audit record: summary, action, object type
    p_action text,
    p_object_type text,
    p_ip inet,
    p_books_lock integer,            -- ledger.services.BOOKS_LOCK
    p_last_day date,                 -- the last date Python can read
    p_slots integer,                 -- ledger BalanceSlot.SLOTS
    p_now timestamptz                -- the rows' created_at, from the application's clock
) RETURNS SETOF loans_loantransaction
LANGUAGE plpgsql AS $fn$
DECLARE
    l loans_loan%ROWTYPE;
    pr loans_loanproduct%ROWTYPE;
    v_member_name text;
    v_day date;
    v_parts text[] := ARRAY[p_part_penalty, p_part_interest, p_part_principal];
    v_order text[];
    c text;
    i integer;
    n integer;
    -- The schedule's rows (current version, in instalment order) and what the payment does.
    r_id bigint[]; r_version integer[]; r_no integer[]; r_due date[]; r_payment numeric[];
    r_principal numeric[]; r_interest numeric[]; r_penalty numeric[];
    r_principal_paid numeric[]; r_interest_paid numeric[]; r_penalty_paid numeric[];
    r_waived numeric[]; r_accrued numeric[]; r_through date[]; r_paid_on date[];
    r_changed boolean[];
    a_penalty numeric[]; a_interest numeric[]; a_principal numeric[]; a_recognised numeric[];
    v_owed numeric;
    v_part numeric;
    v_left numeric := round(p_amount, 2);
    v_value numeric := round(p_amount, 2);
    v_added numeric;
    v_penalties numeric := 0.00;
    v_penalty_key text;
    v_penalty_entry bigint;
    v_principal numeric := 0.00;
    v_interest numeric := 0.00;
    v_penalty numeric := 0.00;
    v_from_accrued numeric := 0.00;
    v_receivable numeric;
    v_from_penalty_receivable numeric;
    v_excess numeric := 0.00;
    v_excess_account bigint;
    v_excess_gl bigint;
    v_excess_balance numeric;
    v_cash bigint; v_interest_receivable bigint; v_interest_income bigint;
    v_penalty_receivable bigint; v_penalty_income bigint;
    v_accounts bigint[] := '{}';
    v_debits numeric[] := '{}';
    v_credits numeric[] := '{}';
    v_slot_accounts bigint[] := '{}';
    v_slot_debits numeric[] := '{}';
    v_slot_credits numeric[] := '{}';
    v_allocation jsonb := '[]';
    v_item jsonb;
    v_oldest date;
    v_oldest_principal date;
    v_unpaid_interest numeric := 0.00;
    v_class integer;
    v_first integer;
    v_second integer;
    v_cover integer;
    v_entry bigint;
    v_txn bigint;
    v_all_paid boolean := true;
BEGIN
    -- Called as a transaction of its own: foreign keys (and the books' balance check) are
    -- checked as each row is written, not at the commit, while the balance slots are held.
    SET CONSTRAINTS ALL IMMEDIATE;

    -- 1. The loan, locked as the ordinary way locks it; anything unusual is its to answer.
    SELECT * INTO l FROM loans_loan
     WHERE id = p_loan AND cooperative_id = p_cooperative FOR NO KEY UPDATE;
    IF NOT FOUND OR l.status <> p_loan_active THEN
        RAISE EXCEPTION 'not_active' USING ERRCODE = 'KD409';
    END IF;
    PERFORM 1 FROM loans_loantransaction t
     WHERE t.cooperative_id = p_cooperative AND t.idempotency_key = p_key;
    IF FOUND THEN
        RAISE EXCEPTION 'retry' USING ERRCODE = 'KD409';
    END IF;
    v_day := ledger_open_day(p_cooperative, p_on, p_today, p_books_lock, p_last_day);
    IF v_day < l.disbursed_on THEN
        RAISE EXCEPTION 'before_disbursement' USING ERRCODE = 'KD409';
    END IF;
    IF v_value <= 0 THEN
        RAISE EXCEPTION 'not_positive' USING ERRCODE = 'KD409';
    END IF;
    SELECT * INTO pr FROM loans_loanproduct WHERE id = l.product_id;
    SELECT m.name INTO v_member_name FROM members_member m WHERE m.id = l.member_id;
    -- domain.repayment.parse_order; a malformed order is the ordinary way's error.
    SELECT array_agg(lower(btrim(part)) ORDER BY k) INTO v_order
      FROM unnest(string_to_array(pr.allocation_order, p_order_separator))
           WITH ORDINALITY AS o(part, k);
    IF cardinality(v_order) IS DISTINCT FROM cardinality(v_parts)
       OR NOT v_order @> v_parts THEN
        RAISE EXCEPTION 'allocation_order' USING ERRCODE = 'KD409';
    END IF;
    SELECT max(a.id) FILTER (WHERE a.system_role = p_role_cash),
           max(a.id) FILTER (WHERE a.system_role = p_role_interest_receivable),
           max(a.id) FILTER (WHERE a.system_role = p_role_interest_income),
           max(a.id) FILTER (WHERE a.system_role = p_role_penalty_receivable),
           max(a.id) FILTER (WHERE a.system_role = p_role_penalty_income)
      INTO v_cash, v_interest_receivable, v_interest_income, v_penalty_receivable,
           v_penalty_income
      FROM ledger_account a
     WHERE a.cooperative_id = p_cooperative AND a.is_active AND NOT a.is_header
       AND a.system_role IN (p_role_cash, p_role_interest_receivable, p_role_interest_income,
                             p_role_penalty_receivable, p_role_penalty_income);
    PERFORM 1 FROM ledger_account a
     WHERE a.id = pr.gl_account_id AND a.is_active AND NOT a.is_header;
    IF NOT FOUND OR v_cash IS NULL THEN
        RAISE EXCEPTION 'account_missing' USING ERRCODE = 'KD409';
    END IF;

    SELECT array_agg(s.id ORDER BY s.no), array_agg(s.version ORDER BY s.no),
           array_agg(s.no ORDER BY s.no), array_agg(s.due_date ORDER BY s.no),
           array_agg(s.payment ORDER BY s.no), array_agg(s.principal ORDER BY s.no),
           array_agg(s.interest ORDER BY s.no), array_agg(s.penalty ORDER BY s.no),
           array_agg(s.principal_paid ORDER BY s.no), array_agg(s.interest_paid ORDER BY s.no),
           array_agg(s.penalty_paid ORDER BY s.no), array_agg(s.interest_waived ORDER BY s.no),
           array_agg(s.interest_accrued ORDER BY s.no),
           array_agg(s.penalty_through ORDER BY s.no), array_agg(s.paid_on ORDER BY s.no)
      INTO r_id, r_version, r_no, r_due, r_payment, r_principal, r_interest, r_penalty,
           r_principal_paid, r_interest_paid, r_penalty_paid, r_waived, r_accrued, r_through,
           r_paid_on
      FROM loans_instalment s
     WHERE s.loan_id = p_loan AND s.version = l.schedule_version;
    n := coalesce(cardinality(r_id), 0);
    r_changed := array_fill(false, ARRAY[n]);
    a_penalty := array_fill(0.00::numeric, ARRAY[n]);
    a_interest := a_penalty;
    a_principal := a_penalty;
    a_recognised := a_penalty;

    -- 2. The day's penalties first (quality.book_penalties).
    IF pr.penalty_kind <> p_penalty_none THEN
        FOR i IN 1..n LOOP
            v_owed := (r_principal[i] - r_principal_paid[i])
                    + (r_interest[i] - r_interest_paid[i] - r_waived[i]);
            CONTINUE WHEN NOT (r_due[i] < v_day AND v_owed > 0)
                       OR (r_through[i] IS NOT NULL AND r_through[i] >= v_day);
            v_added := loans_penalty_increment(
                pr.penalty_kind, pr.penalty_rate, pr.penalty_flat, pr.penalty_grace_days,
                pr.penalty_cap_pct, v_owed, r_payment[i], r_due[i], r_through[i], v_day,
                r_penalty[i], p_penalty_none, p_penalty_pct_day, p_penalty_pct_month,
                p_penalty_flat);
            r_penalty[i] := r_penalty[i] + v_added;
            r_through[i] := v_day;
            r_changed[i] := true;
            v_penalties := v_penalties + v_added;
        END LOOP;
    END IF;
    IF v_penalties > 0 THEN
        v_penalty_key := format(p_penalty_key, p_loan, to_char(v_day, 'YYYY-MM-DD'));
        -- A reversal can make an instalment late again on a day already assessed.
        SELECT count(*) INTO i FROM loans_loantransaction t
         WHERE t.loan_id = p_loan AND t.kind = p_kind_penalty AND t.business_date = v_day;
        IF i > 0 THEN
            v_penalty_key := format(p_again_key, v_penalty_key, i + 1);
        END IF;
        IF pr.accounting = p_accrual THEN
            IF v_penalty_receivable IS NULL OR v_penalty_income IS NULL THEN
                RAISE EXCEPTION 'account_missing' USING ERRCODE = 'KD409';
            END IF;
            v_penalty_entry := ledger_write_entry(
                p_cooperative, v_day, p_source, l.number,
                left(format(p_penalty_memo, l.number), 255), format(p_entry_key, v_penalty_key),
                p_actor, p_now, ARRAY[v_penalty_receivable, v_penalty_income],
                ARRAY[v_penalties, 0.00], ARRAY[0.00, v_penalties]);
            v_slot_accounts := ARRAY[v_penalty_receivable, v_penalty_income];
            v_slot_debits := ARRAY[v_penalties, 0.00];
            v_slot_credits := ARRAY[0.00, v_penalties];
            l.penalty_receivable := l.penalty_receivable + v_penalties;
        END IF;
        -- The penalty movement: no principal, interest, fee, excess, allocation or note.
        INSERT INTO loans_loantransaction (cooperative_id, loan_id, kind, channel, business_date,
                                           amount, principal, interest, penalty, fee, excess,
                                           allocation, outstanding_after, journal_entry_id,
                                           idempotency_key, note, actor_id, created_at)
        VALUES (p_cooperative, p_loan, p_kind_penalty, p_channel_system, v_day, v_penalties,
                0, 0, v_penalties, 0, 0, '[]', l.outstanding_principal, v_penalty_entry,
                v_penalty_key, '', p_actor, p_now);
    END IF;

    -- 3. The split (domain.repayment.allocate), one step at a time: what is due component by
    -- component across the rows, oldest first; then, on a product that takes payments in
    -- advance, later instalments row by row, each row's components in order ...
    FOR i, c IN
        SELECT k, o.part
          FROM generate_series(1, n) AS k, unnest(v_order) WITH ORDINALITY AS o(part, place)
         WHERE r_due[k] <= v_day OR pr.overpayment = p_prepayment
         ORDER BY r_due[k] > v_day, CASE WHEN r_due[k] <= v_day THEN o.place END, k, o.place
    LOOP
        EXIT WHEN v_left = 0;
        IF c = p_part_penalty THEN
            v_part := least(v_left, r_penalty[i] - r_penalty_paid[i]);
            a_penalty[i] := a_penalty[i] + v_part;
        ELSIF c = p_part_interest THEN
            v_part := least(v_left, r_interest[i] - r_interest_paid[i] - r_waived[i]);
            a_interest[i] := a_interest[i] + v_part;
        ELSE
            v_part := least(v_left, r_principal[i] - r_principal_paid[i]);
            a_principal[i] := a_principal[i] + v_part;
        END IF;
        v_left := v_left - v_part;
    END LOOP;
    -- ... and what is left to the borrower's own sukarela account, if the product says so
    -- (repayments._excess_account); on any other product it is refused.
    IF v_left > 0 THEN
        IF pr.overpayment <> p_to_savings THEN
            RAISE EXCEPTION 'overpayment' USING ERRCODE = 'KD409';
        END IF;
        v_excess := v_left;
        IF l.savings_account_id IS NOT NULL THEN
            v_excess_account := l.savings_account_id;
        ELSE
            SELECT a.id INTO v_excess_account
              FROM savings_savingsaccount a JOIN savings_savingsproduct sp ON sp.id = a.product_id
             WHERE a.cooperative_id = p_cooperative AND a.member_id = l.member_id
               AND sp.kind = p_sukarela AND a.status = p_savings_open
             ORDER BY a.id LIMIT 1;
        END IF;
        SELECT sp.gl_account_id INTO v_excess_gl
          FROM savings_savingsaccount a JOIN savings_savingsproduct sp ON sp.id = a.product_id
         WHERE a.id = v_excess_account AND a.cooperative_id = p_cooperative
           AND a.member_id = l.member_id AND a.status = p_savings_open AND sp.kind = p_sukarela
           FOR NO KEY UPDATE OF a;
        PERFORM 1 FROM ledger_account a
         WHERE a.id = v_excess_gl AND a.is_active AND NOT a.is_header;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no_excess_account' USING ERRCODE = 'KD409';
        END IF;
    END IF;

    -- 4. The rows paid (repayments._apply): interest paid before it was accrued is recognised
    -- on its row there and then.
    FOR i IN 1..n LOOP
        IF a_penalty[i] <> 0 OR a_interest[i] <> 0 OR a_principal[i] <> 0 THEN
            v_receivable := greatest(r_accrued[i] - r_interest_paid[i], 0);
            v_part := least(a_interest[i], v_receivable);
            v_from_accrued := v_from_accrued + v_part;
            IF a_interest[i] > v_part THEN
                r_accrued[i] := r_accrued[i] + a_interest[i] - v_part;
                a_recognised[i] := a_interest[i] - v_part;
            END IF;
            r_principal_paid[i] := r_principal_paid[i] + a_principal[i];
            r_interest_paid[i] := r_interest_paid[i] + a_interest[i];
            r_penalty_paid[i] := r_penalty_paid[i] + a_penalty[i];
            r_changed[i] := true;
            IF r_paid_on[i] IS NULL
               AND r_principal[i] - r_principal_paid[i] + r_interest[i] - r_interest_paid[i]
                   - r_waived[i] + r_penalty[i] - r_penalty_paid[i] = 0 THEN
                r_paid_on[i] := v_day;
            END IF;
            v_principal := v_principal + a_principal[i];
            v_interest := v_interest + a_interest[i];
            v_penalty := v_penalty + a_penalty[i];
        END IF;
    END LOOP;
    -- The movement's allocation (Split.rows_json): rows due first, then those paid ahead; the
    -- keys are its JSON format's, and a repayment waives nothing.
    FOR i IN SELECT k FROM generate_series(1, n) AS k ORDER BY r_due[k] > v_day, k LOOP
        CONTINUE WHEN a_penalty[i] = 0 AND a_interest[i] = 0 AND a_principal[i] = 0;
        v_item := jsonb_build_object(
            'id', r_id[i], 'version', r_version[i], 'no', r_no[i],
            p_part_principal, round(a_principal[i], 2)::text,
            p_part_interest, round(a_interest[i], 2)::text,
            p_part_penalty, round(a_penalty[i], 2)::text, 'waived', '0');
        IF a_recognised[i] <> 0 THEN
            v_item := v_item || jsonb_build_object('recognised', round(a_recognised[i], 2)::text);
        END IF;
        v_allocation := v_allocation || jsonb_build_array(v_item);
    END LOOP;

    -- The entry's lines (repayments.post_payment), in its order.
    v_from_penalty_receivable := least(v_penalty, l.penalty_receivable);
    SELECT array_agg(x.account ORDER BY x.k), array_agg(x.debit ORDER BY x.k),
           array_agg(x.credit ORDER BY x.k)
      INTO v_accounts, v_debits, v_credits
      FROM unnest(ARRAY[v_cash, pr.gl_account_id, v_interest_receivable, v_interest_income,
                        v_penalty_receivable, v_penalty_income, v_excess_gl],
                  ARRAY[v_value, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
                  ARRAY[0.00, v_principal, v_from_accrued, v_interest - v_from_accrued,
                        v_from_penalty_receivable, v_penalty - v_from_penalty_receivable,
                        v_excess])
           WITH ORDINALITY AS x(account, debit, credit, k)
     WHERE x.debit <> 0 OR x.credit <> 0;
    IF array_position(v_accounts, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'account_missing' USING ERRCODE = 'KD409';
    END IF;

    -- The loan afterwards: its balances, and closed when nothing is owed on any row.
    l.outstanding_principal := l.outstanding_principal - v_principal;
    l.accrued_interest := l.accrued_interest - v_from_accrued;
    l.penalty_receivable := l.penalty_receivable - v_from_penalty_receivable;
    FOR i IN 1..n LOOP
        v_owed := r_principal[i] - r_principal_paid[i] + r_interest[i] - r_interest_paid[i]
                - r_waived[i];
        IF v_owed + r_penalty[i] - r_penalty_paid[i] <> 0 THEN
            v_all_paid := false;
        END IF;
        -- Late rows (quality.refresh_quality).
        IF r_due[i] < v_day AND v_owed > 0 THEN
            v_oldest := least(v_oldest, r_due[i]);
            IF r_principal[i] - r_principal_paid[i] > 0 THEN
                v_oldest_principal := least(v_oldest_principal, r_due[i]);
            END IF;
            v_unpaid_interest := v_unpaid_interest + r_interest[i] - r_interest_paid[i]
                               - r_waived[i];
        END IF;
    END LOOP;
    IF l.outstanding_principal = 0 AND v_all_paid THEN
        l.status := p_loan_closed;
        l.closed_on := v_day;
    END IF;
    l.days_past_due := coalesce(v_day - v_oldest, 0);
    -- The class (domain.loan_quality.classify) under the regime whose table was given.
    IF p_bank_classes IS NOT NULL THEN
        FOR i IN 1..cardinality(p_bank_classes) LOOP
            IF p_bank_most_days[i] IS NULL OR l.days_past_due <= p_bank_most_days[i] THEN
                v_class := p_bank_classes[i];
                EXIT;
            END IF;
        END LOOP;
    ELSIF p_ksp_frequencies IS NOT NULL THEN
        i := array_position(p_ksp_frequencies, l.frequency::text);
        IF i IS NULL THEN
            RAISE EXCEPTION 'frequency' USING ERRCODE = 'KD409';
        END IF;
        v_first := p_ksp_first[i];
        v_second := p_ksp_second[i];
        -- p_ksp_cover's positions: the salvageable share first, then the other.
        v_cover := CASE WHEN l.salvageable THEN 1 ELSE 2 END;
        IF v_oldest_principal IS NULL
           OR v_day <= (v_oldest_principal + make_interval(months => v_first))::date THEN
            v_class := p_lancar;
        ELSIF v_day <= (v_oldest_principal + make_interval(months => v_second))::date THEN
            v_class := p_kurang_lancar;
        ELSIF l.collateral_value * p_ksp_cover_of[v_cover]
              < p_ksp_cover[v_cover] * (l.outstanding_principal + v_unpaid_interest) THEN
            v_class := p_macet;
        ELSIF l.doubtful_since IS NOT NULL
              AND v_day >= (l.doubtful_since + make_interval(months => p_ksp_loss_months))::date
        THEN
            v_class := p_macet;
        ELSE
            v_class := p_diragukan;
        END IF;
    END IF;
    IF v_class IS NULL THEN
        RAISE EXCEPTION 'regime' USING ERRCODE = 'KD409';
    END IF;
    IF v_class = p_diragukan AND l.doubtful_since IS NULL THEN
        l.doubtful_since := v_day;
    ELSIF v_class < p_diragukan THEN
        l.doubtful_since := NULL;
    END IF;

    -- 5. The writes, in the ordinary way's order.
    v_entry := ledger_write_entry(
        p_cooperative, v_day, p_source, l.number,
        left(format(p_memo, l.number, v_member_name), 255), format(p_entry_key, p_key),
        p_actor, p_now, v_accounts, v_debits, v_credits);
    IF v_excess <> 0 THEN
        UPDATE savings_savingsaccount SET balance = balance + v_excess
         WHERE id = v_excess_account RETURNING balance INTO v_excess_balance;
        INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind, amount,
                                                balance_after, business_date, journal_entry_id,
                                                note, idempotency_key, channel, actor_id,
                                                created_at)
        VALUES (p_cooperative, v_excess_account, p_savings_kind, v_excess, v_excess_balance,
                v_day, v_entry, left(format(p_excess_note, l.number), 255),
                format(p_excess_key, p_key), p_savings_channel, p_actor, p_now);
    END IF;
    UPDATE loans_instalment s
       SET principal_paid = r_principal_paid[k], interest_paid = r_interest_paid[k],
           penalty_paid = r_penalty_paid[k], interest_accrued = r_accrued[k],
           paid_on = r_paid_on[k], penalty = r_penalty[k], penalty_through = r_through[k]
      FROM generate_series(1, n) AS k
     WHERE r_changed[k] AND s.id = r_id[k];
    UPDATE loans_loan
       SET outstanding_principal = l.outstanding_principal, accrued_interest = l.accrued_interest,
           penalty_receivable = l.penalty_receivable, status = l.status,
           closed_on = l.closed_on, days_past_due = l.days_past_due, collectibility = v_class,
           doubtful_since = l.doubtful_since, assessed_on = v_day
     WHERE id = p_loan;
    INSERT INTO loans_loantransaction (cooperative_id, loan_id, kind, channel, business_date,
                                       amount, principal, interest, penalty, fee, excess,
                                       allocation, outstanding_after, journal_entry_id,
                                       idempotency_key, note, actor_id, created_at)
    VALUES (p_cooperative, p_loan, p_kind_repayment, p_channel, v_day, v_value, -v_principal,
            v_interest, v_penalty, 0, v_excess, v_allocation, l.outstanding_principal, v_entry,
            p_key, left(p_note, 255), p_actor, p_now)
    RETURNING id INTO v_txn;
    INSERT INTO audit_auditlog (cooperative_id, actor_id, action, object_type, object_id,
                                summary, data, ip_address, created_at)
    VALUES (p_cooperative, p_actor, p_action, p_object_type, p_loan::text,
            left(format(p_summary, l.number, p_amount_text, p_channel), 300),
            jsonb_build_object(p_part_principal, round(v_principal, 2)::text,
                               p_part_interest, round(v_interest, 2)::text,
                               p_part_penalty, round(v_penalty, 2)::text),
            p_ip, p_now);

    -- Last, the general-ledger balances (held only to the commit from here).
    PERFORM ledger_add_to_slots(p_cooperative, v_slot_accounts || v_accounts,
                                v_slot_debits || v_debits, v_slot_credits || v_credits, p_slots);

    -- Back to Django's default (every foreign key is DEFERRABLE INITIALLY DEFERRED), for a
    -- caller whose transaction goes on (a test case's).
    SET CONSTRAINTS ALL DEFERRED;
    RETURN QUERY SELECT * FROM loans_loantransaction t WHERE t.id = v_txn;
END
$fn$;
